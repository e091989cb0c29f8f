//! The CLI on an incident someone else leads, on both stores: whoever is not its leader
//! records only what `domain::non_leader_may` leaves open to all (notes, check-ins, status
//! updates, a task's result, an objection). Severity, status, roles, resolution, handoff, tasks
//! and their cancelling, decisions, exit criteria, follow-ups and the roll are refused with exit
//! 2, naming the leader (user, host, since) and saying nothing was recorded; the log is
//! unchanged. The leader's own user may record them from the CLI, and once the lead is let go
//! anyone may again. The leader here is this test process holding `Store::lead`.

use crate::common;
use crate::support::cli::{Setup, setup, stderr};
use crate::support::stores::{CliStore, cli_stores};
use warroom::journal::{FileStore, Store};

fn as_user(s: &Setup, user: &str, args: &[&str]) -> std::process::Output {
    s.command()
        .env("WARROOM_USER", user)
        .args(args)
        .output()
        .unwrap()
}

fn store_of(s: &Setup, store: &CliStore) -> Box<dyn Store> {
    match store.pg() {
        Some(pg) => Box::new(pg),
        None => Box::new(FileStore::new(&s.data)),
    }
}

#[test]
fn the_cli_refuses_leader_only_events_from_whoever_does_not_lead_on_both_stores() {
    for store in cli_stores("lead_refusal") {
        let what = store.name;
        let s = setup("", &store.env());
        let id = s.id.clone();
        let kept = store_of(&s, &store);
        let (_journal, lead) = kept
            .lead(&id, "dana", chrono::Utc::now())
            .unwrap_or_else(|e| panic!("{what}: lead: {e}"));

        // The leader, from her own CLI, records what only the leader may.
        for args in [
            vec!["task", &id, "bob", "check the primary DB"],
            vec!["task", &id, "carol", "look at the CDN"],
            vec!["decide", &id, "roll back pricing to v41"],
        ] {
            let out = as_user(&s, "dana", &args);
            assert!(
                out.status.success(),
                "{what}: dana {args:?}: {}",
                stderr(&out)
            );
        }
        let before = s.events().len();

        let refused: Vec<Vec<&str>> = vec![
            vec!["severity", &id, "sev2"],
            vec!["status", &id, "identified"],
            vec!["assign", &id, "scribe", "bob"],
            vec!["resolve", &id, "--summary", "rolled back"],
            vec!["handoff", &id, "bob"],
            vec!["task", &id, "bob", "restart the cache"],
            vec!["done", &id, "T2", "--cancel"],
            vec!["decide", &id, "--close", "decided"],
            vec!["decide", &id, "fail over to eu-west"],
            vec!["exit", &id, "error rate back to normal"],
            vec!["followup", &id, "alert on 5xx", "--type", "prevent"],
            vec!["roll", &id, "--add", "erin"],
            vec![
                "team",
                &id,
                "--lead",
                "bob",
                "--goal",
                "find the slow query",
            ],
            vec!["note", &id, "--kind", "decision", "we roll back"],
        ];
        for args in &refused {
            let out = as_user(&s, "bob", args);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what}: bob {args:?} must be refused: {err}"
            );
            assert!(
                err.contains("led by dana")
                    && err.contains(&common::hostname())
                    && err.contains("since")
                    && err.contains("nothing was recorded"),
                "{what}: bob {args:?}: the refusal names the leader: {err}"
            );
            assert_eq!(
                s.events().len(),
                before,
                "{what}: {args:?} recorded something"
            );
        }

        // What is open to all is recorded under bob's own name.
        let open: Vec<Vec<&str>> = vec![
            vec!["note", &id, "db latency up since 09:00"],
            vec!["note", &id, "--kind", "hypothesis", "the pool is too small"],
            vec!["update", &id, "Investigating checkout errors"],
            vec!["checkin", &id, "checking the DB"],
            vec!["done", &id, "T1"],
            vec!["object", &id, "the rollback loses the new prices"],
        ];
        for args in &open {
            let out = as_user(&s, "bob", args);
            assert!(
                out.status.success(),
                "{what}: bob {args:?}: {}",
                stderr(&out)
            );
        }
        assert_eq!(s.events().len(), before + open.len(), "{what}");

        // The leader's own CLI is the leader.
        let out = as_user(&s, "dana", &["severity", &id, "sev2"]);
        assert!(out.status.success(), "{what}: dana: {}", stderr(&out));

        // Nobody leads once the lead is let go: anyone may again.
        drop(lead);
        let out = as_user(&s, "bob", &["status", &id, "identified"]);
        assert!(
            out.status.success(),
            "{what}: after the lead was let go: {}",
            stderr(&out)
        );
        assert_eq!(s.of_type("status_changed").len(), 1, "{what}");
    }
}
