//! `warroom export` and `warroom followup` through the real binary: the draft is written where
//! asked, findings go to standard error, and the journal gains exactly one
//! `postmortem_exported` line — every byte before it untouched. The export checks run on both
//! stores (`support::stores::cli_stores`: the data directory, and PostgreSQL started once for
//! this file); those about paths in the data directory on the file journal.

use crate::common;
use crate::support::stores::{self, CliStore, cli_stores};

use common::{Ran, journal_path, run, warroom};
use std::path::Path;

fn cli(data: &Path, user: &str, args: &[&str]) -> Ran {
    cli_on(&stores::files(), data, user, args)
}

fn cli_on(store: &CliStore, data: &Path, user: &str, args: &[&str]) -> Ran {
    run({
        let mut c = store.warroom(data, user);
        c.args(args);
        c
    })
}

fn resolved_incident(data: &Path) -> String {
    resolved_incident_on(&stores::files(), data)
}

/// An incident with a blameful note, a follow-up and a resolution, all through the CLI.
fn resolved_incident_on(store: &CliStore, data: &Path) -> String {
    let cli = |data: &Path, user: &str, args: &[&str]| cli_on(store, data, user, args);
    let id = store.open_incident(data, "alice", "Checkout 500s", "sev1");
    for args in [
        vec!["assign", &id, "commander", "alice"],
        vec!["assign", &id, "sme", "bob"],
        vec![
            "note",
            &id,
            "bob broke the pricing config; the error rate is 31%",
        ],
        vec![
            "update",
            &id,
            "Conditions: checkout failing\nActions: flag off",
        ],
        vec![
            "followup",
            &id,
            "Validate the tax config in CI",
            "--type",
            "prevent",
            "--owner",
            "carol",
        ],
        vec!["resolve", &id, "--summary", "flag turned off"],
    ] {
        let ran = cli(data, "alice", &args);
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
    }
    id
}

/// The journal after an export is the journal before it plus one `postmortem_exported` line.
fn assert_one_line_added(before: &[u8], after: &[u8]) -> serde_json::Value {
    assert!(after.len() > before.len());
    assert_eq!(
        &after[..before.len()],
        before,
        "bytes before the export changed"
    );
    let added = std::str::from_utf8(&after[before.len()..]).unwrap();
    assert_eq!(added.matches('\n').count(), 1, "{added}");
    let line: serde_json::Value = serde_json::from_str(added.trim_end()).unwrap();
    assert_eq!(line["event"]["type"], "postmortem_exported");
    line
}

#[test]
fn exporting_writes_the_draft_and_adds_exactly_one_line_to_the_journal() {
    for store in cli_stores("export_draft") {
        exporting_writes_the_draft_and_adds_exactly_one_line_to_the_journal_on(&store);
    }
}

fn exporting_writes_the_draft_and_adds_exactly_one_line_to_the_journal_on(store: &CliStore) {
    let what = store.name;
    let cli = |data: &Path, user: &str, args: &[&str]| cli_on(store, data, user, args);
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident_on(store, data);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("draft.md");
    let before = store.journal_bytes(data, &id);

    let ran = cli(data, "alice", &["export", &id, "-o", out.to_str().unwrap()]);
    assert_eq!(ran.code, Some(0), "{what}: {}", ran.stderr);
    assert_eq!(ran.stdout, "");
    let draft = std::fs::read_to_string(&out).unwrap();
    assert!(
        draft.starts_with("# INC-1 post-mortem: Checkout 500s\n"),
        "{draft}"
    );
    assert!(draft.contains("| Status | Draft |"));
    assert!(!draft.contains("incident still open"));
    assert!(draft.contains("| prevent | Validate the tax config in CI | carol |"));
    // The blameless finding is printed with its place in the log, and listed in the draft.
    assert!(
        ran.stderr.contains("warroom: review before sharing: #4 ")
            && ran.stderr.contains("\"bob broke\""),
        "{}",
        ran.stderr
    );
    assert!(draft.contains("## Review before sharing"));
    assert!(ran.stderr.contains("post-mortem draft written to"));

    let after = store.journal_bytes(data, &id);
    let line = assert_one_line_added(&before, &after);
    assert_eq!(line["event"]["format"], "markdown");
    assert_eq!(line["event"]["path"], out.to_str().unwrap());
    assert_eq!(line["by"], "alice");

    // JSON to standard output: the same facts; no path recorded.
    let ran = cli(data, "bob", &["export", &id, "--format", "json"]);
    assert_eq!(ran.code, Some(0), "{what}: {}", ran.stderr);
    let v: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(v["id"], "INC-1");
    assert_eq!(v["incident_status"], "resolved");
    assert_eq!(v["follow_ups"][0]["owner"], "carol");
    assert_eq!(v["review"][0]["phrase"], "bob broke");
    let again = store.journal_bytes(data, &id);
    let line = assert_one_line_added(&after, &again);
    assert_eq!(line["event"]["format"], "json");
    assert!(line["event"].get("path").is_none());
    // The chain still checks out.
    assert_eq!(cli(data, "reader", &["verify", &id]).code, Some(0));
}

#[test]
fn an_open_incident_exports_as_a_draft_with_a_banner() {
    for store in cli_stores("export_open") {
        an_open_incident_exports_as_a_draft_with_a_banner_on(&store);
    }
}

fn an_open_incident_exports_as_a_draft_with_a_banner_on(store: &CliStore) {
    let what = store.name;
    let cli = |data: &Path, user: &str, args: &[&str]| cli_on(store, data, user, args);
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = store.open_incident(data, "alice", "Search latency", "sev3");
    let ran = cli(data, "alice", &["export", &id]);
    assert_eq!(ran.code, Some(0), "{what}: {}", ran.stderr);
    assert!(ran.stdout.contains("**DRAFT — incident still open**"));
}

#[test]
fn a_bad_id_is_bad_input_and_writes_nothing() {
    for store in cli_stores("export_bad_id") {
        a_bad_id_is_bad_input_and_writes_nothing_on(&store);
    }
}

fn a_bad_id_is_bad_input_and_writes_nothing_on(store: &CliStore) {
    let what = store.name;
    let cli = |data: &Path, user: &str, args: &[&str]| cli_on(store, data, user, args);
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident_on(store, data);
    let before = store.journal_bytes(data, &id);
    let out = data.join("x.md");
    for bad in ["INC-99", "nonsense"] {
        let ran = cli(data, "alice", &["export", bad, "-o", out.to_str().unwrap()]);
        assert_eq!(ran.code, Some(2), "{what}: {bad}: {}", ran.stderr);
        assert!(ran.stderr.contains(bad), "{what}: {}", ran.stderr);
    }
    assert!(!out.exists());
    let ran = cli(data, "alice", &["export", &id, "--format", "pdf"]);
    assert_eq!(ran.code, Some(2), "{what}");
    assert_eq!(store.journal_bytes(data, &id), before);
}

#[test]
fn an_unwritable_output_fails_naming_the_path_and_records_nothing() {
    for store in cli_stores("export_unwritable") {
        an_unwritable_output_fails_naming_the_path_and_records_nothing_on(&store);
    }
}

fn an_unwritable_output_fails_naming_the_path_and_records_nothing_on(store: &CliStore) {
    let what = store.name;
    let cli = |data: &Path, user: &str, args: &[&str]| cli_on(store, data, user, args);
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident_on(store, data);
    let before = store.journal_bytes(data, &id);
    let elsewhere = tempfile::tempdir().unwrap();
    for out in [
        elsewhere.path().join("no-such-dir").join("draft.md"),
        // A directory is not a file to write.
        elsewhere.path().to_path_buf(),
    ] {
        let ran = cli(data, "alice", &["export", &id, "-o", out.to_str().unwrap()]);
        assert_eq!(ran.code, Some(1), "{what}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&out.display().to_string()),
            "{}",
            ran.stderr
        );
        assert_eq!(ran.stderr.lines().count(), 1, "{what}: {}", ran.stderr);
    }
    assert_eq!(store.journal_bytes(data, &id), before);
}

#[test]
fn follow_ups_need_text_and_a_known_type_and_may_come_after_resolution() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident(data);
    let ran = cli(
        data,
        "dan",
        &[
            "followup",
            &id,
            "Page payments on SEV1",
            "--type",
            "process",
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let log = common::log_json(data, &id);
    let last = &log.last().unwrap()["event"];
    assert_eq!(last["type"], "follow_up");
    assert_eq!(last["kind"], "process");
    assert!(last.get("owner").is_none());

    let before = std::fs::read(journal_path(data, &id)).unwrap();
    for args in [
        vec!["followup", &id, "  ", "--type", "prevent"],
        vec!["followup", &id, "x", "--type", "someday"],
        vec!["followup", &id, "x"],
        vec!["followup", "INC-42", "x", "--type", "prevent"],
        vec!["followup", &id, "x", "--type", "prevent", "--owner", ""],
    ] {
        let ran = cli(data, "dan", &args);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
    }
    assert_eq!(std::fs::read(journal_path(data, &id)).unwrap(), before);
}

#[test]
fn no_output_path_inside_the_data_directory_is_ever_opened_for_writing() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident(data);
    let incident_dir = data.join("incidents").join(&id);
    // A lock and a draft, as a console leaves them.
    std::fs::write(
        incident_dir.join("journal.lock"),
        "alice 4242 host 2026-11-21\n",
    )
    .unwrap();
    std::fs::write(
        incident_dir.join("draft.alice.json"),
        "{\"text\":\"half a note\"}",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("looks-harmless.md");
    std::os::unix::fs::symlink(journal_path(data, &id), &link).unwrap();
    let sneaky = elsewhere
        .path()
        .join("..")
        .join(
            data.strip_prefix(elsewhere.path().parent().unwrap())
                .unwrap_or(data),
        )
        .join("incidents")
        .join(&id)
        .join("journal.jsonl");
    let before = common::snapshot(data);
    for out in [
        journal_path(data, &id),
        incident_dir.join("journal.lock"),
        incident_dir.join("draft.alice.json"),
        incident_dir.join("new-file.md"),
        incident_dir.clone(),
        data.join("incidents"),
        data.to_path_buf(),
        sneaky,
        link.clone(),
    ] {
        let ran = cli(data, "alice", &["export", &id, "-o", out.to_str().unwrap()]);
        assert_eq!(ran.code, Some(2), "-o {}: {}", out.display(), ran.stderr);
        assert!(
            ran.stderr.contains(&out.display().to_string())
                && ran.stderr.contains("data directory"),
            "the refusal should name {}: {}",
            out.display(),
            ran.stderr
        );
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert_eq!(ran.stdout, "");
        assert_eq!(
            common::snapshot(data),
            before,
            "export -o {} changed the data directory",
            out.display()
        );
    }
    // From inside the incident's directory, by a relative name, too.
    let ran = run({
        let mut c = warroom(data, "alice");
        c.current_dir(&incident_dir)
            .args(["export", &id, "-o", "journal.jsonl"]);
        c
    });
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert_eq!(common::snapshot(data), before);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn a_write_that_fails_halfway_leaves_the_existing_file_as_it_was() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = resolved_incident(data);
    let before = std::fs::read(journal_path(data, &id)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("postmortem.md");
    std::fs::write(&target, "the reviewed post-mortem, edited by hand\n").unwrap();
    // Files may grow to 512 bytes (the draft is larger), and the signal that limit raises is
    // ignored, so the write fails with "File too large" halfway through the draft.
    let bin = env!("CARGO_BIN_EXE_warroom");
    let ran = run({
        let mut c = assert_cmd::Command::new("sh");
        c.env("WARROOM_DATA_DIR", data)
            .env_remove("WARROOM_USER")
            .env_remove("WARROOM_CONFIG")
            .args([
                "-c",
                "trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"",
                bin,
                "--as",
                "alice",
                "export",
                &id,
                "-o",
                target.to_str().unwrap(),
            ]);
        c
    });
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&target.display().to_string()),
        "{}",
        ran.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the reviewed post-mortem, edited by hand\n",
        "the failed export overwrote the file"
    );
    let left: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "a partial file was left behind: {left:?}");
    assert_eq!(std::fs::read(journal_path(data, &id)).unwrap(), before);

    // Without the limit the same export replaces the file whole.
    let ran = cli(
        data,
        "alice",
        &["export", &id, "-o", target.to_str().unwrap()],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("# INC-1 post-mortem: Checkout 500s")
    );
}
