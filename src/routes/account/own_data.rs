//! A person's own data: `GET,POST /profile/delete` (delete the account, or ask an admin to,
//! as the operator chose), `POST /profile/delete/withdraw`, and `GET /profile/export` (every
//! row about the account as one JSON file). All but withdrawing need the password typed
//! within ten minutes. The rules are `accounts::own_data`'s.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::own_data::Deletion;
use crate::auth::{CurrentUser, RecentlyAuthenticated};
use crate::domain::DeletionPolicy;
use crate::errors::AppError;
use crate::routes::Page;
use crate::routes::export_document::{ExportDocument, file_name};
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, is_checked, render, see_other};

const PAGE: &str = "/profile/delete";

#[derive(Template)]
#[template(path = "account/delete.html")]
struct DeletePage {
    page: PageContext,
    /// Deletions wait for an admin's approval.
    approval: bool,
    /// When this account's deletion was asked for, if it waits.
    requested: Option<String>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirm: Option<String>,
}

async fn delete_page(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    errors: FieldErrors,
) -> Result<DeletePage, AppError> {
    let requested = state.accounts.deletion_requested_at(&me.user).await?;
    Ok(DeletePage {
        page: page.context(Some(&me.user)),
        approval: state.accounts.policies().deletion == DeletionPolicy::Approval,
        requested: requested.map(format_time),
        errors,
    })
}

#[get("/profile/delete")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
) -> Result<HttpResponse, AppError> {
    let view = delete_page(&state, &page, &me, FieldErrors::default()).await?;
    render(StatusCode::OK, &view)
}

#[post("/profile/delete")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let refused = |errors: FieldErrors| async {
        let view = delete_page(&state, &page, &me, errors).await?;
        render(StatusCode::UNPROCESSABLE_ENTITY, &view)
    };
    if !is_checked(&form.confirm) {
        let message = "Tick the box to confirm that you want your account deleted.";
        return refused(FieldErrors::single("confirm", message)).await;
    }
    match state.accounts.delete_own_account(&me.user, ip).await {
        Ok(Deletion::Deleted) => {
            me.session.log_out();
            let mut response = see_other("/login?deleted=1");
            // The browser forgets what it kept of the account: its cookies and cached pages.
            response.headers_mut().insert(
                HeaderName::from_static("clear-site-data"),
                HeaderValue::from_static("\"cache\", \"cookies\""),
            );
            Ok(response)
        }
        Ok(Deletion::Requested) => {
            me.session.set_flash(
                "Your request was sent: an admin will delete your account, and you will be mailed.",
            )?;
            Ok(see_other(PAGE))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            refused(refusal.errors_at("confirm")).await
        }
    }
}

#[post("/profile/delete/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    me: CurrentUser,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    state
        .accounts
        .withdraw_deletion_request(&me.user, ip)
        .await?;
    me.session
        .set_flash("Your deletion request was withdrawn: your account stays.")?;
    Ok(see_other("/profile"))
}

/// Every row about the account as one JSON file (`docs/export.md`).
#[get("/profile/export")]
pub async fn export(
    state: web::Data<AppState>,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
) -> Result<HttpResponse, AppError> {
    let data = state.accounts.account_data(&me.user).await?;
    let name = file_name(data.user.id, data.exported_at);
    let document = ExportDocument::from(data);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .json(document))
}
