//! `warroom doctor` and the console's "may be blind" warning against a real Prometheus
//! (Debian's 2.42) that sends to a real Alertmanager (0.25), with a `Watchdog` rule
//! (`vector(1)`) evaluated every second: the whole chain OK; then the rule evaluation broken,
//! the Watchdog rule removed, an Alertmanager Prometheus does not send to, and the
//! Alertmanager stopped — each named as the broken link with what to do, exit 1; and the
//! console (the release binary in tmux) says MAY BE BLIND within one poll.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::cli::warroom;
use support::release;
use support::servers::{self, prometheus_alerting, set_rules};
use support::tmux::{Tmux, quote};

const WATCHDOG: &str = r#"
groups:
  - name: meta
    interval: 1s
    rules:
      - alert: Watchdog
        expr: vector(1)
        labels:
          severity: none
"#;

/// The Watchdog, and a rule whose evaluation fails every time: the right-hand side has two
/// series for the one match group.
const BROKEN: &str = r#"
groups:
  - name: meta
    interval: 1s
    rules:
      - alert: Watchdog
        expr: vector(1)
      - alert: Broken
        expr: vector(1) + on() group_left() (vector(1) or label_replace(vector(1), "x", "y", "", ""))
"#;

/// Rules evaluating fine, but no Watchdog among them.
const NO_WATCHDOG: &str = r#"
groups:
  - name: meta
    interval: 1s
    rules:
      - alert: CheckoutDown
        expr: vector(0) > 1
"#;

fn config(prometheus: &str, alertmanagers: &[(&str, &str)]) -> String {
    let mut c = format!(
        "[prometheus]\nurl = \"{prometheus}\"\n\n[watchdog]\nalert = \"Watchdog\"\ninterval = \"1s\"\n\n[alerts]\npoll_interval = \"1s\"\ntimeout = \"2s\"\n"
    );
    for (name, url) in alertmanagers {
        c.push_str(&format!(
            "\n[[alertmanager]]\nname = \"{name}\"\nurl = \"{url}\"\n"
        ));
    }
    c
}

struct Doctor {
    code: Option<i32>,
    out: String,
    err: String,
}

fn doctor(data: &Path, config: &Path) -> Doctor {
    let o = warroom(data, config, &[]).arg("doctor").output().unwrap();
    Doctor {
        code: o.status.code(),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `warroom doctor` until `want` holds (Prometheus reloads, alerts travel), or fails
/// showing the last run.
fn doctor_until(data: &Path, config: &Path, what: &str, want: impl Fn(&Doctor) -> bool) -> Doctor {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let d = doctor(data, config);
        if want(&d) {
            return d;
        }
        assert!(
            Instant::now() < until,
            "{what}: not within 60s; doctor exited {:?}:\n{}\n{}",
            d.code,
            d.out,
            d.err
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn line<'a>(out: &'a str, start: &str) -> Option<&'a str> {
    out.lines().find(|l| l.starts_with(start))
}

/// The line after the one starting with `start`: its "what to do".
fn todo_after<'a>(out: &'a str, start: &str) -> &'a str {
    let mut lines = out.lines();
    lines.by_ref().find(|l| l.starts_with(start));
    lines.next().unwrap_or("")
}

#[test]
fn doctor_names_each_broken_link_of_the_alerting_chain_and_the_console_may_be_blind() {
    let Some(mut am) = servers::alertmanager(None) else {
        return;
    };
    let Some(prom) = prometheus_alerting(WATCHDOG, &am.addr) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, config(&prom.url, &[("am", &am.url)])).unwrap();

    // The whole chain: every link OK, exit 0.
    let ok = doctor_until(&data, &cfg, "every link OK", |d| d.code == Some(0));
    for start in [
        "OK      config: ",
        "OK      alertmanager am (",
        "OK      prometheus (",
        "OK      prometheus rules: 1 rule group evaluating",
        "OK      Watchdog in prometheus: firing",
        "OK      Watchdog at am: arriving",
        "OK      store: ",
    ] {
        assert!(
            line(&ok.out, start).is_some(),
            "{start:?} missing:\n{}",
            ok.out
        );
    }
    assert!(ok.out.contains("doctor: every link OK"), "{}", ok.out);

    // Rule evaluation broken: the failing rule, in Prometheus's words, and what to do.
    set_rules(&prom, BROKEN);
    let broken = doctor_until(&data, &cfg, "the failing rule", |d| {
        line(&d.out, "BROKEN  prometheus rules:").is_some()
    });
    assert_eq!(broken.code, Some(1), "{}\n{}", broken.out, broken.err);
    let l = line(&broken.out, "BROKEN  prometheus rules:").unwrap();
    assert!(
        l.contains("rule evaluation fails: rule \"Broken\" in \"meta\"")
            && l.contains("duplicate series"),
        "{}",
        broken.out
    );
    assert!(
        todo_after(&broken.out, "BROKEN  prometheus rules:")
            .starts_with("        what to do: fix the rule's expression"),
        "{}",
        broken.out
    );
    assert!(broken.err.contains("1 of"), "{}", broken.err);

    // The Watchdog rule removed: no such rule, then nothing arriving at Alertmanager.
    set_rules(&prom, NO_WATCHDOG);
    let gone = doctor_until(&data, &cfg, "the Watchdog gone everywhere", |d| {
        line(&d.out, "BROKEN  Watchdog in prometheus:").is_some()
            && line(&d.out, "BROKEN  Watchdog at am:").is_some()
    });
    assert_eq!(gone.code, Some(1));
    assert!(
        line(
            &gone.out,
            "BROKEN  Watchdog in prometheus: no alerting rule named \"Watchdog\""
        )
        .is_some(),
        "{}",
        gone.out
    );
    assert!(
        todo_after(&gone.out, "BROKEN  Watchdog in prometheus:").contains("expr: vector(1)"),
        "{}",
        gone.out
    );
    assert!(
        line(&gone.out, "BROKEN  Watchdog at am:")
            .unwrap()
            .contains("prometheus is not firing it either"),
        "{}",
        gone.out
    );
    assert!(
        line(&gone.out, "OK      prometheus rules:").is_some(),
        "{}",
        gone.out
    );

    // The console, on the same chain, says so within one poll; and stops saying it once
    // the Watchdog is back.
    if let Some(tmux) = Tmux::new("doctor-blind", Duration::from_secs(30)) {
        let pane = tmux.shell(
            "lead",
            &format!(
                "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
                quote(&data.display().to_string()),
                quote(&cfg.display().to_string()),
            ),
        );
        pane.run_line(&format!(
            "{} --as alice; echo warroom-exit-$?",
            quote(&release::warroom().display().to_string())
        ));
        let shown = pane.wait_for("MAY BE BLIND with the missing Watchdog rule", |s| {
            let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
            flat.contains("MAY BE BLIND")
                && flat.contains("Watchdog in prometheus: no alerting rule named \"Watchdog\"")
        });
        assert!(shown.contains("warroom doctor"), "{shown}");
        set_rules(&prom, WATCHDOG);
        pane.wait_for("the warning gone with the Watchdog back", |s| {
            !s.contains("MAY BE BLIND")
        });
        // The Alertmanager stops: the next poll says it.
        am.kill();
        let shown = pane.wait_within(
            Duration::from_secs(10),
            "MAY BE BLIND with the Alertmanager unreachable",
            |s| {
                let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
                flat.contains("MAY BE BLIND: am: unreachable")
            },
        );
        assert!(!shown.contains("panicked"), "{shown}");
        // On the incident list nothing is led: q quits without asking.
        pane.press(&["q"]);
        pane.wait_for("the console to exit with status 0", |s| {
            s.contains("warroom-exit-0")
        });
    } else {
        set_rules(&prom, WATCHDOG);
        am.kill();
    }

    // An Alertmanager Prometheus does not send to: not hearing from Prometheus.
    let Some(lonely) = servers::alertmanager(None) else {
        return;
    };
    let cfg2 = dir.path().join("lonely.toml");
    std::fs::write(&cfg2, config(&prom.url, &[("lonely", &lonely.url)])).unwrap();
    let deaf = doctor_until(&data, &cfg2, "the lonely Alertmanager", |d| {
        line(&d.out, "OK      Watchdog in prometheus: firing").is_some()
    });
    assert_eq!(deaf.code, Some(1), "{}", deaf.out);
    assert!(
        line(
            &deaf.out,
            "BROKEN  Watchdog at lonely: lonely is not hearing from prometheus"
        )
        .is_some(),
        "{}",
        deaf.out
    );
    assert!(
        todo_after(&deaf.out, "BROKEN  Watchdog at lonely:").contains("alerting.alertmanagers"),
        "{}",
        deaf.out
    );

    // The Alertmanager stopped (killed above): named unreachable, with what to do.
    let stopped = doctor(&data, &cfg);
    assert_eq!(stopped.code, Some(1), "{}", stopped.out);
    let l = line(&stopped.out, "BROKEN  alertmanager am (")
        .unwrap_or_else(|| panic!("the stopped Alertmanager not named:\n{}", stopped.out));
    assert!(l.contains(&am.addr), "{}", stopped.out);
    assert!(
        todo_after(&stopped.out, "BROKEN  alertmanager am (").contains("check that it runs"),
        "{}",
        stopped.out
    );
}

#[test]
fn a_bad_watchdog_interval_is_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[watchdog]\nalert = \"Watchdog\"\ninterval = \"soon\"\n",
    )
    .unwrap();
    let d = doctor(&dir.path().join("data"), &cfg);
    assert_eq!(d.code, Some(2), "{}\n{}", d.out, d.err);
    assert!(
        d.err.contains("config.toml:3:") && d.err.contains("watchdog.interval"),
        "{}",
        d.err
    );
}
