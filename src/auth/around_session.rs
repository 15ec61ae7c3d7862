//! The two halves around actix-session's middleware, for what it cannot do itself:
//!
//! - **The cookie's lifetime**: until the browser closes, unless the person ticked "keep me
//!   logged in" (then as long as the session may live, 30 days). actix-session gives every
//!   cookie one lifetime, so it makes browser-session cookies and [`outside`] lengthens
//!   those of remembered sessions. The server's idle and absolute limits hold either way
//!   (`accounts::sessions::timeouts`).
//! - **Who is logged in, for the access log**, on every request that carries a session (a
//!   404 or a static file too), read by [`inside`] from the state already loaded.
//! - **The account loaded with the session**: [`outside`] runs the request with room for it
//!   (`session_store::with_session_user`).
//!
//! [`inside`] runs inside the session middleware, where the session's state is still
//! readable; [`outside`] runs outside it, where its cookie is written.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::Cookie;
use actix_web::cookie::time::Duration;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::TypedSession;
use super::session_store::with_session_user;
use crate::accounts::sessions::timeouts;
use crate::state::AppState;
use crate::web::LoggedInUserId;

/// This request's session is a remembered one.
#[derive(Debug, Clone, Copy)]
struct Remembered;

/// Inside the session middleware: notes whether the session (as the handler left it) is
/// remembered, and whose it is, unless a handler already loaded its user.
pub async fn inside(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let session = TypedSession::of(response.request());
    let (user_id, remembered) = (session.user_id(), session.is_remembered());
    let mut notes = response.request().extensions_mut();
    if let (Some(id), None) = (user_id, notes.get::<LoggedInUserId>()) {
        notes.insert(LoggedInUserId(id));
    }
    if remembered {
        notes.insert(Remembered);
    }
    drop(notes);
    Ok(response)
}

/// Outside the session middleware: a remembered session's cookie is kept for 30 days.
/// The request runs with room for the account its session is loaded with.
pub async fn outside(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = with_session_user(next.call(req)).await?;
    let mut response = response.map_into_boxed_body();
    let remembered = response
        .request()
        .extensions()
        .get::<Remembered>()
        .is_some();
    let name = response
        .request()
        .app_data::<web::Data<AppState>>()
        .map(|state| state.cookies.session_cookie_name());
    if let (true, Some(name)) = (remembered, name) {
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).cloned().collect();
        headers.remove(header::SET_COOKIE);
        for value in cookies {
            headers.append(header::SET_COOKIE, lengthened(value, name));
        }
    }
    Ok(response)
}

/// The session cookie `name` with a 30-day `Max-Age`; any other cookie (or a removal) as it is.
fn lengthened(value: HeaderValue, name: &str) -> HeaderValue {
    let Some(mut cookie) = value
        .to_str()
        .ok()
        .and_then(|text| Cookie::parse(text.to_string()).ok())
    else {
        return value;
    };
    if cookie.name() != name || cookie.value().is_empty() || cookie.max_age().is_some() {
        return value;
    }
    cookie.set_max_age(Duration::seconds(timeouts::ABSOLUTE));
    // Written back as read: the value stays as the session middleware encoded it.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_session_cookie_is_lengthened() {
        let session = HeaderValue::from_static("s=a%2Fb%3D; Path=/; HttpOnly; SameSite=Lax");
        let longer = lengthened(session, "s");
        let longer = longer.to_str().unwrap();
        assert!(
            longer.starts_with("s=a%2Fb%3D;") && longer.contains("Max-Age=2592000"),
            "{longer}"
        );
        let other = HeaderValue::from_static("csrf=abc; Path=/");
        assert_eq!(lengthened(other.clone(), "s"), other);
        let removal = HeaderValue::from_static("s=; Path=/; Max-Age=0");
        assert_eq!(lengthened(removal.clone(), "s"), removal);
    }
}
