//! `GET /sessions`, `POST /sessions/{id}/revoke`, `POST /sessions/revoke`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::SessionRow;
use crate::auth::{CurrentUser, RecentlyAuthenticated};
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, PageContext, format_time, render, see_other};

struct SessionView {
    public_id: String,
    device: String,
    ip: String,
    created: String,
    last_seen: String,
    expires: String,
    /// "29 min", "5 h", "29 days": until the session ends if left idle.
    time_left: String,
    is_current: bool,
}

impl SessionView {
    fn new(row: SessionRow, current: Option<&str>, now: i64) -> Self {
        let ends = row.expires_at.min(row.absolute_expires_at);
        Self {
            time_left: describe_time_left(ends - now),
            is_current: current == Some(row.public_id.as_str()),
            device: describe_device(row.user_agent.as_deref()),
            ip: row.ip.unwrap_or_else(|| "unknown".into()),
            created: format_time(row.created_at),
            last_seen: format_time(row.last_seen_at),
            expires: format_time(row.expires_at.min(row.absolute_expires_at)),
            public_id: row.public_id,
        }
    }
}

/// A duration as people say it, rounded up: "1 min", "29 min", "5 h", "29 days".
fn describe_time_left(seconds: i64) -> String {
    let minutes = (seconds.max(0) + 59) / 60;
    match minutes {
        0..=90 => format!("{minutes} min"),
        91..=2879 => format!("{} h", (minutes + 59) / 60),
        _ => format!("{} days", (minutes + 1439) / 1440),
    }
}

/// "Firefox on Linux", from the user agent.
fn describe_device(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return "Unknown device".into();
    };
    match (agent.name, agent.os) {
        ("UNKNOWN", "UNKNOWN") => "Unknown device".into(),
        (name, "UNKNOWN") => name.to_string(),
        ("UNKNOWN", os) => format!("Unknown browser on {os}"),
        (name, os) => format!("{name} on {os}"),
    }
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    page: PageContext,
    sessions: Vec<SessionView>,
}

#[get("/sessions")]
pub async fn list(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let current = me.session.public_id();
    let rows = state.accounts.live_sessions(&me.user).await?;
    let now = state.now();
    let sessions = rows
        .into_iter()
        .map(|row| SessionView::new(row, current.as_deref(), now))
        .collect();
    render(
        StatusCode::OK,
        &SessionsPage {
            page: page.context(Some(&me.user)),
            sessions,
        },
    )
}

#[post("/sessions/{id}/revoke")]
pub async fn revoke_one(
    state: web::Data<AppState>,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let is_current = me.session.public_id().as_deref() == Some(id.as_str());
    state
        .accounts
        .end_session(&me.user, id.into_inner(), ip)
        .await?;
    if is_current {
        me.session.log_out();
        return Ok(see_other("/login"));
    }
    me.session.set_flash("The session was logged out.")?;
    Ok(see_other("/sessions"))
}

#[post("/sessions/revoke")]
pub async fn revoke_others(
    state: web::Data<AppState>,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    let keep = me.session.public_id();
    let ended = state
        .accounts
        .end_other_sessions(&me.user, keep, ip)
        .await?;
    let message = match ended {
        0 => "There were no other sessions.".to_string(),
        1 => "1 other session was logged out.".to_string(),
        n => format!("{n} other sessions were logged out."),
    };
    me.session.set_flash(&message)?;
    Ok(see_other("/sessions"))
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn time_left_is_rounded_up_to_what_people_say() {
        use super::describe_time_left;
        assert_eq!(describe_time_left(1800), "30 min");
        assert_eq!(describe_time_left(61), "2 min");
        assert_eq!(describe_time_left(3 * 3600), "3 h");
        assert_eq!(describe_time_left(30 * 86400), "30 days");
    }

    #[test]
    fn a_device_is_described_from_its_user_agent() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(describe_device(Some(firefox)), "Firefox on Linux");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
