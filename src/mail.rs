//! Outgoing mail through lettre: `file:DIR` writes one `.eml` per message (the default, so a
//! fresh machine works), `smtp://…` sends through a server (plain, STARTTLS with
//! `?tls=required`, or implicit TLS with `smtps://`; the server's certificate must chain to a
//! public root or to `GATEHOUSE_SMTP_CA_FILE`). Mail is sent in the background: no response
//! waits for it, so no answer's timing depends on whether a mail went out. Messages may
//! carry a one-time link, so their bodies are never logged.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use tokio_util::task::TaskTracker;

use crate::config::{MailTransport, Settings};

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Mail being sent in the background, for a command that must not exit before it went.
    pending: TaskTracker,
}

enum Transport {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// The TLS mode the SMTP URL asks for (as lettre reads it), trusting the certificates in
/// `ca_file` besides the public roots.
fn tls_trusting(url: &str, ca_file: &Path) -> anyhow::Result<Tls> {
    let url = url::Url::parse(url)?;
    let host = url.host_str().context("the SMTP URL names no server")?;
    let pem = std::fs::read(ca_file)
        .with_context(|| format!("cannot read the SMTP CA file {}", ca_file.display()))?;
    let parameters = TlsParameters::builder(host.to_string())
        .add_root_certificate(Certificate::from_pem(&pem)?)
        .build()?;
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => Ok(Tls::Wrapper(parameters)),
        ("smtp", Some("required")) => Ok(Tls::Required(parameters)),
        ("smtp", Some("opportunistic")) => Ok(Tls::Opportunistic(parameters)),
        _ => anyhow::bail!("GATEHOUSE_SMTP_CA_FILE is only used for SMTP over TLS"),
    }
}

/// One plain-text message.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// The transport `GATEHOUSE_MAIL` names, sending as `GATEHOUSE_MAIL_FROM`.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let transport = match &settings.mail {
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create the mail folder {}", dir.display()))?;
                Transport::Files(AsyncFileTransport::new(dir))
            }
            MailTransport::Smtp(url) => {
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?;
                if let Some(ca_file) = &settings.smtp_ca_file {
                    builder = builder.tls(tls_trusting(url, ca_file)?);
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Self {
            transport,
            from: settings.mail_from.clone(),
            pending: TaskTracker::new(),
        })
    }

    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().context("recipient address")?)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)?;
        match &self.transport {
            Transport::Files(files) => {
                files.send(message).await?;
            }
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
        }
        Ok(())
    }

    /// Waits until every mail handed to [`Mailer::send_later`] so far has been sent or has
    /// failed (the command line calls it before it exits).
    pub async fn wait_until_sent(&self) {
        self.pending.close();
        self.pending.wait().await;
        self.pending.reopen();
    }

    /// Sends without making the caller wait; a failure is logged (without the body).
    pub fn send_later(self: &Arc<Self>, mail: Mail) {
        let mailer = Arc::clone(self);
        self.pending.spawn(async move {
            let (to, subject) = (mail.to.clone(), mail.subject.clone());
            match mailer.send(mail).await {
                Ok(()) => log::info!("mail sent to {to}: {subject}"),
                Err(error) => log::warn!("mail to {to} ({subject}) failed: {error:#}"),
            }
        });
    }
}
