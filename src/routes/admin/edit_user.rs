//! `GET,POST /admin/users/{id}/edit`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::admin::UserPatch;
use crate::auth::AdminUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, is_checked, render, see_other};

#[derive(Template)]
#[template(path = "admin/edit_user.html")]
struct EditUserPage {
    page: PageContext,
    id: i64,
    name: String,
    email: String,
    role: String,
    active: bool,
    errors: FieldErrors,
}

/// The edit form: every field is sent; an empty `new_password` keeps the password.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditUserForm {
    name: String,
    email: String,
    role: String,
    active: Option<String>,
    new_password: SecretString,
}

impl EditUserForm {
    fn patch(&self) -> UserPatch {
        UserPatch {
            name: Some(self.name.clone()),
            email: Some(self.email.clone()),
            role: Some(self.role.clone()),
            active: Some(is_checked(&self.active)),
            password: Some(self.new_password.clone()).filter(|p| !p.expose().is_empty()),
        }
    }
}

#[get("/admin/users/{id}/edit")]
pub async fn show(
    page: Page,
    admin: AdminUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = admin.powers.user(id.into_inner()).await?;
    let view = EditUserPage {
        page: page.context(Some(admin.powers.admin())),
        id: user.id,
        role: user.role().as_str().to_string(),
        active: user.active,
        name: user.name,
        email: user.email,
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/admin/users/{id}/edit")]
pub async fn submit(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<EditUserForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match admin.powers.update_user(id, form.patch(), ip).await {
        Ok(user) => {
            admin
                .me
                .session
                .set_flash(&format!("Saved the account {}.", user.email))?;
            Ok(see_other(&format!("/admin/users/{id}")))
        }
        Err(error) => FormRefusal::show(error, |refusal| EditUserPage {
            page: page.context(Some(admin.powers.admin())),
            id,
            name: form.name.clone(),
            email: form.email.clone(),
            role: form.role.clone(),
            active: is_checked(&form.active),
            // The form's input for the new password is `new_password`.
            errors: refusal.errors.clone().renamed("password", "new_password"),
        }),
    }
}
