//! `GET,POST /admin/users/{id}/edit`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::AccountError;
use crate::accounts::admin::EditUserForm;
use crate::auth::AdminUser;
use crate::db::users;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "admin/edit_user.html")]
struct EditUserPage {
    page: PageContext,
    id: i64,
    name: String,
    email: String,
    role: String,
    active: bool,
    errors: FormErrors,
}

#[get("/admin/users/{id}/edit")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    admin: AdminUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let user = state
        .db
        .run(move |conn| users::find_by_id(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    let view = EditUserPage {
        page: page.context(Some(admin.powers.admin())),
        id,
        role: user.role().as_str().to_string(),
        active: user.active,
        name: user.name,
        email: user.email,
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/admin/users/{id}/edit")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<EditUserForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match admin.powers.update_user(&state, id, &form, ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Saved the account {}.", user.email))?;
            Ok(see_other(&format!("/admin/users/{id}")))
        }
        Err(AccountError::App(error)) => Err(error),
        Err(error) => {
            let view = EditUserPage {
                page: page.context(Some(admin.powers.admin())),
                id,
                name: form.name.clone(),
                email: form.email.clone(),
                role: form.role.clone(),
                active: form.is_active(),
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
