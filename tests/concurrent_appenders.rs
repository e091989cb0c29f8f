//! Responders record from their own shells while a console leads: many real `warroom note`
//! processes and the leader's own appends interleave without losing, duplicating or
//! reordering anything, and the leader sees every one of them. On both stores
//! (`support::stores::cli_stores`: the data directory, and PostgreSQL started once for this
//! file, where the leader holds the lease).

use crate::common;
use crate::support::stores::{CliStore, cli_stores};

use common::{assert_dense, run};
use std::path::Path;
use std::sync::mpsc;
use warroom::domain::{Event, NoteKind};
use warroom::journal::{FileStore, Journal, Store};

const WRITERS: usize = 4;
const NOTES_EACH: usize = 20;
/// The leader adds one note of its own after every this many responder notes.
const LEADER_EVERY: usize = 4;

#[test]
fn responders_and_the_leader_append_concurrently_and_everything_lands_once_in_order() {
    for store in cli_stores("concurrent_appenders") {
        appenders_land_once_in_order(&store);
    }
}

/// `warroom log ID --json` on `store`, each line parsed.
fn log_json(store: &CliStore, data: &Path, id: &str) -> Vec<serde_json::Value> {
    let ran = run({
        let mut c = store.warroom(data, "reader");
        c.args(["log", id, "--json"]);
        c
    });
    assert_eq!(ran.code, Some(0), "log --json failed: {}", ran.stderr);
    ran.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn appenders_land_once_in_order(cli: &CliStore) {
    let what = cli.name;
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_path_buf();
    let id = cli.open_incident(&data, "alice", "Checkout 500s", "sev1");
    let store: Box<dyn Store> = match cli.pg() {
        Some(pg) => Box::new(pg),
        None => Box::new(FileStore::new(&data)),
    };
    let (mut leader, _lock) = store.lead(&id, "alice", chrono::Utc::now()).unwrap();

    // Each writer runs its notes one after another; the writers run at the same time.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut leader_records = Vec::new();
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let (id, data) = (&id, &data);
            let done = done_tx.clone();
            scope.spawn(move || {
                for n in 0..NOTES_EACH {
                    let out = cli
                        .warroom_std(data, &format!("w{w}"))
                        .args(["note", id, &format!("w{w}-n{n}")])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{what}: w{w}-n{n} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    assert!(out.stderr.is_empty(), "{what}: w{w}-n{n} warned");
                    let _ = done.send(());
                }
            });
        }
        drop(done_tx);

        // Meanwhile the leader appends its own notes, paced by the responders' progress.
        for (k, ()) in done_rx.iter().enumerate() {
            if (k + 1) % LEADER_EVERY == 0 {
                let n = leader_records.len();
                let record = leader
                    .append(
                        "alice",
                        chrono::Utc::now(),
                        Event::Note {
                            kind: NoteKind::Decision,
                            text: format!("lead-n{n}"),
                        },
                    )
                    .unwrap();
                leader_records.push(record);
            }
        }
    });
    let leader_notes = WRITERS * NOTES_EACH / LEADER_EVERY;
    assert_eq!(leader_records.len(), leader_notes);
    let total = 1 + leader_notes + WRITERS * NOTES_EACH;

    // The journal: exactly every event once, densely numbered, chain intact.
    let log = log_json(cli, &data, &id);
    assert_eq!(log.len(), total, "{what}");
    assert_dense(&log);
    let verify = run({
        let mut c = cli.warroom(&data, "reader");
        c.args(["verify", &id]);
        c
    });
    assert_eq!(verify.code, Some(0), "{what}: {}", verify.stderr);
    assert_eq!(verify.stderr, "");

    // Each writer's notes appear in the order it wrote them, under its own name.
    for w in 0..WRITERS {
        let mine: Vec<&str> = log
            .iter()
            .filter(|l| l["by"] == format!("w{w}"))
            .map(|l| l["event"]["text"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (0..NOTES_EACH).map(|n| format!("w{w}-n{n}")).collect();
        assert_eq!(
            mine, expected,
            "{what}: writer w{w}'s notes are missing or out of order"
        );
    }

    // The leader's appends got the numbers they really have in the file.
    for (n, record) in leader_records.iter().enumerate() {
        let line = &log[record.entry.seq as usize - 1];
        assert_eq!(line["by"], "alice");
        assert_eq!(line["event"]["text"], format!("lead-n{n}"));
        assert_eq!(line["hash"], record.hash());
    }
    assert!(
        leader_records
            .windows(2)
            .all(|p| p[0].entry.seq < p[1].entry.seq),
        "the leader's own notes are out of order"
    );
    // The leader's seqs were interleaved with the responders', not bunched at the end.
    assert!(
        leader_records[0].entry.seq < (total - leader_notes) as u64,
        "{what}: the leader's notes did not interleave with the responders'"
    );

    // After a refresh the leader has seen everything, exactly as the store keeps it.
    leader.refresh().unwrap();
    assert_eq!(leader.records().len(), total);
    let incident = leader.incident().unwrap();
    assert_eq!(incident.notes as usize, total - 1);
    assert_eq!(incident.last_seq, total as u64);
    let kept = String::from_utf8(cli.journal_bytes(&data, &id)).unwrap();
    let lines: Vec<String> = leader.records().iter().map(|r| r.to_line()).collect();
    assert_eq!(lines, kept.lines().collect::<Vec<_>>(), "{what}");
    assert!(leader.take_warnings().is_empty());
}
