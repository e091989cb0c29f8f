//! Fuzz targets: warroom's readers of outside text — journal lines, journal files, config.toml,
//! services.toml, runbook.toml, theme files, durations — fed arbitrary input and mutations of
//! valid input through proptest. Each target checks that nothing panics, and what must hold
//! of the answer (a config error names a line and column; a duration stays in range; a
//! journal line read back is the line given).
//!
//! Shared by the normal suite (`tests/fuzz_smoke.rs`, a few hundred cases per target) and the
//! long runs (`examples/fuzz.rs`, driven by `benches/fuzz.sh`).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// A target: its name, and a run of `cases` cases from `seed`, counting every input tried in
/// `tried` (shrinking included). The error is the smallest failing input and why it failed.
pub struct Target {
    pub name: &'static str,
    pub run: fn(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String>,
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "journal_line",
        run: journal_line,
    },
    Target {
        name: "journal_file",
        run: journal_file,
    },
    Target {
        name: "config_toml",
        run: config_toml,
    },
    Target {
        name: "services_toml",
        run: services_toml,
    },
    Target {
        name: "runbook_toml",
        run: runbook_toml,
    },
    Target {
        name: "theme_toml",
        run: theme_toml,
    },
    Target {
        name: "duration",
        run: duration,
    },
];

fn runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 4096,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn run<S: Strategy>(
    cases: u32,
    seed: u64,
    tried: &AtomicU64,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Result<(), String>
where
    S::Value: std::fmt::Debug,
{
    runner(cases, seed)
        .run(&strategy, |v| {
            tried.fetch_add(1, Ordering::Relaxed);
            check(v)
        })
        .map_err(|e| match e {
            TestError::Fail(why, input) => format!("{why}; smallest input: {input:?}"),
            TestError::Abort(why) => format!("aborted: {why}"),
        })
}

/// Pieces that mean something to the parsers, spliced into valid text.
const TOKENS: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\n",
    "\r\n",
    "#",
    "\\",
    "\"\"\"",
    "'''",
    "nan",
    "inf",
    "-inf",
    "+nan",
    "-0",
    "0",
    "-1",
    "1e400",
    "-1e400",
    "4294967296",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999h",
    "2562047788015h1h",
    "31d",
    "0s",
    "true",
    "null",
    "[]",
    "{}",
    "\u{0}",
    "\u{7f}",
    "\u{1b}[2J",
    "é",
    "\u{2028}",
    "\u{feff}",
    "𝕏",
    "+262143-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "-262143-01-01T00:00:00Z",
    "1970-01-01T00:00:00+23:59",
    "\"type\":\"opened\"",
    "\"minutes\":4294967295",
    "\"task\":0",
    "\"seq\":0",
    "127.0.0.1:74200",
    "[::1]:0",
    "http://",
    "${",
    "{flag}",
    "{{",
    "}}",
    "a\u{0301}",
];

/// Edits to apply to a text: (where, what) pairs over its bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let len = b.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Flip(i, x) if len > 0 => b[i % len] ^= x | 1,
            Edit::Flip(..) => {}
            Edit::Delete(i, n) => {
                let s = at(*i).min(len);
                let end = (s + n).min(len);
                b.drain(s..end);
            }
            Edit::Insert(i, t) => {
                let s = at(*i);
                b.splice(s..s, t.bytes());
            }
            Edit::Duplicate(i, n) => {
                let s = at(*i).min(len);
                let end = (s + n).min(len);
                let piece = b[s..end].to_vec();
                b.splice(end..end, piece);
            }
            Edit::Truncate(i) => b.truncate(at(*i)),
        }
    }
    b
}

/// Valid `texts`, mutated; the bytes (possibly not UTF-8).
fn mutated_bytes(texts: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(texts),
        prop::collection::vec(edit(), 1..8),
    )
        .prop_map(|(t, edits)| apply(t, &edits))
}

/// Arbitrary text, or valid `texts` mutated (read as UTF-8, lossily).
fn text_like(texts: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..256)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        6 => mutated_bytes(texts).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// A config parser's answer: an error must name a line and a column of the text.
fn located<T>(r: Result<T, warroom::config::ConfigError>) -> Result<Option<T>, TestCaseError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.line >= 1 && e.column >= 1 => Ok(None),
        Err(e) => Err(TestCaseError::fail(format!("error names no place: {e}"))),
    }
}

// ---- config files ---------------------------------------------------------------------------

pub const CONFIG_TOML: &[&str] = &[
    r#"theme = "light"

[keys.incident]
"ctrl-n" = "note"
"g x" = "none"

[status_updates]
sev1 = "10m"
sev2 = "15m"
sev3 = "1h"
sev4 = "never"
bell = true

[[webhook]]
kind = "slack"
name = "ops"
url_env = "SLACK_WEBHOOK_URL"
timeout = "5s"
retries = 2

[[alertmanager]]
name = "am-eu"
url = "http://alertmanager.eu:9093"

[prometheus]
url = "http://prometheus:9090"

[grafana]
url = "https://grafana.example"
token_env = "GRAFANA_TOKEN"
org_id = 1

[pagerduty]
token_env = "PD_TOKEN"
from = "ic@example.com"
service_ids = ["PIJ90N7"]

[alerts]
poll_interval = "10s"
timeout = "5s"
group_by = "service"

[share]
listen = "127.0.0.1:7420"
public_url = "https://warroom.example"

[postmortem]
dir = "/tmp/pm"
"#,
    "[keys]\nglobal = { \"?\" = \"help\" }\nlist = { \"ctrl-o\" = \"open\" }\n",
    "[[webhook]]\nkind = \"json\"\nurl = \"https://hooks.example/x\"\n",
];

pub const SERVICES_TOML: &[&str] = &[r#"[[service]]
name = "checkout"
tier = 1
customer_facing = true
team = "payments-eng"
depends_on = ["payments", "cart"]
match = { service = "checkout" }
runbook_url = "https://runbooks/checkout"
[[service.metric]]
name = "error ratio"
promql = 'sum(rate(x[1m]))'
degraded_above = 0.01
down_above = 0.2

[[service]]
name = "payments"
depends_on = ["checkout"]

[[service]]
name = "cart"
tier = 2
"#];

pub const RUNBOOK_TOML: &[&str] = &[r#"[[action]]
name = "flag-off"
description = "Turn a feature flag off"
kind = "exec"
argv = ["flagctl", "set", "{flag}", "off"]
dir = "/srv/ops"
timeout = "30s"
confirm = true
dangerous = false
undo = "flag-on"
verify = { promql = "sum(rate(http_errors_total[1m]))", expect = "< 0.01", within = "5m", every = "15s" }
[action.env]
FLAG_TOKEN = "${FLAG_API_TOKEN}"
[[action.param]]
name = "flag"
pattern = "^[a-z0-9-]+$"

[[action]]
name = "flag-on"
kind = "http"
method = "POST"
url = "https://flags.example/api/{flag}/on"
headers = { Authorization = "${UNLEASH_TOKEN}" }
body = '{"reason": "{flag} back on"}'
expect_status = [200, 202]
[[action.param]]
name = "flag"
choices = ["checkout-v2", "new-pricing"]

[[action]]
name = "restart"
kind = "exec"
argv = ["kubectl", "rollout", "restart", "deploy/{service}"]
[[action.param]]
name = "service"
from = "blast_radius"
default = "checkout"
"#];

pub const THEME_TOML: &[&str] = &[
    include_str!("../../themes/default.toml"),
    include_str!("../../themes/high-contrast.toml"),
    r##"name = "Mine"
extends = "light"
[palette]
sea = "#0077be"
[roles.text]
fg = "sea"
bg = "black"
bold = true
[roles.critical]
fg = "#ff0000"
reversed = true
"##,
];

fn config_toml(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    run(cases, seed, tried, text_like(CONFIG_TOML), |text| {
        let path = Path::new("config.toml");
        if let Some(config) = located(warroom::config::Config::parse(path, &text))? {
            let (_, problems) = warroom::console::keymap::Keymap::with_overrides(&config.keys);
            for p in problems {
                let e = config.key_error(&p.mode, &p.key, p.part, p.to_string());
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
            if config.theme_name().is_some() {
                let dir = Path::new("/nonexistent-warroom-fuzz");
                if let Err(e) = warroom::console::theme::Theme::select(None, &config, dir, false) {
                    prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                }
            }
            let _ = config.alerts.poll_interval();
            let _ = config.alerts.timeout();
            for w in &config.webhooks {
                let _ = w.timeout();
            }
        }
        Ok(())
    })
}

fn services_toml(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    run(cases, seed, tried, text_like(SERVICES_TOML), |text| {
        let path = Path::new("services.toml");
        if let Some(catalog) = located(warroom::config::parse_services(path, &text))? {
            let _ = catalog.cycles();
            let _ = catalog.unknown_dependencies();
            let _ = warroom::domain::blast_radius::<warroom::domain::Alert>(
                &catalog,
                &[],
                &Default::default(),
            );
        }
        Ok(())
    })
}

fn runbook_toml(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    run(cases, seed, tried, text_like(RUNBOOK_TOML), |text| {
        let path = Path::new("runbook.toml");
        located(warroom::actions::parse_runbook(path, &text))?;
        Ok(())
    })
}

fn theme_toml(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    run(cases, seed, tried, text_like(THEME_TOML), |text| {
        let path = Path::new("themes/mine.toml");
        located(warroom::console::theme::Theme::parse("mine", path, &text))?;
        Ok(())
    })
}

// ---- durations ------------------------------------------------------------------------------

fn duration(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    let written = prop::collection::vec(
        (
            prop_oneof![
                "[0-9]{1,3}",
                "[0-9]{1,30}",
                Just("9223372036854775807".to_string())
            ],
            prop::sample::select(&["s", "m", "h", "d", "", "x", " ", "é"][..]),
        ),
        0..5,
    )
    .prop_map(|parts| parts.into_iter().map(|(n, u)| format!("{n}{u}")).collect());
    let strategy = prop_oneof![
        1 => any::<String>(),
        3 => written,
    ];
    run(cases, seed, tried, strategy, |text: String| {
        if let Ok(d) = warroom::domain::parse_duration(&text) {
            prop_assert!(
                d >= chrono::Duration::zero() && d <= warroom::domain::MAX_DURATION,
                "{text:?} read as {d}"
            );
            // Any accepted duration can be added to any clock time a journal may hold.
            let _ = chrono::DateTime::<chrono::Utc>::MAX_UTC.checked_sub_signed(d);
        }
        Ok(())
    })
}

// ---- the journal ----------------------------------------------------------------------------

/// Lines of a real journal written by warroom (every kind of event the CLI records), and the
/// whole file.
pub struct Sample {
    pub lines: Vec<String>,
    /// `prev` of each line: the hash of the line before it.
    pub prevs: Vec<String>,
    pub file: String,
}

pub fn sample() -> &'static Sample {
    static SAMPLE: std::sync::OnceLock<Sample> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        use warroom::domain::{Event, NoteKind, Role, Severity, Status};
        use warroom::journal::{FileStore, Journal};
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut j = store
            .create(
                "alice",
                t0,
                "Checkout 500s",
                Severity::Sev2,
                Some("5xx on checkout"),
            )
            .unwrap();
        let events = vec![
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "db pool exhausted — \"primary\"\nsecond line".into(),
            },
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
            Event::RoleAssigned {
                role: Role::Commander,
                person: "bob".into(),
            },
            Event::StatusUpdate {
                text: "Checkout failing for 30% of users".into(),
            },
            Event::StatusUpdateSnoozed { minutes: 5 },
            Event::TaskAssigned {
                task: 1,
                person: "carol".into(),
                what: "check the primary".into(),
                due_at: t0 + chrono::Duration::minutes(15),
            },
            Event::TaskDone { task: 1 },
            Event::StatusChanged {
                from: Status::Investigating,
                to: Status::Identified,
            },
            Event::Handoff {
                from: Some("bob".into()),
                to: "dave".into(),
                summary: "pricing rolled back".into(),
            },
            Event::Resolved {
                summary: Some("rolled back pricing v2.31".into()),
            },
        ];
        for (n, e) in events.into_iter().enumerate() {
            j.append("alice", t0 + chrono::Duration::minutes(n as i64 + 1), e)
                .unwrap();
        }
        let lines: Vec<String> = j.records().iter().map(|r| r.to_line()).collect();
        let prevs = j.records().iter().map(|r| r.prev().to_string()).collect();
        let file = lines.iter().map(|l| format!("{l}\n")).collect();
        Sample { lines, prevs, file }
    })
}

fn journal_line(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    let s = sample();
    let n = s.lines.len();
    let strategy = (
        0..n,
        prop_oneof![
            1 => any::<String>(),
            6 => (0..n, prop::collection::vec(edit(), 1..8)).prop_map(move |(i, edits)| {
                String::from_utf8_lossy(&apply(&sample().lines[i], &edits)).into_owned()
            }),
        ],
    );
    run(cases, seed, tried, strategy, |(at, line)| {
        // Read as entry `at + 1`, after the line before it in the real journal.
        let prev = &sample().prevs[at];
        if let Ok(r) = warroom::journal::read_line(&line, prev, at as u64 + 1) {
            prop_assert_eq!(r.to_line(), line);
        }
        Ok(())
    })
}

/// Mutated lines given hashes again, so that what they say reaches the event reader and the
/// fold instead of stopping at the hash check.
fn rechain(bytes: &[u8]) -> Vec<u8> {
    #[derive(serde::Deserialize)]
    struct Loose<'a> {
        at: String,
        by: String,
        #[serde(borrow)]
        event: &'a serde_json::value::RawValue,
    }
    let mut out = Vec::new();
    let mut prev = "0".repeat(64);
    let mut seq = 0u64;
    for line in bytes.split(|b| *b == b'\n') {
        let loose = std::str::from_utf8(line)
            .ok()
            .and_then(|t| serde_json::from_str::<Loose>(t).ok());
        match loose {
            Some(l) => {
                seq += 1;
                let hash = warroom::journal::chain_hash(&prev, seq, &l.at, &l.by, l.event.get());
                let rebuilt = format!(
                    "{{\"seq\":{seq},\"at\":{},\"by\":{},\"event\":{},\"prev\":\"{prev}\",\"hash\":\"{hash}\"}}",
                    serde_json::to_string(&l.at).unwrap(),
                    serde_json::to_string(&l.by).unwrap(),
                    l.event.get()
                );
                out.extend_from_slice(rebuilt.as_bytes());
                prev = hash;
            }
            None => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
    out.pop();
    out
}

fn journal_file(cases: u32, seed: u64, tried: &AtomicU64) -> Result<(), String> {
    static FILES: std::sync::OnceLock<[&'static str; 1]> = std::sync::OnceLock::new();
    let files: &'static [&'static str] = FILES.get_or_init(|| [sample().file.as_str()]);
    let strategy = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        2 => mutated_bytes(files),
        5 => mutated_bytes(files).prop_map(|b| rechain(&b)),
    ];
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = warroom::journal::FileStore::new(dir.path());
    let incident = dir.path().join("incidents").join("INC-1");
    std::fs::create_dir_all(&incident).map_err(|e| e.to_string())?;
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    run(cases, seed, tried, strategy, |bytes| {
        use warroom::journal::Journal;
        std::fs::write(incident.join("journal.jsonl"), &bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Torn lines are moved aside by writers only; reading leaves the file alone.
        if let Ok(j) = store.open("INC-1")
            && let Some(i) = j.incident()
        {
            let cadence = warroom::domain::StatusCadence::default();
            let _ = cadence.next_due(i);
            let _ = cadence.overdue(i, now);
            let _ = i.elapsed(now);
            let (text, _) = warroom::postmortem::render(
                warroom::domain::ExportFormat::Markdown,
                j.records(),
                i,
                now,
            );
            prop_assert!(!text.is_empty());
        }
        let _ = store.verify("INC-1");
        Ok(())
    })
}
