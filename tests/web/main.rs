//! End-to-end tests of the web application over real HTTP, each run on SQLite and on
//! PostgreSQL (see `helpers::on_both_backends`).

mod helpers;

mod admin;
mod admin_passkeys;
mod admin_two_factor;
mod api;
mod api_docs;
mod csrf;
mod external_sign_in;
mod hostile_input;
mod invitations;
mod login;
mod mail;
mod oidc_provider;
mod operations;
mod own_data;
mod pages;
mod passkeys;
mod password;
mod password_reset;
mod profile;
mod reauth;
mod secrets;
mod sessions;
mod setup;
mod signup;
mod throttling;
mod transactions;
mod two_factor;
mod verification;
