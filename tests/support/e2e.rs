//! The release binary on a throwaway data directory and `config.toml` of the test's own, for
//! end-to-end tests: verbs run as a user (each must succeed), the console started full screen
//! in a tmux pane, the journal read back with `log --json`.
#![allow(dead_code)]

use super::tmux::{Pane, Tmux, quote};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

pub struct E2e {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    pub bin: PathBuf,
    /// Set for every verb and the console (the variables `config.toml` names).
    pub env: Vec<(String, String)>,
}

impl E2e {
    /// Writes `config_toml`; builds (once per test process) the release binary.
    pub fn new(config_toml: &str, env: &[(&str, &str)]) -> E2e {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_toml).unwrap();
        E2e {
            _dir: dir,
            data,
            config,
            bin: super::release::warroom(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Writes `services.toml` beside `config.toml`.
    pub fn services(&self, toml: &str) {
        std::fs::write(self.config.with_file_name("services.toml"), toml).unwrap();
    }

    /// A verb as `who` that must succeed; its standard output.
    pub fn run_as(&self, who: &str, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .env_remove("WARROOM_STORE_URL")
            .env_remove("WARROOM_THEME")
            .env("WARROOM_DATA_DIR", &self.data)
            .env("WARROOM_CONFIG", &self.config)
            .env("WARROOM_USER", who)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Opens `title` as alice (SEV1), with alice as commander; its id.
    pub fn open(&self, title: &str) -> String {
        let id = self
            .run_as("alice", &["open", title, "--severity", "sev1"])
            .trim()
            .to_string();
        self.run_as("alice", &["assign", &id, "commander", "alice"]);
        id
    }

    /// The command line that starts the console as `who`, with this data directory, config
    /// and environment (and the rest of warroom's environment cleared).
    pub fn console_line(&self, who: &str) -> String {
        let vars: String = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={} ", quote(v)))
            .collect();
        format!(
            "env -u NO_COLOR -u WARROOM_THEME -u WARROOM_USER -u WARROOM_STORE_URL {vars}\
             WARROOM_DATA_DIR={} WARROOM_CONFIG={} {} --as {who}",
            quote(&self.data.display().to_string()),
            quote(&self.config.display().to_string()),
            quote(&self.bin.display().to_string()),
        )
    }

    /// The console as `who` in a new 120x40 session named `name`.
    pub fn console<'a>(&self, tmux: &'a Tmux, name: &str, who: &str) -> Pane<'a> {
        tmux.session(name, &self.console_line(who))
    }

    /// The `event` objects of `id`'s journal, oldest first.
    pub fn events(&self, id: &str) -> Vec<Value> {
        self.run_as("alice", &["log", id, "--json"])
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
            .collect()
    }

    /// The events of type `t`.
    pub fn of_type(&self, id: &str, t: &str) -> Vec<Value> {
        self.events(id)
            .into_iter()
            .filter(|e| e["type"] == t)
            .collect()
    }
}
