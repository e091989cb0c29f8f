//! The `warroom follow` line a leader pastes in chat must work when pasted, whatever the
//! token looks like. Tokens are URL-safe base64, so about one in 64 starts with `-`, which a
//! command line reads as an option unless it is glued to its flag (`--token=-…`).

use crate::common::{open_incident, printed_token, run, warroom};
use clap::Parser;
use warroom::cli::{Cli, Command};

/// A token as `new_token` makes them, starting with the character that reads as an option.
const DASH_TOKEN: &str = "-6Ol40GxvN3hQeT2mZ8aLp_Ku1YcR9sB";

/// The token the command line gives `warroom follow`, or why it refused the words.
fn parsed_token(words: &[&str]) -> Result<String, String> {
    match Cli::try_parse_from(words) {
        Ok(Cli {
            command: Some(Command::Follow { token, .. }),
            ..
        }) => Ok(token),
        Ok(other) => Err(format!("not a follow command: {other:?}")),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn a_printed_follow_line_with_a_token_starting_with_a_dash_pastes_as_one_command() {
    let lines = warroom::share::follow_lines("http://127.0.0.1:7420", "INC-7", DASH_TOKEN);
    let follow = lines.lines().next().expect("the follow line");
    assert!(
        follow.contains(&format!("--token={DASH_TOKEN}")),
        "the token is glued to its flag: {follow}"
    );
    let words: Vec<&str> = follow.split_whitespace().collect();
    assert_eq!(parsed_token(&words), Ok(DASH_TOKEN.to_string()), "{follow}");
}

#[test]
fn both_forms_of_the_token_flag_take_a_token_starting_with_a_dash() {
    let url = "http://127.0.0.1:7420/v1/incidents/INC-7";
    let glued = format!("--token={DASH_TOKEN}");
    assert_eq!(
        parsed_token(&["warroom", "follow", url, &glued]),
        Ok(DASH_TOKEN.to_string())
    );
    // A line printed before the form changed still pastes.
    assert_eq!(
        parsed_token(&["warroom", "follow", url, "--token", DASH_TOKEN]),
        Ok(DASH_TOKEN.to_string())
    );
    // The binary gets past its arguments to what following needs next (a terminal).
    for args in [
        vec!["follow", url, glued.as_str()],
        vec!["follow", url, "--token", DASH_TOKEN],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ran = run({
            let mut c = warroom(dir.path(), "bob");
            c.args(&args).env_remove("WARROOM_FOLLOW_TOKEN");
            c
        });
        assert!(
            ran.stderr.contains("following needs a terminal")
                && !ran.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn warroom_share_prints_the_token_glued_to_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev1");
    let config = data.join("config.toml");
    std::fs::write(&config, "[share]\nlisten = \"127.0.0.1:7420\"\n").unwrap();
    let ran = run({
        let mut c = warroom(data, "alice");
        c.env("WARROOM_CONFIG", &config).args(["share", &id]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let follow = ran.stdout.lines().next().unwrap_or_default();
    let token = printed_token(&ran.stdout);
    assert!(
        follow.ends_with(&format!(" --token={token}")),
        "the printed follow line: {follow}"
    );
    let words: Vec<&str> = follow.split_whitespace().collect();
    assert_eq!(parsed_token(&words), Ok(token));
}
