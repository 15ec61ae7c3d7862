//! Domain types that can only hold valid values: each has a `parse` that returns a
//! user-facing message on refusal. No I/O and no web types live here.

mod email;
mod external_identity;
mod name;
mod password;
mod policies;
mod role;
mod search;
mod second_factor;

pub use email::Email;
pub use external_identity::{ExternalIdentity, ProviderName};
pub use name::{PasskeyName, UserName};
pub use password::{NewPassword, PasswordError, SecretString};
pub use policies::{DeletionPolicy, Policies, SignUpPolicy};
pub use role::Role;
pub use search::SearchTerm;
pub use second_factor::{SecondFactorCode, new_recovery_code};
