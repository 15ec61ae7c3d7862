//! Starting a logged-in session for someone who just proved who they are (a password
//! login, a sign-up, the first admin): a new session key (no fixation), a new CSRF token,
//! and where and with what browser they logged in, for `/sessions`.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};

use super::TypedSession;
use super::session_state::{LoginContext, SecondStep};
use crate::accounts::login::LoginStep;
use crate::accounts::{AccountError, User};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, see_other};

/// Where a login with two-step login on goes after the right password.
pub const SECOND_STEP_PATH: &str = "/login/two-factor";

/// The session a login will start, with the request's client IP and user agent.
pub struct NewSession {
    session: TypedSession,
    ip: ClientIp,
    user_agent: Option<String>,
    now: i64,
}

impl FromRequest for NewSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let now = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.now());
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        ready(match now {
            Some(now) => Ok(Self {
                session: TypedSession::of(req),
                ip: ClientIp::of(req),
                user_agent,
                now,
            }),
            None => Err(AppError::internal("application state missing").into()),
        })
    }
}

impl NewSession {
    /// The session the login will start in.
    pub fn session(&self) -> &TypedSession {
        &self.session
    }

    /// Where the request comes from.
    pub fn ip(&self) -> ClientIp {
        self.ip
    }

    /// Logs `user` in under a new session key and sends them on to `location`.
    pub fn start(
        &self,
        user: &User,
        remember: bool,
        location: &str,
    ) -> Result<HttpResponse, AppError> {
        self.session.log_in(&LoginContext {
            user_id: user.id,
            remember,
            ip: self.ip.to_string(),
            user_agent: self.user_agent.clone(),
            authenticated_at: self.now,
        })?;
        Ok(see_other(location))
    }

    /// A login whose first step passed (a password, a provider): the new session and a
    /// redirect to `location`; or, when the account has two-step login, the way to its
    /// second step.
    pub fn continue_login(
        &self,
        step: LoginStep,
        remember: bool,
        location: &str,
    ) -> Result<HttpResponse, AppError> {
        match step {
            LoginStep::Done(user) => self.start(&user, remember, location),
            LoginStep::SecondStep(pending) => {
                self.session.await_second_step(&SecondStep {
                    user_id: pending.user_id,
                    since: pending.since,
                    remember,
                    next: location.to_string(),
                })?;
                Ok(see_other(SECOND_STEP_PATH))
            }
        }
    }

    /// The end of every form that logs someone in (login, sign-up, first admin): the login
    /// goes on ([`NewSession::continue_login`]), or the form comes again (`form_again`) with
    /// the refusal's messages, status and headers.
    pub fn log_in_or_show_form<V: askama::Template>(
        &self,
        result: Result<LoginStep, AccountError>,
        remember: bool,
        location: &str,
        form_again: impl FnOnce(&FormRefusal) -> V,
    ) -> Result<HttpResponse, AppError> {
        match result {
            Ok(step) => self.continue_login(step, remember, location),
            Err(error) => FormRefusal::show(error, form_again),
        }
    }
}
