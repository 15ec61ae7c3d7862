//! `GET,POST /reauth`: the password typed again before a sensitive change.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::login::{LoginError, reauthenticate};
use crate::auth::CurrentUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, local_path, render, see_other};

#[derive(Template)]
#[template(path = "account/reauth.html")]
struct ReauthPage {
    page: PageContext,
    next: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReauthForm {
    password: SecretString,
    next: Option<String>,
}

#[get("/reauth")]
pub async fn show(
    page: Page,
    me: CurrentUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let view = ReauthPage {
        page: page.context(Some(&me.user)),
        next: local_path(query.next.as_deref()).unwrap_or_default(),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/reauth")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    ip: ClientIp,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(form.next.as_deref());
    let mut retry_after = None;
    let message = if form.password.expose().is_empty() {
        "Enter your password.".to_string()
    } else {
        match reauthenticate(&state, &me.user, &form.password, ip).await {
            Ok(()) => {
                me.session.reauthenticated(state.clock.now())?;
                return Ok(see_other(next.as_deref().unwrap_or("/profile")));
            }
            Err(LoginError::App(error)) => return Err(error),
            Err(LoginError::Refused) => "That password is not correct.".to_string(),
            Err(
                locked @ LoginError::Locked {
                    retry_after: seconds,
                },
            ) => {
                retry_after = Some(seconds);
                locked.to_string()
            }
        }
    };
    let view = ReauthPage {
        page: page.context(Some(&me.user)),
        next: next.unwrap_or_default(),
        errors: FormErrors::single("password", message),
    };
    let Some(seconds) = retry_after else {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    };
    let mut response = render(StatusCode::TOO_MANY_REQUESTS, &view)?;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(response)
}
