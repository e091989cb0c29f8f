//! What warroom drafts for people to read, checked on the demo's outage played for real: the
//! demo's server on a loopback port with a hand-set clock, read by the console's own clients
//! (alerts, metrics, blast radius), the flag-off action of the demo's runbook executed and
//! verified against the simulated Prometheus, every fact appended to a real journal as the
//! console appends it. Then the status-update prompt, as the console's reducer opens it, and
//! the post-mortem draft.

use crate::demo_api::Demo;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::path::Path;
use warroom::actions::{Cancel, execute, verify};
use warroom::console::action::{Action, Lead, Purpose};
use warroom::console::keymap::Keymap;
use warroom::console::state::{Modal, State};
use warroom::console::update::update;
use warroom::demo::{files, simulator::Simulator};
use warroom::domain::{Entry, Event, Incident, Role};
use warroom::journal::{FileJournal, FileStore, Journal};

const LEADER: &str = "alice";

/// The demo's incident, led through its outage on the real code paths.
pub(crate) struct Drill {
    pub demo: Demo,
    pub journal: FileJournal,
    /// The highest checkout error ratio read at any poll.
    pub checkout_peak: f64,
    _dir: tempfile::TempDir,
}

impl Drill {
    /// The demo at scenario second 0, its incident opened as `warroom demo` opens it.
    pub async fn start() -> Drill {
        let demo = Demo::start(0);
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let sim = Simulator::new(
            std::sync::Arc::new(crate::demo_api::scenario_of_demo()),
            crate::demo_api::origin(),
            1.0,
        );
        let id = warroom::demo::open_first_incident(&store, &sim, demo.now())
            .unwrap()
            .unwrap();
        let journal = store.open(&id).unwrap();
        Drill {
            demo,
            journal,
            checkout_peak: 0.0,
            _dir: dir,
        }
    }

    pub fn incident(&self) -> &Incident {
        self.journal.incident().unwrap()
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.journal
            .records()
            .iter()
            .map(|r| r.entry.clone())
            .collect()
    }

    pub fn append(&mut self, event: Event) {
        let now = self.demo.now();
        self.journal.append(LEADER, now, event).unwrap();
    }

    /// One poll of the console: linked alerts and the blast radius brought up to date.
    pub async fn observe(&mut self) {
        self.checkout_peak = self.checkout_peak.max(self.demo.checkout_errors().await);
        let alerts = self.demo.alerts().await;
        let blast = self.demo.blast_of(&alerts).await;
        let now = self.demo.now();
        if let Some(e) = self.incident().alert_changes(&alerts, now) {
            self.journal.append(LEADER, now, e).unwrap();
        }
        if let Some(e) = self.incident().blast_changes(&blast) {
            self.journal.append(LEADER, now, e).unwrap();
        }
    }

    /// Scenario time moves on to `until`, polled every ten seconds.
    pub async fn play_until(&mut self, until: i64) {
        while self.secs() < until {
            self.demo.advance(10.min(until - self.secs()));
            self.observe().await;
        }
    }

    fn secs(&self) -> i64 {
        (self.demo.now() - crate::demo_api::origin()).num_seconds()
    }

    /// The status-update prompt as the console opens it now (the demo's `--fast` cadence,
    /// one update a minute), and the console still showing it.
    pub fn prompt(&self) -> (State, String) {
        let now = self.demo.now();
        let mut s = State::new(LEADER.into(), Keymap::default(), vec![]);
        let config = warroom::config::Config::parse(
            Path::new("config.toml"),
            &files::config_toml("http://127.0.0.1:9", true),
        )
        .unwrap();
        s.cadence = config.cadence;
        update(
            &mut s,
            Action::Opened {
                id: self.journal.id().to_string(),
                entries: self.entries(),
                lead: Lead::Leading,
                draft: None,
            },
            now,
        );
        update(&mut s, Action::Tick, now);
        let text = match &s.modal {
            Some(Modal::Editor {
                purpose: Purpose::StatusUpdate,
                text,
            }) => text.lines().join("\n"),
            other => panic!("no status-update prompt at {now}: {other:?}"),
        };
        (s, text)
    }

    /// Posts what the prompt offers, unedited, as a new user does.
    pub fn post_prompt(&mut self) -> String {
        let (_, text) = self.prompt();
        self.append(Event::StatusUpdate { text: text.clone() });
        text
    }

    /// The runbook's flag-off, run and verified as `warroom run` and the console do.
    pub async fn flag_off(&mut self) {
        let url = self.demo.endpoint().base_url().to_string();
        let book = warroom::actions::parse_runbook(
            Path::new("runbook.toml"),
            &files::runbook_toml(
                &crate::demo_api::scenario_of_demo(),
                url.trim_end_matches('/'),
            ),
        )
        .unwrap();
        let action = book.get("flag-off").unwrap();
        let run = action.prepare(&BTreeMap::new(), &|_| None).unwrap();
        self.append(Event::ActionStarted {
            run_id: "R1".into(),
            action: action.name.clone(),
            params: run.params.clone(),
            dry_run: false,
            command: run.command.clone(),
        });
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let client = warroom::backends::http_client().unwrap();
        let result = execute(&run, Some(&client), tx.clone(), Cancel::never()).await;
        self.append(Event::ActionFinished {
            run_id: "R1".into(),
            action: action.name.clone(),
            outcome: result.outcome,
            exit_code: result.exit_code,
            http_status: result.http_status,
            duration_ms: result.duration.as_millis() as u64,
            output_tail: result.output_tail,
        });
        // The flag drains over a minute; the check passes once checkout is under 2 %.
        self.play_until(self.secs() + 60).await;
        let prom = self.demo.prom();
        let v = verify(
            &prom.into(),
            action.verify.as_ref().unwrap(),
            &run.params,
            &tx,
        )
        .await;
        self.append(Event::ActionVerified {
            run_id: "R1".into(),
            action: action.name.clone(),
            result: v.result,
            detail: v.detail,
        });
    }
}

/// The demo as a new user leads it: take command, post the prompted updates, turn the flag
/// off from the runbook at the peak, watch the errors drain. Status is left where it was.
pub(crate) async fn led_through_the_fix() -> Drill {
    let mut d = Drill::start().await;
    d.observe().await;
    d.play_until(30).await;
    d.append(Event::RoleAssigned {
        role: Role::Commander,
        person: LEADER.into(),
    });
    d.play_until(60).await;
    d.post_prompt();
    d.play_until(150).await;
    d.post_prompt();
    d.flag_off().await;
    d.play_until(300).await;
    d
}

#[tokio::test]
async fn after_the_fix_the_prompted_update_is_short_and_says_state_action_effect_and_next() {
    let d = led_through_the_fix().await;
    let i = d.incident();
    // The premise: the outage was real, the fix verified, every service back to ok.
    assert!(
        i.first_affected.contains_key("checkout"),
        "{:?}",
        i.services
    );
    assert!(
        i.services
            .values()
            .all(|(s, _)| *s == warroom::domain::ServiceState::Ok),
        "{:?}",
        i.services
    );
    let (mut s, draft) = d.prompt();
    eprintln!("the prompt after the fix:\n{draft}");
    let chars = draft.chars().count();
    assert!(chars < 300, "{chars} characters:\n{draft}");
    let lower = draft.to_lowercase();
    // The state now, not each transition on the way.
    assert!(lower.contains("mitigated"), "{draft}");
    assert!(!lower.contains("investigating"), "{draft}");
    assert!(!draft.contains("blast radius"), "{draft}");
    assert!(!draft.contains("at_risk"), "{draft}");
    assert!(!draft.contains(" → "), "{draft}");
    // The action taken and its effect.
    assert!(draft.contains("flag-off"), "{draft}");
    assert!(lower.contains("worked"), "{draft}");
    assert!(draft.contains("checkout"), "{draft}");
    assert!(lower.contains("recovered"), "{draft}");
    // What comes next, and when the next update comes: the cadence is a minute.
    let next = (d.demo.now() + chrono::Duration::minutes(1))
        .format("%H:%M")
        .to_string();
    assert!(
        draft.contains(&format!("next update {next} UTC")),
        "{draft}"
    );

    // The details are a key away, in the editor.
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('i'), KeyModifiers::ALT)),
        d.demo.now(),
    );
    let Some(Modal::Editor { text, .. }) = &s.modal else {
        panic!("{:?}", s.modal);
    };
    let full = text.lines().join("\n");
    assert!(full.starts_with(&draft), "{full}");
    assert!(full.len() > draft.len(), "{full}");
    assert!(full.contains("checkout"), "{full}");
    assert!(
        full.contains("R1 flag-off") || full.contains("flag-off: succeeded"),
        "{full}"
    );
}

/// Every run of digits after a point longer than five: a float printed in full.
fn long_decimals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        if let Some((_, frac)) = word.split_once('.')
            && frac.len() > 5
            && frac.bytes().all(|b| b.is_ascii_digit())
        {
            out.push(word.to_string());
        }
    }
    out
}

#[tokio::test]
async fn the_post_mortem_of_the_demo_reads_for_people() {
    let mut d = led_through_the_fix().await;
    d.append(Event::Resolved {
        summary: Some("Turning pricing-v2 off brought checkout back.".into()),
    });
    let entries = d.entries();
    let i = d.incident().clone();
    let now = d.demo.now();
    let (md, _) =
        warroom::postmortem::render(warroom::domain::ExportFormat::Markdown, &entries, &i, now);
    // Verification values as a person writes them: as recorded (what the console's run
    // pane and `warroom run` print), in the log's line, in the draft and in the JSON.
    let verified: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.event, Event::ActionVerified { .. }))
        .collect();
    assert_eq!(verified.len(), 1);
    let line = verified[0].event.describe();
    assert!(line.contains(" = 0.00"), "{line}");
    assert_eq!(long_decimals(&line), Vec::<String>::new(), "{line}");
    assert_eq!(
        long_decimals(&verified[0].event.to_json()),
        Vec::<String>::new()
    );
    assert_eq!(long_decimals(&md), Vec::<String>::new(), "{md}");
    let (json, _) =
        warroom::postmortem::render(warroom::domain::ExportFormat::Json, &entries, &i, now);
    // JSON numbers stay exact for programs; its texts read like the Markdown.
    fn texts(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| texts(x, out)),
            _ => {}
        }
    }
    let mut strings = Vec::new();
    texts(&serde_json::from_str(&json).unwrap(), &mut strings);
    assert_eq!(long_decimals(&strings.join("\n")), Vec::<String>::new());
    // Impact has the key metric's peak: checkout's errors reached about 30 %.
    let row = md
        .lines()
        .find(|l| l.starts_with("| checkout |"))
        .unwrap_or_else(|| panic!("no checkout row:\n{md}"));
    let peak: f64 = row
        .split("error ratio ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no peak in {row}"));
    let read = d.checkout_peak;
    assert!(read > 0.2, "the outage was real: {read}");
    assert!(
        (read * 0.9..=read * 1.01).contains(&peak),
        "peak {peak}, highest read {read}: {row}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let checkout = v["impact"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "checkout")
        .unwrap();
    assert_eq!(checkout["peak"]["metric"], "error ratio", "{checkout}");
    let json_peak = checkout["peak"]["value"].as_f64().unwrap();
    assert!(
        (read * 0.9..=read * 1.01).contains(&json_peak),
        "{json_peak}"
    );
    // Each single role with the time it was held.
    assert!(md.contains("- Commander: alice (10:00:30–end)"), "{md}");
    // A trigger and root-cause section that asks, blamelessly.
    let trigger = md
        .split("## Trigger and root cause\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no trigger section:\n{md}"));
    let trigger = &trigger[..trigger.find("\n## ").unwrap()];
    assert!(trigger.contains('?'), "{trigger}");
    assert!(
        trigger.contains("flag-off"),
        "the fix that worked: {trigger}"
    );
    // The external message: no internal service name, no chain of states, and the times.
    let external = md
        .split("### External\n\n")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let mut without_public_names = external.to_string();
    let demo = crate::demo_api::scenario_of_demo();
    for public in demo
        .services
        .iter()
        .filter_map(|s| s.public_name.as_deref())
    {
        without_public_names = without_public_names.replace(public, "");
    }
    for s in &demo.services {
        let named = without_public_names
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|w| w == s.name);
        assert!(!named, "{} named in: {external}", s.name);
    }
    // What customers saw, by the names they know: checkout failed, the cart was slow.
    assert!(
        external.contains("some customers could not use checkout"),
        "{external}"
    );
    assert!(external.contains("the shopping cart"), "{external}");
    assert!(
        external.contains("A fix was in place at 10:0"),
        "{external}"
    );
    assert!(!external.contains("then"), "{external}");
    assert!(!external.contains("at risk"), "{external}");
    assert!(external.contains("10:0"), "{external}");
    assert!(external.contains("resolved"), "{external}");
}
