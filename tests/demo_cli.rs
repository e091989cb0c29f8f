//! `warroom demo` as a command: documented in `--help` (what it starts, where its data goes,
//! `--fast`), listed in `warroom --help`, and refused cleanly without a terminal — before it
//! creates anything.

use crate::common;

use common::{run, warroom};

#[test]
fn demo_help_says_what_it_starts_and_where_its_data_goes() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["demo", "--help"][..], &["help", "demo"][..]] {
        let ran = run({
            let mut c = warroom(dir.path(), "alice");
            c.args(args);
            c
        });
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
        let out = ran.stdout;
        for want in [
            "simulated outage",
            "127.0.0.1",
            "Alertmanager and Prometheus",
            "config.toml, services.toml and runbook.toml",
            "temporary",
            "--data-dir",
            "--fast",
            "10×",
            "every minute",
        ] {
            assert!(out.contains(want), "{args:?} lacks {want:?}:\n{out}");
        }
    }
    let ran = run({
        let mut c = warroom(dir.path(), "alice");
        c.arg("--help");
        c
    });
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("demo") && l.contains("simulated outage")),
        "{}",
        ran.stdout
    );
}

#[test]
fn without_a_terminal_the_demo_refuses_before_creating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let ran = run({
        let mut c = warroom(dir.path(), "alice");
        c.env("TMPDIR", &tmp).args(["demo", "--fast"]);
        c
    });
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("needs a terminal"), "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert!(!dir.path().join("incidents").exists());
}
