//! `warroom serve` on a shared PostgreSQL store: followers get what any machine commits, read
//! once per incident on a wake-up from the database (`LISTEN`), across a restart of the
//! database; several share servers serve the same incident, and a follower moved from one to
//! another resumes with `Last-Event-ID`, with no gap and no duplicate; a share token issued on
//! one machine is honoured by the share server of another. Real processes against a real
//! PostgreSQL 15 started for this file.

use crate::common::{self, ChildGuard};
use crate::share_common::{Sse, SseReader, client, get, raw};
use crate::support::cli::{Setup, setup, stderr, warroom};
use crate::support::postgres;
use std::path::Path;
use std::time::Duration;

const CONFIG: &str = "[share]\nlisten = \"127.0.0.1:0\"\n";

/// A `warroom serve` process, killed when dropped.
struct Serve {
    addr: std::net::SocketAddr,
    _child: ChildGuard,
}

impl Serve {
    /// `warroom serve` with data directory `data` (its machine) on the store `s` uses.
    fn start(s: &Setup, data: &Path) -> Serve {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .env_remove("WARROOM_STORE_URL")
            .env("WARROOM_DATA_DIR", data)
            .env("WARROOM_CONFIG", &s.config)
            .env("WARROOM_USER", "alice")
            .envs(s.env.iter().map(|(k, v)| (k, v)))
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let guard = ChildGuard(child);
        let mut banner = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(err), &mut banner).unwrap();
        let addr = banner
            .split('(')
            .nth(1)
            .and_then(|r| r.split([',', ';', ')']).next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the address in the banner: {banner}"));
        Serve {
            addr,
            _child: guard,
        }
    }

    /// Follows `id` with `token`, from after `last` when given (`Last-Event-ID`).
    async fn follow(&self, id: &str, token: &str, last: Option<u64>) -> SseReader {
        let mut req = client()
            .get(format!("http://{}/v1/incidents/{id}/events", self.addr))
            .bearer_auth(token);
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        SseReader::new(resp)
    }
}

/// Runs `warroom args…` on `s`, which must succeed; its standard output.
fn ok(s: &Setup, args: &[&str]) -> String {
    let out = s.run(args);
    assert!(out.status.success(), "warroom {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Entries (not views) until the one with seq `upto`: their seqs and lines, in order.
async fn entries_until(sse: &mut SseReader, upto: u64) -> Vec<(u64, String)> {
    let mut got = Vec::new();
    loop {
        let Some(Sse { id, kind, data }) = sse.next(Duration::from_secs(20)).await else {
            panic!("the stream ended after {got:?}");
        };
        if kind != "entry" {
            continue;
        }
        let seq: u64 = id.expect("an entry has an id").parse().unwrap();
        got.push((seq, data));
        if seq >= upto {
            return got;
        }
    }
}

fn seqs(entries: &[(u64, String)]) -> Vec<u64> {
    entries.iter().map(|(seq, _)| *seq).collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn followers_of_serve_miss_nothing_across_a_database_restart_and_serve_answers_meanwhile() {
    let Some(mut cluster) = postgres::start() else {
        return;
    };
    let url = cluster.url();
    let s = setup(CONFIG, &[("WARROOM_STORE_URL", &url)]);
    let other = ok(&s, &["open", "Search slow", "--severity", "sev2"]);
    let ids = [s.id.clone(), other.trim().to_string()];
    let tokens: Vec<String> = ids
        .iter()
        .map(|id| common::printed_token(&ok(&s, &["share", id])))
        .collect();
    let serve = Serve::start(&s, &s.data);
    runtime().block_on(async {
        let mut followers = Vec::new();
        for (id, token) in ids.iter().zip(&tokens) {
            let mut sse = serve.follow(id, token, None).await;
            assert_eq!(seqs(&entries_until(&mut sse, 1).await), [1]);
            followers.push(sse);
        }
        // Another machine's CLI commits; each follower gets it.
        let machine_b = tempfile::tempdir().unwrap();
        let note = |id: &str, text: &str| {
            let out = warroom(machine_b.path(), &s.config, &s.env)
                .env("WARROOM_USER", "dana")
                .args(["note", id, text])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        };
        for id in &ids {
            note(id, "before the restart");
        }
        for sse in &mut followers {
            let got = entries_until(sse, 2).await;
            assert_eq!(seqs(&got), [2]);
            assert!(got[0].1.contains("before the restart"), "{got:?}");
        }

        cluster.stop_immediate();
        // With the database gone, the share server still answers at once: nothing it runs
        // waits on the database (the page here; the streams stay open).
        tokio::time::sleep(Duration::from_millis(500)).await;
        let page = raw(serve.addr, &get("/", &[]), Duration::from_secs(5)).await;
        assert_eq!(page.status, Some(200), "{}", page.text);
        cluster.restart();

        for i in 0..3 {
            for id in &ids {
                note(id, &format!("after the restart {i}"));
            }
        }
        for sse in &mut followers {
            let got = entries_until(sse, 5).await;
            assert_eq!(seqs(&got), [3, 4, 5], "every entry once, in order");
            for (i, (_, line)) in got.iter().enumerate() {
                assert!(line.contains(&format!("after the restart {i}")), "{line}");
            }
        }
    });
}

#[test]
fn a_follower_moved_to_another_share_server_resumes_with_no_gap_and_no_duplicate() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("tail_moved");
    let s = setup(CONFIG, &[("WARROOM_STORE_URL", &url)]);
    let token = common::printed_token(&ok(&s, &["share", &s.id]));
    let first = Serve::start(&s, &s.data);
    let second = Serve::start(&s, &s.data);
    runtime().block_on(async {
        let mut on_first = first.follow(&s.id, &token, None).await;
        let mut on_second = second.follow(&s.id, &token, None).await;
        for i in 0..3 {
            ok(&s, &["note", &s.id, &format!("note {i}")]);
        }
        let a = entries_until(&mut on_first, 4).await;
        let b = entries_until(&mut on_second, 4).await;
        assert_eq!(seqs(&a), [1, 2, 3, 4]);
        assert_eq!(a, b, "both servers send the same lines");

        // The first server goes away; the follower comes back on the second one from the
        // last entry it has, while notes keep being recorded.
        drop(first);
        drop(on_first);
        for i in 3..6 {
            ok(&s, &["note", &s.id, &format!("note {i}")]);
        }
        let mut moved = second.follow(&s.id, &token, Some(4)).await;
        let rest = entries_until(&mut moved, 7).await;
        assert_eq!(seqs(&rest), [5, 6, 7], "no gap and no duplicate");
        ok(&s, &["note", &s.id, "note 6"]);
        assert_eq!(seqs(&entries_until(&mut moved, 8).await), [8]);
        let all: Vec<(u64, String)> = a.into_iter().chain(rest).collect();
        let log: Vec<String> = ok(&s, &["log", &s.id, "--json"])
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            all.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
            log[..7],
            "the follower holds the journal's very lines"
        );
    });
}

#[test]
fn a_token_issued_on_one_machine_is_honoured_and_revoked_on_another() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("tail_tokens");
    let s = setup(CONFIG, &[("WARROOM_STORE_URL", &url)]);
    // Machine A issues the token; machine B, with a data directory of its own, serves.
    let token = common::printed_token(&ok(&s, &["share", &s.id]));
    let machine_b = tempfile::tempdir().unwrap();
    let serve = Serve::start(&s, machine_b.path());
    runtime().block_on(async {
        let mut sse = serve.follow(&s.id, &token, None).await;
        assert_eq!(seqs(&entries_until(&mut sse, 1).await), [1]);
        // A wrong token is still refused there.
        let wrong = client()
            .get(format!(
                "http://{}/v1/incidents/{}/events",
                serve.addr, s.id
            ))
            .bearer_auth("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 403);
        // The database keeps the token's SHA-256 only.
        // (On a plain thread: the admin client runs a runtime of its own.)
        let kept = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    cluster.admin_on("tail_tokens", "SELECT token_sha256 FROM warroom_shares")
                })
                .join()
                .unwrap()
        });
        let digest: String = warroom::share::tokens::digest(&token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(kept, vec![vec![Some(digest)]]);
        // Revoked from machine B's CLI: the stream on machine B ends with `revoked`.
        let out = warroom(machine_b.path(), &s.config, &s.env)
            .args(["share", &s.id, "--revoke"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("sharing revoked"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        loop {
            match sse.next(Duration::from_secs(10)).await {
                Some(ev) if ev.kind == "revoked" => break,
                Some(_) => {}
                None => panic!("the stream ended without `revoked`"),
            }
        }
        // Nothing about the token is kept in either data directory.
        for dir in [s.data.as_path(), machine_b.path()] {
            let share = dir.join("incidents").join(&s.id).join("share.json");
            assert!(!share.exists(), "{} exists", share.display());
        }
    });
}
