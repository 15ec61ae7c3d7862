//! Gatehouse: self-hosted user accounts in one binary. `main.rs` only calls [`cli::run`].

pub mod accounts;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod errors;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod web;
