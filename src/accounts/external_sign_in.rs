//! Signing in with an external OpenID Connect provider, once the provider's ID token was
//! verified (by `oidc`) into an [`ExternalIdentity`]: what that sign-in opens, and linking
//! and unlinking provider accounts.
//!
//! The rules: a provider account already linked opens its account (two-step login still
//! applies). Otherwise, when the provider says the email is verified and an account has
//! it, the link waits until that account's owner proves it is theirs (their password, and
//! their code with two-step login on) — never on an unverified email. With no account, a
//! verified email makes a new account without a password, verified on arrival. A person may
//! link and unlink providers on their profile; the last way into an account (no password,
//! no passkey, no other provider) is not unlinked. Nothing here speaks HTTP or OpenID.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, Outcome, action};
use super::login::{Claimant, Purpose};
use super::registration::{Arrival, insert_user};
use super::{AccountError, Accounts, User, mails};
use crate::db::external_identities::{self, ExternalIdentityRow, NewExternalIdentity};
use crate::db::{DbConnection, passkeys, users};
use crate::domain::{ExternalIdentity, Role, SecondFactorCode, SignUpPolicy};

pub use super::login::LoginStep;

const NO_EMAIL: &str = "The provider did not share an email address, and an account needs \
     one. Allow it to share your email, or sign up with a password.";
const UNVERIFIED: &str = "The provider has not verified this email address, so it cannot be \
     used to sign in here. Verify it with the provider, or log in with your password and \
     link the provider from your profile.";
const DISABLED: &str = "This account is disabled. Ask your administrator.";
const INVITE_ONLY: &str = "This site is open by invitation only: ask an administrator to \
     invite you, then link the provider from your profile.";
const LINKED_ELSEWHERE: &str = "That provider account is already linked to another account here.";
const ALREADY_LINKED: &str =
    "Your account is already linked to an account at this provider: unlink it first.";
const NOT_YOURS: &str =
    "That provider account is not the one linked to your account. Sign in to the right one.";
const LAST_WAY_IN: &str = "This is the last way to log in to this account; set a password or \
     add a passkey or another provider first.";
const NO_PASSWORD: &str = "This account has no password. Log in with a passkey or another \
     provider, then link this provider from your profile.";

/// What a verified sign-in with a provider opens.
#[derive(Debug)]
pub enum ProviderSignIn {
    /// A linked account: logged in, or on to its second step.
    LoggedIn(LoginStep),
    /// A new account made from the provider's verified email, logged in.
    SignedUp(User),
    /// An account has this (verified) email but is not linked: its owner proves it first.
    ProveOwnership(PendingLink),
}

/// A link waiting for the account's owner to prove the account is theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub identity: ExternalIdentity,
    pub user_id: i64,
    /// The account's email, shown on the page that asks for its password.
    pub email: String,
    pub since: i64,
}

impl PendingLink {
    /// The owner has this long to type their password.
    pub const LIFETIME: i64 = 10 * 60;

    pub fn is_expired(&self, now: i64) -> bool {
        super::login::outlived(self.since, Self::LIFETIME, now)
    }
}

/// A provider account linked to an account, as pages and the API show it.
pub type LinkedProvider = ExternalIdentityRow;

/// What the sign-in transaction found.
enum Found {
    Linked(User),
    Created(User),
    Owner(User),
    Refused(&'static str),
}

impl Accounts {
    /// A sign-in with a provider account the provider vouched for: see the module's rules.
    pub async fn sign_in_with_provider(
        &self,
        identity: ExternalIdentity,
        ip: impl Display,
    ) -> Result<ProviderSignIn, AccountError> {
        let (ip, now) = (ip.to_string(), self.now());
        let known = identity.clone();
        let open = self.policies.sign_up == SignUpPolicy::Open;
        let found = self
            .db
            .transaction(move |conn| find_or_create(conn, &known, open, &ip, now))
            .await?;
        match found {
            Found::Linked(user) if user.has_two_factor() => Ok(ProviderSignIn::LoggedIn(
                LoginStep::SecondStep(super::login::PendingLogin {
                    user_id: user.id,
                    since: now,
                }),
            )),
            Found::Linked(user) => Ok(ProviderSignIn::LoggedIn(LoginStep::Done(user))),
            Found::Created(user) => Ok(ProviderSignIn::SignedUp(user)),
            Found::Owner(user) => Ok(ProviderSignIn::ProveOwnership(PendingLink {
                identity,
                user_id: user.id,
                email: user.email,
                since: now,
            })),
            Found::Refused(message) => Err(AccountError::invalid("provider", message)),
        }
    }

    /// Links the provider account of a sign-in to the account with its email, once the
    /// owner typed that account's password (and code, with two-step login on): a whole
    /// login. A wrong password counts towards the account's lock.
    pub async fn link_with_password(
        &self,
        pending: &PendingLink,
        password: &crate::domain::SecretString,
        code: &str,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        if pending.is_expired(self.now()) {
            return Err(AccountError::LinkExpired);
        }
        let user = self
            .active_user(pending.user_id)
            .await?
            .filter(|user| user.email == pending.email)
            .ok_or(AccountError::LinkExpired)?;
        if !user.has_password() {
            return Err(AccountError::invalid("password", NO_PASSWORD));
        }
        let ip = ip.to_string();
        self.reauthenticate(&user, password, code, &ip).await?;
        let (identity, owner, now) = (pending.identity.clone(), user.clone(), self.now());
        self.db
            .transaction(move |conn| {
                link(conn, &owner, &identity, &ip, now)?;
                users::record_login(conn, owner.id, now)?;
                AuditEntry::own(action::LOGIN_PROVIDER, &owner, &ip)
                    .detail(format!("with {}, linked at this login", identity.provider))
                    .write(conn, now)?;
                Ok::<_, AccountError>(())
            })
            .await?;
        let provider = &pending.identity.provider_name;
        self.mail(mails::provider_changed(
            &self.site_name,
            &user,
            provider,
            true,
        ));
        Ok(user)
    }

    /// Links a provider account to the logged-in `user` (from their profile).
    pub async fn link_provider(
        &self,
        user: &User,
        identity: ExternalIdentity,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        let provider = identity.provider_name.clone();
        self.db
            .transaction(move |conn| link(conn, &owner, &identity, &ip, now))
            .await?;
        self.mail(mails::provider_changed(
            &self.site_name,
            user,
            &provider,
            true,
        ));
        Ok(())
    }

    /// Unlinks `provider` from `user`'s account, unless it is the last way in.
    pub async fn unlink_provider(
        &self,
        user: &User,
        provider: &str,
        provider_name: &str,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        let short_name = provider.to_string();
        self.db
            .transaction(move |conn| {
                if !external_identities::delete(conn, owner.id, &short_name)? {
                    return Err(AccountError::NotFound);
                }
                if !has_a_way_in(conn, &owner)? {
                    return Err(AccountError::invalid("provider", LAST_WAY_IN));
                }
                AuditEntry::own(action::PROVIDER_UNLINK, &owner, &ip)
                    .detail(short_name)
                    .write(conn, now)?;
                Ok(())
            })
            .await?;
        self.mail(mails::provider_changed(
            &self.site_name,
            user,
            provider_name,
            false,
        ));
        Ok(())
    }

    /// A logged-in user confirming it is them with their linked provider (the re-login
    /// that stands in for the password of an account without one).
    pub async fn confirm_with_provider(
        &self,
        user: &User,
        identity: &ExternalIdentity,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        let (provider, subject) = (identity.provider.clone(), identity.subject.clone());
        let confirmed = self
            .db
            .transaction(move |conn| {
                let linked = external_identities::find_by_subject(conn, &provider, &subject)?
                    .is_some_and(|link| link.user_id == owner.id);
                let entry = match linked {
                    true => AuditEntry::own(action::REAUTHENTICATE, &owner, &ip),
                    false => AuditEntry::new(action::REAUTHENTICATE, Outcome::Failure)
                        .on(&owner)
                        .from(&ip),
                };
                entry.detail(format!("with {provider}")).write(conn, now)?;
                Ok::<_, AccountError>(linked)
            })
            .await?;
        match confirmed {
            true => Ok(()),
            false => Err(AccountError::invalid("provider", NOT_YOURS)),
        }
    }

    /// The code half of confirming it's them with a provider, for an account without a
    /// password but with two-step login on: checked (and used up, and counted when wrong)
    /// before the browser goes to the provider, whose answer completes the confirmation.
    pub async fn check_code_before_provider(
        &self,
        user: &User,
        code: &str,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        if code.trim().is_empty() {
            return Err(AccountError::invalid("code", SecondFactorCode::MISSING));
        }
        let claimant = Claimant::new(Some(user.clone()), &user.email);
        self.check_second_factor(claimant, code, Purpose::Reauthenticate, ip)
            .await
            .map(drop)
    }

    /// The provider accounts linked to `user`'s account.
    pub async fn linked_providers(&self, user: &User) -> Result<Vec<LinkedProvider>, AccountError> {
        let id = user.id;
        self.db
            .run(move |conn| Ok::<_, AccountError>(external_identities::list_for_user(conn, id)?))
            .await
    }
}

/// Inside the sign-in transaction: the linked account, a new one, the owner to ask, or why not.
fn find_or_create(
    conn: &mut DbConnection,
    identity: &ExternalIdentity,
    sign_up_open: bool,
    ip: &str,
    now: i64,
) -> Result<Found, AccountError> {
    let provider = identity.provider.as_str();
    let refuse = |conn: &mut DbConnection, target: &str, reason: &'static str| {
        AuditEntry::new(action::LOGIN_PROVIDER, Outcome::Failure)
            .on_label(target)
            .from(ip)
            .detail(format!("with {provider}: {reason}"))
            .write(conn, now)?;
        Ok::<_, AccountError>(Found::Refused(reason))
    };
    if let Some(link) = external_identities::find_by_subject(conn, provider, &identity.subject)? {
        let user = users::find_by_id(conn, link.user_id)?.ok_or(AccountError::NotFound)?;
        if !user.active {
            return refuse(conn, &user.email, DISABLED);
        }
        external_identities::touch(conn, link.id, now)?;
        let detail = match user.has_two_factor() {
            true => format!("with {provider}; the code is asked next"),
            false => {
                users::record_login(conn, user.id, now)?;
                format!("with {provider}")
            }
        };
        AuditEntry::own(action::LOGIN_PROVIDER, &user, ip)
            .detail(detail)
            .write(conn, now)?;
        return Ok(Found::Linked(user));
    }
    let Some(email) = identity.email() else {
        return refuse(conn, &identity.subject, NO_EMAIL);
    };
    if !identity.email_verified {
        return refuse(conn, email.as_str(), UNVERIFIED);
    }
    if let Some(owner) = users::find_by_email(conn, email.as_str())? {
        return Ok(Found::Owner(owner));
    }
    if !sign_up_open {
        return refuse(conn, email.as_str(), INVITE_ONLY);
    }
    let name = identity
        .account_name()
        .ok_or_else(|| AccountError::internal("an email always gives a name"))?;
    let arrival = Arrival {
        logs_in: true,
        verified: true,
    };
    let user = insert_user(conn, (&name, &email, Role::User, true), "", arrival, now)?;
    AuditEntry::own(action::REGISTER, &user, ip)
        .detail(format!("with {provider}"))
        .write(conn, now)?;
    link(conn, &user, identity, ip, now)?;
    Ok(Found::Created(user))
}

/// Inside a transaction: links the provider account to `owner`, unless it is linked
/// already (to anyone) or the account has another account at this provider.
fn link(
    conn: &mut DbConnection,
    owner: &User,
    identity: &ExternalIdentity,
    ip: &str,
    now: i64,
) -> Result<(), AccountError> {
    let provider = identity.provider.as_str();
    if external_identities::find_by_subject(conn, provider, &identity.subject)?.is_some() {
        return Err(AccountError::invalid("provider", LINKED_ELSEWHERE));
    }
    let linked = external_identities::list_for_user(conn, owner.id)?;
    if linked.iter().any(|link| link.provider == provider) {
        return Err(AccountError::invalid("provider", ALREADY_LINKED));
    }
    external_identities::insert(
        conn,
        &NewExternalIdentity {
            user_id: owner.id,
            provider,
            subject: &identity.subject,
            email: identity.email.as_deref(),
            created_at: now,
            last_used_at: Some(now),
        },
    )?;
    AuditEntry::own(action::PROVIDER_LINK, owner, ip)
        .detail(provider)
        .write(conn, now)?;
    Ok(())
}

/// Inside a transaction: whether the account can still be logged in to — a password, a
/// passkey or a linked provider.
pub(super) fn has_a_way_in(conn: &mut DbConnection, user: &User) -> Result<bool, AccountError> {
    Ok(user.has_password()
        || passkeys::count_for_user(conn, user.id)? > 0
        || external_identities::count_for_user(conn, user.id)? > 0)
}
