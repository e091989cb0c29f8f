//! The chain of a journal's whole lines checked on every core: each line's hash depends only
//! on its own bytes and the `prev` it states, so the lines are checked apart in as many runs
//! as there are cores, and the links between them (each line's stated `seq` and `prev`
//! against the line before it) in one cheap pass afterwards, in order, by the caller
//! ([`Checked::place`]). The outcome, and the first bad line's message, are those of checking
//! the lines one after the other.

use super::super::line::{Checked, check_alone};

/// Below this many lines, one core: starting a thread costs more than it saves.
const PARALLEL_FROM: usize = 2_048;

/// Each of `lines` checked on its own, in the same order.
pub(in crate::journal) fn check_lines(lines: &[&[u8]]) -> Vec<Checked> {
    if lines.len() < PARALLEL_FROM {
        return lines.iter().map(|l| check_alone(l)).collect();
    }
    crate::journal::cores::map_on_cores(lines, PARALLEL_FROM / 2, |l| check_alone(l))
}
