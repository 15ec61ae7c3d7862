//! `GET,POST /profile`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::profile::ProfileChange;
use crate::auth::CurrentUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    page: PageContext,
    /// Ask for a code with a new email.
    two_factor: bool,
    /// Link to the sign-in providers page (when the site has providers).
    providers: bool,
    name: String,
    email: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    name: String,
    email: String,
    current_password: SecretString,
    code: String,
}

#[get("/profile")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let user = &me.user;
    let view = ProfilePage {
        page: page.context(Some(user)),
        two_factor: user.has_two_factor(),
        providers: !state.providers.is_empty(),
        name: user.name.clone(),
        email: user.email.clone(),
        errors: FieldErrors::default(),
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
    let change = ProfileChange {
        name: form.name.clone(),
        email: form.email.clone(),
        current_password: form.current_password.clone(),
        code: form.code.clone(),
    };
    match state.accounts.update_profile(&me.user, change, ip).await {
        Ok(_) => {
            me.session.set_flash("Your profile was saved.")?;
            Ok(see_other("/profile"))
        }
        Err(error) => FormRefusal::show(error, |refusal| ProfilePage {
            page: page.context(Some(&me.user)),
            two_factor: me.user.has_two_factor(),
            providers: !state.providers.is_empty(),
            name: form.name.clone(),
            email: form.email.clone(),
            errors: refusal.errors_at("current_password"),
        }),
    }
}
