//! The outermost middleware: gives each request an id and its client IP, turns any error
//! that escaped the inner layers into a response, writes one access-log line and counts the
//! request in the metrics.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::client_ip::{self, ClientIp};
use crate::state::AppState;

/// A short random id, shown on 500 pages and in the log.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The id of the user behind this request, for the access log; put in by whoever learns
/// it (`auth`).
#[derive(Debug, Clone, Copy)]
pub struct LoggedInUserId(pub i64);

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = crate::crypto::random_id()[..16].to_string();
    let ip = client_ip(&req);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(ip);
    let method = req.method().to_string();
    let path = redact_tokens(req.path());

    // An error raised by a middleware (not a handler) has no request left to answer with;
    // actix turns it into a plain response after this point, so it is logged here.
    let mut response = match next.call(req).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            log::error!("request {request_id} failed in middleware: {error:?}");
            log::info!(target: "gatehouse::access", "{ip} \"{method} {path}\" {status} user=- request_id={request_id}");
            return Err(error);
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
        let route = response.request().match_pattern();
        state.metrics.observe_request(
            route.as_deref().unwrap_or("unmatched"),
            &method,
            status.as_u16(),
            elapsed,
        );
    }
    let user = response
        .request()
        .extensions()
        .get::<LoggedInUserId>()
        .map_or_else(|| "-".to_string(), |id| id.0.to_string());
    log::info!(
        target: "gatehouse::access",
        "{ip} \"{method} {path}\" {status} {:.1}ms user={user} request_id={request_id}",
        elapsed * 1000.0,
        status = status.as_u16(),
    );
    Ok(response)
}

fn client_ip(req: &ServiceRequest) -> ClientIp {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.clone())
        .unwrap_or_default();
    // Every header line, joined into one list as RFC 9110 §5.3 says: a client cannot hide
    // behind a forged first line.
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().unwrap_or("invalid"))
        .collect::<Vec<_>>()
        .join(",");
    let peer = req.peer_addr().map(|addr| addr.ip());
    ClientIp(
        client_ip::resolve(peer, Some(&forwarded), &trusted)
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
    )
}

/// The path as the log may keep it: a one-time link's token (48 or more letters and
/// digits in one segment) is replaced, so the log never holds a usable link.
fn redact_tokens(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let looks_like_a_token = segment.len() >= 48
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if looks_like_a_token {
                "[token]"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::redact_tokens;

    #[test]
    fn one_time_link_tokens_never_reach_the_access_log() {
        let token = "a".repeat(64);
        assert_eq!(
            redact_tokens(&format!("/password-reset/{token}")),
            "/password-reset/[token]"
        );
        assert_eq!(
            redact_tokens(&format!("/verify-email/{token}")),
            "/verify-email/[token]"
        );
        assert_eq!(
            redact_tokens("/admin/users/42/edit"),
            "/admin/users/42/edit"
        );
        assert_eq!(redact_tokens("/"), "/");
    }
}
