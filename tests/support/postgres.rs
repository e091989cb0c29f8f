//! A real PostgreSQL 15 for the store tests: a throwaway cluster (`initdb` + `pg_ctl`) in a
//! temp dir, listening on a free port of 127.0.0.1 only, password (SCRAM) authentication,
//! a `warroom` role owning a `warroom` database, and a random password per cluster. Run as
//! the `postgres` user (`runuser`) when the tests run as root, since PostgreSQL refuses root.
//! Stopped (`pg_ctl stop -m immediate`) and removed on drop.
//!
//! When PostgreSQL is missing: outside CI the test prints a loud `SKIPPED: …` and returns;
//! under `CI=true` it panics (CI must run them), like the other real servers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's `postgresql` package puts the server binaries here (not on PATH).
pub const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running cluster.
pub struct Postgres {
    pub port: u16,
    /// The `warroom` role's password (random, so a test can grep for it).
    pub password: String,
    /// The superuser's password.
    pub admin_password: String,
    dir: tempfile::TempDir,
    data: PathBuf,
    /// The `postgres` user's uid/gid when we run as root.
    owner: Option<(u32, u32)>,
    running: bool,
    /// Settings given to the server at each start.
    settings: String,
}

/// One cluster shared by the tests that run at the same time (each takes a database of its
/// own with [`Postgres::database`]); stopped when the last of them lets go.
pub fn shared() -> Option<std::sync::Arc<Postgres>> {
    use std::sync::{Arc, Mutex, Weak};
    static CLUSTER: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
    let mut slot = CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pg) = slot.upgrade() {
        return Some(pg);
    }
    let pg = Arc::new(start()?);
    *slot = Arc::downgrade(&pg);
    Some(pg)
}

/// A started cluster, or `None` after a loud SKIPPED message (a panic under `CI=true`).
pub fn start() -> Option<Postgres> {
    let initdb = Path::new(BIN).join("initdb");
    if !initdb.is_file() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "PostgreSQL 15 is not installed ({} missing), and CI must run these tests",
                initdb.display()
            );
        }
        eprintln!();
        eprintln!("************************************************************");
        eprintln!(
            "SKIPPED: PostgreSQL 15 not installed ({} missing; apt install postgresql)",
            initdb.display()
        );
        eprintln!("************************************************************");
        return None;
    }
    Some(Postgres::init(None))
}

/// A cluster that speaks TLS with this certificate and key (PEM files), and lets the `warroom`
/// role in over TLS only (the superuser may still use plain TCP, for the tests' own SQL).
pub fn start_tls(cert: &Path, key: &Path) -> Option<Postgres> {
    if !Path::new(BIN).join("initdb").is_file() {
        return start();
    }
    Some(Postgres::init(Some((cert, key))))
}

fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut b = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .expect("read /dev/urandom");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn postgres_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions; getpwnam returns static storage or null, read at
    // once.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let pw = libc::getpwnam(c"postgres".as_ptr());
        assert!(
            !pw.is_null(),
            "running as root, but there is no `postgres` user to run PostgreSQL as"
        );
        Some(((*pw).pw_uid, (*pw).pw_gid))
    }
}

impl Postgres {
    fn init(tls: Option<(&Path, &Path)>) -> Postgres {
        let dir = tempfile::tempdir().expect("temp dir");
        let owner = postgres_user();
        let data = dir.path().join("data");
        let mut pg = Postgres {
            port: 0,
            password: format!("pw{}", random_hex(16)),
            admin_password: random_hex(16),
            dir,
            data,
            owner,
            running: false,
            settings: String::new(),
        };
        let pwfile = pg.dir.path().join("pwfile");
        std::fs::write(&pwfile, format!("{}\n", pg.admin_password)).unwrap();
        pg.give(pg.dir.path());
        pg.give(&pwfile);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600)).unwrap();
        pg.run_ok(
            "initdb",
            &[
                "-D",
                path_str(&pg.data),
                "-U",
                "postgres",
                &format!("--pwfile={}", pwfile.display()),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        // Password logins over loopback TCP only (and replication, for the failover tests).
        let hba = match tls {
            None => "host all all 127.0.0.1/32 scram-sha-256\n\
                     host replication all 127.0.0.1/32 scram-sha-256\n"
                .to_string(),
            Some((cert, key)) => {
                for (from, to) in [(cert, "server.crt"), (key, "server.key")] {
                    let path = pg.data.join(to);
                    std::fs::copy(from, &path).unwrap();
                    pg.give(&path);
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .unwrap();
                }
                pg.settings = " -c ssl=on".to_string();
                "host all postgres 127.0.0.1/32 scram-sha-256\n\
                 hostssl all all 127.0.0.1/32 scram-sha-256\n"
                    .to_string()
            }
        };
        std::fs::write(pg.data.join("pg_hba.conf"), hba).unwrap();
        let mut last = String::new();
        for _ in 0..5 {
            pg.port = super::servers::free_port();
            match pg.pg_ctl_start() {
                Ok(()) => {
                    pg.running = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        assert!(pg.running, "PostgreSQL did not start: {last}");
        pg.admin(&format!(
            "CREATE ROLE warroom LOGIN PASSWORD '{}'",
            pg.password
        ));
        pg.admin("CREATE DATABASE warroom OWNER warroom");
        pg.admin("REVOKE ALL ON DATABASE warroom FROM PUBLIC");
        pg
    }

    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
    }

    /// Runs one of PostgreSQL's programs as the cluster's owner.
    fn program(&self, name: &str, args: &[&str]) -> Command {
        let bin = Path::new(BIN).join(name);
        let mut c = if self.owner.is_some() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        c.args(args).current_dir(self.dir.path());
        c
    }

    fn run_ok(&self, name: &str, args: &[&str]) {
        let out = self
            .program(name, args)
            .output()
            .expect("run a PostgreSQL program");
        assert!(
            out.status.success(),
            "{name} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on{}",
            self.port,
            self.dir.path().display(),
            self.settings
        );
        let out = self
            .program(
                "pg_ctl",
                &[
                    "-D",
                    path_str(&self.data),
                    "-l",
                    path_str(&log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &options,
                    "start",
                ],
            )
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log()
            ))
        }
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The URL warroom is given, password included.
    pub fn url(&self) -> String {
        format!(
            "postgres://warroom:{}@127.0.0.1:{}/warroom?sslmode=disable",
            self.password, self.port
        )
    }

    /// A new database owned by `warroom`, for one test; its URL (password included).
    pub fn database(&self, name: &str) -> String {
        self.admin(&format!("CREATE DATABASE {name} OWNER warroom"));
        self.admin(&format!("REVOKE ALL ON DATABASE {name} FROM PUBLIC"));
        self.url_of(name)
    }

    /// The URL of database `name`, password included.
    pub fn url_of(&self, name: &str) -> String {
        format!(
            "postgres://warroom:{}@127.0.0.1:{}/{name}?sslmode=disable",
            self.password, self.port
        )
    }

    /// Runs SQL as the superuser on database `db`.
    pub fn admin_on(&self, db: &str, sql: &str) -> Vec<Vec<Option<String>>> {
        self.query(db, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}\n{}", self.log()))
    }

    /// The same without the password (for PGPASSFILE-style tests and messages).
    pub fn url_without_password(&self) -> String {
        format!(
            "postgres://warroom@127.0.0.1:{}/warroom?sslmode=disable",
            self.port
        )
    }

    /// Runs SQL as the superuser on the `postgres` database; the rows, as text.
    pub fn admin(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.try_admin(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}\n{}", self.log()))
    }

    pub fn try_admin(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        self.query("postgres", sql)
    }

    fn query(&self, db: &str, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::Config::new()
                .host("127.0.0.1")
                .port(self.port)
                .user("postgres")
                .password(&self.admin_password)
                .dbname(db)
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| format!("{e}: {:?}", e.as_db_error().map(|d| d.message())))?;
            let task = tokio::spawn(conn);
            let messages = client
                .simple_query(sql)
                .await
                .map_err(|e| format!("{e}: {:?}", e.as_db_error().map(|d| d.message())))?;
            drop(client);
            let _ = task.await;
            Ok(messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect())
        })
    }

    /// Stops the server the hard way (as a crash would), keeping its data.
    pub fn stop_immediate(&mut self) {
        if self.running {
            let _ = self
                .program(
                    "pg_ctl",
                    &["-D", path_str(&self.data), "-m", "immediate", "-w", "stop"],
                )
                .output();
            self.running = false;
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.pg_ctl_start().expect("restart PostgreSQL");
        self.running = true;
    }
}

impl Postgres {
    /// A streaming replica of this cluster (`pg_basebackup -R`), started on a port of its own,
    /// with the same roles and passwords. `synchronous`: the primary waits for it at each
    /// commit (`synchronous_standby_names = '*'`), so what the primary acknowledged is on it.
    pub fn replica(&self, synchronous: bool) -> Postgres {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut replica = Postgres {
            port: 0,
            password: self.password.clone(),
            admin_password: self.admin_password.clone(),
            data: dir.path().join("data"),
            dir,
            owner: self.owner,
            running: false,
            settings: self.settings.clone(),
        };
        replica.give(replica.dir.path());
        let source = format!(
            "host=127.0.0.1 port={} user=postgres password={}",
            self.port, self.admin_password
        );
        replica.run_ok(
            "pg_basebackup",
            &[
                "-d",
                &source,
                "-D",
                path_str(&replica.data),
                "-R",
                "-X",
                "stream",
            ],
        );
        let mut last = String::new();
        for _ in 0..5 {
            replica.port = super::servers::free_port();
            match replica.pg_ctl_start() {
                Ok(()) => {
                    replica.running = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        assert!(replica.running, "the replica did not start: {last}");
        if synchronous {
            self.admin("ALTER SYSTEM SET synchronous_standby_names = '*'");
            self.admin("SELECT pg_reload_conf()");
        }
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let want = if synchronous { "sync" } else { "async" };
        while self
            .admin("SELECT sync_state FROM pg_stat_replication")
            .first()
            .and_then(|r| r[0].clone())
            .as_deref()
            != Some(want)
        {
            assert!(
                std::time::Instant::now() < until,
                "the replica never streamed ({want})\n{}",
                replica.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        replica
    }

    /// Makes this replica the primary (`pg_ctl promote`), waiting until it is.
    pub fn promote(&self) {
        self.run_ok("pg_ctl", &["-D", path_str(&self.data), "-w", "promote"]);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_immediate();
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}
