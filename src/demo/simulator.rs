//! The scripted outage as a pure state machine. Time is always a parameter: the wall-clock
//! `now` of a request is turned into scenario seconds (`(now - origin) × speed`), and every
//! number (error ratios, latencies, alerts and their start times) is a function of scenario
//! time and the controls applied so far (flag changes, deploys), so tests run it with a fixed
//! clock and the HTTP layer ([`super::api`]) only translates.
//!
//! What the controls do:
//! - the bad path's strength is `rollout × flag`: the share of pricing pods on a broken build
//!   times how much of the traffic still takes the flag's new code path;
//! - a flag change moves the flag's share toward its new value over [`FLAG_DRAIN_SECS`];
//! - a deploy moves the broken share toward the new build's (0 or 1) over
//!   [`REDEPLOY_SECS`], starting from wherever the previous rollout had got to.
//!
//! Silences ([`super::silences`]) are kept here too, in wall-clock time as Alertmanager keeps
//! them.

use super::scenario::{
    BAD_BUILD, BUILDS, DEPLOYED, EVAL_SECS, FIRST_ROLLOUT_SECS, FLAG, FLAG_DRAIN_SECS, KNOWN_GOOD,
    MAX_LOOKBACK_SECS, REDEPLOY_SECS, ROLLOUT_STARTED, RULES, RuleSpec, SERVICES, ServiceSpec,
    Watch,
};
pub use super::silences::{Refused, Silence, Silences};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Something the call leader's actions changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Flag { name: String, enabled: bool },
    Deploy { service: String, version: String },
}

#[derive(Debug, Clone, PartialEq)]
struct Control {
    /// Scenario seconds.
    at: f64,
    change: Change,
}

/// What a rule says at some moment.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAlert {
    pub rule: &'static RuleSpec,
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
    origin: DateTime<Utc>,
    speed: f64,
    controls: Vec<Control>,
    silences: Silences,
}

impl Simulator {
    /// A scenario whose second 0 is `origin`, running `speed` times faster than the wall
    /// clock (1 for real time, 10 for `--fast`).
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Simulator {
        Simulator {
            origin,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            controls: Vec::new(),
            silences: Silences::default(),
        }
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
    // controls
    // ----------------------------------------------------------------------------------

    /// Turns a feature flag on or off at `now`. Only [`FLAG`] exists.
    pub fn set_flag(
        &mut self,
        now: DateTime<Utc>,
        name: &str,
        enabled: bool,
    ) -> Result<(), Refused> {
        if name != FLAG {
            return Err(Refused::NotFound(format!(
                "no feature flag {name:?}; the demo has {FLAG:?}"
            )));
        }
        self.push(
            now,
            Change::Flag {
                name: name.to_string(),
                enabled,
            },
        );
        Ok(())
    }

    /// Starts rolling out `version` of `service` at `now` (a known-good build when `None`);
    /// returns the version. Only [`DEPLOYED`] can be deployed, at one of [`BUILDS`].
    pub fn deploy(
        &mut self,
        now: DateTime<Utc>,
        service: &str,
        version: Option<&str>,
    ) -> Result<String, Refused> {
        if service != DEPLOYED {
            return Err(Refused::NotFound(format!(
                "the demo deploys only {DEPLOYED:?}, not {service:?}"
            )));
        }
        let version = version
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(KNOWN_GOOD);
        if !BUILDS.iter().any(|(v, _)| *v == version) {
            let known: Vec<&str> = BUILDS.iter().map(|(v, _)| *v).collect();
            return Err(Refused::Invalid(format!(
                "{DEPLOYED} has no build {version:?}; builds: {}",
                known.join(", ")
            )));
        }
        self.push(
            now,
            Change::Deploy {
                service: service.to_string(),
                version: version.to_string(),
            },
        );
        Ok(version.to_string())
    }

    fn push(&mut self, now: DateTime<Utc>, change: Change) {
        let at = self.scenario_secs(now);
        // Keep them in time order even if the clock was set back (tests do).
        let pos = self.controls.partition_point(|c| c.at <= at);
        self.controls.insert(pos, Control { at, change });
    }

    fn controls_until(&self, t: f64) -> impl Iterator<Item = &Control> {
        self.controls.iter().take_while(move |c| c.at <= t)
    }

    // ----------------------------------------------------------------------------------
    // the model, in scenario seconds
    // ----------------------------------------------------------------------------------

    /// Whether the flag is set on at `t` (what was last asked for).
    pub fn flag_enabled(&self, t: f64) -> bool {
        self.controls_until(t)
            .filter_map(|c| match &c.change {
                Change::Flag { enabled, .. } => Some(*enabled),
                _ => None,
            })
            .last()
            .unwrap_or(true)
    }

    /// Share of traffic still taking the flag's new path at `t`, 0 to 1.
    pub fn flag_share(&self, t: f64) -> f64 {
        let mut level = 1.0_f64;
        let mut target = 1.0_f64;
        let mut since: Option<f64> = None;
        let step = |level: f64, target: f64, from: Option<f64>, to: f64| match from {
            Some(from) => toward(level, target, (to - from).max(0.0) / FLAG_DRAIN_SECS),
            None => level,
        };
        for c in self.controls_until(t) {
            if let Change::Flag { enabled, .. } = &c.change {
                level = step(level, target, since, c.at);
                target = if *enabled { 1.0 } else { 0.0 };
                since = Some(c.at);
            }
        }
        step(level, target, since, t)
    }

    /// The build pricing is (being) rolled out at, at `t`, and the share of its pods on it.
    pub fn rollout(&self, t: f64) -> (String, f64) {
        let mut version = BAD_BUILD.to_string();
        let (mut start, mut secs) = (ROLLOUT_STARTED, FIRST_ROLLOUT_SECS);
        for c in self.controls_until(t) {
            if let Change::Deploy { version: v, .. } = &c.change {
                version = v.clone();
                start = c.at;
                secs = REDEPLOY_SECS;
            }
        }
        (version, ((t - start) / secs).clamp(0.0, 1.0))
    }

    /// Share of pricing's pods on a broken build at `t`, 0 to 1.
    pub fn broken_share(&self, t: f64) -> f64 {
        let ramp = |from: f64, to: f64, start: f64, secs: f64, at: f64| {
            from + (to - from) * ((at - start) / secs).clamp(0.0, 1.0)
        };
        let (mut from, mut to, mut start, mut secs) =
            (0.0, 1.0, ROLLOUT_STARTED, FIRST_ROLLOUT_SECS);
        for c in self.controls_until(t) {
            if let Change::Deploy { version, .. } = &c.change {
                from = ramp(from, to, start, secs, c.at);
                to = if broken(version) { 1.0 } else { 0.0 };
                start = c.at;
                secs = REDEPLOY_SECS;
            }
        }
        ramp(from, to, start, secs, t)
    }

    /// How strongly the broken path hurts at `t`, 0 to 1.
    pub fn badness(&self, t: f64) -> f64 {
        self.broken_share(t) * self.flag_share(t)
    }

    /// A service's error ratio at `t`.
    pub fn error_ratio(&self, s: &ServiceSpec, t: f64) -> f64 {
        s.base_errors * wiggle(s, t) + s.extra_errors * self.badness(t)
    }

    /// A service's p99 latency (seconds) at `t`.
    pub fn latency_p99(&self, s: &ServiceSpec, t: f64) -> f64 {
        s.base_p99 * wiggle(s, t) + s.extra_p99 * self.badness(t)
    }

    /// A service's request rate at `t`; checkout's customers retry a little while it fails.
    pub fn request_rate(&self, s: &ServiceSpec, t: f64) -> f64 {
        s.rps
            * (1.0 + 0.05 * (t / 97.0 + phase(s)).sin())
            * (1.0 + 0.2 * s.extra_errors.min(1.0) * self.badness(t))
    }

    /// The value a rule watches at `t`.
    fn watched(&self, rule: &RuleSpec, t: f64) -> Option<f64> {
        let s = rule.service.and_then(super::scenario::service);
        match (rule.watch, s) {
            (Watch::ErrorRatio, Some(s)) => Some(self.error_ratio(s, t)),
            (Watch::LatencyP99, Some(s)) => Some(self.latency_p99(s, t)),
            (Watch::Always, _) => Some(1.0),
            _ => None,
        }
    }

    fn holds(&self, rule: &RuleSpec, t: f64) -> bool {
        self.watched(rule, t).is_some_and(|v| v > rule.above)
    }

    /// The rule's alert at wall-clock `now`, if its condition holds. Rules are evaluated on a
    /// fixed grid of scenario seconds, so the answer (and the start time) is the same for
    /// every `now` between two evaluations.
    pub fn rule_alert(&self, rule: &'static RuleSpec, now: DateTime<Utc>) -> Option<RuleAlert> {
        let eval = (self.scenario_secs(now) / EVAL_SECS).floor() * EVAL_SECS;
        if !self.holds(rule, eval) {
            return None;
        }
        let active = if rule.watch == Watch::Always {
            // An old, unrelated alert: it has fired for an hour and a half.
            -5400.0
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
            ("alertname".to_string(), rule.name.to_string()),
            ("severity".to_string(), rule.severity.to_string()),
            ("team".to_string(), rule.team.to_string()),
            ("env".to_string(), "prod".to_string()),
        ]);
        match rule.service {
            Some(s) => {
                labels.insert("service".into(), s.into());
            }
            None => {
                labels.insert("job".into(), "nightly-reconcile".into());
            }
        }
        let annotations = BTreeMap::from([("summary".to_string(), rule.summary.to_string())]);
        Some(RuleAlert {
            rule,
            labels,
            annotations,
            active_at: self.wall(active),
            fired_at: firing.then(|| self.wall(active + rule.for_secs)),
            value: self.watched(rule, eval).unwrap_or(0.0),
        })
    }

    /// Every rule's alert at `now`, pending and firing (Prometheus' `/api/v1/alerts`).
    pub fn rule_alerts(&self, now: DateTime<Utc>) -> Vec<RuleAlert> {
        RULES
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

    /// Every service's numbers at `now`, for `/demo/state`.
    pub fn snapshot(&self, now: DateTime<Utc>) -> serde_json::Value {
        let t = self.scenario_secs(now);
        let (version, share) = self.rollout(t);
        let services: serde_json::Map<String, serde_json::Value> = SERVICES
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    serde_json::json!({
                        "error_ratio": self.error_ratio(s, t),
                        "p99_seconds": self.latency_p99(s, t),
                        "requests_per_second": self.request_rate(s, t),
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "scenario_seconds": t,
            "speed": self.speed,
            "flags": { FLAG: { "enabled": self.flag_enabled(t), "traffic_on_new_path": self.flag_share(t) } },
            "deploys": { DEPLOYED: { "version": version, "rolled_out": share } },
            "services": services,
        })
    }
}

fn broken(version: &str) -> bool {
    BUILDS.iter().any(|(v, bad)| *v == version && *bad)
}

fn toward(level: f64, target: f64, amount: f64) -> f64 {
    if level < target {
        (level + amount).min(target)
    } else {
        (level - amount).max(target)
    }
}

/// A service's own phase, so the healthy numbers do not all move together.
fn phase(s: &ServiceSpec) -> f64 {
    s.name.bytes().map(f64::from).sum::<f64>() / 7.0
}

/// ±15 % around 1 on a slow wave: healthy numbers that look alive on a sparkline, far from
/// any threshold so they never make an alert flap.
fn wiggle(s: &ServiceSpec, t: f64) -> f64 {
    1.0 + 0.15 * (t / 23.0 + phase(s)).sin()
}

/// Alertmanager-like fingerprint: 16 hex digits over the sorted labels.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    crate::domain::fingerprint_of(labels)
}
