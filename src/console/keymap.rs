//! Keys as data: per-mode bindings of key sequences to [`Command`]s, defaults plus the user's
//! overrides from `config.toml` (`[keys.incident] "ctrl-n" = "note"`). The help screen and the
//! command palette are generated from this table, so they can never disagree with it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// What a call leader can ask for by key or by name in the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
    Help,
    Palette,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Back,
    NewIncident,
    ToggleResolved,
    Note,
    Hypothesis,
    Decision,
    StatusUpdate,
    Severity,
    Status,
    Assign,
    TakeCommand,
    Resolve,
    Filter,
    KindFilter,
    ClearFilter,
    Task,
    TaskDone,
    Snooze,
    Handoff,
    FocusNext,
    LinkAlert,
    Silence,
    Dependencies,
    Share,
    Actions,
    ActionOutput,
    Export,
    FollowUp,
    PagerDuty,
    OnCall,
    Acknowledge,
    Comment,
    Amend,
    Retract,
    MoveEntry,
    Redact,
    MarkDuplicate,
    CheckIn,
    RollCall,
    Board,
    Propose,
    Object,
    ExitCriteria,
    ExecutiveSummary,
    Checklist,
    ImpactChart,
    Review,
    ReviewActionable,
    ReviewNoise,
    MissingAlert,
    Report,
}

impl Command {
    pub const ALL: &'static [Command] = &[
        Command::Quit,
        Command::Help,
        Command::Palette,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::Enter,
        Command::Back,
        Command::NewIncident,
        Command::ToggleResolved,
        Command::Note,
        Command::Hypothesis,
        Command::Decision,
        Command::StatusUpdate,
        Command::Severity,
        Command::Status,
        Command::Assign,
        Command::TakeCommand,
        Command::Resolve,
        Command::Filter,
        Command::KindFilter,
        Command::ClearFilter,
        Command::Task,
        Command::TaskDone,
        Command::Snooze,
        Command::Handoff,
        Command::FocusNext,
        Command::LinkAlert,
        Command::Silence,
        Command::Dependencies,
        Command::Share,
        Command::Actions,
        Command::ActionOutput,
        Command::Export,
        Command::FollowUp,
        Command::PagerDuty,
        Command::OnCall,
        Command::Acknowledge,
        Command::Comment,
        Command::Amend,
        Command::Retract,
        Command::MoveEntry,
        Command::Redact,
        Command::MarkDuplicate,
        Command::CheckIn,
        Command::RollCall,
        Command::Board,
        Command::Propose,
        Command::Object,
        Command::ExitCriteria,
        Command::ExecutiveSummary,
        Command::Checklist,
        Command::ImpactChart,
        Command::Review,
        Command::ReviewActionable,
        Command::ReviewNoise,
        Command::MissingAlert,
        Command::Report,
    ];

    /// The name used in config and the palette.
    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Palette => "palette",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page-up",
            Command::PageDown => "page-down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Enter => "enter",
            Command::Back => "back",
            Command::NewIncident => "new-incident",
            Command::ToggleResolved => "toggle-resolved",
            Command::Note => "note",
            Command::Hypothesis => "hypothesis",
            Command::Decision => "decision",
            Command::StatusUpdate => "status-update",
            Command::Severity => "severity",
            Command::Status => "status",
            Command::Assign => "assign",
            Command::TakeCommand => "take-command",
            Command::Resolve => "resolve",
            Command::Filter => "filter",
            Command::KindFilter => "kind-filter",
            Command::ClearFilter => "clear-filter",
            Command::Task => "task",
            Command::TaskDone => "task-done",
            Command::Snooze => "snooze",
            Command::Handoff => "handoff",
            Command::FocusNext => "focus-next",
            Command::LinkAlert => "link-alert",
            Command::Silence => "silence",
            Command::Dependencies => "dependencies",
            Command::Share => "share",
            Command::Actions => "actions",
            Command::ActionOutput => "action-output",
            Command::Export => "export",
            Command::FollowUp => "follow-up",
            Command::PagerDuty => "pagerduty",
            Command::OnCall => "oncall",
            Command::Acknowledge => "acknowledge",
            Command::Comment => "comment",
            Command::Amend => "amend",
            Command::Retract => "retract",
            Command::MoveEntry => "move-entry",
            Command::Redact => "redact",
            Command::MarkDuplicate => "mark-duplicate",
            Command::CheckIn => "check-in",
            Command::RollCall => "roll-call",
            Command::Board => "board",
            Command::Propose => "propose",
            Command::Object => "object",
            Command::ExitCriteria => "exit-criteria",
            Command::ExecutiveSummary => "executive-summary",
            Command::Checklist => "checklist",
            Command::ImpactChart => "impact-chart",
            Command::Review => "review",
            Command::ReviewActionable => "actionable",
            Command::ReviewNoise => "noise",
            Command::MissingAlert => "missing-alert",
            Command::Report => "report",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Command::Quit => "quit warroom",
            Command::Help => "show every key",
            Command::Palette => "run a command by name",
            Command::Up => "move up / scroll the log back",
            Command::Down => "move down / scroll the log forward",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "go to the top",
            Command::Bottom => "go to the bottom (newest)",
            Command::Enter => "open the selected incident",
            Command::Back => "back to the incident list",
            Command::NewIncident => "open a new incident",
            Command::ToggleResolved => "show or hide resolved incidents",
            Command::Note => "write an observation",
            Command::Hypothesis => "write a hypothesis",
            Command::Decision => "record a decision",
            Command::StatusUpdate => "write a status update",
            Command::Severity => "change severity",
            Command::Status => "change status",
            Command::Assign => "assign a role (enter on the name: yourself)",
            Command::TakeCommand => "take command: you become the commander",
            Command::Resolve => "resolve the incident",
            Command::Filter => "filter the log by text",
            Command::KindFilter => "cycle the log filter by kind",
            Command::ClearFilter => "clear the log filters",
            Command::Task => "hand someone a time-boxed task",
            Command::TaskDone => "mark a task done or cancelled",
            Command::Snooze => "snooze the status update 2 or 5 minutes",
            Command::Handoff => "hand command to someone else",
            Command::FocusNext => "move between the log and the alerts",
            Command::LinkAlert => "link or unlink the selected alert",
            Command::Silence => "silence the selected alert",
            Command::Dependencies => "show how the failure spreads through dependencies",
            Command::Share => "share read-only: the `warroom follow` line for chat",
            Command::Actions => "run a runbook action (flag off, roll back, shed load)",
            Command::ActionOutput => "show the output of the latest action run",
            Command::Export => "write the post-mortem draft to a file",
            Command::FollowUp => "add a follow-up (an action item)",
            Command::PagerDuty => "link or unlink a PagerDuty incident",
            Command::OnCall => "who is on call for the most affected service; enter pages",
            Command::Acknowledge => "acknowledge the alert in its source (Nagios, Icinga)",
            Command::Comment => "add a comment to the alert in its source",
            Command::Amend => {
                "amend the selected log entry: its text, its kind, or when it happened"
            }
            Command::Retract => "retract the selected note (it stays, struck through)",
            Command::MoveEntry => "move the selected note to the incident it belongs to",
            Command::Redact => "redact the selected entry: its text leaves the journal",
            Command::MarkDuplicate => "mark the selected incident a duplicate and merge it",
            Command::CheckIn => "check in: Conditions, Actions, Needs",
            Command::RollCall => "call the roll: everyone on it checks in",
            Command::Board => "the roll call and the work board (tab switches)",
            Command::Propose => "propose a decision and wait for objections (again: close it)",
            Command::Object => "object to the open decision, with a reason",
            Command::ExitCriteria => "set an exit criterion, or tick a manual one",
            Command::ExecutiveSummary => "write the executive summary",
            Command::Checklist => "tick or dismiss the checklist's items",
            Command::ImpactChart => "the key metric over the incident, milestones marked",
            Command::Review => "the drill's review: its scores against the practice",
            Command::ReviewActionable => "review the alert: it called for action",
            Command::ReviewNoise => "review the alert: it was noise",
            Command::MissingAlert => "record an alert that should have fired and did not",
            Command::Report => "the report across incidents: the last 90 days",
        }
    }

    /// Commands that record something: absent for a read-only viewer.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Command::NewIncident
                | Command::Note
                | Command::Hypothesis
                | Command::Decision
                | Command::StatusUpdate
                | Command::Severity
                | Command::Status
                | Command::Assign
                | Command::TakeCommand
                | Command::Resolve
                | Command::Task
                | Command::TaskDone
                | Command::Snooze
                | Command::Handoff
                | Command::LinkAlert
                | Command::Silence
                | Command::Share
                | Command::Actions
                | Command::Export
                | Command::FollowUp
                | Command::PagerDuty
                | Command::OnCall
                | Command::Acknowledge
                | Command::Comment
                | Command::ReviewActionable
                | Command::ReviewNoise
                | Command::MissingAlert
                | Command::Amend
                | Command::Retract
                | Command::MoveEntry
                | Command::Redact
                | Command::MarkDuplicate
                | Command::CheckIn
                | Command::RollCall
                | Command::Propose
                | Command::Object
                | Command::ExitCriteria
                | Command::ExecutiveSummary
                | Command::Checklist
        )
    }

    /// Recording commands a follower may still use, for itself: the post-mortem draft is
    /// written as a local copy and recorded nowhere.
    pub fn follower_may(self) -> bool {
        matches!(self, Command::Export)
    }

    /// Recording commands a console may use on an incident someone else leads: those whose
    /// events [`crate::domain::non_leader_may`] leaves open to all (notes, hypotheses, status
    /// updates, a check-in, a task's result), recorded under the console user's own name.
    pub fn open_to_all(self) -> bool {
        matches!(
            self,
            Command::Note
                | Command::Hypothesis
                | Command::StatusUpdate
                | Command::CheckIn
                | Command::TaskDone
                | Command::Object
        )
    }

    /// Commands that still make sense once the incident is resolved: the post-mortem's.
    pub fn after_resolution(self) -> bool {
        matches!(
            self,
            Command::Export
                | Command::FollowUp
                | Command::ReviewActionable
                | Command::ReviewNoise
                | Command::MissingAlert
                | Command::Amend
                | Command::Retract
                | Command::MoveEntry
                | Command::Redact
        )
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Where keys are read: the incident list, one incident, an alert's details, or anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Global,
    List,
    Incident,
    /// The alert details popup: what can be written back to the alert's source. Its other
    /// keys (link, silence) are the incident's.
    Alert,
}

impl Mode {
    pub const ALL: &'static [Mode] = &[Mode::Global, Mode::List, Mode::Incident, Mode::Alert];
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::List => "list",
            Mode::Incident => "incident",
            Mode::Alert => "alert",
        }
    }
}

/// One key press with modifiers, written `ctrl-c`, `enter`, `G`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Chord {
    pub fn from_event(e: &KeyEvent) -> Chord {
        // Shift is part of the character for printable keys ('G' not shift-g).
        let mods = match e.code {
            KeyCode::Char(_) => e.modifiers - KeyModifiers::SHIFT,
            _ => e.modifiers,
        };
        Chord { code: e.code, mods }
    }

    pub fn parse(s: &str) -> Result<Chord, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }),
                    (Some('f'), Some(_)) | (Some('F'), Some(_)) => {
                        let n: u8 = rest[1..]
                            .parse()
                            .map_err(|_| format!("unknown key '{s}'"))?;
                        KeyCode::F(n)
                    }
                    _ => return Err(format!("unknown key '{s}'")),
                }
            }
        };
        if let KeyCode::Char(_) = code {
            mods -= KeyModifiers::SHIFT;
        }
        Ok(Chord { code, mods })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// A key sequence (`g g`) bound to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Chord>,
    pub command: Command,
}

impl Binding {
    pub fn keys_text(&self) -> String {
        self.keys
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The answer to "what do these keys mean here?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Run(Command),
    /// A prefix of a longer binding: wait for the next key.
    Pending,
    Unbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    modes: BTreeMap<Mode, Vec<Binding>>,
}

/// A key override that could not be used: shown at start, and by `check-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub mode: String,
    pub key: String,
    /// What is wrong: the mode, the key sequence, or the command it names.
    pub part: crate::config::KeyPart,
    pub reason: String,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "keys.{}.\"{}\": {}", self.mode, self.key, self.reason)
    }
}

const DEFAULTS: &[(Mode, &str, Command)] = &[
    (Mode::Global, "?", Command::Help),
    (Mode::Global, ":", Command::Palette),
    (Mode::Global, "q", Command::Quit),
    (Mode::Global, "ctrl-c", Command::Quit),
    (Mode::List, "up", Command::Up),
    (Mode::List, "k", Command::Up),
    (Mode::List, "down", Command::Down),
    (Mode::List, "j", Command::Down),
    (Mode::List, "g g", Command::Top),
    (Mode::List, "G", Command::Bottom),
    (Mode::List, "enter", Command::Enter),
    (Mode::List, "o", Command::NewIncident),
    (Mode::List, "r", Command::ToggleResolved),
    (Mode::List, "D", Command::MarkDuplicate),
    (Mode::Incident, "esc", Command::Back),
    (Mode::Incident, "up", Command::Up),
    (Mode::Incident, "k", Command::Up),
    (Mode::Incident, "down", Command::Down),
    (Mode::Incident, "j", Command::Down),
    (Mode::Incident, "pgup", Command::PageUp),
    (Mode::Incident, "pgdn", Command::PageDown),
    (Mode::Incident, "g g", Command::Top),
    (Mode::Incident, "G", Command::Bottom),
    (Mode::Incident, "n", Command::Note),
    (Mode::Incident, "h", Command::Hypothesis),
    (Mode::Incident, "d", Command::Decision),
    (Mode::Incident, "u", Command::StatusUpdate),
    (Mode::Incident, "s", Command::Severity),
    (Mode::Incident, "S", Command::Status),
    (Mode::Incident, "a", Command::Assign),
    (Mode::Incident, "C", Command::TakeCommand),
    (Mode::Incident, "R", Command::Resolve),
    (Mode::Incident, "/", Command::Filter),
    (Mode::Incident, "F", Command::KindFilter),
    (Mode::Incident, "f", Command::FollowUp),
    (Mode::Incident, "e", Command::Export),
    (Mode::Incident, "x", Command::ClearFilter),
    (Mode::Incident, "t", Command::Task),
    (Mode::Incident, "c", Command::TaskDone),
    (Mode::Incident, "z", Command::Snooze),
    (Mode::Incident, "H", Command::Handoff),
    (Mode::Incident, "tab", Command::FocusNext),
    (Mode::Incident, "enter", Command::Enter),
    (Mode::Incident, "l", Command::LinkAlert),
    (Mode::Incident, "m", Command::Silence),
    (Mode::Incident, "b", Command::Dependencies),
    (Mode::Incident, "p", Command::Share),
    (Mode::Incident, "A", Command::Actions),
    (Mode::Incident, "O", Command::ActionOutput),
    (Mode::Incident, "P", Command::PagerDuty),
    (Mode::Incident, "W", Command::OnCall),
    (Mode::Incident, "E", Command::Amend),
    (Mode::Incident, "r", Command::Retract),
    (Mode::Incident, "V", Command::MoveEntry),
    (Mode::Incident, "Z", Command::Redact),
    (Mode::Incident, "i", Command::CheckIn),
    (Mode::Incident, "K", Command::RollCall),
    (Mode::Incident, "w", Command::Board),
    (Mode::Incident, "I", Command::ImpactChart),
    (Mode::Incident, "D", Command::Propose),
    (Mode::Incident, "o", Command::Object),
    (Mode::Incident, "X", Command::ExitCriteria),
    (Mode::Incident, "U", Command::ExecutiveSummary),
    (Mode::Incident, "v", Command::Checklist),
    (Mode::Alert, "a", Command::Acknowledge),
    (Mode::Alert, "c", Command::Comment),
    (Mode::Alert, "y", Command::ReviewActionable),
    (Mode::Alert, "N", Command::ReviewNoise),
    (Mode::Incident, "M", Command::MissingAlert),
];

fn parse_sequence(s: &str) -> Result<Vec<Chord>, String> {
    let keys: Vec<Chord> = s
        .split_whitespace()
        .map(Chord::parse)
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err("empty key".into());
    }
    Ok(keys)
}

impl Default for Keymap {
    fn default() -> Keymap {
        let mut modes: BTreeMap<Mode, Vec<Binding>> = BTreeMap::new();
        for (mode, keys, command) in DEFAULTS {
            if let Ok(keys) = parse_sequence(keys) {
                modes.entry(*mode).or_default().push(Binding {
                    keys,
                    command: *command,
                });
            }
        }
        Keymap { modes }
    }
}

impl Keymap {
    /// Defaults with the user's overrides applied. An override replaces whatever the same key
    /// sequence meant in that mode; `"x" = "none"` unbinds. Bad entries are skipped and
    /// returned, never fatal: a typo in a key must not keep a call leader out of the console.
    pub fn with_overrides(
        overrides: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> (Keymap, Vec<KeyProblem>) {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (mode_name, keys) in overrides {
            let Some(mode) = Mode::ALL.iter().copied().find(|m| m.name() == mode_name) else {
                problems.push(KeyProblem {
                    mode: mode_name.clone(),
                    key: String::new(),
                    part: crate::config::KeyPart::Mode,
                    reason: format!(
                        "unknown mode '{mode_name}' (expected global, list, incident or alert)"
                    ),
                });
                continue;
            };
            for (key, command_name) in keys {
                let chords = match parse_sequence(key) {
                    Ok(c) => c,
                    Err(reason) => {
                        problems.push(KeyProblem {
                            mode: mode_name.clone(),
                            key: key.clone(),
                            part: crate::config::KeyPart::Key,
                            reason,
                        });
                        continue;
                    }
                };
                let command = if command_name == "none" {
                    None
                } else if let Some(c) = Command::from_name(command_name) {
                    Some(c)
                } else {
                    problems.push(KeyProblem {
                        mode: mode_name.clone(),
                        key: key.clone(),
                        part: crate::config::KeyPart::Command,
                        reason: format!(
                            "unknown command '{command_name}' (see `:` in the console for names)"
                        ),
                    });
                    continue;
                };
                let list = map.modes.entry(mode).or_default();
                list.retain(|b| b.keys != chords);
                if let Some(command) = command {
                    list.insert(
                        0,
                        Binding {
                            keys: chords,
                            command,
                        },
                    );
                }
            }
        }
        (map, problems)
    }

    /// Resolves `pressed` (the pending prefix plus the newest key) in `mode`, falling back to
    /// the global bindings.
    pub fn resolve(&self, mode: Mode, pressed: &[Chord]) -> Resolution {
        let mut pending = false;
        for m in [mode, Mode::Global] {
            for b in self.modes.get(&m).map(Vec::as_slice).unwrap_or_default() {
                if b.keys == pressed {
                    return Resolution::Run(b.command);
                }
                if b.keys.len() > pressed.len() && b.keys.starts_with(pressed) {
                    pending = true;
                }
            }
        }
        if pending {
            Resolution::Pending
        } else {
            Resolution::Unbound
        }
    }

    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        self.modes.get(&mode).map(Vec::as_slice).unwrap_or_default()
    }

    /// The first key sequence bound to `command` in `mode` or globally, for footers.
    pub fn key_for(&self, mode: Mode, command: Command) -> Option<String> {
        [mode, Mode::Global]
            .iter()
            .flat_map(|m| self.bindings(*m))
            .find(|b| b.command == command)
            .map(Binding::keys_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_key_sequence_waits_for_its_second_key() {
        let k = Keymap::default();
        let g = Chord::parse("g").unwrap();
        assert_eq!(k.resolve(Mode::List, &[g]), Resolution::Pending);
        assert_eq!(
            k.resolve(Mode::List, &[g, g]),
            Resolution::Run(Command::Top)
        );
        assert_eq!(
            k.resolve(Mode::Incident, &[Chord::parse("?").unwrap()]),
            Resolution::Run(Command::Help)
        );
    }

    #[test]
    fn overrides_replace_defaults_and_bad_ones_are_reported_with_the_key() {
        let mut o = BTreeMap::new();
        o.insert(
            "incident".to_string(),
            BTreeMap::from([
                ("ctrl-n".to_string(), "note".to_string()),
                ("n".to_string(), "none".to_string()),
                ("z".to_string(), "explode".to_string()),
                ("ctrl-".to_string(), "note".to_string()),
            ]),
        );
        let (k, problems) = Keymap::with_overrides(&o);
        assert_eq!(
            k.resolve(Mode::Incident, &[Chord::parse("ctrl-n").unwrap()]),
            Resolution::Run(Command::Note)
        );
        assert_eq!(
            k.resolve(Mode::Incident, &[Chord::parse("n").unwrap()]),
            Resolution::Unbound
        );
        let texts: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("keys.incident.\"z\": unknown command 'explode'"))
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("keys.incident.\"ctrl-\""))
        );
    }
}
