//! What Gatehouse mails people, each message in one place. `site` is the site's name
//! (`GATEHOUSE_SITE_NAME`) wherever a message names the site. Messages may carry a one-time
//! link, so they are never logged; they go out after the use case committed.

use super::User;
use crate::mail::Mail;

pub(super) fn verify_email(site: &str, user: &User, base_url: &str, token: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Verify your email address for {site}"),
        body: format!(
            "Please confirm that this address belongs to your {site} account.\n\n\
             Open this link within three days:\n\n{base_url}/verify-email/{token}\n\n\
             If you did not sign up, ignore this mail.\n"
        ),
    }
}

pub(super) fn password_reset(site: &str, user: &User, base_url: &str, token: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Reset your {site} password"),
        body: format!(
            "Someone asked to reset the password of your {site} account.\n\n\
             To choose a new password, open this link within one hour:\n\n{base_url}/password-reset/{token}\n\n\
             The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n"
        ),
    }
}

/// To the owner after a reset or a change while logged in.
pub(super) fn password_changed(site: &str, user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Your {site} password was changed"),
        body: format!(
            "The password of your {site} account was just changed, and every other session was logged out.\n\n\
             If this was not you, reset your password at once and tell your administrator.\n"
        ),
    }
}

/// To the owner after a password reset: every session and API token ended with it.
pub(super) fn password_reset_done(site: &str, user: &User, tokens_revoked: usize) -> Mail {
    let tokens = match tokens_revoked {
        0 => String::new(),
        1 => " Your API token was revoked too.".into(),
        n => format!(" Your {n} API tokens were revoked too."),
    };
    Mail {
        to: user.email.clone(),
        subject: format!("Your {site} password was changed"),
        body: format!(
            "The password of your {site} account was just reset through a mailed link, and every session was logged out.{tokens}\n\n\
             If this was not you, reset your password at once and tell your administrator.\n"
        ),
    }
}

/// To the old address after an email change.
pub(super) fn email_changed(site: &str, before: &User, after: &User) -> Mail {
    Mail {
        to: before.email.clone(),
        subject: format!("Your {site} email address was changed"),
        body: format!(
            "The email address of your {site} account was changed from {} to {}.\n\n\
             If this was not you, tell your administrator at once.\n",
            before.email, after.email
        ),
    }
}

/// To the owner when two-step login was turned on.
pub(super) fn two_factor_on(site: &str, user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Two-step login is on for your {site} account"),
        body: format!(
            "Two-step login was just turned on for your {site} account: from now on, logging in \
             asks for a code from your authenticator app after the password.\n\n\
             Keep your recovery codes somewhere safe. If this was not you, tell your administrator at once.\n"
        ),
    }
}

/// To the owner when two-step login was turned off, by them or by an admin.
pub(super) fn two_factor_off(site: &str, user: &User, by_admin: bool) -> Mail {
    let who = match by_admin {
        true => format!(
            "an administrator turned off two-step login for your {site} account, and every session was logged out"
        ),
        false => format!("two-step login was just turned off for your {site} account"),
    };
    Mail {
        to: user.email.clone(),
        subject: format!("Two-step login is off for your {site} account"),
        body: format!(
            "This is to let you know that {who}. Logging in now takes only the password.\n\n\
             You can turn it on again on your profile. If you did not ask for this, tell your administrator at once.\n"
        ),
    }
}

/// To the owner when one of their recovery codes was used.
pub(super) fn recovery_code_used(site: &str, user: &User, left: i64) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("A recovery code was used for your {site} account"),
        body: format!(
            "One of your recovery codes was just used to confirm it is you; it cannot be used again. \
             You have {left} left; you can make new ones on your profile.\n\n\
             If this was not you, someone has your password and a recovery code: change your password \
             and tell your administrator at once.\n"
        ),
    }
}

/// To the owner when a code from their app was typed a second time (ASVS 2.8.5).
pub(super) fn code_reused(site: &str, user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("A code for your {site} account was used twice"),
        body: "A code from your authenticator app that had already been used was just typed again, \
               after the right password, and refused.\n\n\
               If it was you (a form sent twice), nothing is wrong. If it was not, someone has your \
               password and saw a code: change your password and tell your administrator at once.\n"
            .into(),
    }
}

/// To the owner when a passkey was added to their account.
pub(super) fn passkey_added(site: &str, user: &User, name: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("A passkey was added to your {site} account"),
        body: format!(
            "A passkey named \"{name}\" was just added to your {site} account: it can now \
             sign in without a password.\n\n\
             If this was not you, remove it on your profile's passkeys page and tell your administrator at once.\n"
        ),
    }
}

/// To the owner when passkeys were removed: one by them, or every one by an admin. `what`
/// is the clause that says which.
pub(super) fn passkeys_removed(site: &str, user: &User, what: &str) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("A passkey was removed from your {site} account"),
        body: format!(
            "This is to let you know that {what}. A removed passkey can no longer sign in.\n\n\
             If you did not ask for this, tell your administrator at once.\n"
        ),
    }
}

/// To the owner when an external provider was linked to (`linked`) or unlinked from their account.
pub(super) fn provider_changed(site: &str, user: &User, provider: &str, linked: bool) -> Mail {
    let (subject, what) = match linked {
        true => (
            format!("{provider} was linked to your {site} account"),
            format!(
                "your {provider} account was linked to your {site} account: it can now sign in to it"
            ),
        ),
        false => (
            format!("{provider} was unlinked from your {site} account"),
            format!(
                "your {provider} account was unlinked from your {site} account: it can no longer sign in to it"
            ),
        ),
    };
    Mail {
        to: user.email.clone(),
        subject,
        body: format!(
            "This is to let you know that {what}.\n\n\
             If this was not you, change your password and tell your administrator at once.\n"
        ),
    }
}

/// To the address of an account its owner just deleted.
pub(super) fn account_deleted(site: &str, user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Your {site} account was deleted"),
        body: format!(
            "As you asked, your {site} account ({}) was deleted, with its sessions, API tokens, \
             passkeys and linked sign-in providers. The security log keeps what happened, \
             without your email address.\n\n\
             If you did not ask for this, tell the site's administrator at once.\n",
            user.email
        ),
    }
}

/// To an account's owner when their deletion request waits for an admin.
pub(super) fn account_deletion_requested(site: &str, user: &User) -> Mail {
    Mail {
        to: user.email.clone(),
        subject: format!("Your {site} account deletion request"),
        body: format!(
            "We received your request to delete your {site} account. An administrator will \
             approve it; you will be told when the account is gone. Until then you can withdraw \
             the request on your profile.\n\n\
             If you did not ask for this, log in, withdraw it and change your password.\n"
        ),
    }
}

/// An invitation to make an account, with its link.
pub(super) fn invitation(site: &str, email: &str, link: &str, days: i64) -> Mail {
    Mail {
        to: email.to_string(),
        subject: format!("You are invited to {site}"),
        body: format!(
            "You are invited to make an account on {site}. Open this link to choose your name \
             and password (it works once, for {days} days):\n\n{link}\n\n\
             If you did not expect this, ignore this mail.\n"
        ),
    }
}
