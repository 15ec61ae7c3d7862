//! The one gate in front of `/admin`: the user is loaded from the database on every request
//! and must hold the admin role. Passing it is the only way to obtain [`AdminPowers`], so
//! no admin operation can be called from a handler that skipped the check.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::CurrentUser;
use crate::accounts::admin::AdminPowers;
use crate::audit::{AuditEntry, Outcome, action};
use crate::errors::AppError;
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
        let ip = ClientIp::from_request(req, payload).into_inner();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let path = req.path().to_string();
        Box::pin(async move {
            let me = current.await?;
            if let Some(powers) = AdminPowers::for_user(&me.user) {
                return Ok(Self { me, powers });
            }
            if let (Some(state), Ok(ip)) = (state, ip) {
                let now = state.clock.now();
                let audit = AuditEntry::new(action::ADMIN_DENIED, Outcome::Failure)
                    .by(&me.user)
                    .from(ip)
                    .detail(path);
                state.db.run(move |conn| audit.write(conn, now)).await?;
            }
            Err(AppError::Forbidden.into())
        })
    }
}
