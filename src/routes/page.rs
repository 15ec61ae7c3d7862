//! [`Page`]: the extractor that gathers the layout's data (`web::PageContext`) for a
//! handler: the site's name, the CSRF token, and the flash message left in the session.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::accounts::User;
use crate::auth::TypedSession;
use crate::errors::AppError;
use crate::web::{CsrfToken, NavUser, PageContext, assets, page};

pub struct Page {
    site_name: String,
    csrf_token: String,
    session: TypedSession,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let csrf_token = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
        ready(match csrf_token {
            Some(csrf_token) => Ok(Self {
                site_name: page::site_name(req),
                csrf_token,
                session: TypedSession::of(req),
            }),
            None => Err(AppError::internal("CSRF middleware is not installed").into()),
        })
    }
}

impl Page {
    /// The layout data for `user`; shows (and clears) a pending flash message.
    pub fn context(&self, user: Option<&User>) -> PageContext {
        PageContext {
            site_name: self.site_name.clone(),
            csrf_token: self.csrf_token.clone(),
            stylesheet: assets::stylesheet_url(),
            user: user.map(NavUser::from),
            flash: user.and_then(|_| self.session.take_flash()),
        }
    }
}
