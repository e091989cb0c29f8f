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
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = cores.min(lines.len() / (PARALLEL_FROM / 2)).max(1);
    if runs == 1 || lines.len() < PARALLEL_FROM {
        return lines.iter().map(|l| check_alone(l)).collect();
    }
    let per_run = lines.len().div_ceil(runs);
    std::thread::scope(|scope| {
        let mut chunks = lines.chunks(per_run);
        // The first run stays on this thread; the others get one each (or run here too, when
        // no thread can be started).
        let first = chunks.next().unwrap_or_default();
        let started: Vec<_> = chunks
            .map(|chunk| {
                std::thread::Builder::new()
                    .name("journal-check".into())
                    .spawn_scoped(scope, move || check_all(chunk))
                    .map_err(|_| chunk)
            })
            .collect();
        let mut checked = check_all(first);
        checked.reserve(lines.len() - checked.len());
        for run in started {
            let part = match run {
                Ok(handle) => match handle.join() {
                    Ok(part) => part,
                    // A panic in a run is a panic here, as it would be checking in order.
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(chunk) => check_all(chunk),
            };
            checked.extend(part);
        }
        checked
    })
}

fn check_all(lines: &[&[u8]]) -> Vec<Checked> {
    lines.iter().map(|l| check_alone(l)).collect()
}
