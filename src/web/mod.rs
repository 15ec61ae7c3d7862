//! HTTP plumbing shared by all routes: per-request context and the access log, the client
//! IP, the per-IP limit, reading bodies in time, error pages, security headers, static
//! assets, page rendering and form refusals. No account rules here, and nothing of sessions or login (`auth`).

pub mod assets;
pub mod body;
pub mod client_ip;
pub mod error_pages;
pub mod forms;
pub mod head;
pub mod ip_limit;
pub mod page;
pub mod request_context;
pub mod security_headers;

pub use client_ip::ClientIp;
pub use forms::{FORM_LIMIT_BYTES, FormRefusal, is_checked};
pub use page::{CsrfToken, NavUser, PageContext, render, see_other};
pub use request_context::LoggedInUserId;

/// Percent-encodes a value for use in a query string.
pub fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A `next` target is honoured only when it is a path on this site.
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let is_local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    is_local.then(|| next.to_string())
}

/// A Unix time as people read it: `2026-11-22 21:55 UTC`.
pub fn format_time(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    format_unix(unix_seconds, &format).unwrap_or_else(|| "—".into())
}

/// A Unix time as the API writes it: RFC 3339 in UTC, `2026-11-22T21:55:03Z`.
pub fn rfc3339(unix_seconds: i64) -> String {
    let format = time::format_description::well_known::Rfc3339;
    format_unix(unix_seconds, &format).unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn format_unix(
    unix_seconds: i64,
    format: &(impl time::formatting::Formattable + ?Sized),
) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()?
        .format(format)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_accepted_as_next() {
        assert_eq!(
            local_path(Some("/profile?tab=1")).as_deref(),
            Some("/profile?tab=1")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "profile",
            "/x\r\nSet-Cookie: a=b",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_path(None), None);
    }
}
