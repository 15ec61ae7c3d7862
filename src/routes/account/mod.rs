//! The signed-up user's own pages: sign-up, login, logout, profile, password, sessions.

mod login;
mod password;
mod profile;
mod register;
mod sessions;

use actix_web::http::header;
use actix_web::{HttpRequest, web};

use crate::auth::TypedSession;
use crate::auth::session_state::LoginContext;
use crate::db::models::User;
use crate::errors::AppError;
use crate::web::ClientIp;

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
        .service(sessions::list)
        .service(sessions::revoke_one)
        .service(sessions::revoke_others);
}

/// Logs `user` in under a new session key.
pub fn start_session(
    session: &TypedSession,
    req: &HttpRequest,
    user: &User,
    remember: bool,
    ip: ClientIp,
) -> Result<(), AppError> {
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
    })
}
