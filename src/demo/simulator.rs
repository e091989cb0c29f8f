//! A scenario ([`crate::drill::scenario::Scenario`]) played as a pure state machine. Time is
//! always a parameter: the wall-clock `now` of a request is turned into scenario seconds
//! (`(now - origin) × speed`), and every number (each service's signals, alerts and their
//! start times) is a function of scenario time and the actions run so far, so tests run it
//! with a fixed clock and the HTTP layer ([`super::api`]) only translates.
//!
//! What actions do: each of an action's moves takes its lever from wherever it is to the
//! move's level over the move's time, starting when the action ran; the fault's own move on a
//! lever is one more such move. A signal's badness is the product of the levers it follows.
//!
//! Silences ([`super::silences`]) are kept here too, in wall-clock time as Alertmanager keeps
//! them.

pub use super::silences::{Refused, Silence, Silences};
use crate::drill::scenario::{Condition, Move, Rule, Scenario, ServiceSpec, Signal};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rules are evaluated every this many scenario seconds (as Prometheus evaluates its groups).
pub const EVAL_SECS: f64 = 1.0;
/// How far back a rule's start is searched for; older starts are reported as this old.
pub const MAX_LOOKBACK_SECS: f64 = 4.0 * 3600.0;

/// An action the responders ran, in scenario seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub at: f64,
    pub action: String,
    pub params: BTreeMap<String, String>,
}

/// What running an action answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub action: String,
    pub params: BTreeMap<String, String>,
    /// What it told: the fact a diagnostic reveals, or what it set moving.
    pub output: String,
}

/// What a rule says at some moment.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAlert {
    pub rule: Rule,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// When the condition started holding (Prometheus' `activeAt`).
    pub active_at: DateTime<Utc>,
    /// When it began firing (`activeAt + for`), `None` while pending.
    pub fired_at: Option<DateTime<Utc>>,
    /// The watched value at the last evaluation.
    pub value: f64,
}

impl RuleAlert {
    pub fn firing(&self) -> bool {
        self.fired_at.is_some()
    }
}

/// A firing alert as Alertmanager shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AmAlert {
    pub alert: RuleAlert,
    pub fingerprint: String,
    /// IDs of the active silences matching it.
    pub silenced_by: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Simulator {
    scenario: Arc<Scenario>,
    origin: DateTime<Utc>,
    speed: f64,
    runs: Vec<Run>,
    silences: Silences,
}

impl Simulator {
    /// `scenario` whose second 0 is `origin`, running `speed` times faster than the wall
    /// clock (1 for real time, 10 for `--fast`).
    pub fn new(scenario: Arc<Scenario>, origin: DateTime<Utc>, speed: f64) -> Simulator {
        Simulator {
            scenario,
            origin,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            runs: Vec::new(),
            silences: Silences::default(),
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn origin(&self) -> DateTime<Utc> {
        self.origin
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Scenario seconds at wall-clock `now`.
    pub fn scenario_secs(&self, now: DateTime<Utc>) -> f64 {
        (now - self.origin).num_milliseconds() as f64 / 1000.0 * self.speed
    }

    /// The wall-clock time of scenario second `t`.
    pub fn wall(&self, t: f64) -> DateTime<Utc> {
        let ms = (t / self.speed * 1000.0).round();
        let ms = ms.clamp(-1e15, 1e15) as i64;
        self.origin + chrono::Duration::milliseconds(ms)
    }

    // ----------------------------------------------------------------------------------
    // actions
    // ----------------------------------------------------------------------------------

    /// Runs the scenario's action `name` at `now` with `params` (a missing one takes its
    /// default). Refused, changing nothing, when there is no such action or a parameter is
    /// unknown, missing or not one of its choices.
    pub fn act(
        &mut self,
        now: DateTime<Utc>,
        name: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Ran, Refused> {
        let scenario = self.scenario.clone();
        let Some(action) = scenario.action(name) else {
            let known: Vec<&str> = scenario.actions.iter().map(|a| a.name.as_str()).collect();
            return Err(Refused::NotFound(format!(
                "no action {name:?}; this drill has: {}",
                known.join(", ")
            )));
        };
        if let Some(unknown) = params
            .keys()
            .find(|k| !action.params.iter().any(|p| &p.name == *k))
        {
            return Err(Refused::Invalid(format!(
                "{name} takes no parameter {unknown:?}"
            )));
        }
        let mut chosen = BTreeMap::new();
        for p in &action.params {
            let value = params
                .get(&p.name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .or_else(|| p.default.clone())
                .ok_or_else(|| {
                    Refused::Invalid(format!(
                        "{name} needs {}: one of {}",
                        p.name,
                        p.choices.join(", ")
                    ))
                })?;
            if !p.choices.contains(&value) {
                return Err(Refused::Invalid(format!(
                    "{name}: {} {value:?} is not one of {}",
                    p.name,
                    p.choices.join(", ")
                )));
            }
            chosen.insert(p.name.clone(), value);
        }
        let at = self.scenario_secs(now);
        let moving: Vec<String> = action
            .moves
            .iter()
            .filter(|m| applies(m, &chosen))
            .map(|m| format!("{} moves to {} over {}s", m.lever, m.to, m.over_secs))
            .collect();
        let output = match (&action.reveals, moving.is_empty()) {
            (Some(fact), _) => fact.clone(),
            (None, false) => moving.join("; "),
            (None, true) => "done".to_string(),
        };
        // Keep them in time order even if the clock was set back (tests do).
        let pos = self.runs.partition_point(|r| r.at <= at);
        self.runs.insert(
            pos,
            Run {
                at,
                action: name.to_string(),
                params: chosen.clone(),
            },
        );
        Ok(Ran {
            action: name.to_string(),
            params: chosen,
            output,
        })
    }

    /// The actions run so far, in scenario time.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// Every move on `lever` until `t`, in time order: the fault's, then the actions'.
    fn moves_until(&self, lever: &str, t: f64) -> Vec<Move> {
        let mut out: Vec<Move> = self
            .scenario
            .lever(lever)
            .and_then(|l| l.fault.clone())
            .into_iter()
            .filter(|m| m.at <= t)
            .collect();
        for r in self.runs.iter().take_while(|r| r.at <= t) {
            let Some(action) = self.scenario.action(&r.action) else {
                continue;
            };
            for m in action.moves.iter().filter(|m| m.lever == lever) {
                if applies(m, &r.params) {
                    out.push(Move {
                        at: r.at,
                        ..m.clone()
                    });
                }
            }
        }
        out.sort_by(|a, b| a.at.total_cmp(&b.at));
        out
    }

    /// A lever's level at `t`, 0 to 1.
    pub fn level(&self, lever: &str, t: f64) -> f64 {
        let start = self.scenario.lever(lever).map_or(0.0, |l| l.level);
        let ramp = |from: f64, to: f64, start: f64, secs: f64, at: f64| {
            if secs <= 0.0 {
                if at >= start { to } else { from }
            } else {
                from + (to - from) * ((at - start) / secs).clamp(0.0, 1.0)
            }
        };
        let (mut from, mut to, mut since, mut secs) = (start, start, f64::NEG_INFINITY, 0.0);
        for m in self.moves_until(lever, t) {
            from = ramp(from, to, since, secs, m.at);
            to = m.to;
            since = m.at;
            secs = m.over_secs;
        }
        ramp(from, to, since, secs, t)
    }

    /// What was last asked of a lever by `t` (where it is going).
    pub fn target(&self, lever: &str, t: f64) -> f64 {
        self.moves_until(lever, t)
            .last()
            .map(|m| m.to)
            .unwrap_or_else(|| self.scenario.lever(lever).map_or(0.0, |l| l.level))
    }

    /// How strongly the fault hurts a signal at `t`, 0 to 1: the product of the levers it
    /// follows.
    pub fn badness(&self, signal: &Signal, t: f64) -> f64 {
        let levers = &self.scenario.levers;
        if signal.follows.is_empty() {
            levers.iter().map(|l| self.level(&l.name, t)).product()
        } else {
            signal.follows.iter().map(|l| self.level(l, t)).product()
        }
    }

    /// A service's value of a signal at `t`; `None` when it has no such series.
    pub fn value(&self, signal: &str, service: &str, t: f64) -> Option<f64> {
        let sig = self.scenario.signal(signal)?;
        let svc = self.scenario.service(service)?;
        self.value_of(sig, svc, t)
    }

    pub fn value_of(&self, sig: &Signal, svc: &ServiceSpec, t: f64) -> Option<f64> {
        let c = svc.curves.get(&sig.key)?;
        let wave = 1.0 + sig.wiggle * (t / sig.period + phase(&svc.name)).sin();
        if c.broken == c.healthy {
            return Some(c.healthy * wave);
        }
        let b = self.badness(sig, t);
        Some(c.healthy * wave * (1.0 - b) + c.broken * b)
    }

    /// Whether the fault reads as fixed at `t`: every check of `[fault] fixed_when` holds.
    pub fn fixed(&self, t: f64) -> bool {
        self.scenario.fault.fixed_when.iter().all(|c| {
            match (c.condition, self.value(&c.signal, &c.service, t)) {
                (Condition::Above(x), Some(v)) => v > x,
                (Condition::Below(x), Some(v)) => v < x,
                _ => false,
            }
        })
    }

    /// The value a rule watches at `t`.
    fn watched(&self, rule: &Rule, t: f64) -> Option<f64> {
        match (rule.condition, &rule.signal, &rule.service) {
            (Condition::Always { .. }, _, _) => Some(1.0),
            (_, Some(sig), Some(svc)) => self.value(sig, svc, t),
            _ => None,
        }
    }

    fn holds(&self, rule: &Rule, t: f64) -> bool {
        match (rule.condition, self.watched(rule, t)) {
            (Condition::Always { since }, _) => t >= since,
            (Condition::Above(x), Some(v)) => v > x,
            (Condition::Below(x), Some(v)) => v < x,
            _ => false,
        }
    }

    /// The rule's alert at wall-clock `now`, if its condition holds. Rules are evaluated on a
    /// fixed grid of scenario seconds, so the answer (and the start time) is the same for
    /// every `now` between two evaluations.
    pub fn rule_alert(&self, rule: &Rule, now: DateTime<Utc>) -> Option<RuleAlert> {
        let eval = (self.scenario_secs(now) / EVAL_SECS).floor() * EVAL_SECS;
        if !self.holds(rule, eval) {
            return None;
        }
        let active = if let Condition::Always { since } = rule.condition {
            since
        } else {
            let mut since = eval;
            let oldest = eval - MAX_LOOKBACK_SECS;
            while since - EVAL_SECS >= oldest && self.holds(rule, since - EVAL_SECS) {
                since -= EVAL_SECS;
            }
            since
        };
        let firing = eval - active >= rule.for_secs;
        let mut labels = BTreeMap::from([
            ("alertname".to_string(), rule.name.clone()),
            ("severity".to_string(), rule.severity.clone()),
            ("team".to_string(), rule.team.clone()),
            ("env".to_string(), "prod".to_string()),
        ]);
        if let Some(s) = &rule.service {
            labels.insert("service".into(), s.clone());
        }
        for (k, v) in &rule.labels {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let annotations = BTreeMap::from([("summary".to_string(), rule.summary.clone())]);
        Some(RuleAlert {
            rule: rule.clone(),
            labels,
            annotations,
            active_at: self.wall(active),
            fired_at: firing.then(|| self.wall(active + rule.for_secs)),
            value: self.watched(rule, eval).unwrap_or(0.0),
        })
    }

    /// Every rule's alert at `now`, pending and firing (Prometheus' `/api/v1/alerts`).
    pub fn rule_alerts(&self, now: DateTime<Utc>) -> Vec<RuleAlert> {
        self.scenario
            .alerts
            .iter()
            .filter_map(|r| self.rule_alert(r, now))
            .collect()
    }

    /// The firing alerts as Alertmanager holds them at `now`, with the silences muting each.
    pub fn am_alerts(&self, now: DateTime<Utc>) -> Vec<AmAlert> {
        let muting = self.silences.active(now);
        self.rule_alerts(now)
            .into_iter()
            .filter(RuleAlert::firing)
            .map(|alert| AmAlert {
                fingerprint: fingerprint(&alert.labels),
                silenced_by: muting.ids_matching(&alert.labels),
                alert,
            })
            .collect()
    }

    // ----------------------------------------------------------------------------------
    // silences (wall-clock time, as Alertmanager keeps them)
    // ----------------------------------------------------------------------------------

    pub fn silences(&self) -> &[Silence] {
        self.silences.list()
    }

    pub fn silence(&self, id: &str) -> Option<&Silence> {
        self.silences.get(id)
    }

    /// See [`Silences::add`].
    pub fn add_silence(&mut self, now: DateTime<Utc>, s: Silence) -> Result<String, Refused> {
        self.silences.add(now, s)
    }

    /// See [`Silences::expire`].
    pub fn expire_silence(&mut self, now: DateTime<Utc>, id: &str) -> Result<(), Refused> {
        self.silences.expire(now, id)
    }

    /// Every service's numbers at `now`, the levers and the actions run, for `/demo/state`.
    pub fn snapshot(&self, now: DateTime<Utc>) -> serde_json::Value {
        let t = self.scenario_secs(now);
        let services: serde_json::Map<String, serde_json::Value> = self
            .scenario
            .services
            .iter()
            .map(|svc| {
                let values: serde_json::Map<String, serde_json::Value> = self
                    .scenario
                    .signals
                    .iter()
                    .filter_map(|sig| {
                        let v = self.value_of(sig, svc, t)?;
                        Some((sig.key.clone(), serde_json::json!(v)))
                    })
                    .collect();
                (svc.name.clone(), serde_json::Value::Object(values))
            })
            .collect();
        let levers: serde_json::Map<String, serde_json::Value> = self
            .scenario
            .levers
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    serde_json::json!({
                        "level": self.level(&l.name, t),
                        "target": self.target(&l.name, t),
                        "description": l.description,
                    }),
                )
            })
            .collect();
        let runs: Vec<serde_json::Value> = self
            .runs
            .iter()
            .take_while(|r| r.at <= t)
            .map(|r| serde_json::json!({"action": r.action, "params": r.params, "scenario_seconds": r.at}))
            .collect();
        serde_json::json!({
            "scenario": self.scenario.name,
            "scenario_seconds": t,
            "speed": self.speed,
            "levers": levers,
            "actions_run": runs,
            "services": services,
        })
    }
}

/// Whether a move applies with these parameters.
fn applies(m: &Move, params: &BTreeMap<String, String>) -> bool {
    m.when
        .iter()
        .all(|(k, values)| params.get(k).is_some_and(|v| values.contains(v)))
}

/// A service's own phase, so the healthy numbers do not all move together.
fn phase(service: &str) -> f64 {
    service.bytes().map(f64::from).sum::<f64>() / 7.0
}

/// Alertmanager-like fingerprint: 16 hex digits over the sorted labels.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    crate::domain::fingerprint_of(labels)
}
