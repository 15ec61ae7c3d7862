//! `GET /admin/users` (search, filter, sort, pages), `GET /admin/users/{id}`, and the small
//! helps on that page: unlock, mark verified, turn two-step login off, remove every passkey.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::audit::EventRow;
use crate::accounts::admin::{SortColumn, Total, UserActivity, UserFilter, UserOrder};
use crate::accounts::{FieldErrors, User};
use crate::auth::AdminUser;
use crate::domain::{Role, SearchTerm};
use crate::errors::AppError;
use crate::routes::Page;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, render, see_other, url_encode};

pub const PER_PAGE: i64 = 50;

/// The list's query string, as given.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    two_factor: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// The list's query string, checked.
#[derive(Debug, Clone)]
struct ListParams {
    filter: UserFilter,
    order: UserOrder,
    page: i64,
}

impl ListQuery {
    fn parse(&self) -> Result<ListParams, AppError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let role = given(&self.role)
            .map(|r| {
                Role::parse(&r)
                    .map_err(|_| AppError::BadRequest("role must be user or admin".into()))
            })
            .transpose()?;
        let active = either(given(&self.status), ("active", "disabled"), "status")?;
        let two_factor = either(given(&self.two_factor), ("on", "off"), "two_factor")?;
        let order = match given(&self.sort) {
            None => UserOrder::default(),
            Some(sort) => UserOrder::parse(&sort).ok_or_else(|| {
                AppError::BadRequest(
                    "sort must be email, name, role, status, created or last_login, with - for descending".into(),
                )
            })?,
        };
        let page = match given(&self.page) {
            None => 1,
            Some(page) => page
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=10_000_000).contains(p))
                .ok_or_else(|| AppError::BadRequest("page must be a whole number from 1".into()))?,
        };
        let search = SearchTerm::parse(self.q.as_deref().unwrap_or_default())
            .map_err(AppError::BadRequest)?;
        Ok(ListParams {
            filter: UserFilter {
                search,
                role,
                active,
                two_factor,
            },
            order,
            page,
        })
    }
}

/// A two-valued filter: `Some(true)` for the first word, `Some(false)` for the second,
/// `None` when not given; anything else is a 400 naming `parameter` and both words.
fn either(
    value: Option<String>,
    (yes, no): (&str, &str),
    parameter: &str,
) -> Result<Option<bool>, AppError> {
    match value.as_deref() {
        None => Ok(None),
        Some(word) if word == yes => Ok(Some(true)),
        Some(word) if word == no => Ok(Some(false)),
        Some(_) => Err(AppError::BadRequest(format!(
            "{parameter} must be {yes} or {no}"
        ))),
    }
}

impl ListParams {
    /// The list's URL with another page or order, keeping everything else.
    fn href(&self, page: i64, order: UserOrder) -> String {
        let mut parts = Vec::new();
        if let Some(q) = &self.filter.search {
            parts.push(format!("q={}", url_encode(q.as_str())));
        }
        if let Some(role) = self.filter.role {
            parts.push(format!("role={}", role.as_str()));
        }
        if let Some(active) = self.filter.active {
            parts.push(format!(
                "status={}",
                if active { "active" } else { "disabled" }
            ));
        }
        if let Some(on) = self.filter.two_factor {
            parts.push(format!("two_factor={}", on_or_off(on)));
        }
        if order != UserOrder::default() {
            parts.push(format!("sort={}", order.as_param()));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/admin/users".into()
        } else {
            format!("/admin/users?{}", parts.join("&"))
        }
    }
}

fn on_or_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    active: bool,
    created: String,
    last_login: String,
    /// Since when two-step login is on, if it is.
    two_factor_since: Option<String>,
}

impl From<User> for UserRow {
    fn from(user: User) -> Self {
        Self {
            role: user.role().as_str(),
            created: format_time(user.created_at),
            last_login: user
                .last_login_at
                .map_or_else(|| "never".into(), format_time),
            two_factor_since: user.two_factor_since.map(format_time),
            id: user.id,
            email: user.email,
            name: user.name,
            active: user.active,
        }
    }
}

struct ColumnHeader {
    label: &'static str,
    href: String,
    /// `ascending`/`descending` on the column the list is sorted by.
    aria_sort: Option<&'static str>,
    arrow: &'static str,
}

struct PageLink {
    label: &'static str,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: PageContext,
    q: String,
    role: String,
    status: String,
    /// `on`, `off` or empty, as the filter form shows it.
    two_factor: String,
    rows: Vec<UserRow>,
    /// `121 users`, or `1,000+ users` for a search with very many matches.
    total_label: String,
    current_page: i64,
    /// `3`, or `200+` when the total is a lower bound.
    last_page_label: String,
    headers: Vec<ColumnHeader>,
    pager: Vec<PageLink>,
}

fn headers(params: &ListParams) -> Vec<ColumnHeader> {
    let labels = [
        (SortColumn::Email, "Email"),
        (SortColumn::Name, "Name"),
        (SortColumn::Role, "Role"),
        (SortColumn::Status, "Status"),
        (SortColumn::Created, "Created"),
        (SortColumn::LastLogin, "Last login"),
    ];
    labels
        .into_iter()
        .map(|(column, label)| {
            let sorted_here = params.order.column == column;
            // A click on the sorted column flips it; on another column it sorts ascending.
            let descending = sorted_here && !params.order.descending;
            ColumnHeader {
                label,
                href: params.href(1, UserOrder { column, descending }),
                aria_sort: sorted_here.then_some(if params.order.descending {
                    "descending"
                } else {
                    "ascending"
                }),
                arrow: match (sorted_here, params.order.descending) {
                    (false, _) => "",
                    (true, false) => " ▲",
                    (true, true) => " ▼",
                },
            }
        })
        .collect()
}

fn total_label(total: Total) -> String {
    match total {
        Total::Exact(1) => "1 user".into(),
        Total::Exact(n) => format!("{} users", thousands(n)),
        Total::AtLeast(n) => format!("{}+ users", thousands(n)),
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pager(params: &ListParams, last_page: i64, last_is_known: bool) -> Vec<PageLink> {
    let link = |label, target: i64, enabled: bool| PageLink {
        label,
        href: enabled.then(|| params.href(target, params.order)),
    };
    let page = params.page;
    vec![
        link("First", 1, page > 1),
        link("Previous", page - 1, page > 1),
        link("Next", page + 1, page < last_page),
        link("Last", last_page, page < last_page && last_is_known),
    ]
}

#[get("/admin/users")]
pub async fn list(
    page: Page,
    admin: AdminUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let params = query.parse()?;
    let (rows, total) = admin
        .powers
        .user_page(params.filter.clone(), params.order, params.page, PER_PAGE)
        .await?;
    let (count, last_is_known) = match total {
        Total::Exact(n) => (n, true),
        Total::AtLeast(n) => (n, false),
    };
    let last_page = ((count + PER_PAGE - 1) / PER_PAGE).max(1);
    let view = UsersPage {
        page: page.context(Some(admin.powers.admin())),
        q: query.q.clone().unwrap_or_default(),
        role: params
            .filter
            .role
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        status: params
            .filter
            .active
            .map(|a| if a { "active" } else { "disabled" }.to_string())
            .unwrap_or_default(),
        two_factor: params
            .filter
            .two_factor
            .map(|on| on_or_off(on).to_string())
            .unwrap_or_default(),
        rows: rows.into_iter().map(UserRow::from).collect(),
        total_label: total_label(total),
        current_page: params.page,
        last_page_label: format!(
            "{}{}",
            thousands(last_page),
            if last_is_known { "" } else { "+" }
        ),
        headers: headers(&params),
        pager: pager(&params, last_page, last_is_known),
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    page: PageContext,
    user: UserRow,
    verified: bool,
    /// `Some(time)` while password login is locked.
    locked_until: Option<String>,
    /// The admin's own account: their two-step login and passkeys are managed on their
    /// profile.
    own: bool,
    /// How many passkeys the account has.
    passkeys: i64,
    /// The linked external providers: name, the email they gave, when linked, last used.
    providers: Vec<(String, String, String, String)>,
    /// A refused help, at its field (`passkeys`).
    errors: FieldErrors,
    events: Vec<EventRow>,
}

impl UserPage {
    fn new(page: &Page, admin: &AdminUser, activity: UserActivity, errors: FieldErrors) -> Self {
        Self {
            page: page.context(Some(admin.powers.admin())),
            verified: activity.user.email_verified_at.is_some(),
            locked_until: activity.locked_until.map(format_time),
            own: activity.user.id == admin.powers.admin().id,
            passkeys: activity.passkeys,
            providers: activity
                .providers
                .iter()
                .map(|p| {
                    (
                        p.provider.clone(),
                        p.email.clone().unwrap_or_default(),
                        format_time(p.created_at),
                        p.last_used_at.map_or("never".into(), format_time),
                    )
                })
                .collect(),
            errors,
            user: UserRow::from(activity.user),
            events: activity.events.into_iter().map(EventRow::from).collect(),
        }
    }
}

#[get("/admin/users/{id}")]
pub async fn show(
    page: Page,
    admin: AdminUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let activity = admin.powers.user_activity(id.into_inner()).await?;
    render(
        StatusCode::OK,
        &UserPage::new(&page, &admin, activity, FieldErrors::default()),
    )
}

#[post("/admin/users/{id}/unlock")]
pub async fn unlock(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = admin.powers.unlock(id.into_inner(), ip).await?;
    admin
        .me
        .session
        .set_flash(&format!("Unlocked {}: they can log in again.", user.email))?;
    Ok(see_other(&format!("/admin/users/{}", user.id)))
}

#[post("/admin/users/{id}/verify")]
pub async fn mark_verified(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = admin
        .powers
        .mark_email_verified(id.into_inner(), ip)
        .await?;
    admin
        .me
        .session
        .set_flash(&format!("{} is marked verified.", user.email))?;
    Ok(see_other(&format!("/admin/users/{}", user.id)))
}

#[post("/admin/users/{id}/two-factor/off")]
pub async fn turn_off_two_factor(
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let message = match admin.powers.turn_off_two_factor_for(id, ip).await {
        Ok(user) => format!(
            "Two-step login is off for {}: their sessions ended, and they were mailed. \
             They can log in with their password alone.",
            user.email
        ),
        // Already off, or the admin's own: said on the page, nothing changed.
        Err(error) => FormRefusal::from_error(error)?
            .summary()
            .unwrap_or_default(),
    };
    admin.me.session.set_flash(&message)?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[post("/admin/users/{id}/passkeys/remove")]
pub async fn remove_passkeys(
    page: Page,
    admin: AdminUser,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match admin.powers.remove_passkeys_of(id, ip).await {
        Ok(removed) => {
            let plural = if removed.count == 1 { "" } else { "s" };
            let way_in = if removed.user.has_password() {
                "They can log in with their password."
            } else {
                "They have no password: a password reset by mail lets them in."
            };
            admin.me.session.set_flash(&format!(
                "Removed {} passkey{plural} from {}; their sessions ended and they were mailed. {way_in}",
                removed.count, removed.user.email
            ))?;
            Ok(see_other(&format!("/admin/users/{id}")))
        }
        // None to remove, or the admin's own: the page again (422) with the reason at the
        // passkeys; nothing changed.
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let activity = admin.powers.user_activity(id).await?;
            refusal.render(&UserPage::new(
                &page,
                &admin,
                activity,
                refusal.errors.clone(),
            ))
        }
    }
}
