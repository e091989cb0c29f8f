//! Numbers in events (a key metric's peak, a verification reading) are recorded whatever their
//! value: the journal reads back every f64 exactly as it wrote it, so no reading is refused as
//! "it would read back as a different event" and no replay differs from what was committed.

use chrono::{TimeZone, Utc};
use warroom::domain::{Event, MetricPeak, ServiceChange, ServiceState, Severity};
use warroom::journal::{FileStore, Journal};

/// Readings as Prometheus gives them: ratios, latencies, counters, of every size.
fn readings() -> Vec<f64> {
    // A fixed xorshift sequence, so a failure names a value that fails every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = vec![0.1 + 0.2, 1.0 / 3.0, 0.30000000000000004, 2.0f64.sqrt()];
    for n in 0..500 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        out.push(unit * 10f64.powi((n % 12) - 6));
    }
    out
}

#[test]
fn every_reading_is_recorded_and_replays_exactly() {
    let data = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let t0 = Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, 0).unwrap();
    let mut journal = store
        .create("alice", t0, "Checkout errors", Severity::Sev2, None)
        .unwrap();
    let values = readings();
    let mut refused = Vec::new();
    for (n, value) in values.iter().enumerate() {
        let event = Event::BlastRadiusChanged {
            changes: vec![ServiceChange {
                service: "checkout".into(),
                from: if n % 2 == 0 {
                    ServiceState::Down
                } else {
                    ServiceState::Ok
                },
                to: if n % 2 == 0 {
                    ServiceState::Ok
                } else {
                    ServiceState::Down
                },
                customer_facing: true,
                public_name: None,
                why: vec![],
                peak: Some(MetricPeak {
                    metric: "error ratio".into(),
                    value: *value,
                    at: t0,
                }),
            }],
        };
        let at = t0 + chrono::Duration::seconds(n as i64 + 1);
        if let Err(e) = journal.append_with("alice", at, &mut |_| Ok(event.clone())) {
            refused.push(format!("{value:?}: {e}"));
        }
    }
    assert!(
        refused.is_empty(),
        "{} of {} readings were refused, e.g. {:?}",
        refused.len(),
        values.len(),
        &refused[..refused.len().min(3)]
    );
    // Replayed from the file, every peak is the value recorded, to the last bit.
    let again = store.open("INC-1").unwrap();
    let peaks: Vec<u64> = again
        .records()
        .iter()
        .filter_map(|r| match &r.entry.event {
            Event::BlastRadiusChanged { changes } => {
                changes[0].peak.as_ref().map(|p| p.value.to_bits())
            }
            _ => None,
        })
        .collect();
    let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(peaks, want);
}
