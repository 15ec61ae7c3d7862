//! CSRF protection for every unsafe request. The expected token is the session's once
//! logged in, otherwise a random token in a signed cookie (double submit), so anonymous
//! visitors never get a session row. Forms send it as `csrf_token`. `/api` is not checked
//! here: its gate (`auth::api_auth`) needs `X-CSRF-Token` from session callers, none from
//! bearer-token callers (a token carries no cookie authority), and answers in JSON.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::session_state;
use crate::crypto;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{CsrfToken, FORM_LIMIT_BYTES};

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The middleware (installed inside the session middleware).
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<actix_web::web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let cookie_name = state.cookies.csrf_cookie_name();
    let expected = session_state::csrf_token_of(&req)
        .or_else(|| read_signed_cookie(&req, &state.cookies.key, cookie_name));
    let fresh_token = expected.is_none().then(crypto::random_token);
    let token = expected
        .clone()
        .or_else(|| fresh_token.clone())
        .unwrap_or_default();
    req.extensions_mut().insert(CsrfToken(token));

    if is_unsafe(req.method()) && !is_api(req.path()) {
        let submitted = match submitted_token(&mut req).await {
            Ok(submitted) => submitted,
            Err(error) => return Ok(req.error_response(error)),
        };
        let valid = matches!((&expected, &submitted), (Some(e), Some(s)) if crypto::constant_time_eq(e.as_bytes(), s.as_bytes()));
        if !valid {
            return Ok(req.error_response(AppError::CsrfRejected));
        }
    }

    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(token) = fresh_token
        && is_html(&response)
    {
        let cookie = signed_cookie(&state.cookies.key, cookie_name, token, state.cookies.secure);
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

pub(crate) fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn is_html(response: &ServiceResponse<BoxBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The header token, or the `csrf_token` field of a form body (which is put back for the
/// handler to read).
async fn submitted_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(value.to_string()));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let body = read_body(req).await?;
    let token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == FORM_FIELD)
        .map(|(_, value)| value.into_owned());
    req.set_payload(Payload::from(body));
    Ok(token)
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > FORM_LIMIT_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::PayloadTooLarge)?;
        if body.len() + chunk.len() > FORM_LIMIT_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn read_signed_cookie(req: &ServiceRequest, key: &Key, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    let value = jar.signed(key).get(name)?.value().to_string();
    (value.len() == 64).then_some(value)
}

fn signed_cookie(key: &Key, name: &str, value: String, secure: bool) -> Cookie<'static> {
    let mut jar = CookieJar::new();
    jar.signed_mut(key).add(
        Cookie::build(name.to_owned(), value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish(),
    );
    jar.get(name).cloned().expect("the cookie was just added")
}
