//! The admin area. Every handler here takes an [`AdminUser`](crate::auth::AdminUser), the
//! one guard that checks the role against the database on each request.

mod users;

use actix_web::{HttpResponse, get, web};

use crate::auth::AdminUser;
use crate::web::see_other;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index).service(users::list).service(users::show);
}

#[get("/admin")]
async fn index(_admin: AdminUser) -> HttpResponse {
    see_other("/admin/users")
}
