//! A writer that decides to record nothing, or whose event is refused, leaves no lock behind:
//! another connection appends to the same incident at once, without waiting for the first to
//! be used again (a transaction merely dropped stays open, holding the head row, until then).

use crate::support::postgres;
use crate::support::stores::pg;
use std::sync::mpsc;
use std::time::Duration;
use warroom::domain::{Event, NoteKind, Rejected, Severity};
use warroom::journal::Journal;

fn note(text: &str) -> Event {
    Event::Note {
        kind: NoteKind::Observation,
        text: text.into(),
    }
}

#[test]
fn nothing_recorded_and_refused_appends_leave_the_incident_unlocked() {
    let Some(cluster) = postgres::shared() else {
        return;
    };
    let url = cluster.database("locks_left");
    let first = pg(&url);
    let mut a = first
        .create(
            "alice",
            chrono::Utc::now(),
            "Checkout 500s",
            Severity::Sev1,
            None,
        )
        .unwrap();
    let id = a.id().to_string();
    // Kept alive, and not used again, while the other connection appends.
    let nothing = a.append_if("alice", chrono::Utc::now(), &mut |_| Ok(None));
    assert!(matches!(nothing, Ok(None)), "{nothing:?}");
    let refused = a.append_if("alice", chrono::Utc::now(), &mut |_| {
        Err(Rejected("not now".into()))
    });
    assert!(refused.is_err());

    let (done, appended) = mpsc::channel();
    let (url2, id2) = (url.clone(), id.clone());
    std::thread::spawn(move || {
        let mut b = pg(&url2).open(&id2).unwrap();
        let _ = done.send(
            b.append("bob", chrono::Utc::now(), note("from elsewhere"))
                .map(drop),
        );
    });
    match appended.recv_timeout(Duration::from_secs(30)) {
        Ok(result) => result.unwrap(),
        Err(_) => panic!("the other connection's append waited on a lock left behind"),
    }
    assert_eq!(a.refresh().unwrap(), 1);
    drop(first);
}
