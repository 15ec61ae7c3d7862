//! The admin area. Every handler here takes an [`AdminUser`](crate::auth::AdminUser), the
//! one guard that checks the role against the database on each request.

mod audit;
mod bulk;
mod delete_user;
mod edit_user;
mod invitations;
mod new_user;
mod users;

use actix_web::{HttpResponse, get, web};

use crate::auth::AdminUser;
use crate::web::see_other;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/admin/users/new` before `/admin/users/{id}`, which would claim "new" as an id.
    cfg.service(index)
        .service(audit::list)
        .service(users::list)
        .service(bulk::submit)
        .service(new_user::show)
        .service(new_user::submit)
        .service(users::show)
        .service(users::unlock)
        .service(users::mark_verified)
        .service(users::turn_off_two_factor)
        .service(users::remove_passkeys)
        .service(edit_user::show)
        .service(edit_user::submit)
        .service(delete_user::show)
        .service(delete_user::submit)
        .service(invitations::list)
        .service(invitations::invite)
        .service(invitations::resend)
        .service(invitations::revoke)
        .service(invitations::deletion_requests)
        .service(invitations::approve_deletion);
}

#[get("/admin")]
async fn index(_admin: AdminUser) -> HttpResponse {
    see_other("/admin/users")
}
