//! Every account rule, written once as a use case: a method of [`Accounts`] (or of
//! [`AdminPowers`](admin::AdminPowers) for admin work) that takes a typed command, runs in
//! one database transaction with its audit row, and answers with a value or an
//! [`AccountError`]. Pages, the JSON API and the command line all call these.
//!
//! Nothing here knows HTTP: no actix, no pages, no JSON, no statuses; mail goes out after
//! the transaction commits. Reads for pages go through here too (`Accounts::user`,
//! `AdminPowers::user_page`, …), so no handler touches `db`.

pub mod admin;
pub mod api_tokens;
pub mod audit;
pub mod email_verification;
mod error;
pub mod external_sign_in;
mod gauges;
pub mod invitations;
pub mod ip_limits;
mod links;
pub mod login;
mod mails;
pub mod own_data;
pub mod passkeys;
mod password_hasher;
pub mod password_reset;
pub mod profile;
pub mod registration;
pub mod sessions;
pub mod setup;
pub mod two_factor;

use std::sync::Arc;

pub use crate::db::models::{ApiTokenRow, AuditEvent, SessionRow, User};
pub use admin::AdminPowers;
pub use error::{AccountError, Checked, FieldError, FieldErrors};
pub use password_hasher::PasswordHasher;

use crate::clock::Clock;
use crate::crypto::Sealer;
use crate::db::{Db, users};
use crate::domain::{NewPassword, Policies, SecretString};
use crate::mail::{Mail, Mailer};

/// The account service: what the use cases need, and nothing of the web.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    hasher: PasswordHasher,
    clock: Clock,
    mailer: Arc<Mailer>,
    /// Where the site is reached, for links in mails (`https://example.com`, no `/` at the end).
    base_url: Arc<str>,
    /// Seals authenticator secrets at rest.
    sealer: Sealer,
    /// The site's name (`GATEHOUSE_SITE_NAME`), wherever a mail names the site.
    site_name: Arc<str>,
    /// The name authenticator apps show next to the account: the site's name (no `:`,
    /// which separates the issuer from the account in an `otpauth://` label).
    issuer: Arc<str>,
    /// The site as a passkey relying party (its address, when it has a domain name).
    relying_party: passkeys::RelyingParty,
    /// Who may sign up, and what "delete my account" does.
    policies: Policies,
}

impl Accounts {
    pub fn new(
        db: Db,
        hasher: PasswordHasher,
        clock: Clock,
        mailer: Arc<Mailer>,
        base_url: &str,
        site_name: &str,
        secret_key: &[u8],
    ) -> Self {
        Self {
            db,
            hasher,
            clock,
            mailer,
            base_url: base_url.trim_end_matches('/').into(),
            sealer: Sealer::new(secret_key, "authenticator secrets"),
            site_name: site_name.into(),
            issuer: two_factor::issuer(site_name).into(),
            relying_party: passkeys::RelyingParty::new(base_url, site_name),
            policies: Policies::default(),
        }
    }

    /// The same service under the operator's policies.
    pub fn with_policies(mut self, policies: Policies) -> Self {
        self.policies = policies;
        self
    }

    /// Who may sign up, and what "delete my account" does.
    pub fn policies(&self) -> Policies {
        self.policies
    }

    /// The service's clock: "now" for every rule with a time in it.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The account with this id, if it exists and may log in.
    pub async fn active_user(&self, id: i64) -> Result<Option<User>, AccountError> {
        let user = self
            .db
            .run(move |conn| Ok::<_, AccountError>(users::find_by_id(conn, id)?));
        Ok(user.await?.filter(|user| user.active))
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Sends after the use case committed; nobody waits for it.
    fn mail(&self, mail: Mail) {
        self.mailer.send_later(mail);
    }
}

/// Checks that a password was typed the same twice; one rule and one message for every
/// form that asks twice. Nothing to check when the second copy was not asked for.
fn typed_twice(
    errors: &mut FieldErrors,
    confirm_field: &'static str,
    password: &Option<NewPassword>,
    confirm: Option<&SecretString>,
) {
    let (Some(password), Some(confirm)) = (password, confirm) else {
        return;
    };
    if password.expose() != confirm.expose() {
        errors.add(confirm_field, "The two passwords do not match.");
    }
}
