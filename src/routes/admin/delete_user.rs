//! `GET,POST /admin/users/{id}/delete`: a confirmation page, then the deletion.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::auth::AdminUser;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, render, see_other};

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
    page: &Page,
    admin: &AdminUser,
    id: i64,
    error: Option<String>,
) -> Result<DeleteUserPage, AppError> {
    let user = admin.powers.user(id).await?;
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
    page: Page,
    admin: AdminUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let view = confirmation(&page, &admin, id.into_inner(), None).await?;
    render(StatusCode::OK, &view)
}

#[post("/admin/users/{id}/delete")]
pub async fn submit(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match admin.powers.delete_user(id, ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Deleted the account {}.", user.email))?;
            Ok(see_other("/admin/users"))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let message = refusal.errors.get("id").map(str::to_string);
            refusal.render(&confirmation(&page, &admin, id, message).await?)
        }
    }
}
