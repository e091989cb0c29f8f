//! The binary with a config file of the test's own: an incident opened by `warroom open` in a
//! throwaway data directory, commands run as alice, the log read back with `log --json`.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Setup {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    pub id: String,
    /// Set on every command (a token variable the config names, …).
    pub env: Vec<(String, String)>,
}

/// Writes `config` and opens "Checkout 500s" (SEV1) with it.
pub fn setup(config: &str, env: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut s = Setup {
        _dir: dir,
        data,
        config: config_path,
        id: String::new(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let out = s.run(&["open", "Checkout 500s", "--severity", "sev1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    s
}

impl Setup {
    /// `warroom` with this data directory and config, as alice.
    pub fn command(&self) -> Command {
        warroom(&self.data, &self.config, &self.env)
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().unwrap()
    }

    /// The incident's events, as `log --json` gives them.
    pub fn events(&self) -> Vec<Value> {
        let out = self.run(&["log", &self.id, "--json"]);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
            .collect()
    }

    /// The events of type `t`.
    pub fn of_type(&self, t: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["type"] == t)
            .collect()
    }
}

pub fn warroom(data: &Path, config: &Path, env: &[(String, String)]) -> Command {
    let mut c = Command::cargo_bin("warroom").unwrap();
    c.env_remove("WARROOM_STORE_URL")
        .env("WARROOM_DATA_DIR", data)
        .env("WARROOM_CONFIG", config)
        .env("WARROOM_USER", "alice");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `args` through `s` off the async test's runtime (where a double lives), handing `s`
/// back.
pub async fn run(s: Setup, args: &[&str]) -> (std::process::Output, Setup) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        (s.run(&a), s)
    })
    .await
    .unwrap()
}

/// How many POSTs `server` received.
pub async fn posts(server: &wiremock::MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}
