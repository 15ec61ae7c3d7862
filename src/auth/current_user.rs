//! Extractors for the logged-in user, read from the database on every request (with the
//! session, in the same statement) so that a disabled account or a changed role takes
//! effect at once, on every instance.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use super::{TypedSession, session_store};
use crate::accounts::User;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::LoggedInUserId;

/// A logged-in, active user. Anonymous visitors are sent to `/login?next=<path>`.
pub struct CurrentUser {
    pub user: User,
    pub session: TypedSession,
}

/// The logged-in user if there is one.
pub struct MaybeUser {
    pub user: Option<User>,
    pub session: TypedSession,
}

impl FromRequest for MaybeUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let session = TypedSession::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let session = session?;
            let user = load_active_user(&req, &session).await?;
            Ok(Self { user, session })
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        let next = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |pq| pq.as_str().to_string());
        Box::pin(async move {
            let MaybeUser { user, session } = maybe.await?;
            match user {
                Some(user) => Ok(Self { user, session }),
                None => Err(AppError::LoginRequired { next }.into()),
            }
        })
    }
}

pub(crate) async fn load_active_user(
    req: &HttpRequest,
    session: &TypedSession,
) -> Result<Option<User>, AppError> {
    let Some(user_id) = session.user_id() else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let user = match session_store::session_user(user_id) {
        Some(user) => Some(user).filter(|user| user.active),
        None => state.accounts.active_user(user_id).await?,
    };
    match user {
        Some(user) => {
            req.extensions_mut().insert(LoggedInUserId(user.id));
            Ok(Some(user))
        }
        None => {
            // Deleted or disabled meanwhile: this session ends now.
            session.log_out();
            Ok(None)
        }
    }
}
