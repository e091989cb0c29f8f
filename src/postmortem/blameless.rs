//! The blameless check: finds phrasing in what people wrote during the incident that puts a
//! person, rather than the system, at the centre of a failure — "human error", "bob's fault",
//! "should have", "careless", "alice forgot" — and suggests a neutral way to say it. The text
//! is never rewritten: findings are listed for the author of the post-mortem to review.
//!
//! What is scanned: notes, status updates, the opening and resolution summaries, task
//! descriptions and follow-ups — everything people typed that the export shows.
//!
//! Avoiding false positives matters as much as finding blame, or people stop reading the list:
//! - words are matched whole: "error rate", "error budget", "human-readable", "fault
//!   tolerance", "default", "blameless" and "git blame" are not findings;
//! - "should have" is hindsight only before a past participle ("should have checked",
//!   "should have been caught"); before a noun or a number it states an expectation about the
//!   system ("should have capacity for 2x", "should have 3 replicas") and is not a finding;
//! - a person's name counts only as the subject of a failure verb right after it ("bob broke",
//!   "alice forgot", "bob didn't"), with at most a few adverbs between; "bob failed over the
//!   database" is an operation, not a failure. Names are the incident's own people: authors,
//!   role holders, task and follow-up owners.

use crate::domain::{Entry, Event};
use chrono::{DateTime, Utc};
use regex::{Regex, RegexBuilder};
use serde::Serialize;

/// Why a phrase was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// "human error".
    HumanError,
    /// "X's fault", "at fault", "to blame", "blamed".
    Fault,
    /// "should have checked": hindsight.
    Hindsight,
    /// "careless", "negligent", "stupid", …
    Judgement,
    /// A person as the subject of a failure: "bob broke", "alice forgot".
    PersonFailed,
}

impl Rule {
    pub fn describe(self) -> &'static str {
        match self {
            Rule::HumanError => "\"human error\"",
            Rule::Fault => "fault or blame",
            Rule::Hindsight => "hindsight (\"should have\")",
            Rule::Judgement => "judgement of a person",
            Rule::PersonFailed => "a person as the subject of a failure",
        }
    }
}

/// One phrase to review, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub seq: u64,
    #[serde(serialize_with = "time")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// Which kind of entry: `note`, `status_update`, `resolved`, `opened`, `task_assigned`,
    /// `follow_up`.
    pub source: String,
    pub rule: Rule,
    /// The words matched, as written.
    pub phrase: String,
    /// The phrase with a little of the text around it, on one line.
    pub excerpt: String,
    pub suggestion: String,
}

fn time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::report::rfc3339(t))
}

/// A phrase found in one text: the rule, its byte range, and a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: Rule,
    pub start: usize,
    pub end: usize,
    pub suggestion: String,
}

/// The compiled check for one incident's people.
pub struct BlamelessCheck {
    fixed: Vec<(Rule, Regex)>,
    hindsight: Option<Regex>,
    person: Option<Regex>,
}

const PARTICIPLES: &[&str] = &[
    "been",
    "done",
    "known",
    "seen",
    "caught",
    "gone",
    "run",
    "made",
    "told",
    "thought",
    "kept",
    "left",
    "had",
    "got",
    "gotten",
    "found",
    "held",
    "brought",
    "put",
    "set",
    "sent",
    "built",
    "spent",
    "read",
    "hit",
    "shut",
    "let",
    "paid",
    "said",
    "begun",
    "shown",
    "taken",
    "written",
    "broken",
    "forgotten",
    "given",
    "chosen",
    "driven",
    "hidden",
    "proven",
    "spoken",
    "frozen",
    "mistaken",
    "overwritten",
    "understood",
    "withdrawn",
    "drawn",
    "grown",
    "thrown",
    "flown",
];

/// Failure verbs that make a sentence about a person blameful when the person is the subject.
const FAILURE_VERBS: &str = r"broke|broken|breaks|forgot|forgotten|forgets|missed|misses|failed|fails|didn['’]?t|did\s+not|ignored|skipped|neglected|overlooked|messed\s+up|screwed\s+up|botched|fat[\s-]?fingered|mistyped|misconfigured|caused|made\s+a\s+mistake|made\s+an\s+error|was\s+careless|wasn['’]?t\s+careful";

impl BlamelessCheck {
    /// A check that knows the incident's people by `names`.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> BlamelessCheck {
        // Every pattern is a constant or built from escaped names; one that still fails to
        // build (a size limit) finds nothing rather than stopping the export.
        let ci = |p: &str| RegexBuilder::new(p).case_insensitive(true).build().ok();
        let fixed = [
            (Rule::HumanError, r"(?-u:\b)human[\s-]+errors?(?-u:\b)"),
            (
                Rule::Fault,
                r"[\w.-]+['’]s\s+fault(?-u:\b)|(?-u:\b)(?:my|his|her|their|your|our)\s+fault(?-u:\b)|(?-u:\b)at\s+fault(?-u:\b)|(?-u:\b)to\s+blame(?-u:\b)|(?-u:\b)blam(?:ed|ing)(?-u:\b)|(?-u:\b)blame\s+(?:on|for)(?-u:\b)",
            ),
            (
                Rule::Judgement,
                r"(?-u:\b)(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|stupid(?:ity)?|incompeten(?:t|ce)|idiot(?:s|ic)?|sloppy)(?-u:\b)",
            ),
        ]
        .into_iter()
        .filter_map(|(rule, p)| Some((rule, ci(p)?)))
        .collect();
        let hindsight = ci(
            r"(?-u:\b)(?:should(?:\s+not|n['’]?t)?\s+have|should['’]ve|shouldn['’]?t['’]ve)\s+(\w+)",
        );
        let mut names: Vec<String> = names
            .into_iter()
            .map(str::trim)
            .filter(|n| n.chars().count() >= 2)
            .map(regex::escape)
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        names.dedup();
        let person = if names.is_empty() {
            None
        } else {
            ci(&format!(
                // Starting with the names lets the engine look for them as literals first.
                r"(?-u:\b)((?:{})\s+(?:(?:had|has|just|accidentally|again|also|then|apparently|probably|clearly|obviously)\s+)*(?:{FAILURE_VERBS}))(?-u:\b)(\s+over(?-u:\b))?",
                names.join("|")
            ))
        };
        BlamelessCheck {
            fixed,
            hindsight,
            person,
        }
    }

    /// Every phrase in `text` to review, in order; overlapping hits keep the earliest.
    pub fn scan_text(&self, text: &str) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        for (rule, re) in &self.fixed {
            for m in re.find_iter(text) {
                if *rule == Rule::Fault && is_git_blame(text, m.start()) {
                    continue;
                }
                hits.push(Hit {
                    rule: *rule,
                    start: m.start(),
                    end: m.end(),
                    suggestion: suggestion(*rule, m.as_str()),
                });
            }
        }
        for c in self.hindsight.iter().flat_map(|re| re.captures_iter(text)) {
            let (Some(all), Some(word)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if is_participle(word.as_str()) {
                hits.push(Hit {
                    rule: Rule::Hindsight,
                    start: all.start(),
                    end: all.end(),
                    suggestion: suggestion(Rule::Hindsight, all.as_str()),
                });
            }
        }
        if let Some(re) = &self.person {
            for c in re.captures_iter(text) {
                let Some(phrase) = c.get(1) else { continue };
                // Part of a longer name or word: "team-bob", "x.bob", "éric" for "ric".
                if text[..phrase.start()]
                    .chars()
                    .next_back()
                    .is_some_and(|p| p.is_alphanumeric() || p == '.' || p == '-' || p == '_')
                {
                    continue;
                }
                // "failed over", "fails over": moving to a standby is an operation.
                let lower = phrase.as_str().to_lowercase();
                if c.get(2).is_some() && (lower.ends_with("failed") || lower.ends_with("fails")) {
                    continue;
                }
                hits.push(Hit {
                    rule: Rule::PersonFailed,
                    start: phrase.start(),
                    end: phrase.end(),
                    suggestion: suggestion(Rule::PersonFailed, phrase.as_str()),
                });
            }
        }
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for h in hits {
            if kept.last().is_none_or(|k| h.start >= k.end) {
                kept.push(h);
            }
        }
        kept
    }
}

fn is_git_blame(text: &str, start: usize) -> bool {
    text[..start]
        .trim_end()
        .to_ascii_lowercase()
        .ends_with("git")
}

fn is_participle(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    PARTICIPLES.contains(&w.as_str()) || (w.len() > 4 && w.ends_with("ed"))
}

fn suggestion(rule: Rule, phrase: &str) -> String {
    match rule {
        Rule::HumanError => "Name the conditions instead of \"human error\": what made the step \
            easy to get wrong and what did not catch it (e.g. \"the deploy tool accepted a config \
            that failed validation\")."
            .into(),
        Rule::Fault => "Say what contributed rather than whose fault it was (e.g. \"the change \
            to the pricing config contributed\")."
            .into(),
        Rule::Hindsight => "Hindsight: say what was known at the time and what would have \
            surfaced the problem (e.g. \"nothing flagged the expired certificate before the \
            deploy\")."
            .into(),
        Rule::Judgement => format!(
            "Drop the judgement (\"{}\"); describe the action and the context it was taken in.",
            phrase.trim()
        ),
        Rule::PersonFailed => {
            let lower = phrase.to_lowercase();
            let has = |w: &[&str]| w.iter().any(|v| lower.contains(v));
            let neutral = if has(&["broke", "caused"]) {
                "\"the change broke …\""
            } else if has(&[
                "forg",
                "miss",
                "skipped",
                "overlooked",
                "ignored",
                "neglected",
            ]) {
                "\"the step was missed (it is not in the runbook / no check caught it)\""
            } else if has(&["didn", "did not"]) {
                "\"… was not done\" and why it was easy not to"
            } else if has(&["fail"]) {
                "\"the attempt to … did not succeed\""
            } else if has(&["should"]) {
                "what was known at the time and what would have surfaced it"
            } else {
                "\"the change went wrong: …\" (what happened, not who did it)"
            };
            format!(
                "Make the system the subject: {neutral} instead of \"{}\".",
                phrase.trim()
            )
        }
    }
}

/// Where people typed text in an entry, and which source name it goes by.
fn texts(e: &Entry) -> Vec<(&'static str, &str)> {
    match &e.event {
        Event::Note { text, .. } => vec![("note", text)],
        Event::StatusUpdate { text } => vec![("status_update", text)],
        Event::Resolved { summary: Some(s) } => vec![("resolved", s)],
        Event::Opened {
            summary: Some(s), ..
        } => vec![("opened", s)],
        Event::TaskAssigned { what, .. } => vec![("task_assigned", what)],
        Event::FollowUp { text, .. } => vec![("follow_up", text)],
        _ => Vec::new(),
    }
}

/// The people of the incident: authors, role holders, task people and follow-up owners.
pub fn people<E: AsRef<Entry>>(entries: &[E]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for e in entries.iter().map(AsRef::as_ref) {
        let named: Option<&str> = match &e.event {
            Event::RoleAssigned { person, .. } => Some(person),
            Event::Handoff { to, .. } => Some(to),
            Event::TaskAssigned { person, .. } => Some(person),
            Event::FollowUp { owner, .. } => owner.as_deref(),
            _ => None,
        };
        for n in std::iter::once(e.by.as_str()).chain(named) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// Scans every text people typed into the incident; findings in journal order. A large
/// incident is scanned in parts on two threads (each entry is checked on its own).
pub fn scan<E: AsRef<Entry> + Sync>(entries: &[E]) -> Vec<Finding> {
    /// Below this many entries one thread scans them: starting another would cost more.
    const PARALLEL_MIN: usize = 4096;
    let check = BlamelessCheck::new(people(entries));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    if threads < 2 || entries.len() < PARALLEL_MIN {
        return scan_part(&check, entries);
    }
    let (first, second) = entries.split_at(entries.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| scan_part(&check, second));
        let mut out = scan_part(&check, first);
        match other.join() {
            Ok(rest) => out.extend(rest),
            // A scan that panicked hit a bug: let it go on as it would have here.
            Err(panic) => std::panic::resume_unwind(panic),
        }
        out
    })
}

fn scan_part<E: AsRef<Entry>>(check: &BlamelessCheck, entries: &[E]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in entries.iter().map(AsRef::as_ref) {
        for (source, text) in texts(e) {
            for h in check.scan_text(text) {
                out.push(Finding {
                    seq: e.seq,
                    at: e.at,
                    by: e.by.clone(),
                    source: source.to_string(),
                    rule: h.rule,
                    phrase: text[h.start..h.end].to_string(),
                    excerpt: excerpt(text, h.start, h.end),
                    suggestion: h.suggestion,
                });
            }
        }
    }
    out
}

/// The phrase with a few words either side (up to about 40 characters), on one line, `…`
/// where the text goes on.
fn excerpt(text: &str, start: usize, end: usize) -> String {
    const AROUND: usize = 40;
    let before = &text[..start];
    let mut from = before
        .char_indices()
        .rev()
        .take_while(|(i, _)| before.len() - i <= AROUND)
        .last()
        .map_or(start, |(i, _)| i);
    if from > 0 {
        // Start at a word: skip the cut one.
        from = before[from..]
            .find(char::is_whitespace)
            .map_or(start, |w| from + w);
    }
    let after = &text[end..];
    let mut to = after
        .char_indices()
        .take_while(|(i, _)| *i < AROUND)
        .last()
        .map_or(end, |(i, c)| end + i + c.len_utf8());
    if to < text.len() {
        to = text[end..to]
            .rfind(char::is_whitespace)
            .map_or(end, |w| end + w);
    }
    let mut s = String::new();
    if from > 0 {
        s.push('…');
    }
    s.push_str(&text[from..to]);
    if to < text.len() {
        s.push('…');
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
