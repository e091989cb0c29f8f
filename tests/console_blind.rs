//! "May be blind" in the console: the alerting chain's broken links (the dead man's switch
//! missing for longer than its interval, Prometheus's rules failing) are said in the status
//! area on every screen; the sources that do not answer are said there on the list screen,
//! where no pane names them.

use crate::support;

use support::console::{at, leading, on_list, screen};
use warroom::console::action::Action;
use warroom::console::update::update;
use warroom::domain::{ChainLook, ChainWatch, PrometheusLook, RuleGroupLook, Watchdog};

fn look(min: i64, watchdog_at_am: bool, failing: &[(&str, &str)]) -> Action {
    Action::Chain(ChainLook {
        at: at(min, 0),
        prometheus: Some((
            "prometheus".into(),
            Ok(PrometheusLook {
                groups: vec![RuleGroupLook {
                    name: "meta".into(),
                    file: "/etc/prometheus/rules.yml".into(),
                    interval: chrono::Duration::seconds(15),
                    last_evaluation: Some(at(min, 0) - chrono::Duration::seconds(5)),
                    failing: failing
                        .iter()
                        .map(|(r, e)| (r.to_string(), e.to_string()))
                        .collect(),
                    alerts: vec!["Watchdog".into()],
                }],
                firing: vec!["Watchdog".into()],
            }),
        )),
        alertmanagers: vec![("am-eu".into(), Ok(watchdog_at_am))],
    })
}

fn watching(mut s: warroom::console::state::State) -> warroom::console::state::State {
    s.watch = ChainWatch::new(Some(Watchdog {
        alert: "Watchdog".into(),
        interval: chrono::Duration::minutes(1),
    }));
    s
}

#[test]
fn a_watchdog_gone_longer_than_its_interval_says_the_console_may_be_blind() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = watching(leading());
        update(&mut s, look(10, true, &[]), at(10, 0));
        let shown = screen(&mut s, w, h);
        assert!(!shown.contains("MAY BE BLIND"), "{w}x{h}:\n{shown}");
        // Gone from Alertmanager at 10:30, still firing in Prometheus: within the minute,
        // nothing yet.
        update(&mut s, look(10, false, &[]), at(10, 30));
        let shown = screen(&mut s, w, h);
        assert!(!shown.contains("MAY BE BLIND"), "{w}x{h}:\n{shown}");
        update(&mut s, look(12, false, &[]), at(12, 0));
        let shown = screen(&mut s, w, h);
        let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("MAY BE BLIND: Watchdog at am-eu: am-eu is not hearing from prometheus"),
            "{w}x{h}:\n{shown}"
        );
        assert!(flat.contains("warroom doctor"), "{w}x{h}:\n{shown}");
        // Back: the warning goes with the next look.
        update(&mut s, look(12, true, &[]), at(12, 0));
        assert!(!screen(&mut s, w, h).contains("MAY BE BLIND"));
    }
}

#[test]
fn failing_rules_and_unanswering_sources_are_said_on_the_list_screen() {
    let mut s = watching(on_list());
    s.board = warroom::domain::AlertBoard::with_sources(["am-eu"]);
    s.board.report_ok("am-eu", vec![], at(9, 0));
    update(
        &mut s,
        look(12, true, &[("Broken", "found duplicate series")]),
        at(12, 0),
    );
    s.board
        .report_err("am-eu", "connection refused".into(), at(10, 0));
    let shown = screen(&mut s, 120, 40);
    let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("MAY BE BLIND: am-eu: unreachable for 2m: connection refused; prometheus rules: rule evaluation fails: rule \"Broken\""),
        "{shown}"
    );
}
