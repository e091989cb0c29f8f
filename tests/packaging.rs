//! What a packager and a new user get: a version that names the commit, completions and a man
//! page generated from the same definitions as `--help`.

use assert_cmd::Command;

fn warroom(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("warroom")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let (code, out) = warroom(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with(&format!("warroom {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let in_git = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(hash) = in_git {
        assert!(out.contains(&hash), "{out} should name {hash}");
    }
}

#[test]
fn completions_know_every_verb() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out) = warroom(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}");
        for verb in [
            "open",
            "note",
            "update",
            "resolve",
            "follow",
            "blast",
            "check-config",
        ] {
            assert!(out.contains(verb), "{shell} completions lack {verb}");
        }
    }
    assert_eq!(warroom(&["completions", "tcsh"]).0, Some(2));
}

#[test]
fn the_man_page_is_roff_with_the_commands() {
    let (code, out) = warroom(&["man"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains(".TH warroom 1"),
        "{}",
        &out[..out.len().min(300)]
    );
    assert!(out.contains(".SH NAME"));
    assert!(
        out.contains("warroom\\-follow") || out.contains("follow"),
        "subcommands listed"
    );
}
