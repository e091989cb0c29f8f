//! A real Icinga 2 for the tests: `icinga2 daemon` in the foreground with a configuration
//! written into a temp dir (its own data, log, cache, spool and run directories through `-D`
//! defines), the API feature on a free loopback port with certificates made by `icinga2 pki`
//! (a CA of the test's own, a certificate for `localhost` it signed), an ApiUser with a
//! password, and one host `web1` with services `http` and `disk` checked by `dummy` with
//! active checks off: their states are set by the test through `process-check-result`.
//! Killed on drop.
#![allow(dead_code)]

use super::servers::{free_port, require};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Icinga may take to answer its API after start.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// The user warroom logs in as, with only the permissions docs/configuration.md names.
pub const USER: &str = "warroom";
/// The test's own user, for setting states and reading comments.
const ADMIN: &str = "test-admin";

pub struct Icinga {
    /// `https://localhost:PORT` (the certificate is for `localhost`).
    pub url: String,
    /// The test CA's certificate (PEM), the one that signed Icinga's.
    pub ca: PathBuf,
    pub password: String,
    pub dir: tempfile::TempDir,
    child: Child,
    log: PathBuf,
    binary: PathBuf,
}

impl Drop for Icinga {
    /// Icinga forks (an umbrella process and its worker): the whole process group goes.
    fn drop(&mut self) {
        // SAFETY: kill(2) on the group the daemon leads (set at spawn); no memory involved.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn run_pki(binary: &Path, defines: &[String], args: &[&str]) {
    let out = Command::new(binary)
        .args(["pki"])
        .args(args)
        .args(defines)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run icinga2 pki: {e}"));
    assert!(
        out.status.success(),
        "icinga2 pki {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn id(flag: &str) -> String {
    Command::new("id")
        .arg(flag)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "root".into())
}

/// Starts Icinga 2, or `None` after a loud SKIPPED when it is not installed (a panic under
/// `CI=true`).
pub fn start() -> Option<Icinga> {
    // Debian installs it in /usr/sbin, which a user's PATH may lack.
    let sbin = PathBuf::from("/usr/sbin/icinga2");
    let binary = if sbin.is_file() {
        sbin
    } else {
        require("Icinga 2 (Debian package icinga2)", &["icinga2"])?
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for d in ["data", "log", "cache", "spool", "run", "state", "pki"] {
        std::fs::create_dir_all(root.join(d)).expect("create icinga dirs");
    }
    let defines: Vec<String> = [
        ("DataDir", root.join("data")),
        ("LogDir", root.join("log")),
        ("CacheDir", root.join("cache")),
        ("SpoolDir", root.join("spool")),
        ("InitRunDir", root.join("run")),
        ("StateDir", root.join("state")),
        ("ConfigDir", root.to_path_buf()),
        ("PkgDataDir", root.to_path_buf()),
    ]
    .into_iter()
    .map(|(k, v)| format!("-D{k}={}", v.display()))
    .chain([
        format!("-DRunAsUser={}", id("-un")),
        format!("-DRunAsGroup={}", id("-gn")),
    ])
    .collect();

    // The CA (in DataDir/ca), and a certificate for localhost signed by it, where the API
    // listener looks for them: DataDir/certs/<NodeName>.{crt,key} and ca.crt.
    let certs = root.join("data/certs");
    std::fs::create_dir_all(&certs).expect("create certs dir");
    let s = |p: PathBuf| p.display().to_string();
    run_pki(&binary, &defines, &["new-ca"]);
    run_pki(
        &binary,
        &defines,
        &[
            "new-cert",
            "--cn",
            "localhost",
            "--key",
            &s(certs.join("localhost.key")),
            "--csr",
            &s(root.join("pki/localhost.csr")),
        ],
    );
    run_pki(
        &binary,
        &defines,
        &[
            "sign-csr",
            "--csr",
            &s(root.join("pki/localhost.csr")),
            "--cert",
            &s(certs.join("localhost.crt")),
        ],
    );
    let ca = root.join("ca.crt");
    std::fs::copy(root.join("data/ca/ca.crt"), &ca).expect("copy the CA");
    std::fs::copy(&ca, certs.join("ca.crt")).expect("copy the CA for Icinga");

    let port = free_port();
    let password = format!("pw-{}-{port}-secret", std::process::id());
    let conf = root.join("icinga2.conf");
    std::fs::write(
        &conf,
        format!(
            r#"const NodeName = "localhost"
const ZoneName = "localhost"
include <itl>
object IcingaApplication "app" {{ }}
object ApiListener "api" {{
  bind_host = "127.0.0.1"
  bind_port = {port}
  accept_config = false
  accept_commands = false
}}
object Endpoint NodeName {{ }}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object ApiUser "{USER}" {{
  password = "{password}"
  permissions = [ "objects/query/Host", "objects/query/Service", "status/query", "actions/acknowledge-problem", "actions/add-comment" ]
}}
object ApiUser "{ADMIN}" {{ password = "{password}" ; permissions = [ "*" ] }}
object Host "web1" {{ check_command = "dummy" ; enable_active_checks = false ; vars.team = "payments" }}
object Service "http" {{ host_name = "web1" ; check_command = "dummy" ; enable_active_checks = false ; vars.team = "payments" }}
object Service "disk" {{ host_name = "web1" ; check_command = "dummy" ; enable_active_checks = false }}
"#
        ),
    )
    .expect("write icinga2.conf");

    let log = root.join("icinga2.out");
    let out = std::fs::File::create(&log).expect("create log");
    let err = out.try_clone().expect("clone log handle");
    let child = Command::new(&binary)
        .process_group(0)
        .args(["daemon", "-c"])
        .arg(&conf)
        .args(&defines)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start icinga2 ({}): {e}", binary.display()));
    let mut icinga = Icinga {
        url: format!("https://localhost:{port}"),
        ca,
        password,
        dir,
        child,
        log,
        binary,
    };
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if block(icinga.call("GET", "v1/status", Value::Null)).0 == 200 {
            return Some(icinga);
        }
        if let Ok(Some(status)) = icinga.child.try_wait() {
            panic!("icinga2 exited ({status}) before ready:\n{}", icinga.log());
        }
        assert!(
            Instant::now() < deadline,
            "icinga2 not ready within {READY_WITHIN:?}:\n{}",
            icinga.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `fut` on a runtime of its own on a plain thread: usable from a test whether or not it
/// is async.
pub fn block<T: Send>(fut: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(fut)
            })
            .join()
            .unwrap()
    })
}

impl Icinga {
    /// What the daemon printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One API call as the test's own ApiUser, trusting the test CA: status and JSON answer (`Null`
    /// when it is not JSON). `body` `Null` sends none.
    pub async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let client = warroom::backends::http_client_trusting(&self.ca, "test CA").unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client
            .request(method, format!("{}/{path}", self.url))
            .basic_auth(ADMIN, Some(&self.password))
            .header("Accept", "application/json")
            .timeout(Duration::from_secs(10));
        if !body.is_null() {
            req = req.json(&body);
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let v = resp.json::<Value>().await.unwrap_or(Value::Null);
                (status, v)
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// Sets the state of `object` (`web1!http`, or a host `web1`) as a passive check result:
    /// 0 OK/UP, 1 WARNING/DOWN, 2 CRITICAL.
    pub fn set_state(&self, object: &str, exit_status: u8, output: &str) {
        let (kind, key) = if object.contains('!') {
            ("Service", "service")
        } else {
            ("Host", "host")
        };
        let body =
            json!({"type": kind, key: object, "exit_status": exit_status, "plugin_output": output});
        let (status, answer) = block(self.call("POST", "v1/actions/process-check-result", body));
        assert_eq!(status, 200, "process-check-result: {answer}");
    }

    /// The attributes of one object (`services/web1!http`, `hosts/web1`).
    pub fn object(&self, path: &str) -> Value {
        let path = format!("v1/objects/{path}");
        let (status, v) = block(self.call("GET", &path, Value::Null));
        assert_eq!(status, 200, "{path}: {v}");
        v["results"][0]["attrs"].clone()
    }

    /// Every comment's attributes.
    pub fn comments(&self) -> Vec<Value> {
        let (status, v) = block(self.call("GET", "v1/objects/comments", Value::Null));
        assert_eq!(status, 200, "comments: {v}");
        v["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| c["attrs"].clone())
            .collect()
    }
}
