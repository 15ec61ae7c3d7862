//! `GET,POST /admin/invitations` (pending invitations, and the form that sends one),
//! `POST /admin/invitations/{id}/resend`, `POST /admin/invitations/{id}/revoke`;
//! `GET /admin/deletion-requests` and `POST /admin/users/{id}/approve-deletion` (accounts
//! whose owners asked for deletion, where the operator wants deletions approved).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::invitations::{INVITATION_DAYS, Invite, PendingInvitation};
use crate::auth::AdminUser;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, render, see_other};

const PAGE: &str = "/admin/invitations";

#[derive(Template)]
#[template(path = "admin/invitations.html")]
struct InvitationsPage {
    page: PageContext,
    pending: Vec<InvitationRow>,
    days: i64,
    email: String,
    role: String,
    errors: FieldErrors,
}

struct InvitationRow {
    id: i64,
    email: String,
    role: &'static str,
    invited_by: String,
    sent: String,
    expires: String,
}

impl From<PendingInvitation> for InvitationRow {
    fn from(invitation: PendingInvitation) -> Self {
        Self {
            id: invitation.id,
            role: invitation.role.as_str(),
            invited_by: invitation
                .invited_by
                .unwrap_or_else(|| "the command line".into()),
            sent: format_time(invitation.created_at),
            expires: format_time(invitation.expires_at),
            email: invitation.email,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

async fn invitations_page(
    page: &Page,
    admin: &AdminUser,
    form: &InviteForm,
    errors: FieldErrors,
) -> Result<InvitationsPage, AppError> {
    let pending = admin.powers.pending_invitations().await?;
    Ok(InvitationsPage {
        page: page.context(Some(admin.powers.admin())),
        pending: pending.into_iter().map(InvitationRow::from).collect(),
        days: INVITATION_DAYS,
        email: form.email.clone(),
        role: if form.role.is_empty() {
            "user".into()
        } else {
            form.role.clone()
        },
        errors,
    })
}

#[get("/admin/invitations")]
pub async fn list(page: Page, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let form = InviteForm::default();
    let view = invitations_page(&page, &admin, &form, FieldErrors::default()).await?;
    render(StatusCode::OK, &view)
}

#[post("/admin/invitations")]
pub async fn invite(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let command = Invite {
        email: form.email.clone(),
        role: form.role.clone(),
    };
    match admin.powers.invite(command, ip).await {
        Ok(sent) => {
            let message = format!("An invitation was mailed to {}.", sent.email);
            admin.me.session.set_flash(&message)?;
            Ok(see_other(PAGE))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let view = invitations_page(&page, &admin, &form, refusal.errors.clone()).await?;
            refusal.render(&view)
        }
    }
}

#[post("/admin/invitations/{id}/resend")]
pub async fn resend(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    admin.powers.resend_invitation(id.into_inner(), ip).await?;
    admin.me.session.set_flash(
        "The invitation was mailed again with a new link; the old link no longer works.",
    )?;
    Ok(see_other(PAGE))
}

#[post("/admin/invitations/{id}/revoke")]
pub async fn revoke(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    admin.powers.revoke_invitation(id.into_inner(), ip).await?;
    admin
        .me
        .session
        .set_flash("The invitation was revoked: its link no longer works.")?;
    Ok(see_other(PAGE))
}

#[derive(Template)]
#[template(path = "admin/deletion_requests.html")]
struct DeletionRequestsPage {
    page: PageContext,
    /// (id, email, name, asked on)
    requests: Vec<(i64, String, String, String)>,
}

#[get("/admin/deletion-requests")]
pub async fn deletion_requests(page: Page, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let requests = admin.powers.deletion_requests().await?;
    let view = DeletionRequestsPage {
        page: page.context(Some(admin.powers.admin())),
        requests: requests
            .into_iter()
            .map(|(user, at)| (user.id, user.email, user.name, format_time(at)))
            .collect(),
    };
    render(StatusCode::OK, &view)
}

#[post("/admin/users/{id}/approve-deletion")]
pub async fn approve_deletion(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = admin.powers.approve_deletion(id.into_inner(), ip).await?;
    let message = format!("The account of {} was deleted, as they asked.", user.email);
    admin.me.session.set_flash(&message)?;
    Ok(see_other("/admin/deletion-requests"))
}
