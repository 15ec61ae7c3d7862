//! `GET /api/openapi.json`: the OpenAPI 3.1 description, derived from the handlers' and
//! views' annotations, so it cannot drift from the code. The responses every endpoint
//! shares (401 and 429 when authenticated; 400, 413 and 415 for a JSON body) are added
//! here in one place, from the same `ErrorBody` the server writes.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::views::{ApiRole, UserDetail, UserPage, UserView};
use super::{me, users};
use crate::errors::api::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "Manage Gatehouse accounts from scripts. Authenticate with \
            `Authorization: Bearer <token>` (a personal token from /profile/tokens), or with the \
            session cookie plus `X-CSRF-Token` on unsafe methods. Every error is JSON \
            `{\"error\": \"…\"}`, with `fields` for invalid values."
    ),
    paths(
        me::show,
        me::export,
        users::list,
        users::show,
        users::create,
        users::update,
        users::delete,
        users::turn_off_two_factor,
        users::remove_passkeys,
        serve
    ),
    components(schemas(
        UserView,
        UserDetail,
        UserPage,
        ApiRole,
        ErrorBody,
        users::NewUserBody,
        users::UserPatchBody
    )),
    modifiers(&SharedResponses),
    tags((name = "users", description = "Accounts"))
)]
pub struct ApiDoc;

/// The description itself.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "get_openapi",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json", body = Object)),
    security(())
)]
pub async fn serve() -> HttpResponse {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serialises")
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(JSON.as_str())
}

struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token (gh_…) from /profile/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "gatehouse_session",
                "The browser session (`__Host-gatehouse_session` on HTTPS); unsafe methods also need X-CSRF-Token",
            ))),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_shared_responses(operation);
            }
        }
    }
}

fn add_shared_responses(operation: &mut Operation) {
    let authenticated = operation
        .security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| r != &Default::default()));
    let mut shared = Vec::new();
    if authenticated {
        shared.push((
            "401",
            "No valid token or session",
            Some(("WWW-Authenticate", "Always `Bearer`")),
        ));
        shared.push((
            "429",
            "This token is used too often",
            Some(("Retry-After", "Seconds to wait")),
        ));
    }
    if operation.request_body.is_some() {
        shared.push(("400", "Malformed JSON, or a missing or unknown field", None));
        shared.push(("413", "The body is larger than 64 KiB", None));
        shared.push(("415", "The body is not application/json", None));
    }
    for (status, description, header) in shared {
        let mut response = ResponseBuilder::new().description(description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        );
        if let Some((name, about)) = header {
            let schema = ObjectBuilder::new().schema_type(Type::String).build();
            response = response.header(
                name,
                HeaderBuilder::new()
                    .schema(schema)
                    .description(Some(about))
                    .build(),
            );
        }
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| response.build().into());
    }
}
