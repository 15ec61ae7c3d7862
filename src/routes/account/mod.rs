//! The signed-up user's own pages: sign-up, login (and its second step), logout, profile,
//! password, two-step login, passkeys, sessions, API tokens.

mod invitation;
mod login;
mod own_data;
mod passkeys;
mod password;
mod password_reset;
mod profile;
mod providers;
mod reauth;
mod register;
mod second_step;
mod sessions;
mod tokens;
mod two_factor;
mod verify_email;

use actix_web::web;
use serde::Deserialize;

use crate::accounts::registration::SignUp;
use crate::domain::SecretString;

/// The sign-up form, also the first admin's (missing fields arrive empty and are reported
/// per field).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignUpForm {
    pub name: String,
    pub email: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

impl SignUpForm {
    pub fn command(&self) -> SignUp {
        SignUp {
            name: self.name.clone(),
            email: self.email.clone(),
            password: self.password.clone(),
            password_confirm: Some(self.password_confirm.clone()),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register::show)
        .service(register::submit)
        .service(login::show)
        .service(login::submit)
        .service(login::logout)
        .service(login::passkey_options)
        .service(login::passkey_submit)
        .service(second_step::show)
        .service(second_step::submit)
        .service(second_step::passkey_options)
        .service(second_step::passkey_submit)
        .service(invitation::show)
        .service(invitation::accept)
        .service(own_data::show)
        .service(own_data::submit)
        .service(own_data::withdraw)
        .service(own_data::export)
        .service(providers::start)
        .service(providers::callback)
        .service(providers::link_form)
        .service(providers::link_submit)
        .service(providers::list)
        .service(providers::link)
        .service(providers::unlink)
        .service(providers::confirm)
        .service(passkeys::list)
        .service(passkeys::options)
        .service(passkeys::add)
        .service(passkeys::rename)
        .service(passkeys::remove)
        .service(two_factor::show)
        .service(two_factor::confirm)
        .service(two_factor::new_recovery_codes)
        .service(two_factor::turn_off)
        .service(profile::show)
        .service(profile::submit)
        .service(password::show)
        .service(password::submit)
        .service(password_reset::show)
        .service(password_reset::submit)
        .service(password_reset::show_link)
        .service(password_reset::submit_link)
        .service(reauth::show)
        .service(reauth::submit)
        .service(sessions::list)
        .service(sessions::revoke_one)
        .service(sessions::revoke_others)
        .service(verify_email::show_link)
        .service(verify_email::confirm_link)
        .service(verify_email::resend)
        .service(tokens::list)
        .service(tokens::create)
        .service(tokens::revoke_all)
        .service(tokens::revoke);
}
