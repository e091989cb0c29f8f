//! Text from outside never drives the reader's terminal: an incident whose title, summary,
//! roles, notes, status updates, tasks, follow-ups and alerts carry ESC, OSC (clipboard,
//! window title), CSI (clear screen), CR, BEL, DEL and C1 characters — in a journal written
//! elsewhere, so nothing checked them — and alert labels from an Alertmanager doing the same,
//! through every text verb: no raw control byte reaches standard output or standard error
//! (line feeds and tabs aside), and `--json` carries every value intact, escaped.

use crate::common;

use std::path::Path;
use warroom::domain::{AlertRef, Event, FollowUpKind, NoteKind, Role, Severity};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every kind of control the class covers: OSC 52 (clipboard), OSC 2 (title), CSI 2J, CR,
/// BEL, DEL, and C1 CSI / NEL.
const EVIL: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]2;owned\x07\x1b[2J\r\u{7f}\u{9b}31m\u{85}";

/// A raw control byte a terminal would act on: C0 other than \n and \t, DEL, C1.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect()
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let found = controls(&text);
    assert!(
        found.is_empty(),
        "{what} sends control characters {found:?}:\n{}",
        text.escape_debug()
    );
}

fn alert(name: &str) -> AlertRef {
    AlertRef {
        fingerprint: "f00d".into(),
        name: format!("{name}{EVIL}"),
        labels: [
            ("alertname".to_string(), format!("{name}{EVIL}")),
            ("service".to_string(), format!("checkout{EVIL}")),
        ]
        .into(),
        starts_at: chrono::Utc::now(),
        ends_at: None,
        generator_url: None,
        summary: Some(format!("summary{EVIL}")),
    }
}

/// Writes INC-1's journal line by line with a valid hash chain, as another tool could.
fn hostile_journal(data: &Path) {
    let events = [
        Event::Opened {
            title: format!("Checkout{EVIL}"),
            severity: Severity::Sev1,
            summary: Some(format!("summary{EVIL}")),
        },
        Event::RoleAssigned {
            role: Role::Commander,
            person: format!("mallory{EVIL}"),
        },
        Event::Note {
            kind: NoteKind::Observation,
            text: format!("note{EVIL}\nsecond line{EVIL} human error{EVIL}"),
        },
        Event::StatusUpdate {
            text: format!("update{EVIL}"),
        },
        Event::TaskAssigned {
            task: 1,
            person: format!("bob{EVIL}"),
            what: format!("check the db{EVIL}"),
            due_at: chrono::Utc::now() + chrono::Duration::minutes(5),
        },
        Event::FollowUp {
            text: format!("add a test{EVIL}"),
            kind: FollowUpKind::Prevent,
            owner: Some(format!("carol{EVIL}")),
        },
        Event::AlertsChanged {
            firing: vec![alert("CheckoutErrors")],
            resolved: vec![],
        },
    ];
    let dir = data.join("incidents").join("INC-1");
    std::fs::create_dir_all(&dir).unwrap();
    let mut prev = warroom::journal::GENESIS.to_string();
    let mut text = String::new();
    for (n, event) in events.iter().enumerate() {
        let seq = n as u64 + 1;
        let at = "2026-11-21T09:00:00.000Z";
        let json = event.to_json();
        let hash = warroom::journal::chain_hash(&prev, seq, at, "alice", &json);
        text.push_str(&format!(
            "{{\"seq\":{seq},\"at\":\"{at}\",\"by\":\"alice\",\"event\":{json},\"prev\":\"{prev}\",\"hash\":\"{hash}\"}}\n"
        ));
        prev = hash;
    }
    std::fs::write(dir.join("journal.jsonl"), text).unwrap();
}

/// An Alertmanager whose alert labels and annotations carry the same controls.
async fn alertmanager() -> MockServer {
    let server = MockServer::start().await;
    let body = serde_json::json!([{
        "labels": {"alertname": format!("CheckoutErrors{EVIL}"), "service": format!("checkout{EVIL}"), "team": format!("pay{EVIL}")},
        "annotations": {"summary": format!("5xx{EVIL}")},
        "startsAt": "2026-11-21T09:00:00Z",
        "endsAt": "2026-11-21T10:00:00Z",
        "updatedAt": "2026-11-21T09:00:00Z",
        "fingerprint": "f00d",
        "generatorURL": format!("http://prom/graph{EVIL}"),
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        "receivers": [{"name": "x"}]
    }]);
    // PagerDuty, on the same server: an incident whose title and service carry them too.
    let mut pd = crate::support::pagerduty::incident("PEVIL01", 9, "triggered");
    pd["title"] = serde_json::json!(format!("Checkout down{EVIL}"));
    pd["summary"] = serde_json::json!(format!("[#9] Checkout down{EVIL}"));
    pd["service"]["summary"] = serde_json::json!(format!("Checkout API{EVIL}"));
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"incidents": [pd], "more": false})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn no_text_verb_sends_a_control_character_from_outside_to_the_terminal() {
    let am = alertmanager().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let esc = "\\u001b]2;owned\\u0007\\u009b2J";
    std::fs::write(
        conf.join("config.toml"),
        format!(
            "[[alertmanager]]\nname = \"am{esc}\"\nurl = \"{}\"\n\n[[webhook]]\nkind = \"json\"\nname = \"hook{esc}\"\nurl_env = \"UNSET_HOOK_VAR\"\n\n[pagerduty]\ntoken_env = \"PD_EVIL_TOKEN\"\nfrom = \"ic@example.com\"\nurl = \"{}\"\n",
            am.uri(),
            am.uri()
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("runbook.toml"),
        format!(
            "[[action]]\nname = \"flag-off\"\ndescription = \"turn it off{esc}\"\nkind = \"exec\"\nargv = [\"echo\", \"off{esc}\"]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("services.toml"),
        "[[service]]\nname = \"checkout\"\ntier = 1\ncustomer_facing = true\n",
    )
    .unwrap();
    hostile_journal(&data);
    let config = conf.join("config.toml");
    let verbs: Vec<Vec<String>> = [
        vec!["log", "INC-1"],
        vec!["list"],
        vec!["list", "--all"],
        vec!["verify", "INC-1"],
        vec!["blast", "INC-1"],
        vec!["alerts"],
        vec!["check-config"],
        vec!["actions"],
        vec!["export", "INC-1"],
        vec!["done", "INC-1", "T1"],
        vec!["handoff", "INC-1", "dave"],
        vec!["pagerduty", "list"],
        vec!["run", "INC-1", "flag-off", "--yes"],
        // Error messages that quote what was typed.
        vec!["log", "INC-9\x1b]2;owned\x07"],
        vec!["severity", "INC-1", "sev\x1b[2J9"],
        vec!["run", "INC-1", "flag\x1b]52;c;eA==\x07"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    let mut outputs = Vec::new();
    for args in verbs {
        let out = tokio::task::spawn_blocking({
            let (data, config) = (data.clone(), config.clone());
            move || {
                let mut c = common::warroom_std(&data, "alice");
                c.env("WARROOM_CONFIG", &config)
                    .env("PD_EVIL_TOKEN", "pd-token")
                    .env("TZ", "UTC")
                    .args(&args);
                (args, c.output().unwrap())
            }
        })
        .await
        .unwrap();
        outputs.push(out);
    }
    for (args, out) in &outputs {
        let what = args.join(" ").escape_debug().to_string();
        assert_clean(&format!("warroom {what} (stdout)"), &out.stdout);
        assert_clean(&format!("warroom {what} (stderr)"), &out.stderr);
    }
    let pd_list = String::from_utf8_lossy(&outputs[11].1.stdout).into_owned();
    assert!(
        pd_list.contains("Checkout down·]52;c;"),
        "{pd_list}{}",
        String::from_utf8_lossy(&outputs[11].1.stderr)
    );
    let ran = String::from_utf8_lossy(&outputs[12].1.stdout).into_owned();
    assert!(
        ran.contains("off·]2;owned··2J"),
        "warroom run shows the action's output: {ran}"
    );
    let export = &outputs[8].1;
    assert!(
        String::from_utf8_lossy(&export.stderr).contains("review before sharing"),
        "the blameless check quotes the note on stderr"
    );
    // The text is shown, not dropped: the title, with each control as `·`.
    let log = &outputs[0].1;
    let shown = String::from_utf8_lossy(&log.stdout);
    assert!(
        shown.contains("Checkout·]52;c;cm0gLXJmIH4=··]2;owned··[2J···31m·"),
        "{shown}"
    );
    let alerts = &outputs[5].1;
    assert!(
        String::from_utf8_lossy(&alerts.stdout).contains("CheckoutErrors·]52;c;"),
        "{}",
        String::from_utf8_lossy(&alerts.stdout)
    );

    // `log --json` into a pipe: the journal's lines byte for byte (a script checks the chain
    // over them); on a terminal, DEL and C1 escaped too, each line the same JSON value.
    let journal = std::fs::read_to_string(data.join("incidents/INC-1/journal.jsonl")).unwrap();
    let piped = common::run({
        let mut c = common::warroom(&data, "alice");
        c.args(["log", "INC-1", "--json"]);
        c
    });
    assert_eq!(piped.stdout, journal);
    let on_terminal = tokio::task::spawn_blocking({
        let data = data.clone();
        move || {
            std::process::Command::new("script")
                .args(["-qec"])
                .arg(format!(
                    "{} --as alice log INC-1 --json",
                    env!("CARGO_BIN_EXE_warroom")
                ))
                .arg("/dev/null")
                .env("WARROOM_DATA_DIR", &data)
                .env_remove("WARROOM_CONFIG")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let shown = String::from_utf8_lossy(&on_terminal.stdout).replace("\r\n", "\n");
    assert_clean("warroom log INC-1 --json on a terminal", shown.as_bytes());
    let values = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    assert_eq!(values(&shown), values(&journal));

    // --json: every value arrives intact, escaped as JSON escapes it.
    for args in [
        vec!["list", "--json"],
        vec!["blast", "INC-1", "--json"],
        vec!["alerts", "--json"],
        vec!["actions", "--json"],
        vec!["pagerduty", "list", "--json"],
        vec!["export", "INC-1", "--format", "json"],
    ] {
        let out = tokio::task::spawn_blocking({
            let (data, config) = (data.clone(), config.clone());
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            move || {
                let mut c = common::warroom_std(&data, "alice");
                c.env("WARROOM_CONFIG", &config)
                    .env("PD_EVIL_TOKEN", "pd-token")
                    .args(&args);
                c.output().unwrap()
            }
        })
        .await
        .unwrap();
        let what = format!("warroom {} (stdout)", args.join(" "));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_clean(&what, &out.stdout);
        assert!(
            text.contains("\\u001b"),
            "{what} keeps the ESC, escaped: {text}"
        );
        assert!(
            text.contains("\\u009b") || args[0] == "list" || args[0] == "actions",
            "{what} keeps the C1 CSI, escaped"
        );
    }
}
