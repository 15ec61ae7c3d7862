//! `GET /healthz` (200 when the database answers, else 503) and `GET /metrics`
//! (Prometheus text for this instance, see `metrics`).
//!
//! `/metrics` answers only a scraper on the machine itself or on a trusted proxy: the TCP
//! peer must be a loopback address or one of `GATEHOUSE_TRUSTED_PROXIES`, **and** every
//! client address a proxy forwarded (`X-Forwarded-For`, all its lines, `X-Real-IP` and
//! `Forwarded: for=`) must be one too. The second half matters because a reverse proxy on
//! the same machine connects from 127.0.0.1 for everyone: the outside caller it forwards is
//! refused by the address it passes on, whether or not the proxy is listed as trusted
//! (the headers are only ever used to refuse here, so a forged one cannot let anyone in). A
//! proxy that passes no client address at all makes every caller look local: it must send
//! `X-Forwarded-For` (the nginx site in `deploy/` does), or not route `/metrics`.
//!
//! Anyone else gets 404, the answer to any path that does not exist, rather than 403: the
//! endpoint is not advertised to the outside (a scan learns nothing about it), and there is
//! nothing an outsider could do to be let in.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, get, web};
use ipnet::IpNet;

use crate::errors::AppError;
use crate::state::AppState;

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    if state.db.is_healthy().await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "unavailable" }))
    }
}

#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let peer = req.peer_addr().map(|addr| addr.ip());
    if !may_read_metrics(
        peer,
        &forwarded_addresses(&req),
        &state.settings.trusted_proxies,
    ) {
        return Err(AppError::NotFound);
    }
    let site = match state.accounts.site_gauges().await {
        Ok(site) => Some(site),
        Err(error) => {
            log::warn!("/metrics without the site-wide gauges: {error}");
            None
        }
    };
    let text = state.metrics.render(&state.db, site.as_ref())?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}

/// Every client address proxies put in the request, as written (unparsed).
fn forwarded_addresses(req: &HttpRequest) -> Vec<String> {
    let headers = req.headers();
    let text = |value: &actix_web::http::header::HeaderValue| {
        // A value that is not text cannot be checked: it stands for an outside caller.
        value.to_str().unwrap_or("?").to_string()
    };
    let mut found = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        found.extend(text(value).split(',').map(|hop| hop.trim().to_string()));
    }
    for value in headers.get_all("x-real-ip") {
        found.push(text(value).trim().to_string());
    }
    for value in headers.get_all("forwarded") {
        for pair in text(value).split([',', ';']) {
            if let Some((key, node)) = pair.split_once('=')
                && key.trim().eq_ignore_ascii_case("for")
            {
                found.push(forwarded_node(node));
            }
        }
    }
    found.retain(|hop| !hop.is_empty());
    found
}

/// The address in an RFC 7239 node: `"[2001:db8::1]:4711"` → `2001:db8::1`,
/// `192.0.2.1:80` → `192.0.2.1`; anything else as it is.
fn forwarded_node(node: &str) -> String {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match node.split_once(':') {
        Some((v4, port)) if !port.contains(':') => v4.to_string(),
        _ => node.to_string(),
    }
}

/// The rule of this module: the peer and every forwarded address are loopback or trusted.
fn may_read_metrics(peer: Option<IpAddr>, forwarded: &[String], trusted: &[IpNet]) -> bool {
    let local = |ip: IpAddr| {
        let ip = ip.to_canonical();
        ip.is_loopback() || trusted.iter().any(|net| net.contains(&ip))
    };
    peer.is_some_and(local)
        && forwarded
            .iter()
            .all(|hop| hop.parse::<IpAddr>().is_ok_and(local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn hops(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn loopback_may_read_the_metrics_and_the_outside_may_not() {
        assert!(may_read_metrics(ip("127.0.0.1"), &[], &[]));
        assert!(may_read_metrics(ip("::1"), &[], &[]));
        assert!(may_read_metrics(ip("::ffff:127.0.0.1"), &[], &[]));
        assert!(!may_read_metrics(ip("203.0.113.9"), &[], &[]));
        assert!(!may_read_metrics(None, &[], &[]));
    }

    #[test]
    fn a_trusted_proxy_may_read_them_for_itself_but_not_for_whom_it_forwards() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(may_read_metrics(ip("10.0.0.2"), &[], &trusted));
        assert!(may_read_metrics(
            ip("10.0.0.2"),
            &hops(&["10.0.0.7"]),
            &trusted
        ));
        assert!(!may_read_metrics(
            ip("10.0.0.2"),
            &hops(&["203.0.113.9"]),
            &trusted
        ));
        assert!(!may_read_metrics(ip("192.0.2.1"), &[], &trusted));
    }

    #[test]
    fn a_proxy_on_loopback_passes_on_the_outside_caller_even_when_not_trusted() {
        assert!(!may_read_metrics(
            ip("127.0.0.1"),
            &hops(&["203.0.113.9"]),
            &[]
        ));
        assert!(!may_read_metrics(
            ip("127.0.0.1"),
            &hops(&["127.0.0.1", "203.0.113.9"]),
            &[]
        ));
        assert!(!may_read_metrics(ip("127.0.0.1"), &hops(&["unknown"]), &[]));
        assert!(may_read_metrics(
            ip("127.0.0.1"),
            &hops(&["127.0.0.1"]),
            &[]
        ));
    }

    #[test]
    fn forwarded_nodes_are_read_with_their_brackets_and_ports_removed() {
        assert_eq!(forwarded_node(r#""[2001:db8::1]:4711""#), "2001:db8::1");
        assert_eq!(forwarded_node("192.0.2.60:80"), "192.0.2.60");
        assert_eq!(forwarded_node("192.0.2.60"), "192.0.2.60");
        assert_eq!(forwarded_node("_hidden"), "_hidden");
    }
}
