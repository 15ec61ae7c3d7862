//! What an admin may do to other accounts. [`AdminPowers`] can only be made from a user who
//! holds the admin role (see `auth::admin_guard`); every admin operation is a method on it,
//! so the form handlers and the API share one implementation of each rule.

use crate::db::models::User;

/// Proof that the acting user was an active admin when this request was checked.
pub struct AdminPowers {
    admin: User,
}

impl AdminPowers {
    /// `None` unless `user` is an active admin.
    pub(crate) fn for_user(user: &User) -> Option<Self> {
        (user.active && user.is_admin()).then(|| Self {
            admin: user.clone(),
        })
    }

    /// The admin who acts.
    pub fn admin(&self) -> &User {
        &self.admin
    }
}
