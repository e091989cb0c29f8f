//! The `exec` executor against real processes: success, failure, lines streamed as they are
//! written, a timeout and a cancel that take the whole process group down (children and
//! grandchildren, checked in /proc), leftovers of a finished program, several runs at once,
//! and parameters that look like shell passed as one literal argument each.
#![cfg(target_os = "linux")]

use crate::support::alive;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use warroom::actions::{Cancel, OutputLine, RunResult, Stream, execute};
use warroom::domain::ActionOutcome;

/// One action called `a` from a runbook snippet (the `[[action]]` header is added).
fn action(body: &str) -> warroom::actions::CompensatingAction {
    let text = format!("[[action]]\nname = \"a\"\n{body}");
    let rb = warroom::actions::parse_runbook(Path::new("runbook.toml"), &text)
        .unwrap_or_else(|e| panic!("runbook: {e}\n{text}"));
    rb.actions.into_iter().next().unwrap()
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs to the end, collecting every line with the time it arrived.
async fn run_collect(
    a: &warroom::actions::CompensatingAction,
    p: &BTreeMap<String, String>,
    cancel: Cancel,
) -> (RunResult, Vec<(Instant, OutputLine)>) {
    let run = a.prepare(p, &|_| None).unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let exec = execute(&run, Some(&client), tx, cancel);
    tokio::pin!(exec);
    let mut lines = Vec::new();
    let result = loop {
        tokio::select! {
            Some(l) = rx.recv() => lines.push((Instant::now(), l)),
            r = &mut exec => break r,
        }
    };
    while let Ok(l) = rx.try_recv() {
        lines.push((Instant::now(), l));
    }
    (result, lines)
}

fn texts(lines: &[(Instant, OutputLine)], stream: Stream) -> Vec<String> {
    lines
        .iter()
        .filter(|(_, l)| l.stream == stream)
        .map(|(_, l)| l.text.clone())
        .collect()
}

fn read_pid(path: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(t) = std::fs::read_to_string(path)
            && let Ok(p) = t.trim().parse()
        {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A TOML string holding exactly `s`.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[tokio::test]
async fn a_successful_command_reports_exit_zero_and_its_output() {
    let a = action(
        r#"kind = "exec"
argv = ["sh", "-c", "echo flag checkout-v2 is off"]"#,
    );
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    assert_eq!(r.outcome, ActionOutcome::Succeeded);
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(texts(&lines, Stream::Stdout), ["flag checkout-v2 is off"]);
    assert!(
        r.output_tail.starts_with("out| flag checkout-v2 is off\n"),
        "{}",
        r.output_tail
    );
    assert!(r.output_tail.ends_with("— succeeded"), "{}", r.output_tail);
}

#[tokio::test]
async fn a_non_zero_exit_is_a_failure_with_its_code_and_stderr() {
    let a = action(
        r#"kind = "exec"
argv = ["sh", "-c", "echo 'error: flag service unreachable' >&2; exit 3"]"#,
    );
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    assert_eq!(r.outcome, ActionOutcome::Failed);
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(
        texts(&lines, Stream::Stderr),
        ["error: flag service unreachable"]
    );
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_and_says_why() {
    let a = action(
        r#"kind = "exec"
argv = ["/nonexistent/flagctl", "off"]"#,
    );
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    assert_eq!(r.outcome, ActionOutcome::Failed);
    assert_eq!(r.exit_code, None);
    assert!(
        texts(&lines, Stream::Warroom)[0].starts_with("cannot start /nonexistent/flagctl"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn lines_stream_as_written_in_order_across_stdout_and_stderr() {
    let a = action(
        r#"kind = "exec"
argv = ["sh", "-c", "for i in 1 2 3 4 5; do if [ $((i % 2)) -eq 0 ]; then echo line $i >&2; else echo line $i; fi; sleep 0.3; done"]"#,
    );
    let started = Instant::now();
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    let ended = Instant::now();
    assert_eq!(r.outcome, ActionOutcome::Succeeded);
    let program: Vec<(Stream, String)> = lines
        .iter()
        .filter(|(_, l)| l.stream != Stream::Warroom)
        .map(|(_, l)| (l.stream, l.text.clone()))
        .collect();
    assert_eq!(
        program,
        vec![
            (Stream::Stdout, "line 1".to_string()),
            (Stream::Stderr, "line 2".to_string()),
            (Stream::Stdout, "line 3".to_string()),
            (Stream::Stderr, "line 4".to_string()),
            (Stream::Stdout, "line 5".to_string()),
        ]
    );
    // Streamed, not buffered to the end: the first line came long before the program ended.
    let first = lines[0].0;
    assert!(
        ended - first >= Duration::from_millis(900),
        "first line {:?} after start, end {:?} after start",
        first - started,
        ended - started
    );
    assert!(
        r.output_tail
            .starts_with("out| line 1\nerr| line 2\nout| line 3\nerr| line 4\nout| line 5\n"),
        "{}",
        r.output_tail
    );
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group_grandchildren_included() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    // The child starts a grandchild that ignores SIGTERM, so only SIGKILL ends it.
    let script = format!(
        "sh -c 'trap \"\" TERM; sleep 300 & echo $! > {d}/grandchild; wait' & echo $! > {d}/child; echo started; wait"
    );
    let a = action(&format!(
        "kind = \"exec\"\nargv = [\"sh\", \"-c\", {}]\ntimeout = \"1s\"\n",
        toml_str(&script)
    ));
    let started = Instant::now();
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    assert_eq!(r.outcome, ActionOutcome::TimedOut, "{lines:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let said = texts(&lines, Stream::Warroom).join("\n");
    assert!(said.contains("timed out after 1.0s"), "{said}");
    assert!(said.contains("SIGKILL sent to the process group"), "{said}");
    let child = read_pid(&dir.path().join("child"));
    let grandchild = read_pid(&dir.path().join("grandchild"));
    // No orphan: neither the child nor the grandchild is alive.
    let deadline = Instant::now() + Duration::from_secs(2);
    while (alive(child) || alive(grandchild)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(child), "child {child} survived the timeout");
    assert!(
        !alive(grandchild),
        "grandchild {grandchild} survived the timeout"
    );
}

#[tokio::test]
async fn cancel_stops_a_run_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let script = format!("sleep 300 & echo $! > {d}/child; echo waiting; wait");
    let a = action(&format!(
        "kind = \"exec\"\nargv = [\"sh\", \"-c\", {}]\ntimeout = \"5m\"\n",
        toml_str(&script)
    ));
    let run = a.prepare(&params(&[]), &|_| None).unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (handle, cancel) = Cancel::pair();
    let exec = execute(&run, Some(&client), tx, cancel);
    tokio::pin!(exec);
    let started = Instant::now();
    let mut lines: Vec<OutputLine> = Vec::new();
    let r = loop {
        tokio::select! {
            Some(l) = rx.recv() => {
                if l.text == "waiting" {
                    handle.cancel();
                }
                lines.push(l);
            }
            r = &mut exec => break r,
        }
    };
    assert_eq!(r.outcome, ActionOutcome::Cancelled, "{lines:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cancel took {:?}",
        started.elapsed()
    );
    assert!(
        lines.iter().any(|l| l
            .text
            .starts_with("cancelled: stopping the whole process group")),
        "{lines:?}"
    );
    let child = read_pid(&dir.path().join("child"));
    assert!(!alive(child), "sleep {child} survived the cancel");
}

#[tokio::test]
async fn a_finished_program_leaves_nothing_running_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let script = format!("sleep 300 & echo $! > {d}/child; echo done");
    let a = action(&format!(
        "kind = \"exec\"\nargv = [\"sh\", \"-c\", {}]\n",
        toml_str(&script)
    ));
    let (r, lines) = run_collect(&a, &params(&[]), Cancel::never()).await;
    assert_eq!(r.outcome, ActionOutcome::Succeeded);
    let said = texts(&lines, Stream::Warroom).join("\n");
    assert!(said.contains("left processes running"), "{said}");
    let child = read_pid(&dir.path().join("child"));
    assert!(!alive(child), "sleep {child} was left running");
}

#[tokio::test]
async fn shell_looking_parameters_arrive_as_one_literal_argument_each() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("print-argv");
    std::fs::write(
        &script,
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pwned = dir.path().join("pwned");
    let a = action(&format!(
        "kind = \"exec\"\nargv = [{}, \"{{target}}\", \"--reason={{why}}\", \"x{{target}}y\"]\n\
         [[action.param]]\nname = \"target\"\npattern = \".+\"\n\
         [[action.param]]\nname = \"why\"\npattern = \".+\"\n",
        toml_str(&script.display().to_string())
    ));
    let target = "checkout; rm -rf /";
    let why = format!(
        "$(touch {}) `touch {}` ${{HOME}} 'q\" *",
        pwned.display(),
        pwned.display()
    );
    let (r, lines) = run_collect(
        &a,
        &params(&[("target", target), ("why", &why)]),
        Cancel::never(),
    )
    .await;
    assert_eq!(r.outcome, ActionOutcome::Succeeded, "{lines:?}");
    assert_eq!(
        texts(&lines, Stream::Stdout),
        [
            format!("[{target}]"),
            format!("[--reason={why}]"),
            format!("[x{target}y]"),
        ]
    );
    assert!(!pwned.exists(), "a parameter was run by a shell");
}

#[tokio::test]
async fn several_actions_run_at_once() {
    let a = action(
        r#"kind = "exec"
argv = ["sh", "-c", "sleep 0.5; echo one"]"#,
    );
    let b = action(
        r#"kind = "exec"
argv = ["sh", "-c", "sleep 0.5; echo two"]"#,
    );
    let started = Instant::now();
    let p = params(&[]);
    let ((ra, la), (rb, lb)) = tokio::join!(
        run_collect(&a, &p, Cancel::never()),
        run_collect(&b, &p, Cancel::never())
    );
    assert_eq!(
        (ra.outcome, rb.outcome),
        (ActionOutcome::Succeeded, ActionOutcome::Succeeded)
    );
    assert_eq!(texts(&la, Stream::Stdout), ["one"]);
    assert_eq!(texts(&lb, Stream::Stdout), ["two"]);
    assert!(
        started.elapsed() < Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn secrets_from_the_environment_are_redacted_in_the_stream_and_the_tail() {
    let a = action(
        r#"kind = "exec"
argv = ["sh", "-c", "echo token is $TOKEN; echo $TOKEN >&2"]
[action.env]
TOKEN = "${ACTION_TEST_TOKEN}""#,
    );
    let run = a
        .prepare(&params(&[]), &|v| {
            (v == "ACTION_TEST_TOKEN").then(|| "s3cr3t-t0ken".to_string())
        })
        .unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let r = execute(&run, Some(&client), tx, Cancel::never()).await;
    let mut all = String::new();
    while let Ok(l) = rx.try_recv() {
        all.push_str(&l.text);
        all.push('\n');
    }
    assert_eq!(r.outcome, ActionOutcome::Succeeded);
    assert!(all.contains("token is [redacted]"), "{all}");
    assert!(!all.contains("s3cr3t"), "{all}");
    assert!(!r.output_tail.contains("s3cr3t"), "{}", r.output_tail);
}

/// Kills `pid` when dropped, so a process a failing test left behind does not outlive it.
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            // SAFETY: kill only sends a signal.
            unsafe {
                libc::kill(*pid as i32, libc::SIGKILL);
            }
        }
    }
}

/// Neither alive nor a zombie waiting to be reaped: its /proc entry is gone.
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Path::new(&format!("/proc/{pid}")).exists() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A program that starts a grandchild in a session (and so a process group) of its own,
/// with its output away from warroom's pipes, like a daemon: it writes its pid to
/// `{dir}/escaped` and sleeps.
fn escaping_script(dir: &str) -> String {
    format!(
        "setsid sh -c 'echo $$ > {dir}/escaped.tmp; mv {dir}/escaped.tmp {dir}/escaped; exec sleep 300' </dev/null >/dev/null 2>&1 & \
         while [ ! -e {dir}/escaped ]; do sleep 0.05; done; echo waiting; sleep 300"
    )
}

/// `warroom run`'s timeout ends every process the action started, also one that left its
/// process group with `setsid()`.
#[test]
fn a_timeout_in_warroom_run_ends_a_grandchild_that_called_setsid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let data = dir.path().join("data");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("runbook.toml"),
        format!(
            "[[action]]\nname = \"daemon\"\nkind = \"exec\"\nargv = [\"sh\", \"-c\", {}]\ntimeout = \"2s\"\n",
            toml_str(&escaping_script(&d))
        ),
    )
    .unwrap();
    let id = crate::common::open_incident(&data, "alice", "Escapes", "sev2");
    let ran = crate::common::run({
        let mut c = crate::common::warroom(&data, "alice");
        c.env("WARROOM_CONFIG", conf.join("config.toml"))
            .args(["run", &id, "daemon", "--yes"]);
        c
    });
    let escaped = read_pid(&dir.path().join("escaped"));
    let _cleanup = KillOnDrop(vec![escaped]);
    assert_ne!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("timed out after 2.0s"),
        "{}",
        ran.stderr
    );
    assert!(
        gone(escaped),
        "the setsid grandchild {escaped} survived warroom run's timeout"
    );
}

/// The console's cancel ends a grandchild that called `setsid()`, and leaves no zombie: the
/// run reaps what it killed.
#[tokio::test]
async fn cancel_ends_a_grandchild_that_called_setsid_and_leaves_no_zombie() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let a = action(&format!(
        "kind = \"exec\"\nargv = [\"sh\", \"-c\", {}]\ntimeout = \"5m\"\n",
        toml_str(&escaping_script(&d))
    ));
    let run = a.prepare(&params(&[]), &|_| None).unwrap();
    let client = warroom::backends::http_client().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (handle, cancel) = Cancel::pair();
    let exec = execute(&run, Some(&client), tx, cancel);
    tokio::pin!(exec);
    let mut lines: Vec<OutputLine> = Vec::new();
    let r = loop {
        tokio::select! {
            Some(l) = rx.recv() => {
                if l.text == "waiting" {
                    handle.cancel();
                }
                lines.push(l);
            }
            r = &mut exec => break r,
        }
    };
    let escaped = read_pid(&dir.path().join("escaped"));
    let _cleanup = KillOnDrop(vec![escaped]);
    assert_eq!(r.outcome, ActionOutcome::Cancelled, "{lines:?}");
    assert!(
        gone(escaped),
        "the setsid grandchild {escaped} survived the cancel (or is an unreaped zombie)"
    );
}
