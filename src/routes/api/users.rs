//! `/api/users` and `/api/users/{id}`: list (keyset pages), read, create, change, delete.
//! Writes go through [`AdminPowers`](crate::accounts::admin::AdminPowers), the same
//! methods the admin forms call, so the rules (last admin, own account, sessions ended on
//! disable, audit rows) exist once. Bodies are translated into those forms here.

use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::json_body;
use super::views::{ApiRole, UserPage, UserView};
use crate::accounts::admin::{EditUserForm, NewUserForm};
use crate::auth::{ApiAdmin, ApiCaller};
use crate::crypto;
use crate::db::models::User;
use crate::db::{user_list, users};
use crate::domain::{PasswordError, SecretString};
use crate::state::AppState;
use crate::web::api_error::{ApiError, ErrorBody};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A substring of the email or the name, any case.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Users per page, 1 to 200 (default 50); outside that range: 422.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page (opaque); a malformed one: 400.
    cursor: Option<String>,
}

/// Users in id order, a page at a time; new users never shift the pages already read.
#[utoipa::path(
    get,
    path = "/api/users",
    operation_id = "list_users",
    tag = "users",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of users", body = UserPage),
        (status = 400, description = "A malformed cursor or query parameter", body = ErrorBody),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 422, description = "`limit` or `q` out of range", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list(
    _admin: ApiAdmin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "Use a limit from 1 to 200."));
    }
    let search = query.q.clone().filter(|q| !q.trim().is_empty());
    if let Some(q) = &search {
        if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "q",
                "Search for at most 200 characters, without control characters.",
            ));
        }
    }
    let after = match &query.cursor {
        Some(cursor) => decode_cursor(cursor)?,
        None => 0,
    };
    let mut rows = state
        .db
        .run(move |conn| Ok(user_list::after_id(conn, search, after, limit + 1)?))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|user| encode_cursor(user.id))
    } else {
        None
    };
    Ok(Json(UserPage {
        users: rows.iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// Opaque to clients: the hex of `id:<last id seen>`.
fn encode_cursor(last_id: i64) -> String {
    hex::encode(format!("id:{last_id}"))
}

fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    hex::decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("id:")?.parse::<i64>().ok())
        .filter(|id| *id >= 0)
        .ok_or_else(|| ApiError::BadRequest("The cursor is not valid; use a next_cursor".into()))
}

/// One account: admins may read any, everyone else only their own.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    operation_id = "get_user",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 403, description = "Not an admin, and not the caller's own id", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn show(
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<Json<UserView>, ApiError> {
    let id = id.into_inner();
    if id == caller.user.id {
        return Ok(Json(UserView::from(&caller.user)));
    }
    ApiAdmin::check(caller, &req).await?;
    Ok(Json(UserView::from(&find_user(&state, id).await?)))
}

async fn find_user(state: &AppState, id: i64) -> Result<User, ApiError> {
    state
        .db
        .run(move |conn| Ok(users::find_by_id(conn, id)?))
        .await?
        .ok_or(ApiError::UserNotFound)
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    #[schema(example = "Ada Lovelace", min_length = 1, max_length = 100)]
    name: String,
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    email: String,
    /// 8 to 72 bytes, not a common password. Without one the account has no usable
    /// password until a reset.
    #[schema(value_type = Option<String>, format = Password, min_length = 8, max_length = 72)]
    password: Option<SecretString>,
    /// Default `user`.
    #[schema(value_type = Option<ApiRole>)]
    role: Option<String>,
    /// Default true.
    active: Option<bool>,
}

impl NewUserBody {
    fn into_form(self) -> NewUserForm {
        NewUserForm {
            name: self.name,
            email: self.email,
            // Nobody knows this password: the user sets one through a reset.
            password: self
                .password
                .unwrap_or_else(|| SecretString::new(crypto::random_token())),
            role: self.role.unwrap_or_else(|| "user".into()),
            active: checkbox(self.active.unwrap_or(true)),
        }
    }
}

/// A form checkbox as the shared rules read it.
fn checkbox(on: bool) -> Option<String> {
    on.then(|| "on".into())
}

/// Creates an account (admin): 201 with its `Location`.
#[utoipa::path(
    post,
    path = "/api/users",
    operation_id = "create_user",
    tag = "users",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Created", body = UserView,
            headers(("Location" = String, description = "/api/users/{id} of the new user"))),
        (status = 403, description = "Not an admin, or a session call without X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "An account with this email exists", body = ErrorBody),
        (status = 422, description = "Invalid values, by field", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn create(
    admin: ApiAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let form = json_body::<NewUserBody>(&req, body).await?.into_form();
    let user = admin
        .powers
        .create_user(&state, &form, admin.caller.ip)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/users/{}", user.id)))
        .json(UserView::from(&user)))
}

/// Changes to an account; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    /// A new password (8 to 72 bytes); ends the user's sessions.
    #[schema(value_type = Option<String>, format = Password, min_length = 8, max_length = 72)]
    password: Option<SecretString>,
    /// A change ends the user's sessions.
    #[schema(value_type = Option<ApiRole>)]
    role: Option<String>,
    /// false disables the account and ends its sessions.
    active: Option<bool>,
}

impl UserPatch {
    /// The edit form as it would be submitted: the current values, with these changes.
    fn onto(self, user: &User) -> Result<EditUserForm, ApiError> {
        if self
            .password
            .as_ref()
            .is_some_and(|p| p.expose().is_empty())
        {
            return Err(ApiError::invalid(
                "password",
                PasswordError::TooShort.to_string(),
            ));
        }
        Ok(EditUserForm {
            name: self.name.unwrap_or_else(|| user.name.clone()),
            email: self.email.unwrap_or_else(|| user.email.clone()),
            role: self.role.unwrap_or_else(|| user.role.clone()),
            active: checkbox(self.active.unwrap_or(user.active)),
            new_password: self.password.unwrap_or_default(),
        })
    }
}

/// Changes an account (admin). The site keeps an active admin; an admin cannot demote or
/// disable themselves.
#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    operation_id = "update_user",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = 403, description = "Not an admin, or a session call without X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Another account has this email", body = ErrorBody),
        (status = 422, description = "Invalid values, or a change that would leave no active admin", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn update(
    admin: ApiAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<Json<UserView>, actix_web::Error> {
    let id = id.into_inner();
    let patch = json_body::<UserPatch>(&req, body).await?;
    let form = patch.onto(&find_user(&state, id).await?)?;
    let user = admin
        .powers
        .update_user(&state, id, &form, admin.caller.ip)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(UserView::from(&user)))
}

/// Deletes an account (admin): never the caller's own, never the last active admin.
#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    operation_id = "delete_user",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin, or a session call without X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "The caller's own account, or the last active admin", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn delete(
    admin: ApiAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    admin
        .powers
        .delete_user(&state, id.into_inner(), admin.caller.ip)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        for bad in ["", "zz", "42", &hex::encode("id:-1"), &hex::encode("id:x")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
