//! `warroom actions [--json]`: the runbook; and `warroom run ID ACTION [--param k=v]…
//! [--dry-run] [--yes]`: one compensating action, checked, shown, confirmed, run with its
//! output streamed, and journaled (started, finished, verified). Exit 0 when the action
//! succeeded, 1 when it failed or timed out, 2 for bad input or a bad runbook.

use super::{Context, Failure, warn_all};
use crate::actions::runbook::{CompensatingAction, ParamRule, display_pattern};
use crate::actions::{Cancel, OutputLine, Runbook, Stream, execute, verify};
use crate::domain::for_terminal;
use crate::domain::{ActionOutcome, Event, Rejected, next_run_id};
use crate::journal::Journal;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

/// `println!` without the panic on a closed pipe: the run goes on, and is recorded, even if
/// nobody reads its output any more.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            crate::domain::for_terminal(&format!($($arg)*))
        );
    }};
}

/// `writeln!` into a String (which cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

impl Context {
    /// `runbook.toml` beside `config.toml`, checked; a bad file is bad input (exit 2).
    pub fn runbook(&self) -> Result<Runbook, Failure> {
        crate::actions::load_runbook(&self.runbook_path())
            .map_err(|e| Failure::bad_input(e.to_string()))
    }

    pub fn runbook_path(&self) -> std::path::PathBuf {
        self.paths.config_dir().join("runbook.toml")
    }
}

pub fn list(ctx: &Context, json: bool) -> Result<(), Failure> {
    let runbook = ctx.runbook()?;
    let mut out = String::new();
    if json {
        let list: Vec<serde_json::Value> = runbook.actions.iter().map(action_json).collect();
        let text = serde_json::to_string_pretty(&list)
            .map_err(|e| Failure::runtime(format!("cannot encode the runbook: {e}")))?;
        return emit(&format!("{}\n", crate::domain::json_for_terminal(&text)));
    }
    if runbook.actions.is_empty() {
        outln!(
            out,
            "No actions: {} is missing or empty (see docs/runbook.example.toml).",
            ctx.runbook_path().display()
        );
        return emit(&out);
    }
    for a in &runbook.actions {
        let ask = if a.dangerous {
            "  DANGEROUS (type the name to run)"
        } else if a.confirm {
            "  asks to confirm"
        } else {
            ""
        };
        outln!(out, "{}  [{}]{ask}", a.name, a.kind.name());
        if !a.description.is_empty() {
            outln!(out, "    {}", a.description);
        }
        let placeholders: BTreeMap<String, String> = a
            .params
            .iter()
            .map(|p| (p.name.clone(), format!("{{{}}}", p.name)))
            .collect();
        outln!(out, "    runs: {}", a.command(&placeholders));
        for p in &a.params {
            let default = p
                .default
                .as_ref()
                .map(|d| format!(", default {d}"))
                .unwrap_or_default();
            outln!(out, "    --param {}=…  {}{default}", p.name, p.hint());
        }
        if let Some(v) = &a.verify {
            outln!(
                out,
                "    verify: {} {} within {}",
                crate::actions::verify::fill(v, &placeholders),
                v.expect,
                crate::actions::exec::secs(v.within)
            );
        }
        if let Some(u) = &a.undo {
            outln!(out, "    undo: {u}");
        }
    }
    emit(&out)
}

/// Writes text for a person (control characters shown, not sent) to standard output; a
/// closed pipe (`warroom actions | head`) is the reader's choice.
fn emit(text: &str) -> Result<(), Failure> {
    let text = crate::domain::for_terminal(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::runtime(format!("cannot write: {e}")))
        }
        _ => Ok(()),
    }
}

fn action_json(a: &CompensatingAction) -> serde_json::Value {
    let params: Vec<serde_json::Value> = a
        .params
        .iter()
        .map(|p| {
            let mut v = serde_json::json!({
                "name": p.name,
                "description": p.description,
                "default": p.default,
            });
            match &p.rule {
                ParamRule::Pattern(re) => v["pattern"] = display_pattern(re).into(),
                ParamRule::Choices(c) => v["choices"] = c.clone().into(),
                ParamRule::BlastRadius(re) => {
                    v["from"] = "blast_radius".into();
                    v["pattern"] = display_pattern(re).into();
                }
            }
            v
        })
        .collect();
    let placeholders: BTreeMap<String, String> = a
        .params
        .iter()
        .map(|p| (p.name.clone(), format!("{{{}}}", p.name)))
        .collect();
    serde_json::json!({
        "name": a.name,
        "description": a.description,
        "kind": a.kind.name(),
        "command": a.command(&placeholders),
        "timeout_secs": a.timeout.as_secs_f64(),
        "confirm": a.confirm,
        "dangerous": a.dangerous,
        "undo": a.undo,
        "params": params,
        "verify": a.verify.as_ref().map(|v| {
            // The query under its own key (`promql`, `graphite`), as in runbook.toml.
            let mut o = serde_json::json!({
                "expect": v.expect.to_string(),
                "within_secs": v.within.as_secs_f64(),
            });
            if let (Some(o), serde_json::Value::Object(q)) = (
                o.as_object_mut(),
                serde_json::json!(crate::actions::verify::fill(v, &placeholders)),
            ) {
                o.extend(q);
            }
            o
        }),
    })
}

/// `NAME=VALUE` pairs from `--param`.
fn parse_params(pairs: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    let mut out = BTreeMap::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Failure::bad_input(format!(
                "--param '{p}': write NAME=VALUE"
            )));
        };
        if out.insert(k.trim().to_string(), v.to_string()).is_some() {
            return Err(Failure::bad_input(format!("--param {k} is given twice")));
        }
    }
    Ok(out)
}

pub struct RunArgs<'a> {
    pub id: &'a str,
    pub action: &'a str,
    pub params: &'a [String],
    pub dry_run: bool,
    pub yes: bool,
}

pub fn run(ctx: &Context, args: RunArgs<'_>) -> Result<(), Failure> {
    let config = ctx.config_for("run", crate::config::METRIC_PARTS)?;
    let runbook = ctx.runbook()?;
    let Some(action) = runbook.get(args.action) else {
        let known: Vec<&str> = runbook.actions.iter().map(|a| a.name.as_str()).collect();
        let path = ctx.runbook_path();
        return Err(Failure::bad_input(if !path.exists() {
            format!(
                "no action '{}': no runbook at {} (it is read beside config.toml; create it \
                 there, docs/runbook.example.toml shows every field)",
                args.action,
                path.display()
            )
        } else if known.is_empty() {
            format!(
                "no action '{}': {} has no actions",
                args.action,
                path.display()
            )
        } else {
            format!(
                "no action '{}' in {} (it has {})",
                args.action,
                ctx.runbook_path().display(),
                known.join(", ")
            )
        }));
    };
    let given = parse_params(args.params)?;
    let params = action
        .check_params(&given)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", action.name)))?;
    let mut journal = ctx.store()?.open(args.id)?;
    warn_all(&mut journal);
    match journal.incident() {
        None => {
            return Err(Failure::bad_input(format!(
                "{} has no opening entry; its journal is empty",
                args.id
            )));
        }
        Some(i) if i.is_resolved() => {
            return Err(Failure::bad_input(format!(
                "{} is resolved; no action can be run on it",
                i.id
            )));
        }
        Some(_) => {}
    }
    let mut err = std::io::stderr();
    let env = |var: &str| std::env::var(var).ok();
    let prepared = action.prepare(&given, &env);
    // A value may hold a secret by chance (a token pasted as a parameter): redact it too.
    let redactor = prepared
        .as_ref()
        .map(|p| p.redactor.clone())
        .unwrap_or_default();
    let shown: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.clone(), redactor.redact(v)))
        .collect();
    let preview = action.preview(&shown);
    for (n, line) in preview.iter().enumerate() {
        if n == 0 {
            say!("{}: {line}", action.name);
        } else {
            say!("    {line}");
        }
    }
    if args.dry_run {
        let run_id = start(ctx, &mut journal, action, &shown, true, &preview[0])?;
        say!("dry run {run_id}: nothing was run (recorded in the log)");
        return Ok(());
    }
    let prepared = prepared.map_err(|e| Failure::bad_input(e.to_string()))?;
    confirm(action, args.yes)?;
    // Everything that could fail to set up is set up before the start is recorded: a run in
    // the log always gets its end.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot run the action: {e}")))?;
    let client = crate::backends::http_client().map_err(Failure::runtime)?;
    let run_id = start(ctx, &mut journal, action, &shown, false, &prepared.command)?;
    let _ = writeln!(err, "warroom: {run_id} {} started", action.name);

    let result = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (handle, cancel) = Cancel::pair();
        let stop = stop_signals();
        tokio::pin!(stop);
        let exec = execute(&prepared, Some(&client), tx, cancel);
        tokio::pin!(exec);
        let mut stopping = false;
        let result = loop {
            tokio::select! {
                Some(line) = rx.recv() => print_line(&line),
                r = &mut exec => break r,
                () = &mut stop, if !stopping => {
                    stopping = true;
                    handle.cancel();
                }
            }
        };
        while let Ok(line) = rx.try_recv() {
            print_line(&line);
        }
        result
    });
    let finished = Event::ActionFinished {
        run_id: run_id.clone(),
        action: action.name.clone(),
        outcome: result.outcome,
        exit_code: result.exit_code,
        http_status: result.http_status,
        duration_ms: result.duration.as_millis() as u64,
        output_tail: result.output_tail.clone(),
    };
    journal
        .append(&ctx.author, chrono::Utc::now(), finished)
        .map_err(|e| Failure::runtime(format!("{run_id} ran but its end was not recorded: {e}")))?;
    if result.outcome == ActionOutcome::Succeeded
        && let Some(spec) = &action.verify
    {
        let (metrics, problems) = crate::backends::metrics::MetricReaders::from_config(
            &config,
            &client,
            std::time::Duration::from_secs(10),
        );
        for p in problems {
            say_err!("warroom: warning: {p}");
        }
        let v = runtime.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let v = {
                let check = verify(&metrics, spec, &params, &tx);
                tokio::pin!(check);
                let stop = stop_signals();
                tokio::pin!(stop);
                loop {
                    tokio::select! {
                        Some(line) = rx.recv() => print_line(&line),
                        v = &mut check => break Some(v),
                        () = &mut stop => break None,
                    }
                }
            };
            while let Ok(line) = rx.try_recv() {
                print_line(&line);
            }
            v
        });
        match v {
            Some(v) => {
                say!("{run_id} {}: {} — {}", action.name, v.result, v.detail);
                let event = Event::ActionVerified {
                    run_id: run_id.clone(),
                    action: action.name.clone(),
                    result: v.result,
                    detail: prepared.redactor.redact(&v.detail),
                };
                if let Err(e) = journal.append(&ctx.author, chrono::Utc::now(), event) {
                    let _ = writeln!(err, "warroom: warning: verification not recorded: {e}");
                }
            }
            None => {
                let _ = writeln!(
                    err,
                    "warroom: verification stopped; nothing recorded for it"
                );
            }
        }
    }
    match result.outcome {
        ActionOutcome::Succeeded => Ok(()),
        other => Err(Failure::runtime(format!(
            "{run_id} {} {other}",
            action.name
        ))),
    }
}

/// Resolves on ctrl-c, SIGTERM or SIGHUP: the action's process group is in the background,
/// so only warroom hears them, and it must stop the group rather than leave it orphaned.
async fn stop_signals() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}

fn print_line(line: &OutputLine) {
    // Plain writes: a closed pipe must not panic the run half way.
    match line.stream {
        Stream::Stdout => {
            let _ = writeln!(std::io::stdout(), "{}", for_terminal(&line.text));
        }
        Stream::Stderr => {
            let _ = writeln!(std::io::stderr(), "{}", for_terminal(&line.text));
        }
        Stream::Warroom => {
            let _ = writeln!(std::io::stderr(), "warroom: {}", for_terminal(&line.text));
        }
    }
}

/// Records `action_started`, the run id chosen under the append lock; returns the id.
fn start(
    ctx: &Context,
    journal: &mut dyn Journal,
    action: &CompensatingAction,
    params: &BTreeMap<String, String>,
    dry_run: bool,
    command: &str,
) -> Result<String, Failure> {
    let rec = journal.append_with(&ctx.author, chrono::Utc::now(), &mut |incident| {
        let i = incident.ok_or_else(|| Rejected("the journal has no opening entry".into()))?;
        let e = Event::ActionStarted {
            run_id: next_run_id(&i.action_runs),
            action: action.name.clone(),
            params: params.clone(),
            dry_run,
            command: command.to_string(),
        };
        i.check(&e)?;
        Ok(e)
    })?;
    match &rec.entry.event {
        Event::ActionStarted { run_id, .. } => Ok(run_id.clone()),
        _ => Err(Failure::runtime("the journal recorded something else")),
    }
}

/// Asks on the terminal when the runbook says so; `--yes` answers for scripts.
fn confirm(action: &CompensatingAction, yes: bool) -> Result<(), Failure> {
    if !action.confirm || yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::bad_input(format!(
            "{} asks for confirmation{}: run it on a terminal, or pass --yes",
            action.name,
            if action.dangerous {
                " (it is marked dangerous)"
            } else {
                ""
            }
        )));
    }
    let mut err = std::io::stderr();
    if action.dangerous {
        let _ = write!(
            err,
            "{} is DANGEROUS. Type its name to run it: ",
            action.name
        );
    } else {
        let _ = write!(err, "Run {}? [y/N] ", action.name);
    }
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::bad_input(format!("no answer read: {e}")))?;
    let answer = answer.trim();
    let ok = if action.dangerous {
        answer == action.name
    } else {
        matches!(answer, "y" | "Y" | "yes")
    };
    if ok {
        Ok(())
    } else {
        Err(Failure::bad_input(format!(
            "{} not run: not confirmed",
            action.name
        )))
    }
}

/// For `check-config`: the runbook's first problem (exit 2), or what it holds and what may
/// stop it at run time (unset variables, verification without Prometheus).
pub(super) fn check_runbook(ctx: &Context, config: &crate::config::Config) -> Result<(), Failure> {
    let path = ctx.runbook_path();
    let runbook = ctx.runbook()?;
    if !path.exists() {
        say!("{}: not found; no actions to run", path.display());
        return Ok(());
    }
    say!("{}: {} actions", path.display(), runbook.actions.len());
    for a in &runbook.actions {
        for var in a.env_vars() {
            if std::env::var(&var).map_or(true, |v| v.is_empty()) {
                say!(
                    "runbook.toml: WARNING: action {} needs environment variable {var}, which is not set here",
                    a.name
                );
            }
        }
        if let Some(v) = &a.verify {
            let source = v.query.source();
            if !super::probe::configured(config, &v.query) {
                say!(
                    "runbook.toml: WARNING: action {} verifies with {}, but config.toml has no [{source}]",
                    a.name,
                    v.query.key()
                );
            }
        }
        if let crate::actions::ActionKind::Exec(e) = &a.kind
            && let Some(crate::actions::runbook::Piece::Text(program)) =
                e.argv.first().and_then(|t| t.pieces.first())
            && !program.contains('/')
            && find_on_path(program).is_none()
        {
            say!(
                "runbook.toml: WARNING: action {}: {program} is not on PATH here",
                a.name
            );
        }
    }
    Ok(())
}

fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
