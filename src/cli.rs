//! The command line: flags (each also read from its environment variable), subcommands,
//! and what each subcommand does. Bad configuration exits with code 2 and one line.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use diesel::Connection;

use crate::accounts::api_tokens::TokenRequest;
use crate::accounts::invitations::{INVITATION_DAYS, Invite};
use crate::accounts::registration::SignUp;
use crate::accounts::{AccountError, Accounts, PasswordHasher};
use crate::backup::{self, BackupError};
use crate::clock::Clock;
use crate::config::{RawConfig, Settings};
use crate::db::{DatabaseUrl, Db, seed};
use crate::domain::{NewPassword, SecretString};
use crate::mail::Mailer;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-hosted user accounts: sign-up, login, profiles, sessions and an admin area."
)]
pub struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an active admin account; the password is read from stdin or a hidden prompt.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Create a personal API token for an account and print it (shown only this once).
    CreateToken {
        #[arg(long)]
        email: String,
        /// What the token is for, as listed on /profile/tokens
        #[arg(long)]
        name: String,
        /// Days until it expires [default: never]
        #[arg(long)]
        expires_days: Option<String>,
    },
    /// Invite someone by mail to make an account (the link works once, for 7 days)
    Invite {
        #[arg(long)]
        email: String,
        /// user or admin
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Turn two-step login off for an account whose owner lost their phone and recovery
    /// codes (when no other admin can): their sessions end and they are mailed.
    TurnOffTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// Insert fake users user<i>@example.com (i = 1..N) for benchmarks and demos; re-runs add only missing ones.
    SeedUsers {
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
        count: i64,
        /// The password every seeded user gets (one shared bcrypt hash)
        #[arg(long, default_value = "gatehouse demo password")]
        password: String,
    },
    /// Copy the SQLite database into a new file while the server keeps serving (one
    /// consistent instant; for PostgreSQL use pg_dump).
    Backup {
        /// The new file; an existing one is never overwritten
        path: PathBuf,
        /// Pages copied per step, with a short pause between steps: smaller steps leave
        /// more of the disk to the server
        #[arg(long, default_value_t = backup::PAGES_PER_STEP, value_parser = clap::value_parser!(u32).range(1..))]
        pages_per_step: u32,
    },
    /// Put a backup in place of the SQLite database, for a stopped server: the backup is
    /// checked first, and the database in place is kept as <db>.before-restore.
    Restore {
        /// A file made by `gatehouse backup`
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
struct ConfigArgs {
    /// sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/gatehouse.db",
        global = true
    )]
    database_url: String,
    /// Listen address
    #[arg(
        long,
        env = "GATEHOUSE_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    addr: String,
    /// Hex, at least 64 bytes; default: generated once into data/secret.key
    #[arg(
        long,
        env = "GATEHOUSE_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    secret_key: Option<String>,
    /// Secure flag on cookies [default: true unless the listen address is loopback]
    #[arg(long, env = "GATEHOUSE_COOKIE_SECURE", global = true)]
    cookie_secure: Option<String>,
    /// bcrypt cost, 4 to 31
    #[arg(
        long,
        env = "GATEHOUSE_BCRYPT_COST",
        default_value = "12",
        global = true
    )]
    bcrypt_cost: String,
    /// Database pool size [default: 2 x cores, at least 4]
    #[arg(long, env = "GATEHOUSE_POOL_SIZE", global = true)]
    pool_size: Option<String>,
    /// file:DIR (one .eml per message) or smtp://…
    #[arg(
        long,
        env = "GATEHOUSE_MAIL",
        default_value = "file:data/outbox",
        global = true
    )]
    mail: String,
    /// The address people reach the site at: links in mails, passkeys [default: http://<addr>, http://localhost:PORT for a loopback addr]
    #[arg(long, env = "GATEHOUSE_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Comma-separated IPs/CIDRs whose X-Forwarded-For is believed
    #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", global = true)]
    trusted_proxies: Option<String>,
    /// Per-IP limit on /login, /register, /password-reset: N/sec, N/min, N/hour or off
    #[arg(
        long,
        env = "GATEHOUSE_IP_RATE_LIMIT",
        default_value = "30/min",
        global = true
    )]
    ip_rate_limit: String,
    /// The per-IP limit counts IPv6 clients per network of this many bits (1-128)
    #[arg(
        long,
        env = "GATEHOUSE_IPV6_PREFIX",
        default_value = "64",
        global = true
    )]
    ipv6_prefix: String,
    /// Seconds a request body may take to arrive before the answer is 408 (1-300)
    #[arg(
        long,
        env = "GATEHOUSE_BODY_TIMEOUT",
        default_value = "15",
        global = true
    )]
    body_timeout: String,
    /// Admin pages and admin API calls only for admins with two-step login on: true or false
    #[arg(long, env = "GATEHOUSE_REQUIRE_ADMIN_2FA", global = true)]
    require_admin_2fa: Option<String>,
    /// The site's name in page titles, the header, mails and authenticator apps [default: Gatehouse]
    #[arg(long, env = "GATEHOUSE_SITE_NAME", global = true)]
    site_name: Option<String>,
    /// The sender of mails, e.g. "Example Accounts <accounts@example.com>" [default: SITE NAME <no-reply@host of the base URL>]
    #[arg(long, env = "GATEHOUSE_MAIL_FROM", global = true)]
    mail_from: Option<String>,
    /// A PEM file of CA certificates to trust for SMTP over TLS, besides the public roots
    #[arg(long, env = "GATEHOUSE_SMTP_CA_FILE", global = true)]
    smtp_ca_file: Option<String>,
    /// Who may make an account: open (anyone, on /register) or invite-only (admins invite)
    #[arg(long, env = "GATEHOUSE_SIGNUP", global = true)]
    signup: Option<String>,
    /// What "delete my account" does: immediate, or approval (an admin approves the request)
    #[arg(long, env = "GATEHOUSE_ACCOUNT_DELETION", global = true)]
    account_deletion: Option<String>,
    /// External OpenID Connect providers, comma-separated short names; each NAME is set by GATEHOUSE_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET and optionally _DISPLAY_NAME
    #[arg(long, env = "GATEHOUSE_OIDC_PROVIDERS", global = true)]
    oidc_providers: Option<String>,
}

impl ConfigArgs {
    fn into_raw(self) -> RawConfig {
        RawConfig {
            database_url: self.database_url,
            addr: self.addr,
            secret_key: self.secret_key,
            cookie_secure: self.cookie_secure,
            bcrypt_cost: self.bcrypt_cost,
            pool_size: self.pool_size,
            mail: self.mail,
            base_url: self.base_url,
            trusted_proxies: self.trusted_proxies,
            ip_rate_limit: self.ip_rate_limit,
            ipv6_prefix: self.ipv6_prefix,
            body_timeout: self.body_timeout,
            require_admin_2fa: self.require_admin_2fa,
            site_name: self.site_name,
            mail_from: self.mail_from,
            smtp_ca_file: self.smtp_ca_file,
            oidc_providers: self.oidc_providers,
            signup: self.signup,
            account_deletion: self.account_deletion,
            oidc_vars: std::env::vars()
                .filter(|(key, _)| key.starts_with("GATEHOUSE_OIDC_"))
                .collect(),
        }
    }
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = match Settings::from_raw(&cli.config.into_raw()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::CreateAdmin { email, name } => create_admin(&settings, email, name),
        Command::CreateToken {
            email,
            name,
            expires_days,
        } => create_token(&settings, &email, name, expires_days),
        Command::TurnOffTwoFactor { email } => turn_off_two_factor(&settings, &email),
        Command::Invite { email, role } => invite(&settings, email, role),
        Command::SeedUsers { count, password } => seed_users(&settings, count, password),
        Command::Backup {
            path,
            pages_per_step,
        } => back_up(&settings, &path, pages_per_step),
        Command::Restore { path } => restore(&settings, &path),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gatehouse: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    actix_web::rt::System::new().block_on(async move {
        let addr = settings.addr;
        let app = Application::build(settings).await?;
        log::info!("Gatehouse listening on http://{}:{}", addr.ip(), app.port());
        app.run_until_stopped().await?;
        log::info!("Gatehouse stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let (_, applied) = Db::open(&settings.database_url, 1)?;
    println!(
        "{} migration(s) applied to {}",
        applied.len(),
        settings.database_url.redacted()
    );
    Ok(ExitCode::SUCCESS)
}

/// The account service on the configured database (migrated first), for one command, and
/// its mailer (to wait for before exiting).
fn accounts(settings: &Settings) -> anyhow::Result<(Accounts, Arc<Mailer>)> {
    let (db, _) = Db::open(&settings.database_url, 2)?;
    let mailer = Arc::new(Mailer::new(settings)?);
    let accounts = Accounts::new(
        db,
        PasswordHasher::new(settings.bcrypt_cost)?,
        Clock::default(),
        mailer.clone(),
        &settings.base_url,
        &settings.site_name,
        settings.signing_key()?.as_bytes(),
    )
    .with_policies(settings.policies);
    Ok((accounts, mailer))
}

/// Runs one use case to its end, and the mail it sent; a refusal is printed field by field
/// with exit code 2.
fn run_use_case<T>(
    mailer: &Mailer,
    work: impl std::future::Future<Output = Result<T, AccountError>>,
    report: impl FnOnce(T),
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let result = work.await;
        mailer.wait_until_sent().await;
        result
    });
    match result {
        Ok(value) => {
            report(value);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Ok(report_refusal(error)),
    }
}

fn create_admin(settings: &Settings, email: String, name: String) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    let command = SignUp {
        name,
        email,
        password,
        password_confirm: None,
    };
    let (accounts, mailer) = accounts(settings)?;
    run_use_case(&mailer, accounts.create_admin(command), |user| {
        println!("Created admin {} (id {})", user.email, user.id);
    })
}

fn create_token(
    settings: &Settings,
    email: &str,
    name: String,
    expires_days: Option<String>,
) -> anyhow::Result<ExitCode> {
    let request = TokenRequest {
        name,
        expires_days: expires_days.unwrap_or_default(),
    };
    let (accounts, mailer) = accounts(settings)?;
    run_use_case(
        &mailer,
        accounts.create_api_token_for_email(email, request),
        |token| {
            println!("{}", token.secret);
        },
    )
}

fn turn_off_two_factor(settings: &Settings, email: &str) -> anyhow::Result<ExitCode> {
    let (accounts, mailer) = accounts(settings)?;
    run_use_case(
        &mailer,
        accounts.turn_off_two_factor_for_email(email),
        |user| {
            println!(
                "Two-step login is off for {}; their sessions ended and they were mailed.",
                user.email
            );
        },
    )
}

fn invite(settings: &Settings, email: String, role: String) -> anyhow::Result<ExitCode> {
    let (accounts, mailer) = accounts(settings)?;
    let command = Invite { email, role };
    run_use_case(
        &mailer,
        accounts.send_invitation(command, None, "command line"),
        |sent| {
            println!(
                "Invited {}: the link was mailed, valid for {INVITATION_DAYS} days. It is also: {}",
                sent.email, sent.link
            );
        },
    )
}

/// Rows per transaction when seeding.
const SEED_BATCH: i64 = 50_000;

fn seed_users(settings: &Settings, count: i64, password: String) -> anyhow::Result<ExitCode> {
    let password = match NewPassword::parse(SecretString::new(password), None) {
        Ok(password) => password,
        Err(error) => {
            eprintln!("gatehouse: --password: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let (db, _) = Db::open(&settings.database_url, 1)?;
    let mut conn = db.pool().get()?;
    let hash = PasswordHasher::new(settings.bcrypt_cost)?.hash_blocking(&password)?;
    let now = Clock::default().now();
    let started = std::time::Instant::now();
    let progress = indicatif::ProgressBar::new(count as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} users  {per_sec}  eta {eta}",
        )?,
    );
    let mut inserted = 0;
    for first in (1..=count).step_by(SEED_BATCH as usize) {
        let last = (first + SEED_BATCH - 1).min(count);
        inserted +=
            conn.transaction(|conn| seed::insert_range(conn, first, last, count, &hash, now))?;
        progress.set_position(last as u64);
    }
    progress.finish();
    seed::analyze(&mut conn)?;
    println!(
        "Inserted {inserted} users ({} already existed) in {:.1} s",
        count as usize - inserted,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The SQLite file `DATABASE_URL` names, or the one line saying why `command` does not
/// apply (exit code 2): PostgreSQL has its own tools, a memory database has no file.
fn sqlite_file(
    settings: &Settings,
    command: &str,
    postgres_tool: &str,
) -> Result<PathBuf, ExitCode> {
    match &settings.database_url {
        DatabaseUrl::Postgres(_) => {
            eprintln!(
                "gatehouse: {command} is for SQLite; DATABASE_URL is PostgreSQL: use {postgres_tool} (see docs/deploy.md)"
            );
            Err(ExitCode::from(2))
        }
        url if url.is_memory() => {
            eprintln!(
                "gatehouse: {command}: DATABASE_URL is an in-memory database, there is no file"
            );
            Err(ExitCode::from(2))
        }
        DatabaseUrl::Sqlite(path) => Ok(PathBuf::from(path)),
    }
}

/// A progress bar over a database's pages (drawn only on a terminal).
fn pages_bar() -> anyhow::Result<indicatif::ProgressBar> {
    Ok(
        indicatif::ProgressBar::new(0).with_style(indicatif::ProgressStyle::with_template(
            "{bar:40} {percent:>3}% of {human_len} pages  eta {eta}",
        )?),
    )
}

/// Refusals (exit code 2) and failures (exit code 1) of `backup` and `restore`, one line.
fn report_backup_error(error: BackupError) -> anyhow::Result<ExitCode> {
    eprintln!("gatehouse: {error}");
    Ok(match error.is_refusal() {
        true => ExitCode::from(2),
        false => ExitCode::FAILURE,
    })
}

fn back_up(settings: &Settings, path: &Path, pages_per_step: u32) -> anyhow::Result<ExitCode> {
    let database = match sqlite_file(settings, "backup", "pg_dump") {
        Ok(database) => database,
        Err(code) => return Ok(code),
    };
    let started = std::time::Instant::now();
    let bar = pages_bar()?;
    let copied = backup::copy(&database, path, pages_per_step, backup::PAUSE, |step| {
        bar.set_length(step.total);
        bar.set_position(step.copied);
    });
    bar.finish_and_clear();
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => return report_backup_error(error),
    };
    println!(
        "Backed up {} to {}: {} pages, {:.1} MiB, in {:.1} s. Keep the secret key (data/secret.key or GATEHOUSE_SECRET_KEY) with it: two-step login needs it.",
        settings.database_url.redacted(),
        path.display(),
        copied.pages,
        copied.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn restore(settings: &Settings, path: &Path) -> anyhow::Result<ExitCode> {
    let database = match sqlite_file(settings, "restore", "pg_restore or psql") {
        Ok(database) => database,
        Err(code) => return Ok(code),
    };
    let bar = pages_bar()?;
    let restored = backup::restore(path, &database, |step| {
        bar.set_length(step.total);
        bar.set_position(step.copied);
    });
    bar.finish_and_clear();
    let restored = match restored {
        Ok(restored) => restored,
        Err(error) => return report_backup_error(error),
    };
    let kept = match &restored.kept {
        Some(kept) => format!(
            "; the database that was there is kept as {}",
            kept.display()
        ),
        None => String::new(),
    };
    println!(
        "Restored {} ({} accounts) to {}{kept}. Start the server.",
        path.display(),
        restored.checked.users,
        settings.database_url.redacted(),
    );
    Ok(ExitCode::SUCCESS)
}

/// The command line's one mapping from [`AccountError`]: what the operator typed wrong is
/// printed per field (exit code 2); anything else is a failure (exit code 1).
fn report_refusal(error: AccountError) -> ExitCode {
    match error {
        AccountError::Invalid(errors) => {
            for error in errors.iter() {
                eprintln!("gatehouse: {}: {}", error.field, error.message);
            }
            ExitCode::from(2)
        }
        AccountError::EmailTaken => {
            eprintln!("gatehouse: email: {}", AccountError::EmailTaken);
            ExitCode::from(2)
        }
        error => {
            eprintln!("gatehouse: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// From stdin when it is not a terminal (one line), else a hidden prompt asked twice.
fn read_password() -> anyhow::Result<SecretString> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(SecretString::new(line.trim_end_matches(['\r', '\n'])));
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password again: ")?;
    anyhow::ensure!(first == second, "the two passwords do not match");
    Ok(SecretString::new(first))
}
