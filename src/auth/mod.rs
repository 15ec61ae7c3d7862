//! Who is asking: password hashing, server-side sessions, the typed session wrapper, CSRF
//! protection and the current-user extractors. Page handlers never touch session keys or
//! bcrypt directly; they go through these types.

pub mod admin_guard;
pub mod api_auth;
pub mod csrf;
pub mod current_user;
pub mod password_hasher;
pub mod reauth;
pub mod session_state;
pub mod session_store;

pub use admin_guard::{AdminUser, ApiAdmin};
pub use api_auth::ApiCaller;
pub use csrf::CsrfToken;
pub use current_user::{CurrentUser, MaybeUser};
pub use password_hasher::PasswordHasher;
pub use reauth::RecentlyAuthenticated;
pub use session_state::TypedSession;
