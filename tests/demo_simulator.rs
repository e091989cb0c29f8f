//! The demo's scenario as pure functions of a fixed clock: checkout's error ratio over time,
//! the flag turned off (errors fall over the next minute), a redeploy (a minute to roll
//! out), the alerts those numbers raise and clear, and silences muting them. No server, no
//! sleeps: every "now" is computed from a fixed origin.

use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use warroom::backends::matcher::Matcher;
use warroom::demo::simulator::{Refused, Silence, Simulator};
use warroom::drill::scenario::{self, Rule, Scenario};

/// 10:00 UTC, the scenario's second 0.
fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, 0).unwrap()
}

/// Wall-clock time of scenario second `t` at speed 1.
fn at(t: f64) -> DateTime<Utc> {
    origin() + chrono::Duration::milliseconds((t * 1000.0) as i64)
}

/// The demo's scenario: the bad deploy behind a flag.
fn demo() -> Arc<Scenario> {
    Arc::new(scenario::demo().unwrap())
}

fn sim_at(speed: f64) -> Simulator {
    Simulator::new(demo(), origin(), speed)
}

fn rule(name: &str) -> Rule {
    demo().alert(name).unwrap().clone()
}

fn errors(sim: &Simulator, service: &str, t: f64) -> f64 {
    sim.value("errors", service, t).unwrap()
}

fn p99(sim: &Simulator, service: &str, t: f64) -> f64 {
    sim.value("p99", service, t).unwrap()
}

fn checkout(sim: &Simulator, t: f64) -> f64 {
    errors(sim, "checkout", t)
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn version(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("version".to_string(), v.to_string())])
}

#[test]
fn checkout_errors_climb_to_about_thirty_percent_as_the_bad_build_rolls_out() {
    let sim = sim_at(1.0);
    // Before the rollout: healthy.
    assert!(checkout(&sim, -120.0) < 0.005, "{}", checkout(&sim, -120.0));
    // At the start of the demo: a quarter of pricing's pods are bad; ~8 % of checkouts fail.
    let start = checkout(&sim, 0.0);
    assert!((0.06..0.10).contains(&start), "at 0s: {start}");
    // Climbing (never down by more than the healthy wiggle) until the rollout completes.
    let mut last = start;
    for t in (10..=180).step_by(10) {
        let v = checkout(&sim, t as f64);
        assert!(v > last - 0.001, "fell at {t}s: {last} → {v}");
        last = v;
    }
    // Then it stays at about 30 %.
    for t in (180..=900).step_by(60) {
        let v = checkout(&sim, t as f64);
        assert!((0.28..0.32).contains(&v), "at {t}s: {v}");
    }
}

#[test]
fn cart_payments_and_pricing_degrade_search_does_not() {
    let sim = sim_at(1.0);
    let peak = 300.0;
    let bands = demo().signal("errors").unwrap().bands;
    let t = bands.degraded_above.unwrap();
    assert_eq!(t, 0.02);
    assert!(errors(&sim, "pricing", peak) > t);
    assert!(errors(&sim, "cart", peak) > t);
    assert!(errors(&sim, "payments", peak) > t);
    let slow = demo().signal("p99").unwrap().bands.degraded_above.unwrap();
    assert!(p99(&sim, "payments", peak) > slow);
    for quiet in ["search", "catalog", "inventory", "auth"] {
        for s in (-300..=900).step_by(15) {
            let s = s as f64;
            assert!(errors(&sim, quiet, s) < 0.005, "{quiet} at {s}s");
            assert!(p99(&sim, quiet, s) < 0.5, "{quiet} at {s}s");
        }
    }
    // The callers of checkout stay under their own thresholds (they are at risk, not failing).
    assert!(errors(&sim, "web", peak) < t);
    assert!(errors(&sim, "mobile-api", peak) < t);
}

#[test]
fn turning_the_flag_off_makes_errors_fall_over_the_next_minute() {
    let mut sim = sim_at(1.0);
    sim.act(at(120.0), "flag-off", &none()).unwrap();
    assert!(checkout(&sim, 119.0) > 0.2);
    assert_eq!(sim.target("flag", 119.0), 1.0);
    assert_eq!(sim.target("flag", 121.0), 0.0);
    // Falling the whole minute, about halfway after 30 s, healthy after 60 s.
    let mut last = checkout(&sim, 120.0);
    for t in (125..=180).step_by(5) {
        let v = checkout(&sim, t as f64);
        assert!(v < last, "not falling at {t}s: {last} → {v}");
        last = v;
    }
    let half = checkout(&sim, 150.0);
    assert!((0.08..0.18).contains(&half), "at +30s: {half}");
    assert!(
        checkout(&sim, 170.0) > 0.02,
        "the fall takes the whole minute"
    );
    assert!(
        checkout(&sim, 181.0) < 0.005,
        "at +61s: {}",
        checkout(&sim, 181.0)
    );
    assert!(checkout(&sim, 900.0) < 0.005);
    // Turned on again: the bad path comes back over a minute.
    sim.act(at(300.0), "flag-on", &none()).unwrap();
    assert!(checkout(&sim, 300.0) < 0.005);
    let back = checkout(&sim, 330.0);
    assert!((0.1..0.2).contains(&back), "{back}");
    assert!(checkout(&sim, 361.0) > 0.28);
}

#[test]
fn a_redeploy_takes_a_minute_to_roll_out() {
    let mut sim = sim_at(1.0);
    let ran = sim.act(at(200.0), "redeploy-pricing", &none()).unwrap();
    assert_eq!(ran.params["version"], "v2.30", "the last known-good build");
    assert_eq!(sim.level("rollout", 199.0), 1.0);
    let share = sim.level("rollout", 230.0);
    assert!((share - 0.5).abs() < 1e-9, "{share}");
    assert!(checkout(&sim, 230.0) > 0.1, "still half rolled out");
    assert!(checkout(&sim, 255.0) > 0.02);
    assert!(checkout(&sim, 261.0) < 0.005);
    // Redeploying the bad build brings the errors back, again over a minute.
    sim.act(at(400.0), "redeploy-pricing", &version("v2.31"))
        .unwrap();
    assert!(checkout(&sim, 400.0) < 0.005);
    assert!(checkout(&sim, 461.0) > 0.28);
    // What cannot be deployed is refused, and changes nothing.
    assert!(matches!(
        sim.act(at(500.0), "redeploy-pricing", &version("v9")),
        Err(Refused::Invalid(_))
    ));
    assert!(matches!(
        sim.act(at(500.0), "redeploy-search", &none()),
        Err(Refused::NotFound(_))
    ));
    assert!(matches!(
        sim.act(
            at(500.0),
            "flag-off",
            &BTreeMap::from([("flag".to_string(), "dark-mode".to_string())])
        ),
        Err(Refused::Invalid(_))
    ));
    assert!(matches!(
        sim.act(at(500.0), "dark-mode-off", &none()),
        Err(Refused::NotFound(_))
    ));
    assert!(checkout(&sim, 600.0) > 0.28);
}

#[test]
fn a_redeploy_during_the_first_rollout_starts_from_where_it_got() {
    let mut sim = sim_at(1.0);
    // At 60 s, half of the pods run the bad build; the redeploy takes them back in a minute.
    sim.act(at(60.0), "redeploy-pricing", &version("v2.30"))
        .unwrap();
    assert!((sim.level("rollout", 60.0) - 0.5).abs() < 1e-9);
    assert!((sim.level("rollout", 90.0) - 0.25).abs() < 1e-9);
    assert_eq!(sim.level("rollout", 121.0), 0.0);
}

#[test]
fn alerts_fire_in_order_and_keep_their_start_times() {
    let sim = sim_at(1.0);
    // At the start: the budget-burn warning fires, the critical one does not yet.
    let warn = sim
        .rule_alert(&rule("CheckoutErrorBudgetBurn"), at(0.0))
        .expect("the first alert fires from the start");
    assert!(warn.firing());
    assert!(warn.active_at < origin());
    assert_eq!(warn.labels["service"], "checkout");
    assert_eq!(warn.labels["severity"], "warning");
    assert!(
        sim.rule_alert(&rule("CheckoutHighErrorRate"), at(0.0))
            .is_none()
    );
    // The critical rule: pending first, firing 30 s later, with the same start throughout.
    let critical = &rule("CheckoutHighErrorRate");
    let first = (0..300)
        .map(f64::from)
        .find(|t| sim.rule_alert(critical, at(*t)).is_some())
        .expect("critical alert");
    assert!((10.0..40.0).contains(&first), "pending from {first}s");
    let pending = sim.rule_alert(critical, at(first + 0.5)).unwrap();
    assert!(!pending.firing());
    let later = sim.rule_alert(critical, at(first + 30.2)).unwrap();
    assert!(later.firing());
    assert_eq!(later.active_at, pending.active_at);
    assert_eq!(
        later.fired_at,
        Some(pending.active_at + chrono::Duration::seconds(30))
    );
    let much_later = sim.rule_alert(critical, at(900.7)).unwrap();
    assert_eq!(much_later.active_at, pending.active_at);
    // At the peak every failing service has an alert; search has none.
    let names: Vec<String> = sim
        .am_alerts(at(300.0))
        .iter()
        .map(|a| a.alert.rule.name.clone())
        .collect();
    for want in [
        "CheckoutErrorBudgetBurn",
        "CheckoutHighErrorRate",
        "PricingErrorRate",
        "CartErrorRate",
        "PaymentsLatencyHigh",
        "BatchJobLate",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert!(
        sim.rule_alerts(at(300.0))
            .iter()
            .all(|a| a.labels.get("service").map(String::as_str) != Some("search"))
    );
}

#[test]
fn alerts_clear_once_the_flag_is_off() {
    let mut sim = sim_at(1.0);
    sim.act(at(300.0), "flag-off", &none()).unwrap();
    let left: Vec<String> = sim
        .am_alerts(at(362.0))
        .iter()
        .map(|a| a.alert.rule.name.clone())
        .collect();
    assert_eq!(left, ["BatchJobLate"], "only the unrelated alert is left");
}

#[test]
fn fast_mode_runs_the_scenario_ten_times_faster() {
    let sim = sim_at(10.0);
    let wall = origin() + chrono::Duration::seconds(18);
    assert!((sim.scenario_secs(wall) - 180.0).abs() < 1e-9);
    assert_eq!(sim.wall(180.0), wall);
    let peak = checkout(&sim, sim.scenario_secs(wall));
    assert!(peak > 0.28, "{peak}");
}

fn silence(matchers: Vec<Matcher>, from: f64, to: f64) -> Silence {
    Silence {
        id: String::new(),
        matchers,
        starts_at: at(from),
        ends_at: at(to),
        updated_at: at(from),
        created_by: "alice".into(),
        comment: "known: pricing deploy".into(),
    }
}

#[test]
fn silences_mute_matching_alerts_until_they_expire() {
    let mut sim = sim_at(1.0);
    let now = at(300.0);
    let id = sim
        .add_silence(
            now,
            silence(vec![Matcher::equal("service", "cart")], 300.0, 900.0),
        )
        .unwrap();
    let muted: Vec<(String, Vec<String>)> = sim
        .am_alerts(now)
        .into_iter()
        .map(|a| (a.alert.rule.name.clone(), a.silenced_by))
        .collect();
    for (name, by) in &muted {
        if name == "CartErrorRate" {
            assert_eq!(by, &vec![id.clone()]);
        } else {
            assert!(by.is_empty(), "{name} muted by {by:?}");
        }
    }
    assert_eq!(sim.silence(&id).unwrap().state(now), "active");
    sim.expire_silence(at(310.0), &id).unwrap();
    assert_eq!(sim.silence(&id).unwrap().state(at(310.0)), "expired");
    assert!(
        sim.am_alerts(at(311.0))
            .iter()
            .all(|a| a.silenced_by.is_empty())
    );
    assert!(matches!(
        sim.expire_silence(at(320.0), &id),
        Err(Refused::Invalid(_))
    ));
    assert!(matches!(
        sim.expire_silence(at(320.0), "nope"),
        Err(Refused::NotFound(_))
    ));
    // Refused as Alertmanager refuses them.
    assert!(sim.add_silence(now, silence(vec![], 300.0, 900.0)).is_err());
    assert!(
        sim.add_silence(
            now,
            silence(vec![Matcher::equal("service", "")], 300.0, 900.0)
        )
        .is_err()
    );
    assert!(
        sim.add_silence(now, silence(vec![Matcher::equal("a", "b")], 100.0, 200.0))
            .is_err()
    );
}
