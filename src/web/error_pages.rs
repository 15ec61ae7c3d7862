//! Replaces the bare body of any error response (ours or actix's own, e.g. a malformed
//! form) with the site's error page, or with `{"error": …}` under `/api`. Responses that
//! are already pages or JSON (a form shown again with 422) are left alone.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use askama::Template;

use super::page::PageContext;
use super::request_context::RequestId;
use crate::errors::AppError;

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    page: PageContext,
    status: u16,
    title: &'a str,
    message: String,
    request_id: Option<String>,
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || already_has_a_page(&response) {
        return Ok(response);
    }
    let message = public_message(&response);
    log_server_error(&response);
    let (request, original) = response.into_parts();
    let mut replacement = if request.path().starts_with("/api/") || request.path() == "/api" {
        HttpResponse::build(status).json(serde_json::json!({ "error": message }))
    } else {
        html_page(&request, status, message)
    };
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, replacement))
}

/// The inner error goes to the log (with the request id the page shows), never to the page.
fn log_server_error(response: &ServiceResponse<BoxBody>) {
    if !response.status().is_server_error() {
        return;
    }
    if let Some(error) = response.response().error() {
        let request_id = response
            .request()
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        log::error!(
            "request {} failed: {error:?}",
            request_id.unwrap_or_default()
        );
    }
}

fn already_has_a_page(response: &ServiceResponse<BoxBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"))
}

/// Our own errors say what the visitor may know; actix's are replaced by a generic text.
fn public_message(response: &ServiceResponse<BoxBody>) -> String {
    if let Some(error) = response.response().error()
        && let Some(app_error) = error.as_error::<AppError>()
    {
        return app_error.public_message();
    }
    match response.status() {
        StatusCode::NOT_FOUND => "There is no page at this address.".into(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "This address does not accept that kind of request.".into()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "The request is too large.".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "The request has a content type this address does not accept.".into()
        }
        status if status.is_server_error() => "Something went wrong on our side.".into(),
        _ => "The request could not be understood.".into(),
    }
}

fn html_page(
    request: &actix_web::HttpRequest,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    let page = ErrorPage {
        page: PageContext::bare(request),
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message,
        request_id: status
            .is_server_error()
            .then(|| {
                request
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.0.clone())
            })
            .flatten(),
    };
    match super::render(status, &page) {
        Ok(response) => response,
        Err(_) => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body("Something went wrong."),
    }
}
