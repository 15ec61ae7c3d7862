//! `GET,POST /admin/users/new`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::admin::NewUser;
use crate::auth::AdminUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, is_checked, render, see_other};

#[derive(Template)]
#[template(path = "admin/new_user.html")]
struct NewUserPage {
    page: PageContext,
    name: String,
    email: String,
    role: String,
    active: bool,
    errors: FieldErrors,
}

/// The admin's new-user form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    name: String,
    email: String,
    password: SecretString,
    role: String,
    active: Option<String>,
}

#[get("/admin/users/new")]
pub async fn show(page: Page, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let view = NewUserPage {
        page: page.context(Some(admin.powers.admin())),
        name: String::new(),
        email: String::new(),
        role: "user".into(),
        active: true,
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/admin/users/new")]
pub async fn submit(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let new = NewUser {
        name: form.name.clone(),
        email: form.email.clone(),
        password: Some(form.password.clone()),
        role: form.role.clone(),
        active: is_checked(&form.active),
    };
    match admin.powers.create_user(new, ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Created the account {}.", user.email))?;
            Ok(see_other(&format!("/admin/users/{}", user.id)))
        }
        Err(error) => FormRefusal::show(error, |refusal| NewUserPage {
            page: page.context(Some(admin.powers.admin())),
            name: form.name.clone(),
            email: form.email.clone(),
            role: form.role.clone(),
            active: is_checked(&form.active),
            errors: refusal.errors.clone(),
        }),
    }
}
