//! The console's live refresh is driven by the store's subscription (`Store::watch`: `LISTEN`
//! in PostgreSQL, the data directory's poll for files), not by a timer: with the safety poll
//! set to an hour, what another machine commits shows in a console within a second, again and
//! again, on both stores.

use crate::console_store::{Worker, open_incident, stores};
use chrono::Utc;
use std::time::Duration;
use warroom::console::action::Lead;
use warroom::domain::{Event, NoteKind};

#[test]
fn what_another_machine_commits_shows_within_a_second_with_the_safety_poll_off() {
    for pair in stores("console_watch") {
        let id = open_incident(pair.a.as_ref());
        let mut bob = Worker::start_with(pair.b.clone(), "bob", Duration::from_secs(3600));
        assert_eq!(bob.opened(&id), Lead::Leading);
        let mut other = pair.a.open(&id).unwrap();
        for n in 0..3 {
            // Well after the worker's first look, so only a wake-up can show it.
            std::thread::sleep(Duration::from_millis(1500));
            let text = format!("db latency up, look {n}");
            other
                .append(
                    "alice",
                    Utc::now(),
                    Event::Note {
                        kind: NoteKind::Observation,
                        text: text.clone(),
                    },
                )
                .unwrap();
            bob.sees(
                &format!("{:?}: alice's note {n}", pair.a),
                "alice",
                &text,
                Duration::from_secs(1),
            );
        }
        bob.stop();
    }
}
