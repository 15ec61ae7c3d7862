//! An admin deletes an account: never their own, never the last active admin. Its
//! sessions and tokens go with it; the audit rows stay.

use std::fmt::Display;

use super::{AdminPowers, LAST_ADMIN, deletion_detail};
use crate::accounts::audit::action;
use crate::accounts::{AccountError, User};
use crate::db::users;

impl AdminPowers {
    /// Deletes account `id` with its audit row. A refusal is reported on the field `id`.
    pub async fn delete_user(&self, id: i64, ip: impl Display) -> Result<User, AccountError> {
        if id == self.admin.id {
            return Err(AccountError::invalid(
                "id",
                "You cannot delete your own account here; ask another admin.",
            ));
        }
        self.locked_transaction(ip, move |conn, acting| {
            let user = users::find_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
            users::delete(conn, id)?;
            if user.active && user.is_admin() && !users::active_admin_exists(conn)? {
                return Err(AccountError::invalid("id", LAST_ADMIN));
            }
            acting
                .audit(action::ADMIN_DELETE_USER, &user)
                .detail(deletion_detail(&user))
                .write(conn, acting.now)?;
            Ok(user)
        })
        .await
    }
}
