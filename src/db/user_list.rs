//! The admin's user list: search, filters, sort on every column both ways, and pages —
//! built to stay fast at a million rows (see `docs/benchmarks.md`):
//! - search uses SQLite's FTS5 trigram index or PostgreSQL's pg_trgm index (3+ characters);
//!   on SQLite the index holds each user under a key in the list's default order (newest
//!   first, see migration 8), so a search in creation order reads its page straight from it;
//! - totals come from `user_counts` (kept exact by triggers), or for a search or the
//!   two-step login filter (which the counters do not split by) are counted up to [`COUNT_CAP`];
//! - a page's ids are read from the sort order's index first, then only those rows are loaded.
//!
//! Every ordering ends on `id` so that pages never overlap or skip a row.

use diesel::prelude::*;

use super::DbConnection;
use super::connection::MultiBackend;
use super::models::User;
use super::schema::users;
use crate::domain::{Role, SearchTerm};

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
    Role,
    Status,
    Created,
    LastLogin,
}

impl SortColumn {
    pub const ALL: [SortColumn; 6] = [
        Self::Email,
        Self::Name,
        Self::Role,
        Self::Status,
        Self::Created,
        Self::LastLogin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Name => "name",
            Self::Role => "role",
            Self::Status => "status",
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
    pub search: Option<SearchTerm>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Whether two-step login is on. `user_counts` and `user_created_days` do not count by
    /// it, so with this set the total is capped as a search's is, and no day is sought.
    pub two_factor: Option<bool>,
}

/// Counting the matches of a search stops here; the page then says "1,000+".
pub const COUNT_CAP: i64 = 1_000;

/// SQLite's search index keys each user by `(2^35 - 1 - created_at) * 2^28 + (2^28 - 1 - id)`
/// (migration 8): ascending keys are newest first, as FTS5 reads fastest.
const SEARCH_KEY_IDS: i64 = 1 << 28;

/// The SQL that turns a search key (`s.rowid`, or `rowid`) back into the user's id.
fn id_of_search_key(key: &str) -> String {
    format!("({} - {key} % {SEARCH_KEY_IDS})", SEARCH_KEY_IDS - 1)
}

/// How many users match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// At least this many (a search with very many matches).
    AtLeast(i64),
}

impl Total {
    /// What `matches` rows read with a limit of `COUNT_CAP + 1` say of the total.
    fn capped(matches: i64) -> Self {
        if matches > COUNT_CAP {
            Self::AtLeast(COUNT_CAP)
        } else {
            Self::Exact(matches)
        }
    }
}

type BoxedUsers<'a> = users::BoxedQuery<'a, MultiBackend>;

/// Which SQL the search condition is written in.
#[derive(Clone, Copy)]
enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Sqlite(_) => Self::Sqlite,
            DbConnection::Postgres(_) => Self::Postgres,
        }
    }
}

fn search_term(filter: &UserFilter) -> Option<String> {
    Some(filter.search.as_ref()?.as_str().to_lowercase())
}

fn filtered(filter: &UserFilter, dialect: Dialect) -> BoxedUsers<'static> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut query = users::table.into_boxed::<MultiBackend>();
    if let Some(term) = search_term(filter) {
        let pattern = format!("%{}%", escape_like(&term));
        query = match (dialect, term.chars().count() >= 3) {
            // The trigram index answers substrings of three characters or more.
            (Dialect::Sqlite, true) => query.filter(
                sql::<Bool>("users.id IN (SELECT ")
                    .sql(&id_of_search_key("rowid"))
                    .sql(" FROM users_search WHERE users_search MATCH ")
                    .bind::<Text, _>(fts_phrase(&term))
                    .sql(")"),
            ),
            (Dialect::Postgres, true) => query.filter(
                sql::<Bool>("(users.email || ' ' || lower(users.name)) LIKE ")
                    .bind::<Text, _>(pattern)
                    .sql(" ESCAPE '\\'"),
            ),
            // One or two characters: no index can help; scan.
            (_, false) => query.filter(
                users::email
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(users::name).like(pattern).escape('\\')),
            ),
        };
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    query = match filter.two_factor {
        None => query,
        // The partial index `users_two_factor` holds exactly these.
        Some(true) => query.filter(users::two_factor_since.is_not_null()),
        Some(false) => query.filter(users::two_factor_since.is_null()),
    };
    query
}

/// The search term as one FTS5 phrase (quotes doubled), matched as a substring.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn ordered(query: BoxedUsers<'static>, order: UserOrder) -> BoxedUsers<'static> {
    use SortColumn::*;
    use diesel::dsl::sql;
    // Written exactly as the expression index `users_last_login` is, so both backends use it.
    let last_login = || sql::<diesel::sql_types::BigInt>("COALESCE(users.last_login_at, 0)");
    match (order.column, order.descending) {
        (Email, false) => query.order((users::email.asc(), users::id.asc())),
        (Email, true) => query.order((users::email.desc(), users::id.desc())),
        (Name, false) => query.order((users::name.asc(), users::id.asc())),
        (Name, true) => query.order((users::name.desc(), users::id.desc())),
        (Role, false) => query.order((users::role.asc(), users::id.asc())),
        (Role, true) => query.order((users::role.desc(), users::id.desc())),
        // Ascending status lists disabled accounts first (false before true).
        (Status, false) => query.order((users::active.asc(), users::id.asc())),
        (Status, true) => query.order((users::active.desc(), users::id.desc())),
        (Created, false) => query.order((users::created_at.asc(), users::id.asc())),
        (Created, true) => query.order((users::created_at.desc(), users::id.desc())),
        (LastLogin, false) => query.order((last_login().asc(), users::id.asc())),
        (LastLogin, true) => query.order((last_login().desc(), users::id.desc())),
    }
}

/// Creation order written so that no index provides it (`created_at + 0`): the planner
/// then gathers the search's matches from the trigram index and sorts only those.
fn created_from_the_search_index(
    query: BoxedUsers<'static>,
    descending: bool,
) -> BoxedUsers<'static> {
    use diesel::dsl::sql;
    let created = || sql::<diesel::sql_types::BigInt>("users.created_at + 0");
    if descending {
        query.order((created().desc(), users::id.desc()))
    } else {
        query.order((created().asc(), users::id.asc()))
    }
}

/// Whether `user_counts` and `user_created_days` can answer for this filter: they count by
/// role and status only.
fn counted_by_triggers(filter: &UserFilter) -> bool {
    search_term(filter).is_none() && filter.two_factor.is_none()
}

/// Exact from `user_counts` when it counts what the filter asks; else (a search, two-step
/// login) counted up to [`COUNT_CAP`].
fn total(conn: &mut DbConnection, filter: &UserFilter, dialect: Dialect) -> QueryResult<Total> {
    use super::schema::user_counts;
    if counted_by_triggers(filter) {
        let mut counts = user_counts::table
            .select(user_counts::n)
            .into_boxed::<MultiBackend>();
        if let Some(role) = filter.role {
            counts = counts.filter(user_counts::role.eq(role.as_str()));
        }
        if let Some(active) = filter.active {
            counts = counts.filter(user_counts::active.eq(active));
        }
        return Ok(Total::Exact(counts.load::<i64>(conn)?.into_iter().sum()));
    }
    let matches = filtered(filter, dialect)
        .select(users::id)
        .limit(COUNT_CAP + 1)
        .load::<i64>(conn)?
        .len() as i64;
    Ok(Total::capped(matches))
}

/// From this offset on, PostgreSQL's list in creation order seeks its day first.
const DEEP_OFFSET: i64 = 10_000;
const DAY: i64 = 86_400;

/// PostgreSQL: the creation day that holds row `offset` of the list (in the given
/// direction), and how many rows of the list lie beyond that day's edge before it.
fn seek_created_day(
    conn: &mut DbConnection,
    filter: &UserFilter,
    descending: bool,
    offset: i64,
) -> QueryResult<Option<(i64, i64)>> {
    use super::schema::user_created_days as days;
    let mut query = days::table
        .filter(days::n.gt(0))
        .select((days::day, days::n))
        .into_boxed::<MultiBackend>();
    if let Some(role) = filter.role {
        query = query.filter(days::role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(days::active.eq(active));
    }
    query = if descending {
        query.order(days::day.desc())
    } else {
        query.order(days::day.asc())
    };
    let mut before = 0;
    let rows: Vec<(i64, i64)> = query.load(conn)?;
    for day_rows in rows.chunk_by(|a, b| a.0 == b.0) {
        let in_day: i64 = day_rows.iter().map(|(_, n)| n).sum();
        if before + in_day > offset {
            return Ok(Some((day_rows[0].0, offset - before)));
        }
        before += in_day;
    }
    Ok(None)
}

/// One page of users (1-based) and how many match in all.
pub fn page(
    conn: &mut DbConnection,
    filter: &UserFilter,
    order: UserOrder,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<User>, Total)> {
    let offset = (page.max(1) - 1) * per_page;
    if let DbConnection::Sqlite(sqlite) = conn {
        let term = search_term(filter).filter(|term| term.chars().count() >= 3);
        if let (Some(term), SortColumn::Created) = (term, order.column) {
            let (ids, total) = sqlite_search_in_creation_order(
                sqlite,
                filter,
                &term,
                order.descending,
                offset,
                per_page,
            )?;
            return Ok((load_in_order(conn, &ids)?, total));
        }
    }
    let dialect = Dialect::of(conn);
    let total = total(conn, filter, dialect)?;
    // The offset is walked in the sort order's index, reading ids only.
    let mut query = match (dialect, &filter.search, order.column) {
        // PostgreSQL would walk the creation index and test every row on the way when the
        // matches lie far back: take them from the trigram index and sort them instead.
        (Dialect::Postgres, Some(_), SortColumn::Created) => {
            created_from_the_search_index(filtered(filter, dialect), order.descending)
        }
        _ => ordered(filtered(filter, dialect), order),
    };
    let mut offset = offset;
    let seeks_by_day = matches!(dialect, Dialect::Postgres)
        && counted_by_triggers(filter)
        && order.column == SortColumn::Created
        && offset >= DEEP_OFFSET;
    if seeks_by_day
        && let Some((day, within)) = seek_created_day(conn, filter, order.descending, offset)?
    {
        query = if order.descending {
            query.filter(users::created_at.lt((day + 1) * DAY))
        } else {
            query.filter(users::created_at.ge(day * DAY))
        };
        offset = within;
    }
    let ids: Vec<i64> = query
        .select(users::id)
        .limit(per_page)
        .offset(offset)
        .load(conn)?;
    Ok((load_in_order(conn, &ids)?, total))
}

/// The users with these ids, in this order.
fn load_in_order(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<User>> {
    let mut rows = super::users::find_many(conn, ids)?;
    rows.sort_by_key(|user| ids.iter().position(|id| *id == user.id));
    Ok(rows)
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// SQLite, a search listed by creation: the page's ids straight from the search index in
/// its key order (no sort of every match), and the count from the same read when the page
/// lies within [`COUNT_CAP`] matches.
fn sqlite_search_in_creation_order(
    conn: &mut diesel::SqliteConnection,
    filter: &UserFilter,
    term: &str,
    descending: bool,
    offset: i64,
    per_page: i64,
) -> QueryResult<(Vec<i64>, Total)> {
    use diesel::sql_types::{BigInt, Bool, Text};
    let id = id_of_search_key("s.rowid");
    let mut sql = format!("SELECT {id} AS id FROM users_search s");
    if filter.role.is_some() || filter.active.is_some() || filter.two_factor.is_some() {
        sql.push_str(&format!(" JOIN users u ON u.id = {id}"));
    }
    sql.push_str(" WHERE users_search MATCH ?");
    if filter.role.is_some() {
        sql.push_str(" AND u.role = ?");
    }
    if filter.active.is_some() {
        sql.push_str(" AND u.active = ?");
    }
    match filter.two_factor {
        None => {}
        Some(true) => sql.push_str(" AND u.two_factor_since IS NOT NULL"),
        Some(false) => sql.push_str(" AND u.two_factor_since IS NULL"),
    }
    // Ascending keys are newest first.
    let direction = if descending { "ASC" } else { "DESC" };
    sql.push_str(&format!(" ORDER BY s.rowid {direction} LIMIT ? OFFSET ?"));
    let read = |limit: i64, skip: i64, conn: &mut diesel::SqliteConnection| {
        let mut query = diesel::sql_query(&sql)
            .into_boxed::<diesel::sqlite::Sqlite>()
            .bind::<Text, _>(fts_phrase(term));
        if let Some(role) = filter.role {
            query = query.bind::<Text, _>(role.as_str());
        }
        if let Some(active) = filter.active {
            query = query.bind::<Bool, _>(active);
        }
        let rows: Vec<IdRow> = query
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(skip)
            .load(conn)?;
        Ok::<_, diesel::result::Error>(rows.into_iter().map(|row| row.id).collect::<Vec<i64>>())
    };
    // The count (up to the cap) and, when it lies within, the page: one read.
    let seen = read(COUNT_CAP + 1, 0, conn)?;
    let total = Total::capped(seen.len() as i64);
    let page = if offset + per_page <= COUNT_CAP + 1 {
        seen.into_iter()
            .skip(offset as usize)
            .take(per_page as usize)
            .collect()
    } else {
        read(per_page, offset, conn)?
    };
    Ok((page, total))
}

/// The API's list: users matching `search` (as in [`page`]) with an id above `after_id`,
/// in id order, at most `limit`. Keyset paging by id never repeats or skips a row while
/// users are added, since new ids are larger.
pub fn after_id(
    conn: &mut DbConnection,
    search: Option<SearchTerm>,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let filter = UserFilter {
        search,
        ..UserFilter::default()
    };
    filtered(&filter, Dialect::of(conn))
        .filter(users::id.gt(after_id))
        .order(users::id.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)
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
