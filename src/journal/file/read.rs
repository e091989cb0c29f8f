//! Reading a journal file after the part already known: in runs of about [`READ_RUN`] bytes
//! of whole lines, each run checked on every core ([`super::check`]), linked in order and taken
//! before the next is read, so neither the whole file nor every line's parse is held at once.

use super::super::line::{BadLine, parse_line};
use super::super::{JournalError, Record};
use super::{FileJournal, Tail, check, io};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// A read of the bytes after the known part of a file: what it took, and what a verify tells
/// when the records are not kept.
pub(super) struct Scan {
    pub(super) tail: Tail,
    /// The hash of the last whole line (the known part's, or [`crate::journal::GENESIS`], when none).
    pub(super) head: String,
    /// The format of the journal's lines, when it has any.
    pub(super) format: Option<u32>,
    /// The seqs of the entries read whose event was redacted.
    pub(super) redacted: Vec<u64>,
}

impl FileJournal {
    /// [`FileJournal::read_tail`], keeping the records only when `keep`; either way the
    /// head, the format and the redacted entries are told.
    pub(super) fn read_runs(&self, file: &mut File, keep: bool) -> Result<Scan, JournalError> {
        let start = self.known_len;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| io(&self.path, e))?;
        let file_len = file.metadata().map_err(|e| io(&self.path, e))?.len();
        let mut tail = Tail {
            records: Vec::new(),
            good_len: start,
            lines: 0,
            torn: None,
        };
        let (prev, next) = self.folded.next();
        let (mut prev, mut seq) = (prev.to_string(), next - 1);
        let damaged = |bad: BadLine, line_no: usize| match bad.newer {
            Some(found) => JournalError::NewerFormat {
                path: self.path.clone(),
                found,
                supported: super::super::FORMAT,
            },
            None => JournalError::Damaged {
                path: self.path.clone(),
                line: line_no,
                reason: bad.reason,
            },
        };
        let mut format = self.folded.records.first().map(Record::format);
        let mut redacted = Vec::new();
        // Bytes read and not yet taken: whole lines, then what follows the last newline.
        let mut bytes: Vec<u8> = Vec::new();
        let mut at_end = false;
        while !at_end {
            at_end = read_run(file, &mut bytes).map_err(|e| io(&self.path, e))?;
            // Whole lines (each ends in a newline) are checked on every core, then linked in
            // order; what follows the last newline waits for the next run, or is a last line
            // without one.
            let whole_len = memchr::memrchr(b'\n', &bytes).map_or(0, |nl| nl + 1);
            let whole = &bytes[..whole_len];
            let lines: Vec<&[u8]> = whole
                .split(|b| *b == b'\n')
                .take(memchr::memchr_iter(b'\n', whole).count())
                .collect();
            if keep && tail.records.capacity() == 0 && !lines.is_empty() {
                // The lines still to come, guessed from these: one allocation for the
                // records instead of a doubling (and a copy) every so often.
                let per_line = (whole_len / lines.len()).max(1) as u64;
                let rest = file_len.saturating_sub(start) / per_line;
                tail.records
                    .reserve(lines.len().max(rest as usize + rest as usize / 16));
            }
            for (line, checked) in lines.iter().zip(check::check_lines(&lines)) {
                let line_no = self.known_lines + tail.lines + 1;
                // A line that ends in a newline was written whole: whatever is wrong with it,
                // at the end of the file as anywhere, is damage.
                let record = checked
                    .place(&prev, seq + 1)
                    .map_err(|bad| damaged(bad, line_no))?;
                let first = *format.get_or_insert(record.format());
                if first != record.format() {
                    let bad = BadLine {
                        reason: format!(
                            "a format-{} line in a format-{} journal",
                            record.format(),
                            first
                        ),
                        breaks_chain: true,
                        newer: None,
                    };
                    return Err(damaged(bad, line_no));
                }
                prev.clear();
                prev.push_str(record.hash());
                seq = record.entry.seq;
                if record.is_redacted() {
                    redacted.push(seq);
                }
                if keep {
                    tail.records.push(record);
                }
                tail.good_len += line.len() as u64 + 1;
                tail.lines += 1;
            }
            bytes.drain(..whole_len);
        }
        // The newline is the last byte of an append's one write, so only a last line
        // without one can be what a crash left, and only if it is not a whole journal line
        // that breaks the chain (that was changed afterwards).
        let last = bytes;
        if !last.is_empty() {
            let line_no = self.known_lines + tail.lines + 1;
            let offset = tail.good_len;
            match parse_line(&last, &prev, seq + 1) {
                Err(bad) if bad.breaks_chain || bad.newer.is_some() => {
                    return Err(damaged(bad, line_no));
                }
                Err(bad) => {
                    tail.torn = Some((
                        offset,
                        format!("line {line_no} is cut short: {}", bad.reason),
                    ))
                }
                Ok(_) => tail.torn = Some((offset, format!("line {line_no} has no newline"))),
            }
        }
        tail.records.shrink_to_fit();
        Ok(Scan {
            tail,
            head: prev,
            format,
            redacted,
        })
    }
}

/// About how many bytes of a journal are read, checked and taken at a time.
const READ_RUN: usize = 4 << 20;

/// Reads on from `file` until `bytes` holds a newline past [`READ_RUN`] bytes or the file
/// ends; true at the end of the file.
fn read_run(file: &mut File, bytes: &mut Vec<u8>) -> std::io::Result<bool> {
    loop {
        let have = bytes.len();
        if have >= READ_RUN && memchr::memchr(b'\n', bytes).is_some() {
            return Ok(false);
        }
        let want = READ_RUN.max(have / 2).min(16 << 20);
        bytes.resize(have + want, 0);
        let n = loop {
            match file.read(&mut bytes[have..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match n {
            Ok(n) => {
                bytes.truncate(have + n);
                if n == 0 {
                    return Ok(true);
                }
            }
            Err(e) => {
                bytes.truncate(have);
                return Err(e);
            }
        }
    }
}
