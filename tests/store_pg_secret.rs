//! The database password, given the recommended way (in `WARROOM_STORE_URL`), appears nowhere
//! warroom writes or shows: not in any command's output or error (a database that hangs
//! included), not in the data directory (journals, exports), not in the rows warroom stores
//! or the server's log, and not in the command line `ps` shows of a warroom that is running.

use crate::common::{self, Ran};
use crate::support::pg_proxy::{Mode, Proxy};
use crate::support::postgres;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn warroom(data: &Path, url: &str, args: &[&str]) -> Command {
    let mut c = common::warroom_std(data, "alice");
    c.env("WARROOM_STORE_URL", url)
        .env("WARROOM_CONFIG", data.join("config.toml"))
        .env_remove("PGPASSFILE")
        .args(args)
        .stdin(Stdio::null());
    c
}

fn ran(mut c: Command) -> Ran {
    let out = c.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir` whose bytes contain `secret`.
fn files_with(dir: &Path, secret: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                files += 1;
                if bytes.windows(secret.len()).any(|w| w == secret) {
                    found.push(p.display().to_string());
                }
            }
        }
    }
    assert!(files > 0, "nothing was written under {}", dir.display());
    found
}

#[test]
fn the_database_password_is_nowhere_on_screen_on_disk_in_the_database_or_in_ps() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("secret_everywhere");
    let pw = cluster.password.clone();
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();

    let id = common::open_incident(here.path(), "alice", "Checkout 500s", "sev1");
    for args in [
        vec!["note", &id, "payments answer 502"],
        vec!["status", &id, "identified"],
    ] {
        let r = ran(warroom(here.path(), &url, &args));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        shown.push(r);
    }

    // A push held up by a database that does not answer yet: `ps` sees the running process.
    let proxy = Proxy::start(cluster.port, Mode::Silent);
    let slow_url = proxy.url(&url, cluster.port);
    let push = warroom(here.path(), &slow_url, &["store", "push", &id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cmdline_path = format!("/proc/{}/cmdline", push.id());
    let until = Instant::now() + Duration::from_secs(5);
    let mut cmdline = Vec::new();
    while cmdline.is_empty() || !String::from_utf8_lossy(&cmdline).contains("push") {
        cmdline = std::fs::read(&cmdline_path).unwrap_or_default();
        assert!(Instant::now() < until, "never saw the push's command line");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let later = std::fs::read(&cmdline_path).unwrap();
    for c in [&cmdline, &later] {
        let c = String::from_utf8_lossy(c).replace('\0', " ");
        assert!(c.contains("store push"), "{c}");
        assert!(!c.contains(&pw), "the password is in `ps`: {c}");
    }
    proxy.set_mode(Mode::Forward);
    let out = push.wait_with_output().unwrap();
    let pushed = Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(pushed.code, Some(0), "{}", pushed.stderr);
    shown.push(pushed);

    // A database that never answers: the error says so, without the password.
    proxy.set_mode(Mode::Silent);
    let hung = ran(warroom(here.path(), &slow_url, &["store", "status"]));
    assert_eq!(hung.code, Some(1), "{}", hung.stdout);
    assert!(hung.stderr.contains("did not answer"), "{}", hung.stderr);
    shown.push(hung);
    drop(proxy);

    // Pulled onto another machine, read, verified and exported there.
    let exports = tempfile::tempdir().unwrap();
    let export = exports.path().join("postmortem.md");
    for args in [
        vec!["store", "status"],
        vec!["store", "init"],
        vec!["store", "pull", &id],
        vec!["log", &id],
        vec!["verify", &id],
        vec!["export", &id, "--output", export.to_str().unwrap()],
    ] {
        let r = ran(warroom(there.path(), &url, &args));
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        shown.push(r);
    }
    let pulled = std::fs::read_to_string(common::journal_path(there.path(), &id)).unwrap();
    assert!(pulled.contains("payments answer 502"), "{pulled}");
    assert!(export.is_file());

    for r in &shown {
        assert!(
            !r.stdout.contains(&pw) && !r.stderr.contains(&pw),
            "the password was shown:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
    for dir in [here.path(), there.path(), exports.path()] {
        assert_eq!(files_with(dir, pw.as_bytes()), Vec::<String>::new());
    }
    let rows = cluster.admin_on(
        "secret_everywhere",
        "SELECT i.id, i.head_hash, e.event_id, e.line FROM warroom_events e \
         JOIN warroom_incidents i ON i.id = e.incident",
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    for row in rows {
        for cell in row.into_iter().flatten() {
            assert!(
                !cell.contains(&pw),
                "the password is in the database: {cell}"
            );
        }
    }
    assert!(
        !cluster.log().contains(&pw),
        "the password is in the server's log"
    );
}
