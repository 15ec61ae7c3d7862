//! Gatehouse as a relying party of external OpenID Connect providers (`openidconnect`):
//! discovery at start (tried a few times, then a start-up error naming the provider), the
//! authorization request (code flow with PKCE, `state` and `nonce`), the code exchange and
//! the ID token's checks — signature against the provider's keys (fetched again when a
//! token names a key not seen yet: providers rotate them), issuer, audience, expiry and
//! nonce. What comes out is an [`ExternalIdentity`]; what it opens is
//! `accounts::external_sign_in`'s business. Outbound HTTP only (hyper with rustls, no
//! redirects followed); nothing of actix, pages or accounts lives here.

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl,
    JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::config::OidcProviderSettings;
use crate::domain::ExternalIdentity;

/// How long a provider may take to answer one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a provider's answer may weigh.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Why a sign-in with a provider did not give a verified identity; each says what the person
/// can do.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("There is no sign-in provider by that name here.")]
    UnknownProvider,
    #[error("{0} could not be reached. Try again in a moment, or log in another way.")]
    Unreachable(String),
    /// The provider refused the code (used already, expired, not for us).
    #[error("{0} did not accept this sign-in ({1}). Start again.")]
    Refused(String, String),
    /// The ID token failed a check: a forged or replayed answer, or a clock far off.
    #[error("{0}'s answer could not be trusted ({1}). Start again.")]
    Untrusted(String, String),
}

/// A failed request to a provider (for `openidconnect`'s HTTP client trait).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpFailure(String);

/// What the authorization request left to check at the callback; kept by the caller (the
/// web keeps it in the session) and used once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Where to send the browser, and what to check when it comes back.
pub struct AuthorizationStart {
    pub url: String,
    pub secrets: FlowSecrets,
}

/// A provider as the pages show it.
#[derive(Debug, Clone)]
pub struct ProviderInfo {
    pub name: String,
    pub display_name: String,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Provider {
    settings: OidcProviderSettings,
    /// The discovered metadata, with the keys as last fetched.
    metadata: RwLock<CoreProviderMetadata>,
}

/// The HTTP client that talks to providers.
type Http = HttpClient<HttpsConnector<HttpConnector>, Full<bytes::Bytes>>;

/// The configured providers, discovered.
pub struct Providers {
    providers: Vec<Provider>,
    http: Http,
    /// The site's address: each provider's redirect URI is `<base>/oidc/<name>/callback`.
    base_url: String,
}

/// The path a provider sends the browser back to.
pub fn callback_path(provider: &str) -> String {
    format!("/oidc/{provider}/callback")
}

impl Providers {
    /// Reads each provider's discovery document, trying `attempts` times (waiting 1, 2, 4,
    /// 8 s between); an error names the provider and what went wrong.
    pub async fn discover(
        settings: &[OidcProviderSettings],
        base_url: &str,
        attempts: u32,
    ) -> anyhow::Result<Self> {
        let http = http_client()?;
        let mut providers = Vec::new();
        for provider in settings {
            let metadata = discover_with_retries(&http, provider, attempts.max(1)).await?;
            log::info!(
                "sign-in provider {} ({}) discovered at {}",
                provider.name,
                provider.display_name,
                provider.issuer
            );
            providers.push(Provider {
                settings: provider.clone(),
                metadata: RwLock::new(metadata),
            });
        }
        Ok(Self {
            providers,
            http,
            base_url: base_url.trim_end_matches('/').into(),
        })
    }

    /// The providers, in the configured order.
    pub fn list(&self) -> Vec<ProviderInfo> {
        self.providers
            .iter()
            .map(|p| ProviderInfo {
                name: p.settings.name.to_string(),
                display_name: p.settings.display_name.clone(),
            })
            .collect()
    }

    /// The origins (`https://host[:port]`) of the providers' authorization endpoints, where
    /// the site's forms send browsers on to.
    pub async fn authorization_origins(&self) -> Vec<String> {
        let mut origins = Vec::new();
        for provider in &self.providers {
            let metadata = provider.metadata.read().await;
            let origin = metadata.authorization_endpoint().url().origin();
            if origin.is_tuple() && !origins.contains(&origin.ascii_serialization()) {
                origins.push(origin.ascii_serialization());
            }
        }
        origins
    }

    /// Whether any provider is configured.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The display name of the provider called `name`.
    pub fn display_name(&self, name: &str) -> Option<String> {
        self.find(name)
            .ok()
            .map(|p| p.settings.display_name.clone())
    }

    fn find(&self, name: &str) -> Result<&Provider, OidcError> {
        self.providers
            .iter()
            .find(|p| p.settings.name.as_str() == name)
            .ok_or(OidcError::UnknownProvider)
    }

    fn client(&self, provider: &Provider, metadata: &CoreProviderMetadata) -> Client {
        let redirect = format!(
            "{}{}",
            self.base_url,
            callback_path(provider.settings.name.as_str())
        );
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.settings.client_id.clone()),
            Some(ClientSecret::new(
                provider.settings.client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(redirect).expect("the base URL was checked at start"))
    }

    /// The provider's authorization URL for a new sign-in. With `reauthenticate`, the
    /// provider is asked to have the person log in again, whatever session it has.
    pub async fn start(
        &self,
        name: &str,
        reauthenticate: bool,
    ) -> Result<AuthorizationStart, OidcError> {
        let provider = self.find(name)?;
        let client = self.client(provider, &*provider.metadata.read().await);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if reauthenticate {
            request = request
                .add_prompt(CoreAuthPrompt::Login)
                .set_max_age(Duration::ZERO);
        }
        let (url, state, nonce) = request.url();
        Ok(AuthorizationStart {
            url: url.to_string(),
            secrets: FlowSecrets {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    /// Exchanges the callback's `code` for tokens and checks the ID token (at `now`, Unix
    /// seconds): the identity it vouches for.
    pub async fn finish(
        &self,
        name: &str,
        code: &str,
        secrets: &FlowSecrets,
        now: i64,
    ) -> Result<ExternalIdentity, OidcError> {
        let provider = self.find(name)?;
        let display = provider.settings.display_name.clone();
        let client = self.client(provider, &*provider.metadata.read().await);
        let http = |request| send(&self.http, request);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Untrusted(display.clone(), e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(answer) => {
                    OidcError::Refused(display.clone(), answer.error().to_string())
                }
                RequestTokenError::Request(e) => {
                    log::warn!("sign-in provider {name}: token request failed: {e}");
                    OidcError::Unreachable(display.clone())
                }
                other => OidcError::Untrusted(display.clone(), other.to_string()),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Untrusted(display.clone(), "no ID token".into()))?;
        let nonce = Nonce::new(secrets.nonce.clone());
        let claims = match verify(&client, id_token, &nonce, now) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key not seen yet: the provider rotated its keys. Fetch them again, once.
                let client = self.refetch_keys(provider).await?;
                verify(&client, id_token, &nonce, now)
            }
            other => other,
        }
        .map_err(|e| OidcError::Untrusted(display.clone(), e.to_string()))?;
        let mut identity = identity(provider, &claims);
        if identity.email.is_none() {
            // Providers that follow the specification to the letter put the email claims
            // in the UserInfo answer rather than the ID token when an access token is issued.
            self.add_user_info(&client, &tokens, &claims, &mut identity, &display)
                .await?;
        }
        Ok(identity)
    }

    /// Fills the email (and a missing name) from the provider's UserInfo endpoint, for the
    /// ID token's subject.
    async fn add_user_info(
        &self,
        client: &Client,
        tokens: &openidconnect::core::CoreTokenResponse,
        claims: &CoreIdTokenClaims,
        identity: &mut ExternalIdentity,
        display: &str,
    ) -> Result<(), OidcError> {
        let subject = Some(claims.subject().clone());
        let Ok(request) = client.user_info(tokens.access_token().clone(), subject) else {
            return Ok(()); // no UserInfo endpoint: no email
        };
        let http = |request| send(&self.http, request);
        let info: CoreUserInfoClaims = request.request_async(&http).await.map_err(|e| {
            log::warn!(
                "sign-in provider {}: UserInfo failed: {e}",
                identity.provider
            );
            OidcError::Unreachable(display.to_string())
        })?;
        identity.email = info.email().map(|email| email.as_str().to_string());
        identity.email_verified = info.email_verified().unwrap_or(false);
        if identity.name.is_none() {
            identity.name = info
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.as_str().to_string());
        }
        Ok(())
    }

    /// Fetches the provider's keys again and keeps them; the client with the new keys.
    async fn refetch_keys(&self, provider: &Provider) -> Result<Client, OidcError> {
        let display = provider.settings.display_name.clone();
        let mut metadata = provider.metadata.write().await;
        let http = |request| send(&self.http, request);
        let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &http)
            .await
            .map_err(|e| {
                log::warn!(
                    "sign-in provider {}: keys not fetched: {e}",
                    provider.settings.name
                );
                OidcError::Unreachable(display.clone())
            })?;
        log::info!(
            "sign-in provider {}: signing keys fetched again",
            provider.settings.name
        );
        *metadata = metadata.clone().set_jwks(keys);
        Ok(self.client(provider, &metadata))
    }
}

fn verify(
    client: &Client,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &Nonce,
    now: i64,
) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
    let at = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let verifier = client.id_token_verifier().set_time_fn(move || at);
    id_token.claims(&verifier, nonce).cloned()
}

fn identity(provider: &Provider, claims: &CoreIdTokenClaims) -> ExternalIdentity {
    ExternalIdentity {
        provider: provider.settings.name.to_string(),
        provider_name: provider.settings.display_name.clone(),
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|email| email.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_string()),
    }
}

/// HTTPS (or plain HTTP, for a provider on loopback) with the system's trusted roots, TLS on
/// ring — the crypto lettre's rustls already uses — given explicitly.
fn http_client() -> anyhow::Result<Http> {
    let connector = HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(HttpClient::builder(TokioExecutor::new()).build(connector))
}

async fn discover_with_retries(
    http: &Http,
    provider: &OidcProviderSettings,
    attempts: u32,
) -> anyhow::Result<CoreProviderMetadata> {
    let variable = format!(
        "GATEHOUSE_OIDC_{}_ISSUER",
        provider.name.as_str().to_uppercase().replace('-', "_")
    );
    let issuer = IssuerUrl::new(provider.issuer.clone())
        .map_err(|e| anyhow::anyhow!("{variable}: {:?} is not a URL: {e}", provider.issuer))?;
    let client = |request| send(http, request);
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=attempts {
        match CoreProviderMetadata::discover_async(issuer.clone(), &client).await {
            Ok(metadata) => return Ok(metadata),
            Err(error) if attempt == attempts => {
                anyhow::bail!(
                    "{variable}: the sign-in provider {} could not be discovered at {} after {attempts} attempts: {}",
                    provider.name,
                    provider.issuer,
                    error_chain(&error)
                )
            }
            Err(error) => {
                log::warn!(
                    "sign-in provider {} at {}: discovery failed ({}); trying again in {} s",
                    provider.name,
                    provider.issuer,
                    error_chain(&error),
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(8));
            }
        }
    }
    unreachable!("attempts is at least 1")
}

/// An error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One HTTP request to a provider, for `openidconnect`: within [`REQUEST_TIMEOUT`], an
/// answer of at most [`MAX_RESPONSE_BYTES`], redirects not followed.
async fn send(http: &Http, request: HttpRequest) -> Result<HttpResponse, HttpFailure> {
    let failed = |e: &dyn std::error::Error| HttpFailure(error_chain(e));
    let request = request.map(|body| Full::new(bytes::Bytes::from(body)));
    let exchange = async {
        let response = http.request(request).await.map_err(|e| failed(&e))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| HttpFailure(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok(openidconnect::http::Response::from_parts(
            parts,
            body.to_vec(),
        ))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| HttpFailure(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())))?
}
