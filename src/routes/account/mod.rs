//! The signed-up user's own pages: sign-up, login, logout, profile, password, sessions,
//! API tokens.

mod login;
mod password;
mod password_reset;
mod profile;
mod reauth;
mod register;
mod sessions;
mod tokens;
mod verify_email;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::TypedSession;
use crate::auth::session_state::LoginContext;
use crate::db::models::User;
use crate::errors::AppError;
use crate::web::{ClientIp, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register::show)
        .service(register::submit)
        .service(login::show)
        .service(login::submit)
        .service(login::logout)
        .service(profile::show)
        .service(profile::submit)
        .service(password::show)
        .service(password::submit)
        .service(password_reset::show)
        .service(password_reset::submit)
        .service(password_reset::show_link)
        .service(password_reset::submit_link)
        .service(reauth::show)
        .service(reauth::submit)
        .service(sessions::list)
        .service(sessions::revoke_one)
        .service(sessions::revoke_others)
        .service(verify_email::show_link)
        .service(verify_email::confirm_link)
        .service(verify_email::resend)
        .service(tokens::list)
        .service(tokens::create)
        .service(tokens::revoke);
}

/// Logs `user` in under a new session key and sends them on to `location`.
pub fn log_in_and_redirect(
    session: &TypedSession,
    req: &HttpRequest,
    user: &User,
    remember: bool,
    ip: ClientIp,
    location: &str,
) -> Result<HttpResponse, AppError> {
    let state = req
        .app_data::<web::Data<crate::state::AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    session.log_in(&LoginContext {
        user_id: user.id,
        remember,
        ip: ip.to_string(),
        user_agent,
        authenticated_at: state.clock.now(),
    })?;
    Ok(see_other(location))
}
