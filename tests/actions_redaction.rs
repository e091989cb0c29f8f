//! A secret an action takes from warroom's environment (`${VAR}`) and prints — on standard
//! output, on standard error, inside a URL — is `[redacted]` everywhere it could surface: the
//! stream `warroom run` prints, the journal file, `warroom log --json` (the export of the
//! log), and the console's screen (outage log, Actions pane, live output), rendered with
//! `TestBackend`.

use crate::common;

use common::{journal_path, log_json, open_incident, run, warroom};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::actions::{Cancel, execute};
use warroom::console::action::{Action, Lead};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::theme::Theme;
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::journal::Journal;

const SECRET: &str = "tok-9f8e7d6c5b4a3921";

const RUNBOOK: &str = r#"
[[action]]
name = "flag-off"
description = "Turn checkout-v2 off with the flag service token"
kind = "exec"
argv = ["sh", "-c", 'echo "using token $FLAG_TOKEN"; echo "auth failed for $FLAG_TOKEN" >&2; echo "GET https://ops:$FLAG_TOKEN@flags.internal/api"']
[action.env]
FLAG_TOKEN = "${WARROOM_TEST_FLAG_TOKEN}"
"#;

fn screen(state: &mut State, w: u16, h: u16) -> String {
    let now = chrono::Utc::now();
    update(
        state,
        Action::Resize {
            width: w,
            height: h,
        },
        now,
    );
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::built_in("default").unwrap();
    t.draw(|f| render(state, &theme, now, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn a_secret_printed_by_an_action_never_reaches_the_journal_the_screen_or_the_log_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("runbook.toml"), RUNBOOK).unwrap();
    let id = open_incident(&data, "alice", "Checkout 500s", "sev1");

    // 1. The CLI's stream.
    let ran = run({
        let mut c = warroom(&data, "alice");
        c.env("WARROOM_CONFIG", conf.join("config.toml"))
            .env("WARROOM_TEST_FLAG_TOKEN", SECRET)
            .args(["run", &id, "flag-off", "--yes"]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout.contains("using token [redacted]"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("auth failed for [redacted]"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));

    // 2. The journal, byte for byte, and its export.
    let raw = std::fs::read_to_string(journal_path(&data, &id)).unwrap();
    assert!(!raw.contains(SECRET), "the journal holds the secret");
    let log = log_json(&data, &id);
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(SECRET), "log --json holds the secret");
    let tail = log
        .iter()
        .find(|l| l["event"]["type"] == "action_finished")
        .map(|l| l["event"]["output_tail"].as_str().unwrap().to_string())
        .unwrap();
    // Two pipes: lines of stdout and stderr written at the same instant may arrive in either
    // order (each stream keeps its own order).
    let mut lines: Vec<&str> = tail.lines().take(3).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "err| auth failed for [redacted]",
            "out| GET https://ops:[redacted]@flags.internal/api",
            "out| using token [redacted]",
        ]
    );

    // 3. The console: the incident as the journal holds it, and the same action run live,
    //    its output streamed into the state as the app loop would.
    let store = warroom::journal::FileStore::new(&data);
    let journal = store.open(&id).unwrap();
    let entries: Vec<_> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let runbook =
        warroom::actions::parse_runbook(std::path::Path::new("runbook.toml"), RUNBOOK).unwrap();
    let mut state = State::new("alice".into(), Keymap::default(), vec![]);
    state.actions.runbook = runbook.clone();
    let now = chrono::Utc::now();
    update(&mut state, Action::Incidents(vec![]), now);
    update(
        &mut state,
        Action::Opened {
            id: id.clone(),
            entries,
            lead: Lead::Leading,
            draft: None,
        },
        now,
    );
    update(
        &mut state,
        Action::RunCommitted {
            id: id.clone(),
            local: 0,
            run_id: "R1".into(),
            entries: vec![],
        },
        now,
    );
    let prepared = runbook.actions[0]
        .prepare(&Default::default(), &|v| {
            (v == "WARROOM_TEST_FLAG_TOKEN").then(|| SECRET.to_string())
        })
        .unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let result = execute(&prepared, Some(&client), tx, Cancel::never()).await;
    while let Ok(line) = rx.try_recv() {
        update(
            &mut state,
            Action::RunOutput {
                run_id: "R1".into(),
                line,
            },
            now,
        );
    }
    update(
        &mut state,
        Action::RunEnded {
            run_id: "R1".into(),
            outcome: result.outcome,
            verifying: false,
        },
        now,
    );
    // The live output modal opened when the run was committed.
    let with_output = screen(&mut state, 120, 40);
    assert!(
        with_output.contains("using token [redacted]"),
        "the output is on screen:\n{with_output}"
    );
    assert!(with_output.contains("auth failed for [redacted]"));
    assert!(!with_output.contains(SECRET), "{with_output}");
    // Without the modal: the outage log and the Actions pane.
    state.modal = None;
    let incident = screen(&mut state, 200, 60);
    assert!(incident.contains("R1 flag-off succeeded"), "{incident}");
    assert!(!incident.contains(SECRET), "{incident}");
}

/// A secret that is neither `x` nor part of `[redacted]`: any four characters of it in a row
/// in the output are a leak.
const LONG_SECRET: &str = "Q7Z9K2W8M4P6V1N3";

/// Writes a line of `{offset}` bytes of `x` then the secret, on stdout and on stderr, each as
/// two writes cut at byte `{split}` with a pause between them: the reader has passed the first
/// write on (longer than a line piece) before the second one comes.
const LONG_RUNBOOK: &str = r#"
[[action]]
name = "long-line"
kind = "exec"
argv = ["sh", "-c", '''
line="$(head -c "$1" /dev/zero | tr '\0' x)$TOKEN"
printf %s "$line" | head -c "$2"
printf %s "$line" | head -c "$2" >&2
sleep 0.2
printf '%s\n' "$line" | tail -c "+$(($2 + 1))"
printf '%s\n' "$line" | tail -c "+$(($2 + 1))" >&2
''', "sh", "{offset}", "{split}"]
[action.env]
TOKEN = "${WARROOM_TEST_LONG_TOKEN}"
[[action.param]]
name = "offset"
pattern = "^[0-9]+$"
[[action.param]]
name = "split"
pattern = "^[0-9]+$"
"#;

/// Every run of four characters of `LONG_SECRET` found in `text`.
fn secret_pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = LONG_SECRET.chars().collect();
    chars
        .windows(4)
        .map(|w| w.iter().collect::<String>())
        .filter(|p| text.contains(p.as_str()))
        .collect()
}

/// A line the action wrote (not the command shown before it runs, nor warroom's own words).
fn is_program_line(l: &str) -> bool {
    !l.is_empty()
        && l.chars()
            .all(|c| c == 'x' || "[redacted]".contains(c) || LONG_SECRET.contains(c))
}

/// The `x`s and redaction marks of a stream: nothing lost, the secret replaced once.
fn assert_whole(what: &str, text: &str, offset: usize) {
    assert!(
        secret_pieces(text).is_empty(),
        "{what} at offset {offset} shows pieces of the secret {:?}",
        secret_pieces(text)
    );
    assert_eq!(
        text.matches("[redacted]").count(),
        1,
        "{what} at offset {offset}: the secret is replaced exactly once"
    );
    assert_eq!(
        text.matches('x').count(),
        offset,
        "{what} at offset {offset}: every byte before the secret is kept"
    );
}

/// Output lines longer than a piece (8 KiB) are passed on in pieces; a secret that straddles
/// the place where a piece is cut, at every offset around it, on both streams, is still
/// replaced whole: in `warroom run`'s output, in the journal and in what the console gets.
#[tokio::test]
async fn a_secret_cut_across_line_pieces_is_redacted_at_every_offset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("runbook.toml"), LONG_RUNBOOK).unwrap();
    let id = open_incident(&data, "alice", "Long lines", "sev2");
    let runbook =
        warroom::actions::parse_runbook(std::path::Path::new("runbook.toml"), LONG_RUNBOOK)
            .unwrap();
    let client = warroom::backends::http_client().unwrap();
    let split = 8400;
    let len = LONG_SECRET.len();
    for offset in split - len..=split + len {
        let params = [
            ("offset".to_string(), offset.to_string()),
            ("split".to_string(), split.to_string()),
        ];

        // `warroom run`: standard output and standard error.
        let ran = run({
            let mut c = warroom(&data, "alice");
            c.env("WARROOM_CONFIG", conf.join("config.toml"))
                .env("WARROOM_TEST_LONG_TOKEN", LONG_SECRET)
                .args(["run", &id, "long-line", "--yes"])
                .args(["--param", &format!("offset={offset}")])
                .args(["--param", &format!("split={split}")]);
            c
        });
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        assert!(secret_pieces(&ran.stdout).is_empty(), "{}", ran.stdout);
        assert!(secret_pieces(&ran.stderr).is_empty(), "{}", ran.stderr);
        // Standard output starts with what is about to run (its secret redacted too).
        let program_out: String = ran
            .stdout
            .lines()
            .filter(|l| is_program_line(l))
            .collect::<Vec<_>>()
            .join("\n");
        assert_whole("warroom run's stdout", &program_out, offset);
        let program_err: String = ran
            .stderr
            .lines()
            .filter(|l| is_program_line(l))
            .collect::<Vec<_>>()
            .join("\n");
        assert_whole("warroom run's stderr", &program_err, offset);

        // The journal's output tail of this run, and the file itself.
        let log = log_json(&data, &id);
        let tail = log
            .iter()
            .rev()
            .find(|l| l["event"]["type"] == "action_finished")
            .and_then(|l| l["event"]["output_tail"].as_str())
            .unwrap()
            .to_string();
        assert!(
            secret_pieces(&tail).is_empty(),
            "the journal at offset {offset}: {:?}",
            secret_pieces(&tail)
        );
        assert!(tail.contains("[redacted]"), "{tail}");
        let raw = std::fs::read_to_string(journal_path(&data, &id)).unwrap();
        assert!(secret_pieces(&raw).is_empty(), "journal file at {offset}");

        // The console's live output: the lines the executor hands it.
        let prepared = runbook.actions[0]
            .prepare(&params.iter().cloned().collect(), &|v| {
                (v == "WARROOM_TEST_LONG_TOKEN").then(|| LONG_SECRET.to_string())
            })
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        execute(&prepared, Some(&client), tx, Cancel::never()).await;
        let mut out = String::new();
        let mut err = String::new();
        while let Ok(line) = rx.try_recv() {
            match line.stream {
                warroom::actions::Stream::Stdout => out.push_str(&line.text),
                warroom::actions::Stream::Stderr => err.push_str(&line.text),
                warroom::actions::Stream::Warroom => {}
            }
        }
        assert_whole("the console's stdout lines", &out, offset);
        assert_whole("the console's stderr lines", &err, offset);
    }
}
