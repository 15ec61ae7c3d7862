//! Changing one's own name, email and password.

use serde::Deserialize;

use super::{AccountError, ensure_valid};
use crate::audit::{AuditEntry, action};
use crate::db::models::User;
use crate::db::{sessions, users};
use crate::domain::{Email, SecretString, UserName};
use crate::errors::AppError;
use crate::mail::Mail;
use crate::state::AppState;
use crate::web::FormErrors;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub email: String,
    pub current_password: SecretString,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: SecretString,
    pub new_password: SecretString,
    pub new_password_confirm: SecretString,
}

/// Checks the current password; a wrong one is a `current_password` field error.
async fn check_current_password(
    state: &AppState,
    user: &User,
    given: &SecretString,
    errors: &mut FormErrors,
) -> Result<(), AccountError> {
    if given.expose().is_empty() {
        errors.add("current_password", "Enter your current password.");
        return Ok(());
    }
    let verification = state
        .hasher
        .verify(given, Some(user.password_hash.clone()))
        .await?;
    if !verification.matches {
        errors.add("current_password", "Your current password is not correct.");
    }
    Ok(())
}

/// Updates name and email; a new email needs the current password.
pub async fn update_profile(
    state: &AppState,
    user: &User,
    form: &ProfileForm,
    ip: impl ToString,
) -> Result<User, AccountError> {
    let mut errors = FormErrors::default();
    let name = errors.check("name", UserName::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    if email.as_ref().is_some_and(|e| e.as_str() != user.email) {
        check_current_password(state, user, &form.current_password, &mut errors).await?;
    }
    ensure_valid(errors)?;
    let (Some(name), Some(email)) = (name, email) else {
        unreachable!("validated above")
    };
    let mut changes = Vec::new();
    if name.as_str() != user.name {
        changes.push("name");
    }
    if email.as_str() != user.email {
        changes.push("email");
    }
    let now = state.clock.now();
    let audit = AuditEntry::own(action::PROFILE_UPDATE, user, ip.to_string()).detail(format!(
        "changed: {}",
        if changes.is_empty() {
            "nothing".into()
        } else {
            changes.join(", ")
        }
    ));
    let (id, email_changed) = (user.id, changes.contains(&"email"));
    let ip = ip.to_string();
    let updated = state
        .db
        .run(move |conn| {
            if let Err(e) = users::update_profile(conn, id, name.as_str(), email.as_str(), now) {
                return Ok(Err(AccountError::from(e)));
            }
            if email_changed {
                super::email_verification::forget(conn, id)?;
            }
            audit.write(conn, now)?;
            Ok(Ok(users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?))
        })
        .await??;
    if updated.email != user.email {
        state.mailer.send_later(Mail {
            to: user.email.clone(),
            subject: "Your Gatehouse email address was changed".into(),
            body: format!(
                "The email address of your Gatehouse account was changed from {} to {}.\n\n\
                 If this was not you, tell your administrator at once.\n",
                user.email, updated.email
            ),
        });
        super::email_verification::send_link(state, &updated, &updated, ip).await?;
    }
    Ok(updated)
}

/// Sets a new password and ends every other session of this user.
pub async fn change_password(
    state: &AppState,
    user: &User,
    form: &PasswordForm,
    this_session: Option<String>,
    ip: impl ToString,
) -> Result<(), AccountError> {
    let mut errors = FormErrors::default();
    check_current_password(state, user, &form.current_password, &mut errors).await?;
    let password =
        super::new_password(errors, user, &form.new_password, &form.new_password_confirm)?;
    let hash = state.hasher.hash(&password).await?;
    let now = state.clock.now();
    let audit = AuditEntry::own(action::PASSWORD_CHANGE, user, ip.to_string());
    let id = user.id;
    state
        .db
        .run(move |conn| {
            users::set_password_hash(conn, id, &hash, now)?;
            let ended = sessions::delete_for_user(conn, id, this_session.as_deref())?;
            audit
                .detail(format!("other sessions ended: {ended}"))
                .write(conn, now)
        })
        .await?;
    super::password_reset::notify_password_changed(state, user);
    Ok(())
}
