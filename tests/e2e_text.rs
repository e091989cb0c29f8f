//! End to end, in tmux at 80×24 and 160×45 with the release binary: the console says what it
//! cannot see (never "ok"), marks every cut with "…", opens a long log entry whole, and shows
//! the share token whole at 80 columns — read off the screen and used against the share
//! server.
#![cfg(target_os = "linux")]

use crate::common::{open_incident, run, warroom};
use crate::console_text::assert_never_ok;
use crate::support::release;
use crate::support::tmux::{Pane, Tmux, has_line, quote};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(15);
const EXIT_OK: &str = "warroom-exit-0";

/// A shell with the data directory and `config` in its environment, at `w`×`h`.
fn shell<'a>(tmux: &'a Tmux, data: &Path, config: &Path, w: u16, h: u16) -> Pane<'a> {
    let pane = tmux.shell(
        "text",
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
            quote(&data.display().to_string()),
            quote(&config.display().to_string()),
        ),
    );
    resize(&pane, w, h);
    pane
}

fn resize(pane: &Pane<'_>, w: u16, h: u16) {
    pane.tmux.tmux(&[
        "resize-window",
        "-t",
        &pane.target,
        "-x",
        &w.to_string(),
        "-y",
        &h.to_string(),
    ]);
}

/// Starts the console as alice and opens the incident `id`.
fn lead(pane: &Pane<'_>, id: &str) {
    pane.run_line(&format!(
        "{} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    pane.wait_line("the incident in the list", &[id]);
    pane.press(&["Enter"]);
    pane.wait_for("alice leading the incident", |s| {
        s.contains("next update in")
    });
}

/// Quits from the incident screen (no popup open): q, then y to stop leading.
fn quit(pane: &Pane<'_>) {
    pane.press(&["q"]);
    pane.wait_for("the quit question", |s| s.contains("quit?"));
    pane.press(&["y"]);
    pane.wait_for("the console to exit", |s| s.contains(EXIT_OK));
}

/// A loopback port nothing listens on (bound, read, released).
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Alertmanager and Prometheus both unreachable: at 80×24 the summary and the header say
/// UNKNOWN and name each source with since when; at 160×45 the alerts and blast radius panes
/// say so too. Nowhere "ok".
#[test]
fn with_every_source_unreachable_the_console_says_unknown_not_ok() {
    let Some(tmux) = Tmux::new("text-unknown", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev1");
    let config = data.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[alertmanager]]\nname = \"am-eu\"\nurl = \"http://127.0.0.1:{}\"\n\n\
             [prometheus]\nurl = \"http://127.0.0.1:{}\"\n\n\
             [alerts]\npoll_interval = \"1s\"\ntimeout = \"1s\"\n",
            dead_port(),
            dead_port()
        ),
    )
    .unwrap();
    let pane = shell(&tmux, data, &config, 80, 24);
    lead(&pane, &id);
    let screen = pane.wait_for("am-eu named unreachable at 80x24", |s| {
        has_line(s, &["am-eu unreachable since"]) && s.contains("Blast radius: UNKNOWN")
    });
    assert_never_ok(&screen, "80x24");
    assert!(
        screen.lines().take(2).any(|l| l.contains("UNKNOWN")),
        "the header does not say it:\n{screen}"
    );
    resize(&pane, 160, 45);
    let screen = pane.wait_for("the panes saying it at 160x45", |s| {
        s.contains("Blast radius — UNKNOWN")
            && s.contains("Alerts — UNKNOWN")
            && s.contains("blast radius unknown")
    });
    assert_never_ok(&screen, "160x45");
    assert!(
        has_line(&screen, &["⚠ am-eu unreachable since"]),
        "{screen}"
    );
    quit(&pane);
}

const LONG: &str = "checkout pods in eu-west-1 restart every four minutes because the pricing \
client retries with no backoff and the connection pool to the tax service runs dry; the fix \
is on our side of the call and the rollback of pricing v42 should stop it END-OF-NOTE";

/// At 80×24 a long note is cut with "…" in the log, and enter shows it whole, wrapped; at
/// 160×45 it is still cut with "…" where the log pane ends.
#[test]
fn a_long_note_is_marked_cut_and_opens_whole() {
    let Some(tmux) = Tmux::new("text-long", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev1");
    let ran = run({
        let mut c = warroom(data, "bob");
        c.args(["note", &id, LONG]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let config = data.join("absent.toml");
    let pane = shell(&tmux, data, &config, 80, 24);
    lead(&pane, &id);
    let screen = pane.wait_line("the note in the log", &["NOTE", "checkout pods"]);
    let row = screen
        .lines()
        .find(|l| l.contains("checkout pods"))
        .unwrap_or_default();
    assert!(
        row.trim_end().trim_end_matches('│').ends_with('…'),
        "cut with no …: {row:?}\n{screen}"
    );
    pane.press(&["Enter"]);
    let screen = pane.wait_for("the note whole", |s| s.contains("END-OF-NOTE"));
    let shown: String = screen
        .lines()
        .map(|l| l.replace('│', " "))
        .collect::<Vec<_>>()
        .join(" ");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&shown).contains(&words(LONG)), "{screen}");
    pane.press(&["Escape"]);
    resize(&pane, 160, 45);
    let screen = pane.wait_for("the wide layout", |s| s.contains("┌ Alerts"));
    let row = screen
        .lines()
        .find(|l| l.contains("checkout pods"))
        .unwrap_or_default();
    let in_log = row.split('│').nth(1).unwrap_or_default();
    assert!(in_log.trim_end().ends_with('…'), "{row:?}\n{screen}");
    quit(&pane);
}

/// The first line of an HTTP answer to `GET path` with `token`.
fn status_line(port: u16, path: &str, token: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// At 80×24 the follow line does not fit: the popup breaks it between words with a shell
/// line continuation, and the token — shown only this once — can be read whole off the
/// screen. The token read is the real one: the share server accepts it.
#[test]
fn the_share_token_can_be_read_whole_at_80_columns() {
    let Some(tmux) = Tmux::new("text-share", DEADLINE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = open_incident(data, "alice", "Checkout 500s", "sev1");
    let port = dead_port();
    let config = data.join("config.toml");
    std::fs::write(&config, format!("[share]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    let pane = shell(&tmux, data, &config, 80, 24);
    lead(&pane, &id);
    pane.press(&["p"]);
    let screen = pane.wait_for("the share popup", |s| s.contains("warroom follow"));
    // The popup's rows, read as a shell reads them.
    let rows: Vec<String> = screen
        .lines()
        .map(|l| l.replace('│', " ").trim().to_string())
        .collect();
    let start = rows
        .iter()
        .position(|r| r.contains("warroom follow"))
        .unwrap();
    let mut command = String::new();
    for r in &rows[start..] {
        match r.strip_suffix('\\') {
            Some(more) => command.push_str(more),
            None => {
                command.push_str(r);
                break;
            }
        }
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let token = words
        .iter()
        .position(|w| *w == "--token")
        .and_then(|i| words.get(i + 1))
        .map(|t| t.to_string())
        .or_else(|| {
            words
                .iter()
                .find_map(|w| w.strip_prefix("--token=").map(str::to_string))
        })
        .unwrap_or_else(|| panic!("no token in {command:?}\n{screen}"));
    assert_eq!(token.len(), 32, "the token is cut: {token:?}\n{screen}");
    assert_eq!(
        words[2],
        format!("http://127.0.0.1:{port}/v1/incidents/{id}"),
        "{screen}"
    );
    let ok = status_line(port, &format!("/v1/incidents/{id}/events"), &token);
    assert!(ok.contains(" 200"), "the token read off the screen: {ok}");
    let refused = status_line(port, &format!("/v1/incidents/{id}/events"), &token[..31]);
    assert!(
        !refused.contains(" 200"),
        "a cut token is refused: {refused}"
    );
    pane.press(&["Escape"]);
    // Closed before the next key: an escape followed at once by q reads as alt-q.
    pane.wait_for("the share popup to close", |s| {
        !s.contains("Share read-only")
    });
    quit(&pane);
}
