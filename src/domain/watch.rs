//! Who watches the watchmen: whether the leader may be blind. The alerting chain itself can
//! break — Prometheus stops evaluating its rules, Alertmanager stops hearing from Prometheus,
//! a source stops answering — and then "nothing firing" means nothing. This judges, from what
//! the backends saw ([`ChainLook`], one look at Prometheus's rule groups and the dead man's
//! switch in each Alertmanager) and from the alert board, which link is broken and what to do.
//!
//! Pure: every look carries its own time, and `now` is a parameter. `warroom doctor` judges
//! one look at once ([`Patience::OneLook`]); the console gives the dead man's switch its
//! interval before it says it is missing ([`Patience::Interval`]).

use super::{AlertBoard, LinkedAlert, short_duration};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The dead man's switch: an alert that always fires (Prometheus's `Watchdog`, `vector(1)`),
/// so its absence says the chain that should carry it is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watchdog {
    /// The alert's name (`alertname`).
    pub alert: String,
    /// How long it may be absent before that counts.
    pub interval: Duration,
}

/// One rule group as Prometheus reports it (`/api/v1/rules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleGroupLook {
    pub name: String,
    pub file: String,
    /// Its evaluation interval.
    pub interval: Duration,
    /// `None`: not evaluated yet.
    pub last_evaluation: Option<DateTime<Utc>>,
    /// Rules whose last evaluation failed: (rule, Prometheus's error).
    pub failing: Vec<(String, String)>,
    /// The names of its alerting rules.
    pub alerts: Vec<String>,
}

/// What Prometheus said: its rule groups and the alerts firing in it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusLook {
    pub groups: Vec<RuleGroupLook>,
    pub firing: Vec<String>,
}

/// One look along the alerting chain, taken at `at`. An unreachable part is not judged here:
/// the alert board (or the reachability check) already says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLook {
    pub at: DateTime<Utc>,
    /// Prometheus (its source name) and what it said; `None` when none is configured.
    pub prometheus: Option<(String, Result<PrometheusLook, String>)>,
    /// Each Alertmanager (its source name): whether the dead man's switch is there.
    pub alertmanagers: Vec<(String, Result<bool, String>)>,
}

/// A broken link: which, what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blindness {
    pub link: String,
    pub problem: String,
    pub todo: String,
    pub kind: BlindKind,
}

/// What kind of blindness: a source that does not answer (which the console's panes already
/// name), a linked alert only such sources report, or a broken link of the alerting chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindKind {
    Source,
    LinkedAlert,
    Chain,
}

/// A link of the chain and its verdict: `Ok` with what was seen, or what is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    pub verdict: Result<String, Blindness>,
}

/// How long an absence must last before it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// Judge this one look: absent now is missing (`warroom doctor`).
    OneLook,
    /// Absent for longer than the dead man's switch's interval (the console).
    Interval,
}

/// A group whose last evaluation is older than this is not being evaluated: three of its
/// intervals, and never less than 30 s (clocks of two machines differ a little).
pub fn stall_limit(interval: Duration) -> Duration {
    (interval * 3).max(Duration::seconds(30))
}

/// Since when a place has been watched, and when the dead man's switch was last seen there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    since: DateTime<Utc>,
    last_seen: Option<DateTime<Utc>>,
}

impl Seen {
    fn absent_for(&self, at: DateTime<Utc>) -> Duration {
        at - self.last_seen.unwrap_or(self.since)
    }
}

/// The looks so far, folded: what the console keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainWatch {
    pub watchdog: Option<Watchdog>,
    last: Option<ChainLook>,
    places: BTreeMap<String, Seen>,
    /// Rule groups seen not yet evaluated, since when.
    unevaluated: BTreeMap<String, DateTime<Utc>>,
}

impl ChainWatch {
    pub fn new(watchdog: Option<Watchdog>) -> ChainWatch {
        ChainWatch {
            watchdog,
            ..ChainWatch::default()
        }
    }

    /// The latest look.
    pub fn last(&self) -> Option<&ChainLook> {
        self.last.as_ref()
    }

    /// Takes in a new look.
    pub fn observe(&mut self, look: ChainLook) {
        let at = look.at;
        let alert = self.watchdog.as_ref().map(|w| w.alert.clone());
        let mut mark = |place: &str, present: bool| {
            let seen = self.places.entry(place.to_string()).or_insert(Seen {
                since: at,
                last_seen: None,
            });
            if present {
                seen.last_seen = Some(at);
            }
        };
        if let Some((name, Ok(p))) = &look.prometheus {
            let firing = alert
                .as_ref()
                .is_some_and(|a| p.firing.iter().any(|f| f == a));
            mark(name, firing);
            for g in &p.groups {
                let key = group_key(g);
                if g.last_evaluation.is_some() {
                    self.unevaluated.remove(&key);
                } else {
                    self.unevaluated.entry(key).or_insert(at);
                }
            }
        }
        for (name, r) in &look.alertmanagers {
            if let Ok(present) = r {
                mark(name, *present);
            }
        }
        self.last = Some(look);
    }

    /// Every link the last look can judge, in the chain's order: Prometheus's rules, the
    /// dead man's switch in Prometheus, then at each Alertmanager.
    pub fn links(&self, patience: Patience) -> Vec<Link> {
        let Some(look) = &self.last else {
            return Vec::new();
        };
        let at = look.at;
        let mut out = Vec::new();
        let mut prometheus_fires: Option<(&str, bool)> = None;
        if let Some((name, Ok(p))) = &look.prometheus {
            out.push(self.rules_link(name, p, at, patience));
            if let Some(w) = &self.watchdog {
                let firing = p.firing.contains(&w.alert);
                prometheus_fires = Some((name, firing));
                out.push(self.watchdog_in_prometheus(name, p, w, firing, at, patience));
            }
        }
        if let Some(w) = &self.watchdog {
            for (name, r) in &look.alertmanagers {
                let Ok(present) = r else { continue };
                out.push(self.watchdog_at(name, *present, w, prometheus_fires, at, patience));
            }
        }
        out
    }

    fn absent_too_long(&self, place: &str, at: DateTime<Utc>, patience: Patience) -> bool {
        match patience {
            Patience::OneLook => true,
            Patience::Interval => {
                let interval = self
                    .watchdog
                    .as_ref()
                    .map_or(Duration::zero(), |w| w.interval);
                self.places
                    .get(place)
                    .is_some_and(|s| s.absent_for(at) > interval)
            }
        }
    }

    /// " for 2m" since last seen, or " in the 2m watched" when never seen.
    fn absent_text(&self, place: &str, at: DateTime<Utc>) -> String {
        match self.places.get(place) {
            Some(s) if s.absent_for(at) > Duration::zero() => {
                let d = short_duration(s.absent_for(at));
                match s.last_seen {
                    Some(_) => format!(" for {d}"),
                    None => format!(" in the {d} watched"),
                }
            }
            _ => String::new(),
        }
    }

    fn rules_link(
        &self,
        name: &str,
        p: &PrometheusLook,
        at: DateTime<Utc>,
        patience: Patience,
    ) -> Link {
        let link = format!("{name} rules");
        let broken = |problem: String, todo: String| Link {
            name: link.clone(),
            verdict: Err(Blindness {
                link: link.clone(),
                problem,
                todo,
                kind: BlindKind::Chain,
            }),
        };
        for g in &p.groups {
            let limit = stall_limit(g.interval);
            let every = short_duration(g.interval);
            let stalled = match g.last_evaluation {
                Some(last) => (at - last > limit).then(|| {
                    format!(
                        "rule group {:?} ({}) last evaluated {} ago, though every {every}",
                        g.name,
                        g.file,
                        short_duration(at - last)
                    )
                }),
                None => {
                    let since = match patience {
                        Patience::OneLook => at,
                        Patience::Interval => {
                            self.unevaluated.get(&group_key(g)).copied().unwrap_or(at)
                        }
                    };
                    (at - since > limit).then(|| {
                        format!(
                            "rule group {:?} ({}) not evaluated for {}, though every {every}",
                            g.name,
                            g.file,
                            short_duration(at - since)
                        )
                    })
                }
            };
            if let Some(problem) = stalled {
                return broken(
                    problem,
                    format!(
                        "{name} is not evaluating its rules, so no alert can fire: look at its log and at prometheus_rule_group_iterations_missed_total; a query slower than the interval stalls the group"
                    ),
                );
            }
        }
        let failing: Vec<String> = p
            .groups
            .iter()
            .flat_map(|g| {
                g.failing.iter().map(move |(rule, e)| {
                    format!("rule {rule:?} in {:?} ({}): {e}", g.name, g.file)
                })
            })
            .collect();
        if let Some(first) = failing.first() {
            let more = match failing.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return broken(
                format!("rule evaluation fails: {first}{more}"),
                "fix the rule's expression in its file and reload Prometheus: a failing rule cannot fire".into(),
            );
        }
        let n = p.groups.len();
        Link {
            name: link,
            verdict: Ok(format!(
                "{n} rule group{} evaluating",
                if n == 1 { "" } else { "s" }
            )),
        }
    }

    fn watchdog_in_prometheus(
        &self,
        name: &str,
        p: &PrometheusLook,
        w: &Watchdog,
        firing: bool,
        at: DateTime<Utc>,
        patience: Patience,
    ) -> Link {
        let link = format!("{} in {name}", w.alert);
        let has_rule = p.groups.iter().any(|g| g.alerts.contains(&w.alert));
        let problem = if !has_rule {
            Some((
                format!("no alerting rule named {:?}", w.alert),
                format!(
                    "add the dead man's switch to a rule file (`- alert: {}` with `expr: vector(1)`) and reload Prometheus",
                    w.alert
                ),
            ))
        } else if !firing && self.absent_too_long(name, at, patience) {
            Some((
                format!("{} is not firing{}", w.alert, self.absent_text(name, at)),
                format!(
                    "its expression must always be true (`vector(1)`); check the rule's health in {name}'s /rules page"
                ),
            ))
        } else {
            None
        };
        Link {
            name: link.clone(),
            verdict: match problem {
                Some((problem, todo)) => Err(Blindness {
                    link,
                    problem,
                    todo,
                    kind: BlindKind::Chain,
                }),
                None if firing => Ok("firing".into()),
                None => Ok(format!(
                    "not firing yet (within {})",
                    short_duration(w.interval)
                )),
            },
        }
    }

    fn watchdog_at(
        &self,
        name: &str,
        present: bool,
        w: &Watchdog,
        prometheus_fires: Option<(&str, bool)>,
        at: DateTime<Utc>,
        patience: Patience,
    ) -> Link {
        let link = format!("{} at {name}", w.alert);
        if present {
            return Link {
                name: link,
                verdict: Ok("arriving".into()),
            };
        }
        if !self.absent_too_long(name, at, patience) {
            return Link {
                name: link,
                verdict: Ok(format!(
                    "not arrived yet (within {})",
                    short_duration(w.interval)
                )),
            };
        }
        let absent = self.absent_text(name, at);
        let (problem, todo) = match prometheus_fires {
            Some((prom, true)) => (
                format!(
                    "{name} is not hearing from {prom}: {} fires there but has not arrived here{absent}",
                    w.alert
                ),
                format!(
                    "check that {prom}'s alerting.alertmanagers points at {name} and can reach it (prometheus_notifications_errors_total, {prom}'s /api/v1/alertmanagers)"
                ),
            ),
            Some((prom, false)) => (
                format!(
                    "{} has not arrived{absent}: {prom} is not firing it either",
                    w.alert
                ),
                format!("fix {prom} first (its rules and its {})", w.alert),
            ),
            None => (
                format!("{} has not arrived{absent}", w.alert),
                format!(
                    "check the Prometheus that fires {} and that it sends to {name}",
                    w.alert
                ),
            ),
        };
        Link {
            name: link.clone(),
            verdict: Err(Blindness {
                link,
                problem,
                todo,
                kind: BlindKind::Chain,
            }),
        }
    }

    /// Everything that may leave the leader blind now: each alert source that does not
    /// answer, each linked alert whose every source is among them, and each broken link of
    /// the alerting chain (the dead man's switch given its interval).
    pub fn may_be_blind(
        &self,
        board: &AlertBoard,
        linked: &[LinkedAlert],
        now: DateTime<Utc>,
    ) -> Vec<Blindness> {
        let mut out = Vec::new();
        let stale: Vec<&str> = board.stale().map(|s| s.name.as_str()).collect();
        for s in board.stale() {
            let since = s.stale_since.or(s.last_ok).unwrap_or(now);
            out.push(Blindness {
                link: s.name.clone(),
                problem: format!(
                    "unreachable for {}: {}",
                    short_duration(now - since),
                    s.error.as_deref().unwrap_or("no answer")
                ),
                todo: format!(
                    "its alerts are as of its last answer; check {} answers",
                    s.name
                ),
                kind: BlindKind::Source,
            });
        }
        if !stale.is_empty() && !linked.is_empty() {
            let merged = board.merged_shared();
            for l in linked {
                let Some(a) = merged.iter().find(|a| a.fingerprint == l.alert.fingerprint) else {
                    continue;
                };
                if !a.sources.is_empty() && a.sources.iter().all(|s| stale.contains(&s.as_str())) {
                    out.push(Blindness {
                        link: a.sources.join(", "),
                        problem: format!(
                            "linked alert {} comes only from {}, unreachable: whether it still fires is unknown",
                            l.alert.name,
                            a.sources.join(", ")
                        ),
                        todo: "do not take its silence for resolution; check it at its source"
                            .into(),
                        kind: BlindKind::LinkedAlert,
                    });
                }
            }
        }
        out.extend(
            self.links(Patience::Interval)
                .into_iter()
                .filter_map(|l| l.verdict.err()),
        );
        out
    }
}

fn group_key(g: &RuleGroupLook) -> String {
    format!("{}\u{0}{}", g.file, g.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Alert, AlertRef, AlertState};
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn watchdog() -> Option<Watchdog> {
        Some(Watchdog {
            alert: "Watchdog".into(),
            interval: Duration::minutes(2),
        })
    }

    fn group(last: Option<i64>, failing: &[(&str, &str)]) -> RuleGroupLook {
        RuleGroupLook {
            name: "meta".into(),
            file: "/etc/prometheus/rules.yml".into(),
            interval: Duration::seconds(15),
            last_evaluation: last.map(at),
            failing: failing
                .iter()
                .map(|(r, e)| (r.to_string(), e.to_string()))
                .collect(),
            alerts: vec!["Watchdog".into(), "CheckoutDown".into()],
        }
    }

    fn look(t: i64, groups: Vec<RuleGroupLook>, firing: bool, at_am: bool) -> ChainLook {
        ChainLook {
            at: at(t),
            prometheus: Some((
                "prometheus".into(),
                Ok(PrometheusLook {
                    groups,
                    firing: if firing {
                        vec!["Watchdog".into()]
                    } else {
                        vec![]
                    },
                }),
            )),
            alertmanagers: vec![("am-eu".into(), Ok(at_am))],
        }
    }

    fn broken(w: &ChainWatch, now: i64) -> Vec<String> {
        w.may_be_blind(&AlertBoard::default(), &[], at(now))
            .into_iter()
            .map(|b| format!("{}: {}", b.link, b.problem))
            .collect()
    }

    #[test]
    fn a_whole_chain_is_not_blind_and_every_link_says_ok() {
        let mut w = ChainWatch::new(watchdog());
        w.observe(look(0, vec![group(Some(-10), &[])], true, true));
        assert!(broken(&w, 0).is_empty());
        let links = w.links(Patience::OneLook);
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "prometheus rules",
                "Watchdog in prometheus",
                "Watchdog at am-eu"
            ]
        );
        assert!(links.iter().all(|l| l.verdict.is_ok()), "{links:?}");
    }

    #[test]
    fn the_dead_mans_switch_is_missed_only_after_its_interval_in_the_console() {
        let mut w = ChainWatch::new(watchdog());
        w.observe(look(0, vec![group(Some(-5), &[])], true, true));
        // Gone from the Alertmanager at 10s: within the interval (2m) nothing is said.
        w.observe(look(10, vec![group(Some(5), &[])], true, false));
        assert!(broken(&w, 10).is_empty());
        w.observe(look(100, vec![group(Some(95), &[])], true, false));
        assert!(broken(&w, 100).is_empty());
        // 2m01s after it was last seen: Alertmanager is not hearing from Prometheus.
        w.observe(look(121, vec![group(Some(115), &[])], true, false));
        let b = broken(&w, 121);
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(
            b[0].starts_with("Watchdog at am-eu: am-eu is not hearing from prometheus"),
            "{b:?}"
        );
        assert!(b[0].contains("for 2m"), "{b:?}");
        // doctor judges one look: missing now is missing.
        let mut d = ChainWatch::new(watchdog());
        d.observe(look(0, vec![group(Some(-5), &[])], true, false));
        assert!(d.links(Patience::OneLook)[2].verdict.is_err());
        assert!(d.links(Patience::Interval)[2].verdict.is_ok());
        // Back again: fine at once.
        w.observe(look(130, vec![group(Some(125), &[])], true, true));
        assert!(broken(&w, 130).is_empty());
    }

    #[test]
    fn a_watchdog_never_seen_counts_from_the_first_look() {
        let mut w = ChainWatch::new(watchdog());
        w.observe(look(0, vec![group(Some(-5), &[])], false, false));
        assert!(broken(&w, 0).is_empty());
        w.observe(look(125, vec![group(Some(120), &[])], false, false));
        let b = broken(&w, 125);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].starts_with("Watchdog in prometheus: Watchdog is not firing"));
        assert!(
            b[1].contains("has not arrived in the 2m watched: prometheus is not firing it either"),
            "{b:?}"
        );
    }

    #[test]
    fn a_missing_watchdog_rule_is_said_at_once_with_what_to_add() {
        let mut g = group(Some(-5), &[]);
        g.alerts.retain(|a| a != "Watchdog");
        let mut w = ChainWatch::new(watchdog());
        w.observe(look(0, vec![g], false, false));
        let b = w.may_be_blind(&AlertBoard::default(), &[], at(0));
        assert_eq!(b[0].problem, "no alerting rule named \"Watchdog\"");
        assert!(b[0].todo.contains("expr: vector(1)"), "{b:?}");
    }

    #[test]
    fn a_rule_group_not_evaluated_for_three_intervals_is_stalled() {
        let mut w = ChainWatch::new(None);
        // Every 15s: three intervals are 45s.
        w.observe(look(0, vec![group(Some(-45), &[])], true, true));
        assert!(broken(&w, 0).is_empty());
        w.observe(look(0, vec![group(Some(-46), &[])], true, true));
        let b = broken(&w, 0);
        assert_eq!(
            b,
            [
                "prometheus rules: rule group \"meta\" (/etc/prometheus/rules.yml) last evaluated 46s ago, though every 15s"
            ]
        );
        let mut slow = group(Some(-180), &[]);
        slow.interval = Duration::minutes(1);
        w.observe(look(0, vec![slow.clone()], true, true));
        assert!(broken(&w, 0).is_empty(), "1m groups: 3m is the limit");
        slow.last_evaluation = Some(at(-181));
        w.observe(look(0, vec![slow], true, true));
        assert_eq!(broken(&w, 0).len(), 1);
        // A 5s group still gets 30s: two machines' clocks differ a little.
        let mut fast = group(Some(-29), &[]);
        fast.interval = Duration::seconds(5);
        w.observe(look(0, vec![fast.clone()], true, true));
        assert!(broken(&w, 0).is_empty());
        fast.last_evaluation = Some(at(-31));
        w.observe(look(0, vec![fast], true, true));
        assert_eq!(broken(&w, 0).len(), 1);
    }

    #[test]
    fn a_group_never_evaluated_is_stalled_once_the_limit_passes_in_the_console() {
        let mut w = ChainWatch::new(None);
        w.observe(look(0, vec![group(None, &[])], true, true));
        assert!(broken(&w, 0).is_empty());
        w.observe(look(45, vec![group(None, &[])], true, true));
        assert!(broken(&w, 45).is_empty());
        w.observe(look(46, vec![group(None, &[])], true, true));
        assert_eq!(broken(&w, 46).len(), 1, "{:?}", broken(&w, 46));
        assert!(w.links(Patience::OneLook)[0].verdict.is_ok());
        w.observe(look(47, vec![group(Some(47), &[])], true, true));
        assert!(broken(&w, 47).is_empty());
    }

    #[test]
    fn a_failing_rule_is_named_with_prometheus_words() {
        let mut w = ChainWatch::new(None);
        let g = group(
            Some(-1),
            &[
                ("Broken", "found duplicate series"),
                ("Other", "many-to-many"),
            ],
        );
        w.observe(look(0, vec![g], true, true));
        let b = w.may_be_blind(&AlertBoard::default(), &[], at(0));
        assert_eq!(
            b[0].problem,
            "rule evaluation fails: rule \"Broken\" in \"meta\" (/etc/prometheus/rules.yml): found duplicate series (and 1 more)"
        );
        assert!(b[0].todo.contains("reload Prometheus"));
    }

    #[test]
    fn unreachable_parts_are_left_to_the_board_and_stale_sources_and_their_linked_alerts_are_blind()
    {
        let mut w = ChainWatch::new(watchdog());
        w.observe(ChainLook {
            at: at(0),
            prometheus: Some(("prometheus".into(), Err("refused".into()))),
            alertmanagers: vec![("am-eu".into(), Err("refused".into()))],
        });
        assert!(w.links(Patience::OneLook).is_empty());
        let mut board = AlertBoard::with_sources(["am-eu", "am-us"]);
        let alert = |fp: &str| Alert {
            fingerprint: fp.into(),
            labels: [("alertname".to_string(), fp.to_string())]
                .into_iter()
                .collect::<BTreeMap<_, _>>()
                .into(),
            annotations: BTreeMap::<String, String>::new().into(),
            starts_at: at(-600),
            ends_at: None,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        };
        board.report_ok("am-eu", vec![alert("OnlyEu"), alert("Both")], at(-60));
        board.report_ok("am-us", vec![alert("Both")], at(-60));
        board.report_err("am-eu", "connection refused".into(), at(-30));
        let linked: Vec<LinkedAlert> = ["OnlyEu", "Both"]
            .iter()
            .map(|fp| LinkedAlert {
                alert: AlertRef::of(&alert(fp)),
                firing: true,
                linked_at: at(-300),
            })
            .collect();
        let b = w.may_be_blind(&board, &linked, at(0));
        let problems: Vec<&str> = b.iter().map(|b| b.problem.as_str()).collect();
        assert_eq!(
            problems,
            [
                "unreachable for 30s: connection refused",
                "linked alert OnlyEu comes only from am-eu, unreachable: whether it still fires is unknown"
            ]
        );
    }
}
