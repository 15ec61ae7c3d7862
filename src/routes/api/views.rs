//! What the API shows of an account. Built from the row model, field by field: the
//! password hash (and anything else not listed here) can never reach a response.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::User;
use crate::web::rfc3339;

/// What an account may do.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApiRole {
    User,
    Admin,
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[schema(example = 2)]
    pub id: i64,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    pub role: ApiRole,
    /// A disabled account cannot log in or use its tokens.
    pub active: bool,
    /// Whether a login asks for a code from an authenticator app after the password.
    pub two_factor: bool,
    /// RFC 3339, UTC.
    #[schema(format = DateTime, example = "2026-12-02T15:43:28Z")]
    pub created_at: String,
    /// RFC 3339, UTC; null if the user never logged in.
    #[schema(format = DateTime, nullable)]
    pub last_login_at: Option<String>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: if user.is_admin() {
                ApiRole::Admin
            } else {
                ApiRole::User
            },
            active: user.active,
            two_factor: user.has_two_factor(),
            created_at: rfc3339(user.created_at),
            last_login_at: user.last_login_at.map(rfc3339),
        }
    }
}

/// One account as `GET /api/users/{id}` shows it: the fields of a user, and how many
/// passkeys it has (not in lists, where it would cost a query per user).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: UserView,
    /// How many passkeys (WebAuthn credentials) can sign in to the account.
    #[schema(example = 0, minimum = 0)]
    pub passkeys: i64,
}

/// One page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(nullable)]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
