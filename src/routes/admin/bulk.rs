//! `POST /admin/users/bulk`: the list's checkboxes and action. Without `confirm` it shows
//! which accounts will change; with it, it applies the action.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use askama::Template;

use crate::accounts::admin::{BulkAction, BulkPlan};
use crate::auth::AdminUser;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, render, see_other};

/// More than this many ids in one request is refused.
pub const MAX_IDS: usize = 500;

/// The submitted form: `action`, repeated `ids`, and `confirm` on the second step.
struct BulkForm {
    action: BulkAction,
    ids: Vec<i64>,
    confirmed: bool,
}

impl BulkForm {
    fn parse(body: &[u8]) -> Result<Self, AppError> {
        let (mut action, mut ids, mut confirmed) = (None, Vec::new(), false);
        for (name, value) in url::form_urlencoded::parse(body) {
            match name.as_ref() {
                "action" => action = BulkAction::parse(&value),
                "ids" => ids.push(
                    value
                        .parse::<i64>()
                        .map_err(|_| AppError::BadRequest("ids must be account numbers".into()))?,
                ),
                "confirm" => confirmed = value == "yes",
                _ => {}
            }
        }
        let action = action.ok_or_else(|| {
            AppError::BadRequest("Choose an action: disable, enable or delete.".into())
        })?;
        if ids.len() > MAX_IDS {
            return Err(AppError::BadRequest(format!(
                "Select at most {MAX_IDS} accounts at once."
            )));
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Self {
            action,
            ids,
            confirmed,
        })
    }
}

struct AccountLine {
    email: String,
    name: String,
    reason: &'static str,
}

#[derive(Template)]
#[template(path = "admin/bulk.html")]
struct BulkPage {
    page: PageContext,
    action: &'static str,
    verb: &'static str,
    changing_ids: Vec<i64>,
    changing: Vec<AccountLine>,
    unchanged: Vec<AccountLine>,
    error: Option<String>,
}

fn confirmation(
    page: &Page,
    admin: &AdminUser,
    action: BulkAction,
    plan: BulkPlan,
    error: Option<String>,
) -> BulkPage {
    BulkPage {
        page: page.context(Some(admin.powers.admin())),
        action: action.as_str(),
        verb: match action {
            BulkAction::Disable => "Disable",
            BulkAction::Enable => "Enable",
            BulkAction::Delete => "Delete",
        },
        changing_ids: plan.changing.iter().map(|u| u.id).collect(),
        changing: plan
            .changing
            .into_iter()
            .map(|u| AccountLine {
                email: u.email,
                name: u.name,
                reason: "",
            })
            .collect(),
        unchanged: plan
            .unchanged
            .into_iter()
            .map(|(u, reason)| AccountLine {
                email: u.email,
                name: u.name,
                reason,
            })
            .collect(),
        error,
    }
}

#[post("/admin/users/bulk")]
pub async fn submit(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = BulkForm::parse(&body)?;
    if form.ids.is_empty() {
        let view = confirmation(
            &page,
            &admin,
            form.action,
            BulkPlan::default(),
            Some("Select at least one account first.".into()),
        );
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    }
    if !form.confirmed {
        let plan = admin.powers.plan_bulk(form.action, form.ids).await?;
        return render(
            StatusCode::OK,
            &confirmation(&page, &admin, form.action, plan, None),
        );
    }
    match admin
        .powers
        .apply_bulk(form.action, form.ids.clone(), ip)
        .await
    {
        Ok(changed) => {
            let count = changed.len();
            let noun = if count == 1 { "account" } else { "accounts" };
            admin
                .me
                .session
                .set_flash(&format!("{} {count} {noun}.", form.action.done()))?;
            Ok(see_other("/admin/users"))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let message = refusal.summary();
            let plan = admin.powers.plan_bulk(form.action, form.ids).await?;
            refusal.render(&confirmation(&page, &admin, form.action, plan, message))
        }
    }
}
