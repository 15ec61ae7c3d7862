//! The audit log: one row per security-relevant event. Use cases describe the event with
//! [`AuditEntry`] and write it inside their own transaction, so an event and its audit row
//! are stored together or not at all. Secrets (passwords, hashes, tokens, session keys)
//! never go in a row.

use diesel::QueryResult;

use crate::db::models::{NewAuditEvent, User};
use crate::db::{DbConnection, audit};

/// Names of audited actions, as stored and filtered on. Each is declared once here, and
/// `ALL` (the audit page's filter) is made from the same list, so none can be missing.
pub mod action {
    macro_rules! actions {
        ($($name:ident = $value:literal,)*) => {
            $(pub const $name: &str = $value;)*
            /// Every action, for the audit page's filter.
            pub const ALL: &[&str] = &[$($name),*];
        };
    }

    actions! {
        LOGIN = "login",
        LOGOUT = "logout",
        REGISTER = "register",
        PROFILE_UPDATE = "profile_update",
        PASSWORD_CHANGE = "password_change",
        SESSION_REVOKE = "session_revoke",
        SESSIONS_REVOKE_OTHERS = "sessions_revoke_others",
        SETUP_ADMIN = "setup_admin",
        CLI_CREATE_ADMIN = "cli_create_admin",
        ADMIN_DENIED = "admin_denied",
        ADMIN_CREATE_USER = "admin_create_user",
        ADMIN_UPDATE_USER = "admin_update_user",
        ADMIN_DELETE_USER = "admin_delete_user",
        ADMIN_BULK_DISABLE = "admin_bulk_disable",
        ADMIN_BULK_ENABLE = "admin_bulk_enable",
        ADMIN_BULK_DELETE = "admin_bulk_delete",
        ACCOUNT_LOCKED = "account_locked",
        ADMIN_UNLOCK = "admin_unlock",
        PASSWORD_RESET_REQUEST = "password_reset_request",
        PASSWORD_RESET = "password_reset",
        REAUTHENTICATE = "reauthenticate",
        EMAIL_VERIFICATION_SENT = "email_verification_sent",
        EMAIL_VERIFY = "email_verify",
        ADMIN_VERIFY_EMAIL = "admin_verify_email",
        API_TOKEN_CREATE = "api_token_create",
        API_TOKEN_REVOKE = "api_token_revoke",
        LOGIN_PASSWORD = "login_password",
        LOGIN_SECOND_FACTOR = "login_second_factor",
        TWO_FACTOR_ENABLE = "two_factor_enable",
        TWO_FACTOR_DISABLE = "two_factor_disable",
        RECOVERY_CODES_NEW = "recovery_codes_new",
        ADMIN_TWO_FACTOR_DISABLE = "admin_two_factor_disable",
        PASSKEY_ADD = "passkey_add",
        PASSKEY_RENAME = "passkey_rename",
        PASSKEY_REMOVE = "passkey_remove",
        PASSKEY_COUNTER_REGRESSION = "passkey_counter_regression",
        ADMIN_PASSKEYS_REMOVE = "admin_passkeys_remove",
        LOGIN_PROVIDER = "login_provider",
        PROVIDER_LINK = "provider_link",
        PROVIDER_UNLINK = "provider_unlink",
        ACCOUNT_DELETE = "account_delete",
        ACCOUNT_DELETION_REQUEST = "account_deletion_request",
        ACCOUNT_DELETION_WITHDRAW = "account_deletion_withdraw",
        ADMIN_APPROVE_DELETION = "admin_approve_deletion",
        INVITATION_CREATE = "invitation_create",
        INVITATION_RESEND = "invitation_resend",
        INVITATION_REVOKE = "invitation_revoke",
        INVITATION_ACCEPT = "invitation_accept",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// One event, built up with the `by`/`on`/`from` helpers.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    action: &'static str,
    outcome: Outcome,
    actor: Option<(i64, String)>,
    target_id: Option<i64>,
    target: Option<String>,
    ip: Option<String>,
    detail: Option<String>,
}

impl AuditEntry {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Self {
            action,
            outcome,
            actor: None,
            target_id: None,
            target: None,
            ip: None,
            detail: None,
        }
    }

    /// A successful action of a user on their own account.
    pub fn own(action: &'static str, user: &User, ip: impl ToString) -> Self {
        Self::new(action, Outcome::Success)
            .by(user)
            .on(user)
            .from(ip)
    }

    /// The user who acted.
    pub fn by(mut self, user: &User) -> Self {
        self.actor = Some((user.id, user.email.clone()));
        self
    }

    /// The account acted upon.
    pub fn on(mut self, user: &User) -> Self {
        self.target_id = Some(user.id);
        self.target = Some(user.email.clone());
        self
    }

    /// The account acted upon, by a label only (e.g. an email that has no account).
    pub fn on_label(mut self, label: &str) -> Self {
        self.target = Some(label.chars().take(254).collect());
        self
    }

    pub fn from(mut self, ip: impl ToString) -> Self {
        self.ip = Some(ip.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn write(self, conn: &mut DbConnection, now: i64) -> QueryResult<()> {
        let (actor_id, actor) = self
            .actor
            .map_or((None, None), |(id, email)| (Some(id), Some(email)));
        audit::insert(
            conn,
            &NewAuditEvent {
                created_at: now,
                actor_id,
                actor,
                action: self.action.to_string(),
                target_id: self.target_id,
                target: self.target,
                ip: self.ip,
                outcome: self.outcome.as_str().to_string(),
                detail: self.detail,
            },
        )?;
        Ok(())
    }
}
