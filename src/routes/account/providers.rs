//! Signing in with an external OpenID Connect provider, and a person's linked providers:
//! `POST /oidc/{provider}/start` (from the login and sign-up pages), `GET
//! /oidc/{provider}/callback` (where the provider sends the browser back), `GET,POST
//! /oidc/link` (the password of the account that has the provider's email, once),
//! `GET /profile/providers`, `POST /profile/providers/{provider}/link`, `.../unlink` and
//! `.../confirm` (re-authentication with the provider, for an account without a password).
//!
//! The flow's secrets (`state`, nonce, PKCE verifier) wait in the session and are taken
//! once; the protocol is `oidc`'s, the rules `accounts::external_sign_in`'s. Whatever goes
//! wrong is a page that says what happened and how to go back, never a 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::external_sign_in::{LinkedProvider, PendingLink, ProviderSignIn};
use crate::accounts::login::LoginStep;
use crate::accounts::{AccountError, FieldErrors, User};
use crate::auth::session_state::{ProviderFlow, ProviderIntent};
use crate::auth::{CurrentUser, MaybeUser, NewSession, RecentlyAuthenticated, TypedSession};
use crate::domain::{ExternalIdentity, SecretString};
use crate::errors::AppError;
use crate::oidc::OidcError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, local_path, render, see_other};

const PROFILE_PAGE: &str = "/profile/providers";
const LINK_PAGE: &str = "/oidc/link";

/// A sign-in with a provider that went wrong: what happened, and the way back.
#[derive(Template)]
#[template(path = "account/provider_problem.html")]
struct ProblemPage {
    page: PageContext,
    message: String,
    back: &'static str,
    back_label: &'static str,
}

struct Problem {
    status: StatusCode,
    message: String,
}

impl Problem {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// The page, with the way back to where such a sign-in starts.
    fn page(self, page: &Page, user: Option<&User>) -> Result<HttpResponse, AppError> {
        let (back, back_label) = match user {
            Some(_) => (PROFILE_PAGE, "Back to your sign-in providers"),
            None => ("/login", "Back to the login page"),
        };
        let view = ProblemPage {
            page: page.context(user),
            message: self.message,
            back,
            back_label,
        };
        render(self.status, &view)
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        Self::new(error.status_code(), error.public_message())
    }
}

impl From<OidcError> for Problem {
    fn from(error: OidcError) -> Self {
        let status = match error {
            OidcError::UnknownProvider => StatusCode::NOT_FOUND,
            OidcError::Unreachable(_) => StatusCode::BAD_GATEWAY,
            OidcError::Refused(..) | OidcError::Untrusted(..) => StatusCode::FORBIDDEN,
        };
        Self::new(status, error.to_string())
    }
}

/// An account rule that refused the sign-in: its message, or an error page.
fn refused(error: AccountError) -> Result<Problem, AppError> {
    let refusal = FormRefusal::from_error(error)?;
    let message = refusal.summary().unwrap_or_default();
    Ok(Problem::new(refusal.status, message))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StartForm {
    next: String,
}

/// A provider sign-in about to start: with which provider, what for, for whom, and where to
/// go afterwards.
struct FlowRequest<'a> {
    provider: &'a str,
    intent: ProviderIntent,
    user: Option<&'a User>,
    next: String,
}

/// Sends the browser to the provider, with the flow's secrets kept in the session; or the
/// page that says why not.
async fn begin(
    state: &AppState,
    page: &Page,
    session: &TypedSession,
    request: FlowRequest<'_>,
) -> Result<HttpResponse, AppError> {
    let reauthenticate = request.intent == ProviderIntent::Confirm;
    let authorization = match state
        .providers
        .start(request.provider, reauthenticate)
        .await
    {
        Ok(authorization) => authorization,
        Err(error) => return Problem::from(error).page(page, request.user),
    };
    session.begin_provider_flow(&ProviderFlow {
        provider: request.provider.to_string(),
        intent: request.intent,
        secrets: authorization.secrets,
        user_id: request.user.map(|u| u.id),
        next: request.next,
        started_at: state.now(),
    })?;
    Ok(see_other(&authorization.url))
}

#[post("/oidc/{provider}/start")]
pub async fn start(
    state: web::Data<AppState>,
    page: Page,
    visitor: MaybeUser,
    provider: web::Path<String>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(Some(&form.next)).unwrap_or_else(|| "/profile".into());
    if visitor.user.is_some() {
        return Ok(see_other(&next));
    }
    let request = FlowRequest {
        provider: &provider,
        intent: ProviderIntent::SignIn,
        user: None,
        next,
    };
    begin(&state, &page, &visitor.session, request).await
}

/// "Confirm with <provider>": where to go afterwards, and the code with two-step login on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    next: String,
    code: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
}

#[get("/oidc/{provider}/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    page: Page,
    visitor: MaybeUser,
    login: NewSession,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let flow = visitor.session.take_provider_flow();
    let identity = match verified_identity(&state, flow.as_ref(), &provider, &query).await {
        Ok(identity) => identity,
        Err(problem) => return problem.page(&page, visitor.user.as_ref()),
    };
    let flow = flow.expect("a verified identity comes from a flow");
    let result = match flow.intent {
        ProviderIntent::SignIn => return sign_in(&state, &page, &login, identity, &flow).await,
        ProviderIntent::Link | ProviderIntent::Confirm => {
            on_own_account(&state, &visitor, &login, identity, &flow).await
        }
    };
    match result {
        Ok(response) => Ok(response),
        Err(problem) => problem.page(&page, visitor.user.as_ref()),
    }
}

/// The provider's answer, checked against the flow this session started.
async fn verified_identity(
    state: &AppState,
    flow: Option<&ProviderFlow>,
    provider: &str,
    query: &CallbackQuery,
) -> Result<ExternalIdentity, Problem> {
    let display = state
        .providers
        .display_name(provider)
        .ok_or(OidcError::UnknownProvider)?;
    let Some(flow) = flow.filter(|flow| flow.provider == provider) else {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!(
                "This sign-in with {display} did not start in this browser, or it was finished \
                 already. Start again."
            ),
        ));
    };
    if !query.error.is_empty() {
        let message = match query.error.as_str() {
            "access_denied" => format!("You cancelled signing in with {display}."),
            other => format!("{display} could not sign you in ({}).", short(other)),
        };
        return Err(Problem::new(StatusCode::BAD_REQUEST, message));
    }
    if query.state.is_empty() || query.state != flow.secrets.state {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!(
                "This answer from {display} does not belong to the sign-in you started. Start again."
            ),
        ));
    }
    if flow.is_expired(state.now()) {
        return Err(Problem::new(
            StatusCode::GONE,
            format!("Signing in with {display} took more than ten minutes. Start again."),
        ));
    }
    let identity = state
        .providers
        .finish(provider, &query.code, &flow.secrets, state.now())
        .await?;
    Ok(identity)
}

/// A provider's error code, as much of it as is worth repeating.
fn short(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

/// A sign-in from the login or sign-up page.
async fn sign_in(
    state: &AppState,
    page: &Page,
    login: &NewSession,
    identity: ExternalIdentity,
    flow: &ProviderFlow,
) -> Result<HttpResponse, AppError> {
    let result = state
        .accounts
        .sign_in_with_provider(identity, login.ip())
        .await;
    let step = match result {
        Ok(ProviderSignIn::LoggedIn(step)) => step,
        Ok(ProviderSignIn::SignedUp(user)) => LoginStep::Done(user),
        Ok(ProviderSignIn::ProveOwnership(pending)) => {
            login.session().await_provider_link(&pending)?;
            return Ok(see_other(LINK_PAGE));
        }
        Err(error) => return refused(error)?.page(page, None),
    };
    login.continue_login(step, false, &flow.next)
}

/// A link or a confirmation, for the account logged in when the flow started.
async fn on_own_account(
    state: &AppState,
    visitor: &MaybeUser,
    login: &NewSession,
    identity: ExternalIdentity,
    flow: &ProviderFlow,
) -> Result<HttpResponse, Problem> {
    let Some(user) = visitor.user.as_ref().filter(|u| Some(u.id) == flow.user_id) else {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "You are no longer logged in as the account this was for. Log in and start again.",
        ));
    };
    let (accounts, ip) = (&state.accounts, login.ip());
    let refusal = |error| refused(error).unwrap_or_else(Problem::from);
    match flow.intent {
        ProviderIntent::Link => {
            accounts
                .link_provider(user, identity, ip)
                .await
                .map_err(refusal)?;
            visitor
                .session
                .set_flash("The provider was linked to your account.")?;
        }
        _ => {
            let confirmed = accounts.confirm_with_provider(user, &identity, ip).await;
            confirmed.map_err(refusal)?;
            visitor.session.reauthenticated(state.now())?;
        }
    }
    // A link's flow goes back to the providers page; a confirmation to where it was asked.
    Ok(see_other(&flow.next))
}

/// `GET,POST /oidc/link`: the password of the account with the provider's email.
#[derive(Template)]
#[template(path = "account/provider_link.html")]
struct LinkPage {
    page: PageContext,
    provider: String,
    email: String,
    two_factor: bool,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    password: SecretString,
    code: String,
}

async fn link_page(
    state: &AppState,
    page: &Page,
    pending: &PendingLink,
    errors: FieldErrors,
) -> Result<LinkPage, AppError> {
    let owner = state.accounts.active_user(pending.user_id).await?;
    Ok(LinkPage {
        page: page.context(None),
        provider: pending.identity.provider_name.clone(),
        email: pending.email.clone(),
        two_factor: owner.is_some_and(|u| u.has_two_factor()),
        errors,
    })
}

/// The pending link, if this session has one that has not expired.
fn pending_link(state: &AppState, session: &TypedSession) -> Option<PendingLink> {
    let pending = session.provider_link()?;
    if pending.is_expired(state.now()) {
        session.forget_provider_link();
        return None;
    }
    Some(pending)
}

#[get("/oidc/link")]
pub async fn link_form(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let Some(pending) = pending_link(&state, &session) else {
        return Ok(see_other("/login"));
    };
    let view = link_page(&state, &page, &pending, FieldErrors::default()).await?;
    render(StatusCode::OK, &view)
}

#[post("/oidc/link")]
pub async fn link_submit(
    state: web::Data<AppState>,
    page: Page,
    login: NewSession,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    let Some(pending) = pending_link(&state, login.session()) else {
        let problem = Problem::new(
            StatusCode::GONE,
            "Linking took more than ten minutes, or was finished already. Sign in with the provider again.",
        );
        return problem.page(&page, None);
    };
    let result = state
        .accounts
        .link_with_password(&pending, &form.password, &form.code, login.ip())
        .await;
    match result {
        Ok(user) => {
            login.session().forget_provider_link();
            login.start(&user, false, "/profile")
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let errors = match refusal.errors.get("code") {
                Some(message) => FieldErrors::single("code", message),
                None => FieldErrors::single("password", refusal.summary().unwrap_or_default()),
            };
            refusal.render(&link_page(&state, &page, &pending, errors).await?)
        }
    }
}

/// `GET /profile/providers`: each configured provider, linked or not.
#[derive(Template)]
#[template(path = "account/providers.html")]
struct ProvidersPage {
    page: PageContext,
    providers: Vec<ProviderView>,
    errors: FieldErrors,
}

struct ProviderView {
    name: String,
    display_name: String,
    /// The link, when this provider is linked: the email it gave, when, last used.
    linked: Option<(String, String, String)>,
}

async fn providers_page(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    errors: FieldErrors,
) -> Result<ProvidersPage, AppError> {
    let linked: Vec<LinkedProvider> = state.accounts.linked_providers(&me.user).await?;
    let providers = state
        .providers
        .list()
        .into_iter()
        .map(|provider| ProviderView {
            linked: linked
                .iter()
                .find(|l| l.provider == provider.name)
                .map(|l| {
                    (
                        l.email.clone().unwrap_or_default(),
                        format_time(l.created_at),
                        l.last_used_at.map_or("never".into(), format_time),
                    )
                }),
            name: provider.name,
            display_name: provider.display_name,
        })
        .collect();
    Ok(ProvidersPage {
        page: page.context(Some(&me.user)),
        providers,
        errors,
    })
}

#[get("/profile/providers")]
pub async fn list(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let view = providers_page(&state, &page, &me, FieldErrors::default()).await?;
    render(StatusCode::OK, &view)
}

#[post("/profile/providers/{provider}/link")]
pub async fn link(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    provider: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let request = FlowRequest {
        provider: &provider,
        intent: ProviderIntent::Link,
        user: Some(&me.user),
        next: PROFILE_PAGE.into(),
    };
    begin(&state, &page, &me.session, request).await
}

#[post("/profile/providers/{provider}/unlink")]
pub async fn unlink(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    provider: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let display = state
        .providers
        .display_name(&provider)
        .unwrap_or_else(|| provider.to_string());
    match state
        .accounts
        .unlink_provider(&me.user, &provider, &display, ip)
        .await
    {
        Ok(()) => {
            me.session
                .set_flash(&format!("{display} was unlinked from your account."))?;
            Ok(see_other(PROFILE_PAGE))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let view = providers_page(&state, &page, &me, refusal.errors.clone()).await?;
            refusal.render(&view)
        }
    }
}

/// "Confirm it's you" with a linked provider, for an account without a password (the
/// code first, with two-step login on).
#[post("/profile/providers/{provider}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    provider: web::Path<String>,
    ip: ClientIp,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(Some(&form.next)).unwrap_or_else(|| "/profile".into());
    if me.user.has_password() {
        let problem = Problem::new(
            StatusCode::FORBIDDEN,
            "Confirm it's you with your password (and your code, with two-step login on).",
        );
        return problem.page(&page, Some(&me.user));
    }
    if me.user.has_two_factor() {
        let checked = state
            .accounts
            .check_code_before_provider(&me.user, &form.code, ip)
            .await;
        if let Err(error) = checked {
            return super::reauth::code_refused(&state, &page, &me, next, error).await;
        }
    }
    let request = FlowRequest {
        provider: &provider,
        intent: ProviderIntent::Confirm,
        user: Some(&me.user),
        next,
    };
    begin(&state, &page, &me.session, request).await
}
