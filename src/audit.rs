//! The audit log: one row per security-relevant event. Callers describe the event with
//! [`AuditEntry`]; secrets (passwords, hashes, tokens, session keys) never go in a row.

use crate::db::models::{NewAuditEvent, User};
use crate::db::{DbConnection, audit};
use crate::errors::AppError;

/// Names of audited actions, as stored and filtered on.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGOUT: &str = "logout";
    pub const REGISTER: &str = "register";
    pub const PROFILE_UPDATE: &str = "profile_update";
    pub const PASSWORD_CHANGE: &str = "password_change";
    pub const SESSION_REVOKE: &str = "session_revoke";
    pub const SESSIONS_REVOKE_OTHERS: &str = "sessions_revoke_others";
    pub const SETUP_ADMIN: &str = "setup_admin";
    pub const CLI_CREATE_ADMIN: &str = "cli_create_admin";
    pub const ADMIN_DENIED: &str = "admin_denied";
    pub const ADMIN_CREATE_USER: &str = "admin_create_user";
    pub const ADMIN_UPDATE_USER: &str = "admin_update_user";
    pub const ADMIN_DELETE_USER: &str = "admin_delete_user";
    pub const ADMIN_BULK_DISABLE: &str = "admin_bulk_disable";
    pub const ADMIN_BULK_ENABLE: &str = "admin_bulk_enable";
    pub const ADMIN_BULK_DELETE: &str = "admin_bulk_delete";
    pub const ACCOUNT_LOCKED: &str = "account_locked";
    pub const ADMIN_UNLOCK: &str = "admin_unlock";

    /// Every action, for the audit page's filter.
    pub const ALL: &[&str] = &[
        LOGIN,
        LOGOUT,
        REGISTER,
        PROFILE_UPDATE,
        PASSWORD_CHANGE,
        SESSION_REVOKE,
        SESSIONS_REVOKE_OTHERS,
        SETUP_ADMIN,
        CLI_CREATE_ADMIN,
        ADMIN_DENIED,
        ADMIN_CREATE_USER,
        ADMIN_UPDATE_USER,
        ADMIN_DELETE_USER,
        ADMIN_BULK_DISABLE,
        ADMIN_BULK_ENABLE,
        ADMIN_BULK_DELETE,
    ];
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

    pub fn write(self, conn: &mut DbConnection, now: i64) -> Result<(), AppError> {
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
