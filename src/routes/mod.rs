//! HTTP handlers, one module per area. A handler parses the request into a typed command
//! of `accounts`, calls the use case, and renders a template, redirects or answers JSON;
//! refusals become pages through `web::FormRefusal` or `errors::AppError`, JSON through
//! `errors::ApiError`. Handlers hold no account rules and never touch `db`: every read
//! and write goes through `accounts`.

pub mod account;
pub mod admin;
pub mod api;
pub(crate) mod export_document;
mod home;
mod operations;
mod page;
mod setup;

use actix_web::web;

pub use page::Page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(operations::healthz)
        .service(operations::metrics)
        .service(crate::web::assets::serve)
        .service(setup::show)
        .service(setup::submit);
    account::configure(cfg);
    admin::configure(cfg);
    api::configure(cfg);
}
