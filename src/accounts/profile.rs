//! Changing one's own name, email and password.

use std::fmt::Display;

use super::audit::{AuditEntry, action};
use super::login::{Claimant, Purpose};
use super::registration::check_identity;
use super::{
    AccountError, Accounts, FieldErrors, User, email_verification, mails, password_reset,
    typed_twice,
};
use crate::db::{api_tokens, sessions, users};
use crate::domain::{NewPassword, SecretString};

/// New name and email; a new email needs the current password (and, with two-step login
/// on, a code).
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub name: String,
    pub email: String,
    pub current_password: SecretString,
    pub code: String,
}

/// What a password change left as it was.
#[derive(Debug, Clone, Copy)]
pub struct PasswordChanged {
    /// The user's API tokens, which still work.
    pub api_tokens: i64,
}

/// A new password, typed twice, and the current one (and, with two-step login on, a code).
#[derive(Debug, Clone, Default)]
pub struct PasswordChange {
    pub current_password: SecretString,
    pub new_password: SecretString,
    pub new_password_confirm: SecretString,
    pub code: String,
}

impl Accounts {
    /// Checks the current password; a wrong one is a `current_password` field error.
    async fn check_current_password(
        &self,
        user: &User,
        given: &SecretString,
        errors: &mut FieldErrors,
    ) -> Result<(), AccountError> {
        if given.expose().is_empty() {
            errors.add("current_password", "Enter your current password.");
            return Ok(());
        }
        let stored = Some(user.password_hash.clone());
        if !self.hasher.verify(given, stored).await?.matches {
            errors.add("current_password", "Your current password is not correct.");
        }
        Ok(())
    }

    /// With two-step login on, checks a code once everything else was found right (so a
    /// refusal for another reason does not use the code up); a wrong one is a `code` error
    /// and counts towards the lock.
    async fn check_code_last(&self, user: &User, code: &str, ip: &str) -> Result<(), AccountError> {
        if !user.has_two_factor() {
            return Ok(());
        }
        let claimant = Claimant::new(Some(user.clone()), &user.email);
        self.check_second_factor(claimant, code, Purpose::Reauthenticate, ip)
            .await
            .map(drop)
    }

    /// Updates name and email. A changed email is unverified until its new link is used;
    /// the old address is told, and the new one gets the link.
    pub async fn update_profile(
        &self,
        user: &User,
        change: ProfileChange,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let mut errors = FieldErrors::default();
        let (name, email) = check_identity(&mut errors, &change.name, &change.email);
        if email.as_ref().is_some_and(|e| e.as_str() != user.email) {
            self.check_current_password(user, &change.current_password, &mut errors)
                .await?;
        }
        let (name, email) = errors.finish((name, email))?;
        let ip = ip.to_string();
        if email.as_str() != user.email {
            self.check_code_last(user, &change.code, &ip).await?;
        }
        let mut changed = Vec::new();
        if name.as_str() != user.name {
            changed.push("name");
        }
        let email_changed = email.as_str() != user.email;
        if email_changed {
            changed.push("email");
        }
        let detail = match changed.is_empty() {
            true => "changed: nothing".to_string(),
            false => format!("changed: {}", changed.join(", ")),
        };
        let (me, now) = (user.clone(), self.now());
        let (updated, link) = self
            .db
            .transaction(move |conn| {
                users::update_profile(conn, me.id, name.as_str(), email.as_str(), now)?;
                AuditEntry::own(action::PROFILE_UPDATE, &me, &ip)
                    .detail(detail)
                    .write(conn, now)?;
                let updated = users::find_by_id(conn, me.id)?.ok_or(AccountError::NotFound)?;
                let link = match email_changed {
                    true => {
                        email_verification::forget(conn, me.id)?;
                        password_reset::end_reset_links(conn, me.id)?;
                        Some(email_verification::issue_link(
                            conn, &updated, &updated, &ip, now,
                        )?)
                    }
                    false => None,
                };
                Ok::<_, AccountError>((updated, link))
            })
            .await?;
        if let Some(link) = link {
            self.mail(mails::email_changed(&self.site_name, user, &updated));
            self.mail_verification_link(&updated, &link);
        }
        Ok(updated)
    }

    /// Sets a new password and ends every other session of this user (all but
    /// `this_session`, a public session id), in one transaction; then tells the owner.
    /// API tokens keep working (the owner is logged in and chose this): the answer says
    /// how many there are, so the page can offer to revoke them.
    pub async fn change_password(
        &self,
        user: &User,
        change: PasswordChange,
        this_session: Option<String>,
        ip: impl Display,
    ) -> Result<PasswordChanged, AccountError> {
        let mut errors = FieldErrors::default();
        self.check_current_password(user, &change.current_password, &mut errors)
            .await?;
        let password = check_new_password(
            errors,
            user,
            &change.new_password,
            &change.new_password_confirm,
        )?;
        let ip = ip.to_string();
        self.check_code_last(user, &change.code, &ip).await?;
        let hash = self.hasher.hash(&password).await?;
        let (audit, now, id) = (
            AuditEntry::own(action::PASSWORD_CHANGE, user, ip),
            self.now(),
            user.id,
        );
        let api_tokens = self
            .db
            .transaction(move |conn| {
                users::set_password_hash(conn, id, &hash, now)?;
                password_reset::end_reset_links(conn, id)?;
                let ended = sessions::delete_for_user(conn, id, this_session.as_deref())?;
                audit
                    .detail(format!("other sessions ended: {ended}"))
                    .write(conn, now)?;
                Ok::<_, AccountError>(api_tokens::count_for_user(conn, id)?)
            })
            .await?;
        self.mail(mails::password_changed(&self.site_name, user));
        Ok(PasswordChanged { api_tokens })
    }
}

/// Checks a new password for `user` (the policy, and typed the same twice) on top of the
/// errors found so far; all of them are reported together.
pub(super) fn check_new_password(
    mut errors: FieldErrors,
    user: &User,
    password: &SecretString,
    confirm: &SecretString,
) -> Result<NewPassword, AccountError> {
    let email = crate::domain::Email::parse(&user.email).ok();
    let parsed = errors.check(
        "new_password",
        NewPassword::parse(password.clone(), email.as_ref()),
    );
    typed_twice(&mut errors, "new_password_confirm", &parsed, Some(confirm));
    errors.finish(parsed)
}
