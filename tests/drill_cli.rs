//! `warroom drill list` and `warroom drill run`: the built-in scenarios listed with their
//! length and what happens; a scenario file that cannot be used refused with exit 2 naming
//! file, line and column, before anything starts; an unknown name lists the built-in ones.

use crate::common;

use common::{run, warroom};

fn drill(dir: &std::path::Path, args: &[&str]) -> common::Ran {
    run({
        let mut c = warroom(dir, "alice");
        c.arg("drill").args(args);
        c
    })
}

#[test]
fn drill_list_names_every_built_in_scenario_with_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let ran = drill(dir.path(), &["list"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for (name, length) in [
        ("bad-deploy", "15m"),
        ("db-failover", "20m"),
        ("sms-provider", "20m"),
        ("dns-cache", "20m"),
        ("backup-silent", "45m"),
        ("traffic-spike", "20m"),
    ] {
        let line = ran
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{}", ran.stdout));
        assert!(line.contains(length), "{line}");
        assert!(line.len() > name.len() + 20, "a summary: {line}");
    }
}

#[test]
fn drill_run_refuses_a_broken_scenario_file_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        "name = \"mine\"\nsummary = \"x\"\nduration = \"10m\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let ran = drill(dir.path(), &["run", file.to_str().unwrap()]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    let want = format!("{}:4:1", file.display());
    assert!(ran.stderr.contains(&want), "{}", ran.stderr);
    assert!(ran.stderr.contains("colour"), "{}", ran.stderr);

    let ran = drill(dir.path(), &["run", "no-such-drill"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("traffic-spike"), "{}", ran.stderr);
}
