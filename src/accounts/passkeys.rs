//! Passkeys (WebAuthn, through `webauthn-rs`): adding, renaming and removing them, and the
//! two ways they log in — with no password at all (a discoverable credential: the browser
//! says whose it is), or instead of a code at the second step of a two-step login.
//!
//! Every ceremony has two requests: the first ([`CeremonyStart`]) stores what the browser was
//! asked in `passkey_ceremonies`, for five minutes, under an id the caller keeps (the web
//! keeps it in the session); the second takes it (deletes it) in the same transaction that
//! checks the answer, so a ceremony finishes once, on any instance. The relying party is the
//! site's address (`GATEHOUSE_BASE_URL`): its host is the RP id and it is the only origin
//! accepted. A passkey login is throttled and audited as a password login is; a signature
//! counter that goes backwards (a cloned authenticator?) is refused and audited.

use std::fmt::Display;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

use super::audit::{AuditEntry, Outcome, action};
use super::login::{Claimant, PendingLogin, count_failure};
use super::{AccountError, Accounts, User, mails};
use crate::crypto;
use crate::db::passkeys::{self, CeremonyRow, NewPasskey, PasskeyRow};
use crate::db::{DbConnection, throttles, users};
use crate::domain::PasskeyName;

/// How long the browser has to answer, and how long the server keeps the question.
pub const CEREMONY_LIFETIME: i64 = 5 * 60;

const UNAVAILABLE: &str = "Passkeys need the site to be reached by a domain name \
     (GATEHOUSE_BASE_URL such as https://accounts.example.com or http://localhost:8080).";
const EXPIRED: &str =
    "This passkey request has expired or was already used. Start again: you have five minutes.";
const UNREADABLE: &str = "The browser's answer could not be read. Try again.";
const NOT_ACCEPTED: &str = "That passkey was not accepted. Try again, or log in with your \
     password if it was removed from your account.";
const ALREADY_ADDED: &str = "This passkey is already registered.";
const LAST_WAY_IN: &str =
    "This is the last way to log in to this account; add another passkey or set a password first.";

/// The site as a WebAuthn relying party: `None` when the base URL's host is no domain name
/// (an IP address cannot be an RP id), and then passkeys are unavailable.
#[derive(Clone)]
pub struct RelyingParty(Option<Arc<Webauthn>>);

impl RelyingParty {
    /// The site at `base_url`, shown to people as `site_name`.
    pub fn new(base_url: &str, site_name: &str) -> Self {
        let webauthn = Url::parse(base_url).ok().and_then(|origin| {
            let id = origin.domain()?.to_string();
            WebauthnBuilder::new(&id, &origin)
                .ok()?
                .rp_name(site_name)
                .timeout(std::time::Duration::from_secs(CEREMONY_LIFETIME as u64))
                .build()
                .ok()
        });
        Self(webauthn.map(Arc::new))
    }

    fn webauthn(&self) -> Result<Arc<Webauthn>, AccountError> {
        self.0
            .clone()
            .ok_or_else(|| AccountError::invalid("passkey", UNAVAILABLE))
    }
}

/// The first half of a ceremony: the id to finish it with, and the options for
/// `navigator.credentials` as JSON.
pub struct CeremonyStart {
    pub id: String,
    pub options: String,
}

/// A passkey as its owner's page lists it.
pub type PasskeySummary = PasskeyRow;

/// A new passkey as the form sends it: its name and the browser's answer (JSON).
#[derive(Debug, Clone, Default)]
pub struct NewPasskeyForm {
    pub name: String,
    pub credential: String,
}

/// What a ceremony is for; stored with it and checked when it is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Register,
    Login,
    SecondStep,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::SecondStep => "second_step",
        }
    }
}

/// A registration between its requests: the account's handle goes with it.
#[derive(Serialize, Deserialize)]
struct Registration {
    user_handle: Uuid,
    state: PasskeyRegistration,
}

/// How a passkey answer fared, inside its transaction (refusals are stored, then returned).
enum Checked {
    Accepted(User),
    Refused(AccountError),
}

impl Checked {
    /// After the transaction committed: the refusal becomes the use case's error.
    fn into_result(self) -> Result<User, AccountError> {
        match self {
            Self::Accepted(user) => Ok(user),
            Self::Refused(error) => Err(error),
        }
    }
}

impl Accounts {
    /// False when the site's address cannot carry passkeys (see [`RelyingParty`]).
    pub fn passkeys_available(&self) -> bool {
        self.relying_party.0.is_some()
    }

    /// The account's passkeys, oldest first.
    pub async fn passkeys(&self, user: &User) -> Result<Vec<PasskeySummary>, AccountError> {
        let id = user.id;
        self.db
            .run(move |conn| Ok::<_, AccountError>(passkeys::list_for_user(conn, id)?))
            .await
    }

    /// Begins adding a passkey to `user`'s account. The authenticator is asked for a
    /// discoverable credential (so it can sign in with no email typed) where it can make
    /// one, with user verification, and not for one it already holds for this account.
    pub async fn start_passkey_registration(
        &self,
        user: &User,
    ) -> Result<CeremonyStart, AccountError> {
        let webauthn = self.relying_party.webauthn()?;
        let (user, now) = (user.clone(), self.now());
        self.db
            .transaction(move |conn| {
                let existing = passkeys::list_for_user(conn, user.id)?;
                let user_handle = existing
                    .first()
                    .and_then(|row| row.user_handle.parse().ok())
                    .unwrap_or_else(Uuid::new_v4);
                let exclude = existing
                    .iter()
                    .filter_map(|row| hex::decode(&row.credential_id).ok())
                    .collect();
                let (challenge, state) = webauthn
                    .start_passkey_registration(user_handle, &user.email, &user.name, Some(exclude))
                    .map_err(AccountError::internal)?;
                let mut options =
                    serde_json::to_value(challenge).map_err(AccountError::internal)?;
                options["publicKey"]["authenticatorSelection"]["residentKey"] = "preferred".into();
                let state = Registration { user_handle, state };
                begin(
                    conn,
                    Purpose::Register,
                    Some(user.id),
                    &state,
                    &options,
                    now,
                )
            })
            .await
    }

    /// Finishes adding a passkey: the name is checked first (a wrong one loses nothing: the
    /// ceremony is still there), then the ceremony is taken and the browser's answer checked.
    /// Audited and mailed to the owner.
    pub async fn add_passkey(
        &self,
        user: &User,
        ceremony: &str,
        form: NewPasskeyForm,
        ip: impl Display,
    ) -> Result<PasskeyRow, AccountError> {
        let name = PasskeyName::parse(&form.name).map_err(|m| AccountError::invalid("name", m))?;
        let answer: RegisterPublicKeyCredential = parse_answer(&form.credential)?;
        let webauthn = self.relying_party.webauthn()?;
        let (owner, ceremony, ip, now) = (
            user.clone(),
            ceremony.to_string(),
            ip.to_string(),
            self.now(),
        );
        let base_url = self.base_url.clone();
        let added = self
            .db
            .transaction(move |conn| {
                let taken = take(conn, &ceremony, Purpose::Register, Some(owner.id), now)?;
                let registration: Registration = read_state(&taken)?;
                // A refusal from here on keeps the ceremony taken: it is answered once.
                let passkey =
                    match webauthn.finish_passkey_registration(&answer, &registration.state) {
                        Ok(passkey) => passkey,
                        Err(error) => return Ok(Err(refusal(&error, &base_url))),
                    };
                let credential_id = hex::encode(passkey.cred_id().as_slice());
                if passkeys::find_by_credential_id(conn, &credential_id)?.is_some() {
                    return Ok(Err(AccountError::invalid("passkey", ALREADY_ADDED)));
                }
                let flags = CredentialFlags::of(&passkey)?;
                let row = passkeys::insert(
                    conn,
                    &NewPasskey {
                        user_id: owner.id,
                        credential_id: &credential_id,
                        user_handle: &registration.user_handle.to_string(),
                        name: name.as_str(),
                        passkey: &flags.json,
                        sign_count: flags.counter,
                        backup_eligible: flags.backup_eligible,
                        backup_state: flags.backup_state,
                        created_at: now,
                    },
                )?;
                AuditEntry::own(action::PASSKEY_ADD, &owner, &ip)
                    .detail(format!("passkey {:?}", row.name))
                    .write(conn, now)?;
                Ok::<_, AccountError>(Ok(row))
            })
            .await?;
        let row = added?;
        self.mail(mails::passkey_added(&self.site_name, user, &row.name));
        Ok(row)
    }

    /// Renames one of the owner's passkeys.
    pub async fn rename_passkey(
        &self,
        user: &User,
        id: i64,
        name: &str,
        ip: impl Display,
    ) -> Result<(), AccountError> {
        let name = PasskeyName::parse(name).map_err(|m| AccountError::invalid("name", m))?;
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        self.db
            .transaction(move |conn| {
                if passkeys::rename(conn, owner.id, id, name.as_str())? == 0 {
                    return Err(AccountError::NotFound);
                }
                AuditEntry::own(action::PASSKEY_RENAME, &owner, &ip)
                    .detail(format!("passkey {id} is now {:?}", name.as_str()))
                    .write(conn, now)?;
                Ok(())
            })
            .await
    }

    /// Removes one of the owner's passkeys (the caller asked for the password again first).
    /// The last way into an account without a password is not removed.
    pub async fn remove_passkey(
        &self,
        user: &User,
        id: i64,
        ip: impl Display,
    ) -> Result<PasskeyRow, AccountError> {
        let (owner, ip, now) = (user.clone(), ip.to_string(), self.now());
        let removed = self
            .db
            .transaction(move |conn| {
                let removed =
                    passkeys::delete_for_user(conn, owner.id, id)?.ok_or(AccountError::NotFound)?;
                if !super::external_sign_in::has_a_way_in(conn, &owner)? {
                    return Err(AccountError::invalid("passkey", LAST_WAY_IN));
                }
                AuditEntry::own(action::PASSKEY_REMOVE, &owner, &ip)
                    .detail(format!("passkey {:?}", removed.name))
                    .write(conn, now)?;
                Ok(removed)
            })
            .await?;
        let what = format!(
            "the passkey \"{}\" was removed from your {} account",
            removed.name, self.site_name
        );
        self.mail(mails::passkeys_removed(&self.site_name, user, &what));
        Ok(removed)
    }

    /// Begins a login with no password: the browser offers the passkeys it holds for this site.
    pub async fn start_passkey_login(&self) -> Result<CeremonyStart, AccountError> {
        let webauthn = self.relying_party.webauthn()?;
        let now = self.now();
        self.db
            .transaction(move |conn| {
                let (challenge, state) = webauthn
                    .start_discoverable_authentication()
                    .map_err(AccountError::internal)?;
                let mut options =
                    serde_json::to_value(challenge).map_err(AccountError::internal)?;
                // A button press, not the autofill ("conditional") flow.
                if let Some(options) = options.as_object_mut() {
                    options.remove("mediation");
                }
                begin(conn, Purpose::Login, None, &state, &options, now)
            })
            .await
    }

    /// Finishes a login with no password: the passkey names its account, which must be
    /// active and not locked; the person was verified by the authenticator (PIN or
    /// biometrics), so this is a whole login even with two-step login on.
    pub async fn log_in_with_passkey(
        &self,
        ceremony: &str,
        credential: &str,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        let answer: PublicKeyCredential = parse_answer(credential)?;
        let webauthn = self.relying_party.webauthn()?;
        let (ceremony, ip, now) = (ceremony.to_string(), ip.to_string(), self.now());
        let base_url = self.base_url.clone();
        let checked = self
            .db
            .transaction(move |conn| {
                let taken = take(conn, &ceremony, Purpose::Login, None, now)?;
                let state: DiscoverableAuthentication = read_state(&taken)?;
                let (row, claimant) = match gate(conn, &webauthn, &answer, &ip, now)? {
                    Ok(found) => found,
                    Err(refusal) => return Ok(Checked::Refused(refusal)),
                };
                let use_ = PasskeyUse::new(row, claimant, &ip, now)?;
                let result =
                    webauthn.finish_discoverable_authentication_v2(&answer, state, &use_.passkey);
                use_.settle(conn, result, action::LOGIN, &base_url)
            })
            .await?;
        checked.into_result()
    }

    /// Begins the second step of a login with one of the account's passkeys.
    pub async fn start_passkey_second_step(
        &self,
        pending: PendingLogin,
    ) -> Result<CeremonyStart, AccountError> {
        let now = self.now();
        if pending.is_expired(now) {
            return Err(AccountError::LinkExpired);
        }
        let webauthn = self.relying_party.webauthn()?;
        self.db
            .transaction(move |conn| {
                let stored = passkeys::list_for_user(conn, pending.user_id)?;
                if stored.is_empty() {
                    return Err(AccountError::invalid(
                        "passkey",
                        "This account has no passkey.",
                    ));
                }
                let keys = stored
                    .iter()
                    .map(stored_passkey)
                    .collect::<Result<Vec<_>, _>>()?;
                let (challenge, state) = webauthn
                    .start_passkey_authentication(&keys)
                    .map_err(AccountError::internal)?;
                let options = serde_json::to_value(challenge).map_err(AccountError::internal)?;
                begin(
                    conn,
                    Purpose::SecondStep,
                    Some(pending.user_id),
                    &state,
                    &options,
                    now,
                )
            })
            .await
    }

    /// The second step of a login with a passkey instead of a code.
    pub async fn finish_login_with_passkey(
        &self,
        pending: PendingLogin,
        ceremony: &str,
        credential: &str,
        ip: impl Display,
    ) -> Result<User, AccountError> {
        if pending.is_expired(self.now()) {
            return Err(AccountError::LinkExpired);
        }
        let answer: PublicKeyCredential = parse_answer(credential)?;
        let webauthn = self.relying_party.webauthn()?;
        let (ceremony, ip, now) = (ceremony.to_string(), ip.to_string(), self.now());
        let base_url = self.base_url.clone();
        let checked = self
            .db
            .transaction(move |conn| {
                let taken = take(
                    conn,
                    &ceremony,
                    Purpose::SecondStep,
                    Some(pending.user_id),
                    now,
                )?;
                let state: PasskeyAuthentication = read_state(&taken)?;
                let (row, claimant) = match second_step_gate(conn, pending, &answer, &ip, now)? {
                    Ok(found) => found,
                    Err(refusal) => return Ok(Checked::Refused(refusal)),
                };
                let use_ = PasskeyUse::new(row, claimant, &ip, now)?;
                let result = webauthn.finish_passkey_authentication(&answer, &state);
                use_.settle(conn, result, action::LOGIN_SECOND_FACTOR, &base_url)
            })
            .await?;
        checked.into_result()
    }

    /// How many passkeys the account has.
    pub async fn passkey_count(&self, user_id: i64) -> Result<i64, AccountError> {
        self.db
            .run(move |conn| Ok::<_, AccountError>(passkeys::count_for_user(conn, user_id)?))
            .await
    }
}

/// One passkey answer being settled, inside its transaction.
struct PasskeyUse<'a> {
    row: PasskeyRow,
    passkey: Passkey,
    claimant: Claimant,
    ip: &'a str,
    now: i64,
}

impl<'a> PasskeyUse<'a> {
    /// The stored passkey of `row`, about to be checked for `claimant`.
    fn new(
        row: PasskeyRow,
        claimant: Claimant,
        ip: &'a str,
        now: i64,
    ) -> Result<Self, AccountError> {
        let passkey = stored_passkey(&row)?;
        Ok(Self {
            row,
            passkey,
            claimant,
            ip,
            now,
        })
    }

    /// Records what the check found: on success the new counter and backup state, the login
    /// and the audit row (`failure_action`'s success is a login); on failure a counted
    /// failure, and a row of its own when the counter went backwards.
    fn settle(
        mut self,
        conn: &mut DbConnection,
        result: Result<AuthenticationResult, WebauthnError>,
        failure_action: &'static str,
        base_url: &str,
    ) -> Result<Checked, AccountError> {
        let Some(user) = self.claimant.user.clone() else {
            return Err(AccountError::LoginRefused);
        };
        let result = match result {
            Ok(result) => result,
            Err(error) => {
                if matches!(error, WebauthnError::CredentialPossibleCompromise) {
                    AuditEntry::new(action::PASSKEY_COUNTER_REGRESSION, Outcome::Failure)
                        .on(&user)
                        .from(self.ip)
                        .detail(format!(
                            "passkey {:?}: the signature counter went backwards (a copied authenticator?)",
                            self.row.name
                        ))
                        .write(conn, self.now)?;
                }
                let audit = AuditEntry::new(failure_action, Outcome::Failure)
                    .from(self.ip)
                    .detail(format!("passkey refused: {error}"));
                count_failure(conn, &self.claimant, audit, self.ip, self.now)?;
                return Ok(Checked::Refused(refusal(&error, base_url)));
            }
        };
        let _changed = self.passkey.update_credential(&result);
        let json = serde_json::to_string(&self.passkey).map_err(AccountError::internal)?;
        let counter = i64::from(result.counter());
        passkeys::record_use(
            conn,
            self.row.id,
            &json,
            counter,
            result.backup_state(),
            self.now,
        )?;
        users::record_login(conn, user.id, self.now)?;
        throttles::clear(conn, &self.claimant.email)?;
        AuditEntry::own(action::LOGIN, &user, self.ip)
            .detail(format!("with the passkey {:?}", self.row.name))
            .write(conn, self.now)?;
        Ok(Checked::Accepted(user))
    }
}

/// Who a passwordless answer claims to be, if they may try: the passkey must be known, its
/// account active and not locked. A refusal is audited here and answered as a value, so
/// the audit row commits with the taken ceremony.
fn gate(
    conn: &mut DbConnection,
    webauthn: &Webauthn,
    answer: &PublicKeyCredential,
    ip: &str,
    now: i64,
) -> Result<Result<(PasskeyRow, Claimant), AccountError>, AccountError> {
    let failure = || AuditEntry::new(action::LOGIN, Outcome::Failure).from(ip);
    let Some((row, user)) = owner_of(conn, webauthn, answer)? else {
        failure()
            .on_label("passkey")
            .detail("unknown passkey")
            .write(conn, now)?;
        return Ok(Err(AccountError::invalid("passkey", NOT_ACCEPTED)));
    };
    if !user.active {
        failure()
            .on(&user)
            .detail("account disabled")
            .write(conn, now)?;
        return Ok(Err(AccountError::invalid("passkey", NOT_ACCEPTED)));
    }
    let claimant = Claimant::new(Some(user.clone()), &user.email);
    if let Some(retry_after) = locked_for(conn, &claimant, now)? {
        claimant
            .audit(failure())
            .detail("account locked")
            .write(conn, now)?;
        return Ok(Err(AccountError::Locked { retry_after }));
    }
    Ok(Ok((row, claimant)))
}

/// The passkey a second-step answer names, if it may be tried: the half-logged-in account
/// must still be active and not locked, and the passkey must be one of its own (another is
/// a counted failure, which commits with the taken ceremony).
fn second_step_gate(
    conn: &mut DbConnection,
    pending: PendingLogin,
    answer: &PublicKeyCredential,
    ip: &str,
    now: i64,
) -> Result<Result<(PasskeyRow, Claimant), AccountError>, AccountError> {
    let Some(user) = users::find_by_id(conn, pending.user_id)?.filter(|u| u.active) else {
        return Ok(Err(AccountError::LoginRefused));
    };
    let claimant = Claimant::new(Some(user.clone()), &user.email);
    if let Some(retry_after) = locked_for(conn, &claimant, now)? {
        return Ok(Err(AccountError::Locked { retry_after }));
    }
    let credential_id = hex::encode(answer.get_credential_id());
    let own =
        passkeys::find_by_credential_id(conn, &credential_id)?.filter(|row| row.user_id == user.id);
    let Some(row) = own else {
        let audit = AuditEntry::new(action::LOGIN_SECOND_FACTOR, Outcome::Failure)
            .from(ip)
            .detail("a passkey not of this account");
        count_failure(conn, &claimant, audit, ip, now)?;
        return Ok(Err(AccountError::invalid("passkey", NOT_ACCEPTED)));
    };
    Ok(Ok((row, claimant)))
}

/// The passkey a discoverable answer names, and its owner's account; `None` when no
/// stored passkey matches both the credential id and the account handle.
fn owner_of(
    conn: &mut DbConnection,
    webauthn: &Webauthn,
    answer: &PublicKeyCredential,
) -> Result<Option<(PasskeyRow, User)>, AccountError> {
    let Ok((handle, credential_id)) = webauthn.identify_discoverable_authentication(answer) else {
        return Ok(None);
    };
    let Some(row) = passkeys::find_by_credential_id(conn, &hex::encode(credential_id))? else {
        return Ok(None);
    };
    if row.user_handle != handle.to_string() {
        return Ok(None);
    }
    Ok(users::find_by_id(conn, row.user_id)?.map(|user| (row, user)))
}

/// Seconds until the claimant's lock lifts, if their email is locked now.
fn locked_for(
    conn: &mut DbConnection,
    claimant: &Claimant,
    now: i64,
) -> Result<Option<u64>, AccountError> {
    let until = throttles::find(conn, &claimant.email)?.and_then(|t| t.locked_until);
    Ok(until
        .filter(|until| *until > now)
        .map(|until| (until - now).unsigned_abs()))
}

/// Stores a ceremony's state and answers its id and the browser's options.
fn begin(
    conn: &mut DbConnection,
    purpose: Purpose,
    user_id: Option<i64>,
    state: &impl Serialize,
    options: &serde_json::Value,
    now: i64,
) -> Result<CeremonyStart, AccountError> {
    let ceremony = CeremonyRow {
        id: crypto::random_id(),
        purpose: purpose.as_str().into(),
        user_id,
        state: serde_json::to_string(state).map_err(AccountError::internal)?,
        expires_at: now + CEREMONY_LIFETIME,
    };
    passkeys::insert_ceremony(conn, &ceremony)?;
    Ok(CeremonyStart {
        id: ceremony.id,
        options: options.to_string(),
    })
}

/// Takes the ceremony `id` if it is live, for this purpose and this account.
fn take(
    conn: &mut DbConnection,
    id: &str,
    purpose: Purpose,
    user_id: Option<i64>,
    now: i64,
) -> Result<CeremonyRow, AccountError> {
    passkeys::take_ceremony(conn, id, now)?
        .filter(|ceremony| ceremony.purpose == purpose.as_str() && ceremony.user_id == user_id)
        .ok_or_else(|| AccountError::invalid("passkey", EXPIRED))
}

fn read_state<T: for<'de> Deserialize<'de>>(ceremony: &CeremonyRow) -> Result<T, AccountError> {
    serde_json::from_str(&ceremony.state).map_err(AccountError::internal)
}

fn parse_answer<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, AccountError> {
    if json.trim().is_empty() {
        return Err(AccountError::invalid(
            "passkey",
            "No passkey answered. Use the passkey button (it needs JavaScript) and follow your browser.",
        ));
    }
    serde_json::from_str(json).map_err(|_| AccountError::invalid("passkey", UNREADABLE))
}

fn stored_passkey(row: &PasskeyRow) -> Result<Passkey, AccountError> {
    serde_json::from_str(&row.passkey).map_err(AccountError::internal)
}

/// What webauthn-rs found wrong, said so that the person (or the operator) can act on it.
fn refusal(error: &WebauthnError, base_url: &str) -> AccountError {
    let message = match error {
        WebauthnError::InvalidRPOrigin => format!(
            "This passkey answered for another address than this site's. Open the site at {base_url} and try again."
        ),
        WebauthnError::InvalidRPIDHash => {
            format!("This passkey belongs to another site, not {base_url}.")
        }
        WebauthnError::UserNotVerified => {
            "Your device did not confirm it was you (PIN, fingerprint or face). Try again.".into()
        }
        WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => EXPIRED.into(),
        _ => NOT_ACCEPTED.into(),
    };
    AccountError::invalid("passkey", message)
}

/// The credential as stored, and the counter and backup flags read from it.
struct CredentialFlags {
    json: String,
    counter: i64,
    backup_eligible: bool,
    backup_state: bool,
}

impl CredentialFlags {
    fn of(passkey: &Passkey) -> Result<Self, AccountError> {
        let value = serde_json::to_value(passkey).map_err(AccountError::internal)?;
        let credential = &value["cred"];
        Ok(Self {
            json: value.to_string(),
            counter: credential["counter"].as_i64().unwrap_or(0),
            backup_eligible: credential["backup_eligible"].as_bool().unwrap_or(false),
            backup_state: credential["backup_state"].as_bool().unwrap_or(false),
        })
    }
}
