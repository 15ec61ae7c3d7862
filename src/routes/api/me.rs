//! `GET /api/me`: the caller's own account.

use actix_web::web::Json;

use super::views::UserView;
use crate::auth::ApiCaller;

/// The account behind the token or session.
#[utoipa::path(
    get,
    path = "/api/me",
    operation_id = "get_me",
    tag = "users",
    responses((status = 200, description = "The caller's account", body = UserView)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn show(caller: ApiCaller) -> Json<UserView> {
    Json(UserView::from(&caller.user))
}
