//! Outgoing mail through lettre: `file:DIR` writes one `.eml` per message (the default, so a
//! fresh machine works), `smtp://…` sends through a server. Mail is sent in the background:
//! no response waits for it, so no answer's timing depends on whether a mail went out.
//! Messages may carry a one-time link, so their bodies are never logged.

use std::sync::Arc;

use anyhow::Context;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use tokio_util::task::TaskTracker;

use crate::config::MailTransport;

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

/// One plain-text message.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    pub fn new(config: &MailTransport, base_url: &str) -> anyhow::Result<Self> {
        let transport = match config {
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create the mail folder {}", dir.display()))?;
                Transport::Files(AsyncFileTransport::new(dir))
            }
            MailTransport::Smtp(url) => {
                Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
            }
        };
        let host = url::Url::parse(base_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
            .filter(|host| host.contains('.') && host.parse::<std::net::IpAddr>().is_err())
            .unwrap_or_else(|| "localhost".into());
        let from = format!("Gatehouse <no-reply@{host}>")
            .parse()
            .context("sender address")?;
        Ok(Self {
            transport,
            from,
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
