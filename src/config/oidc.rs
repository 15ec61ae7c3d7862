//! The external OpenID Connect providers the operator configured: `GATEHOUSE_OIDC_PROVIDERS`
//! names them (`google,company`), and each NAME has `GATEHOUSE_OIDC_<NAME>_ISSUER`,
//! `_CLIENT_ID`, `_CLIENT_SECRET` and, optionally, `_DISPLAY_NAME` (`<NAME>` upper-case,
//! `-` as `_`). Checked here; reaching the providers is `oidc`'s work, at start.

use super::{ConfigError, invalid};
use crate::domain::{ProviderName, SecretString};

const VARIABLE: &str = "GATEHOUSE_OIDC_PROVIDERS";

/// One provider as configured.
#[derive(Debug, Clone)]
pub struct OidcProviderSettings {
    pub name: ProviderName,
    /// What the sign-in button says: "Sign in with <display name>".
    pub display_name: String,
    /// The issuer URL; its `/.well-known/openid-configuration` is read at start.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The providers listed in `list`, each read from `vars` (the process's `GATEHOUSE_OIDC_*`).
pub fn parse_providers(
    list: Option<&str>,
    vars: &[(String, String)],
) -> Result<Vec<OidcProviderSettings>, ConfigError> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let mut providers: Vec<OidcProviderSettings> = Vec::new();
    for raw in list.split(',') {
        let name = ProviderName::parse(raw).map_err(|reason| invalid(VARIABLE, reason))?;
        if providers.iter().any(|p| p.name == name) {
            return Err(invalid(VARIABLE, format!("{name} is listed twice")));
        }
        providers.push(parse_provider(name, vars)?);
    }
    Ok(providers)
}

fn parse_provider(
    name: ProviderName,
    vars: &[(String, String)],
) -> Result<OidcProviderSettings, ConfigError> {
    let prefix = format!(
        "GATEHOUSE_OIDC_{}_",
        name.as_str().to_uppercase().replace('-', "_")
    );
    let value = |suffix: &str| {
        let key = format!("{prefix}{suffix}");
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let required = |suffix: &str| {
        value(suffix).ok_or_else(|| {
            invalid(
                VARIABLE,
                format!("{name} is listed but {prefix}{suffix} is not set"),
            )
        })
    };
    let issuer = required("ISSUER")?;
    check_issuer(&name, &prefix, &issuer)?;
    let display_name = value("DISPLAY_NAME").unwrap_or_else(|| capitalized(name.as_str()));
    if display_name.chars().count() > 60 || display_name.chars().any(char::is_control) {
        return Err(invalid(
            VARIABLE,
            format!("{prefix}DISPLAY_NAME must be one line of at most 60 characters"),
        ));
    }
    Ok(OidcProviderSettings {
        issuer,
        client_id: required("CLIENT_ID")?,
        client_secret: SecretString::new(required("CLIENT_SECRET")?),
        display_name,
        name,
    })
}

/// An issuer is an `https` URL; plain `http` only on this machine (a provider for tests).
fn check_issuer(name: &ProviderName, prefix: &str, issuer: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(issuer).map_err(|e| {
        invalid(
            VARIABLE,
            format!("{prefix}ISSUER {issuer:?} is not a URL: {e}"),
        )
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(invalid(
            VARIABLE,
            format!("{name}: {prefix}ISSUER must be an https:// URL (http only on loopback)"),
        )),
    }
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::parse_providers;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn each_listed_provider_is_read_from_its_own_variables() {
        let env = vars(&[
            (
                "GATEHOUSE_OIDC_COMPANY_SSO_ISSUER",
                "https://sso.example.com/realms/staff",
            ),
            ("GATEHOUSE_OIDC_COMPANY_SSO_CLIENT_ID", "gatehouse"),
            ("GATEHOUSE_OIDC_COMPANY_SSO_CLIENT_SECRET", "s3cret"),
            ("GATEHOUSE_OIDC_COMPANY_SSO_DISPLAY_NAME", "Example Staff"),
        ]);
        let providers = parse_providers(Some("company-sso"), &env).unwrap();
        assert_eq!(providers.len(), 1);
        assert_eq!(providers[0].name.as_str(), "company-sso");
        assert_eq!(providers[0].display_name, "Example Staff");
        assert_eq!(providers[0].client_secret.expose(), "s3cret");
        assert!(parse_providers(None, &env).unwrap().is_empty());
    }

    #[test]
    fn a_missing_variable_a_plain_http_issuer_or_a_bad_name_is_said_plainly() {
        let env = vars(&[
            ("GATEHOUSE_OIDC_GOOGLE_ISSUER", "http://accounts.google.com"),
            ("GATEHOUSE_OIDC_GOOGLE_CLIENT_ID", "id"),
        ]);
        let error = parse_providers(Some("google"), &env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("https://"), "{error}");
        let env = vars(&[(
            "GATEHOUSE_OIDC_GOOGLE_ISSUER",
            "https://accounts.google.com",
        )]);
        let error = parse_providers(Some("google"), &env)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("GATEHOUSE_OIDC_GOOGLE_CLIENT_ID is not set"),
            "{error}"
        );
        let error = parse_providers(Some("Google"), &env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a provider name"), "{error}");
    }
}
