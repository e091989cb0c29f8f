//! Running an `exec` action: the program in a process group of its own, standard input from
//! `/dev/null` (a child never reads the keyboard), standard output and error read line by
//! line and streamed to the caller as they come, each line tagged with its stream and with
//! secrets redacted. A timeout or a cancel stops the whole group and every process the run
//! started, also those that left the group (see [`super::procs`]) — SIGTERM, then SIGKILL after
//! a short grace — and says so; so does a finished run that leaves processes behind.

use super::procs::{self, RunProcs};
use super::{Cancel, OutputLine, Redactor, RunResult, Sink, Stream};
use crate::domain::ActionOutcome;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

/// Between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);
/// How long output is still read after the program exits, for what its children wrote.
const DRAIN: Duration = Duration::from_millis(500);
/// How often the run's processes are looked for while it goes.
const LOOK: Duration = Duration::from_secs(1);
/// A line longer than this is passed on in pieces.
const MAX_LINE_BYTES: usize = 8192;

/// Kills the run's processes if the run is dropped half way (the console quits, a task is
/// aborted): nothing the runbook started outlives warroom's interest in it.
struct Guard {
    procs: Option<RunProcs>,
}

impl Guard {
    fn signal(&mut self, signal: i32) {
        if let Some(p) = self.procs.as_mut() {
            p.signal(signal);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut p) = self.procs.take() {
            p.signal(libc::SIGKILL);
            p.reap();
        }
    }
}

/// Runs `argv` and reports its lines to `sink`; never panics, whatever the program does.
pub(super) async fn run(
    argv: &[String],
    dir: Option<&str>,
    env: &[(String, String)],
    timeout: Duration,
    sink: &mut Sink,
    cancel: &mut Cancel,
) -> RunResult {
    let started = Instant::now();
    let Some(program) = argv.first() else {
        sink.warroom("nothing to run: argv is empty".into());
        return sink.result(ActionOutcome::Failed, None, None, started);
    };
    procs::become_subreaper();
    let mark = procs::new_mark();
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env(procs::MARK_VAR, &mark);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let place = dir.map(|d| format!(" in {d}")).unwrap_or_default();
            sink.warroom(format!("cannot start {program}{place}: {e}"));
            return sink.result(ActionOutcome::Failed, None, None, started);
        }
    };
    let mut guard = Guard {
        procs: child.id().map(|p| RunProcs::new(p as i32, mark)),
    };
    let (tx, mut lines) = mpsc::channel::<(Stream, String)>(256);
    if let Some(out) = child.stdout.take() {
        let redactor = sink.redactor().clone();
        tokio::spawn(read_lines(out, Stream::Stdout, redactor, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        let redactor = sink.redactor().clone();
        tokio::spawn(read_lines(err, Stream::Stderr, redactor, tx.clone()));
    }
    drop(tx);

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let grace = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(grace);
    let mut stop: Option<ActionOutcome> = None;
    let mut killed = false;
    let mut readers_open = true;
    // Learns the run's processes while they can still be told apart, and reaps those that
    // ended as warroom's children.
    let mut look = tokio::time::interval(LOOK);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let status = loop {
        tokio::select! {
            biased;
            line = lines.recv(), if readers_open => match line {
                Some((stream, text)) => sink.line(stream, text),
                None => readers_open = false,
            },
            status = child.wait() => break status,
            _ = look.tick() => if let Some(p) = guard.procs.as_mut() { p.reap() },
            () = &mut deadline, if stop.is_none() => {
                stop = Some(ActionOutcome::TimedOut);
                sink.warroom(format!(
                    "timed out after {}: stopping the whole process group and every process it started (SIGTERM, then SIGKILL after {}s)",
                    secs(timeout),
                    GRACE.as_secs()
                ));
                guard.signal(libc::SIGTERM);
                grace.as_mut().reset(tokio::time::Instant::now() + GRACE);
            }
            () = cancel.cancelled(), if stop.is_none() => {
                stop = Some(ActionOutcome::Cancelled);
                sink.warroom(format!(
                    "cancelled: stopping the whole process group and every process it started (SIGTERM, then SIGKILL after {}s)",
                    GRACE.as_secs()
                ));
                guard.signal(libc::SIGTERM);
                grace.as_mut().reset(tokio::time::Instant::now() + GRACE);
            }
            () = &mut grace, if stop.is_some() && !killed => {
                killed = true;
                sink.warroom(format!("still running {}s after SIGTERM: SIGKILL sent to the process group", GRACE.as_secs()));
                guard.signal(libc::SIGKILL);
            }
        }
    };
    // The program has ended; what it started may not have. Read what is left for a moment
    // (or until the grace after a SIGTERM runs out), then make sure the group is gone.
    let until = if stop.is_some() && !killed {
        grace.deadline()
    } else {
        tokio::time::Instant::now() + DRAIN
    };
    drain(&mut lines, &mut readers_open, sink, until).await;
    if let Some(mut procs) = guard.procs.take() {
        if readers_open || procs.alive() {
            if stop.is_some() {
                if !killed {
                    sink.warroom(format!(
                        "still running {}s after SIGTERM: SIGKILL sent to the process group",
                        GRACE.as_secs()
                    ));
                }
            } else {
                sink.warroom(
                    "the program exited but left processes running: the process group was killed"
                        .into(),
                );
            }
            procs.signal(libc::SIGKILL);
            let until = tokio::time::Instant::now() + DRAIN;
            drain(&mut lines, &mut readers_open, sink, until).await;
            // SIGKILL is not instant: return once they are really gone (or say they are not).
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            while procs.alive() {
                if tokio::time::Instant::now() >= deadline {
                    sink.warroom(
                        "processes of the run are still alive after SIGKILL (stuck in the kernel?)"
                            .into(),
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        loop {
            procs.reap();
            if procs.settled() || tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let (code, signal) = match &status {
        Ok(s) => (s.code(), s.signal()),
        Err(_) => (None, None),
    };
    let outcome = match stop {
        Some(o) => o,
        None if code == Some(0) => ActionOutcome::Succeeded,
        None => ActionOutcome::Failed,
    };
    let how = match (&status, code, signal) {
        (Err(e), _, _) => format!("lost track of the program: {e}"),
        (_, Some(c), _) => format!("exit {c}"),
        (_, None, Some(s)) => format!("killed by signal {s}"),
        _ => "ended".into(),
    };
    sink.warroom(format!(
        "{how} after {} — {outcome}",
        secs(started.elapsed())
    ));
    sink.result(outcome, code, None, started)
}

/// Passes on lines until the readers close or `until` passes.
async fn drain(
    lines: &mut mpsc::Receiver<(Stream, String)>,
    open: &mut bool,
    sink: &mut Sink,
    until: tokio::time::Instant,
) {
    while *open {
        match tokio::time::timeout_at(until, lines.recv()).await {
            Ok(Some((stream, text))) => sink.line(stream, text),
            Ok(None) => *open = false,
            Err(_) => break,
        }
    }
}

/// Reads `r` and sends each line (without its line ending) as it completes; a line longer
/// than [`MAX_LINE_BYTES`] in pieces, cut where no secret straddles two of them.
async fn read_lines<R: AsyncRead + Unpin>(
    mut r: R,
    stream: Stream,
    redactor: Redactor,
    tx: mpsc::Sender<(Stream, String)>,
) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 8192];
    loop {
        let n = match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            if tx.send((stream, text_of(&line))).await.is_err() {
                return;
            }
        }
        if buf.len() > MAX_LINE_BYTES
            && let Some(piece) = redactor.cut_piece(&mut buf)
            && tx.send((stream, piece)).await.is_err()
        {
            return;
        }
    }
    if !buf.is_empty() {
        let _ = tx.send((stream, text_of(&buf))).await;
    }
}

fn text_of(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.trim_end_matches('\n').trim_end_matches('\r').to_string()
}

/// `1.2s`, `30s`, `5m`.
pub(crate) fn secs(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        crate::domain::short_duration(chrono::Duration::from_std(d).unwrap_or_default())
    }
}

impl OutputLine {
    /// `out| text`, `err| text`, `warroom| text`: the merged stream as one text.
    pub fn tagged(&self) -> String {
        format!("{}| {}", self.stream.tag(), self.text)
    }
}
