//! "Confirm it's you": sensitive changes take a [`RecentlyAuthenticated`] user, one who typed
//! their password within the last ten minutes. Anyone else is sent to `/reauth` first and
//! brought back to the page they came from. The rule lives here, not in each handler.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::CurrentUser;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::local_path;

/// A logged-in user whose password was typed recently in this session.
pub struct RecentlyAuthenticated(pub CurrentUser);

impl FromRequest for RecentlyAuthenticated {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let next = return_path(req);
        let now = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.now());
        Box::pin(async move {
            let me = current.await?;
            let now = now.ok_or_else(|| AppError::internal("application state missing"))?;
            if me.session.authenticated_recently(now) {
                Ok(Self(me))
            } else {
                Err(AppError::ReauthenticationRequired { next }.into())
            }
        })
    }
}

/// Where to go once the password is confirmed: this page for a GET, otherwise the page the
/// form was on (a POST cannot be replayed by a redirect).
fn return_path(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        return req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |pq| pq.as_str().to_string());
    }
    let referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .filter(|url| url.host_str() == req.connection_info().host().split(':').next())
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        });
    local_path(referer.as_deref()).unwrap_or_else(|| "/profile".into())
}
