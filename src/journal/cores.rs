//! Work split over every core: `f` applied to each of a slice's items, in as many runs as
//! there are cores (the first on the calling thread), the answers kept in the items' order.
//! The outcome is that of applying `f` to the items one after the other, as long as `f` of one
//! item does not depend on `f` of another.

/// `f` of each of `items`, in order, on every core when there are at least `least_per_run`
/// items for each run (below that, starting a thread costs more than it saves: one core).
pub(super) fn map_on_cores<T: Sync, R: Send>(
    items: &[T],
    least_per_run: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let least_per_run = least_per_run.max(1);
    if items.len() < 2 * least_per_run {
        // One run whatever the cores (not asked: that reads the process's CPU limits).
        return items.iter().map(&f).collect();
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = cores.min(items.len() / least_per_run).max(1);
    if runs == 1 {
        return items.iter().map(&f).collect();
    }
    let per_run = items.len().div_ceil(runs);
    let f = &f;
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(per_run);
        // The first run stays on this thread; the others get one each (or run here too, when
        // no thread can be started).
        let first = chunks.next().unwrap_or_default();
        let started: Vec<_> = chunks
            .map(|chunk| {
                std::thread::Builder::new()
                    .name("journal-cores".into())
                    .spawn_scoped(scope, move || chunk.iter().map(f).collect::<Vec<R>>())
                    .map_err(|_| chunk)
            })
            .collect();
        let mut all: Vec<R> = first.iter().map(f).collect();
        all.reserve(items.len() - all.len());
        for run in started {
            match run {
                Ok(handle) => match handle.join() {
                    Ok(part) => all.extend(part),
                    // A panic in a run is a panic here, as it would be in order.
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(chunk) => all.extend(chunk.iter().map(f)),
            }
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::map_on_cores;

    #[test]
    fn the_answers_keep_the_items_order_whatever_the_runs() {
        for n in [0, 1, 2, 3, 31, 32, 63, 64, 65, 1_000, 1_001] {
            let items: Vec<usize> = (0..n).collect();
            for least in [0, 1, 2, 32, 1_000] {
                let got = map_on_cores(&items, least, |i| i * 3);
                let want: Vec<usize> = items.iter().map(|i| i * 3).collect();
                assert_eq!(got, want, "{n} items, at least {least} a run");
            }
        }
    }
}
