//! Reading a scenario file: the TOML as written (with each value's place), then every check,
//! each error naming `file:line:column` and the key.

use super::{
    Bands, Check, Condition, Curve, Fault, Gauge, Lever, Move, Opening, Param, Rule, Scenario,
    ScenarioAction, ServiceSpec, Signal, Targets, Verify,
};
use crate::config::{ConfigError, parse_toml};
use crate::domain::Severity;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: S<String>,
    summary: S<String>,
    duration: S<String>,
    #[serde(default)]
    write_backs: bool,
    incident: S<IncidentEntry>,
    fault: S<FaultEntry>,
    #[serde(default)]
    targets: TargetsEntry,
    #[serde(default, rename = "signal")]
    signals: Vec<SignalEntry>,
    #[serde(default, rename = "service")]
    services: Vec<ServiceEntry>,
    #[serde(default, rename = "lever")]
    levers: Vec<LeverEntry>,
    #[serde(default, rename = "alert")]
    alerts: Vec<AlertEntry>,
    #[serde(default, rename = "action")]
    actions: Vec<ActionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentEntry {
    title: S<String>,
    severity: Option<S<String>>,
    opened_by: Option<S<String>>,
    paged_by: Option<S<String>>,
    #[serde(default)]
    notes: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    service: S<String>,
    description: S<String>,
    fixed_by: S<Vec<S<String>>>,
    fixed_when: S<Vec<CheckEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckEntry {
    service: S<String>,
    signal: S<String>,
    above: Option<S<f64>>,
    below: Option<S<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TargetsEntry {
    take_command: Option<S<String>>,
    first_update: Option<S<String>>,
    fix: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalEntry {
    key: S<String>,
    metric: S<String>,
    catalog: Option<S<String>>,
    degraded_above: Option<S<f64>>,
    down_above: Option<S<f64>>,
    degraded_below: Option<S<f64>>,
    down_below: Option<S<f64>>,
    wiggle: Option<S<f64>>,
    period: Option<S<String>>,
    #[serde(default)]
    follows: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceEntry {
    name: S<String>,
    tier: Option<S<u8>>,
    #[serde(default)]
    customer_facing: bool,
    public_name: Option<S<String>>,
    team: Option<S<String>>,
    #[serde(default)]
    depends_on: Vec<S<String>>,
    #[serde(default)]
    curves: BTreeMap<S<String>, S<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeverEntry {
    name: S<String>,
    #[serde(default)]
    description: String,
    level: Option<S<f64>>,
    fault: Option<S<MoveEntry>>,
    gauge: Option<S<GaugeEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GaugeEntry {
    metric: S<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveEntry {
    lever: Option<S<String>>,
    at: Option<S<String>>,
    to: S<f64>,
    over: Option<S<String>>,
    #[serde(default)]
    when: BTreeMap<S<String>, S<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertEntry {
    name: S<String>,
    service: Option<S<String>>,
    signal: Option<S<String>>,
    above: Option<S<f64>>,
    below: Option<S<f64>>,
    always: Option<S<bool>>,
    since: Option<S<String>>,
    #[serde(rename = "for")]
    for_: Option<S<String>>,
    severity: S<String>,
    team: Option<S<String>>,
    summary: S<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    query: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionEntry {
    name: S<String>,
    description: S<String>,
    confirm: Option<bool>,
    undo: Option<S<String>>,
    #[serde(default, rename = "param")]
    params: Vec<ParamEntry>,
    verify: Option<S<VerifyEntry>>,
    #[serde(default, rename = "move")]
    moves: Vec<S<MoveEntry>>,
    reveals: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamEntry {
    name: S<String>,
    #[serde(default)]
    description: String,
    choices: S<Vec<String>>,
    default: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyEntry {
    signal: S<String>,
    service: S<String>,
    expect: S<String>,
    within: Option<S<String>>,
    every: Option<S<String>>,
}

/// Where errors point.
struct Place<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Place<'_> {
    fn err(&self, span: Range<usize>, reason: String) -> ConfigError {
        ConfigError::at(self.path, self.text, span.start, reason)
    }

    /// A signed duration in seconds: `90s`, `-60s`, `1h30m`.
    fn secs(&self, v: &S<String>, key: &str) -> Result<f64, ConfigError> {
        let t = v.get_ref().trim();
        let (sign, t) = match t.strip_prefix('-') {
            Some(rest) => (-1.0, rest),
            None => (1.0, t),
        };
        if t == "0" {
            return Ok(0.0);
        }
        crate::domain::parse_duration(t)
            .map(|d| sign * d.num_milliseconds() as f64 / 1000.0)
            .map_err(|e| self.err(v.span(), format!("{key}: {e}")))
    }

    fn positive_secs(&self, v: &S<String>, key: &str) -> Result<f64, ConfigError> {
        let s = self.secs(v, key)?;
        if s < 0.0 {
            return Err(self.err(v.span(), format!("{key}: must not be negative")));
        }
        Ok(s)
    }

    fn finite(&self, v: &S<f64>, key: &str) -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if !x.is_finite() {
            return Err(self.err(v.span(), format!("{key}: must be a number")));
        }
        Ok(x)
    }

    fn level(&self, v: &S<f64>, key: &str) -> Result<f64, ConfigError> {
        let x = self.finite(v, key)?;
        if !(0.0..=1.0).contains(&x) {
            return Err(self.err(v.span(), format!("{key}: a level is between 0 and 1")));
        }
        Ok(x)
    }

    fn text(&self, v: &S<String>, key: &str) -> Result<String, ConfigError> {
        let t = v.get_ref().trim();
        if t.is_empty() {
            return Err(self.err(v.span(), format!("{key}: must not be empty")));
        }
        Ok(t.to_string())
    }

    /// A name: letters, digits, `-`, `_`, `.`, `:`; not empty.
    fn name(&self, v: &S<String>, key: &str) -> Result<String, ConfigError> {
        let t = self.text(v, key)?;
        if !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(self.err(
                v.span(),
                format!("{key}: {t:?} may hold only letters, digits, '-', '_', '.' and ':'"),
            ));
        }
        Ok(t)
    }
}

/// Names seen so far of one kind; a second one is an error.
fn unique(
    p: &Place,
    seen: &mut BTreeSet<String>,
    v: &S<String>,
    what: &str,
) -> Result<(), ConfigError> {
    if !seen.insert(v.get_ref().trim().to_string()) {
        return Err(p.err(
            v.span(),
            format!("{what} {:?} is defined twice", v.get_ref()),
        ));
    }
    Ok(())
}

fn known(
    p: &Place,
    set: &BTreeSet<String>,
    v: &S<String>,
    key: &str,
    what: &str,
) -> Result<String, ConfigError> {
    let name = v.get_ref().trim().to_string();
    if !set.contains(&name) {
        let list = set.iter().cloned().collect::<Vec<_>>().join(", ");
        return Err(p.err(
            v.span(),
            format!("{key}: no {what} {name:?} in this scenario (it has: {list})"),
        ));
    }
    Ok(name)
}

/// Parses and checks a scenario file's text; every error names file, line, column and key.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ConfigError> {
    let f: File = parse_toml(path, text)?;
    let p = Place { path, text };

    let mut signal_keys = BTreeSet::new();
    for s in &f.signals {
        p.name(&s.key, "signal.key")?;
        unique(&p, &mut signal_keys, &s.key, "signal")?;
    }
    let mut service_names = BTreeSet::new();
    for s in &f.services {
        p.name(&s.name, "service.name")?;
        unique(&p, &mut service_names, &s.name, "service")?;
    }
    let mut lever_names = BTreeSet::new();
    for l in &f.levers {
        p.name(&l.name, "lever.name")?;
        unique(&p, &mut lever_names, &l.name, "lever")?;
    }
    let mut alert_names = BTreeSet::new();
    for a in &f.alerts {
        p.name(&a.name, "alert.name")?;
        unique(&p, &mut alert_names, &a.name, "alert")?;
    }
    let mut action_names = BTreeSet::new();
    for a in &f.actions {
        p.name(&a.name, "action.name")?;
        unique(&p, &mut action_names, &a.name, "action")?;
    }

    let signals = f
        .signals
        .iter()
        .map(|s| signal(&p, s, &lever_names))
        .collect::<Result<Vec<_>, _>>()?;
    let services = f
        .services
        .iter()
        .map(|s| service(&p, s, &service_names, &signal_keys))
        .collect::<Result<Vec<_>, _>>()?;
    let levers = f
        .levers
        .iter()
        .map(|l| lever(&p, l))
        .collect::<Result<Vec<_>, _>>()?;
    let alerts = f
        .alerts
        .iter()
        .map(|a| alert(&p, a, &service_names, &signal_keys, &services))
        .collect::<Result<Vec<_>, _>>()?;
    let actions = f
        .actions
        .iter()
        .map(|a| {
            action(
                &p,
                a,
                &action_names,
                &lever_names,
                &service_names,
                &signal_keys,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;

    let inc = f.incident.get_ref();
    let severity = match &inc.severity {
        None => Severity::Sev2,
        Some(s) => s
            .get_ref()
            .parse::<Severity>()
            .map_err(|e| p.err(s.span(), format!("incident.severity: {e}")))?,
    };
    let paged_by = inc
        .paged_by
        .as_ref()
        .map(|v| known(&p, &alert_names, v, "incident.paged_by", "alert"))
        .transpose()?;
    let notes = inc
        .notes
        .iter()
        .map(|n| {
            let t = p.text(n, "incident.notes")?;
            note_times(&t).map_err(|e| p.err(n.span(), format!("incident.notes: {e}")))?;
            Ok(t)
        })
        .collect::<Result<Vec<_>, ConfigError>>()?;
    let incident = Opening {
        title: p.text(&inc.title, "incident.title")?,
        severity,
        opened_by: match &inc.opened_by {
            Some(v) => p.name(v, "incident.opened_by")?,
            None => "on-call".into(),
        },
        paged_by,
        notes,
    };

    let fe = f.fault.get_ref();
    let fixed_by = fe
        .fixed_by
        .get_ref()
        .iter()
        .map(|a| known(&p, &action_names, a, "fault.fixed_by", "action"))
        .collect::<Result<Vec<_>, _>>()?;
    if fixed_by.is_empty() {
        return Err(p.err(
            fe.fixed_by.span(),
            "fault.fixed_by: name at least one action that fixes the fault".into(),
        ));
    }
    let mut fixed_when = Vec::new();
    for c in fe.fixed_when.get_ref() {
        let service = known(
            &p,
            &service_names,
            &c.service,
            "fault.fixed_when.service",
            "service",
        )?;
        let signal = known(
            &p,
            &signal_keys,
            &c.signal,
            "fault.fixed_when.signal",
            "signal",
        )?;
        let condition = match (&c.above, &c.below) {
            (Some(v), None) => Condition::Above(p.finite(v, "fault.fixed_when.above")?),
            (None, Some(v)) => Condition::Below(p.finite(v, "fault.fixed_when.below")?),
            _ => {
                return Err(p.err(
                    c.service.span(),
                    "fault.fixed_when: give exactly one of above or below".into(),
                ));
            }
        };
        if !services
            .iter()
            .any(|s| s.name == service && s.curves.contains_key(&signal))
        {
            return Err(p.err(
                c.signal.span(),
                format!("fault.fixed_when.signal: service {service:?} has no curve for signal {signal:?}"),
            ));
        }
        fixed_when.push(Check {
            service,
            signal,
            condition,
        });
    }
    if fixed_when.is_empty() {
        return Err(p.err(
            fe.fixed_when.span(),
            "fault.fixed_when: say what fixed reads as (a signal of a service above or below a number)".into(),
        ));
    }
    let fault = Fault {
        fixed_when,
        service: known(&p, &service_names, &fe.service, "fault.service", "service")?,
        description: p.text(&fe.description, "fault.description")?,
        fixed_by,
    };
    let target =
        |v: &Option<S<String>>, key: &str| v.as_ref().map(|v| p.positive_secs(v, key)).transpose();
    let targets = Targets {
        take_command_secs: target(&f.targets.take_command, "targets.take_command")?,
        first_update_secs: target(&f.targets.first_update, "targets.first_update")?,
        fix_secs: target(&f.targets.fix, "targets.fix")?,
    };
    let duration_secs = p.positive_secs(&f.duration, "duration")?;
    if duration_secs < 60.0 {
        return Err(p.err(
            f.duration.span(),
            "duration: a drill lasts at least 1m".into(),
        ));
    }
    Ok(Scenario {
        name: p.name(&f.name, "name")?,
        summary: p.text(&f.summary, "summary")?,
        duration_secs,
        write_backs: f.write_backs,
        incident,
        fault,
        targets,
        signals,
        services,
        levers,
        alerts,
        actions,
    })
}

/// The `{at:-60s}` placeholders of a note: each one's scenario second.
pub fn note_times(note: &str) -> Result<Vec<(Range<usize>, f64)>, String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = note[from..].find("{at:").map(|i| i + from) {
        let close = note[open..]
            .find('}')
            .map(|i| i + open)
            .ok_or_else(|| "an {at:…} without its closing }".to_string())?;
        let inner = &note[open + 4..close];
        let (sign, d) = match inner.trim().strip_prefix('-') {
            Some(rest) => (-1.0, rest),
            None => (1.0, inner.trim()),
        };
        let secs = if d == "0" {
            0.0
        } else {
            crate::domain::parse_duration(d)
                .map(|d| d.num_milliseconds() as f64 / 1000.0)
                .map_err(|e| format!("{{at:{inner}}}: {e}"))?
        };
        out.push((open..close + 1, sign * secs));
        from = close + 1;
    }
    Ok(out)
}

fn signal(p: &Place, s: &SignalEntry, levers: &BTreeSet<String>) -> Result<Signal, ConfigError> {
    let band = |v: &Option<S<f64>>, key: &str| v.as_ref().map(|v| p.finite(v, key)).transpose();
    let wiggle = match &s.wiggle {
        Some(w) => {
            let x = p.finite(w, "signal.wiggle")?;
            if !(0.0..1.0).contains(&x) {
                return Err(p.err(w.span(), "signal.wiggle: between 0 and 1".into()));
            }
            x
        }
        None => 0.15,
    };
    let period = match &s.period {
        Some(v) => {
            let x = p.positive_secs(v, "signal.period")?;
            if x <= 0.0 {
                return Err(p.err(v.span(), "signal.period: must be more than 0s".into()));
            }
            x
        }
        None => 23.0,
    };
    Ok(Signal {
        key: s.key.get_ref().trim().to_string(),
        metric: metric_name(p, &s.metric, "signal.metric")?,
        catalog: s
            .catalog
            .as_ref()
            .map(|c| p.text(c, "signal.catalog"))
            .transpose()?,
        bands: Bands {
            degraded_above: band(&s.degraded_above, "signal.degraded_above")?,
            down_above: band(&s.down_above, "signal.down_above")?,
            degraded_below: band(&s.degraded_below, "signal.degraded_below")?,
            down_below: band(&s.down_below, "signal.down_below")?,
        },
        wiggle,
        period,
        follows: s
            .follows
            .iter()
            .map(|l| known(p, levers, l, "signal.follows", "lever"))
            .collect::<Result<_, _>>()?,
    })
}

fn metric_name(p: &Place, v: &S<String>, key: &str) -> Result<String, ConfigError> {
    let t = v.get_ref().trim();
    let mut c = t.chars();
    let ok = c
        .next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':');
    if !ok {
        return Err(p.err(
            v.span(),
            format!("{key}: {t:?} is not a Prometheus metric name"),
        ));
    }
    Ok(t.to_string())
}

fn service(
    p: &Place,
    s: &ServiceEntry,
    services: &BTreeSet<String>,
    signals: &BTreeSet<String>,
) -> Result<ServiceSpec, ConfigError> {
    let name = s.name.get_ref().trim().to_string();
    let mut curves = BTreeMap::new();
    for (key, value) in &s.curves {
        let k = known(p, signals, key, "service.curves", "signal")?;
        let num = |v: &toml::Value| match v {
            toml::Value::Float(f) if f.is_finite() => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        let curve = match value.get_ref() {
            toml::Value::Array(a) if a.len() == 2 => match (num(&a[0]), num(&a[1])) {
                (Some(healthy), Some(broken)) => Some(Curve { healthy, broken }),
                _ => None,
            },
            v => num(v).map(|x| Curve {
                healthy: x,
                broken: x,
            }),
        };
        let curve = curve.ok_or_else(|| {
            p.err(
                value.span(),
                format!(
                    "service.curves.{k}: write [healthy, broken] (two numbers) or one number \
                     for a series the fault does not move"
                ),
            )
        })?;
        curves.insert(k, curve);
    }
    Ok(ServiceSpec {
        tier: s.tier.as_ref().map_or(2, |t| *t.get_ref()),
        customer_facing: s.customer_facing,
        public_name: s
            .public_name
            .as_ref()
            .map(|v| p.text(v, "service.public_name"))
            .transpose()?,
        team: match &s.team {
            Some(t) => p.name(t, "service.team")?,
            None => name.clone(),
        },
        depends_on: s
            .depends_on
            .iter()
            .map(|d| known(p, services, d, "service.depends_on", "service"))
            .collect::<Result<_, _>>()?,
        curves,
        name,
    })
}

fn lever(p: &Place, l: &LeverEntry) -> Result<Lever, ConfigError> {
    let name = l.name.get_ref().trim().to_string();
    let fault = match &l.fault {
        None => None,
        Some(m) => {
            let e = m.get_ref();
            if e.lever.is_some() || !e.when.is_empty() {
                return Err(p.err(
                    m.span(),
                    "lever.fault: takes at, to and over only (the lever is the one it is in)"
                        .into(),
                ));
            }
            Some(Move {
                lever: name.clone(),
                at: e
                    .at
                    .as_ref()
                    .map(|v| p.secs(v, "lever.fault.at"))
                    .transpose()?
                    .unwrap_or(0.0),
                to: p.level(&e.to, "lever.fault.to")?,
                over_secs: e
                    .over
                    .as_ref()
                    .map(|v| p.positive_secs(v, "lever.fault.over"))
                    .transpose()?
                    .unwrap_or(0.0),
                when: BTreeMap::new(),
            })
        }
    };
    Ok(Lever {
        description: l.description.trim().to_string(),
        level: l
            .level
            .as_ref()
            .map(|v| p.level(v, "lever.level"))
            .transpose()?
            .unwrap_or(0.0),
        fault,
        gauge: l
            .gauge
            .as_ref()
            .map(|g| {
                Ok::<_, ConfigError>(Gauge {
                    metric: metric_name(p, &g.get_ref().metric, "lever.gauge.metric")?,
                    labels: g.get_ref().labels.clone(),
                })
            })
            .transpose()?,
        name,
    })
}

fn alert(
    p: &Place,
    a: &AlertEntry,
    services: &BTreeSet<String>,
    signals: &BTreeSet<String>,
    specs: &[ServiceSpec],
) -> Result<Rule, ConfigError> {
    let service = a
        .service
        .as_ref()
        .map(|v| known(p, services, v, "alert.service", "service"))
        .transpose()?;
    let signal = a
        .signal
        .as_ref()
        .map(|v| known(p, signals, v, "alert.signal", "signal"))
        .transpose()?;
    let always = a.always.as_ref().is_some_and(|v| *v.get_ref());
    let condition = match (&a.above, &a.below, always) {
        (Some(v), None, false) => Condition::Above(p.finite(v, "alert.above")?),
        (None, Some(v), false) => Condition::Below(p.finite(v, "alert.below")?),
        (None, None, true) => Condition::Always {
            since: a
                .since
                .as_ref()
                .map(|v| p.secs(v, "alert.since"))
                .transpose()?
                .unwrap_or(-5400.0),
        },
        _ => {
            return Err(p.err(
                a.name.span(),
                format!(
                    "alert {:?}: give exactly one of above, below or always = true",
                    a.name.get_ref()
                ),
            ));
        }
    };
    if !always {
        let (Some(svc), Some(sig)) = (&service, &signal) else {
            return Err(p.err(
                a.name.span(),
                format!(
                    "alert {:?}: a rule with above or below needs service and signal",
                    a.name.get_ref()
                ),
            ));
        };
        let has = specs
            .iter()
            .any(|s| &s.name == svc && s.curves.contains_key(sig));
        if !has {
            let at = a.signal.as_ref().map_or(a.name.span(), |s| s.span());
            return Err(p.err(
                at,
                format!("alert.signal: service {svc:?} has no curve for signal {sig:?}"),
            ));
        }
    }
    Ok(Rule {
        name: a.name.get_ref().trim().to_string(),
        service,
        signal,
        condition,
        for_secs: a
            .for_
            .as_ref()
            .map(|v| p.positive_secs(v, "alert.for"))
            .transpose()?
            .unwrap_or(0.0),
        severity: p.name(&a.severity, "alert.severity")?,
        team: match &a.team {
            Some(t) => p.name(t, "alert.team")?,
            None => "ops".into(),
        },
        summary: p.text(&a.summary, "alert.summary")?,
        labels: a.labels.clone(),
        query: a
            .query
            .as_ref()
            .map(|q| p.text(q, "alert.query"))
            .transpose()?,
    })
}

fn action(
    p: &Place,
    a: &ActionEntry,
    actions: &BTreeSet<String>,
    levers: &BTreeSet<String>,
    services: &BTreeSet<String>,
    signals: &BTreeSet<String>,
) -> Result<ScenarioAction, ConfigError> {
    let mut params = Vec::new();
    let mut param_names = BTreeSet::new();
    for e in &a.params {
        let name = p.name(&e.name, "action.param.name")?;
        unique(p, &mut param_names, &e.name, "param")?;
        let choices = e.choices.get_ref().clone();
        if choices.is_empty() {
            return Err(p.err(
                e.choices.span(),
                "action.param.choices: list at least one value".into(),
            ));
        }
        let default = match &e.default {
            Some(d) if !choices.contains(d.get_ref()) => {
                return Err(p.err(
                    d.span(),
                    format!(
                        "action.param.default: {:?} is not one of the choices",
                        d.get_ref()
                    ),
                ));
            }
            d => d.as_ref().map(|d| d.get_ref().clone()),
        };
        params.push(Param {
            name,
            description: e.description.trim().to_string(),
            choices,
            default,
        });
    }
    let mut moves = Vec::new();
    for m in &a.moves {
        let e = m.get_ref();
        let Some(lever) = &e.lever else {
            return Err(p.err(m.span(), "action.move: name the lever it moves".into()));
        };
        if let Some(at) = &e.at {
            return Err(p.err(
                at.span(),
                "action.move.at: an action's move starts when it is run".into(),
            ));
        }
        let mut when = BTreeMap::new();
        for (k, v) in &e.when {
            let param = params
                .iter()
                .find(|q| &q.name == k.get_ref())
                .ok_or_else(|| {
                    p.err(
                        k.span(),
                        format!(
                            "action.move.when: the action has no param {:?}",
                            k.get_ref()
                        ),
                    )
                })?;
            if let Some(bad) = v.get_ref().iter().find(|x| !param.choices.contains(x)) {
                return Err(p.err(
                    v.span(),
                    format!(
                        "action.move.when.{}: {bad:?} is not one of the choices",
                        k.get_ref()
                    ),
                ));
            }
            when.insert(k.get_ref().clone(), v.get_ref().clone());
        }
        moves.push(Move {
            lever: known(p, levers, lever, "action.move.lever", "lever")?,
            at: 0.0,
            to: p.level(&e.to, "action.move.to")?,
            over_secs: e
                .over
                .as_ref()
                .map(|v| p.positive_secs(v, "action.move.over"))
                .transpose()?
                .unwrap_or(0.0),
            when,
        });
    }
    let verify = match &a.verify {
        None => None,
        Some(v) => {
            let e = v.get_ref();
            let expect = p.text(&e.expect, "action.verify.expect")?;
            let dur = |x: &Option<S<String>>, key: &str, default: &str| match x {
                Some(x) => {
                    p.positive_secs(x, key)?;
                    Ok::<_, ConfigError>(x.get_ref().trim().to_string())
                }
                None => Ok(default.to_string()),
            };
            Some(Verify {
                signal: known(p, signals, &e.signal, "action.verify.signal", "signal")?,
                service: known(p, services, &e.service, "action.verify.service", "service")?,
                expect,
                within: dur(&e.within, "action.verify.within", "3m")?,
                every: dur(&e.every, "action.verify.every", "5s")?,
            })
        }
    };
    Ok(ScenarioAction {
        name: a.name.get_ref().trim().to_string(),
        description: p.text(&a.description, "action.description")?,
        confirm: a.confirm.unwrap_or(true),
        undo: a
            .undo
            .as_ref()
            .map(|u| known(p, actions, u, "action.undo", "action"))
            .transpose()?,
        params,
        verify,
        moves,
        reveals: a
            .reveals
            .as_ref()
            .map(|r| p.text(r, "action.reveals"))
            .transpose()?,
    })
}
