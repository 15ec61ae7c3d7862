//! Run-time configuration: the raw flags/env values from `cli`, checked into [`Settings`].
//! A bad value becomes a [`ConfigError`] naming the variable; nothing here touches the
//! network or the database.

mod oidc;
mod secret_key;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use lettre::message::Mailbox;

use crate::db::DatabaseUrl;
use crate::domain::{DeletionPolicy, Policies, SignUpPolicy};
pub use oidc::OidcProviderSettings;
pub use secret_key::{SecretKey, load_or_create_secret_key};

/// Raw values as given by flags or environment variables (see `cli::ConfigArgs`).
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub database_url: String,
    pub addr: String,
    pub secret_key: Option<String>,
    pub cookie_secure: Option<String>,
    pub bcrypt_cost: String,
    pub pool_size: Option<String>,
    pub mail: String,
    pub base_url: Option<String>,
    pub trusted_proxies: Option<String>,
    pub ip_rate_limit: String,
    pub ipv6_prefix: String,
    pub body_timeout: String,
    pub require_admin_2fa: Option<String>,
    pub site_name: Option<String>,
    pub mail_from: Option<String>,
    pub smtp_ca_file: Option<String>,
    /// `GATEHOUSE_OIDC_PROVIDERS`: the short names of the external providers.
    pub oidc_providers: Option<String>,
    /// Every `GATEHOUSE_OIDC_*` variable of the process, for each provider's settings.
    pub oidc_vars: Vec<(String, String)>,
    /// `GATEHOUSE_SIGNUP`: `open` or `invite-only`.
    pub signup: Option<String>,
    /// `GATEHOUSE_ACCOUNT_DELETION`: `immediate` or `approval`.
    pub account_deletion: Option<String>,
}

/// A configuration value that cannot be used; printed as one line, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// One `.eml` file per message in this folder.
    Files(PathBuf),
    Smtp(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: u32,
}

/// Everything the server needs, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub addr: SocketAddr,
    /// `None`: read or create `data/secret.key` at start.
    pub secret_key: Option<SecretKey>,
    pub cookie_secure: bool,
    pub bcrypt_cost: u32,
    pub pool_size: u32,
    pub mail: MailTransport,
    pub base_url: String,
    pub trusted_proxies: Vec<IpNet>,
    /// `None` when `off`.
    pub ip_rate_limit: Option<RateLimit>,
    /// IPv6 clients count per network of this many bits in the per-IP limit.
    pub ipv6_prefix: u8,
    /// How long a request body may take to arrive before the answer is 408.
    pub body_timeout: Duration,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Admin pages and admin API calls only for admins with two-step login on.
    pub require_admin_2fa: bool,
    /// The site's name in page titles, the header, mails and authenticator apps.
    pub site_name: String,
    /// The sender of every mail (and the SMTP envelope's).
    pub mail_from: Mailbox,
    /// A PEM file of certificates trusted, besides the public roots, for SMTP over TLS.
    pub smtp_ca_file: Option<PathBuf>,
    /// External OpenID Connect providers people may sign in with.
    pub oidc_providers: Vec<OidcProviderSettings>,
    /// How many times each provider's discovery is tried at start before giving up.
    pub oidc_discovery_attempts: u32,
    /// Who may sign up, and what "delete my account" does.
    pub policies: Policies,
}

/// Discovery of a provider is tried this many times at start (waiting 1, 2, 4, 8 s between).
pub const OIDC_DISCOVERY_ATTEMPTS: u32 = 5;

/// The site's name when `GATEHOUSE_SITE_NAME` is not set.
pub const DEFAULT_SITE_NAME: &str = "Gatehouse";

impl Settings {
    /// The key that signs cookies and seals secrets: the configured one, or the one kept in
    /// `data/secret.key` (made on first use).
    pub fn signing_key(&self) -> anyhow::Result<SecretKey> {
        match &self.secret_key {
            Some(key) => Ok(key.clone()),
            None => load_or_create_secret_key(std::path::Path::new("data/secret.key")),
        }
    }

    pub fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        let database_url =
            DatabaseUrl::parse(&raw.database_url).map_err(|r| invalid("DATABASE_URL", r))?;
        let addr = SocketAddr::from_str(raw.addr.trim()).map_err(|_| {
            invalid(
                "GATEHOUSE_ADDR",
                format!("{:?} is not HOST:PORT, e.g. 127.0.0.1:8080", raw.addr),
            )
        })?;
        let secret_key = raw
            .secret_key
            .as_deref()
            .map(|hex| SecretKey::from_hex(hex).map_err(|r| invalid("GATEHOUSE_SECRET_KEY", r)))
            .transpose()?;
        let cookie_secure = match raw.cookie_secure.as_deref() {
            None => !addr.ip().is_loopback(),
            Some(value) => parse_bool(value).ok_or_else(|| {
                invalid(
                    "GATEHOUSE_COOKIE_SECURE",
                    format!("{value:?} is not true or false"),
                )
            })?,
        };
        let require_admin_2fa = match raw.require_admin_2fa.as_deref() {
            None => false,
            Some(value) => parse_bool(value).ok_or_else(|| {
                invalid(
                    "GATEHOUSE_REQUIRE_ADMIN_2FA",
                    format!("{value:?} is not true or false"),
                )
            })?,
        };
        let mail = parse_mail(&raw.mail)?;
        let base_url = parse_base_url(raw.base_url.as_deref(), addr)?;
        let site_name = parse_site_name(raw.site_name.as_deref())?;
        let mail_from = parse_mail_from(raw.mail_from.as_deref(), &site_name, &base_url)?;
        let smtp_ca_file = parse_smtp_ca_file(raw.smtp_ca_file.as_deref(), &mail)?;
        Ok(Self {
            database_url,
            addr,
            secret_key,
            cookie_secure,
            bcrypt_cost: parse_number("GATEHOUSE_BCRYPT_COST", &raw.bcrypt_cost, 4..=31)?,
            pool_size: parse_pool_size(raw.pool_size.as_deref())?,
            mail,
            base_url,
            trusted_proxies: parse_trusted_proxies(raw.trusted_proxies.as_deref())?,
            ip_rate_limit: parse_rate_limit(&raw.ip_rate_limit)?,
            ipv6_prefix: parse_number("GATEHOUSE_IPV6_PREFIX", &raw.ipv6_prefix, 1..=128)?,
            body_timeout: Duration::from_secs(parse_number(
                "GATEHOUSE_BODY_TIMEOUT",
                &raw.body_timeout,
                1..=300,
            )?),
            workers: None,
            require_admin_2fa,
            site_name,
            mail_from,
            smtp_ca_file,
            oidc_providers: oidc::parse_providers(raw.oidc_providers.as_deref(), &raw.oidc_vars)?,
            oidc_discovery_attempts: OIDC_DISCOVERY_ATTEMPTS,
            policies: parse_policies(raw)?,
        })
    }
}

fn parse_policies(raw: &RawConfig) -> Result<Policies, ConfigError> {
    let sign_up = match raw.signup.as_deref() {
        None => SignUpPolicy::default(),
        Some(value) => SignUpPolicy::parse(value).map_err(|r| invalid("GATEHOUSE_SIGNUP", r))?,
    };
    let deletion = match raw.account_deletion.as_deref() {
        None => DeletionPolicy::default(),
        Some(value) => {
            DeletionPolicy::parse(value).map_err(|r| invalid("GATEHOUSE_ACCOUNT_DELETION", r))?
        }
    };
    Ok(Policies { sign_up, deletion })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A whole number within `range`, or an error naming `variable`.
fn parse_number<T>(
    variable: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    match value.trim().parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(invalid(
            variable,
            format!(
                "{value:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

fn parse_pool_size(value: Option<&str>) -> Result<u32, ConfigError> {
    let Some(value) = value else {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        return Ok((2 * cores).max(4));
    };
    match value.trim().parse::<u32>() {
        Ok(size) if (1..=1000).contains(&size) => Ok(size),
        _ => Err(invalid(
            "GATEHOUSE_POOL_SIZE",
            format!("{value:?} is not a whole number from 1 to 1000"),
        )),
    }
}

fn parse_mail(value: &str) -> Result<MailTransport, ConfigError> {
    let value = value.trim();
    if let Some(dir) = value.strip_prefix("file:") {
        if dir.is_empty() {
            return Err(invalid(
                "GATEHOUSE_MAIL",
                "file: needs a folder, e.g. file:data/outbox",
            ));
        }
        return Ok(MailTransport::Files(PathBuf::from(dir)));
    }
    if value.starts_with("smtp://") || value.starts_with("smtps://") {
        let url = url::Url::parse(value)
            .map_err(|e| invalid("GATEHOUSE_MAIL", format!("not a valid SMTP URL: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("GATEHOUSE_MAIL", "the SMTP URL names no server"));
        }
        let tls = url.query_pairs().find(|(key, _)| key == "tls");
        if let Some((_, tls)) = tls
            && url.scheme() == "smtp"
            && !matches!(tls.as_ref(), "required" | "opportunistic")
        {
            return Err(invalid(
                "GATEHOUSE_MAIL",
                format!("tls={tls} is neither tls=required (STARTTLS) nor tls=opportunistic"),
            ));
        }
        return Ok(MailTransport::Smtp(value.to_string()));
    }
    Err(invalid(
        "GATEHOUSE_MAIL",
        format!("{value:?} is neither file:DIR nor smtp://…"),
    ))
}

fn parse_base_url(value: Option<&str>, addr: SocketAddr) -> Result<String, ConfigError> {
    let Some(value) = value else {
        // A loopback address is reached as localhost: a name, which passkeys need.
        return Ok(match addr.ip().is_loopback() {
            true => format!("http://localhost:{}", addr.port()),
            false => format!("http://{addr}"),
        });
    };
    let url = url::Url::parse(value.trim())
        .map_err(|e| invalid("GATEHOUSE_BASE_URL", format!("{value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "GATEHOUSE_BASE_URL",
            "must start with http:// or https://",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Shown in pages and mails: one line of text, not too long for a title.
fn parse_site_name(value: Option<&str>) -> Result<String, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_SITE_NAME.into());
    };
    let name = value.trim();
    if name.is_empty() {
        return Err(invalid("GATEHOUSE_SITE_NAME", "must not be empty"));
    }
    if name.chars().count() > 60 {
        return Err(invalid(
            "GATEHOUSE_SITE_NAME",
            format!("{name:?} is longer than 60 characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "GATEHOUSE_SITE_NAME",
            "must be one line without control characters",
        ));
    }
    Ok(name.to_string())
}

/// The configured sender, or `SITE NAME <no-reply@HOST>` with the base URL's host when it
/// is a domain name (`localhost` otherwise).
fn parse_mail_from(
    value: Option<&str>,
    site_name: &str,
    base_url: &str,
) -> Result<Mailbox, ConfigError> {
    if let Some(value) = value {
        return Mailbox::from_str(value.trim()).map_err(|_| {
            invalid(
                "GATEHOUSE_MAIL_FROM",
                format!(
                    "{value:?} is not a sender address such as \"Example Accounts <accounts@example.com>\""
                ),
            )
        });
    }
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .filter(|host| host.contains('.') && host.parse::<IpAddr>().is_err())
        .unwrap_or_else(|| "localhost".into());
    let address = lettre::Address::new("no-reply", &host)
        .or_else(|_| lettre::Address::new("no-reply", "localhost"))
        .map_err(|e| invalid("GATEHOUSE_MAIL_FROM", format!("no default sender: {e}")))?;
    Ok(Mailbox::new(Some(site_name.to_string()), address))
}

/// A PEM file with at least one certificate, for an SMTP URL that uses TLS.
fn parse_smtp_ca_file(
    value: Option<&str>,
    mail: &MailTransport,
) -> Result<Option<PathBuf>, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let uses_tls = match mail {
        MailTransport::Smtp(url) => url::Url::parse(url).is_ok_and(|url| {
            url.scheme() == "smtps" || url.query_pairs().any(|(key, _)| key == "tls")
        }),
        MailTransport::Files(_) => false,
    };
    if !uses_tls {
        return Err(invalid(
            "GATEHOUSE_SMTP_CA_FILE",
            "is only used when GATEHOUSE_MAIL is smtps://… or smtp://…?tls=required",
        ));
    }
    let path = PathBuf::from(value);
    let pem = std::fs::read(&path).map_err(|e| {
        invalid(
            "GATEHOUSE_SMTP_CA_FILE",
            format!("cannot read {value}: {e}"),
        )
    })?;
    let certificates = lettre::transport::smtp::client::Certificate::from_pem(&pem);
    if certificates.is_err()
        || !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----")
    {
        return Err(invalid(
            "GATEHOUSE_SMTP_CA_FILE",
            format!("{value} holds no PEM certificate"),
        ));
    }
    Ok(Some(path))
}

fn parse_trusted_proxies(value: Option<&str>) -> Result<Vec<IpNet>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            IpNet::from_str(item)
                .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                .map_err(|_| {
                    invalid(
                        "GATEHOUSE_TRUSTED_PROXIES",
                        format!("{item:?} is not an IP address or CIDR"),
                    )
                })
        })
        .collect()
}

fn parse_rate_limit(value: &str) -> Result<Option<RateLimit>, ConfigError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || {
        invalid(
            "GATEHOUSE_IP_RATE_LIMIT",
            format!("{value:?} is not N/sec, N/min, N/hour or off"),
        )
    };
    let (count, unit) = value.split_once('/').ok_or_else(bad)?;
    let requests = count
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    let per_seconds = match unit.trim() {
        "s" | "sec" | "second" => 1,
        "m" | "min" | "minute" => 60,
        "h" | "hour" => 3600,
        _ => return Err(bad()),
    };
    Ok(Some(RateLimit {
        requests,
        per_seconds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> RawConfig {
        RawConfig {
            database_url: "sqlite://data/gatehouse.db".into(),
            addr: "127.0.0.1:8080".into(),
            bcrypt_cost: "12".into(),
            mail: "file:data/outbox".into(),
            ip_rate_limit: "30/min".into(),
            ipv6_prefix: "64".into(),
            body_timeout: "15".into(),
            ..RawConfig::default()
        }
    }

    #[test]
    fn the_defaults_make_a_working_configuration() {
        let settings = Settings::from_raw(&defaults()).unwrap();
        assert!(
            !settings.cookie_secure,
            "loopback listens without Secure cookies by default"
        );
        assert_eq!(settings.base_url, "http://localhost:8080");
        assert_eq!(settings.bcrypt_cost, 12);
        assert!(settings.pool_size >= 4);
        assert_eq!(
            settings.ip_rate_limit,
            Some(RateLimit {
                requests: 30,
                per_seconds: 60
            })
        );
        assert_eq!(settings.mail, MailTransport::Files("data/outbox".into()));
        assert!(
            !settings.require_admin_2fa,
            "admins need no two-step login by default"
        );
        assert_eq!(settings.site_name, "Gatehouse");
        assert_eq!(
            settings.mail_from.to_string(),
            "Gatehouse <no-reply@localhost>"
        );
        assert_eq!(settings.smtp_ca_file, None);
    }

    #[test]
    fn the_default_sender_is_the_site_at_the_base_urls_domain() {
        let raw = RawConfig {
            base_url: Some("https://accounts.example.com/".into()),
            site_name: Some("  Example Accounts ".into()),
            ..defaults()
        };
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.site_name, "Example Accounts");
        assert_eq!(
            settings.mail_from.to_string(),
            "Example Accounts <no-reply@accounts.example.com>"
        );
        let on_an_ip = RawConfig {
            base_url: Some("http://192.0.2.1:8080".into()),
            ..defaults()
        };
        assert_eq!(
            Settings::from_raw(&on_an_ip).unwrap().mail_from.to_string(),
            "Gatehouse <no-reply@localhost>"
        );
    }

    #[test]
    fn the_sender_can_be_configured() {
        for (value, name, address) in [
            (
                "Example Accounts <accounts@example.com>",
                Some("Example Accounts"),
                "accounts@example.com",
            ),
            (
                "\"Example, Inc.\" <a@example.com>",
                Some("Example, Inc."),
                "a@example.com",
            ),
            (" accounts@example.com ", None, "accounts@example.com"),
        ] {
            let raw = RawConfig {
                mail_from: Some(value.into()),
                ..defaults()
            };
            let from = Settings::from_raw(&raw).unwrap().mail_from;
            assert_eq!(from.name.as_deref(), name, "{value}");
            assert_eq!(from.email.to_string(), address, "{value}");
        }
    }

    #[test]
    fn a_private_ca_is_read_for_smtp_over_tls() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for mail in [
            "smtps://mail.example.com",
            "smtp://user:pass@mail.example.com:587?tls=required",
        ] {
            let raw = RawConfig {
                mail: mail.into(),
                smtp_ca_file: Some(pem.display().to_string()),
                ..defaults()
            };
            assert_eq!(
                Settings::from_raw(&raw).unwrap().smtp_ca_file,
                Some(pem.clone())
            );
        }
    }

    #[test]
    fn two_step_login_can_be_required_of_admins() {
        let raw = RawConfig {
            require_admin_2fa: Some("true".into()),
            ..defaults()
        };
        assert!(Settings::from_raw(&raw).unwrap().require_admin_2fa);
    }

    #[test]
    fn cookies_are_secure_by_default_on_a_public_address() {
        let raw = RawConfig {
            addr: "0.0.0.0:8080".into(),
            ..defaults()
        };
        assert!(Settings::from_raw(&raw).unwrap().cookie_secure);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: Vec<(RawConfig, &str)> = vec![
            (
                RawConfig {
                    database_url: "mysql://x".into(),
                    ..defaults()
                },
                "DATABASE_URL",
            ),
            (
                RawConfig {
                    addr: "nowhere".into(),
                    ..defaults()
                },
                "GATEHOUSE_ADDR",
            ),
            (
                RawConfig {
                    secret_key: Some("abcd".into()),
                    ..defaults()
                },
                "GATEHOUSE_SECRET_KEY",
            ),
            (
                RawConfig {
                    cookie_secure: Some("maybe".into()),
                    ..defaults()
                },
                "GATEHOUSE_COOKIE_SECURE",
            ),
            (
                RawConfig {
                    bcrypt_cost: "3".into(),
                    ..defaults()
                },
                "GATEHOUSE_BCRYPT_COST",
            ),
            (
                RawConfig {
                    bcrypt_cost: "32".into(),
                    ..defaults()
                },
                "GATEHOUSE_BCRYPT_COST",
            ),
            (
                RawConfig {
                    pool_size: Some("0".into()),
                    ..defaults()
                },
                "GATEHOUSE_POOL_SIZE",
            ),
            (
                RawConfig {
                    mail: "carrier-pigeon".into(),
                    ..defaults()
                },
                "GATEHOUSE_MAIL",
            ),
            (
                RawConfig {
                    base_url: Some("ftp://x".into()),
                    ..defaults()
                },
                "GATEHOUSE_BASE_URL",
            ),
            (
                RawConfig {
                    trusted_proxies: Some("10.0.0.0/8, nope".into()),
                    ..defaults()
                },
                "GATEHOUSE_TRUSTED_PROXIES",
            ),
            (
                RawConfig {
                    ip_rate_limit: "lots".into(),
                    ..defaults()
                },
                "GATEHOUSE_IP_RATE_LIMIT",
            ),
            (
                RawConfig {
                    ipv6_prefix: "129".into(),
                    ..defaults()
                },
                "GATEHOUSE_IPV6_PREFIX",
            ),
            (
                RawConfig {
                    body_timeout: "0".into(),
                    ..defaults()
                },
                "GATEHOUSE_BODY_TIMEOUT",
            ),
            (
                RawConfig {
                    require_admin_2fa: Some("sometimes".into()),
                    ..defaults()
                },
                "GATEHOUSE_REQUIRE_ADMIN_2FA",
            ),
            (
                RawConfig {
                    mail: "smtp://mail.example.com?tls=yes".into(),
                    ..defaults()
                },
                "GATEHOUSE_MAIL",
            ),
            (
                RawConfig {
                    site_name: Some("  ".into()),
                    ..defaults()
                },
                "GATEHOUSE_SITE_NAME",
            ),
            (
                RawConfig {
                    site_name: Some("Two\nlines".into()),
                    ..defaults()
                },
                "GATEHOUSE_SITE_NAME",
            ),
            (
                RawConfig {
                    site_name: Some("x".repeat(61)),
                    ..defaults()
                },
                "GATEHOUSE_SITE_NAME",
            ),
            (
                RawConfig {
                    mail_from: Some("Example Accounts".into()),
                    ..defaults()
                },
                "GATEHOUSE_MAIL_FROM",
            ),
            (
                RawConfig {
                    mail_from: Some("Example <accounts@>".into()),
                    ..defaults()
                },
                "GATEHOUSE_MAIL_FROM",
            ),
            (
                RawConfig {
                    smtp_ca_file: Some("/etc/hostname".into()),
                    ..defaults()
                },
                "GATEHOUSE_SMTP_CA_FILE",
            ),
            (
                RawConfig {
                    mail: "smtps://mail.example.com".into(),
                    smtp_ca_file: Some("/nonexistent/ca.pem".into()),
                    ..defaults()
                },
                "GATEHOUSE_SMTP_CA_FILE",
            ),
            (
                RawConfig {
                    mail: "smtps://mail.example.com".into(),
                    smtp_ca_file: Some("Cargo.toml".into()),
                    ..defaults()
                },
                "GATEHOUSE_SMTP_CA_FILE",
            ),
        ];
        for (raw, variable) in cases {
            let error = Settings::from_raw(&raw).unwrap_err();
            assert_eq!(error.variable, variable, "{error}");
            assert!(error.to_string().starts_with(variable));
        }
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let raw = RawConfig {
            trusted_proxies: Some("10.0.0.1, 192.168.0.0/16,::1".into()),
            ..defaults()
        };
        assert_eq!(Settings::from_raw(&raw).unwrap().trusted_proxies.len(), 3);
    }

    #[test]
    fn the_rate_limit_can_be_switched_off() {
        let raw = RawConfig {
            ip_rate_limit: "off".into(),
            ..defaults()
        };
        assert_eq!(Settings::from_raw(&raw).unwrap().ip_rate_limit, None);
    }
}
