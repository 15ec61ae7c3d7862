//! `GET,POST /admin/users/{id}/delete`: a confirmation page, then the deletion.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::AccountError;
use crate::auth::AdminUser;
use crate::db::users;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "admin/delete_user.html")]
struct DeleteUserPage {
    page: PageContext,
    id: i64,
    email: String,
    name: String,
    error: Option<String>,
}

async fn confirmation(
    state: &AppState,
    page: &Page,
    admin: &AdminUser,
    id: i64,
    error: Option<String>,
) -> Result<DeleteUserPage, AppError> {
    let user = state
        .db
        .run(move |conn| users::find_by_id(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    Ok(DeleteUserPage {
        page: page.context(Some(admin.powers.admin())),
        id,
        email: user.email,
        name: user.name,
        error,
    })
}

#[get("/admin/users/{id}/delete")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    admin: AdminUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let view = confirmation(&state, &page, &admin, id.into_inner(), None).await?;
    render(StatusCode::OK, &view)
}

#[post("/admin/users/{id}/delete")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match admin.powers.delete_user(&state, id, ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Deleted the account {}.", user.email))?;
            Ok(see_other("/admin/users"))
        }
        Err(AccountError::App(error)) => Err(error),
        Err(error) => {
            let message = error.into_form_errors()?.get("confirm").map(str::to_string);
            let view = confirmation(&state, &page, &admin, id, message).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
