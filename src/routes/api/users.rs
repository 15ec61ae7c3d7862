//! `/api/users` and `/api/users/{id}`: list (keyset pages), read, create, change, delete;
//! `/api/users/{id}/two-factor`: turn an account's two-step login off; and
//! `/api/users/{id}/passkeys`: remove every passkey of an account.
//! Everything goes through [`AdminPowers`](crate::accounts::AdminPowers), the same methods
//! the admin pages call, so the rules (last admin, own account, sessions ended on disable,
//! audit rows) exist once. Bodies are turned into their commands here.

use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::json_body;
use super::views::{ApiRole, UserDetail, UserPage, UserView};
use crate::accounts::admin::{NewUser, UserPatch};
use crate::auth::{ApiAdmin, ApiCaller};
use crate::domain::{SearchTerm, SecretString};
use crate::errors::ApiError;
use crate::errors::api::ErrorBody;
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

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
    admin: ApiAdmin,
    query: web::Query<ListQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "Use a limit from 1 to 200."));
    }
    let search = SearchTerm::parse(query.q.as_deref().unwrap_or_default())
        .map_err(|message| ApiError::invalid("q", message))?;
    let after = match &query.cursor {
        Some(cursor) => decode_cursor(cursor)?,
        None => 0,
    };
    let mut rows = admin.powers.users_after(search, after, limit + 1).await?;
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

/// One account, with how many passkeys it has: admins may read any, everyone else only
/// their own.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    operation_id = "get_user",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserDetail),
        (status = 403, description = "Not an admin, and not the caller's own id", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn show(
    caller: ApiCaller,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<Json<UserDetail>, ApiError> {
    let id = id.into_inner();
    let (user, passkeys) = if id == caller.user.id {
        let passkeys = state.accounts.passkey_count(caller.user.id).await?;
        (caller.user, passkeys)
    } else {
        let admin = ApiAdmin::check(caller, &req).await?;
        admin.powers.user_with_passkeys(id).await?
    };
    Ok(Json(UserDetail {
        user: UserView::from(&user),
        passkeys,
    }))
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
    fn command(self) -> NewUser {
        NewUser {
            name: self.name,
            email: self.email,
            password: self.password,
            role: self.role.unwrap_or_else(|| "user".into()),
            active: self.active.unwrap_or(true),
        }
    }
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
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let new = json_body::<NewUserBody>(&req, body).await?.command();
    let user = admin
        .powers
        .create_user(new, admin.caller.ip)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/users/{}", user.id)))
        .json(UserView::from(&user)))
}

/// Changes to an account; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
pub struct UserPatchBody {
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

impl UserPatchBody {
    fn command(self) -> UserPatch {
        UserPatch {
            name: self.name,
            email: self.email,
            role: self.role,
            active: self.active,
            password: self.password,
        }
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
    request_body = UserPatchBody,
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
    id: web::Path<i64>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<Json<UserView>, actix_web::Error> {
    let patch = json_body::<UserPatchBody>(&req, body).await?.command();
    let user = admin
        .powers
        .update_user(id.into_inner(), patch, admin.caller.ip)
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
pub async fn delete(admin: ApiAdmin, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    admin
        .powers
        .delete_user(id.into_inner(), admin.caller.ip)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Turns two-step login off for someone who lost their authenticator (admin): the secret
/// and recovery codes go, every session of theirs ends, they are mailed.
#[utoipa::path(
    delete,
    path = "/api/users/{id}/two-factor",
    operation_id = "turn_off_two_factor",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Two-step login is off"),
        (status = 403, description = "Not an admin, or a session call without X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "Two-step login is not on, or it is the caller's own account", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn turn_off_two_factor(
    admin: ApiAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    admin
        .powers
        .turn_off_two_factor_for(id.into_inner(), admin.caller.ip)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes every passkey of an account (admin), for an authenticator lost or stolen: none
/// of them signs in any more, every session of the account ends (one may have been opened
/// with the stolen passkey), the owner is mailed; their password and two-step login stay.
#[utoipa::path(
    delete,
    path = "/api/users/{id}/passkeys",
    operation_id = "remove_passkeys",
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Every passkey of the account is removed"),
        (status = 403, description = "Not an admin, or a session call without X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "The account has no passkey, or it is the caller's own account", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn remove_passkeys(
    admin: ApiAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    admin
        .powers
        .remove_passkeys_of(id.into_inner(), admin.caller.ip)
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
