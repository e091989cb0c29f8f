//! A damaged journal as users meet it: a last line cut short costs only that line (with a
//! warning), while damage before the last line stops every command with a message naming the
//! line, and no command rewrites the file.

use crate::common;

use common::{journal_path, log_json, run, snapshot, torn_files, warroom};
use std::path::Path;

/// An incident with ten entries: opened, then notes 2..=10 whose text is "note N all clear".
fn ten_entries(data: &Path) -> String {
    let id = common::open_incident(data, "alice", "Checkout 500s", "sev2");
    for n in 2..=10 {
        let ran = run({
            let mut c = warroom(data, "bob");
            c.args(["note", &id, &format!("note {n} all clear")]);
            c
        });
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    }
    id
}

fn cli(data: &Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(data, "carol");
        c.args(args);
        c
    })
}

#[test]
fn a_last_line_cut_mid_line_costs_only_that_line_with_a_warning() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = ten_entries(data);
    let path = journal_path(data, &id);
    let whole = std::fs::read(&path).unwrap();
    // Cut line 10 in the middle.
    let start_of_last = whole[..whole.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let cut = start_of_last + (whole.len() - start_of_last) / 2;
    std::fs::write(&path, &whole[..cut]).unwrap();
    let before = snapshot(data);

    // `log` shows every earlier event and warns about line 10.
    let log = cli(data, &["log", &id]);
    assert_eq!(log.code, Some(0), "{}", log.stderr);
    let lines: Vec<&str> = log.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{}", log.stdout);
    assert!(lines[0].contains("opened SEV2 \"Checkout 500s\""));
    for n in 2..=9 {
        assert!(
            lines[n - 1].contains(&format!("note {n} all clear")),
            "{}",
            lines[n - 1]
        );
    }
    let warnings: Vec<&str> = log.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", log.stderr);
    assert!(
        warnings[0].starts_with("warroom: warning:") && warnings[0].contains("line 10"),
        "{}",
        warnings[0]
    );

    // `log --json`, `verify` and `list` agree: nine entries, one warning, exit 0.
    assert_eq!(log_json(data, &id).len(), 9);
    let verify = cli(data, &["verify", &id]);
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    assert!(verify.stdout.contains("9 events"), "{}", verify.stdout);
    assert!(verify.stderr.contains("line 10"), "{}", verify.stderr);
    let list = cli(data, &["list", "--json"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["notes"], 8);
    assert_eq!(listed[0]["last_seq"], 9);
    assert!(list.stderr.contains("line 10"), "{}", list.stderr);

    // Reading changed nothing on disk.
    assert_eq!(
        snapshot(data),
        before,
        "a read-only command changed the data"
    );

    // The next write moves the fragment aside and numbers itself 10.
    let note = cli(data, &["note", &id, "after the crash"]);
    assert_eq!(note.code, Some(0), "{}", note.stderr);
    let torn = torn_files(data, &id);
    assert_eq!(torn.len(), 1);
    assert_eq!(std::fs::read(&torn[0]).unwrap(), &whole[start_of_last..cut]);
    let log = log_json(data, &id);
    common::assert_dense(&log);
    assert_eq!(log.len(), 10);
    assert_eq!(log[9]["event"]["text"], "after the crash");
    assert_eq!(
        std::fs::read(&path).unwrap()[..start_of_last],
        whole[..start_of_last],
        "the intact lines were rewritten"
    );
}

#[test]
fn a_flipped_byte_before_the_last_line_fails_naming_the_line_and_nothing_rewrites_it() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = ten_entries(data);
    let path = journal_path(data, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    // Line 3 is "note 3 all clear": make it "note 3 all clean".
    let line3_start = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    let needle = b"note 3 all clear";
    let at = line3_start
        + bytes[line3_start..]
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
        + needle.len()
        - 1;
    assert_eq!(bytes[at], b'r');
    bytes[at] = b'n';
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot(data);

    // verify: exit 1, naming the file and line 3.
    let verify = cli(data, &["verify", &id]);
    assert_eq!(verify.code, Some(1), "{verify:?}", verify = verify.stderr);
    let message = verify.stderr.trim_end();
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(&format!("{}:3:", path.display())),
        "verify should name line 3 of the journal: {message}"
    );
    assert!(message.contains("damaged"), "{message}");
    assert_eq!(verify.stdout, "");
    assert_eq!(snapshot(data), before, "verify changed the data");

    // Every other command refuses the same way and leaves the file as it is.
    for args in [
        vec!["log", id.as_str()],
        vec!["log", id.as_str(), "--json"],
        vec!["note", id.as_str(), "is it fixed?"],
        vec!["update", id.as_str(), "still down"],
        vec!["severity", id.as_str(), "sev1"],
        vec!["status", id.as_str(), "identified"],
        vec!["assign", id.as_str(), "scribe", "dave"],
        vec!["resolve", id.as_str()],
    ] {
        let ran = cli(data, &args);
        assert_eq!(ran.code, Some(1), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(":3:"), "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "", "{args:?} printed from a damaged journal");
        assert_eq!(snapshot(data), before, "{args:?} changed the data");
    }

    // `list` keeps going (other incidents matter) but names the damage.
    let other = common::open_incident(data, "erin", "Search latency", "sev3");
    let before = common::snapshot_without_kept(data);
    let list = cli(data, &["list", "--json"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    assert!(list.stderr.contains(":3:"), "{}", list.stderr);
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![other.as_str()]);
    // The one thing `list` may write is the summaries it keeps beside an intact journal.
    let after = common::snapshot_without_kept(data);
    assert_eq!(after, before, "list changed the data");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn an_edited_last_line_is_damage_not_a_torn_write_and_is_never_moved_aside() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let id = ten_entries(data);
    let path = journal_path(data, &id);
    let whole = std::fs::read_to_string(&path).unwrap();

    // A crash can cut the last line short; it cannot leave a whole line with other words in
    // it. Someone changed the last note after it was committed.
    let edited = whole.replace("note 10 all clear", "note 10 all CLEAR");
    assert_ne!(edited, whole);
    // And a line committed twice (a copy pasted back in) does not belong in the chain either.
    let last = whole.lines().last().unwrap();
    let doubled = format!("{whole}{last}\n");

    for (damage, line, reason) in [
        (&edited, 10, "does not match its hash"),
        (&doubled, 11, "sequence number 10 where 11 was expected"),
    ] {
        std::fs::write(&path, damage).unwrap();
        let before = snapshot(data);
        let verify = cli(data, &["verify", &id]);
        assert_eq!(verify.code, Some(1), "{}", verify.stderr);
        assert!(
            verify.stderr.contains(&format!(":{line}:")) && verify.stderr.contains(reason),
            "verify should name line {line}: {}",
            verify.stderr
        );
        for args in [
            vec!["log", id.as_str()],
            vec!["note", id.as_str(), "next"],
            vec!["resolve", id.as_str()],
        ] {
            let ran = cli(data, &args);
            assert_eq!(ran.code, Some(1), "{args:?}: {}", ran.stderr);
            assert!(
                ran.stderr.contains(&format!(":{line}:")),
                "{args:?}: {}",
                ran.stderr
            );
        }
        assert_eq!(
            snapshot(data),
            before,
            "a command rewrote the damaged journal"
        );
        assert!(torn_files(data, &id).is_empty());
    }
}

/// The journal's lines, each without its newline.
fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    assert_eq!(
        lines.pop(),
        Some(Vec::new()),
        "the journal ends in a newline"
    );
    lines
}

/// The lines joined back, each ending in a newline.
fn joined(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// `bytes` with the first `from` replaced by `to`.
fn replace_once(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not in the line", String::from_utf8_lossy(from)));
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

/// Writes `damaged` as the journal of `id` and checks that every reader refuses it naming
/// `line` and that nothing changes the data: verify, log, log --json, note, export, the
/// console's open (the leader's and a reader's) and the share stream.
async fn every_reader_refuses(
    data: &Path,
    id: &str,
    token: &str,
    damaged: &[u8],
    line: usize,
    what: &str,
) {
    let what = format!("a journal with {what} at line {line}");
    std::fs::write(journal_path(data, id), damaged).unwrap();
    let before = snapshot(data);
    for args in [
        vec!["verify", id],
        vec!["log", id],
        vec!["log", id, "--json"],
        vec!["note", id, "is it fixed?"],
        vec!["resolve", id],
        vec!["export", id],
    ] {
        let ran = cli(data, &args);
        assert_eq!(ran.code, Some(1), "{args:?} on {what}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!(":{line}: journal damaged")),
            "{args:?} should name line {line} of {what}: {}",
            ran.stderr
        );
        assert_eq!(ran.stdout, "", "{args:?} printed from {what}");
        assert_eq!(snapshot(data), before, "{args:?} changed {what}");
    }
    let store = warroom::journal::FileStore::new(data);
    for opened in [
        store.open(id).map(|_| ()),
        store.lead(id, "dave", chrono::Utc::now()).map(|_| ()),
    ] {
        match opened {
            Err(warroom::journal::JournalError::Damaged { line: l, .. }) => {
                assert_eq!(l, line, "{what}")
            }
            other => panic!("the console opened {what}: {other:?}"),
        }
    }
    let server = crate::share_common::Running::start(&store, "127.0.0.1:0").await;
    let answer = crate::share_common::client()
        .get(server.events_url(id))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = if status.is_success() {
        // A stream that was (wrongly) accepted: what it served first.
        let mut sse = crate::share_common::SseReader::new(answer);
        format!("{:?}", sse.next(std::time::Duration::from_secs(5)).await)
    } else {
        String::new()
    };
    assert!(
        !status.is_success(),
        "the share stream served {what}: {status} {body}"
    );
    server.stop().await;
    assert_eq!(snapshot(data), before, "a reader changed {what}");
    assert!(torn_files(data, id).is_empty(), "{what} was moved aside");
}

/// [`ten_entries`], shared: its ID, its share token and its journal's bytes.
fn shared_ten_entries(data: &Path) -> (String, String, Vec<u8>) {
    let id = ten_entries(data);
    let token = warroom::share::tokens::issue(
        &data.join("incidents").join(&id),
        "alice",
        chrono::Utc::now(),
    )
    .unwrap();
    let whole = std::fs::read(journal_path(data, &id)).unwrap();
    (id, token, whole)
}

#[tokio::test]
async fn every_damaged_line_that_ends_in_a_newline_is_refused_never_moved_aside() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let (id, token, whole) = shared_ten_entries(data);
    let lines = lines_of(&whole);

    // A line that ends in a newline was written whole (the newline is the last byte of one
    // write), so whatever is wrong with it happened afterwards: at the last line as anywhere.
    type Damage = fn(&[u8]) -> Vec<u8>;
    let damages: [(&str, Damage); 4] = [
        ("its closing brace cut", |l| l[..l.len() - 1].to_vec()),
        ("a byte that is not UTF-8", |l| {
            replace_once(l, b"all clear", b"all cle\xffr")
        }),
        ("a blank line instead", |_| Vec::new()),
        ("garbage after it", |l| [l, b" garbage"].concat()),
    ];
    for line in [10, 4] {
        for (what, damage) in &damages {
            let mut damaged = lines.clone();
            damaged[line - 1] = damage(&lines[line - 1]);
            every_reader_refuses(data, &id, &token, &joined(&damaged), line, what).await;
        }
    }
    // Whole lines added after the last entry: a blank one, a garbage one.
    for (what, extra) in [("a blank line", &b""[..]), ("a garbage line", b"garbage")] {
        let mut damaged = lines.clone();
        damaged.push(extra.to_vec());
        every_reader_refuses(data, &id, &token, &joined(&damaged), 11, what).await;
    }
}

#[tokio::test]
async fn every_byte_of_a_line_is_proved_not_only_its_event() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();
    let (id, token, whole) = shared_ten_entries(data);
    let path = journal_path(data, &id);
    let lines = lines_of(&whole);

    // Edits that leave seq, at, by, event, prev and hash reading the same, so the hash still
    // matches: the line is still not what warroom wrote.
    type Edit = fn(&[u8]) -> Vec<u8>;
    let edits: [(&str, Edit); 6] = [
        ("a field added", |l| {
            [br#"{"evil":"<script>alert(1)</script>","#, &l[1..]].concat()
        }),
        ("keys reordered", |l| {
            let text = std::str::from_utf8(l).unwrap();
            let at_start = text.find(",\"at\":").unwrap();
            let at_end = at_start + text[at_start + 1..].find(",\"by\"").unwrap() + 1;
            format!("{{{},{}", &text[at_start + 1..at_end], &text[1..at_start])
                .into_bytes()
                .into_iter()
                .chain(text[at_end..].bytes())
                .collect()
        }),
        ("a space after a colon", |l| {
            replace_once(l, b"\"seq\":", b"\"seq\": ")
        }),
        ("a space before the closing brace", |l| {
            [&l[..l.len() - 1], b" }"].concat()
        }),
        ("the author re-encoded", |l| {
            replace_once(l, b"\"by\":\"bob\"", br#""by":"\u0062ob""#)
        }),
        ("a carriage return before the newline", |l| {
            [l, b"\r"].concat()
        }),
    ];
    for line in [10, 4] {
        let prev: serde_json::Value = serde_json::from_slice(&lines[line - 2]).unwrap();
        let prev = prev["hash"].as_str().unwrap();
        for (what, edit) in &edits {
            let edited = edit(&lines[line - 1]);
            // Still the same fields, as JSON reads them.
            let parsed: serde_json::Value = serde_json::from_slice(&edited)
                .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(&edited)));
            let original: serde_json::Value = serde_json::from_slice(&lines[line - 1]).unwrap();
            for field in ["seq", "at", "by", "event", "prev", "hash"] {
                assert_eq!(parsed[field], original[field], "{what}");
            }
            // A follower checks a line it receives with the same rule.
            let text = String::from_utf8(edited.clone()).unwrap();
            assert!(
                warroom::journal::read_line(&text, prev, line as u64).is_err(),
                "a follower accepted line {line} with {what}: {text}"
            );
            let mut damaged = lines.clone();
            damaged[line - 1] = edited;
            every_reader_refuses(data, &id, &token, &joined(&damaged), line, what).await;
        }
    }
    // The whole file converted to CRLF: line 1 is the first one that is not as written.
    let crlf: Vec<u8> = whole
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    every_reader_refuses(data, &id, &token, &crlf, 1, "CRLF line ends").await;

    // The untouched journal still verifies, and every line still reads for a follower.
    std::fs::write(&path, &whole).unwrap();
    let verify = cli(data, &["verify", &id]);
    assert_eq!(verify.code, Some(0), "{}", verify.stderr);
    let mut prev = warroom::journal::GENESIS.to_string();
    for (i, l) in lines.iter().enumerate() {
        let record =
            warroom::journal::read_line(std::str::from_utf8(l).unwrap(), &prev, i as u64 + 1)
                .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        prev = record.hash().to_string();
    }
}
