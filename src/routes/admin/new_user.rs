//! `GET,POST /admin/users/new`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::admin::NewUserForm;
use crate::auth::AdminUser;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "admin/new_user.html")]
struct NewUserPage {
    page: PageContext,
    name: String,
    email: String,
    role: String,
    active: bool,
    errors: FormErrors,
}

#[get("/admin/users/new")]
pub async fn show(page: Page, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let view = NewUserPage {
        page: page.context(Some(admin.powers.admin())),
        name: String::new(),
        email: String::new(),
        role: "user".into(),
        active: true,
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/admin/users/new")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    match admin.powers.create_user(&state, &form, ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Created the account {}.", user.email))?;
            Ok(see_other(&format!("/admin/users/{}", user.id)))
        }
        Err(error) => {
            let view = NewUserPage {
                page: page.context(Some(admin.powers.admin())),
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
