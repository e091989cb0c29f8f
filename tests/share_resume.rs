//! Resuming a followed incident: a follower that loses the server (the leader's machine
//! restarts, the tunnel drops) while entries keep being appended gets every one of them when
//! it is back — none missing, none twice, each checked against the hash chain — and what it
//! holds is exactly the journal. A plain SSE client resuming with `Last-Event-ID` likewise.

use crate::share_common;

use share_common::{Leader, Running, SseReader, client};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use warroom::domain::{Entry, Severity};
use warroom::share::follower::{self, FollowEvent, Target};

/// What a follower has handed its console so far.
#[derive(Default)]
struct Seen {
    entries: Vec<Entry>,
    connected: usize,
    reconnecting: usize,
    stopped: Option<String>,
}

impl Seen {
    fn last_seq(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.seq)
    }

    /// Takes events from the follower until it holds entry `seq`; fails after `within`.
    async fn until_seq(
        &mut self,
        rx: &mut UnboundedReceiver<FollowEvent>,
        seq: u64,
        within: Duration,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        while self.last_seq() < seq {
            let got = tokio::time::timeout_at(deadline, rx.recv()).await;
            let Ok(Some(event)) = got else {
                panic!(
                    "the follower reached entry {} of {seq} in {within:?} (stopped: {:?})",
                    self.last_seq(),
                    self.stopped
                );
            };
            self.take(event);
        }
    }

    /// Takes events until the follower reports the link lost.
    async fn until_reconnecting(&mut self, rx: &mut UnboundedReceiver<FollowEvent>) {
        let before = self.reconnecting;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.reconnecting == before {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                panic!("the follower did not notice the server stop");
            };
            self.take(event);
        }
    }

    fn take(&mut self, event: FollowEvent) {
        match event {
            FollowEvent::Entries(mut e) => self.entries.append(&mut e),
            FollowEvent::Connected => self.connected += 1,
            FollowEvent::Reconnecting { .. } => self.reconnecting += 1,
            FollowEvent::Stopped(why) => self.stopped = Some(why),
            FollowEvent::Views { .. } | FollowEvent::NoViews => {}
        }
    }

    /// Asserts the follower holds exactly the journal: same entries, same order, 1..=N.
    fn assert_is_the_journal(&self, leader: &Leader, id: &str) {
        assert_eq!(self.stopped, None, "the follower stopped");
        let journal: Vec<Entry> = {
            use warroom::journal::Journal;
            let j = leader.store.open(id).unwrap();
            j.records().iter().map(|r| r.entry.clone()).collect()
        };
        let seqs: Vec<u64> = self.entries.iter().map(|e| e.seq).collect();
        let want: Vec<u64> = (1..=journal.len() as u64).collect();
        assert!(
            seqs == want,
            "entries missing or repeated: got {} entries",
            seqs.len()
        );
        assert!(
            self.entries == journal,
            "the follower's entries differ from the journal"
        );
    }
}

/// Starts a follower of `id` on `server_url`, its events on the returned channel.
fn start_follower(
    url: &str,
    token: &str,
) -> (UnboundedReceiver<FollowEvent>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let target = Target::parse(url).unwrap();
    let task = tokio::spawn(follower::follow(
        client(),
        target,
        token.to_string(),
        move |e| tx.send(e).is_ok(),
    ));
    (rx, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_cut_off_while_a_thousand_entries_are_appended_catches_up_exactly() {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    for i in 0..9 {
        leader.note(&id, &format!("before the cut {i}"));
    }
    let token = leader.share(&id);
    let server = Running::start(&leader.store, "127.0.0.1:0").await;
    let addr = server.addr.to_string();
    let (mut rx, task) = start_follower(&format!("http://{addr}/v1/incidents/{id}"), &token);
    let mut seen = Seen::default();
    seen.until_seq(&mut rx, 10, Duration::from_secs(10)).await;

    // The server goes away; the follower notices; 1,000 entries are appended meanwhile.
    server.stop().await;
    seen.until_reconnecting(&mut rx).await;
    let appending = Instant::now();
    leader.notes(&id, 1_000, "while away", |_| {});
    eprintln!("1,000 appends took {:?}", appending.elapsed());

    // Back on the same port: the follower resumes from entry 10.
    let server = Running::start(&leader.store, &addr).await;
    let back = Instant::now();
    seen.until_seq(&mut rx, 1_010, Duration::from_secs(30))
        .await;
    eprintln!(
        "the follower caught up 1,000 entries {:?} after the server came back",
        back.elapsed()
    );
    seen.assert_is_the_journal(&leader, &id);
    assert!(seen.connected >= 2, "connected {} times", seen.connected);

    // And it stays live.
    leader.note(&id, "after the catch-up");
    seen.until_seq(&mut rx, 1_011, Duration::from_secs(5)).await;
    seen.assert_is_the_journal(&leader, &id);
    task.abort();
    server.stop().await;
}

/// The leader restarts mid-stream: appends never stop while the server goes down and comes
/// back, some of them while the follower is still reading.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_restart_mid_stream_loses_and_repeats_nothing() {
    let leader = std::sync::Arc::new(Leader::new());
    let id = leader.open("Checkout 500s", Severity::Sev1);
    let token = leader.share(&id);
    let server = Running::start(&leader.store, "127.0.0.1:0").await;
    let addr = server.addr.to_string();
    let (mut rx, task) = start_follower(&format!("http://{addr}/v1/incidents/{id}"), &token);
    let mut seen = Seen::default();
    seen.until_seq(&mut rx, 1, Duration::from_secs(10)).await;

    // A writer appending 1,000 notes as fast as the disk allows, on its own thread.
    let (progress_tx, progress) = std::sync::mpsc::channel::<u32>();
    let writer = {
        let leader = leader.clone();
        let id = id.clone();
        std::thread::spawn(move || {
            leader.notes(&id, 1_000, "mid-stream", |i| {
                let _ = progress_tx.send(i);
            });
        })
    };
    // Stop the server a third of the way in, start it again two thirds of the way in.
    let reached = |n: u32| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Ok(i) = progress.recv_timeout(Duration::from_secs(60)) {
            if i >= n || Instant::now() > deadline {
                break;
            }
        }
    };
    reached(333);
    server.stop().await;
    reached(666);
    let server = Running::start(&leader.store, &addr).await;
    writer.join().unwrap();
    seen.until_seq(&mut rx, 1_001, Duration::from_secs(30))
        .await;
    seen.assert_is_the_journal(&leader, &id);
    assert!(seen.reconnecting >= 1, "the follower never lost the server");
    task.abort();
    server.stop().await;
}

/// A browser's EventSource (or any SSE client) resumes with `Last-Event-ID` and nothing else:
/// it gets the entries after that one, which chain onto the one it had.
#[tokio::test]
async fn a_client_resuming_with_last_event_id_gets_only_what_it_missed() {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    for i in 0..4 {
        leader.note(&id, &format!("first part {i}"));
    }
    let token = leader.share(&id);
    let server = Running::start(&leader.store, "127.0.0.1:0").await;
    let quick = Duration::from_secs(5);

    let resp = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut events = SseReader::new(resp);
    let mut had = Vec::new();
    while had.len() < 5 {
        let ev = events.next(quick).await.expect("an entry");
        if ev.kind == "entry" {
            had.push(ev);
        }
    }
    drop(events); // the connection drops
    for i in 0..5 {
        leader.note(&id, &format!("missed {i}"));
    }

    let last_id = had.last().unwrap().id.clone().unwrap();
    assert_eq!(last_id, "5");
    let resp = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .header("Last-Event-ID", &last_id)
        .send()
        .await
        .unwrap();
    let mut events = SseReader::new(resp);
    let journal = leader.lines(&id);
    let mut prev = warroom::journal::read_line(&had[4].data, &hash_of(&journal[3]), 5)
        .expect("entry 5 verifies")
        .hash()
        .to_string();
    for seq in 6..=10u64 {
        let ev = events.next(quick).await.expect("a missed entry");
        assert_eq!(ev.kind, "entry");
        assert_eq!(ev.id.as_deref(), Some(seq.to_string().as_str()));
        assert_eq!(
            ev.data,
            journal[seq as usize - 1],
            "entry {seq} as the journal holds it"
        );
        prev = warroom::journal::read_line(&ev.data, &prev, seq)
            .unwrap_or_else(|e| panic!("entry {seq} does not chain: {e}"))
            .hash()
            .to_string();
    }
    // Nothing else is pending: the next entry is the next append.
    leader.note(&id, "live again");
    let ev = events.next(quick).await.unwrap();
    assert_eq!(ev.id.as_deref(), Some("11"));
}

fn hash_of(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["hash"].as_str().unwrap().to_string()
}
