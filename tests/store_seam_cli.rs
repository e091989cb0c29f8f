//! Every CLI verb on both stores, through the real binary: the same commands, the same exit
//! codes and the same log whether incidents are kept in the data directory or in PostgreSQL
//! (`WARROOM_STORE_URL`, `--store`, `[store]`). Each check runs on each store of
//! `support::stores::cli_stores`; with PostgreSQL, nothing is kept in the data directory, and
//! a second "machine" (another data directory) sees and records on the same incidents.

use crate::common::{self, ChildGuard};
use crate::support::cli::{Setup, setup, stderr};
use crate::support::stores::{CliStore, cli_stores};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use warroom::journal::Journal;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `args` run on `s`, which must succeed; its standard output.
fn ok(s: &Setup, store: &CliStore, args: &[&str]) -> String {
    let out = s.run(args);
    assert!(
        out.status.success(),
        "{}: warroom {args:?} failed: {}",
        store.name,
        stderr(&out)
    );
    stdout(&out)
}

/// The incident's journal lines, as `log --json` prints them.
fn lines(s: &Setup) -> Vec<Value> {
    let out = s.run(&["log", &s.id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Another machine: its own data directory (the file journal's "other machine" is the same
/// directory, since the file journal is one machine's), the same store, another user.
fn other_machine(s: &Setup, store: &CliStore, dir: &Path, user: &str) -> assert_cmd::Command {
    let data = if store.is_shared() {
        dir.to_path_buf()
    } else {
        s.data.clone()
    };
    let mut c = s.command();
    c.env("WARROOM_DATA_DIR", data).env("WARROOM_USER", user);
    c
}

/// What the data directory holds: nothing at all when the incidents are in PostgreSQL.
fn assert_kept_in_store(s: &Setup, store: &CliStore, entries: usize) {
    let journal = s.data.join("incidents").join(&s.id).join("journal.jsonl");
    match store.pg() {
        Some(pg) => {
            assert!(
                !journal.exists(),
                "{}: a journal was written in the data directory",
                store.name
            );
            let j = pg.open(&s.id).unwrap();
            assert_eq!(
                j.records().len(),
                entries,
                "{}: entries in the database",
                store.name
            );
        }
        None => assert_eq!(
            std::fs::read_to_string(&journal).unwrap().lines().count(),
            entries
        ),
    }
}

#[test]
fn every_verb_records_and_reads_back_the_same_on_both_stores() {
    // PagerDuty cannot run here: a local server answers as its API does.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pagerduty = runtime.block_on(crate::pagerduty_link::pagerduty());
    let config = crate::pagerduty_link::pd_config(&pagerduty);
    for store in cli_stores("seam_lifecycle") {
        let what = store.name;
        let mut env = store.env();
        env.push(("PD_TEST_TOKEN", "u+testtoken"));
        let s = setup(&config, &env);
        assert_eq!(s.id, "INC-1", "{what}");
        ok(
            &s,
            &store,
            &["note", &s.id, "errors since the 09:00 deploy"],
        );
        ok(&s, &store, &["pagerduty", "link", &s.id, "PT4KHLK"]);
        ok(&s, &store, &["update", &s.id, "Rolling back pricing"]);
        ok(&s, &store, &["severity", &s.id, "sev2"]);
        ok(&s, &store, &["status", &s.id, "identified"]);
        ok(&s, &store, &["assign", &s.id, "scribe", "bob"]);
        let task = ok(&s, &store, &["task", &s.id, "bob", "check the primary DB"]);
        assert_eq!(task.trim(), "T1", "{what}");
        ok(&s, &store, &["done", &s.id, "T1"]);
        ok(&s, &store, &["pagerduty", "unlink", &s.id, "PT4KHLK"]);
        ok(&s, &store, &["handoff", &s.id, "carol"]);
        ok(
            &s,
            &store,
            &["followup", &s.id, "alert on 5xx", "--type", "prevent"],
        );
        ok(&s, &store, &["resolve", &s.id, "--summary", "rolled back"]);

        let types: Vec<String> = lines(&s)
            .iter()
            .map(|l| l["event"]["type"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "opened",
                "note",
                "pagerduty_linked",
                "status_update",
                "update_delivered",
                "severity_changed",
                "status_changed",
                "role_assigned",
                "task_assigned",
                "task_done",
                "pagerduty_unlinked",
                "handoff",
                "follow_up",
                "resolved"
            ],
            "{what}"
        );
        let log = ok(&s, &store, &["log", &s.id]);
        assert!(
            log.contains("errors since the 09:00 deploy"),
            "{what}: {log}"
        );
        let list: Value =
            serde_json::from_str(&ok(&s, &store, &["list", "--all", "--json"])).unwrap();
        assert_eq!(list[0]["id"], "INC-1", "{what}: {list}");
        assert_eq!(list[0]["severity"], "sev2", "{what}: {list}");

        let verified = ok(&s, &store, &["verify", &s.id]);
        assert!(
            verified.starts_with("INC-1: 14 events, hash chain intact"),
            "{what}: {verified}"
        );
        // The post-mortem from the same store, and its export recorded there.
        let out_dir = tempfile::tempdir().unwrap();
        let draft = out_dir.path().join("pm.json");
        ok(
            &s,
            &store,
            &[
                "export",
                &s.id,
                "--format",
                "json",
                "-o",
                draft.to_str().unwrap(),
            ],
        );
        let pm: Value = serde_json::from_slice(&std::fs::read(&draft).unwrap()).unwrap();
        assert!(
            pm.to_string().contains("errors since the 09:00 deploy"),
            "{what}: {pm}"
        );
        assert_eq!(
            lines(&s).last().unwrap()["event"]["type"],
            "postmortem_exported",
            "{what}"
        );
        assert_kept_in_store(&s, &store, 15);
    }
}

#[test]
fn bad_input_exits_2_and_records_nothing_on_both_stores() {
    for store in cli_stores("seam_bad_input") {
        let what = store.name;
        let s = setup("", &store.env());
        let before = lines(&s);
        let bad: &[&[&str]] = &[
            &["note", "INC-99", "nowhere"],
            &["note", &s.id, ""],
            &["severity", &s.id, "sev1"],
            &["status", &s.id, "investigating"],
            &["done", &s.id, "T9"],
            &["task", &s.id, "bob", "x", "--due", "0s"],
            &["open", "", "--severity", "sev2"],
            &["export", "INC-42"],
            &["pagerduty", "unlink", &s.id, "PT4KHLK"],
            &["verify", "nope"],
        ];
        for args in bad {
            let out = s.run(args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what}: warroom {args:?}: {}",
                stderr(&out)
            );
            assert_eq!(
                stderr(&out).trim().lines().count(),
                1,
                "{what}: {args:?}: one line: {}",
                stderr(&out)
            );
        }
        assert_eq!(lines(&s), before, "{what}: nothing recorded");
        let list = ok(&s, &store, &["list", "--all", "--json"]);
        let list: Value = serde_json::from_str(&list).unwrap();
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "{what}: no incident opened"
        );
        assert_kept_in_store(&s, &store, 1);
    }
}

/// `verify` on both stores: an intact chain passes; an entry changed where it is kept (a byte
/// in the file, a stray `UPDATE` of the row) is named, exit 1, and nothing more is recorded
/// on the damaged incident.
#[test]
fn verify_passes_then_names_the_damaged_entry_and_records_nothing_on_both_stores() {
    for store in cli_stores("seam_verify") {
        let what = store.name;
        let s = setup("", &store.env());
        for n in 1..=3 {
            ok(&s, &store, &["note", &s.id, &format!("note {n} all clear")]);
        }
        let verified = ok(&s, &store, &["verify", &s.id]);
        assert!(
            verified.contains(&format!("{}: 4 events, hash chain intact", s.id)),
            "{what}: {verified}"
        );
        store.damage(&s.data, &s.id, 3, "note 2 all clear", "note 2 all clean");
        let before = store.kept(&s.data);
        let out = s.run(&["verify", &s.id]);
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {said}");
        assert_eq!(said.trim_end().lines().count(), 1, "{what}: {said}");
        assert!(said.contains(":3: journal damaged"), "{what}: {said}");
        assert_eq!(stdout(&out), "", "{what}");
        let out = s.run(&["note", &s.id, "is it fixed?"]);
        assert!(!out.status.success(), "{what}: a note on a damaged journal");
        assert_eq!(store.kept(&s.data), before, "{what}: something changed");
    }
}

#[test]
fn appenders_on_two_machines_at_once_each_land_once_in_a_dense_chain() {
    const PROCESSES: usize = 6;
    const EACH: usize = 5;
    for store in cli_stores("seam_concurrent") {
        let what = store.name;
        let s = setup("", &store.env());
        let other = tempfile::tempdir().unwrap();
        std::thread::scope(|scope| {
            for p in 0..PROCESSES {
                let (s, store, other) = (&s, &store, other.path());
                scope.spawn(move || {
                    for n in 0..EACH {
                        let mut c = if p % 2 == 0 {
                            s.command()
                        } else {
                            other_machine(s, store, other, "bob")
                        };
                        let out = c
                            .args(["note", &s.id, &format!("p{p} n{n}")])
                            .output()
                            .unwrap();
                        assert!(out.status.success(), "{}", stderr(&out));
                    }
                });
            }
        });
        let all = lines(&s);
        common::assert_dense(&all);
        assert_eq!(all.len(), 1 + PROCESSES * EACH, "{what}");
        for p in 0..PROCESSES {
            for n in 0..EACH {
                let text = format!("p{p} n{n}");
                let found = all
                    .iter()
                    .filter(|l| l["event"]["text"] == text.as_str())
                    .count();
                assert_eq!(found, 1, "{what}: {text}");
            }
        }
        ok(&s, &store, &["verify", &s.id]);
        assert_kept_in_store(&s, &store, 1 + PROCESSES * EACH);
    }
}

#[test]
fn a_second_machine_records_notes_updates_and_task_results_under_its_own_name() {
    for store in cli_stores("seam_second_machine") {
        let what = store.name;
        let s = setup("", &store.env());
        ok(
            &s,
            &store,
            &["task", &s.id, "dana", "check the replica lag"],
        );
        let b = tempfile::tempdir().unwrap();
        for args in [
            vec!["note", s.id.as_str(), "replica lag is 0"],
            vec!["note", s.id.as_str(), "check-in: still on the replica"],
            vec!["update", s.id.as_str(), "Replica healthy"],
            vec!["done", s.id.as_str(), "T1"],
        ] {
            let out = other_machine(&s, &store, b.path(), "dana")
                .args(&args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{what}: {args:?}: {}", stderr(&out));
        }
        // Seen from the first machine, each under its writer's name.
        let all = lines(&s);
        let by: Vec<(&str, &str)> = all
            .iter()
            .map(|l| {
                (
                    l["by"].as_str().unwrap(),
                    l["event"]["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                ("alice", "opened"),
                ("alice", "task_assigned"),
                ("dana", "note"),
                ("dana", "note"),
                ("dana", "status_update"),
                ("dana", "task_done"),
            ],
            "{what}"
        );
        if store.is_shared() {
            assert!(
                !b.path().join("incidents").exists(),
                "{what}: the second machine keeps nothing locally"
            );
        }
    }
}

/// The store given by `--store` (the password in a password file), by `[store] url_env` in
/// config.toml, or by `[store] url`: all the same database. A password in `--store` is refused
/// before anything is recorded.
#[test]
fn the_store_comes_from_the_flag_the_environment_or_config_and_never_takes_a_password_in_ps() {
    let Some(cluster) = crate::support::postgres::shared() else {
        return;
    };
    let url = cluster.database("seam_choice");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "127.0.0.1:{}:seam_choice:warroom:{}\n",
            cluster.port, cluster.password
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bare = url.replace(&format!(":{}@", cluster.password), "@");
    assert!(!bare.contains(&cluster.password));
    let config = dir.path().join("config.toml");
    let run = |config_text: &str, env: &[(&str, &str)], args: &[&str]| {
        std::fs::write(&config, config_text).unwrap();
        let mut c = common::warroom(&data, "alice");
        c.env("WARROOM_CONFIG", &config).env_remove("PGPASSFILE");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.args(args).output().unwrap();
        assert!(
            !stdout(&out).contains(&cluster.password) && !stderr(&out).contains(&cluster.password),
            "the password was printed"
        );
        out
    };
    let flag = run(
        "",
        &[("PGPASSFILE", pgpass.to_str().unwrap())],
        &[
            "--store",
            &bare,
            "open",
            "Checkout 500s",
            "--severity",
            "sev1",
        ],
    );
    assert!(flag.status.success(), "{}", stderr(&flag));
    assert_eq!(stdout(&flag).trim(), "INC-1");
    let by_env = run(
        "[store]\nurl_env = \"TEAM_DB\"\n",
        &[("TEAM_DB", &url)],
        &["note", "INC-1", "from url_env"],
    );
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    let by_url = run(
        &format!("[store]\nurl = \"{bare}\"\n"),
        &[("PGPASSFILE", pgpass.to_str().unwrap())],
        &["note", "INC-1", "from url"],
    );
    assert!(by_url.status.success(), "{}", stderr(&by_url));
    let refused = run("", &[], &["note", "INC-1", "never", "--store", &url]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("password"),
        "{}",
        stderr(&refused)
    );

    let log = run(
        "",
        &[("WARROOM_STORE_URL", &url)],
        &["log", "INC-1", "--json"],
    );
    let texts: Vec<String> = stdout(&log)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"]["text"].to_string())
        .collect();
    assert_eq!(texts, ["null", "\"from url_env\"", "\"from url\""]);
    assert!(
        !data.join("incidents").exists(),
        "nothing in the data directory"
    );
    // A mistake in [store] stops the verbs that keep incidents, naming file and line, and only
    // those.
    let broken = "[store]\nurl = \"postgres://warroom@127.0.0.1/x\"\nsslmode = \"sometimes\"\n";
    let note = run(broken, &[], &["note", "INC-1", "never"]);
    assert_eq!(note.status.code(), Some(2), "{}", stderr(&note));
    assert!(
        stderr(&note).contains(&format!("{}:3", config.display())),
        "{}",
        stderr(&note)
    );
    let man = run(broken, &[], &["completions", "bash"]);
    assert_eq!(man.status.code(), Some(0), "{}", stderr(&man));
    // The console runs on the shared store too: without a terminal it asks for one, rather
    // than refusing the store.
    let console = run("", &[("WARROOM_STORE_URL", &url)], &[]);
    assert_eq!(console.status.code(), Some(2), "{}", stderr(&console));
    assert!(
        stderr(&console).contains("needs a terminal"),
        "{}",
        stderr(&console)
    );
}

/// Every verb that records, with a store that cannot be reached: exit 1, the store named
/// without its password, "nothing was recorded", nothing written in the data directory. The
/// verbs run at once (each keeps trying for 10 s).
#[test]
fn an_unreachable_store_fails_with_exit_1_saying_nothing_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = crate::support::servers::free_port();
    let url = format!("postgres://warroom:s3cret-pw@127.0.0.1:{port}/warroom?sslmode=disable");
    let verbs: &[&[&str]] = &[
        &["open", "Checkout 500s", "--severity", "sev1"],
        &["note", "INC-1", "lost?"],
        &["update", "INC-1", "still down"],
        &["severity", "INC-1", "sev2"],
        &["status", "INC-1", "identified"],
        &["assign", "INC-1", "scribe", "bob"],
        &["task", "INC-1", "bob", "look at the pool"],
        &["done", "INC-1", "1"],
        &["handoff", "INC-1", "bob"],
        &["resolve", "INC-1"],
        &[
            "followup",
            "--type",
            "prevent",
            "INC-1",
            "alert on the pool",
        ],
        &["pagerduty", "link", "INC-1", "PABC123"],
        &["pagerduty", "unlink", "INC-1", "PABC123"],
        &["share", "INC-1"],
        &["blast", "INC-1"],
        &["write-back", "INC-1", "a1", "acknowledge", "seen"],
        &["store", "init"],
        &["store", "push", "INC-1"],
        &["store", "pull", "INC-1"],
    ];
    let children: Vec<_> = verbs
        .iter()
        .map(|args| {
            let mut c = common::warroom_std(&data, "alice");
            c.env("WARROOM_STORE_URL", &url)
                .env("WARROOM_CONFIG", dir.path().join("config.toml"))
                .args(*args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            (args, c.spawn().unwrap())
        })
        .collect();
    let mut wrong = Vec::new();
    for (args, child) in children {
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        let right = out.status.code() == Some(1)
            && err.contains("nothing was recorded")
            && err.contains(&format!("127.0.0.1:{port}"))
            && !err.contains("s3cret-pw");
        if !right {
            wrong.push(format!("{args:?} exit {:?}: {err}", out.status.code()));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(!data.exists(), "nothing written in the data directory");
}

/// `warroom serve` reads through the same seam: a follower of an incident in PostgreSQL gets
/// its lines, then a note another process records.
#[test]
fn warroom_serve_streams_an_incident_and_what_another_process_appends() {
    for store in cli_stores("seam_serve") {
        let what = store.name;
        let s = setup("[share]\nlisten = \"127.0.0.1:0\"\n", &store.env());
        let shared = ok(&s, &store, &["share", &s.id]);
        let token = common::printed_token(&shared);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .env_remove("WARROOM_STORE_URL")
            .env("WARROOM_DATA_DIR", &s.data)
            .env("WARROOM_CONFIG", &s.config)
            .env("WARROOM_USER", "alice")
            .envs(store.env())
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let _guard = ChildGuard(child);
        let mut banner = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(err), &mut banner).unwrap();
        let addr = banner
            .split('(')
            .nth(1)
            .and_then(|r| r.split([',', ';']).next())
            .unwrap_or_else(|| panic!("{what}: the address in the banner: {banner}"))
            .to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let resp = crate::share_common::client()
                .get(format!("http://{addr}/v1/incidents/{}/events", s.id))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{what}");
            let mut sse = crate::share_common::SseReader::new(resp);
            let first = sse.next(Duration::from_secs(10)).await.unwrap();
            assert_eq!(first.id.as_deref(), Some("1"), "{what}");
            assert!(
                first.data.contains("Checkout 500s"),
                "{what}: {}",
                first.data
            );
            let other = tempfile::tempdir().unwrap();
            let out = other_machine(&s, &store, other.path(), "dana")
                .args(["note", &s.id, "seen by followers"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            loop {
                let ev = sse.next(Duration::from_secs(10)).await.unwrap();
                if ev.id.as_deref() == Some("2") {
                    assert!(ev.data.contains("seen by followers"), "{what}: {}", ev.data);
                    break;
                }
            }
        });
    }
}
