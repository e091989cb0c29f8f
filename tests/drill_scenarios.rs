//! Every built-in drill scenario played under a fixed clock: the metric and alert timeline at
//! chosen instants, the same on every run, and the fault fixed by its intended compensating
//! action and by nothing else the runbook offers (every action, with every choice of its
//! parameters, is tried on a fresh simulation).

use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use warroom::demo::simulator::Simulator;
use warroom::drill::scenario::{self, Condition, Scenario};

fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap()
}

fn at(t: f64) -> DateTime<Utc> {
    origin() + chrono::Duration::milliseconds((t * 1000.0) as i64)
}

fn sim(name: &str) -> Simulator {
    let s = scenario::builtin(name).unwrap_or_else(|| panic!("no built-in {name}"));
    Simulator::new(Arc::new(s), origin(), 1.0)
}

fn v(sim: &Simulator, signal: &str, service: &str, t: f64) -> f64 {
    sim.value(signal, service, t)
        .unwrap_or_else(|| panic!("{service} has no {signal}"))
}

/// The alerts firing at `t`, by name.
fn firing(sim: &Simulator, t: f64) -> Vec<String> {
    let mut names: Vec<String> = sim
        .am_alerts(at(t))
        .into_iter()
        .map(|a| a.alert.rule.name)
        .collect();
    names.sort();
    names
}

/// The alerts pending (condition true, `for` not yet over) at `t`.
fn pending(sim: &Simulator, t: f64) -> Vec<String> {
    let mut names: Vec<String> = sim
        .rule_alerts(at(t))
        .into_iter()
        .filter(|a| !a.firing())
        .map(|a| a.rule.name)
        .collect();
    names.sort();
    names
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

#[test]
fn six_scenarios_are_built_in() {
    let names: Vec<String> = scenario::builtins().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "bad-deploy",
            "db-failover",
            "sms-provider",
            "dns-cache",
            "backup-silent",
            "traffic-spike"
        ]
    );
}

#[test]
fn every_scenario_plays_the_same_on_every_run() {
    for s in scenario::builtins() {
        let (a, b) = (sim(&s.name), sim(&s.name));
        for t in (-300..=s.duration_secs as i64).step_by(37) {
            let t = t as f64;
            assert_eq!(
                a.rule_alerts(at(t)),
                b.rule_alerts(at(t)),
                "{} at {t}",
                s.name
            );
            for svc in &s.services {
                for sig in &s.signals {
                    assert_eq!(
                        a.value(&sig.key, &svc.name, t),
                        b.value(&sig.key, &svc.name, t)
                    );
                }
            }
        }
    }
}

#[test]
fn bad_deploy_timeline() {
    let s = sim("bad-deploy");
    assert_eq!(firing(&s, 0.0), ["BatchJobLate", "CheckoutErrorBudgetBurn"]);
    assert!(v(&s, "errors", "checkout", 300.0) > 0.28);
    assert!(v(&s, "errors", "search", 300.0) < 0.005);
    assert_eq!(firing(&s, 300.0).len(), 6);
}

#[test]
fn db_failover_timeline() {
    let s = sim("db-failover");
    // The writes fail from the failover on; the page went out at 0.
    assert!(v(&s, "errors", "orders-api", -120.0) < 0.005);
    assert!(v(&s, "errors", "orders-api", 0.0) > 0.4);
    assert_eq!(v(&s, "read_only", "orders-db", 0.0), 1.0);
    assert_eq!(v(&s, "read_only", "orders-db", -91.0), 0.0);
    assert_eq!(
        firing(&s, 0.0),
        [
            "DatabaseWriterReadOnly",
            "OrdersWriteErrors",
            "StorefrontErrors"
        ]
    );
    // The replica's lag grows over five minutes: pending at 0, firing a little later.
    assert_eq!(pending(&s, 0.0), ["ReplicationLagHigh"]);
    assert!(firing(&s, 30.0).contains(&"ReplicationLagHigh".to_string()));
    let lag = v(&s, "lag", "orders-db", 210.0);
    assert!((239.0..241.0).contains(&lag), "{lag}");
    // The read-only period lasts until the writers are pointed at the new primary.
    let mut fixed = sim("db-failover");
    fixed.act(at(120.0), "repoint-writes", &none()).unwrap();
    assert!(v(&fixed, "read_only", "orders-db", 121.0) > 0.9);
    assert!(v(&fixed, "read_only", "orders-db", 140.0) > 0.3);
    assert_eq!(v(&fixed, "read_only", "orders-db", 150.0), 0.0);
    assert!(v(&fixed, "errors", "orders-api", 151.0) < 0.005);
    assert!(
        v(&fixed, "lag", "orders-db", 200.0) > 30.0,
        "the lag drains over 3m"
    );
    assert!(v(&fixed, "lag", "orders-db", 301.0) < 1.0);
    assert!(firing(&fixed, 400.0).is_empty());
}

#[test]
fn sms_provider_timeline() {
    let s = sim("sms-provider");
    // The provider's API looks perfect the whole time.
    for t in (-600..=1200).step_by(60) {
        assert!(v(&s, "errors", "sms-provider", t as f64) < 0.001);
    }
    // Delivery stopped four minutes before the drill; the customers are calling.
    assert!(v(&s, "delivered", "otp-sender", -300.0) > 0.98);
    assert_eq!(v(&s, "delivered", "otp-sender", -200.0), 0.0);
    assert!(v(&s, "support_calls", "login", 0.0) > 3.0);
    // Only the end-to-end probe alerts, five minutes after delivery stopped: a minute in.
    assert!(firing(&s, 0.0).is_empty());
    assert_eq!(pending(&s, 0.0), ["SmsDeliveryProbeFailing"]);
    assert!(firing(&s, 59.0).is_empty());
    assert_eq!(firing(&s, 61.0), ["SmsDeliveryProbeFailing"]);
    // Nobody was paged: the incident is opened by support, with no alert linked.
    assert_eq!(s.scenario().incident.paged_by, None);
}

#[test]
fn dns_cache_timeline() {
    let s = sim("dns-cache");
    assert!(v(&s, "errors", "checkout-eu-west", 0.0) > 0.3);
    for other in ["checkout-us-east", "checkout-ap-south"] {
        for t in (-600..=1200).step_by(30) {
            assert!(v(&s, "errors", other, t as f64) < 0.005, "{other} at {t}");
        }
    }
    assert!(v(&s, "dns_failures", "resolver-eu-west", 0.0) > 0.3);
    assert!(v(&s, "dns_failures", "resolver-us-east", 0.0) < 0.005);
    assert_eq!(
        firing(&s, 0.0),
        ["CheckoutEuWestErrors", "ResolverFailuresEuWest"]
    );
    assert_eq!(firing(&s, -115.0), Vec::<String>::new());
    assert_eq!(firing(&s, -110.0), ["CheckoutEuWestErrors"]);
}

#[test]
fn backup_silent_timeline() {
    let s = sim("backup-silent");
    // Three weeks without a good backup, and the job "succeeds" every night.
    for t in (-3600..=2700).step_by(300) {
        let t = t as f64;
        assert!(v(&s, "backup_age", "backup-job", t) > 500.0);
        assert_eq!(v(&s, "exit_code", "backup-job", t), 0.0);
        // The team's rule never fires: only the unrelated alert does.
        assert_eq!(firing(&s, t), ["DiskFillingUp"], "at {t}");
    }
    // A fixed credential's backup takes 20 minutes to land.
    let mut fixed = sim("backup-silent");
    fixed
        .act(at(60.0), "fix-backup-credential", &none())
        .unwrap();
    assert!(v(&fixed, "backup_age", "backup-job", 660.0) > 200.0);
    assert!(v(&fixed, "backup_age", "backup-job", 1261.0) < 16.0);
}

#[test]
fn traffic_spike_timeline() {
    let s = sim("traffic-spike");
    let rps = v(&s, "rps", "api", 0.0);
    assert!((3400.0..3800.0).contains(&rps), "{rps}");
    assert!(v(&s, "rps", "api", -300.0) < 1300.0);
    assert!(v(&s, "p99", "api", 0.0) > 5.0);
    assert_eq!(
        firing(&s, 0.0),
        ["ApiErrorRate", "ApiLatencyHigh", "DatabaseSaturated"]
    );
    // Shedding: the spike goes on, api is fast again, the excess gets 429.
    let mut shed = sim("traffic-spike");
    shed.act(at(60.0), "enable-load-shedding", &none()).unwrap();
    assert!(v(&shed, "rps", "api", 300.0) > 3400.0, "the spike goes on");
    assert!(v(&shed, "p99", "api", 100.0) < 1.0);
    assert!((v(&shed, "shed", "api", 300.0) - 0.3).abs() < 1e-9);
    assert!(firing(&shed, 300.0).is_empty());
    // And undone, the spike hurts again.
    shed.act(at(400.0), "disable-load-shedding", &none())
        .unwrap();
    assert!(v(&shed, "p99", "api", 431.0) > 5.0);
}

/// Every combination of an action's parameters.
fn combinations(s: &Scenario, action: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = vec![BTreeMap::new()];
    for p in &s.action(action).unwrap().params {
        out = out
            .into_iter()
            .flat_map(|m| {
                p.choices.iter().map(move |c| {
                    let mut m = m.clone();
                    m.insert(p.name.clone(), c.clone());
                    m
                })
            })
            .collect();
    }
    out
}

/// Fixed at the end of the drill: `fixed_when` holds, and only alerts unrelated to the
/// outage (`always`) still fire.
fn fixed_at_end(sim: &Simulator) -> bool {
    let s = sim.scenario();
    let end = s.duration_secs;
    let unrelated: Vec<&str> = s
        .alerts
        .iter()
        .filter(|r| matches!(r.condition, Condition::Always { .. }))
        .map(|r| r.name.as_str())
        .collect();
    sim.fixed(end)
        && firing(sim, end)
            .iter()
            .all(|n| unrelated.contains(&n.as_str()))
}

#[test]
fn each_scenario_is_fixed_by_its_intended_action_and_by_nothing_else() {
    for s in scenario::builtins() {
        let untouched = sim(&s.name);
        assert!(!fixed_at_end(&untouched), "{} fixes itself", s.name);
        for action in &s.actions {
            let mut fixing = Vec::new();
            for params in combinations(&s, &action.name) {
                let mut run = sim(&s.name);
                run.act(at(60.0), &action.name, &params)
                    .unwrap_or_else(|e| panic!("{} {}: {e:?}", s.name, action.name));
                if fixed_at_end(&run) {
                    fixing.push(params);
                }
            }
            let intended = s.fault.fixed_by.contains(&action.name);
            assert_eq!(
                !fixing.is_empty(),
                intended,
                "{}: {} {} (fixing with {fixing:?})",
                s.name,
                action.name,
                if intended {
                    "does not fix it"
                } else {
                    "fixes it too"
                }
            );
        }
    }
}

#[test]
fn the_dns_cache_is_fixed_only_by_flushing_the_right_region() {
    let s = scenario::builtin("dns-cache").unwrap();
    let fixing: Vec<String> = combinations(&s, "flush-dns-cache")
        .into_iter()
        .filter(|p| {
            let mut run = sim("dns-cache");
            run.act(at(60.0), "flush-dns-cache", p).unwrap();
            fixed_at_end(&run)
        })
        .map(|p| p["region"].clone())
        .collect();
    assert_eq!(fixing, ["eu-west"]);
}

#[test]
fn a_diagnostic_tells_its_fact_and_changes_nothing() {
    for s in scenario::builtins() {
        for a in s.actions.iter().filter(|a| a.moves.is_empty()) {
            let Some(fact) = &a.reveals else { continue };
            let params = combinations(&s, &a.name).remove(0);
            let mut run = sim(&s.name);
            let ran = run.act(at(60.0), &a.name, &params).unwrap();
            assert_eq!(&ran.output, fact);
            let untouched = sim(&s.name);
            assert_eq!(
                run.rule_alerts(at(600.0)),
                untouched.rule_alerts(at(600.0)),
                "{} {}",
                s.name,
                a.name
            );
        }
    }
}
