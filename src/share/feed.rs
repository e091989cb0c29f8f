//! What the share server streams from: one [`Feed`] per followed incident, read by one reader
//! for every follower of it, woken by the store's subscription ([`crate::journal::Store::watch`]:
//! `LISTEN` in PostgreSQL, inotify on the data directory). Reads and share-record checks run on
//! the blocking pool, never on the threads that serve connections, so a store that is slow or
//! gone holds no follower and no request up.

use super::tokens;
use crate::journal::{BoxJournal, Journal, Shares, Store, Wake, Watch};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

/// How often a feed re-reads its incident's share record (so open streams end soon after the
/// token is revoked or rotated), retries a read that failed, and looks whether anyone still
/// follows.
const RECHECK_EVERY: Duration = Duration::from_millis(500);
/// A feed with no stream for this many rechecks (a minute) is dropped.
const IDLE_FEED_RECHECKS: u32 = 120;
/// How long the subscription's thread waits for a wake-up before looking whether the hub is
/// still there.
const WATCH_WAIT: Duration = Duration::from_secs(1);

/// A journal line with its seq, shared by every stream that sends it.
pub(super) type Line = (u64, Arc<str>);

/// What the server shares: the incidents of one store (the data directory or a shared
/// database), and the latest derived views.
///
/// Share records (the token's digest) are the store's (`Store::shares`): beside the journals
/// in the data directory, or in the shared database, where every share server on it honours
/// them whichever machine issued the token.
pub struct Hub {
    store: Arc<dyn Store>,
    shares: Arc<dyn Shares>,
    feeds: Mutex<HashMap<String, Arc<Feed>>>,
    pub(super) views: watch::Sender<Option<Arc<str>>>,
    /// Set once the store's subscription is started (with the first feed).
    watching: AtomicBool,
    /// Where pushed alerts are taken (`/v1/intake/{source}`), when `[[intake]]` is set.
    pub(super) intake: std::sync::OnceLock<Arc<crate::intake::Intake>>,
}

/// One incident's journal, read once for every follower.
pub(super) struct Feed {
    pub(super) lines: Mutex<Vec<Line>>,
    pub(super) tx: broadcast::Sender<Line>,
    /// The incident's share record as last read: streams re-check their token when it
    /// changes, so it is read twice a second per incident, not per follower.
    pub(super) share: watch::Sender<Option<tokens::ShareRecord>>,
    /// The highest seq a wake-up announced.
    announced: AtomicU64,
    /// Anything may have changed (the subscription started again, or the journal's file
    /// changed): read.
    resync: AtomicBool,
    /// Shared with the reader, which holds the feed itself only while it works.
    wake: Arc<Notify>,
}

impl Feed {
    fn announce(&self, wake: &Wake) {
        match wake {
            Wake::Entry { seq, .. } => {
                self.announced.fetch_max(*seq, Ordering::Relaxed);
            }
            Wake::Changed { .. } | Wake::Resync => self.resync.store(true, Ordering::Relaxed),
        }
        self.wake.notify_one();
    }
}

impl Hub {
    /// The share server's state for `store`. `_data_dir` is this machine's data directory;
    /// share records are no longer kept apart from the store, so it is not needed.
    pub fn new(store: Arc<dyn Store>, _data_dir: &std::path::Path) -> Arc<Hub> {
        Arc::new(Hub {
            shares: store.shares(),
            store,
            feeds: Mutex::new(HashMap::new()),
            views: watch::channel(None).0,
            watching: AtomicBool::new(false),
            intake: std::sync::OnceLock::new(),
        })
    }

    /// Takes pushed alerts at `/v1/intake/{source}` (set once, before serving).
    pub fn set_intake(&self, intake: Arc<crate::intake::Intake>) {
        let _ = self.intake.set(intake);
    }

    /// Publishes the alerts and blast radius snapshot (JSON) to every follower, and keeps it
    /// for those who come later (`send` would drop it while nobody follows).
    pub fn publish_views(&self, json: String) {
        self.views.send_replace(Some(Arc::from(json)));
    }

    /// The share record of incident `id`, read on the blocking pool.
    pub(super) async fn share_record(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<Option<tokens::ShareRecord>, String> {
        let shares = self.shares.clone();
        let id = id.to_string();
        match tokio::task::spawn_blocking(move || shares.load(&id)).await {
            Ok(loaded) => loaded.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The feed of `id`, started on first use; `share` is its share record as just read.
    pub(super) async fn feed(
        self: &Arc<Self>,
        id: &str,
        share: Option<tokens::ShareRecord>,
    ) -> Result<Arc<Feed>, String> {
        if let Some(f) = self.feeds.lock().map_err(|_| poisoned())?.get(id) {
            return Ok(f.clone());
        }
        self.watch();
        let store = self.store.clone();
        let opening = id.to_string();
        let journal = tokio::task::spawn_blocking(move || store.open(&opening))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let lines = journal
            .records()
            .iter()
            .map(|r| (r.entry.seq, Arc::<str>::from(r.line())))
            .collect();
        let mut feeds = self.feeds.lock().map_err(|_| poisoned())?;
        // Another request may have started it while this one read.
        if let Some(f) = feeds.get(id) {
            return Ok(f.clone());
        }
        let feed = Arc::new(Feed {
            lines: Mutex::new(lines),
            tx: broadcast::channel(4096).0,
            share: watch::channel(share).0,
            announced: AtomicU64::new(0),
            // A wake-up may have come between the read and now: read once more.
            resync: AtomicBool::new(true),
            wake: Arc::new(Notify::new()),
        });
        feed.wake.notify_one();
        feeds.insert(id.to_string(), feed.clone());
        tokio::spawn(read(
            Arc::downgrade(self),
            Arc::downgrade(&feed),
            feed.wake.clone(),
            id.to_string(),
            journal,
        ));
        Ok(feed)
    }

    /// Starts the store's subscription, once: a thread of its own that waits for wake-ups
    /// and passes each to the feed it concerns. It ends once the hub is gone.
    fn watch(self: &Arc<Self>) {
        if self.watching.swap(true, Ordering::Relaxed) {
            return;
        }
        let hub = Arc::downgrade(self);
        let mut watch: Box<dyn Watch> = match self.store.watch() {
            Ok(w) => w,
            // No subscription to be had: look every poll instead.
            Err(_) => Box::new(crate::journal::watch::Poll::default()),
        };
        let spawned = std::thread::Builder::new()
            .name("warroom-share-watch".into())
            .spawn(move || {
                loop {
                    if hub.strong_count() == 0 {
                        return;
                    }
                    // An error (the store out of reach) needs nothing here: the subscription
                    // keeps trying and says Resync once it hears again, and feeds retry.
                    let Ok(Some(wake)) = watch.next(WATCH_WAIT) else {
                        continue;
                    };
                    let Some(hub) = hub.upgrade() else { return };
                    let Ok(feeds) = hub.feeds.lock() else { return };
                    match &wake {
                        Wake::Entry { id, .. } | Wake::Changed { id } => {
                            if let Some(feed) = feeds.get(id) {
                                feed.announce(&wake);
                            }
                        }
                        Wake::Resync => feeds.values().for_each(|f| f.announce(&wake)),
                    }
                }
            });
        if spawned.is_err() {
            // Without the thread nothing would wake the feeds: try again with the next one.
            self.watching.store(false, Ordering::Relaxed);
        }
    }

    /// Takes a feed no stream uses out of the table; false if one started using it meanwhile.
    fn retire(&self, id: &str, feed: &Arc<Feed>) -> bool {
        let Ok(mut feeds) = self.feeds.lock() else {
            return false;
        };
        // Under the table's lock, nobody can be between taking the feed and subscribing:
        // the table's reference and the reader's are the only ones, and no stream listens.
        if Arc::strong_count(feed) == 2 && feed.tx.receiver_count() == 0 {
            feeds.remove(id);
            true
        } else {
            false
        }
    }

    /// Takes a feed out of the table whatever holds it (its reader is gone).
    fn forget(&self, id: &str) {
        if let Ok(mut feeds) = self.feeds.lock() {
            feeds.remove(id);
        }
    }

    /// Lines after `after`, and a receiver for the ones that follow, with no gap between.
    pub(super) fn subscribe(feed: &Feed, after: u64) -> (Vec<Line>, broadcast::Receiver<Line>) {
        // Taken under the same lock the reader appends under: nothing falls between.
        match feed.lines.lock() {
            Ok(lines) => {
                let rx = feed.tx.subscribe();
                let start = lines.partition_point(|(seq, _)| *seq <= after);
                (lines[start..].to_vec(), rx)
            }
            Err(_) => (Vec::new(), feed.tx.subscribe()),
        }
    }
}

fn poisoned() -> String {
    "feed table poisoned".to_string()
}

/// The one reader of a feed: reads what was committed after the last entry it has when woken
/// (or when its last read failed), re-reads the share record twice a second, and retires the
/// feed after a minute without streams. It holds the hub and the feed weakly (the feed
/// strongly only while it works) and ends once either is gone.
async fn read(
    weak_hub: Weak<Hub>,
    weak_feed: Weak<Feed>,
    wake: Arc<Notify>,
    id: String,
    mut journal: BoxJournal,
) {
    let mut failed = false;
    let mut unwatched: u32 = 0;
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let periodic = tokio::select! {
            _ = wake.notified() => false,
            _ = recheck.tick() => true,
        };
        let (Some(hub), Some(feed)) = (weak_hub.upgrade(), weak_feed.upgrade()) else {
            return;
        };
        if periodic {
            unwatched = if feed.tx.receiver_count() == 0 {
                unwatched + 1
            } else {
                0
            };
            if unwatched >= IDLE_FEED_RECHECKS && hub.retire(&id, &feed) {
                return;
            }
            // A record that cannot be read now (out of file descriptors, the store out of
            // reach) says nothing about sharing: the streams go on as they were.
            if let Ok(record) = hub.share_record(&id).await {
                feed.share.send_if_modified(|current| {
                    let changed = *current != record;
                    *current = record;
                    changed
                });
            }
        }
        let have = journal.records().last().map_or(0, |r| r.entry.seq);
        let resync = feed.resync.swap(false, Ordering::Relaxed);
        if !(resync || failed || feed.announced.load(Ordering::Relaxed) > have) {
            continue;
        }
        drop((hub, feed));
        let read = tokio::task::spawn_blocking(move || {
            let before = journal.records().len();
            let read = journal.refresh().map(|_| {
                let _ = journal.take_warnings();
                let records = journal.records();
                let new = records[before..]
                    .iter()
                    .map(|r| (r.entry.seq, Arc::<str>::from(r.line())))
                    .collect::<Vec<Line>>();
                // A redacted entry's line is its placeholder from now on, for those who come
                // later.
                let placeholders = records[before..]
                    .iter()
                    .filter_map(|r| match r.entry.event {
                        crate::domain::Event::Redacted { entry, .. } => records
                            .iter()
                            .find(|kept| kept.entry.seq == entry)
                            .map(|kept| (entry, Arc::<str>::from(kept.line()))),
                        _ => None,
                    })
                    .collect::<Vec<Line>>();
                (new, placeholders)
            });
            (journal, read)
        })
        .await;
        let (Some(hub), Some(feed)) = (weak_hub.upgrade(), weak_feed.upgrade()) else {
            return;
        };
        let Ok((j, new)) = read else {
            // The read panicked and took the journal with it: the feed ends (its streams with
            // it, so followers resume), and the next follower starts a new one.
            hub.forget(&id);
            return;
        };
        journal = j;
        failed = new.is_err();
        let Ok((new, placeholders)) = new else {
            continue;
        };
        if let Ok(mut lines) = feed.lines.lock() {
            for (seq, line) in placeholders {
                if let Some(kept) = lines.iter_mut().find(|(s, _)| *s == seq) {
                    kept.1 = line;
                }
            }
            for l in new {
                lines.push(l.clone());
                let _ = feed.tx.send(l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::FileStore;

    #[tokio::test]
    async fn a_feed_is_retired_only_when_no_request_and_no_stream_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let id = store
            .create(
                "alice",
                chrono::Utc::now(),
                "Checkout 500s",
                crate::domain::Severity::Sev1,
                None,
            )
            .unwrap()
            .id()
            .to_string();
        let hub = Hub::new(Arc::new(store), dir.path());
        let table = |hub: &Hub| hub.feeds.lock().unwrap().get(&id).cloned();

        // A request holds it (between taking the feed and subscribing): kept.
        let held = hub.feed(&id, None).await.unwrap();
        assert!(!hub.retire(&id, &table(&hub).unwrap()));
        // A stream listens: kept.
        let (_, rx) = Hub::subscribe(&held, 0);
        drop(held);
        assert!(!hub.retire(&id, &table(&hub).unwrap()));
        // Nobody: taken out of the table; the next request starts a new feed.
        drop(rx);
        assert!(hub.retire(&id, &table(&hub).unwrap()));
        assert!(table(&hub).is_none());
        assert!(hub.feed(&id, None).await.is_ok());
        assert!(table(&hub).is_some());
    }

    /// Every line reaches a stream exactly once and in order, however the appends of several
    /// writers fall against the wake-ups, also across a redaction that rewrites the file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_gets_every_line_once_across_many_appends_and_a_rewrite() {
        use crate::domain::{Authority, Event, NoteKind};
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let mut journal = store
            .create(
                "alice",
                chrono::Utc::now(),
                "Checkout 500s",
                crate::domain::Severity::Sev1,
                None,
            )
            .unwrap();
        let id = journal.id().to_string();
        let note = |text: String| Event::Note {
            kind: NoteKind::Observation,
            text,
        };
        journal
            .append(
                "alice",
                chrono::Utc::now(),
                note("the password is hunter2".into()),
            )
            .unwrap();
        let hub = Hub::new(Arc::new(store.clone()), dir.path());
        let feed = hub.feed(&id, None).await.unwrap();
        let (backlog, mut rx) = Hub::subscribe(&feed, 0);
        let (writers, each) = (3, 100);
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                let (store, id) = (store.clone(), id.clone());
                std::thread::spawn(move || {
                    let mut journal = store.open(&id).unwrap();
                    for n in 0..each {
                        let at = chrono::Utc::now();
                        journal
                            .append("alice", at, note(format!("{w}/{n}")))
                            .unwrap();
                        if w == 0 && n == each / 2 {
                            let request = crate::journal::Redaction {
                                seq: 2,
                                reason: "a pasted password",
                                authority: Authority::Commander,
                                allowed: &[],
                            };
                            journal.redact("alice", at, &request).unwrap();
                        }
                    }
                })
            })
            .collect();
        let total = 2 + writers * each + 1;
        let mut seqs: Vec<u64> = backlog.iter().map(|(seq, _)| *seq).collect();
        while seqs.len() < total as usize {
            let next = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await;
            let Ok(Ok((seq, _))) = next else {
                panic!("only {} of {total} lines streamed: {seqs:?}", seqs.len());
            };
            seqs.push(seq);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(seqs, (1..=total).collect::<Vec<u64>>());
        // Nothing more comes: no line is streamed twice.
        let more = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
        assert!(more.is_err(), "a line streamed again: {more:?}");
    }
}
