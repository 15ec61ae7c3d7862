//! Invitations: an admin (or the operator, on the command line) invites an email with a
//! role; the person gets a link that works once within seven days, chooses a name and a
//! password, and arrives verified and logged in. Admins list pending invitations, resend
//! them (a new link; the old one stops working) and revoke them. One pending invitation per
//! email; none for an email that already has an account. The link's token is stored only
//! as its SHA-256. With `GATEHOUSE_SIGNUP=invite-only`, this is the only way in.

use std::fmt::Display;

use super::admin::AdminPowers;
use super::audit::{AuditEntry, Outcome, action};
use super::registration::{Arrival, insert_user};
use super::{AccountError, Accounts, FieldErrors, User, mails, typed_twice};
use crate::crypto;
use crate::db::DbConnection;
use crate::db::own_data::{self, InvitationRow, NewInvitation};
use crate::db::users;
use crate::domain::{Email, NewPassword, Role, SecretString, UserName};

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;
const LIFETIME: i64 = INVITATION_DAYS * 24 * 3600;

/// An invitation to send: to whom, as what.
#[derive(Debug, Clone, Default)]
pub struct Invite {
    pub email: String,
    pub role: String,
}

/// A pending invitation as pages show it (never its token).
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What the invited person types.
#[derive(Debug, Clone, Default)]
pub struct AcceptInvitation {
    pub name: String,
    pub password: SecretString,
    pub password_confirm: Option<SecretString>,
}

/// An invitation just sent, with its link (for the command line to print).
pub struct SentInvitation {
    pub email: String,
    pub link: String,
}

impl Invite {
    fn check(&self) -> Result<(Email, Role), AccountError> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let role = errors.check("role", Role::parse(self.role.trim()));
        errors.finish((email, role))
    }
}

impl AdminPowers {
    /// Invites `command.email` as `command.role`, by this admin.
    pub async fn invite(
        &self,
        command: Invite,
        ip: impl Display,
    ) -> Result<SentInvitation, AccountError> {
        let inviter = Some(self.admin().clone());
        self.accounts().send_invitation(command, inviter, ip).await
    }

    /// A new link for a pending invitation, mailed again; the old link stops working.
    pub async fn resend_invitation(&self, id: i64, ip: impl Display) -> Result<(), AccountError> {
        let accounts = self.accounts();
        let (admin, ip, now) = (self.admin().clone(), ip.to_string(), accounts.now());
        let (token, hash) = new_token();
        let row = accounts
            .db
            .transaction(move |conn| {
                let row = own_data::find_invitation(conn, id)?.ok_or(AccountError::NotFound)?;
                own_data::renew_invitation(conn, id, &hash, now + LIFETIME)?;
                audit_on(action::INVITATION_RESEND, &admin, &row.email, &ip).write(conn, now)?;
                Ok::<_, AccountError>(row)
            })
            .await?;
        accounts.mail_invitation(&row.email, &token);
        Ok(())
    }

    /// Revokes a pending invitation: its link stops working.
    pub async fn revoke_invitation(&self, id: i64, ip: impl Display) -> Result<(), AccountError> {
        let accounts = self.accounts();
        let (admin, ip, now) = (self.admin().clone(), ip.to_string(), accounts.now());
        accounts
            .db
            .transaction(move |conn| {
                let row = own_data::find_invitation(conn, id)?.ok_or(AccountError::NotFound)?;
                own_data::delete_invitation(conn, id)?;
                audit_on(action::INVITATION_REVOKE, &admin, &row.email, &ip).write(conn, now)?;
                Ok(())
            })
            .await
    }

    /// The invitations not yet accepted, revoked or expired, newest first.
    pub async fn pending_invitations(&self) -> Result<Vec<PendingInvitation>, AccountError> {
        let now = self.accounts().now();
        self.accounts()
            .db
            .run(move |conn| {
                let rows = own_data::pending_invitations(conn, now)?;
                let mut pending = Vec::with_capacity(rows.len());
                for row in rows {
                    let inviter = match row.invited_by {
                        Some(id) => users::find_by_id(conn, id)?.map(|u| u.email),
                        None => None,
                    };
                    pending.push(PendingInvitation::from_row(row, inviter));
                }
                Ok::<_, AccountError>(pending)
            })
            .await
    }
}

impl PendingInvitation {
    fn from_row(row: InvitationRow, invited_by: Option<String>) -> Self {
        Self {
            id: row.id,
            role: Role::parse(&row.role).unwrap_or(Role::User),
            email: row.email,
            invited_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

impl Accounts {
    /// Invites an email (by `inviter`, or by the operator on the command line when `None`)
    /// and mails the link.
    pub async fn send_invitation(
        &self,
        command: Invite,
        inviter: Option<User>,
        ip: impl Display,
    ) -> Result<SentInvitation, AccountError> {
        let (email, role) = command.check()?;
        let (token, hash) = new_token();
        let (ip, now) = (ip.to_string(), self.now());
        let address = email.as_str().to_string();
        self.db
            .transaction(move |conn| {
                store_invitation(conn, &email, role, &hash, inviter.as_ref(), now)?;
                let entry = match &inviter {
                    Some(admin) => audit_on(action::INVITATION_CREATE, admin, email.as_str(), &ip),
                    None => AuditEntry::new(action::INVITATION_CREATE, Outcome::Success)
                        .on_label(email.as_str())
                        .from("command line"),
                };
                entry
                    .detail(format!("as {}", role.as_str()))
                    .write(conn, now)?;
                Ok::<_, AccountError>(())
            })
            .await?;
        self.mail_invitation(&address, &token);
        Ok(SentInvitation {
            link: self.invitation_link(&token),
            email: address,
        })
    }

    /// The pending invitation behind a link (for its page); anything else is an expired link.
    pub async fn invitation(&self, token: &str) -> Result<PendingInvitation, AccountError> {
        let (hash, now) = (crypto::token_hash(token), self.now());
        self.db
            .run(move |conn| {
                let row = own_data::find_usable_invitation(conn, &hash, now)?
                    .ok_or(AccountError::LinkExpired)?;
                Ok(PendingInvitation::from_row(row, None))
            })
            .await
    }

    /// Accepts an invitation: the account (verified, the invited role) is made and the
    /// invitation used up, in one transaction; the person is then logged in by the caller.
    pub async fn accept_invitation(
        &self,
        token: &str,
        command: AcceptInvitation,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let invitation = self.invitation(token).await?;
        let email = Email::parse(&invitation.email).map_err(AccountError::internal)?;
        let mut errors = FieldErrors::default();
        let name = errors.check("name", UserName::parse(&command.name));
        let password = errors.check(
            "password",
            NewPassword::parse(command.password.clone(), Some(&email)),
        );
        let confirm = command.password_confirm.as_ref();
        typed_twice(&mut errors, "password_confirm", &password, confirm);
        let (name, password) = errors.finish((name, password))?;
        let hash = self.hasher.hash(&password).await?;
        let (ip, now, role) = (ip.to_string(), self.now(), invitation.role);
        self.db
            .transaction(move |conn| {
                if !own_data::delete_invitation(conn, invitation.id)? {
                    return Err(AccountError::LinkExpired);
                }
                let arrival = Arrival {
                    logs_in: true,
                    verified: true,
                };
                let user = insert_user(conn, (&name, &email, role, true), &hash, arrival, now)?;
                AuditEntry::own(action::INVITATION_ACCEPT, &user, &ip)
                    .detail(format!("as {}", role.as_str()))
                    .write(conn, now)?;
                Ok(user)
            })
            .await
    }

    fn invitation_link(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.base_url)
    }

    fn mail_invitation(&self, email: &str, token: &str) {
        let link = self.invitation_link(token);
        self.mail(mails::invitation(
            &self.site_name,
            email,
            &link,
            INVITATION_DAYS,
        ));
    }
}

/// A new link token and its hash.
fn new_token() -> (String, String) {
    let token = crypto::random_token();
    let hash = crypto::token_hash(&token);
    (token, hash)
}

/// An admin's invitation action on an email.
fn audit_on(action: &'static str, admin: &User, email: &str, ip: &str) -> AuditEntry {
    AuditEntry::new(action, Outcome::Success)
        .by(admin)
        .on_label(email)
        .from(ip)
}

/// Inside a transaction: stores the invitation, unless the email has an account or a
/// pending invitation (an expired one is replaced).
fn store_invitation(
    conn: &mut DbConnection,
    email: &Email,
    role: Role,
    hash: &str,
    inviter: Option<&User>,
    now: i64,
) -> Result<(), AccountError> {
    if users::find_by_email(conn, email.as_str())?.is_some() {
        return Err(AccountError::invalid(
            "email",
            "An account with this email already exists.",
        ));
    }
    if let Some(old) = own_data::find_invitation_by_email(conn, email.as_str())? {
        if old.expires_at > now {
            return Err(AccountError::invalid(
                "email",
                "This email is invited already: resend or revoke that invitation.",
            ));
        }
        own_data::delete_invitation(conn, old.id)?;
    }
    own_data::insert_invitation(
        conn,
        &NewInvitation {
            email: email.as_str(),
            role: role.as_str(),
            token_hash: hash,
            invited_by: inviter.map(|u| u.id),
            created_at: now,
            expires_at: now + LIFETIME,
        },
    )?;
    Ok(())
}
