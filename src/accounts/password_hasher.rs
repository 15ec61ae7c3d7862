//! bcrypt hashing and verification on a small pool of low-priority threads of its own, so
//! a flood of logins cannot starve the HTTP workers or the database's blocking pool. The
//! queue in front of it is bounded: past that the request is told the server is busy.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

use super::AccountError;
use crate::domain::{NewPassword, SecretString};

/// How long a request may wait for a hashing slot before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Queued hashing jobs allowed per hashing thread.
const QUEUE_PER_THREAD: usize = 64;

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    threads: rayon::ThreadPool,
    queue: Semaphore,
    cost: u32,
    /// Verified against when the email is unknown, so both cases cost the same bcrypt work.
    dummy_hash: String,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The stored hash used another cost than the configured one and should be replaced.
    pub needs_rehash: bool,
}

impl PasswordHasher {
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let thread_count = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(thread_count)
            .thread_name(|i| format!("bcrypt-{i}"))
            .start_handler(|_| lower_this_threads_priority())
            .build()?;
        let mut random = [0u8; 24];
        rand::fill(&mut random);
        let dummy_hash = bcrypt::hash(hex::encode(random), cost)?;
        Ok(Self {
            inner: Arc::new(Inner {
                threads,
                queue: Semaphore::new(thread_count * QUEUE_PER_THREAD),
                cost,
                dummy_hash,
            }),
        })
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, AccountError> {
        self.hash_str(password.expose().to_owned()).await
    }

    /// Re-hashes a password that has just verified (it may predate today's policy) at the
    /// configured cost.
    pub async fn rehash(&self, verified: &SecretString) -> Result<String, AccountError> {
        self.hash_str(verified.expose().to_owned()).await
    }

    async fn hash_str(&self, password: String) -> Result<String, AccountError> {
        let cost = self.inner.cost;
        self.run(move || bcrypt::hash(password, cost))
            .await?
            .map_err(|e| AccountError::internal(format!("bcrypt hash failed: {e}")))
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is no account,
    /// so that an unknown email costs the same time as a known one.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<String>,
    ) -> Result<Verification, AccountError> {
        let password = password.expose().to_owned();
        let cost = self.inner.cost;
        let account_exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.inner.dummy_hash.clone());
        self.run(move || {
            // A password over bcrypt's limit can never have been set, and must not be
            // silently truncated into a match.
            let matches = password.len() <= NewPassword::MAX_BYTES
                && bcrypt::verify(&password, &hash).unwrap_or(false)
                && account_exists;
            let needs_rehash = matches && hash_cost(&hash) != Some(cost);
            Verification {
                matches,
                needs_rehash,
            }
        })
        .await
    }

    /// Hashes on the calling thread: for the command line, never for handlers.
    pub fn hash_blocking(&self, password: &NewPassword) -> anyhow::Result<String> {
        Ok(bcrypt::hash(password.expose(), self.inner.cost)?)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        let _slot = tokio::time::timeout(QUEUE_WAIT, self.inner.queue.acquire())
            .await
            .map_err(|_| AccountError::Busy)?
            .map_err(|_| AccountError::Busy)?;
        let (sender, receiver) = oneshot::channel();
        self.inner.threads.spawn(move || {
            let _ = sender.send(job());
        });
        receiver
            .await
            .map_err(|_| AccountError::internal("the hashing thread stopped"))
    }
}

/// The cost recorded in a `$2b$12$…` hash.
fn hash_cost(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

/// Hashing threads yield to the HTTP workers when the machine is busy.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes the scheduling niceness of the calling thread
    // (on Linux, PRIO_PROCESS with who = 0 applies to the calling thread).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    fn password(raw: &str) -> NewPassword {
        NewPassword::parse(SecretString::new(raw), None::<&Email>).unwrap()
    }

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hasher = PasswordHasher::new(4).unwrap();
        let hash = hasher
            .hash(&password("correct horse battery"))
            .await
            .unwrap();
        let right = hasher
            .verify(
                &SecretString::new("correct horse battery"),
                Some(hash.clone()),
            )
            .await
            .unwrap();
        let wrong = hasher
            .verify(&SecretString::new("wrong horse battery"), Some(hash))
            .await
            .unwrap();
        assert!(right.matches && !right.needs_rehash);
        assert!(!wrong.matches);
    }

    #[tokio::test]
    async fn an_unknown_account_never_matches_even_the_dummy_password() {
        let hasher = PasswordHasher::new(4).unwrap();
        let result = hasher
            .verify(&SecretString::new("anything at all"), None)
            .await
            .unwrap();
        assert!(!result.matches);
    }

    #[tokio::test]
    async fn a_hash_with_another_cost_asks_to_be_upgraded() {
        let old = bcrypt::hash("correct horse battery", 5).unwrap();
        let hasher = PasswordHasher::new(4).unwrap();
        let result = hasher
            .verify(&SecretString::new("correct horse battery"), Some(old))
            .await
            .unwrap();
        assert!(result.matches && result.needs_rehash);
    }

    #[tokio::test]
    async fn a_password_over_72_bytes_never_matches_its_truncated_hash() {
        let hasher = PasswordHasher::new(4).unwrap();
        let hash = bcrypt::hash("k".repeat(72), 4).unwrap();
        let longer = SecretString::new("k".repeat(80));
        assert!(!hasher.verify(&longer, Some(hash)).await.unwrap().matches);
    }

    #[test]
    fn the_cost_is_read_from_the_hash() {
        assert_eq!(hash_cost("$2b$12$abcdefghijklmnopqrstuv"), Some(12));
        assert_eq!(hash_cost("garbage"), None);
    }
}
