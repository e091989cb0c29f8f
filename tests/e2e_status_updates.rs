//! The ten-minute heartbeat, end to end in a real terminal: with a cadence of a few seconds,
//! the status-update prompt opens by itself, pre-filled; the leader adds a line and posts it;
//! a local webhook receiver gets the text and the delivery is recorded next to the update.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::receiver::{Receiver, Reply};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
    fn wait_for(&self, what: &str, within: Duration, ok: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "{what}: not within {within:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn tmux_present() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required under CI"
        );
        eprintln!("SKIPPED: tmux not installed");
    }
    ok
}

#[test]
fn the_prompt_opens_on_time_and_the_posted_update_reaches_the_webhook() {
    if !tmux_present() {
        return;
    }
    let rx = Receiver::start(vec![Reply::Status(200, "ok")]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[status_updates]\nsev1 = \"6s\"\n\n[[webhook]]\nkind = \"json\"\nname = \"status-page\"\nurl = \"{}\"\n", rx.url),
    )
    .unwrap();
    let bin = support::release::warroom();
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .env("WARROOM_DATA_DIR", &data)
            .env("WARROOM_CONFIG", &config)
            .env("WARROOM_USER", "alice")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let id = run(&["open", "Checkout 500s", "--severity", "sev1"])
        .trim()
        .to_string();
    run(&["note", &id, "--kind", "decision", "roll back pricing"]);

    let t = Tmux {
        socket: format!("warroom-e2e-status-{}", std::process::id()),
    };
    let line = format!(
        "env -u NO_COLOR -u WARROOM_THEME WARROOM_DATA_DIR='{}' WARROOM_CONFIG='{}' '{}' --as alice",
        data.display(),
        config.display(),
        bin.display()
    );
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        &line,
    ]);
    t.wait_for("the incident list", Duration::from_secs(10), |s| {
        s.contains(&id)
    });
    t.keys(&["Enter"]);
    t.wait_for("the incident screen", Duration::from_secs(10), |s| {
        s.contains("next update in") || s.contains("STATUS UPDATE")
    });
    // Nobody touches a key: at zero the prompt opens by itself, pre-filled with what changed.
    let waited = t.wait_for("the status-update prompt", Duration::from_secs(20), |s| {
        s.contains("Status update") && s.contains("Conditions: SEV1")
    });
    let screen = t.screen();
    assert!(screen.contains("(decision) roll back pricing"), "{screen}");
    eprintln!("the prompt opened {waited:?} after the incident screen");
    t.keys(&["End"]);
    t.keys(&["payments on the call"]);
    t.keys(&["C-s"]);
    t.wait_for("the update in the log", Duration::from_secs(10), |s| {
        s.contains("UPDATE")
    });
    // The receiver got the update's text as JSON.
    let deadline = Instant::now() + Duration::from_secs(15);
    let body = loop {
        if let Some(b) = rx.received().first() {
            break b.clone();
        }
        assert!(Instant::now() < deadline, "the webhook received nothing");
        std::thread::sleep(Duration::from_millis(50));
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = v["update"]["text"].as_str().unwrap();
    assert!(text.starts_with("Conditions: SEV1"), "{text}");
    assert!(text.ends_with("Needs: payments on the call"), "{text}");
    // And the delivery is recorded next to the update.
    t.wait_for("the delivery in the log", Duration::from_secs(10), |s| {
        s.contains("DELIVERY")
    });
    let log = run(&["log", &id, "--json"]);
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].clone())
        .collect();
    let update = events
        .iter()
        .find(|e| e["type"] == "status_update")
        .expect("status_update in the log");
    assert_eq!(update["text"].as_str(), Some(text));
    let delivered = events
        .iter()
        .find(|e| e["type"] == "update_delivered")
        .expect("update_delivered in the log");
    assert_eq!(delivered["ok"], true);
    assert_eq!(delivered["target"], "status-page");
    t.keys(&["q"]);
    t.wait_for("the quit question", Duration::from_secs(5), |s| {
        s.contains("quit?")
    });
    t.keys(&["y"]);
}
