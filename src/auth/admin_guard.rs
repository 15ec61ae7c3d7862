//! The one gate in front of `/admin` and the admin part of `/api`: the user is loaded from
//! the database on every request and must hold the admin role. Passing it ([`AdminUser`]
//! for pages, [`ApiAdmin`] for the API, which answers in JSON) is the only way to obtain
//! [`AdminPowers`], so no admin operation can be called from a handler that skipped it.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::CurrentUser;
use super::api_auth::ApiCaller;
use crate::accounts::admin::AdminPowers;
use crate::audit::{AuditEntry, Outcome, action};
use crate::db::models::User;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::ClientIp;
use crate::web::api_error::ApiError;

/// A logged-in admin, with the powers that go with the role.
pub struct AdminUser {
    pub me: CurrentUser,
    pub powers: AdminPowers,
}

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let ip = ClientIp::from_request(req, payload).into_inner();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let path = req.path().to_string();
        Box::pin(async move {
            let me = current.await?;
            if let Some(powers) = AdminPowers::for_user(&me.user) {
                return Ok(Self { me, powers });
            }
            if let (Some(state), Ok(ip)) = (state, ip) {
                record_denial(&state, &me.user, ip, path).await?;
            }
            Err(AppError::Forbidden.into())
        })
    }
}

/// An API caller (token or session) who is an active admin, with the admin's powers.
pub struct ApiAdmin {
    pub caller: ApiCaller,
    pub powers: AdminPowers,
}

impl FromRequest for ApiAdmin {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = ApiCaller::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move { Ok(Self::check(caller.await?, &req).await?) })
    }
}

impl ApiAdmin {
    /// Lets an already authenticated caller through if they are an active admin (for
    /// handlers open to admins and to someone else, such as the account's owner).
    pub async fn check(caller: ApiCaller, req: &HttpRequest) -> Result<Self, ApiError> {
        if let Some(powers) = AdminPowers::for_user(&caller.user) {
            return Ok(Self { caller, powers });
        }
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            record_denial(state, &caller.user, caller.ip, req.path().to_string()).await?;
        }
        Err(ApiError::Forbidden("This needs an admin"))
    }
}

/// Audits a non-admin knocking on an admin door.
async fn record_denial(
    state: &AppState,
    user: &User,
    ip: ClientIp,
    path: String,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let audit = AuditEntry::new(action::ADMIN_DENIED, Outcome::Failure)
        .by(user)
        .from(ip)
        .detail(path);
    state.db.run(move |conn| audit.write(conn, now)).await
}
