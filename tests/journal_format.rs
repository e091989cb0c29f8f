//! Journal formats: a journal written before format 2 (`tests/fixtures/journal-v1`, committed
//! before the format changed) opens, verifies, appends and exports as it did; `warroom upgrade`
//! moves it to format 2 keeping the old file beside it, both verifying; a journal claiming a
//! newer format is refused (exit 2) naming both formats; new incidents are written in format 2.

use crate::support::cli::{setup, stderr, warroom};
use crate::support::postgres;
use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use warroom::domain::{Event, ExportFormat, FollowUpKind};
use warroom::journal::{FORMAT, FileStore, Journal, JournalError};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1")
}

/// A copy of the fixture's data directory, to change.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let journal_dir = data.join("incidents/INC-1");
    std::fs::create_dir_all(&journal_dir).unwrap();
    std::fs::copy(
        fixture().join("data/incidents/INC-1/journal.jsonl"),
        journal_dir.join("journal.jsonl"),
    )
    .unwrap();
    (dir, data)
}

fn cli(data: &Path) -> assert_cmd::Command {
    warroom(data, &data.join("no-config.toml"), &[])
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The export the fixture was committed with, rendered at the time it was.
fn export_of(journal: &dyn Journal, format: ExportFormat) -> String {
    let now =
        Utc.with_ymd_and_hms(2026, 3, 14, 10, 1, 40).unwrap() + chrono::Duration::milliseconds(700);
    let incident = journal.incident().unwrap();
    warroom::postmortem::render(format, journal.records(), incident, now).0
}

/// The drafts rendered from `store`'s INC-1 are the fixture's, byte for byte.
fn same_export(store: &FileStore) {
    same_export_of(&store.open("INC-1").unwrap());
}

fn same_export_of(journal: &dyn Journal) {
    for (format, file) in [
        (ExportFormat::Markdown, "export.md"),
        (ExportFormat::Json, "export.json"),
    ] {
        let (got, want) = (export_of(journal, format), read(fixture().join(file)));
        let differs = got.lines().zip(want.lines()).position(|(a, b)| a != b);
        assert!(
            got == want,
            "{file} differs (first at line {differs:?}; {} vs {} lines)",
            got.lines().count(),
            want.lines().count()
        );
    }
}

#[test]
fn a_format_1_journal_opens_verifies_and_exports_unchanged() {
    let (_dir, data) = copy();
    let before = std::fs::read(data.join("incidents/INC-1/journal.jsonl")).unwrap();
    let out = cli(&data).args(["verify", "INC-1"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        read(fixture().join("verify.out"))
    );
    let store = FileStore::new(&data);
    assert_eq!(store.open("INC-1").unwrap().records().len(), 16);
    same_export(&store);
    // Reading changed nothing; appending adds a format-1 line after the others.
    let path = data.join("incidents/INC-1/journal.jsonl");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let mut journal = store.open("INC-1").unwrap();
    let followup = Event::FollowUp {
        text: "alert on pricing errors".into(),
        kind: FollowUpKind::Mitigate,
        owner: None,
    };
    journal.append("dave", Utc::now(), followup).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    let last = String::from_utf8_lossy(&after[before.len()..]).into_owned();
    assert!(last.starts_with("{\"seq\":17,"), "{last}");
    assert!(store.verify("INC-1").is_ok());
}

#[test]
fn upgrade_moves_a_format_1_journal_to_format_2_keeping_the_old_one() {
    let (_dir, data) = copy();
    let incident = data.join("incidents/INC-1");
    let original = std::fs::read(incident.join("journal.jsonl")).unwrap();
    let out = cli(&data).args(["upgrade", "INC-1"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("from journal format 1 to 2"), "{said}");
    assert!(said.contains("journal.jsonl.v1"), "{said}");
    // The old file, byte for byte, beside the new one.
    assert_eq!(
        std::fs::read(incident.join("journal.jsonl.v1")).unwrap(),
        original
    );
    let new = read(incident.join("journal.jsonl"));
    assert_eq!(new.lines().count(), 16);
    assert!(new.lines().all(|l| l.starts_with("{\"v\":2,")), "{new}");
    let out = cli(&data).args(["verify", "INC-1"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("16 events, hash chain intact") && said.contains("format 2"),
        "{said}"
    );
    // The same incident: the same draft.
    let store = FileStore::new(&data);
    same_export(&store);
    // Now an entry can be redacted; the leader is dave (the last handoff).
    let out = cli(&data)
        .args([
            "--as",
            "dave",
            "redact",
            "INC-1",
            "4",
            "--reason",
            "customer data",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("journal.jsonl.v1 still holds"),
        "{}",
        stderr(&out)
    );
    // A second upgrade has nothing to do.
    let out = cli(&data).args(["upgrade", "INC-1"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("format 2 already"));
}

#[test]
fn a_format_1_journal_cannot_redact_before_its_upgrade() {
    let (_dir, data) = copy();
    let path = data.join("incidents/INC-1/journal.jsonl");
    let before = std::fs::read(&path).unwrap();
    let out = cli(&data)
        .args([
            "--as",
            "dave",
            "redact",
            "INC-1",
            "4",
            "--reason",
            "customer data",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("warroom upgrade"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_journal_of_a_newer_format_is_refused_naming_both_formats() {
    let s = setup("", &[]);
    let path = s.data.join("incidents").join(&s.id).join("journal.jsonl");
    let text = read(path.clone());
    assert!(text.starts_with(&format!("{{\"v\":{FORMAT},")), "{text}");
    // As a later version might write it: another version, fields this one does not know.
    let newer = format!(
        "{{\"v\":{},\"seq\":1,\"entry\":{{\"sealed\":\"…\"}},\"hash\":\"ab\"}}\n",
        FORMAT + 1
    );
    std::fs::write(&path, &newer).unwrap();
    for verb in [
        &["verify", &s.id][..],
        &["log", &s.id],
        &["note", &s.id, "x"],
    ] {
        let out = s.run(verb);
        assert_eq!(out.status.code(), Some(2), "{verb:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("journal format {}", FORMAT + 1))
                && err.contains(&format!("format {FORMAT} at most")),
            "{verb:?}: {err}"
        );
    }
    assert_eq!(read(path), newer, "the newer journal was changed");
    let store = FileStore::new(&s.data);
    assert!(matches!(
        store.open(&s.id),
        Err(JournalError::NewerFormat { found, supported, .. }) if found == FORMAT + 1 && supported == FORMAT
    ));
}

/// The fixture pushed into PostgreSQL keeps format 1 there; `upgrade` moves it to format 2 in
/// one transaction, keeping the old lines in `warroom_upgraded_lines`; it verifies before and
/// after, exports the same draft, and can then redact (which takes the entry's old line too).
#[test]
fn upgrade_in_postgres_moves_a_pushed_format_1_journal_in_one_transaction_keeping_the_old_lines() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let db = "upgrade_pg";
    let url = cluster.database(db);
    let (_dir, data) = copy();
    let original = read(data.join("incidents/INC-1/journal.jsonl"));
    let original: Vec<&str> = original.lines().collect();
    let on_pg = |args: &[&str]| {
        cli(&data)
            .env("WARROOM_STORE_URL", &url)
            .env_remove("PGPASSFILE")
            .args(args)
            .output()
            .unwrap()
    };
    let out = on_pg(&["store", "push", "INC-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = |table: &str| -> Vec<String> {
        let format = if table == "warroom_events" {
            String::new()
        } else {
            " AND format = 1".into()
        };
        cluster
            .admin_on(
                db,
                &format!("SELECT line FROM {table} WHERE incident = 'INC-1'{format} ORDER BY seq"),
            )
            .into_iter()
            .map(|r| r[0].clone().unwrap())
            .collect()
    };
    assert_eq!(lines("warroom_events"), original, "pushed as it was");
    let verified = |events: usize, want: &str| {
        let out = on_pg(&["verify", "INC-1"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            said.contains(&format!("{events} events, hash chain intact")) && said.contains(want),
            "{said}"
        );
    };
    verified(16, "head 8ae006e0dc1d250e");
    // A failure before the end changes nothing: the head's update is refused.
    cluster.admin_on(
        db,
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$; \
         CREATE TRIGGER refuse BEFORE UPDATE ON warroom_incidents \
         FOR EACH ROW EXECUTE FUNCTION refuse()",
    );
    let out = on_pg(&["upgrade", "INC-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        lines("warroom_events"),
        original,
        "half an upgrade was kept"
    );
    assert!(lines("warroom_upgraded_lines").is_empty());
    verified(16, "head 8ae006e0dc1d250e");
    cluster.admin_on(db, "DROP TRIGGER refuse ON warroom_incidents");

    let out = on_pg(&["upgrade", "INC-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("from journal format 1 to 2"), "{said}");
    assert!(said.contains("warroom_upgraded_lines"), "{said}");
    let now = lines("warroom_events");
    assert_eq!(now.len(), 16);
    assert!(now.iter().all(|l| l.starts_with("{\"v\":2,")), "{now:?}");
    assert_eq!(lines("warroom_upgraded_lines"), original, "the old lines");
    verified(16, "journal format 2");
    same_export_of(&crate::support::stores::pg(&url).open("INC-1").unwrap());
    // Now an entry can be redacted, and its old line goes with it.
    let out = on_pg(&[
        "--as",
        "dave",
        "redact",
        "INC-1",
        "4",
        "--reason",
        "customer data",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warroom_upgraded_lines"),
        "{}",
        stderr(&out)
    );
    let kept = lines("warroom_upgraded_lines");
    assert_eq!(kept.len(), 15);
    assert!(!kept.contains(&original[3].to_string()));
    verified(17, "redacted: #4");
    let out = on_pg(&["upgrade", "INC-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("format 2 already"));
}
