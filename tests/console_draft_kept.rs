//! "Your text is kept as a draft" is a promise: after a failed append the console says it only
//! when the draft is on disk. When saving the draft failed too, it says so plainly. Driven
//! through the real journal worker, with the reducer taking its answers.

use crate::support::console::{ctrl, key, type_text};
use chrono::Utc;
use crossterm::event::KeyCode;
use std::io::Write;
use warroom::console::action::{Action, Effect};
use warroom::console::keymap::Keymap;
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::Severity;
use warroom::journal::FileStore;

struct Console {
    state: State,
    worker: std::sync::mpsc::Sender<Effect>,
    answers: tokio::sync::mpsc::UnboundedReceiver<Action>,
}

impl Console {
    /// Sends `effects` to the worker and gives the reducer its answers until `until` sees one.
    fn carry_out(&mut self, effects: Vec<Effect>, until: impl Fn(&Action) -> bool) {
        for e in effects {
            self.worker.send(e).unwrap();
        }
        loop {
            let a = self.answers.blocking_recv().expect("the worker answers");
            let done = until(&a);
            let more = update(&mut self.state, a, Utc::now());
            for e in more {
                self.worker.send(e).unwrap();
            }
            if done {
                return;
            }
        }
    }

    fn flash(&self) -> String {
        self.state
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }
}

fn failed(a: &Action) -> bool {
    matches!(a, Action::AppendFailed { .. })
}

#[test]
fn a_failed_append_says_the_text_is_kept_only_when_the_draft_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store
        .create("alice", Utc::now(), "Checkout 500s", Severity::Sev1, None)
        .unwrap();
    let incident = store.incidents_dir().join("INC-1");
    let (tx, answers) = tokio::sync::mpsc::unbounded_channel();
    let (worker, handle) =
        warroom::console::effects::spawn(store.clone(), "alice".into(), tx).unwrap();
    let mut c = Console {
        state: State::new("alice".into(), Keymap::default(), vec![]),
        worker,
        answers,
    };
    c.carry_out(vec![Effect::Open { id: "INC-1".into() }], |a| {
        matches!(a, Action::Opened { .. })
    });

    // Appends fail from now on: a whole line that breaks the hash chain.
    let journal = incident.join("journal.jsonl");
    let first = std::fs::read_to_string(&journal).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap()
        .write_all(first.as_bytes())
        .unwrap();
    // And the draft cannot be saved: a directory stands where it goes.
    let draft = incident.join("draft.alice.json");
    std::fs::create_dir_all(draft.join("in-the-way")).unwrap();

    let mut fx = update(&mut c.state, key(KeyCode::Char('n')), Utc::now());
    fx.extend(type_text(&mut c.state, "keep me"));
    fx.extend(update(&mut c.state, ctrl('s'), Utc::now()));
    c.carry_out(fx, failed);
    let flash = c.flash();
    assert!(!draft.is_file(), "the draft could not be saved");
    assert!(
        !flash.contains("kept as a draft") && flash.contains("could not be saved"),
        "{flash}"
    );

    // Once the draft saves again, the promise holds and is made.
    std::fs::remove_dir_all(&draft).unwrap();
    let mut fx = update(&mut c.state, key(KeyCode::Char('n')), Utc::now());
    fx.extend(type_text(&mut c.state, " again"));
    fx.extend(update(&mut c.state, ctrl('s'), Utc::now()));
    c.carry_out(fx, failed);
    let flash = c.flash();
    assert!(flash.contains("kept as a draft"), "{flash}");
    let saved = std::fs::read_to_string(&draft).expect("the draft on disk");
    assert!(saved.contains("keep me again"), "{saved}");

    drop(c);
    handle.join().unwrap();
}
