//! The app loop's side of runbook actions: it prepares a confirmed run (reading the `${VAR}`
//! secrets from the environment), hands `action_started` to the journal worker, and once that
//! is committed spawns the run as a task of the loop's runtime. The task streams each output
//! line back as an action, records `action_finished` (and `action_verified`) through the
//! worker, and never blocks the loop. Cancel and quit stop the whole process group.

use super::action::{Action, Effect};
use crate::actions::{
    Cancel, CancelHandle, OutputLine, PreparedRun, Runbook, Stream, execute, verify,
};
use crate::backends::metrics::MetricReaders;
use crate::domain::{ActionOutcome, Event};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

pub struct ActionRunner {
    runbook: Runbook,
    client: Option<reqwest::Client>,
    metrics: MetricReaders,
    actions: UnboundedSender<Action>,
    /// Prepared runs waiting for their `action_started` to be committed, by local number.
    pending: RefCell<HashMap<u64, PreparedRun>>,
    cancels: RefCell<HashMap<String, CancelHandle>>,
    tasks: RefCell<Vec<tokio::task::JoinHandle<()>>>,
}

impl ActionRunner {
    pub fn new(
        runbook: Runbook,
        client: Option<reqwest::Client>,
        metrics: MetricReaders,
        actions: UnboundedSender<Action>,
    ) -> ActionRunner {
        ActionRunner {
            runbook,
            client,
            metrics,
            actions,
            pending: Default::default(),
            cancels: Default::default(),
            tasks: Default::default(),
        }
    }

    /// Prepares a run; the effect that records its start, or why it cannot start.
    pub fn prepare(
        &self,
        id: String,
        local: u64,
        action: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Effect, String> {
        let a = self
            .runbook
            .get(action)
            .ok_or_else(|| format!("no action {action} in the runbook"))?;
        let run = a
            .prepare(params, &|var| std::env::var(var).ok())
            .map_err(|e| e.to_string())?;
        let shown: BTreeMap<String, String> = run
            .params
            .iter()
            .map(|(k, v)| (k.clone(), run.redactor.redact(v)))
            .collect();
        let effect = Effect::RecordRunStart {
            id,
            local,
            action: action.to_string(),
            params: shown,
            command: run.command.clone(),
        };
        self.pending.borrow_mut().insert(local, run);
        Ok(effect)
    }

    /// Starts the prepared run `local`, recorded as `run_id`.
    pub fn spawn(&self, id: String, local: u64, run_id: String, worker: Sender<Effect>) {
        let actions = self.actions.clone();
        let Some(run) = self.pending.borrow_mut().remove(&local) else {
            // Cannot happen: a start is committed only after it was prepared.
            let _ = actions.send(Action::Problem(format!(
                "{id}: {run_id} was recorded as started but was not prepared; it did not run"
            )));
            return;
        };
        let (handle, cancel) = Cancel::pair();
        self.cancels.borrow_mut().insert(run_id.clone(), handle);
        let client = self.client.clone();
        let metrics = self.metrics.clone();
        let spec = self.runbook.get(&run.action).and_then(|a| a.verify.clone());
        let task = tokio::spawn(async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<OutputLine>();
            let forward = |line: OutputLine| {
                let _ = actions.send(Action::RunOutput {
                    run_id: run_id.clone(),
                    line,
                });
            };
            let result = {
                let exec = execute(&run, client.as_ref(), tx.clone(), cancel);
                tokio::pin!(exec);
                loop {
                    tokio::select! {
                        Some(line) = rx.recv() => forward(line),
                        r = &mut exec => break r,
                    }
                }
            };
            while let Ok(line) = rx.try_recv() {
                forward(line);
            }
            let _ = worker.send(Effect::Record {
                id: id.clone(),
                event: finished(
                    &run_id,
                    &run.action,
                    result.outcome,
                    result.exit_code,
                    result.http_status,
                    result.duration.as_millis() as u64,
                    &result.output_tail,
                ),
            });
            let spec = spec.filter(|_| result.outcome == ActionOutcome::Succeeded);
            let _ = actions.send(Action::RunEnded {
                run_id: run_id.clone(),
                outcome: result.outcome,
                verifying: spec.is_some(),
            });
            let Some(spec) = spec else { return };
            let v = {
                let check = verify(&metrics, &spec, &run.params, &tx);
                tokio::pin!(check);
                loop {
                    tokio::select! {
                        Some(line) = rx.recv() => forward(line),
                        v = &mut check => break v,
                    }
                }
            };
            while let Ok(line) = rx.try_recv() {
                forward(line);
            }
            forward(OutputLine {
                stream: Stream::Warroom,
                text: format!("{}: {}", v.result, v.detail),
            });
            let _ = worker.send(Effect::Record {
                id,
                event: Event::ActionVerified {
                    run_id: run_id.clone(),
                    action: run.action.clone(),
                    result: v.result,
                    detail: run.redactor.redact(&v.detail),
                },
            });
            let _ = actions.send(Action::RunVerified {
                run_id,
                result: v.result,
            });
        });
        let mut tasks = self.tasks.borrow_mut();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    pub fn cancel(&self, run_id: &str) {
        if let Some(h) = self.cancels.borrow().get(run_id) {
            h.cancel();
        }
    }

    /// At quit: every run still going is cancelled (its process group stopped) and its end
    /// recorded; verifications still polling are abandoned.
    pub async fn shutdown(&self) {
        for h in self.cancels.borrow().values() {
            h.cancel();
        }
        let tasks: Vec<_> = self.tasks.borrow_mut().drain(..).collect();
        let deadline =
            tokio::time::Instant::now() + crate::actions::exec::GRACE + Duration::from_secs(3);
        for mut t in tasks {
            if tokio::time::timeout_at(deadline, &mut t).await.is_err() {
                // Dropping the run kills its process group (see the executor's guard).
                t.abort();
            }
        }
    }
}

fn finished(
    run_id: &str,
    action: &str,
    outcome: ActionOutcome,
    exit_code: Option<i32>,
    http_status: Option<u16>,
    duration_ms: u64,
    tail: &str,
) -> Event {
    Event::ActionFinished {
        run_id: run_id.to_string(),
        action: action.to_string(),
        outcome,
        exit_code,
        http_status,
        duration_ms,
        output_tail: tail.to_string(),
    }
}
