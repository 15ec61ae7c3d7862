//! The one gate in front of `/admin` and the admin part of `/api`: the user is loaded from
//! the database on every request and must hold the admin role. Passing it ([`AdminUser`]
//! for pages, [`ApiAdmin`] for the API, which answers in JSON) is how a handler gets
//! [`AdminPowers`]; a refused caller is audited. Where admins must use two-step login
//! (`GATEHOUSE_REQUIRE_ADMIN_2FA`), an admin without it is sent to set it up (pages) or
//! refused with 403 (API) — not audited: they are an admin, one step short.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::CurrentUser;
use super::api_auth::ApiCaller;
use crate::accounts::{AdminPowers, User};
use crate::errors::{ApiError, AppError};
use crate::state::AppState;
use crate::web::ClientIp;

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
        let req = req.clone();
        Box::pin(async move {
            let me = current.await?;
            let powers = match admin_powers(&req, &me.user).await {
                Err(error @ AppError::TwoFactorRequired) => {
                    // Said on the set-up page, where the redirect leads.
                    me.session.set_flash(&error.to_string())?;
                    return Err(error.into());
                }
                powers => powers?,
            };
            Ok(Self { me, powers })
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
        match admin_powers(req, &caller.user).await {
            Ok(powers) => Ok(Self { caller, powers }),
            Err(AppError::Forbidden) => Err(ApiError::Forbidden("This needs an admin")),
            Err(other) => Err(other.into()),
        }
    }
}

/// The admin powers of `user`, or `Forbidden` after auditing the attempt, or
/// `TwoFactorRequired` for an admin without two-step login where admins must have it.
async fn admin_powers(req: &HttpRequest, user: &User) -> Result<AdminPowers, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    if let Some(powers) = state.accounts.admin_powers(user) {
        if state.settings.require_admin_2fa && !user.has_two_factor() {
            return Err(AppError::TwoFactorRequired);
        }
        return Ok(powers);
    }
    state
        .accounts
        .record_admin_denial(user, ClientIp::of(req), req.path().to_string())
        .await?;
    Err(AppError::Forbidden)
}
