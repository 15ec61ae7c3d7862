//! `GET /`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};
use askama::Template;

use super::Page;
use crate::auth::MaybeUser;
use crate::errors::AppError;
use crate::web::{PageContext, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageContext,
}

#[get("/")]
pub async fn home(page: Page, visitor: MaybeUser) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &HomePage {
            page: page.context(visitor.user.as_ref()),
        },
    )
}
