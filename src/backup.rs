//! Backups of the SQLite database (`gatehouse backup`, `gatehouse restore`).
//!
//! A backup is taken from the live file while the server keeps serving and writing, with
//! SQLite's online backup API: the copy is the database as it was at one instant (one read
//! transaction held from the first page to the last, so writes committed meanwhile are
//! neither half in it nor make the copy start again), taken a few pages at a time with a
//! pause between steps so the server keeps the disk. The server runs its database in WAL
//! mode, where a reader never blocks a writer: it goes on committing while the copy is
//! made (the WAL grows until the copy ends, then is checkpointed as usual). The copy is
//! one self-contained file (rollback-journal mode, no `-wal` beside it), readable only by
//! its owner (mode 0600: it holds password hashes and sealed secrets).
//!
//! A restore is for a stopped server: the backup must open and pass
//! `PRAGMA integrity_check`; the database in place must not be open in another process
//! (SQLite cannot leave WAL mode while another connection holds the file, which is how
//! that is told); it is kept as `<db>.before-restore`, never deleted.
//!
//! The unsafe FFI lives in [`ffi`], behind [`copy`]; everything else is safe code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Pages copied per step by default (4 MiB with SQLite's usual 4 KiB pages).
pub const PAGES_PER_STEP: u32 = 1024;
/// The pause between two steps.
pub const PAUSE: Duration = Duration::from_millis(5);

/// How far a copy has come, after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Pages copied so far.
    pub copied: u64,
    /// Pages in the database.
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} exists already; choose a new file name (a backup never overwrites)", .0.display())]
    TargetExists(PathBuf),
    #[error("{} does not exist", .0.display())]
    SourceMissing(PathBuf),
    #[error("{} is not a Gatehouse database: {reason}", .path.display())]
    NotAGatehouseDatabase { path: PathBuf, reason: String },
    #[error(
        "{} is in use: stop every Gatehouse server (and anything else) using it, then restore again",
        .0.display()
    )]
    InUse(PathBuf),
    #[error("{} exists already (kept from an earlier restore): move it away first", .0.display())]
    KeptExists(PathBuf),
    #[error("{0}")]
    Sqlite(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl BackupError {
    /// True when the operator asked for something that must not be done (exit code 2),
    /// rather than something that failed.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Sqlite(_) | Self::Io(_))
    }
}

/// What [`copy`] made.
#[derive(Debug, Clone, Copy)]
pub struct Copied {
    pub pages: u64,
    pub bytes: u64,
}

/// Copies the SQLite database at `source` (live or not) into the new file `target`, which
/// must not exist, `pages_per_step` pages at a time with `pause` between steps, calling
/// `progress` after each step. On failure nothing is left at `target`.
pub fn copy(
    source: &Path,
    target: &Path,
    pages_per_step: u32,
    pause: Duration,
    progress: impl FnMut(Progress),
) -> Result<Copied, BackupError> {
    if !source.is_file() {
        return Err(BackupError::SourceMissing(source.to_path_buf()));
    }
    create_private_file(target)?;
    let copied = ffi::copy_database(source, target, pages_per_step.max(1), pause, progress);
    if copied.is_err() {
        remove_with_companions(target);
    }
    let pages = copied?;
    let bytes = std::fs::metadata(target)?.len();
    Ok(Copied { pages, bytes })
}

/// An empty file only its owner can read, made here or refused if anything is there.
fn create_private_file(path: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::TargetExists(path.to_path_buf()))
        }
        Err(error) => Err(error.into()),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a database file and the journal files SQLite may have left beside it.
fn remove_with_companions(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// What a backup holds, as checked before a restore.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub users: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn sqlite_error(path: &Path, error: impl std::fmt::Display) -> BackupError {
    BackupError::Sqlite(format!("{}: {error}", path.display()))
}

/// Opens a backup and checks it: `PRAGMA integrity_check` says ok, and it has Gatehouse's
/// tables. Answers how many accounts it holds.
pub fn check(path: &Path) -> Result<Checked, BackupError> {
    if !path.is_file() {
        return Err(BackupError::SourceMissing(path.to_path_buf()));
    }
    let not_ours = |reason: String| BackupError::NotAGatehouseDatabase {
        path: path.to_path_buf(),
        reason,
    };
    let name = path
        .to_str()
        .ok_or_else(|| not_ours("the path is not UTF-8".into()))?;
    let mut conn = SqliteConnection::establish(name).map_err(|e| not_ours(e.to_string()))?;
    let lines: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load(&mut conn)
            .map_err(|e| not_ours(e.to_string()))?;
    if lines.len() != 1 || lines[0].line != "ok" {
        let found: Vec<String> = lines.into_iter().take(3).map(|l| l.line).collect();
        return Err(not_ours(format!(
            "PRAGMA integrity_check says {}",
            found.join("; ")
        )));
    }
    let users: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM users")
        .get_result(&mut conn)
        .map_err(|e| not_ours(format!("no users table ({e})")))?;
    Ok(Checked { users: users.n })
}

/// Refuses when another connection has `database` open; otherwise folds its WAL into the
/// file (it leaves WAL mode), so that the file alone is the whole database.
fn ensure_not_in_use(database: &Path) -> Result<(), BackupError> {
    let name = database
        .to_str()
        .ok_or_else(|| sqlite_error(database, "the path is not UTF-8"))?;
    let mut conn = SqliteConnection::establish(name).map_err(|e| sqlite_error(database, e))?;
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    conn.batch_execute("PRAGMA busy_timeout = 0")
        .map_err(|e| sqlite_error(database, e))?;
    // Leaving WAL mode needs the only lock on the file: another open connection (a running
    // server holds its pool's) makes it fail with "database is locked", or leaves the mode
    // as it was.
    let mode = diesel::sql_query("PRAGMA journal_mode = DELETE").get_result::<Mode>(&mut conn);
    drop(conn);
    match mode {
        Ok(mode) if mode.journal_mode.eq_ignore_ascii_case("delete") => {}
        Ok(_) => return Err(BackupError::InUse(database.to_path_buf())),
        Err(error) if error.to_string().contains("locked") => {
            return Err(BackupError::InUse(database.to_path_buf()));
        }
        Err(error) => return Err(sqlite_error(database, error)),
    }
    if with_suffix(database, "-wal").exists() {
        return Err(BackupError::InUse(database.to_path_buf()));
    }
    let _ = std::fs::remove_file(with_suffix(database, "-shm"));
    Ok(())
}

/// What [`restore`] did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub checked: Checked,
    /// Where the database that was in place is now kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Puts the backup at `backup` in place of the database at `database` (for a stopped
/// server): the backup is checked first, the database in place must not be in use, and it
/// is kept as `<database>.before-restore`.
pub fn restore(
    backup: &Path,
    database: &Path,
    progress: impl FnMut(Progress),
) -> Result<Restored, BackupError> {
    let checked = check(backup)?;
    let kept = with_suffix(database, ".before-restore");
    let exists = database.exists();
    if exists {
        if kept.exists() {
            return Err(BackupError::KeptExists(kept));
        }
        ensure_not_in_use(database)?;
    } else if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let incoming = with_suffix(database, ".restoring");
    remove_with_companions(&incoming);
    copy(backup, &incoming, PAGES_PER_STEP, Duration::ZERO, progress)?;
    let swapped = (|| {
        if exists {
            // Again, just before the swap: a server may have started meanwhile.
            ensure_not_in_use(database)?;
            std::fs::rename(database, &kept)?;
        }
        std::fs::rename(&incoming, database)?;
        Ok::<_, BackupError>(())
    })();
    if let Err(error) = swapped {
        remove_with_companions(&incoming);
        if exists && !database.exists() && kept.exists() {
            let _ = std::fs::rename(&kept, database);
        }
        return Err(error);
    }
    Ok(Restored {
        checked,
        kept: exists.then_some(kept),
    })
}

/// The one place that calls SQLite's C API directly: the online backup API, which Diesel
/// does not expose. Each handle is closed by its `Drop`, on every path.
mod ffi {
    use std::ffi::{CStr, CString, c_int};
    use std::path::Path;
    use std::time::Duration;

    use libsqlite3_sys as sqlite;

    use super::{BackupError, Progress};

    /// An open `sqlite3*`, closed on drop.
    struct Connection {
        handle: *mut sqlite::sqlite3,
        path: String,
    }

    impl Connection {
        fn open(path: &Path, flags: c_int) -> Result<Self, BackupError> {
            let name = path
                .to_str()
                .ok_or_else(|| BackupError::Sqlite(format!("{}: not UTF-8", path.display())))?;
            let c_name = CString::new(name)
                .map_err(|_| BackupError::Sqlite(format!("{name}: a NUL in the path")))?;
            let mut handle = std::ptr::null_mut();
            // SAFETY: `c_name` is a valid C string for the call; `handle` receives a
            // connection (possibly null on out-of-memory) that `Drop` closes.
            let rc = unsafe {
                sqlite::sqlite3_open_v2(c_name.as_ptr(), &mut handle, flags, std::ptr::null())
            };
            let conn = Self {
                handle,
                path: name.to_string(),
            };
            if rc != sqlite::SQLITE_OK {
                return Err(conn.error(rc));
            }
            // SAFETY: `handle` is an open connection.
            unsafe { sqlite::sqlite3_busy_timeout(conn.handle, 5000) };
            Ok(conn)
        }

        /// Runs statements that return no rows worth reading.
        fn exec(&self, sql: &str) -> Result<(), BackupError> {
            let c_sql = CString::new(sql).expect("no NUL in our own SQL");
            // SAFETY: an open connection, a valid C string, no callback, no error string
            // asked for (the message is read with `sqlite3_errmsg`).
            let rc = unsafe {
                sqlite::sqlite3_exec(
                    self.handle,
                    c_sql.as_ptr(),
                    None,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
            match rc {
                sqlite::SQLITE_OK => Ok(()),
                rc => Err(self.error(rc)),
            }
        }

        fn error(&self, rc: c_int) -> BackupError {
            let message = if self.handle.is_null() {
                // SAFETY: sqlite3_errstr returns a static string for any code.
                unsafe { CStr::from_ptr(sqlite::sqlite3_errstr(rc)) }
            } else {
                // SAFETY: the message belongs to the connection and is copied at once.
                unsafe { CStr::from_ptr(sqlite::sqlite3_errmsg(self.handle)) }
            };
            BackupError::Sqlite(format!("{}: {}", self.path, message.to_string_lossy()))
        }
    }

    impl Drop for Connection {
        fn drop(&mut self) {
            // SAFETY: closing a handle we opened (null is a no-op); any backup object on it
            // was finished before, by `Backup`'s drop.
            unsafe { sqlite::sqlite3_close(self.handle) };
        }
    }

    /// An `sqlite3_backup*`, finished on drop. Borrows both connections so that it cannot
    /// outlive them.
    struct Backup<'a> {
        handle: *mut sqlite::sqlite3_backup,
        _source: &'a Connection,
        target: &'a Connection,
    }

    impl<'a> Backup<'a> {
        fn start(source: &'a Connection, target: &'a Connection) -> Result<Self, BackupError> {
            let main = c"main";
            // SAFETY: two open connections and static names; the result is null on error
            // (the message is then the target's).
            let handle = unsafe {
                sqlite::sqlite3_backup_init(
                    target.handle,
                    main.as_ptr(),
                    source.handle,
                    main.as_ptr(),
                )
            };
            if handle.is_null() {
                return Err(target.error(sqlite::SQLITE_ERROR));
            }
            Ok(Self {
                handle,
                _source: source,
                target,
            })
        }

        /// One step; `Ok(true)` when the copy is complete.
        fn step(&self, pages: c_int) -> Result<bool, BackupError> {
            // SAFETY: a live backup object.
            match unsafe { sqlite::sqlite3_backup_step(self.handle, pages) } {
                sqlite::SQLITE_DONE => Ok(true),
                sqlite::SQLITE_OK | sqlite::SQLITE_BUSY | sqlite::SQLITE_LOCKED => Ok(false),
                rc => Err(self.target.error(rc)),
            }
        }

        /// (pages copied, pages in all), as of the last step.
        fn progress(&self) -> (u64, u64) {
            // SAFETY: a live backup object.
            let (remaining, total) = unsafe {
                (
                    sqlite::sqlite3_backup_remaining(self.handle),
                    sqlite::sqlite3_backup_pagecount(self.handle),
                )
            };
            let (remaining, total) = (remaining.max(0) as u64, total.max(0) as u64);
            (total.saturating_sub(remaining), total)
        }
    }

    impl Drop for Backup<'_> {
        fn drop(&mut self) {
            // SAFETY: finishing our own backup object, once.
            unsafe { sqlite::sqlite3_backup_finish(self.handle) };
        }
    }

    /// Copies `source` into the (empty, existing) file `target` as of one instant: a read
    /// transaction on the source is held for the whole copy. Answers the pages copied.
    pub(super) fn copy_database(
        source: &Path,
        target: &Path,
        pages_per_step: u32,
        pause: Duration,
        mut progress: impl FnMut(Progress),
    ) -> Result<u64, BackupError> {
        // Read-write so that a WAL database opens even when no `-shm` exists yet; nothing
        // is written to it (query_only), and it is never created.
        let source = Connection::open(source, sqlite::SQLITE_OPEN_READWRITE)?;
        source.exec("PRAGMA query_only = 1")?;
        let target = Connection::open(target, sqlite::SQLITE_OPEN_READWRITE)?;
        // One snapshot for the whole copy: writers go on (WAL), the copy does not restart.
        source.exec("BEGIN; SELECT COUNT(*) FROM sqlite_schema;")?;
        let pages = {
            let backup = Backup::start(&source, &target)?;
            let step = c_int::try_from(pages_per_step).unwrap_or(c_int::MAX);
            loop {
                let done = backup.step(step)?;
                let (copied, total) = backup.progress();
                progress(Progress { copied, total });
                if done {
                    break;
                }
                std::thread::sleep(pause);
            }
            backup.progress().1
        };
        source.exec("COMMIT")?;
        drop(source);
        // The copied header says WAL (as the source was); one file, no `-wal`, is what a
        // backup should be.
        target.exec("PRAGMA journal_mode = DELETE")?;
        Ok(pages)
    }
}
