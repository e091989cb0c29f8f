//! The effects runner's journal side: one thread owns every journal handle, the lead (the
//! lock file or the lease in the database, whichever the store gives) and the drafts. It
//! carries out effects and reports back as actions, and watches for entries appended by other
//! processes (CLI verbs, scripts, consoles on other machines) so they show within a second.

use super::action::{Action, Draft, Effect, Lead};
use crate::domain::{Entry, Event, Rejected, Role};
use crate::journal::{
    BoxJournal, FileStore, Journal, JournalError, Listed, Stamp, Store, Summary, Wake, Watch,
};
use chrono::Utc;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

mod corrections;
mod outbox;
mod postmortem;
pub use postmortem::export_copy;

/// How often other processes' appends are looked for when no wake-up came from the store's
/// subscription (`Store::watch`), in case it was lost unnoticed.
pub const SAFETY_POLL: Duration = Duration::from_secs(5);
/// How often the lead (lost? handed to us? who leads now?) and, while it is gone, the store
/// are looked at.
const TICK: Duration = Duration::from_secs(1);
/// The least time between two looks at every incident woken by [`Wake::Resync`]: a store that
/// cannot tell what changed (`journal::watch::Poll`) says it every 50 ms.
const RESYNC_GAP: Duration = Duration::from_millis(250);
/// File descriptors held back for saving drafts when the process runs short of them.
const RESERVED_FDS: usize = 4;
/// How often a console showing an incident handed to its user tries to take the lead.
const TAKE_LEAD_EVERY: Duration = Duration::from_secs(1);

pub struct JournalWorker {
    store: Arc<dyn Store>,
    /// This machine's data directory: drafts and share records stay here, whichever store
    /// keeps the journals.
    data_dir: PathBuf,
    me: String,
    out: UnboundedSender<Action>,
    journals: BTreeMap<String, BoxJournal>,
    /// Incidents listed from the summaries the store keeps, their journals not opened until
    /// entered (or written to): each summary, and where its journal stood when it was read.
    listed: BTreeMap<String, (Summary, Stamp)>,
    /// The incident on screen, and the lead if we have it.
    current: Option<(String, Option<Box<dyn crate::journal::Lead>>)>,
    /// When the lead of the incident on screen was last looked at while read-only.
    lead_tried: Option<Instant>,
    /// Who the console last said leads the incident on screen, while it does not.
    leader_seen: Option<crate::journal::LockHolder>,
    /// Whether this console lost the lead of the incident on screen (until entered again).
    lost: bool,
    /// Entries of the current incident already sent to the console.
    sent: usize,
    /// Descriptors held back so that a draft can be saved when the process runs short (the
    /// led incident's journal is held open for the same reason).
    reserve: crate::fds::Reserve,
    /// Incidents whose last draft save failed, and why: their draft is not on disk.
    unsaved: BTreeMap<String, String>,
    /// This machine's outboxes (what was typed while the store could not be reached), read
    /// when first needed.
    outboxes: BTreeMap<String, crate::journal::Outbox>,
    /// Why the store cannot be reached, while that lasts; and when it was last asked.
    down: Option<String>,
    pinged: Option<Instant>,
    safety_poll: Duration,
    /// Where the store's wake-ups are sent (to this worker's own inbox), and the thread that
    /// listens for them, stopped when the worker ends.
    inbox: Sender<Inbox>,
    subscription: Option<Subscription>,
    /// When every incident was last looked at, and the lead last checked.
    looked: Instant,
    ticked: Instant,
}

/// What the worker waits on: the console's effects, the store's wake-ups, and the end.
enum Inbox {
    Effect(Effect),
    Wake,
    Stop,
}

/// The thread passing the store's wake-ups to the worker; it ends (within a second) when this
/// is dropped, dropping the subscription.
struct Subscription {
    stop: Arc<AtomicBool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Passes each wake-up of `watch` to the worker's inbox until told to stop.
fn forward_wakes(mut watch: Box<dyn Watch>, to: Sender<Inbox>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match watch.next(TICK) {
            Ok(Some(wake)) => {
                if to.send(Inbox::Wake).is_err() {
                    return;
                }
                if wake == Wake::Resync {
                    std::thread::sleep(RESYNC_GAP);
                }
            }
            Ok(None) => {}
            // The subscription keeps trying by itself; the worker's own reads say the store
            // is gone, and its safety poll looks meanwhile.
            Err(_) => std::thread::sleep(TICK),
        }
    }
}

/// [`spawn_on`] the data directory's own incidents.
pub fn spawn(
    store: FileStore,
    me: String,
    out: UnboundedSender<Action>,
) -> std::io::Result<(Sender<Effect>, std::thread::JoinHandle<()>)> {
    let data_dir = store.data_dir().to_path_buf();
    spawn_on(Arc::new(store), data_dir, me, out)
}

/// Starts the worker on `store`, with drafts and share records in `data_dir`; dropping the
/// returned sender stops it (join the handle to wait for an append in flight to finish).
pub fn spawn_on(
    store: Arc<dyn Store>,
    data_dir: PathBuf,
    me: String,
    out: UnboundedSender<Action>,
) -> std::io::Result<(Sender<Effect>, std::thread::JoinHandle<()>)> {
    let start = Start {
        safety_poll: SAFETY_POLL,
        down: None,
    };
    spawn_with(store, data_dir, me, out, start)
}

/// How a worker starts.
#[derive(Debug, Clone)]
pub struct Start {
    /// How often every incident is looked at when no wake-up came ([`SAFETY_POLL`]).
    pub safety_poll: Duration,
    /// Why the store could not be reached when the console started, if it could not: the
    /// worker starts with the banner up and an empty list, and fills it once the store answers.
    pub down: Option<String>,
}

/// [`spawn_on`], started as `start` says.
pub fn spawn_with(
    store: Arc<dyn Store>,
    data_dir: PathBuf,
    me: String,
    out: UnboundedSender<Action>,
    start: Start,
) -> std::io::Result<(Sender<Effect>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = std::sync::mpsc::channel::<Effect>();
    let (inbox, inbox_rx) = std::sync::mpsc::channel();
    {
        // The console's effects into the worker's inbox; the end once the console lets go.
        let inbox = inbox.clone();
        std::thread::Builder::new()
            .name("journal effects".into())
            .spawn(move || {
                for effect in rx {
                    if inbox.send(Inbox::Effect(effect)).is_err() {
                        return;
                    }
                }
                let _ = inbox.send(Inbox::Stop);
            })?;
    }
    let handle = std::thread::Builder::new()
        .name("journal".into())
        .spawn(move || {
            JournalWorker {
                store,
                data_dir,
                me,
                out,
                journals: BTreeMap::new(),
                listed: BTreeMap::new(),
                current: None,
                lead_tried: None,
                leader_seen: None,
                lost: false,
                sent: 0,
                reserve: crate::fds::Reserve::new(RESERVED_FDS),
                unsaved: BTreeMap::new(),
                outboxes: BTreeMap::new(),
                down: start.down,
                pinged: None,
                safety_poll: start.safety_poll,
                inbox,
                subscription: None,
                looked: Instant::now(),
                ticked: Instant::now(),
            }
            .run(inbox_rx)
        })?;
    Ok((tx, handle))
}

impl JournalWorker {
    /// Carries out effects as they come; looks at every incident when the store's
    /// subscription says something was committed (wake-ups that came meanwhile count once),
    /// else every `safety_poll`; checks the lead, and a store that is gone, every [`TICK`].
    fn run(mut self, rx: Receiver<Inbox>) {
        if let Some(why) = self.down.clone() {
            // Started while the store could not be reached: said at once, the list holding
            // only the incidents whose entries wait in this machine's outbox until it answers
            // (asked once a second, below; the outboxes are drained then).
            self.send(Action::StoreDown(Some(why)));
            self.load_outboxes();
            self.send_list();
        }
        self.subscribe();
        self.watch(true);
        self.looked = Instant::now();
        loop {
            let mut woken = false;
            match rx.recv_timeout(TICK) {
                Ok(Inbox::Effect(effect)) => self.handle(effect),
                Ok(Inbox::Wake) => woken = true,
                Ok(Inbox::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if woken {
                loop {
                    match rx.try_recv() {
                        Ok(Inbox::Effect(effect)) => self.handle(effect),
                        Ok(Inbox::Wake) => {}
                        Ok(Inbox::Stop) => return,
                        Err(_) => break,
                    }
                }
            }
            if woken || self.looked.elapsed() >= self.safety_poll {
                self.looked = Instant::now();
                self.ticked = self.looked;
                self.watch(false);
            } else if self.ticked.elapsed() >= TICK {
                self.ticked = Instant::now();
                self.tick();
            }
        }
    }

    /// Starts the thread that passes the store's wake-ups on (again, when it could not be
    /// started before: the safety poll looks meanwhile).
    fn subscribe(&mut self) {
        if self.subscription.is_some() {
            return;
        }
        let watch = match self.store.watch() {
            Ok(w) => w,
            Err(_) => return,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (to, stopped) = (self.inbox.clone(), stop.clone());
        let started = std::thread::Builder::new()
            .name("journal wake-ups".into())
            .spawn(move || forward_wakes(watch, to, stopped));
        if started.is_ok() {
            self.subscription = Some(Subscription { stop });
        }
    }

    /// Between looks: the store while it is gone (a look at everything once it answers), the
    /// lead of the incident on screen.
    fn tick(&mut self) {
        let was_down = self.down.is_some();
        if !self.check_store() {
            return;
        }
        if was_down {
            self.looked = Instant::now();
            return self.watch(false);
        }
        self.subscribe();
        self.check_lead();
    }

    fn send(&self, a: Action) {
        let _ = self.out.send(a);
    }

    fn problem(&self, e: impl std::fmt::Display) {
        self.send(Action::Problem(e.to_string()));
    }

    fn handle(&mut self, effect: Effect) {
        match effect {
            Effect::Open { id } => self.open(&id),
            Effect::LoadReport { cadence, now } => {
                let filter = crate::report::Filter::last_days(now, 90);
                let mut warnings = Vec::new();
                match crate::report::read_store(self.store.as_ref(), &cadence, now, &mut warnings) {
                    Ok(facts) => {
                        for w in warnings {
                            self.problem(w);
                        }
                        let f = crate::report::Figures::fold(&facts, &filter);
                        self.send(Action::ReportLoaded(Box::new(f)));
                    }
                    Err(e) => self.problem(format!("report: {e}")),
                }
            }
            Effect::Leave { id } => {
                if self.current.as_ref().is_some_and(|(c, _)| *c == id) {
                    self.current = None;
                    if let Some(j) = self.journals.get_mut(&id) {
                        j.release();
                    }
                }
            }
            Effect::Append {
                id,
                event,
                clears_draft,
            } => self.append(&id, event, clears_draft),
            Effect::Create { title, severity } => {
                let opening = crate::journal::Opening {
                    title: &title,
                    severity,
                    summary: None,
                };
                match self.store.create(&self.me, Utc::now(), opening) {
                    Ok(j) => {
                        let id = j.id().to_string();
                        self.journals.insert(id.clone(), j);
                        self.send_list();
                        self.send(Action::Created { id });
                    }
                    Err(e) => self.send(Action::AppendFailed {
                        id: "new incident".into(),
                        reason: e.to_string(),
                    }),
                }
            }
            Effect::SaveDraft { id, draft } => {
                let path = self.draft_path(&id);
                match self.reserve.run(|| save_draft(&path, &draft)) {
                    Ok(()) => {
                        if self.unsaved.remove(&id).is_some() {
                            self.send(Action::DraftSaved { id, error: None });
                        }
                    }
                    Err(e) => {
                        let why = e.to_string();
                        if self.unsaved.get(&id) != Some(&why) {
                            self.problem(format!("{id}: draft not saved: {why}"));
                            self.unsaved.insert(id.clone(), why.clone());
                            self.send(Action::DraftSaved {
                                id,
                                error: Some(why),
                            });
                        }
                    }
                }
            }
            Effect::DiscardDraft { id } => {
                let _ = std::fs::remove_file(self.draft_path(&id));
            }
            Effect::Record { id, event } => self.record(&id, event),
            Effect::CorrectAcross(across) => self.correct_across(across),
            Effect::Redact { id, seq, reason } => self.redact(&id, seq, &reason),
            Effect::Export { id, format, dir } => self.export(&id, format, dir.as_deref()),
            Effect::Share {
                id,
                base,
                rotate,
                revoke,
            } => self.share(&id, &base, rotate, revoke),
            Effect::ObserveAlerts { id, alerts } => self.observe(&id, &alerts),
            Effect::ObserveBlast { id, blast } => self.observe_blast(&id, &blast),
            // Carried out by the event loop, not here.
            Effect::Problem(p) => self.problem(p),
            Effect::RecordRunStart {
                id,
                local,
                action,
                params,
                command,
            } => self.record_run_start(&id, local, action, params, command),
            Effect::Deliver { .. }
            | Effect::DeliverExecutive { .. }
            | Effect::ExportCopy { .. }
            | Effect::ListPagerDuty { .. }
            | Effect::ListOnCall { .. }
            | Effect::Page { .. }
            | Effect::CreateSilence { .. }
            | Effect::WriteBack { .. }
            | Effect::ExpireSilences { .. }
            | Effect::StartRun { .. }
            | Effect::SpawnRun { .. }
            | Effect::CancelRun { .. }
            | Effect::Bell
            | Effect::Quit => {}
        }
    }

    /// Records `action_started`, numbering the run under the append lock so that a console
    /// and a `warroom run` never take the same id; the run may only start once this is
    /// committed.
    fn record_run_start(
        &mut self,
        id: &str,
        local: u64,
        action: String,
        params: std::collections::BTreeMap<String, String>,
        command: String,
    ) {
        let leading = self
            .current
            .as_ref()
            .is_some_and(|(c, lock)| c == id && lock.is_some());
        if let Some(why) = &self.down {
            return self.send(Action::RunRefused {
                local,
                reason: format!("nothing runs before its start is recorded, and {why}"),
            });
        }
        let Some(journal) = self.journals.get_mut(id).filter(|_| leading) else {
            return self.send(Action::RunRefused {
                local,
                reason: format!("this console does not lead {id}"),
            });
        };
        let result = journal.append_with(&self.me, Utc::now(), &mut |incident| {
            let i = incident.ok_or_else(|| Rejected("the journal has no opening entry".into()))?;
            let e = Event::ActionStarted {
                run_id: crate::domain::next_run_id(&i.action_runs),
                action: action.clone(),
                params: params.clone(),
                dry_run: false,
                command: command.clone(),
            };
            i.check(&e)?;
            Ok(e)
        });
        for w in journal.take_warnings() {
            self.problem(w);
        }
        match result {
            Ok(rec) => {
                let run_id = match &rec.entry.event {
                    Event::ActionStarted { run_id, .. } => run_id.clone(),
                    _ => return,
                };
                let entries = self.unsent(id);
                self.send(Action::RunCommitted {
                    id: id.to_string(),
                    local,
                    run_id,
                    entries,
                });
            }
            Err(e) => self.send(Action::RunRefused {
                local,
                reason: e.to_string(),
            }),
        }
    }

    fn draft_path(&self, id: &str) -> PathBuf {
        let who: String = self
            .me
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.local_dir(id).join(format!("draft.{who}.json"))
    }

    /// This machine's directory for incident `id`: its drafts and share record.
    fn local_dir(&self, id: &str) -> PathBuf {
        crate::share::server::share_dir(&self.data_dir, id)
    }

    fn open(&mut self, id: &str) {
        if let Some((previous, _)) = self.current.take()
            && let Some(j) = self.journals.get_mut(&previous)
        {
            j.release();
        }
        self.lead_tried = None;
        self.leader_seen = None;
        self.lost = false;
        let (journal, lead, lock) = match self.store.lead(id, &self.me, Utc::now()) {
            Ok((j, lock)) => (j, Lead::Leading, Some(lock)),
            Err(JournalError::Led { holder, .. }) => match self.store.open(id) {
                Ok(j) => {
                    let shown = holder.to_string();
                    self.leader_seen = Some(holder);
                    self.lead_tried = Some(Instant::now());
                    (j, Lead::ReadOnly { holder: shown }, None)
                }
                Err(e) => return self.problem(e),
            },
            // Handed to someone else, who has the lead kept for them a while: read-only.
            Err(JournalError::Reserved { person, until, .. }) => match self.store.open(id) {
                Ok(j) => {
                    self.lead_tried = Some(Instant::now());
                    let until = until.format("%H:%M:%S UTC");
                    let shown = format!("nobody: kept for {person} until {until} (handed over)");
                    (j, Lead::ReadOnly { holder: shown }, None)
                }
                Err(e) => return self.problem(e),
            },
            Err(e) => return self.problem(e),
        };
        let mut journal = journal;
        for w in journal.take_warnings() {
            self.problem(w);
        }
        // The incident this console leads is recorded to without opening its file again.
        if lock.is_some()
            && let Err(e) = journal.hold_open()
        {
            self.problem(e);
        }
        let entries: Vec<Entry> = journal.records().iter().map(|r| r.entry.clone()).collect();
        self.sent = entries.len();
        let draft = load_draft(&self.draft_path(id));
        self.journals.insert(id.to_string(), journal);
        self.current = Some((id.to_string(), lock));
        self.send(Action::Opened {
            id: id.to_string(),
            entries,
            lead,
            draft,
        });
        // What an earlier run of this console typed while the store was gone (a console
        // killed then): shown, and committed now that the store answers.
        self.send_unshared(id);
        if self.down.is_none() && self.must_queue(id) {
            self.drain(id);
        }
    }

    fn append(&mut self, id: &str, event: Event, clears_draft: bool) {
        let leading = self
            .current
            .as_ref()
            .is_some_and(|(c, lock)| c == id && lock.is_some());
        // Whoever does not lead may still record what is open to all (notes, status
        // updates, task results), under their own name.
        let allowed = leading || crate::domain::non_leader_may(&event);
        if !allowed || !self.journals.contains_key(id) {
            return self.send(Action::AppendFailed {
                id: id.into(),
                reason: format!(
                    "this console does not lead {id}: only its leader records a {}",
                    event.type_name().replace('_', " ")
                ),
            });
        };
        let at = Utc::now();
        let key = match crate::journal::new_key() {
            Ok(key) => key,
            Err(e) => {
                return self.send(Action::AppendFailed {
                    id: id.into(),
                    reason: format!("no random key for the entry: {e}"),
                });
            }
        };
        if self.must_queue(id) {
            return self.queue(id, key, at, event, clears_draft);
        }
        let Some(journal) = self.journals.get_mut(id) else {
            return;
        };
        // Under a key of its own: if the store goes away during it, the entry goes to the
        // outbox under the same key, and a commit that did happen is found, not repeated.
        let result = journal.append_once(&key, &self.me, at, &event);
        let warnings = journal.take_warnings();
        for w in warnings {
            self.problem(w);
        }
        if let Err(JournalError::Store(why)) = result {
            self.store_down(why);
            return self.queue(id, key, at, event, clears_draft);
        }
        match result {
            Ok(_) => {
                if clears_draft {
                    let _ = std::fs::remove_file(self.draft_path(id));
                }
                let entries = self.unsent(id);
                self.send(Action::Appended {
                    id: id.into(),
                    entries,
                    cleared_draft: clears_draft,
                });
                self.send_list();
            }
            Err(e) => self.send(Action::AppendFailed {
                id: id.into(),
                reason: e.to_string(),
            }),
        }
    }

    /// Appends a fact the console learned (a delivery outcome). Unlike typed entries this
    /// needs no lead: like a CLI verb, it only needs the append lock.
    fn record(&mut self, id: &str, event: Event) {
        if !self.journals.contains_key(id) {
            match self.store.open(id) {
                Ok(j) => {
                    self.journals.insert(id.to_string(), j);
                }
                Err(e) => return self.problem(format!("{id}: not recorded: {e}")),
            }
        }
        let what = event.describe();
        if let Some(why) = &self.down {
            return self.problem(format!("{id}: not recorded ({what}): {why}"));
        }
        let Some(journal) = self.journals.get_mut(id) else {
            return;
        };
        if let Err(e) = journal.append(&self.me, Utc::now(), event) {
            self.problem(format!("{id}: not recorded ({what}): {e}"));
        }
        if self.current.as_ref().is_some_and(|(c, _)| c == id) {
            let entries = self.unsent(id);
            if !entries.is_empty() {
                self.send(Action::Entries {
                    id: id.to_string(),
                    entries,
                });
            }
        }
    }

    /// Records the linked alerts' changes, deciding under the append lock so that a change
    /// seen by two consoles (or twice by one) is journaled once.
    fn observe(&mut self, id: &str, alerts: &[std::sync::Arc<crate::domain::Alert>]) {
        // Not queued while the store is gone: decided afresh by the next poll once it answers.
        let Some(journal) = self.journals.get_mut(id).filter(|_| self.down.is_none()) else {
            return;
        };
        let now = Utc::now();
        let result = journal.append_if(&self.me, now, &mut |incident| {
            Ok(incident.and_then(|i| i.alert_changes(alerts, now)))
        });
        match result {
            Ok(Some(_)) => {
                let entries = self.unsent(id);
                self.send(Action::Entries {
                    id: id.to_string(),
                    entries,
                });
            }
            Ok(None) => {}
            Err(JournalError::Store(why)) => self.store_down(why),
            Err(e) => self.problem(format!("{id}: alert changes not recorded: {e}")),
        }
    }

    /// Records services whose state changed, once, deciding under the append lock.
    fn observe_blast(&mut self, id: &str, blast: &crate::domain::BlastRadius) {
        let Some(journal) = self.journals.get_mut(id).filter(|_| self.down.is_none()) else {
            return;
        };
        let result = journal.append_if(&self.me, Utc::now(), &mut |incident| {
            Ok(incident.and_then(|i| i.blast_changes(blast)))
        });
        match result {
            Ok(Some(_)) => {
                let entries = self.unsent(id);
                self.send(Action::Entries {
                    id: id.to_string(),
                    entries,
                });
            }
            Ok(None) => {}
            Err(JournalError::Store(why)) => self.store_down(why),
            Err(e) => self.problem(format!("{id}: blast radius changes not recorded: {e}")),
        }
    }

    /// Issues, rotates or revokes the incident's share token and says what to paste in chat.
    fn share(&mut self, id: &str, base: &str, rotate: bool, revoke: bool) {
        use crate::share::tokens;
        // Kept by the store, so every share server on it honours the token.
        let shares = self.store.shares();
        let text = if revoke {
            match shares.remove(id) {
                Ok(_) => "Sharing revoked: followers are cut off within a second.".to_string(),
                Err(e) => format!("could not revoke: {e}"),
            }
        } else {
            match shares.load(id) {
                // No verdict on whether it is shared, so no new token either.
                Err(e) if !rotate => {
                    format!("could not tell whether {id} is shared: {e}\nTry again in a moment.")
                }
                Ok(Some(r)) if !rotate => format!(
                    "{id} is shared since {} (by {}).\nOnly the token's hash is kept, so the link cannot be shown again.\nPress r for a new link (the old one stops working), x to stop sharing.",
                    r.created_at.format("%H:%M UTC"),
                    r.created_by
                ),
                _ => match tokens::issue_to(shares.as_ref(), id, &self.me, Utc::now()) {
                    Ok(token) => format!(
                        "Paste in chat — read-only, live:\n\n{}\n\nr new link (the old one stops working) · x stop sharing · esc close",
                        crate::share::follow_lines(base, id, &token)
                    ),
                    Err(e) => format!("could not share: {e}"),
                },
            }
        };
        self.send(Action::Shared {
            id: id.to_string(),
            text,
        });
    }

    /// Entries of the current incident not yet sent to the console.
    fn unsent(&mut self, id: &str) -> Vec<Entry> {
        let Some(j) = self.journals.get(id) else {
            return vec![];
        };
        let new: Vec<Entry> = j.records()[self.sent.min(j.records().len())..]
            .iter()
            .map(|r| r.entry.clone())
            .collect();
        self.sent = j.records().len();
        new
    }

    /// Looks for new incidents and new entries written by other processes.
    fn watch(&mut self, first: bool) {
        // While the store is gone, only ask it whether it answers (once a second), rather than
        // wait the seconds each read keeps trying.
        if !self.check_store() {
            return;
        }
        let mut changed = first;
        match self.store.ids() {
            Ok(ids) => {
                let ids: Vec<String> = ids
                    .into_iter()
                    .filter(|id| !self.journals.contains_key(id))
                    .collect();
                changed |= self.list_some(ids, first);
            }
            Err(e) => {
                if first {
                    self.problem(e);
                }
            }
        }
        let mut problems = Vec::new();
        let mut down = None;
        for j in self.journals.values_mut() {
            match j.refresh() {
                Ok(n) => changed |= n > 0,
                Err(JournalError::Store(why)) => {
                    down = Some(why);
                    break;
                }
                Err(e) => problems.push(e.to_string()),
            }
            problems.extend(j.take_warnings());
        }
        if let Some(why) = down {
            self.store_down(why);
        }
        for p in problems {
            self.problem(p);
        }
        if let Some(id) = self.current.as_ref().map(|(id, _)| id.clone()) {
            let new = self.unsent(&id);
            if !new.is_empty() {
                self.send(Action::Entries { id, entries: new });
            }
        }
        if changed {
            self.send_list();
        }
        self.check_lead();
    }

    /// Says at once when the lead of the incident on screen was lost (a lease that ran out
    /// and was taken), and takes the lead of an incident handed to this console's user once
    /// its leader has let go.
    fn check_lead(&mut self) {
        let Some((id, held)) = self.current.as_mut() else {
            return;
        };
        let id = id.clone();
        match held {
            Some(lead) if !lead.is_held() => {
                *held = None;
                if let Some(j) = self.journals.get_mut(&id) {
                    j.release();
                }
                self.lost = true;
                self.lead_tried = Some(Instant::now());
                self.leader_seen = self.store.leader(&id).ok().flatten();
                let holder = self.leader_seen.as_ref().map(|h| h.to_string());
                self.send(Action::LeadChanged {
                    id,
                    lead: Lead::Lost { holder },
                });
            }
            Some(_) => {}
            None => {
                if self
                    .lead_tried
                    .is_some_and(|t| t.elapsed() < TAKE_LEAD_EVERY)
                {
                    return;
                }
                self.lead_tried = Some(Instant::now());
                let handed_to_me = self
                    .journals
                    .get(&id)
                    .and_then(|j| j.incident())
                    .is_some_and(|i| {
                        !i.is_resolved() && i.holder(Role::Commander) == Some(self.me.as_str())
                    });
                if handed_to_me && let Ok((_, lead)) = self.store.lead(&id, &self.me, Utc::now()) {
                    if let Some(j) = self.journals.get_mut(&id)
                        && let Err(e) = j.hold_open()
                    {
                        self.problem(e);
                    }
                    self.current = Some((id.clone(), Some(lead)));
                    self.lost = false;
                    self.leader_seen = None;
                    return self.send(Action::LeadChanged {
                        id,
                        lead: Lead::Leading,
                    });
                }
                // Keep the header true: who leads it now (a store that does not answer
                // changes nothing shown).
                let Ok(now) = self.store.leader(&id) else {
                    return;
                };
                if now == self.leader_seen {
                    return;
                }
                self.leader_seen = now;
                let holder = self.leader_seen.as_ref().map(|h| h.to_string());
                let lead = match holder {
                    _ if self.lost => Lead::Lost { holder },
                    Some(holder) => Lead::ReadOnly { holder },
                    None => Lead::Unled,
                };
                self.send(Action::LeadChanged { id, lead });
            }
        }
    }

    /// Looks at incidents `ids`, none open here, in order: each one's summary, read again only
    /// when its journal moved since (a store that keeps no summaries: its journal opened and
    /// kept open, read whole once); the summaries to read are read together
    /// ([`Store::summaries`]), and taken one after the other. True when what the list shows
    /// may have changed.
    fn list_some(&mut self, ids: Vec<String>, first: bool) -> bool {
        let keeps = self.store.keeps_summaries();
        let moved: Vec<bool> = ids
            .iter()
            .map(|id| {
                keeps
                    && self
                        .listed
                        .get(id)
                        .is_none_or(|(_, stamp)| self.store.changed(id, stamp))
            })
            .collect();
        let to_read: Vec<String> = ids
            .iter()
            .zip(&moved)
            .filter(|(_, moved)| **moved)
            .map(|(id, _)| id.clone())
            .collect();
        let mut read = self.store.summaries(&to_read, false).into_iter();
        let mut changed = false;
        for (id, moved) in ids.into_iter().zip(moved) {
            let looked = match (keeps, moved) {
                (false, _) => self.store.open(&id).map(|j| {
                    self.journals.insert(id.clone(), j);
                    true
                }),
                (true, false) => Ok(false),
                (true, true) => match read.next() {
                    Some(listed) => listed.and_then(|listed| self.take_listed(&id, listed)),
                    None => Ok(false),
                },
            };
            match looked {
                Ok(looked) => changed |= looked,
                // Said at the start, and for a listed incident whose journal can no longer be
                // read (as an open journal's failed refresh is).
                Err(e) if first || self.listed.contains_key(&id) => {
                    self.problem(format!("{id}: {e}"));
                }
                Err(_) => {}
            }
        }
        changed
    }

    /// Takes incident `id`'s summary just read: true when what the list shows of it may have
    /// changed.
    fn take_listed(&mut self, id: &str, listed: Listed) -> Result<bool, JournalError> {
        let Listed {
            summary,
            warnings,
            stamp,
            ..
        } = listed;
        for w in warnings {
            self.problem(w);
        }
        let (Some(summary), Some(stamp)) = (summary, stamp) else {
            // No opening entry (or nowhere to tell a change from): opened as before.
            let j = self.store.open(id)?;
            self.journals.insert(id.to_string(), j);
            self.listed.remove(id);
            return Ok(true);
        };
        let same = self.listed.get(id).is_some_and(|(s, _)| *s == summary);
        self.listed.insert(id.to_string(), (summary, stamp));
        Ok(!same)
    }

    /// The incident list: from the open journals, and the summaries of the others.
    fn send_list(&self) {
        let mut list: BTreeMap<&str, Summary> = self
            .listed
            .iter()
            .map(|(id, (s, _))| (id.as_str(), s.clone()))
            .collect();
        for (id, j) in &self.journals {
            match j.incident() {
                Some(i) => list.insert(id.as_str(), Summary::of(i)),
                None => list.remove(id.as_str()),
            };
        }
        let waiting: Vec<Summary> = self
            .waiting_incidents()
            .iter()
            .filter(|i| !list.contains_key(i.id.as_str()))
            .map(Summary::of)
            .collect();
        let mut all: Vec<Summary> = list.into_values().collect();
        all.extend(waiting);
        self.send(Action::Incidents(all));
    }
}

fn save_draft(path: &std::path::Path, draft: &Draft) -> std::io::Result<()> {
    // Write then rename, so a crash mid-save leaves the previous draft, never half of one.
    // With a shared store, this machine may have no directory for the incident yet.
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec(draft).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn load_draft(path: &std::path::Path) -> Option<Draft> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice::<Draft>(&text)
        .ok()
        .filter(|d| !d.text.trim().is_empty())
}
