//! The console's one state, owned by the event loop and changed only by `update`.

use super::action::{Draft, Lead, Purpose};
use super::keymap::{Chord, KeyProblem, Keymap, Mode};
use crate::domain::{Entry, Event, Incident, Severity, StatusCadence};
use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

/// Smallest terminal the console draws in; below it, an "enlarge" message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

#[derive(Debug)]
pub struct State {
    /// Who records: the author of every event from this console.
    pub me: String,
    pub keymap: Keymap,
    pub cadence: StatusCadence,
    /// When a check-in is stale and relief is suggested (`[roll_call]`).
    pub roll_rules: crate::domain::PracticeRules,
    /// Notices whose dismissal was sent and not yet committed: not shown meanwhile.
    pub dismissing: Vec<String>,
    /// Ring the bell when an update falls due.
    pub bell: bool,
    pub size: (u16, u16),
    /// False until the incident list has been read once.
    pub loaded: bool,
    pub incidents: Vec<crate::journal::Summary>,
    pub show_resolved: bool,
    pub list_cursor: usize,
    pub current: Option<Current>,
    pub modal: Option<Modal>,
    /// Keys of a multi-key sequence typed so far (`g` of `g g`).
    pub pending_keys: Vec<Chord>,
    pub flash: Option<Flash>,
    /// Set when this console follows a shared incident instead of reading a data directory.
    pub follow: Option<FollowState>,
    /// The share server's base URL when `[share]` is configured.
    pub share_base: Option<String>,
    /// Where `e` writes the post-mortem draft (`[postmortem] dir`); none: the current directory.
    pub export_dir: Option<std::path::PathBuf>,
    /// Whether `[pagerduty]` is configured, so `P` can ask it for incidents to link.
    pub pagerduty_configured: bool,
    /// What the PagerDuty picker offers, in its order (PagerDuty's answer and the links).
    pub pagerduty_choices: Vec<PagerDutyChoice>,
    /// The catalog services an on-call source knows (`W`), sorted; empty: none configured.
    pub oncall_services: Vec<String>,
    /// Who the on-call picker offers, and for which service.
    pub oncall_choices: Vec<crate::backends::oncall::OnCallPerson>,
    pub oncall_service: String,
    /// Problems found at start (bad key overrides) or since; shown until dismissed.
    pub problems: Vec<String>,
    /// Appends sent and not yet answered.
    pub saving: u32,
    /// Why the store cannot be reached, while that lasts.
    pub store_down: Option<String>,
    /// Alerts from every configured source; empty sources when none is configured.
    pub board: crate::domain::AlertBoard,
    /// What each alert source (by name) takes back: acknowledge, comment. A source not
    /// listed takes nothing.
    pub write_backs: std::collections::BTreeMap<String, Vec<crate::domain::WriteBack>>,
    /// The board merged, sorted and grouped for the alerts pane; rebuilt when the board
    /// changes ([`State::set_board`], [`State::refresh_alerts`]), never per frame.
    pub alerts_view: AlertsView,
    /// The label alerts are grouped by (`[alerts] group_by`).
    pub group_by: String,
    /// `services.toml`; empty means services are discovered from alert labels.
    pub catalog: crate::domain::ServiceCatalog,
    /// Latest service metrics, and whether (and since when) reading them fails.
    pub metrics: crate::domain::MetricValues,
    pub metrics_expected: bool,
    pub metrics_ok: Option<DateTime<Utc>>,
    pub metrics_error: Option<(DateTime<Utc>, String)>,
    /// Each service's key metric over the last 30 minutes, for sparklines.
    pub history: std::collections::BTreeMap<String, crate::domain::MetricPoints>,
    /// Computed from the alerts, the metrics and the catalog whenever one of them changes.
    pub blast: crate::domain::BlastRadius,
    /// The runbook, and the runs started from this console with their output.
    pub actions: super::runs::ActionsState,
    /// The objection window, the executive summary's cadence and the checklists.
    pub practice: super::practice::PracticeSettings,
    /// The alerting chain as looked at so far, and the dead man's switch to look for.
    pub watch: crate::domain::ChainWatch,
    /// The drill this console plays, when it plays one: its incident and what its review
    /// scores against.
    pub drill: Option<Drill>,
    pub quit: bool,
}

/// A drill's incident and the scenario's facts its review needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub incident: String,
    pub spec: crate::domain::DrillSpec,
}

/// The incident on screen.
#[derive(Debug)]
pub struct Current {
    pub id: String,
    pub entries: Vec<Entry>,
    /// The corrected log: what the outage log shows, in timeline order
    /// (`domain::corrected_log` of `entries`).
    pub log: Vec<crate::domain::Corrected>,
    pub incident: Option<Incident>,
    pub lead: Lead,
    /// Lines scrolled back from the newest (0 follows the log).
    pub scroll: usize,
    pub kind_filter: KindFilter,
    pub text_filter: String,
    pub draft: Option<Draft>,
    /// Why the draft could not be saved, while that lasts: then it is not on disk.
    pub draft_unsaved: Option<String>,
    /// The due time the update prompt was last opened (or the bell rung) for, so each due
    /// time prompts once.
    pub prompted_for: Option<DateTime<Utc>>,
    pub rung_for: Option<DateTime<Utc>>,
    /// Which pane the arrow keys move in.
    pub focus: Pane,
    /// Index into [`State::alert_rows`] of the selected alert.
    pub alert_cursor: usize,
    /// What was still wrong when the leader answered "resolve anyway": not asked again.
    pub resolve_answered: Vec<String>,
    /// The first affected service the blast radius pane shows.
    pub blast_scroll: usize,
    /// Exit criteria as read live, the executive summary's prompt, checklist nags.
    pub practice: super::practice::PracticeLive,
    /// What this console recorded that the store does not hold yet (this machine's outbox):
    /// waiting (`None`) or refused when drained (`Some(why)`), in the order typed.
    pub unshared: Vec<(Entry, Option<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Log,
    Alerts,
    Blast,
}

impl Current {
    pub fn leading(&self) -> bool {
        self.lead == Lead::Leading
    }

    /// Who leads it, when someone else does (or this console's lead was lost), for messages.
    pub fn led_by(&self) -> Option<&str> {
        match &self.lead {
            Lead::ReadOnly { holder } => Some(holder),
            Lead::Lost { holder } => holder.as_deref(),
            _ => None,
        }
    }

    /// The rows of the corrected log that pass the filters, in timeline order.
    pub fn visible(&self) -> impl DoubleEndedIterator<Item = &crate::domain::Corrected> {
        let needle = self.text_filter.to_lowercase();
        self.log.iter().filter(move |r| {
            self.kind_filter.admits(&r.entry.event)
                && (needle.is_empty() || r.entry.event.describe().to_lowercase().contains(&needle))
        })
    }

    /// The selected row of the log (the one at the bottom of the pane), when the log has the
    /// focus.
    pub fn selected_row(&self) -> Option<&crate::domain::Corrected> {
        if self.focus != Pane::Log {
            return None;
        }
        self.visible().rev().nth(self.scroll)
    }
}

/// A follower's view of its link to the share server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowState {
    pub id: String,
    pub source: String,
    pub link: Link,
    /// Whether the leader's alerts and blast radius have arrived.
    pub views: FollowViews,
}

/// A follower's alerts and blast radius: the leader's, once they arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FollowViews {
    /// Nothing yet (the leader's console publishes with its first alert or metrics report).
    #[default]
    Waiting,
    /// The leader's view arrived and is shown.
    Shared,
    /// The leader's console has no view to share (no alert source, no metrics, or no console).
    NotShared,
}

impl FollowViews {
    /// What a follower's alerts and blast panes say instead of a view, if there is none.
    pub fn note(self) -> Option<&'static str> {
        match self {
            FollowViews::Waiting => {
                Some("waiting for the leader's view of alerts and blast radius")
            }
            FollowViews::NotShared => Some("the leader's console shares no alerts or blast radius"),
            FollowViews::Shared => None,
        }
    }

    /// The same, short enough for the one-line strip of a narrow screen.
    pub fn short_note(self) -> Option<&'static str> {
        match self {
            FollowViews::Waiting => Some("waiting for the leader's view"),
            FollowViews::NotShared => Some("the leader shares none"),
            FollowViews::Shared => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Live,
    Reconnecting {
        since: DateTime<Utc>,
        reason: String,
    },
    Stopped(String),
}

/// The alerts pane's rows, computed once per board change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsView {
    /// Merged and sorted by group, then state, then name.
    /// Shared with the board: each alert is held once.
    pub rows: Vec<std::sync::Arc<crate::domain::Alert>>,
    /// Each group's label value and size, in the rows' order.
    pub groups: Vec<(String, usize)>,
    pub firing: usize,
}

/// Which kinds of log entries are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindFilter {
    #[default]
    All,
    Notes,
    Updates,
    Changes,
}

impl KindFilter {
    pub fn next(self) -> KindFilter {
        match self {
            KindFilter::All => KindFilter::Notes,
            KindFilter::Notes => KindFilter::Updates,
            KindFilter::Updates => KindFilter::Changes,
            KindFilter::Changes => KindFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KindFilter::All => "all",
            KindFilter::Notes => "notes",
            KindFilter::Updates => "status updates",
            KindFilter::Changes => "changes",
        }
    }

    pub fn admits(self, e: &Event) -> bool {
        match self {
            KindFilter::All => true,
            KindFilter::Notes => matches!(e, Event::Note { .. }),
            KindFilter::Updates => {
                matches!(
                    e,
                    Event::StatusUpdate { .. } | Event::StatusUpdateSnoozed { .. }
                )
            }
            KindFilter::Changes => !matches!(
                e,
                Event::Note { .. } | Event::StatusUpdate { .. } | Event::StatusUpdateSnoozed { .. }
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub at: DateTime<Utc>,
}

/// Something on top of the screen that takes the keys.
#[derive(Debug)]
pub enum Modal {
    Help {
        scroll: u16,
    },
    Palette {
        query: String,
        selected: usize,
    },
    Editor {
        purpose: Purpose,
        text: TextArea<'static>,
    },
    Picker(Picker),
    NewIncident {
        title: TextArea<'static>,
        severity: Severity,
    },
    AssignPerson {
        role: crate::domain::Role,
        person: TextArea<'static>,
    },
    Handoff {
        person: TextArea<'static>,
    },
    /// Boxed: three text inputs make it by far the largest modal.
    Task(Box<TaskForm>),
    Filter {
        text: TextArea<'static>,
    },
    ConfirmQuit,
    /// The share popup: the exact `warroom follow` line to paste in chat.
    Share {
        text: String,
    },
    /// The dependency view: from the root suspects to the services at risk.
    Dependencies {
        scroll: u16,
    },
    /// The impact chart, as the journal held it when `I` was pressed; none: no reading yet.
    Impact(Box<Option<crate::charts::ImpactChart>>),
    /// Labels, annotations and link of one alert, and how far it is scrolled.
    AlertDetail(Box<crate::domain::Alert>, u16),
    /// A log entry shown whole, wrapped; the arrow keys scroll it.
    Detail(Box<Detail>),
    Silence(Box<SilenceForm>),
    /// An acknowledgement or comment for an alert's source: its text, then "sure?".
    WriteBack(Box<WriteBackForm>),
    /// Before resolving while something is still wrong: resolve anyway? `wrong` lists what;
    /// `summary` is the resolve editor's text when the question comes on sending it.
    ConfirmResolve {
        wrong: Vec<String>,
        summary: Option<TextArea<'static>>,
    },
    /// After resolution: expire the silences created during the incident?
    ExpireSilences(Vec<(String, String)>),
    DraftOffer(Draft),
    /// Runbook actions: picker, parameters, confirmation, output (boxed: the form is large).
    Action(Box<super::runs::ActionModal>),
    /// A follow-up: text, type, owner (boxed: two text inputs).
    FollowUp(Box<FollowUpForm>),
    /// A correction of a log entry, or marking an incident a duplicate: its fields, a
    /// reason, then "sure?".
    Correct(Box<CorrectForm>),
    /// A check-in in the CAN form (boxed: three text inputs).
    CheckIn(Box<CheckInForm>),
    /// "Call the roll?": `y` calls it.
    ConfirmRollCall,
    /// "Page this person for this service?": `y` pages (`W`).
    ConfirmPage {
        service: String,
        person: Box<crate::backends::oncall::OnCallPerson>,
    },
    /// `:report`: the figures of the last 90 days, once read (none while loading).
    Report(Option<Box<crate::report::Figures>>),
    /// The roll call, or (`work`) the work board; the first row shown.
    Board {
        work: bool,
        scroll: u16,
    },
}

/// Which correction a [`CorrectForm`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectKind {
    Amend,
    Retract,
    Move,
    Redact,
    Duplicate,
}

/// A correction as typed: the entry (or incident) it is about, its fields, and a reason;
/// `confirming` once enter was pressed on the reason.
#[derive(Debug)]
pub struct CorrectForm {
    pub kind: CorrectKind,
    /// The incident the correction is recorded in (for a duplicate: the duplicate).
    pub id: String,
    /// The entry corrected (none for a duplicate).
    pub seq: u64,
    /// The entry (or incident) as shown, on one line.
    pub what: String,
    /// When the entry was recorded: an amended time is read on its day.
    pub recorded_at: DateTime<Utc>,
    /// Amend: the note's text (none when the entry is not a note). Move, duplicate: the other
    /// incident.
    pub text: Option<TextArea<'static>>,
    /// Amend: when it happened, HH:MM:SS UTC.
    pub at: Option<TextArea<'static>>,
    /// Amend a note: its kind, changed with ←/→ (shown first with the note's own).
    pub note_kind: Option<crate::domain::NoteKind>,
    pub reason: TextArea<'static>,
    /// 0 text, 1 at, 3 kind, 2 reason, in that order (absent fields are skipped).
    pub field: usize,
    pub confirming: bool,
}

/// A check-in: Conditions (what I see), Actions (what I am doing), Needs (what I need).
#[derive(Debug)]
pub struct CheckInForm {
    pub conditions: TextArea<'static>,
    pub actions: TextArea<'static>,
    pub needs: TextArea<'static>,
    /// 0 conditions, 1 actions, 2 needs.
    pub field: usize,
}

/// A text shown whole in a popup: its title, the text, and the first row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub title: String,
    pub text: String,
    pub scroll: u16,
}

/// Capturing a follow-up: what to do, its type, who owns it.
#[derive(Debug)]
pub struct FollowUpForm {
    pub text: TextArea<'static>,
    pub kind: crate::domain::FollowUpKind,
    pub owner: TextArea<'static>,
    /// 0 text, 1 type, 2 owner.
    pub field: usize,
}

/// Handing out a task: who, what, how long.
#[derive(Debug)]
pub struct TaskForm {
    pub person: TextArea<'static>,
    pub what: TextArea<'static>,
    pub minutes: TextArea<'static>,
    /// 0 person, 1 what, 2 minutes.
    pub field: usize,
}

/// Creating a silence: matchers prefilled from the alert, a duration, and a comment naming
/// the incident.
#[derive(Debug)]
pub struct SilenceForm {
    pub sources: Vec<String>,
    pub matchers: TextArea<'static>,
    pub duration: TextArea<'static>,
    pub comment: TextArea<'static>,
    pub field: usize,
}

/// What is about to be written back to an alert's sources, as typed; `confirming` once
/// enter was pressed on the text.
#[derive(Debug, Clone)]
pub struct WriteBackForm {
    pub alert: crate::domain::Alert,
    pub kind: crate::domain::WriteBack,
    /// The alert's sources that take `kind`.
    pub sources: Vec<String>,
    pub text: TextArea<'static>,
    pub confirming: bool,
}

/// A short list to choose one value from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickerKind,
    pub options: Vec<String>,
    pub selected: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Severity,
    Status,
    Role,
    /// Open tasks: enter marks done, x cancels.
    Task,
    Snooze,
    /// PagerDuty incidents ([`State::pagerduty_choices`]): enter links or unlinks.
    PagerDuty,
    /// Who is on call for a service ([`State::oncall_choices`]): enter pages, once confirmed.
    OnCall,
    /// How the open decision ends: decided, withdrawn, amended.
    DecisionClose,
    /// Exit criteria: a new one, or tick / untick a manual one.
    Criteria,
    /// The checklist's open items: enter ticks, x dismisses.
    Checklist,
}

impl PickerKind {
    pub fn title(self) -> &'static str {
        match self {
            PickerKind::Severity => "Severity",
            PickerKind::Status => "Status",
            PickerKind::Role => "Assign role",
            PickerKind::Task => "Task done (x cancels it)",
            PickerKind::Snooze => "Snooze the status update",
            PickerKind::PagerDuty => "PagerDuty incident (enter links or unlinks)",
            PickerKind::OnCall => "Who is on call (enter pages)",
            PickerKind::DecisionClose => "Close the decision",
            PickerKind::Criteria => "Exit criteria (enter: set a new one, or tick a manual one)",
            PickerKind::Checklist => "Checklist (enter: done, x: dismiss)",
        }
    }
}

/// One PagerDuty incident the call leader may link to the incident, or unlink from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerDutyChoice {
    pub id: String,
    pub number: Option<u64>,
    /// On one line, cut to what a journal line holds.
    pub title: String,
    /// `triggered`, `acknowledged`, …; empty when PagerDuty did not list it (only linked).
    pub status: String,
    pub url: Option<String>,
}

impl PagerDutyChoice {
    pub fn from_incident(i: &crate::backends::pagerduty::Incident) -> PagerDutyChoice {
        PagerDutyChoice {
            id: i.id.clone(),
            number: Some(i.incident_number).filter(|n| *n > 0),
            title: i.title_line(crate::domain::MAX_LINE_CHARS),
            status: crate::backends::http::one_line_cut(&i.status, 20),
            url: i.html_url.clone(),
        }
    }
}

impl State {
    /// Whether this console may not run the recording command `cmd` because it does not lead
    /// the incident: a follower records nothing (but its own copy of the post-mortem), a
    /// console on an incident led elsewhere only what is open to all.
    pub fn refuses_here(&self, cmd: super::keymap::Command) -> bool {
        if !cmd.mutates() {
            return false;
        }
        if self.follow.is_some() {
            return !cmd.follower_may();
        }
        self.current
            .as_ref()
            .is_some_and(|c| !c.leading() && !cmd.open_to_all())
    }

    pub fn new(me: String, keymap: Keymap, problems: Vec<KeyProblem>) -> State {
        State {
            me,
            keymap,
            cadence: StatusCadence::default(),
            roll_rules: Default::default(),
            dismissing: Vec::new(),
            bell: false,
            size: (80, 24),
            loaded: false,
            incidents: Vec::new(),
            show_resolved: false,
            list_cursor: 0,
            current: None,
            modal: None,
            pending_keys: Vec::new(),
            flash: None,
            follow: None,
            share_base: None,
            export_dir: None,
            pagerduty_configured: false,
            pagerduty_choices: Vec::new(),
            oncall_services: Vec::new(),
            oncall_choices: Vec::new(),
            oncall_service: String::new(),
            problems: problems
                .iter()
                .map(|p| format!("config.toml: {p}"))
                .collect(),
            saving: 0,
            store_down: None,
            board: Default::default(),
            write_backs: Default::default(),
            alerts_view: Default::default(),
            group_by: "service".into(),
            catalog: Default::default(),
            metrics: Default::default(),
            metrics_expected: false,
            metrics_ok: None,
            metrics_error: None,
            history: Default::default(),
            blast: Default::default(),
            actions: Default::default(),
            practice: Default::default(),
            watch: Default::default(),
            drill: None,
            quit: false,
        }
    }

    pub fn mode(&self) -> Mode {
        if self.current.is_some() {
            Mode::Incident
        } else {
            Mode::List
        }
    }

    /// The incidents the list shows, in its order.
    pub fn listed(&self) -> Vec<&crate::journal::Summary> {
        let mut v: Vec<&crate::journal::Summary> = self
            .incidents
            .iter()
            .filter(|i| self.show_resolved || !i.is_resolved())
            .collect();
        v.sort_by(|a, b| {
            (a.is_resolved(), a.severity, a.opened_at).cmp(&(
                b.is_resolved(),
                b.severity,
                b.opened_at,
            ))
        });
        v
    }

    /// True while a clock on screen moves: the 1 Hz timer runs only then.
    pub fn countdown_visible(&self) -> bool {
        // A run's spinner and elapsed time move too.
        if self.actions.any_running() {
            return true;
        }
        match &self.current {
            Some(c) => c.incident.as_ref().is_some_and(|i| !i.is_resolved()),
            None => self.listed().iter().any(|i| !i.is_resolved()),
        }
    }

    /// The alerts the pane lists, in its order: grouped by the group label, firing first.
    pub fn alert_rows(&self) -> &[std::sync::Arc<crate::domain::Alert>] {
        &self.alerts_view.rows
    }

    /// Replaces the alert board (and what is derived from it).
    pub fn set_board(&mut self, board: crate::domain::AlertBoard) {
        self.board = board;
        self.refresh_alerts();
    }

    /// Rebuilds the pane's rows and groups and the blast radius after the board changed.
    pub fn refresh_alerts(&mut self) {
        let mut rows = self.board.merged_shared();
        let group_by = self.group_by.clone();
        // Sort on a key computed once per alert, not once per comparison.
        rows.sort_by_cached_key(|a| {
            (
                a.label(&group_by).unwrap_or("~").to_string(),
                a.state,
                a.name().to_string(),
            )
        });
        let mut groups: Vec<(String, usize)> = Vec::new();
        for a in &rows {
            let key = a.label(&group_by).unwrap_or("(none)");
            match groups.last_mut() {
                Some((k, n)) if k == key => *n += 1,
                _ => groups.push((key.to_string(), 1)),
            }
        }
        let firing = rows.iter().filter(|a| a.is_firing()).count();
        self.alerts_view = AlertsView {
            rows,
            groups,
            firing,
        };
        self.recompute_blast();
    }

    /// True once every source has answered at least once: only then does an alert's absence
    /// mean it resolved.
    pub fn alerts_complete(&self) -> bool {
        !self.board.sources.is_empty() && self.board.sources.iter().all(|s| s.last_ok.is_some())
    }

    /// True when the blast radius rests on complete data: every alert source and the metrics
    /// have answered at least once. Only then are its changes journaled.
    pub fn blast_ready(&self) -> bool {
        let alerts = self.board.sources.is_empty() || self.alerts_complete();
        let metrics = !self.metrics_expected || self.metrics_ok.is_some();
        alerts && metrics && (!self.board.sources.is_empty() || self.metrics_expected)
    }

    /// Recomputes the blast radius from the current alerts, metrics and catalog, with each
    /// key metric's recent peak (recorded when a service gets better).
    pub fn recompute_blast(&mut self) {
        self.blast =
            crate::domain::blast_radius(&self.catalog, &self.alerts_view.rows, &self.metrics);
        if let Some(read_at) = self.metrics_ok {
            crate::domain::attach_peaks(&mut self.blast, &self.history, read_at);
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }
}

/// A one-line or multi-line text input with warroom's look.
pub fn text_input(initial: &str, placeholder: &str) -> TextArea<'static> {
    let lines: Vec<String> = if initial.is_empty() {
        vec![String::new()]
    } else {
        initial.split('\n').map(str::to_string).collect()
    };
    let mut t = TextArea::new(lines);
    t.set_placeholder_text(placeholder);
    t.set_cursor_line_style(ratatui::style::Style::default());
    // Long lines wrap at words, as in any editor people type prose into.
    t.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

pub fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}
