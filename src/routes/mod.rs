//! HTTP handlers, one module per area. Handlers parse input, call `accounts`, and render a
//! template or redirect; they hold no business rules and no SQL.

pub mod account;
pub mod admin;
pub mod api;
pub mod health;
pub mod home;
pub mod setup;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(health::healthz)
        .service(crate::web::metrics::serve)
        .service(crate::web::assets::serve)
        .service(setup::show)
        .service(setup::submit);
    account::configure(cfg);
    admin::configure(cfg);
    api::configure(cfg);
}
