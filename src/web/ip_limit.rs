//! The per-IP limit on the forms that cost the most (password hashing, mail, passkey
//! ceremonies stored for anyone): POSTs to `/login`, `/login/passkey` (and its options),
//! `/register` and `/password-reset`. Keyed on the client IP as resolved by
//! `request_context` (so `X-Forwarded-For` counts only from trusted proxies); counted in the
//! database (`Accounts::admit`), so one allowance holds across every instance of the site.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::ClientIp;
use crate::accounts::ip_limits::Admission;
use crate::errors::AppError;
use crate::state::AppState;

fn is_limited(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::POST
        && (path == "/login"
            || path.starts_with("/login/passkey")
            || path == "/register"
            || path == "/password-reset"
            || path.starts_with("/password-reset/"))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if is_limited(&req) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ip = req.extensions().get::<ClientIp>().copied();
        if let (Some(state), Some(ip)) = (state, ip)
            && let Some(limiter) = &state.ip_limiter
        {
            let refusal = match state.accounts.admit(limiter.allowance(ip.0)).await {
                Ok(Admission::Admitted) => None,
                Ok(Admission::Refused { retry_after }) => {
                    Some(AppError::TooManyRequests { retry_after })
                }
                Err(error) => Some(AppError::from(error)),
            };
            if let Some(refusal) = refusal {
                return Ok(req.error_response(refusal));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
