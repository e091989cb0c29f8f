//! Replay is faithful: whatever events are appended (every variant, any text, events from
//! newer versions, nonsense a domain check would refuse), reopening the journal from disk gives
//! back the same records and the same folded incident, and the chain verifies.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use warroom::domain::{Entry, Event, Incident, NoteKind, Role, Severity, Status, UnknownEvent};
use warroom::journal::{FileStore, Journal, JournalError};

/// Any text at all, control characters, quotes and emoji included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .,:'\"-]{0,30}",
        prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
    ]
}

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}
fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}
fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}
fn note_kind() -> impl Strategy<Value = NoteKind> {
    prop::sample::select(NoteKind::ALL.to_vec())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An event from a newer version: a `type` this version does not know, or a known `type` in
/// a shape it does not understand, with arbitrary fields. Written compact or with spaces.
fn unknown() -> impl Strategy<Value = Event> {
    let type_name = prop_oneof![
        "[a-z][a-z_]{0,15}".prop_map(|t| format!("future_{t}")),
        Just("Note".to_string()),
    ];
    let new_type = (
        type_name,
        prop::collection::btree_map("[a-z_]{1,8}", json_value(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(type_name, fields, spaced)| {
            let mut object = serde_json::Map::new();
            for (k, v) in fields {
                object.insert(k, v);
            }
            object.insert("type".into(), type_name.clone().into());
            let value = serde_json::Value::Object(object);
            let json = if spaced {
                // Valid JSON with insignificant spaces, still one line.
                serde_json::to_string(&value)
                    .unwrap()
                    .replacen(':', " : ", 1)
            } else {
                serde_json::to_string(&value).unwrap()
            };
            Event::Unknown(UnknownEvent { type_name, json })
        });
    let odd_shape = prop::sample::select(vec![
        ("note", r#"{"type":"note","text":5}"#),
        (
            "opened",
            r#"{"type":"opened","title":"x","severity":"sev9"}"#,
        ),
        (
            "status_update_snoozed",
            r#"{"type":"status_update_snoozed","minutes":-1}"#,
        ),
        (
            "role_assigned",
            r#"{"type":"role_assigned","role":"boss","person":"p"}"#,
        ),
        ("severity_changed", r#"{"type":"severity_changed"}"#),
    ])
    .prop_map(|(t, j)| {
        Event::Unknown(UnknownEvent {
            type_name: t.to_string(),
            json: j.to_string(),
        })
    });
    prop_oneof![4 => new_type, 1 => odd_shape]
}

fn future_object() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::btree_map("[a-z_]{1,8}", json_value(), 0..3).prop_map(|m| {
        let mut object: serde_json::Map<String, serde_json::Value> = m.into_iter().collect();
        object.insert("type".into(), "future_thing".into());
        serde_json::Value::Object(object)
    })
}

fn unknown_event(type_name: &str, json: String) -> Event {
    Event::Unknown(UnknownEvent {
        type_name: type_name.to_string(),
        json,
    })
}

/// Events no journal line can carry as they are: JSON over several lines or with whitespace
/// around it, JSON that is not an object with a "type", a `type_name` that is not the JSON's,
/// an "unknown" event that is really a known one. Appending them must be refused, writing
/// nothing, or replay would later read something else (or treat the line as torn).
fn unwritable() -> impl Strategy<Value = Event> {
    prop_oneof![
        future_object().prop_map(|v| {
            unknown_event("future_thing", serde_json::to_string_pretty(&v).unwrap())
        }),
        future_object().prop_map(|v| unknown_event("future_thing", format!(" {v}"))),
        future_object().prop_map(|v| unknown_event("future_thing", format!("{v}\n"))),
        json_value()
            .prop_filter("not an object", |v| !v.is_object())
            .prop_map(|v| unknown_event("future_thing", v.to_string())),
        Just(unknown_event(
            "future_a",
            r#"{"type":"future_b"}"#.to_string()
        )),
        Just(unknown_event(
            "note",
            r#"{"type":"note","kind":"decision","text":"roll back"}"#.to_string()
        )),
    ]
}

pub(crate) fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (text(), severity(), prop::option::of(text())).prop_map(|(title, severity, summary)| {
            Event::Opened {
                title,
                severity,
                summary,
            }
        }),
        (severity(), severity()).prop_map(|(from, to)| Event::SeverityChanged { from, to }),
        (status(), status()).prop_map(|(from, to)| Event::StatusChanged { from, to }),
        (role(), text()).prop_map(|(role, person)| Event::RoleAssigned { role, person }),
        (note_kind(), text()).prop_map(|(kind, text)| Event::Note { kind, text }),
        text().prop_map(|text| Event::StatusUpdate { text }),
        any::<u32>().prop_map(|minutes| Event::StatusUpdateSnoozed { minutes }),
        prop::option::of(text()).prop_map(|summary| Event::Resolved { summary }),
        (task_id(), text(), text(), instant()).prop_map(|(task, person, what, due_at)| {
            Event::TaskAssigned {
                task,
                person,
                what,
                due_at,
            }
        }),
        task_id().prop_map(|task| Event::TaskDone { task }),
        task_id().prop_map(|task| Event::TaskCancelled { task }),
        (prop::option::of(text()), text(), text()).prop_map(|(from, to, summary)| Event::Handoff {
            from,
            to,
            summary
        }),
        (any::<u64>(), text(), any::<bool>(), text(), any::<u32>()).prop_map(
            |(update_seq, target, ok, detail, attempts)| Event::UpdateDelivered {
                update_seq,
                target,
                ok,
                detail,
                attempts,
            }
        ),
        (
            prop_oneof![Just("PT4KHLK".to_string()), text()],
            prop::option::of(any::<u64>()),
            text(),
            prop::option::of(text())
        )
            .prop_map(|(incident, number, title, url)| Event::PagerdutyLinked {
                incident,
                number,
                title,
                url,
            }),
        prop_oneof![Just("PT4KHLK".to_string()), text()]
            .prop_map(|incident| Event::PagerdutyUnlinked { incident }),
        unknown(),
    ]
}

/// Mostly small, so done and cancelled tasks often name an assigned one.
fn task_id() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..4, 1 => any::<u32>()]
}

/// A time between 2000 and 2099 to the nanosecond (times inside events keep them all).
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| Utc.timestamp_opt(s, ns).unwrap())
}

fn opened() -> impl Strategy<Value = Event> {
    (text(), severity(), prop::option::of(text())).prop_map(|(title, severity, summary)| {
        Event::Opened {
            title,
            severity,
            summary,
        }
    })
}

/// A valid author: one line, not blank, at most 100 characters.
pub(crate) fn author() -> impl Strategy<Value = String> {
    prop::collection::vec(
        any::<char>().prop_filter("one line", |c| !c.is_control()),
        1..20,
    )
    .prop_map(String::from_iter)
    .prop_filter("not blank", |s| !s.trim().is_empty())
}

/// A time between 2000 and 2099, to the millisecond (what the journal stores), in any order.
pub(crate) fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800_000i64..4_102_444_800_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
}

/// One append: when, by whom, what, and whether it can be written at all.
type Step = (DateTime<Utc>, String, Event, bool);

fn journal() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        8 => event().prop_map(|e| (e, true)),
        1 => unwritable().prop_map(|e| (e, false)),
    ];
    (
        (time(), author(), opened()),
        prop::collection::vec((time(), author(), step), 0..24),
    )
        .prop_map(|((at, by, first), rest)| {
            std::iter::once((at, by, first, true))
                .chain(rest.into_iter().map(|(at, by, (e, ok))| (at, by, e, ok)))
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_is_appended_is_what_a_reopened_journal_folds(events in journal()) {
        let data = tempfile::tempdir().unwrap();
        // An incident directory with an empty journal, so even `opened` goes through
        // `append_with` unchecked.
        let dir = data.path().join("incidents").join("INC-1");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::File::create(dir.join("journal.jsonl")).unwrap();
        let store = FileStore::new(data.path());
        let mut journal = store.open("INC-1").unwrap();

        let mut expected = Vec::new();
        for (at, by, event, writable) in &events {
            let mut once = Some(event.clone());
            let before = std::fs::read(journal.path()).unwrap();
            let result = journal.append_with(by, *at, &mut |_| Ok(once.take().unwrap()));
            if !writable {
                let err = result.expect_err("an event that cannot read back was appended");
                prop_assert!(matches!(err, JournalError::Rejected(_)), "{}", err);
                prop_assert!(err.to_string().starts_with("cannot record this"), "{}", err);
                prop_assert_eq!(std::fs::read(journal.path()).unwrap(), before);
                prop_assert_eq!(journal.records().len(), expected.len());
                continue;
            }
            let record = result.unwrap();
            let entry = Entry {
                seq: expected.len() as u64 + 1,
                at: *at,
                by: by.clone(),
                event: event.clone(),
            };
            prop_assert_eq!(&record.entry, &entry);
            expected.push(entry);
        }
        let folded = Incident::fold("INC-1", &expected);
        prop_assert!(folded.is_some());
        prop_assert_eq!(journal.incident(), folded.as_ref());

        let mut reopened = store.open("INC-1").unwrap();
        prop_assert_eq!(reopened.take_warnings(), Vec::<String>::new());
        prop_assert_eq!(reopened.records(), journal.records());
        prop_assert_eq!(reopened.incident(), folded.as_ref());
        let entries: Vec<&Entry> = reopened.records().iter().map(|r| &r.entry).collect();
        prop_assert_eq!(entries, expected.iter().collect::<Vec<_>>());

        // Each record prints as exactly its line in the file.
        let file = std::fs::read_to_string(reopened.path()).unwrap();
        let lines: Vec<String> = reopened.records().iter().map(|r| r.to_line()).collect();
        prop_assert_eq!(lines, file.lines().collect::<Vec<_>>());

        let report = store.verify("INC-1").unwrap();
        prop_assert_eq!(report.events, expected.len());
        prop_assert_eq!(&report.head, journal.records().last().unwrap().hash());
        prop_assert!(report.warnings.is_empty());
    }
}
