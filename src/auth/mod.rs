//! Who is asking: server-side sessions, the typed session wrapper, CSRF protection, the
//! current-user extractors, re-authentication, API callers and the admin gate. Handlers
//! never touch session keys directly; they go through these types, and the rules behind
//! them (timeouts, passwords, roles) are asked of `accounts`.

pub mod admin_guard;
pub mod api_auth;
pub mod around_session;
pub mod csrf;
pub mod current_user;
pub mod new_session;
pub mod reauth;
pub mod session_state;
pub mod session_store;

pub use admin_guard::{AdminUser, ApiAdmin};
pub use api_auth::ApiCaller;
pub use current_user::{CurrentUser, MaybeUser};
pub use new_session::NewSession;
pub use reauth::RecentlyAuthenticated;
pub use session_state::{SecondStep, TypedSession};
