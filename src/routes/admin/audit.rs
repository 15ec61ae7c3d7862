//! `GET /admin/audit`: the audit log, newest first, filtered by actor, target and action,
//! paged by id (`before`) so that deep pages cost no more than the first.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::AuditEvent;
use crate::accounts::admin::AuditFilter;
use crate::accounts::audit::action;
use crate::auth::AdminUser;
use crate::domain::Email;
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{PageContext, format_time, render, url_encode};

const PER_PAGE: i64 = 50;

/// One audit row as shown.
pub struct EventRow {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub target_id: Option<i64>,
    pub outcome: String,
    pub ip: String,
    pub detail: String,
}

impl From<AuditEvent> for EventRow {
    fn from(event: AuditEvent) -> Self {
        Self {
            time: format_time(event.created_at),
            actor: event.actor.unwrap_or_else(|| "—".into()),
            action: event.action,
            target: event.target.unwrap_or_default(),
            target_id: event.target_id,
            outcome: event.outcome,
            ip: event.ip.unwrap_or_default(),
            detail: event.detail.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    before: Option<String>,
}

impl AuditQuery {
    fn parse(&self) -> Result<(AuditFilter, Option<i64>), AppError> {
        let email = |name: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) if v.chars().count() <= Email::MAX_LEN && !v.chars().any(char::is_control) => {
                Ok(Some(v.to_lowercase()))
            }
            Some(_) => Err(AppError::BadRequest(format!(
                "{name} must be an email as the log shows it: at most {} characters, without control characters",
                Email::MAX_LEN
            ))),
        };
        let action = match self
            .action
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(a) if action::ALL.contains(&a) => Some(a.to_string()),
            Some(_) => {
                return Err(AppError::BadRequest(
                    "action must be one of the listed audit actions".into(),
                ));
            }
        };
        let before =
            match self
                .before
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                None => None,
                Some(raw) => Some(raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(
                    || AppError::BadRequest("before must be an event number".into()),
                )?),
            };
        Ok((
            AuditFilter {
                actor: email("actor", &self.actor)?,
                target: email("target", &self.target)?,
                action,
            },
            before,
        ))
    }
}

fn older_href(filter: &AuditFilter, before: i64) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("actor", &filter.actor),
        ("target", &filter.target),
        ("action", &filter.action),
    ] {
        if let Some(value) = value {
            parts.push(format!("{name}={}", url_encode(value)));
        }
    }
    parts.push(format!("before={before}"));
    format!("/admin/audit?{}", parts.join("&"))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    page: PageContext,
    actor: String,
    target: String,
    action: String,
    actions: &'static [&'static str],
    events: Vec<EventRow>,
    older: Option<String>,
    paged: bool,
}

#[get("/admin/audit")]
pub async fn list(
    page: Page,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, before) = query.parse()?;
    let (events, more) = admin
        .powers
        .audit_page(filter.clone(), before, PER_PAGE)
        .await?;
    let older = more
        .then(|| events.last().map(|e| older_href(&filter, e.id)))
        .flatten();
    let view = AuditPage {
        page: page.context(Some(admin.powers.admin())),
        actor: filter.actor.clone().unwrap_or_default(),
        target: filter.target.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        actions: action::ALL,
        events: events.into_iter().map(EventRow::from).collect(),
        older,
        paged: before.is_some(),
    };
    render(StatusCode::OK, &view)
}
