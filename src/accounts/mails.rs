//! What Gatehouse mails people, each message in one place. Messages may carry a one-time
//! link, so they are never logged; they go out after the use case committed.

use super::User;
use crate::mail::Mail;

pub(super) fn verify_email(user: &User, base_url: &str, token: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "Verify your email address for Gatehouse".into(),
        body: format!(
            "Please confirm that this address belongs to your Gatehouse account.\n\n\
             Open this link within three days:\n\n{base_url}/verify-email/{token}\n\n\
             If you did not sign up, ignore this mail.\n"
        ),
    }
}

pub(super) fn password_reset(user: &User, base_url: &str, token: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "Reset your Gatehouse password".into(),
        body: format!(
            "Someone asked to reset the password of your Gatehouse account.\n\n\
             To choose a new password, open this link within one hour:\n\n{base_url}/password-reset/{token}\n\n\
             The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n"
        ),
    }
}

/// To the owner after a reset or a change while logged in.
pub(super) fn password_changed(user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "Your Gatehouse password was changed".into(),
        body: "The password of your Gatehouse account was just changed, and every other session was logged out.\n\n\
               If this was not you, reset your password at once and tell your administrator.\n"
            .into(),
    }
}

/// To the owner after a password reset: every session and API token ended with it.
pub(super) fn password_reset_done(user: &User, tokens_revoked: usize) -> Mail {
    let tokens = match tokens_revoked {
        0 => String::new(),
        1 => " Your API token was revoked too.".into(),
        n => format!(" Your {n} API tokens were revoked too."),
    };
    Mail {
        to: user.email.clone(),
        subject: "Your Gatehouse password was changed".into(),
        body: format!(
            "The password of your Gatehouse account was just reset through a mailed link, and every session was logged out.{tokens}\n\n\
             If this was not you, reset your password at once and tell your administrator.\n"
        ),
    }
}

/// To the old address after an email change.
pub(super) fn email_changed(before: &User, after: &User) -> Mail {
    Mail {
        to: before.email.clone(),
        subject: "Your Gatehouse email address was changed".into(),
        body: format!(
            "The email address of your Gatehouse account was changed from {} to {}.\n\n\
             If this was not you, tell your administrator at once.\n",
            before.email, after.email
        ),
    }
}

/// To the owner when two-step login was turned on.
pub(super) fn two_factor_on(user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "Two-step login is on for your Gatehouse account".into(),
        body: "Two-step login was just turned on for your Gatehouse account: from now on, logging in \
               asks for a code from your authenticator app after the password.\n\n\
               Keep your recovery codes somewhere safe. If this was not you, tell your administrator at once.\n"
            .into(),
    }
}

/// To the owner when two-step login was turned off, by them or by an admin.
pub(super) fn two_factor_off(user: &User, by_admin: bool) -> Mail {
    let who = match by_admin {
        true => {
            "an administrator turned off two-step login for your Gatehouse account, and every session was logged out"
        }
        false => "two-step login was just turned off for your Gatehouse account",
    };
    Mail {
        to: user.email.clone(),
        subject: "Two-step login is off for your Gatehouse account".into(),
        body: format!(
            "This is to let you know that {who}. Logging in now takes only the password.\n\n\
             You can turn it on again on your profile. If you did not ask for this, tell your administrator at once.\n"
        ),
    }
}

/// To the owner when one of their recovery codes was used.
pub(super) fn recovery_code_used(user: &User, left: i64) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "A recovery code was used for your Gatehouse account".into(),
        body: format!(
            "One of your recovery codes was just used to confirm it is you; it cannot be used again. \
             You have {left} left; you can make new ones on your profile.\n\n\
             If this was not you, someone has your password and a recovery code: change your password \
             and tell your administrator at once.\n"
        ),
    }
}

/// To the owner when a code from their app was typed a second time (ASVS 2.8.5).
pub(super) fn code_reused(user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "A code for your Gatehouse account was used twice".into(),
        body: "A code from your authenticator app that had already been used was just typed again, \
               after the right password, and refused.\n\n\
               If it was you (a form sent twice), nothing is wrong. If it was not, someone has your \
               password and saw a code: change your password and tell your administrator at once.\n"
            .into(),
    }
}

/// To the owner when a passkey was added to their account.
pub(super) fn passkey_added(user: &User, name: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "A passkey was added to your Gatehouse account".into(),
        body: format!(
            "A passkey named \"{name}\" was just added to your Gatehouse account: it can now \
             sign in without a password.\n\n\
             If this was not you, remove it on your profile's passkeys page and tell your administrator at once.\n"
        ),
    }
}

/// To the owner when passkeys were removed: one by them, or every one by an admin.
pub(super) fn passkeys_removed(user: &User, what: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: "A passkey was removed from your Gatehouse account".into(),
        body: format!(
            "This is to let you know that {what}. A removed passkey can no longer sign in.\n\n\
             If you did not ask for this, tell your administrator at once.\n"
        ),
    }
}
