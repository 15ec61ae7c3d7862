//! The admin's user list: search, filters, sort on every column both ways, and pages.
//! Every ordering ends on `id` so that pages never overlap or skip a row.

use diesel::prelude::*;

use super::DbConnection;
use super::connection::MultiBackend;
use super::models::User;
use super::schema::users;
use crate::domain::Role;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on SQLite and PostgreSQL.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `coalesce(x, y)` for a nullable BIGINT: never-logged-in users sort as the oldest.
    fn coalesce(value: diesel::sql_types::Nullable<diesel::sql_types::BigInt>, fallback: diesel::sql_types::BigInt) -> diesel::sql_types::BigInt;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Email,
    Name,
    Created,
    LastLogin,
}

impl SortColumn {
    pub const ALL: [SortColumn; 4] = [Self::Email, Self::Name, Self::Created, Self::LastLogin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Name => "name",
            Self::Created => "created",
            Self::LastLogin => "last_login",
        }
    }
}

/// `email`, `-created`, …: a column, descending when prefixed with `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserOrder {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for UserOrder {
    /// Newest accounts first.
    fn default() -> Self {
        Self {
            column: SortColumn::Created,
            descending: true,
        }
    }
}

impl UserOrder {
    pub fn parse(raw: &str) -> Option<Self> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        let column = SortColumn::ALL.into_iter().find(|c| c.as_str() == name)?;
        Some(Self { column, descending })
    }

    pub fn as_param(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.column.as_str()
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// A substring of the email or the name, any case.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

type BoxedUsers<'a> = users::BoxedQuery<'a, MultiBackend>;

fn filtered(filter: &UserFilter) -> BoxedUsers<'static> {
    let mut query = users::table.into_boxed::<MultiBackend>();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            users::email
                .like(pattern.clone())
                .escape('\\')
                .or(lower(users::name).like(pattern).escape('\\')),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    query
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn ordered(query: BoxedUsers<'static>, order: UserOrder) -> BoxedUsers<'static> {
    use SortColumn::*;
    match (order.column, order.descending) {
        (Email, false) => query.order((users::email.asc(), users::id.asc())),
        (Email, true) => query.order((users::email.desc(), users::id.desc())),
        (Name, false) => query.order((users::name.asc(), users::id.asc())),
        (Name, true) => query.order((users::name.desc(), users::id.desc())),
        (Created, false) => query.order((users::created_at.asc(), users::id.asc())),
        (Created, true) => query.order((users::created_at.desc(), users::id.desc())),
        (LastLogin, false) => {
            query.order((coalesce(users::last_login_at, 0).asc(), users::id.asc()))
        }
        (LastLogin, true) => {
            query.order((coalesce(users::last_login_at, 0).desc(), users::id.desc()))
        }
    }
}

/// One page of users (1-based) and how many match in all.
pub fn page(
    conn: &mut DbConnection,
    filter: &UserFilter,
    order: UserOrder,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows = ordered(filtered(filter), order)
        .select(User::as_select())
        .limit(per_page)
        .offset((page.max(1) - 1) * per_page)
        .load(conn)?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_parameters_round_trip_and_unknown_ones_are_refused() {
        for column in SortColumn::ALL {
            for descending in [false, true] {
                let order = UserOrder { column, descending };
                assert_eq!(UserOrder::parse(&order.as_param()), Some(order));
            }
        }
        assert_eq!(UserOrder::parse("password_hash"), None);
        assert_eq!(UserOrder::parse("--email"), None);
    }

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
