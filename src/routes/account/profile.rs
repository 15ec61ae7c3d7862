//! `GET,POST /profile`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::profile::{ProfileForm, update_profile};
use crate::auth::CurrentUser;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    page: PageContext,
    name: String,
    email: String,
    errors: FormErrors,
}

#[get("/profile")]
pub async fn show(page: Page, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let user = &me.user;
    let view = ProfilePage {
        page: page.context(Some(user)),
        name: user.name.clone(),
        email: user.email.clone(),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/profile")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    ip: ClientIp,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    match update_profile(&state, &me.user, &form, ip).await {
        Ok(_) => {
            me.session.set_flash("Your profile was saved.")?;
            Ok(see_other("/profile"))
        }
        Err(error) => {
            let view = ProfilePage {
                page: page.context(Some(&me.user)),
                name: form.name.clone(),
                email: form.email.clone(),
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
