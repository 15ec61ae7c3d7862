//! The JSON document "download my data" gives (`GET /profile/export`, `GET /api/me/export`),
//! made from `accounts::own_data::AccountData`. Its schema is `docs/export.md`: change both
//! together, and the `version` when a field changes meaning or goes away. Fields are picked
//! one by one: no hash, token, key or secret is ever among them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::own_data::AccountData;
use crate::web::rfc3339;

/// Everything Gatehouse keeps about one account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDocument {
    /// Always `gatehouse-account-export`.
    pub format: &'static str,
    /// The schema's version (`docs/export.md`).
    pub version: u32,
    pub exported_at: String,
    pub account: ExportedAccount,
    pub sessions: Vec<ExportedSession>,
    pub api_tokens: Vec<ExportedToken>,
    pub passkeys: Vec<ExportedPasskey>,
    pub providers: Vec<ExportedProvider>,
    pub audit_events: Vec<ExportedEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedAccount {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    pub email_verified_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub has_password: bool,
    pub two_factor_since: Option<String>,
    pub deletion_requested_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedSession {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub kept_for_30_days: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedToken {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedPasskey {
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub backup_eligible: bool,
    pub synced: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedProvider {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedEvent {
    pub at: String,
    pub action: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl From<AccountData> for ExportDocument {
    fn from(data: AccountData) -> Self {
        let user = &data.user;
        let account = ExportedAccount {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role.clone(),
            active: user.active,
            email_verified_at: user.email_verified_at.map(rfc3339),
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
            last_login_at: user.last_login_at.map(rfc3339),
            has_password: user.has_password(),
            two_factor_since: user.two_factor_since.map(rfc3339),
            deletion_requested_at: data.deletion_requested_at.map(rfc3339),
        };
        Self {
            format: "gatehouse-account-export",
            version: 1,
            exported_at: rfc3339(data.exported_at),
            account,
            sessions: data
                .sessions
                .into_iter()
                .map(|s| ExportedSession {
                    id: s.public_id,
                    created_at: rfc3339(s.created_at),
                    last_seen_at: rfc3339(s.last_seen_at),
                    expires_at: rfc3339(s.expires_at.min(s.absolute_expires_at)),
                    kept_for_30_days: s.remember,
                    ip: s.ip,
                    user_agent: s.user_agent,
                })
                .collect(),
            api_tokens: data
                .api_tokens
                .into_iter()
                .map(|t| ExportedToken {
                    id: t.id,
                    name: t.name,
                    created_at: rfc3339(t.created_at),
                    expires_at: t.expires_at.map(rfc3339),
                    last_used_at: t.last_used_at.map(rfc3339),
                })
                .collect(),
            passkeys: data
                .passkeys
                .into_iter()
                .map(|p| ExportedPasskey {
                    name: p.name,
                    created_at: rfc3339(p.created_at),
                    last_used_at: p.last_used_at.map(rfc3339),
                    backup_eligible: p.backup_eligible,
                    synced: p.backup_state,
                })
                .collect(),
            providers: data
                .providers
                .into_iter()
                .map(|p| ExportedProvider {
                    provider: p.provider,
                    subject: p.subject,
                    email: p.email,
                    linked_at: rfc3339(p.created_at),
                    last_used_at: p.last_used_at.map(rfc3339),
                })
                .collect(),
            audit_events: data
                .audit
                .into_iter()
                .map(|e| ExportedEvent {
                    at: rfc3339(e.created_at),
                    action: e.action,
                    outcome: e.outcome,
                    actor: e.actor,
                    target: e.target,
                    ip: e.ip,
                    detail: e.detail,
                })
                .collect(),
        }
    }
}

/// The file name a download of `user_id`'s export is saved under.
pub fn file_name(user_id: i64, exported_at: i64) -> String {
    let day = rfc3339(exported_at).chars().take(10).collect::<String>();
    format!("gatehouse-account-{user_id}-{day}.json")
}
