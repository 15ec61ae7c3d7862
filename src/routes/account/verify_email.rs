//! `GET,POST /verify-email/{token}` (the mailed link: a page with a button, so a mail
//! scanner that follows links verifies nothing) and `POST /verify-email` (a new link, from
//! the banner unverified users see).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::email_verification::Resend;
use crate::auth::{CurrentUser, MaybeUser};
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/verify_email.html")]
struct ConfirmPage {
    page: PageContext,
    email: String,
}

#[get("/verify-email/{token}")]
pub async fn show_link(
    state: web::Data<AppState>,
    page: Page,
    visitor: MaybeUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = state.accounts.account_for_verification_link(&token).await?;
    let view = ConfirmPage {
        page: page.context(visitor.user.as_ref()),
        email: user.email,
    };
    render(StatusCode::OK, &view)
}

#[post("/verify-email/{token}")]
pub async fn confirm_link(
    state: web::Data<AppState>,
    visitor: MaybeUser,
    ip: ClientIp,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let verified = state.accounts.verify_email(&token, ip).await?;
    match visitor.user {
        Some(user) if user.id == verified.id => {
            visitor
                .session
                .set_flash("Thank you: your email address is verified.")?;
            Ok(see_other("/profile"))
        }
        _ => Ok(see_other("/login?verified=1")),
    }
}

#[post("/verify-email")]
pub async fn resend(
    state: web::Data<AppState>,
    me: CurrentUser,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    let message = match state.accounts.resend_verification(&me.user, ip).await? {
        Resend::Sent => format!("We sent a new link to {}.", me.user.email),
        Resend::AlreadyVerified => "Your email address is already verified.".into(),
        Resend::TooSoon => {
            "A link was sent less than a minute ago; check your mail, or try again shortly.".into()
        }
    };
    me.session.set_flash(&message)?;
    Ok(see_other("/profile"))
}
