//! `/api`: the JSON API, one module per resource, plus the OpenAPI description made from
//! these handlers (`openapi`). Handlers turn bodies into the commands of `accounts`
//! (through `AdminPowers` for admin work) and answer JSON; every error is an
//! [`ApiError`](crate::errors::ApiError), including actix's own body, path and query
//! errors (the configs below). No account rules and no SQL here.

mod me;
pub mod openapi;
mod users;
mod views;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use crate::errors::ApiError;
use crate::web::FORM_LIMIT_BYTES;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            // ASVS 14.4.2: a browser never renders an API answer as a page.
            .wrap(DefaultHeaders::new().add((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"api.json\"",
            )))
            .app_data(json_config())
            .app_data(path_config())
            .app_data(query_config())
            .service(resource("/openapi.json").route(web::get().to(openapi::serve)))
            .service(resource("/me").route(web::get().to(me::show)))
            .service(resource("/me/export").route(web::get().to(me::export)))
            .service(
                resource("/users")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::create)),
            )
            .service(
                resource("/users/{id}")
                    .route(web::get().to(users::show))
                    .route(web::patch().to(users::update))
                    .route(web::delete().to(users::delete)),
            )
            .service(
                resource("/users/{id}/two-factor")
                    .route(web::delete().to(users::turn_off_two_factor)),
            )
            .service(
                resource("/users/{id}/passkeys").route(web::delete().to(users::remove_passkeys)),
            )
            .default_service(web::to(no_such_endpoint)),
    );
}

/// A resource that answers 405 to the methods it has no route for.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed)
    }))
}

async fn no_such_endpoint() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "There is no API endpoint at this address",
    ))
}

/// Reads the JSON body (with `api_error::json_config`'s limits and errors) inside the
/// handler, after the caller passed the gate: a refused caller gets 401 or 403, never a
/// verdict on their body.
async fn json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, actix_web::Error> {
    let mut payload = payload.into_inner();
    Ok(web::Json::<T>::from_request(req, &mut payload)
        .await?
        .into_inner())
}

/// The largest JSON body accepted.
pub const JSON_LIMIT_BYTES: usize = FORM_LIMIT_BYTES;

/// Body parsing for `/api`: 413, 415 or 400, as JSON.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|error, _req: &HttpRequest| {
            match error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge,
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(error) => {
                    ApiError::BadRequest(format!("The JSON body is not valid: {error}"))
                }
                _ => ApiError::BadRequest("The request body could not be read".into()),
            }
            .into()
        })
}

/// An id in the path that is not a number names no user.
fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req: &HttpRequest| ApiError::UserNotFound.into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req: &HttpRequest| {
        ApiError::BadRequest(format!("The query string is not valid: {error}")).into()
    })
}
