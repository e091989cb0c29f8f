//! `warroom serve` taking pushed alerts: the real binary started on a free loopback port with
//! a config of the test's own (`[share]` and its `[[intake]]` tables), its data directory in a
//! temp dir, killed when dropped; and a real Alertmanager whose webhook receiver points at it.
#![allow(dead_code)]

use super::servers::{self, Server};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `warroom serve`; killed on drop.
pub struct Serve {
    pub url: String,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    pub env: Vec<(String, String)>,
    child: Child,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts it with `intake` (TOML `[[intake]]` tables) and `env` (the secrets), and waits
    /// until it answers.
    pub fn start(intake: &str, env: &[(&str, &str)]) -> Serve {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let config = dir.path().join("config.toml");
        let port = servers::free_port();
        let addr = format!("127.0.0.1:{port}");
        std::fs::write(&config, format!("[share]\nlisten = \"{addr}\"\n\n{intake}"))
            .expect("write config");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let log = std::fs::File::create(dir.path().join("serve.log")).expect("log");
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("warroom"));
        cmd.env_remove("WARROOM_STORE_URL")
            .env("WARROOM_DATA_DIR", &data)
            .env("WARROOM_CONFIG", &config)
            .env("WARROOM_USER", "alice")
            .args(["serve"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start warroom serve");
        let mut serve = Serve {
            url: format!("http://{addr}"),
            addr,
            dir,
            data,
            config,
            env,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while servers::http_status(&serve.addr, "/").is_none() {
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!("warroom serve exited ({status}):\n{}", serve.log());
            }
            assert!(
                Instant::now() < deadline,
                "warroom serve not up:\n{}",
                serve.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        serve
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// `warroom alerts --json` with this config and data directory: the board's alerts.
    pub fn alerts(&self) -> serde_json::Value {
        let out = super::cli::warroom(&self.data, &self.config, &self.env)
            .args(["alerts", "--json"])
            .output()
            .expect("warroom alerts");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "alerts --json: {e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// The names of the alerts `warroom alerts --json` lists.
    pub fn alert_names(&self) -> Vec<String> {
        self.alerts()["alerts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["labels"]["alertname"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The spool file of source `name` (absent until something was taken).
    pub fn spool(&self, name: &str) -> PathBuf {
        warroom::backends::intake::spool_path(&self.data, name)
    }
}

/// An Alertmanager whose route sends everything, grouped by `service`, to warroom's intake
/// source `am` at `base` with `Authorization: Bearer <secret>`, and (continuing) to the source
/// `am2` with a wrong secret; waits 1 s to group, sends resolved alerts.
pub fn alertmanager_pushing(base: &str, secret: &str) -> Option<Server> {
    let bin = servers::require(
        "Alertmanager (Debian package prometheus-alertmanager)",
        &["prometheus-alertmanager", "alertmanager"],
    )?;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("alertmanager.yml");
    let receiver = |name: &str, source: &str, secret: &str| {
        format!(
            "  - name: {name}\n    webhook_configs:\n      - url: '{base}/v1/intake/{source}'\n        send_resolved: true\n        http_config:\n          authorization:\n            type: Bearer\n            credentials: '{secret}'\n"
        )
    };
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: warroom\n  group_by: ['service']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n  routes:\n    - receiver: warroom\n      continue: true\n    - receiver: impostor\nreceivers:\n{}{}",
            receiver("warroom", "am", secret),
            receiver("impostor", "am2", &format!("not-{secret}"))
        ),
    )
    .expect("write alertmanager.yml");
    let port = servers::free_port();
    let addr = format!("127.0.0.1:{port}");
    let am_url = format!("http://{addr}");
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        format!("--web.listen-address={addr}"),
        format!("--web.external-url={am_url}"),
        "--cluster.listen-address=".to_string(),
        "--log.level=debug".to_string(),
    ];
    Some(servers::start(
        "alertmanager",
        &bin,
        args,
        dir,
        addr,
        am_url,
        "/-/ready",
    ))
}
