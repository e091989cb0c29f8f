//! The headless command line: one verb per file, each thin — parse, call the core, print.
//!
//! Exit codes (a contract scripts rely on): 0 success; 1 failure at run time (I/O, a damaged
//! journal, an incident led elsewhere); 2 bad usage or bad input, with a one-line message
//! naming what was wrong.

/// `println!` for the verbs: through [`out::print`], so a closed pipe ends warroom quietly
/// instead of panicking (the standard macro's behaviour). Defined before the verbs' modules,
/// it is the `println!` every one of them uses.
macro_rules! println {
    () => {
        $crate::cli::out::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for the verbs: a closed standard error is ignored rather than a panic.
macro_rules! eprintln {
    () => {
        $crate::cli::out::eprint(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::eprint(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `println!` for text a person reads: every control character that came with the text
/// (a title, a label, a server's words) is shown as `·`, never sent
/// ([`crate::domain::for_terminal`]); line breaks and tabs stay.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::domain::for_terminal(&::std::format!($($arg)*)))
    };
}

/// `eprintln!` as [`say!`] is `println!`.
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::domain::for_terminal(&::std::format!($($arg)*)))
    };
}

/// `println!` of JSON text: DEL and C1 escaped as well (`serde_json` escapes the rest).
macro_rules! say_json {
    ($json:expr) => {
        println!("{}", $crate::domain::json_for_terminal(&$json))
    };
}

pub mod out;

mod actions;
mod alerts;
mod blast;
mod check_config;
mod correct;
mod doctor;
mod drill;
mod export;
mod followup;
mod list;
mod log;
mod oncall;
mod open;
mod packaging;
mod pagerduty;
mod practice;
mod probe;
mod record;
mod report;
mod roll;
mod share;
mod store;
mod tasks;
mod verify;
mod write_back;

use crate::config::{self, Paths};
pub use crate::context::{Context, Failure};
use crate::domain::{ExportFormat, FollowUpKind, NoteKind, Role, Severity, Status};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "warroom",
    version = env!("WARROOM_VERSION"),
    about = "A terminal console for leading an outage",
    long_about = "A terminal console for leading an outage. With no command, opens the console \
                  on the incidents in the data directory."
)]
pub struct Cli {
    // The global options' variables are read by `Cli::with_env`, not by the parser: a value
    // the parser takes from the environment counts as given, and clap then shows the option
    // in every usage line as if it were required.
    /// Where incident journals are kept [default: $WARROOM_DATA_DIR, else the platform's data
    /// directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The config.toml to read; services.toml and runbook.toml sit beside it [default:
    /// $WARROOM_CONFIG, else config.toml in the platform's config directory].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Console theme: default, light, high-contrast, colorblind, or a user theme [default:
    /// $WARROOM_THEME, else config.toml's theme].
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Who is recording [default: $WARROOM_USER, else the login name].
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub author: Option<String>,
    /// Keep incidents in this shared PostgreSQL store, e.g.
    /// postgres://warroom@db.example:5432/warroom, without a password (`ps` shows arguments
    /// to everyone: put it in PGPASSFILE or WARROOM_STORE_URL) [default: $WARROOM_STORE_URL,
    /// else [store] in config.toml, else the data directory].
    #[arg(long = "store", global = true, value_name = "URL")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open an incident; prints its new ID alone.
    Open {
        /// What is wrong, in one line, e.g. "Checkout 500s".
        title: String,
        /// How bad: sev1 (worst) to sev4.
        #[arg(long, value_name = "sev1|sev2|sev3|sev4")]
        severity: Severity,
        /// What is known so far.
        #[arg(long)]
        summary: Option<String>,
    },
    /// List open incidents and those resolved in the last day (--all: every incident).
    List {
        /// Every incident, however long ago it was resolved.
        #[arg(long)]
        all: bool,
        /// One JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Add a note to the outage log ("-" reads the text from standard input).
    Note {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The note ("-": read it from standard input).
        text: String,
        /// What kind of note it is.
        #[arg(
            long,
            default_value = "observation",
            value_name = "observation|hypothesis|decision"
        )]
        kind: NoteKind,
    },
    /// Record a status update and post it to the configured webhooks ("-" reads standard
    /// input). Waits for the deliveries (bounded by their timeouts); each result is journaled.
    Update {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The update for everyone following ("-": read it from standard input).
        text: String,
    },
    /// Hand a time-boxed task to a person; prints the task's number (T1, T2, …).
    Task {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Who does it.
        person: String,
        /// What to do, e.g. "check the primary DB".
        what: String,
        /// How long they have, e.g. 3m, 90s, 1h.
        #[arg(long, default_value = "5m")]
        due: String,
    },
    /// Mark a task done (or --cancel it).
    Done {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The task: T3, t3 or 3.
        task: String,
        /// Cancel it instead: it will not be done.
        #[arg(long)]
        cancel: bool,
    },
    /// Check in on an incident in the CAN form: Conditions (what you see), Actions (what you
    /// are doing), Needs (what you need). Answers a roll call; anyone may check in.
    Checkin {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Conditions: what you see, e.g. "looking at the primary's replication lag" ("-":
        /// read it from standard input).
        conditions: String,
        /// Actions: what you are doing about it.
        #[arg(long)]
        actions: Option<String>,
        /// Needs: what you need from the call.
        #[arg(long)]
        needs: Option<String>,
    },
    /// The roll call and the work board: who is on the incident, each one's last check-in,
    /// who answered the last roll call, tasks, sub-teams. --call calls the roll first.
    Roll {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Call the roll: everyone on it is asked to check in (recorded).
        #[arg(long)]
        call: bool,
        /// Put a person on the roll who has not written yet (repeat for several).
        #[arg(long, value_name = "PERSON")]
        add: Vec<String>,
    },
    /// Form a sub-team (Alpha, Bravo, …) with its lead, goal and time-box, or --disband one.
    Team {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The team's name [default: the next of Alpha, Bravo, …].
        name: Option<String>,
        /// Who leads it (and reports to the call leader).
        #[arg(long)]
        lead: Option<String>,
        /// What it is to achieve.
        #[arg(long)]
        goal: Option<String>,
        /// A member reporting to the lead (repeat for several).
        #[arg(long = "member", value_name = "PERSON")]
        members: Vec<String>,
        /// Its time-box, e.g. 30m.
        #[arg(long = "for", default_value = "30m", value_name = "DURATION")]
        time_box: String,
        /// Disband the team NAME instead.
        #[arg(long, conflicts_with_all = ["lead", "goal", "members"])]
        disband: bool,
    },
    /// Hand command to another person; records a handoff brief.
    Handoff {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Who takes command.
        person: String,
    },
    /// Check config.toml (and the keys, themes and webhooks it names); exits 2 naming the
    /// file and line of the first problem.
    CheckConfig {
        /// Also try each configured backend: reachable, version, token accepted (exit 1 if
        /// any is not).
        #[arg(long)]
        probe: bool,
    },
    /// Check the whole alerting chain end to end: config, each backend, Prometheus's rules
    /// evaluating, the [watchdog] alert firing in Prometheus and arriving at each
    /// Alertmanager, webhooks, the store. Prints each link as OK or BROKEN with what to do;
    /// exit 1 if any link is broken, 2 for a bad config.
    Doctor,
    /// Ask every configured alert source once and print the merged alerts, grouped by the
    /// `[alerts] group_by` label (--json: {"alerts": [...], "sources": [...]}). Exit 1 when
    /// every source failed.
    Alerts {
        /// One JSON object, for scripts.
        #[arg(long)]
        json: bool,
        /// Only alerts matching, e.g. 'service="checkout"' or 'env=~"prod|staging"'
        /// (repeat: all must match).
        #[arg(long, value_name = "MATCHER")]
        filter: Vec<String>,
    },
    /// Change the severity.
    Severity {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The new severity: sev1 (worst) to sev4.
        severity: Severity,
    },
    /// Change the status (investigating, identified, monitoring).
    Status {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The new status: investigating, identified or monitoring.
        status: Status,
    },
    /// Give a role (commander, deputy, scribe, liaison, sme) to a person.
    Assign {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The role: commander, deputy, scribe, liaison or sme.
        role: Role,
        /// Who takes it.
        person: String,
    },
    /// Resolve the incident.
    Resolve {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// How it ended, in a sentence.
        #[arg(long)]
        summary: Option<String>,
        /// Resolve although exit criteria are unmet; the reason is recorded.
        #[arg(long, value_name = "REASON")]
        anyway: Option<String>,
    },
    /// Put a decision to the call ("any strong objections?"): records the proposal and the
    /// alternatives considered, and takes objections until the window closes. With --close,
    /// ends the open decision as decided, withdrawn or amended (--text: what it became).
    Decide {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The proposal, e.g. "roll back pricing to v41".
        #[arg(required_unless_present = "close")]
        proposal: Option<String>,
        /// An alternative considered (repeat for each).
        #[arg(long = "alternative", value_name = "TEXT")]
        alternatives: Vec<String>,
        /// How long objections are taken, e.g. 60s (default: [practice] objection_window).
        #[arg(long)]
        window: Option<String>,
        /// End the open decision: decided, withdrawn or amended.
        #[arg(long, value_name = "decided|withdrawn|amended", conflicts_with_all = ["proposal", "alternatives", "window"])]
        close: Option<String>,
        /// With --close: what the decision was amended to, or a closing word.
        #[arg(long, requires = "close")]
        text: Option<String>,
        /// With --close: which decision (default the open one).
        #[arg(long, requires = "close")]
        decision: Option<String>,
    },
    /// Object to the open decision, with a reason.
    Object {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Why, e.g. "v41 has the tax bug".
        reason: String,
        /// Which decision (default the open one).
        #[arg(long)]
        decision: Option<String>,
    },
    /// Set an exit criterion — what "resolved" means — or mark one: `NAME: promql EXPR < 0.01
    /// for 15m` (or graphite TARGET) is checked live by the console; any other text is a
    /// manual check, ticked with --met C2.
    Exit {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The criterion.
        #[arg(required_unless_present_any = ["met", "unmet"])]
        criterion: Option<String>,
        /// Tick a criterion as met (a manual check).
        #[arg(long, value_name = "C", conflicts_with_all = ["criterion", "unmet"])]
        met: Option<String>,
        /// Record that a criterion no longer holds.
        #[arg(long, value_name = "C", conflicts_with = "criterion")]
        unmet: Option<String>,
    },
    /// Correct an entry without rewriting it: a note's text or kind, or the time any entry
    /// refers to (--at); the log keeps the original and the reason. Who may: the entry's author
    /// or the commander.
    Amend {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The entry, as `warroom log` numbers it: 5 or #5.
        seq: String,
        /// The note's corrected text ("-": read it from standard input).
        #[arg(long)]
        text: Option<String>,
        /// The note's corrected kind.
        #[arg(long, value_name = "observation|hypothesis|decision")]
        kind: Option<NoteKind>,
        /// When it happened: HH:MM[:SS] UTC on the day it was recorded, or RFC 3339.
        #[arg(long = "at", value_name = "TIME")]
        at: Option<String>,
        /// Why it is corrected.
        #[arg(long)]
        reason: String,
    },
    /// Retract a note: it stays in the log, struck through, with the reason.
    Retract {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The note, as `warroom log` numbers it: 5 or #5.
        seq: String,
        /// Why it is retracted.
        #[arg(long)]
        reason: String,
    },
    /// Move a note to the incident it belongs to: recorded there with a reference back,
    /// retracted here.
    Move {
        /// The incident it is in: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The note, as `warroom log` numbers it: 5 or #5.
        seq: String,
        /// The incident it belongs to.
        to: String,
        /// Why it moves.
        #[arg(long)]
        reason: String,
    },
    /// Merge a duplicate incident into the one that carries on: the duplicate closes, its
    /// timeline is shown within the other, its alerts and open tasks carry over. Only the
    /// surviving incident's commander may.
    Merge {
        /// The duplicate, which closes.
        dup_id: String,
        /// The incident that carries on.
        into_id: String,
        /// Why they are one outage.
        #[arg(long)]
        reason: String,
    },
    /// Print the outage log, oldest first (--json: one JSON object per event).
    Log {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// One JSON object per event (the journal's lines), for scripts.
        #[arg(long)]
        json: bool,
        /// With --json: the corrected log instead (timeline order, corrections folded in,
        /// each entry's history).
        #[arg(long, requires = "json")]
        corrected: bool,
    },
    /// The blast radius now: which services are failing, which depend on them (--json for
    /// scripts). Reads alerts, Prometheus metrics and services.toml; records nothing.
    Blast {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// One JSON object, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Share an incident read-only: prints the exact `warroom follow` line to paste in chat
    /// (and the status page link); --rotate issues a new token, --revoke ends sharing.
    Share {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// Issue a new token; the old one stops working.
        #[arg(long, conflicts_with = "revoke")]
        rotate: bool,
        /// End sharing: every follower is cut off.
        #[arg(long)]
        revoke: bool,
    },
    /// Serve shared incidents read-only on [share] listen, without a console.
    Serve,
    /// Follow an incident someone shares: the console, read-only, live.
    Follow {
        /// The share URL, e.g. http://10.0.0.5:7420/v1/incidents/INC-7
        url: String,
        /// The token from the `warroom follow` line you were given (`--token=T`; a token
        /// may start with `-`).
        #[arg(long, env = "WARROOM_FOLLOW_TOKEN", allow_hyphen_values = true)]
        token: String,
        /// Trust only this CA certificate (PEM) for an https:// share server with its own
        /// certificate.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
    },
    /// Lead a simulated outage in five minutes: a bad pricing deploy makes checkout fail.
    ///
    /// Starts, inside this process, a simulated Alertmanager and Prometheus on 127.0.0.1 (a
    /// free port), writes a demo config.toml, services.toml and runbook.toml pointing at them
    /// into a temporary directory, opens INC-1 "Checkout errors" as the on-call engineer
    /// would have, and runs the ordinary console on them. Incidents go to a temporary data
    /// directory, deleted when you quit (q), unless --data-dir DIR is given on the command
    /// line (WARROOM_DATA_DIR and --config are not used by the demo). Nothing keeps running
    /// after it ends.
    Demo {
        /// Run the scenario 10× faster, with a status update due every minute (not every 10).
        #[arg(long)]
        fast: bool,
    },
    /// Drills: rehearsed outages played on the ordinary console, marked as drills everywhere;
    /// their reviews, and live drills through the real alerting pipeline.
    Drill {
        #[command(subcommand)]
        command: DrillCommand,
    },
    /// PagerDuty: list the open incidents of [pagerduty] service_ids, or link one to an
    /// incident so its status updates are also added there as notes (unlink to stop).
    Pagerduty {
        #[command(subcommand)]
        command: PagerdutyCommand,
    },
    /// Who is on call for a catalog service now (through [pagerduty] oncall_services or an
    /// [[opsgenie]] entry's oncall_schedules): name, email, escalation level, until when
    /// (--json for scripts).
    Oncall {
        /// The catalog service (services.toml), e.g. payments.
        service: String,
        /// One JSON object: the service, the vendor and who is on call.
        #[arg(long)]
        json: bool,
    },
    /// Page someone on call for a service to the incident (a PagerDuty responder request on
    /// the PagerDuty incident linked to it, or an OpsGenie / Jira Service Management alert to
    /// them); journaled with the outcome, and they stay on the work board until they check
    /// in. Refused without --yes.
    Page {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The catalog service whose on-call to page.
        #[arg(long)]
        service: String,
        /// Who: a name or email of someone on call [default: the first on call].
        #[arg(long)]
        person: Option<String>,
        /// What to tell them.
        #[arg(long)]
        message: String,
        /// Page for real (paging reaches a person).
        #[arg(long)]
        yes: bool,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output: `warroom man > warroom.1`.
    Man,
    /// The shared PostgreSQL store: init, status, push ID…, pull ID….
    Store(store::StoreArgs),
    /// Check an incident's hash chain; exits 1 naming the first damaged line. Says which
    /// entries were redacted.
    Verify {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
    },
    /// Take an entry's event (a pasted password, personal data) out of the journal for good:
    /// a placeholder keeping its digest takes its place, so the chain still verifies, and a
    /// `redacted` entry records who, why and which entry. By the incident's leader, or with
    /// --role a role [journal] redact_roles allows.
    Redact {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The entry's number (`warroom log` shows it as #N).
        seq: u64,
        /// Why (recorded; never the text itself).
        #[arg(long)]
        reason: String,
        /// Redact as the holder of this role in the incident, not as its leader.
        #[arg(long, value_name = "ROLE")]
        role: Option<Role>,
    },
    /// Move an incident's journal to the newest format (needed to redact in it), keeping the
    /// old file beside it (journal.jsonl.v1) and verifying both.
    Upgrade {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
    },
    /// Write the blameless post-mortem draft (to FILE, or standard output) and record the
    /// export; phrasing to review before sharing goes to standard error.
    Export {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The draft's format.
        #[arg(long, default_value = "markdown", value_name = "markdown|json")]
        format: ExportFormat,
        /// Where to write the draft (default: standard output).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Acknowledge an alert in its source, comment on it there (Nagios, Icinga) or silence it
    /// (Sensu), and record the outcome in the incident. Exit 1 when the source did not take it (the log says why).
    #[command(name = "write-back")]
    WriteBack {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The alert: its fingerprint, or its name as `warroom alerts` shows it
        /// (`checkout-db/disk`).
        alert: String,
        /// What to write back: acknowledge, comment, silence or close.
        #[arg(value_name = "acknowledge|comment|silence|close")]
        action: String,
        /// The comment (a silence's reason) that goes with it ("-" reads it from standard input).
        text: String,
    },
    /// The figures across incidents: counts by severity and month, time to detect, engage,
    /// mitigate and resolve, time in each severity, services and root suspects, status-update
    /// punctuality, follow-ups, alerts' signal and noise. Drills are left out unless --drills.
    Report {
        /// How far back: 90d, 12w, 36h, or a date (2026-01-31).
        #[arg(long, default_value = "90d", value_name = "90d|DATE")]
        since: String,
        /// Up to this date or time (default: now); it is also "now" for ages and open
        /// incidents.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Only incidents whose worst severity is this (repeat for several).
        #[arg(long, value_name = "sev1|sev2|sev3|sev4")]
        severity: Vec<Severity>,
        /// Only incidents that touched this service: blast radius or an alert's label
        /// (repeat for several).
        #[arg(long, value_name = "NAME")]
        service: Vec<String>,
        /// markdown, html (one self-contained file) or json.
        #[arg(long, default_value = "markdown", value_name = "markdown|html|json")]
        format: report::ReportFormat,
        /// Where to write it (default: standard output); never inside the data directory.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Count drills too.
        #[arg(long)]
        drills: bool,
    },
    /// Review an alert that fired in an incident: actionable or noise; or record an alert
    /// that should have fired and did not (--missing TEXT).
    #[command(name = "review-alert")]
    ReviewAlert {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The alert: its fingerprint or its name (`HighErrorRate{service=checkout}`).
        #[arg(required_unless_present = "missing", requires = "verdict")]
        alert: Option<String>,
        /// actionable or noise.
        #[arg(value_name = "actionable|noise")]
        verdict: Option<crate::domain::AlertVerdict>,
        /// The alert that should have fired, in words ("-" reads it from standard input).
        #[arg(long, value_name = "TEXT", conflicts_with_all = ["alert", "verdict"])]
        missing: Option<String>,
    },
    /// Record a follow-up: work to do after the incident (also once it is resolved).
    Followup {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// What to do ("-" reads it from standard input).
        text: String,
        /// What it is for: mitigate, prevent (a recurrence) or process.
        #[arg(long = "type", value_name = "mitigate|prevent|process")]
        kind: FollowUpKind,
        /// Who owns it.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Close a follow-up: its work is done, or settled otherwise (also once resolved).
    FollowupDone {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The follow-up's entry number, as `warroom log ID` shows it.
        seq: u64,
        /// How it was settled, when not simply done ("-" reads it from standard input).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// List the compensating actions of runbook.toml (--json for scripts).
    Actions {
        /// One JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Run a runbook action on an incident: checks the parameters, prints the exact command,
    /// asks on a terminal when the runbook says so, streams the output and records start, end
    /// and verification in the log. Exit 0 when it succeeded, 1 when it failed or timed out.
    Run {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The action's name in runbook.toml (`warroom actions` lists them).
        action: String,
        /// A parameter, NAME=VALUE (repeat for several).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Show and record what would run, run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask (for scripts); dangerous actions included.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// The built-in scenarios: name, length, what happens.
    List,
    /// Play a scenario like the demo (a simulated Alertmanager and Prometheus, the ordinary
    /// console), its incident marked as a drill: a built-in's name or a scenario file's path.
    ///
    /// Incidents go to a temporary data directory, deleted when you quit, unless --data-dir
    /// DIR is given on the command line.
    Run {
        /// A built-in scenario (warroom drill list) or a file: ./my-scenario.toml.
        scenario: String,
        /// Run the scenario 10× faster, with a status update due every minute.
        #[arg(long)]
        fast: bool,
    },
    /// Make a scenario's alerts fire through the real pipeline (its synthetic alerts posted
    /// to the Alertmanagers, or its metrics pushed through [pushgateway] for the team's own
    /// Prometheus rules), measure how fast each comes back through warroom's sources, report
    /// the missing ones as findings, then clean up. Every source it touches must say
    /// drills = true. Exit 1 when an alert never came back or something is left over.
    Live {
        /// A built-in scenario's name, or a scenario file's path.
        name: String,
        /// How the alerts are made to fire (default: pushgateway when [pushgateway] is set).
        #[arg(long, value_name = "alertmanager|pushgateway")]
        via: Option<String>,
        /// How long to wait for each alert to come back.
        #[arg(long, default_value = "5m", value_name = "DURATION")]
        wait: String,
        /// The report as JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// A drill's review (scores against the practice and the scenario's targets), compared
    /// with the team's last earlier drill of the same scenario.
    Review {
        /// The drill's incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The review's format.
        #[arg(long, default_value = "markdown", value_name = "markdown|json")]
        format: ExportFormat,
        /// Where to write it (default: standard output).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PagerdutyCommand {
    /// Triggered and acknowledged PagerDuty incidents of [pagerduty] service_ids, newest
    /// first (--json for scripts).
    List {
        /// One JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Link PagerDuty incident PD_INCIDENT (like PT4KHLK) to incident ID: checks it exists,
    /// records the link; every later status update is added to it as a note.
    Link {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The PagerDuty incident, like PT4KHLK.
        pd_incident: String,
    },
    /// Stop adding status updates to PagerDuty incident PD_INCIDENT.
    Unlink {
        /// The incident: INC-7, inc-7, INC7 or 7.
        id: String,
        /// The PagerDuty incident, like PT4KHLK.
        pd_incident: String,
    },
}

impl Context {
    fn from_cli(cli: &Cli) -> Result<Context, Failure> {
        let paths =
            Paths::resolve(cli.data_dir.clone(), cli.config.clone()).map_err(Failure::bad_input)?;
        Ok(Context::with_flag(
            paths,
            config::author(cli.author.clone()),
            cli.store.clone(),
        ))
    }
}

pub fn main() -> ExitCode {
    // A soft limit of 1,024 open files is a common default; the hard limit is what the
    // machine allows. The share server counts its connections against what this gives.
    crate::fds::raise_soft_limit();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error quotes what was typed: shown, never obeyed by the terminal. Help and
        // the version (clap's own text) go out as clap writes them.
        Err(e) if e.use_stderr() => {
            use std::io::Write;
            let text = e.render().to_string();
            let _ = write!(std::io::stderr(), "{}", crate::domain::for_terminal(&text));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => e.exit(),
    };
    match cli.with_env().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // A plain write: eprintln! panics when stderr is a terminal that has gone away.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "warroom: {}",
                crate::domain::for_terminal(&f.message)
            );
            ExitCode::from(f.code)
        }
    }
}

impl Cli {
    /// Each global option not given on the command line, from its `WARROOM_*` variable (an
    /// empty one counts as unset).
    pub fn with_env(mut self) -> Result<Cli, Failure> {
        fn var(name: &str) -> Option<std::ffi::OsString> {
            std::env::var_os(name).filter(|v| !v.is_empty())
        }
        fn text(name: &str) -> Result<Option<String>, Failure> {
            var(name)
                .map(|v| {
                    v.into_string()
                        .map_err(|_| Failure::bad_input(format!("{name} is not valid UTF-8")))
                })
                .transpose()
        }
        if self.data_dir.is_none() {
            self.data_dir = var("WARROOM_DATA_DIR").map(PathBuf::from);
        }
        if self.config.is_none() {
            self.config = var("WARROOM_CONFIG").map(PathBuf::from);
        }
        if self.theme.is_none() {
            self.theme = text("WARROOM_THEME")?;
        }
        if self.author.is_none() {
            self.author = text("WARROOM_USER")?;
        }
        Ok(self)
    }
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    let ctx = Context::from_cli(&cli)?;
    let now = chrono::Utc::now();
    match cli.command {
        None => crate::console::run(&ctx, cli.theme.as_deref()),
        Some(Command::Open {
            title,
            severity,
            summary,
        }) => open::run(&ctx, now, &title, severity, summary.as_deref()),
        Some(Command::List { all, json }) => list::run(&ctx, now, all, json),
        Some(Command::Note { id, text, kind }) => record::note(&ctx, now, &id, kind, &text),
        Some(Command::Update { id, text }) => record::update(&ctx, now, &id, &text),
        Some(Command::Task {
            id,
            person,
            what,
            due,
        }) => tasks::assign(&ctx, now, &id, &person, &what, &due),
        Some(Command::Done { id, task, cancel }) => tasks::done(&ctx, now, &id, &task, cancel),
        Some(Command::Checkin {
            id,
            conditions,
            actions,
            needs,
        }) => roll::checkin(
            &ctx,
            now,
            &id,
            roll::CanArgs {
                conditions: &conditions,
                actions: actions.as_deref(),
                needs: needs.as_deref(),
            },
        ),
        Some(Command::Roll { id, call, add }) => roll::roll(&ctx, now, &id, call, &add),
        Some(Command::Team {
            id,
            name,
            lead,
            goal,
            members,
            time_box,
            disband,
        }) => roll::team(
            &ctx,
            now,
            roll::TeamArgs {
                id: &id,
                name: name.as_deref(),
                lead: lead.as_deref(),
                goal: goal.as_deref(),
                members: &members,
                time_box: &time_box,
                disband,
            },
        ),
        Some(Command::Handoff { id, person }) => tasks::handoff(&ctx, now, &id, &person),
        Some(Command::CheckConfig { probe }) => check_config::run(&ctx, probe),
        Some(Command::Doctor) => doctor::run(&ctx),
        Some(Command::Alerts { json, filter }) => alerts::run(&ctx, now, json, &filter),
        Some(Command::Severity { id, severity }) => record::severity(&ctx, now, &id, severity),
        Some(Command::Status { id, status }) => record::status(&ctx, now, &id, status),
        Some(Command::Assign { id, role, person }) => record::assign(&ctx, now, &id, role, &person),
        Some(Command::Resolve {
            id,
            summary,
            anyway,
        }) => {
            if let Some(reason) = anyway.as_deref() {
                practice::waive_unmet(&ctx, now, &id, reason)?;
            }
            record::resolve(&ctx, now, &id, summary.as_deref())
        }
        Some(Command::Amend {
            id,
            seq,
            text,
            kind,
            at,
            reason,
        }) => correct::amend(
            &ctx,
            now,
            &id,
            &seq,
            correct::Amendment {
                text: text.as_deref(),
                kind,
                at: at.as_deref(),
                reason: &reason,
            },
        ),
        Some(Command::Retract { id, seq, reason }) => {
            correct::retract(&ctx, now, &id, &seq, &reason)
        }
        Some(Command::Move {
            id,
            seq,
            to,
            reason,
        }) => correct::move_note(&ctx, now, &id, &seq, &to, &reason),
        Some(Command::Merge {
            dup_id,
            into_id,
            reason,
        }) => correct::merge(&ctx, now, &dup_id, &into_id, &reason),
        Some(Command::Log {
            id,
            json,
            corrected,
        }) => log::run(&ctx, &id, json, corrected),
        Some(Command::Decide {
            id,
            proposal,
            alternatives,
            window,
            close,
            text,
            decision,
        }) => match (close, proposal) {
            (Some(outcome), _) => practice::close(
                &ctx,
                now,
                &id,
                decision.as_deref(),
                &outcome,
                text.as_deref(),
            ),
            (None, Some(p)) => {
                practice::propose(&ctx, now, &id, &p, &alternatives, window.as_deref())
            }
            (None, None) => Err(Failure::bad_input("decide: give the proposal, or --close")),
        },
        Some(Command::Object {
            id,
            reason,
            decision,
        }) => practice::object(&ctx, now, &id, decision.as_deref(), &reason),
        Some(Command::Exit {
            id,
            criterion,
            met,
            unmet,
        }) => match (criterion, met, unmet) {
            (Some(c), _, _) => practice::set(&ctx, now, &id, &c),
            (None, Some(c), _) => practice::mark(&ctx, now, &id, &c, true),
            (None, None, Some(c)) => practice::mark(&ctx, now, &id, &c, false),
            (None, None, None) => Err(Failure::bad_input("exit: give a criterion, or --met C")),
        },
        Some(Command::Verify { id }) => verify::run(&ctx, &id),
        Some(Command::Redact {
            id,
            seq,
            reason,
            role,
        }) => verify::redact(&ctx, now, &id, seq, &reason, role),
        Some(Command::Upgrade { id }) => verify::upgrade(&ctx, now, &id),
        Some(Command::Store(args)) => store::run(&ctx, args),
        Some(Command::Export { id, format, output }) => {
            export::run(&ctx, now, &id, format, output.as_deref())
        }
        Some(Command::WriteBack {
            id,
            alert,
            action,
            text,
        }) => write_back::run(&ctx, now, &id, &alert, &action, &text),
        Some(Command::Report {
            since,
            until,
            severity,
            service,
            format,
            output,
            drills,
        }) => report::run(
            &ctx,
            now,
            &report::Args {
                since: &since,
                until: until.as_deref(),
                severities: &severity,
                services: &service,
                format,
                output: output.as_deref(),
                drills,
            },
        ),
        Some(Command::ReviewAlert {
            id,
            alert,
            verdict,
            missing,
        }) => report::review(
            &ctx,
            now,
            &id,
            alert.as_deref(),
            verdict,
            missing.as_deref(),
        ),
        Some(Command::Followup {
            id,
            text,
            kind,
            owner,
        }) => followup::run(&ctx, now, &id, &text, kind, owner.as_deref()),
        Some(Command::FollowupDone { id, seq, note }) => {
            followup::done(&ctx, now, &id, seq, note.as_deref())
        }
        Some(Command::Actions { json }) => actions::list(&ctx, json),
        Some(Command::Run {
            id,
            action,
            params,
            dry_run,
            yes,
        }) => actions::run(
            &ctx,
            actions::RunArgs {
                id: &id,
                action: &action,
                params: &params,
                dry_run,
                yes,
            },
        ),
        Some(Command::Blast { id, json }) => blast::run(&ctx, now, &id, json),
        Some(Command::Share { id, rotate, revoke }) => share::share(&ctx, now, &id, rotate, revoke),
        Some(Command::Serve) => share::serve(&ctx),
        Some(Command::Pagerduty { command }) => match command {
            PagerdutyCommand::List { json } => pagerduty::list(&ctx, json),
            PagerdutyCommand::Link { id, pd_incident } => {
                pagerduty::link(&ctx, now, &id, &pd_incident)
            }
            PagerdutyCommand::Unlink { id, pd_incident } => {
                pagerduty::unlink(&ctx, now, &id, &pd_incident)
            }
        },
        Some(Command::Oncall { service, json }) => oncall::oncall(&ctx, &service, json),
        Some(Command::Page {
            id,
            service,
            person,
            message,
            yes,
        }) => oncall::page(
            &ctx,
            now,
            oncall::PageArgs {
                id: &id,
                service: &service,
                person: person.as_deref(),
                message: &message,
                yes,
            },
        ),
        Some(Command::Drill { command }) => match command {
            DrillCommand::List => drill::list(),
            DrillCommand::Run { scenario, fast } => drill::run(
                &ctx,
                &scenario,
                fast,
                crate::demo::explicit_data_dir(cli.data_dir.clone()),
                cli.theme.clone(),
            ),
            DrillCommand::Review { id, format, output } => {
                drill::review(&ctx, &id, format, output.as_deref())
            }
            DrillCommand::Live {
                name,
                via,
                wait,
                json,
            } => drill::live(&ctx, &name, via.as_deref(), &wait, json),
        },
        Some(Command::Completions { shell }) => packaging::completions(shell),
        Some(Command::Man) => packaging::man(),
        Some(Command::Follow { url, token, ca }) => {
            crate::console::follow(&ctx, &url, &token, ca.as_deref(), cli.theme.as_deref())
        }
        Some(Command::Demo { fast }) => crate::demo::run(crate::demo::Options {
            fast,
            data_dir: crate::demo::explicit_data_dir(cli.data_dir.clone()),
            author: ctx.author.clone(),
            theme: cli.theme.clone(),
            scenario: None,
        }),
    }
}

/// Prints the journal's warnings (a torn line moved aside, …) to standard error.
fn warn_all(journal: &mut dyn crate::journal::Journal) {
    for w in journal.take_warnings() {
        say_err!("warroom: warning: {w}");
    }
}
