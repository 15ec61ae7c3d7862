//! `GET /api/me`: the caller's own account; `GET /api/me/export`: everything kept about it.

use actix_web::web::{self, Json};

use super::views::UserView;
use crate::auth::ApiCaller;
use crate::errors::ApiError;
use crate::routes::export_document::ExportDocument;
use crate::state::AppState;

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

/// Everything Gatehouse keeps about the caller's account, as `/profile/export` gives it
/// (the schema is `docs/export.md`): profile, sessions, API tokens, passkeys and providers
/// (metadata only), and the audit events about it. No hash or secret is ever in it.
#[utoipa::path(
    get,
    path = "/api/me/export",
    operation_id = "export_me",
    tag = "users",
    responses((status = 200, description = "The caller's data", body = ExportDocument)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<Json<ExportDocument>, ApiError> {
    let data = state.accounts.account_data(&caller.user).await?;
    Ok(Json(ExportDocument::from(data)))
}
