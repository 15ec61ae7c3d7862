//! Building the application: database, migrations, first-admin link, middleware stack and
//! the HTTP server bound to its listener. [`Application::port`] tells tests which port
//! port 0 became.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::accounts::{Accounts, PasswordHasher};
use crate::auth::session_state::USER_ID_KEY;
use crate::auth::session_store::AccountSessionStore;
use crate::auth::{around_session, csrf};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::errors::AppError;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::oidc::Providers;
use crate::rate_limit::{API_TOKEN_LIMIT, IpRateLimiter, KeyedRateLimiter};
use crate::state::{AppState, CookieSettings};
use crate::web::{
    FORM_LIMIT_BYTES, body, error_pages, head, ip_limit, request_context, security_headers,
};

/// How often expired sessions and tokens are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(300);

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    setup_token: Option<String>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::default()).await
    }

    /// Like [`Application::build`], with a clock tests can move forward.
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)?;
        Self::build_on(listener, settings, clock).await
    }

    /// On a listener bound already (a test that must know its port before the site's
    /// address is set: passkeys are bound to it).
    pub async fn build_on(
        listener: TcpListener,
        settings: Settings,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let secret = settings.signing_key()?;
        let key = Key::try_from(secret.as_bytes())?;
        let (db, _) = Db::open(&settings.database_url, settings.pool_size)?;
        let accounts = Accounts::new(
            db.clone(),
            PasswordHasher::new(settings.bcrypt_cost)?,
            clock,
            Arc::new(Mailer::new(&settings)?),
            &settings.base_url,
            &settings.site_name,
            secret.as_bytes(),
        );
        let accounts = accounts.with_policies(settings.policies);
        let setup_token = accounts.issue_setup_token_if_no_admin().await?;
        if let Some(token) = &setup_token {
            log::warn!(
                "No active admin exists. Create the first admin at {}/setup/{token} (valid for 1 hour, once).",
                settings.base_url
            );
        }
        let providers = Providers::discover(
            &settings.oidc_providers,
            &settings.base_url,
            settings.oidc_discovery_attempts,
        )
        .await?;
        let form_targets = providers.authorization_origins().await;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            accounts,
            db,
            cookies: CookieSettings {
                key,
                secure: settings.cookie_secure,
            },
            metrics: Metrics::new()?,
            ip_limiter: settings
                .ip_rate_limit
                .map(|limit| Arc::new(IpRateLimiter::new(limit, settings.ipv6_prefix))),
            api_token_limiter: Arc::new(KeyedRateLimiter::new(API_TOKEN_LIMIT)),
            providers: Arc::new(providers),
            settings: Arc::new(settings),
        });
        let server = serve(listener, state.clone(), form_targets)?;
        Ok(Self {
            port,
            server,
            state,
            setup_token,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one-time first-admin token logged at start, if no admin existed.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// Serves until SIGTERM/SIGINT, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purger = tokio::spawn(purge_expired_forever(self.state.clone()));
        let result = self.server.await;
        purger.abort();
        result
    }
}

/// Serves `state` on `listener`; `form_targets` are the origins forms may lead to besides
/// this site (the sign-in providers).
fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    form_targets: Vec<String>,
) -> std::io::Result<Server> {
    let store = AccountSessionStore::new(state.accounts.clone());
    let cookies = state.cookies.clone();
    let workers = state
        .settings
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    // Each worker hands its database work to a blocking pool of its own: together they have
    // as many threads as the database pool has connections, so no thread waits for one.
    let blocking_threads = (state.settings.pool_size as usize / workers).max(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(FORM_LIMIT_BYTES))
            .app_data(web::PayloadConfig::default().limit(FORM_LIMIT_BYTES))
            .wrap(from_fn(csrf::protect))
            .wrap(IdentityMiddleware::builder().id_key(USER_ID_KEY).build())
            .wrap(from_fn(around_session::inside))
            .wrap(session_middleware(store.clone(), &cookies))
            .wrap(from_fn(around_session::outside))
            .wrap(from_fn(body::read_in_time))
            .wrap(from_fn(ip_limit::middleware))
            .wrap(from_fn(error_pages::middleware))
            .wrap(security_headers::middleware(cookies.secure, &form_targets))
            .wrap(from_fn(head::as_get))
            .wrap(from_fn(request_context::middleware))
            .configure(crate::routes::configure)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .shutdown_timeout(30);
    Ok(server.run())
}

fn session_middleware(
    store: AccountSessionStore,
    cookies: &CookieSettings,
) -> SessionMiddleware<AccountSessionStore> {
    SessionMiddleware::builder(store, cookies.key.clone())
        .cookie_name(cookies.session_cookie_name().to_string())
        .cookie_secure(cookies.secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_string())
        .cookie_content_security(CookieContentSecurity::Signed)
        // A browser-session cookie; `auth::around_session` lengthens a remembered one.
        .session_lifecycle(BrowserSession::default())
        .build()
}

async fn purge_expired_forever(state: web::Data<AppState>) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    loop {
        interval.tick().await;
        state.api_token_limiter.forget_idle();
        let purged = state.accounts.purge_expired().await;
        match purged {
            Ok(0) => {}
            Ok(n) => {
                log::info!(
                    "purged {n} expired sessions, one-time links and failed-login and per-IP counts"
                )
            }
            Err(e) => log::warn!("purging expired sessions failed: {e}"),
        }
    }
}
