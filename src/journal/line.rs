//! One journal line, the same in every store: how an entry is written as a line (and checked
//! to read back as itself), how a line is read and checked, and the line formats, so the file
//! journal and the PostgreSQL journal hold the very same bytes and hashes.
//!
//! Format 1 (no `"v"`): `{"seq","at","by","event","prev","hash"}`, `hash` over the event's
//! bytes. Format 2 (`"v":2` first): `{"v","seq","at","by","event","salt","digest","prev",
//! "hash"}` with `digest = sha256(salt "\n" event)` and `hash` over the digest, so an event can
//! leave the line (a redacted entry: no `event`, no `salt`) and the chain still verifies. The
//! salt (128 random bits) is taken out with the event, so a short secret cannot be confirmed by
//! hashing guesses against the digest that stays. A journal's format is its first line's;
//! every line of a journal has the same one.

use super::{Record, hex};
use crate::domain::{Entry, Event, Rejected};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Write;

/// The newest journal format this version reads, and the one it writes new journals in.
pub const FORMAT: u32 = 2;

/// A journal line's fields in the order and form warroom writes them (what makes a line
/// canonical: the reader compares a line with this).
#[derive(Serialize)]
struct LineOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<u32>,
    seq: u64,
    at: &'a str,
    by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    prev: &'a str,
    hash: &'a str,
}

#[derive(Deserialize)]
struct LineIn<'a> {
    #[serde(default)]
    v: Option<u32>,
    seq: u64,
    #[serde(borrow)]
    at: Cow<'a, str>,
    #[serde(borrow)]
    by: Cow<'a, str>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    salt: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    digest: Option<Cow<'a, str>>,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow)]
    hash: Cow<'a, str>,
}

impl LineIn<'_> {
    fn out(&self) -> LineOut<'_> {
        LineOut {
            v: self.v,
            seq: self.seq,
            at: &self.at,
            by: &self.by,
            event: self.event,
            salt: self.salt.as_deref(),
            digest: self.digest.as_deref(),
            prev: &self.prev,
            hash: &self.hash,
        }
    }
}

/// Why a line was not taken.
pub(super) struct BadLine {
    pub(super) reason: String,
    /// It reads as a whole journal line that breaks the hash chain (changed after it was
    /// written) rather than a torn or garbled one.
    pub(super) breaks_chain: bool,
    /// It is a line of a format newer than [`FORMAT`].
    pub(super) newer: Option<u32>,
}

/// The hash of a format-1 line, from its parts exactly as written.
pub fn chain_hash(prev: &str, seq: u64, at: &str, by: &str, event_json: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), at, by] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.update(event_json.as_bytes());
    hex(&h.finalize())
}

/// The hash of a format-2 line: [`chain_hash`] over the event's digest instead of its bytes.
pub fn chain_hash_v2(prev: &str, seq: u64, at: &str, by: &str, digest: &str) -> String {
    chain_hash(prev, seq, at, by, digest)
}

/// The digest a format-2 line keeps of its event.
pub fn event_digest(salt: &str, event_json: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(event_json.as_bytes());
    hex(&h.finalize())
}

/// The format of a line written by warroom (1 or 2), without reading it whole.
pub fn format_of(line: &str) -> u32 {
    if line.starts_with("{\"v\":2,") { 2 } else { 1 }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// 128 random bits from the kernel, as hex (no file descriptor needed).
fn salt() -> Result<String, Rejected> {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        let rest = &mut bytes[filled..];
        // SAFETY: the pointer and length describe `rest`, which lives across the call.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(Rejected(format!("no random salt for the entry: {e}")));
            }
        } else {
            filled += n as usize;
        }
    }
    Ok(hex(&bytes))
}

/// Entry `seq` after the line whose hash is `prev`, in journal format `format`, as its line
/// (in [`Record::line`], without the newline) and as replay will read it back (the time at the
/// millisecond precision written). Refuses what replay would read differently or not at all
/// (event JSON that spans lines or is not an object with a "type", a time past year 9999, …):
/// such a line would later be taken for a torn one, or stop the journal.
pub fn encode(
    format: u32,
    prev: &str,
    seq: u64,
    at: DateTime<Utc>,
    by: &str,
    event: &Event,
) -> Result<Record, Rejected> {
    if matches!(event, Event::Expunged) {
        return Err(Rejected(
            "a redacted entry's placeholder is not an event to record".into(),
        ));
    }
    let at_text = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let event_json = event.to_json();
    encode_line(format, prev, seq, &at_text, by, &event_json)
        .and_then(|r| {
            if &r.entry.event == event && r.entry.by == by {
                Ok(r)
            } else {
                Err("it would read back as a different event".to_string())
            }
        })
        .map_err(|why| {
            Rejected(format!(
                "cannot record this {} event: {why}",
                event.type_name()
            ))
        })
}

/// The line of an entry from its parts as they stand (its time as written, the event's JSON
/// byte for byte), in journal format `format`, read back; the error says why it would not
/// read back. What an import, an upgrade or a test writes a line with.
pub fn encode_line(
    format: u32,
    prev: &str,
    seq: u64,
    at: &str,
    by: &str,
    event_json: &str,
) -> Result<Record, String> {
    let raw =
        RawValue::from_string(event_json.to_string()).map_err(|e| format!("not JSON: {e}"))?;
    let line = match format {
        1 => {
            let hash = chain_hash(prev, seq, at, by, event_json);
            to_line(&LineOut {
                v: None,
                seq,
                at,
                by,
                event: Some(&raw),
                salt: None,
                digest: None,
                prev,
                hash: &hash,
            })?
        }
        2 => {
            let salt = salt().map_err(|e| e.0)?;
            let digest = event_digest(&salt, event_json);
            let hash = chain_hash_v2(prev, seq, at, by, &digest);
            to_line(&LineOut {
                v: Some(2),
                seq,
                at,
                by,
                event: Some(&raw),
                salt: Some(&salt),
                digest: Some(&digest),
                prev,
                hash: &hash,
            })?
        }
        other => {
            return Err(format!(
                "journal format {other} is not one this version writes"
            ));
        }
    };
    read_back(&line, prev, seq)
}

fn to_line(out: &LineOut<'_>) -> Result<String, String> {
    serde_json::to_string(out).map_err(|e| format!("cannot encode it: {e}"))
}

fn read_back(line: &str, prev: &str, seq: u64) -> Result<Record, String> {
    if line.contains('\n') {
        return Err("its JSON spans more than one line".to_string());
    }
    parse_line(line.as_bytes(), prev, seq).map_err(|b| b.reason)
}

/// `record` (a format-2 entry) with its event taken out: the placeholder line that keeps the
/// digest, so the chain through it still verifies.
pub(super) fn placeholder(record: &Record) -> Result<Record, Rejected> {
    let refuse = |why: String| Rejected(format!("entry #{}: {why}", record.entry.seq));
    let l: LineIn = serde_json::from_str(&record.line).map_err(|e| refuse(e.to_string()))?;
    if l.v != Some(2) {
        return Err(Rejected(format!(
            "entry #{} is in journal format 1, which cannot redact an entry and keep the chain \
             (`warroom upgrade` moves the journal to format {FORMAT})",
            record.entry.seq
        )));
    }
    let line = to_line(&LineOut {
        event: None,
        salt: None,
        ..l.out()
    })
    .map_err(refuse)?;
    read_back(&line, record.prev(), record.entry.seq).map_err(refuse)
}

/// `record` (a verified format-1 entry) as the format-2 entry after `prev`: the same seq,
/// time, author and event bytes; a new digest and hash.
pub(super) fn upgraded(record: &Record, prev: &str) -> Result<Record, String> {
    let l: LineIn = serde_json::from_str(&record.line).map_err(|e| e.to_string())?;
    let event = l
        .event
        .ok_or_else(|| format!("entry #{} has no event", l.seq))?;
    encode_line(2, prev, l.seq, &l.at, &l.by, event.get())
}

/// Reads one line (without its newline), checking that it is entry `seq`, follows the line
/// whose hash is `prev`, matches its hash (and in format 2 its event its digest), and is byte
/// for byte the line warroom writes for its fields.
pub(super) fn parse_line(line: &[u8], prev: &str, seq: u64) -> Result<Record, BadLine> {
    let read = read_fields(line)?;
    read.check_place(prev, seq)?;
    read.finish()
}

/// A line read as JSON, its place in the chain (the `seq` and `prev` it states) not yet
/// checked against the line before it.
pub(super) struct Fields<'a> {
    text: &'a str,
    l: LineIn<'a>,
}

/// A line checked on its own (its hash from the `prev` it states, its form, its event), so
/// lines can be checked apart, on several cores; [`Checked::place`] then links it to the line
/// before it. The checks and their order are [`parse_line`]'s.
pub(super) struct Checked {
    /// The `seq` and `prev` the line states; `None` when it was unreadable before them.
    stated: Option<(u64, String)>,
    /// The rest of the checks' outcome.
    rest: Result<Record, BadLine>,
}

impl Checked {
    /// The line's outcome as entry `seq` after the line whose hash is `prev`: the same
    /// error [`parse_line`] gives, or the record.
    pub(super) fn place(self, prev: &str, seq: u64) -> Result<Record, BadLine> {
        if let Some((stated, stated_prev)) = &self.stated
            && let Some(bad) = place_error(*stated, stated_prev, prev, seq)
        {
            return Err(bad);
        }
        self.rest
    }
}

/// Checks `line` apart from the lines before it (see [`Checked`]).
pub(super) fn check_alone(line: &[u8]) -> Checked {
    match read_fields(line) {
        Err(bad) => Checked {
            stated: None,
            rest: Err(bad),
        },
        Ok(read) => Checked {
            stated: Some((read.l.seq, read.l.prev.to_string())),
            rest: read.finish(),
        },
    }
}

fn place_error(stated: u64, stated_prev: &str, prev: &str, seq: u64) -> Option<BadLine> {
    let broken = |reason: String| BadLine {
        reason,
        breaks_chain: true,
        newer: None,
    };
    if stated != seq {
        return Some(broken(format!(
            "sequence number {stated} where {seq} was expected"
        )));
    }
    if stated_prev != prev {
        return Some(broken(
            "does not follow the line before it (prev hash differs)".into(),
        ));
    }
    None
}

fn read_fields(line: &[u8]) -> Result<Fields<'_>, BadLine> {
    let unreadable = |reason: String| BadLine {
        reason,
        breaks_chain: false,
        newer: None,
    };
    let text = std::str::from_utf8(line).map_err(|_| unreadable("not UTF-8".to_string()))?;
    if let Some(newer) = newer_format(text) {
        return Err(BadLine {
            reason: format!(
                "journal format {newer}, newer than this version of warroom reads (format \
                 {FORMAT} at most)"
            ),
            breaks_chain: false,
            newer: Some(newer),
        });
    }
    let l: LineIn =
        serde_json::from_str(text).map_err(|e| unreadable(format!("not a journal line: {e}")))?;
    Ok(Fields { text, l })
}

impl Fields<'_> {
    fn check_place(&self, prev: &str, seq: u64) -> Result<(), BadLine> {
        place_error(self.l.seq, &self.l.prev, prev, seq).map_or(Ok(()), Err)
    }

    /// The checks after the line's place: its hash from the `prev` it states, its digest,
    /// its form, its time and its event.
    fn finish(self) -> Result<Record, BadLine> {
        let Fields { text, l } = self;
        let line = text.as_bytes();
        let unreadable = |reason: String| BadLine {
            reason,
            breaks_chain: false,
            newer: None,
        };
        let broken = |reason: String| BadLine {
            reason,
            breaks_chain: true,
            newer: None,
        };
        let hash = match (l.v, l.event, l.salt.as_deref(), l.digest.as_deref()) {
            (None, Some(event), None, None) => {
                chain_hash(&l.prev, l.seq, &l.at, &l.by, event.get())
            }
            (Some(2), event, salt, Some(digest)) => {
                if !is_hex(digest, 64) {
                    return Err(broken("its digest is not 64 hex digits".into()));
                }
                match (event, salt) {
                    (Some(event), Some(salt)) => {
                        if !is_hex(salt, 32) || event_digest(salt, event.get()) != digest {
                            return Err(broken(
                                "content does not match its hash: its event differs from its \
                                 digest"
                                    .into(),
                            ));
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(broken("has an event without a salt or a salt alone".into()));
                    }
                }
                chain_hash_v2(&l.prev, l.seq, &l.at, &l.by, digest)
            }
            _ => {
                return Err(broken(
                    "its fields are of no journal format (version, event, salt and digest do \
                     not go together)"
                        .into(),
                ));
            }
        };
        if l.hash != hash {
            return Err(broken("content does not match its hash".into()));
        }
        // The hash covers the fields' values; the line around them must be exactly how
        // warroom writes those values, so no byte of it goes unproved.
        if !written_as_warroom_writes(line, &l.out()) {
            return Err(broken(
                "is not the line warroom wrote for its fields (a field added, keys reordered, \
                 spacing, escapes or line end changed)"
                    .into(),
            ));
        }
        let at = DateTime::parse_from_rfc3339(&l.at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| unreadable(format!("bad time '{}'", l.at)))?;
        let event = match l.event {
            Some(event) => Event::from_json(event.get()).map_err(unreadable)?,
            None => Event::Expunged,
        };
        let record = Record {
            entry: Entry {
                seq: l.seq,
                at,
                by: l.by.into_owned(),
                event,
            },
            line: text.to_string(),
        };
        debug_assert_eq!((record.prev(), record.hash()), (&*l.prev, hash.as_str()));
        Ok(record)
    }
}

/// Where a checked line's `prev` and `hash` are: its last two fields, each 64 hex digits,
/// `…"prev":"<prev>","hash":"<hash>"}` (the line is proved to be written exactly so).
const HASH_FROM_END: usize = 64 + 2;
const PREV_FROM_END: usize = 64 + 10 + HASH_FROM_END;

/// The `prev` of a checked line (see [`Record::prev`]).
pub(super) fn prev_of(line: &str) -> &str {
    let n = line.len();
    line.get(n.saturating_sub(PREV_FROM_END)..n.saturating_sub(PREV_FROM_END - 64))
        .unwrap_or_default()
}

/// The `hash` of a checked line (see [`Record::hash`]).
pub(super) fn hash_of(line: &str) -> &str {
    let n = line.len();
    line.get(n.saturating_sub(HASH_FROM_END)..n.saturating_sub(2))
        .unwrap_or_default()
}

/// The format a line claims when it is newer than [`FORMAT`].
fn newer_format(text: &str) -> Option<u32> {
    if !text.starts_with("{\"v\":") || text.starts_with("{\"v\":2,") {
        return None;
    }
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    serde_json::from_str::<Version>(text)
        .ok()
        .map(|v| v.v)
        .filter(|v| *v > FORMAT)
}

/// True when `line` is byte for byte what [`LineOut`] writes for `out`. Compared as it is
/// serialised, without building the line.
fn written_as_warroom_writes(line: &[u8], out: &LineOut<'_>) -> bool {
    struct SameAs<'a>(&'a [u8]);
    impl Write for SameAs<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            match self.0.strip_prefix(buf) {
                Some(rest) => {
                    self.0 = rest;
                    Ok(buf.len())
                }
                None => Err(std::io::Error::other("differs")),
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut same = SameAs(line);
    serde_json::to_writer(&mut same, out).is_ok() && same.0.is_empty()
}

impl Record {
    /// The journal format of the line (1 or 2).
    pub fn format(&self) -> u32 {
        format_of(&self.line)
    }

    /// True when the entry's event was redacted (only its digest stays).
    pub fn is_redacted(&self) -> bool {
        matches!(self.entry.event, Event::Expunged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NoteKind;
    use crate::journal::GENESIS;
    use chrono::TimeZone;

    fn note(text: &str) -> Event {
        Event::Note {
            kind: NoteKind::Observation,
            text: text.into(),
        }
    }

    #[test]
    fn a_format_2_line_keeps_its_hash_when_its_event_is_taken_out() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let r = encode(2, GENESIS, 1, at, "bob", &note("password=hunter2")).unwrap();
        assert!(r.line.starts_with("{\"v\":2,\"seq\":1,"), "{}", r.line);
        let p = placeholder(&r).unwrap();
        assert_eq!(p.hash(), r.hash());
        assert!(p.is_redacted());
        assert!(
            !p.line.contains("hunter2") && !p.line.contains("salt"),
            "{}",
            p.line
        );
        assert_eq!(parse_line(p.line.as_bytes(), GENESIS, 1).ok(), Some(p));
    }

    #[test]
    fn two_entries_with_one_text_have_different_digests() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let a = encode(2, GENESIS, 1, at, "bob", &note("hunter2")).unwrap();
        let b = encode(2, GENESIS, 1, at, "bob", &note("hunter2")).unwrap();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn a_format_1_line_reads_and_cannot_be_redacted() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let r = encode(1, GENESIS, 1, at, "bob", &note("x")).unwrap();
        assert!(r.line.starts_with("{\"seq\":1,"));
        assert_eq!(r.format(), 1);
        assert!(placeholder(&r).unwrap_err().0.contains("warroom upgrade"));
        let up = upgraded(&r, GENESIS).unwrap();
        assert_eq!((up.format(), &up.entry), (2, &r.entry));
    }

    #[test]
    fn a_newer_format_is_named() {
        let bad = parse_line(br#"{"v":3,"seq":1,"whatever":true}"#, GENESIS, 1).unwrap_err();
        assert_eq!(bad.newer, Some(3));
        assert!(bad.reason.contains("format 3") && bad.reason.contains("format 2"));
    }
}
