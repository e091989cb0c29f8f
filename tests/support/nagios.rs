//! A real Nagios 4 (Debian `nagios4`, `nagios4-cgi`) for the tests: the daemon in the
//! foreground with a configuration of the test's own in a temp dir (one host, `checkout-db`,
//! with passive services `disk` and `load` on a dummy check command, external commands on, the
//! status written every second), and its CGIs behind Python's CGI-capable `http.server` on a
//! free loopback port, with a `cgi.cfg` that lets the web user `warroom` see and do
//! everything. Python's server sets `REMOTE_USER` from basic authentication, as Apache does.
//! Both run in their own process group, killed as a whole when dropped.
//!
//! Missing packages: outside CI a loud `SKIPPED` and `None`; under `CI=true` a panic.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DAEMON: &str = "/usr/sbin/nagios4";
pub const CGI_DIR: &str = "/usr/lib/cgi-bin/nagios4";
/// The web user the CGI server reports (any password passes: the test's server does not
/// check it, as Nagios leaves that to the web server).
pub const USER: &str = "warroom";
pub const HOST: &str = "checkout-db";

const READY_WITHIN: Duration = Duration::from_secs(60);

/// The CGI server: Python's, except that it keeps the test's user for the scripts instead of
/// switching to `nobody` (which could not read the test's temp dir).
const CGI_SERVER: &str = r#"
import http.server, os, sys
http.server.nobody = os.getuid()
class Handler(http.server.CGIHTTPRequestHandler):
    cgi_directories = ['/cgi-bin']
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
"#;

pub struct Nagios {
    /// The CGIs' URL, as `[[nagios]] url` takes it.
    pub url: String,
    pub addr: String,
    pub dir: tempfile::TempDir,
    daemon: Child,
    web: Child,
}

impl Drop for Nagios {
    fn drop(&mut self) {
        for child in [&mut self.daemon, &mut self.web] {
            // Each leads its own process group, and any CGI goes with it; Nagios's workers
            // lead groups of their own, so they are killed by pid, found before their parent
            // goes.
            let pid = child.id() as i32;
            let children: Vec<i32> =
                std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect();
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                for c in children {
                    libc::kill(c, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn missing(what: &str) -> Option<Nagios> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing, and CI must run the Nagios tests");
    }
    eprintln!();
    eprintln!("************************************************************");
    eprintln!("SKIPPED: {what} missing (Debian packages nagios4 nagios4-cgi)");
    eprintln!("************************************************************");
    None
}

fn id_of(flag: &str) -> String {
    Command::new("id")
        .arg(flag)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .expect("id -un / -gn")
}

fn objects() -> String {
    let mut out = String::from(
        "define command {\n  command_name dummy\n  command_line /bin/true\n}\n\
         define timeperiod {\n  timeperiod_name always\n  alias always\n  sunday 00:00-24:00\n  monday 00:00-24:00\n  tuesday 00:00-24:00\n  wednesday 00:00-24:00\n  thursday 00:00-24:00\n  friday 00:00-24:00\n  saturday 00:00-24:00\n}\n\
         define contact {\n  contact_name warroom\n  host_notifications_enabled 0\n  service_notifications_enabled 0\n  host_notification_period always\n  service_notification_period always\n  host_notification_options n\n  service_notification_options n\n  host_notification_commands dummy\n  service_notification_commands dummy\n}\n",
    );
    out.push_str(&format!(
        "define host {{\n  host_name {HOST}\n  address 127.0.0.1\n  check_command dummy\n  max_check_attempts 1\n  check_period always\n  contacts warroom\n  notification_period always\n  active_checks_enabled 0\n  passive_checks_enabled 1\n}}\n"
    ));
    for svc in ["disk", "load"] {
        out.push_str(&format!(
            "define service {{\n  host_name {HOST}\n  service_description {svc}\n  check_command dummy\n  max_check_attempts 1\n  check_interval 1\n  retry_interval 1\n  check_period always\n  notification_period always\n  contacts warroom\n  active_checks_enabled 0\n  passive_checks_enabled 1\n}}\n"
        ));
    }
    out
}

/// Starts Nagios and its CGIs, ready to answer `statusjson.cgi`.
pub fn start() -> Option<Nagios> {
    if !Path::new(DAEMON).is_file() {
        return missing(DAEMON);
    }
    if !Path::new(CGI_DIR).join("statusjson.cgi").is_file() {
        return missing(&format!("{CGI_DIR}/statusjson.cgi"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for sub in ["var/rw", "var/spool/checkresults", "www/cgi-bin"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    std::os::unix::fs::symlink(CGI_DIR, d.join("www/cgi-bin/nagios4")).expect("link the CGIs");
    let v = |p: &str| d.join(p).display().to_string();
    let main = d.join("nagios.cfg");
    std::fs::write(d.join("objects.cfg"), objects()).expect("objects.cfg");
    std::fs::write(
        &main,
        format!(
            "log_file={}\ncfg_file={}\nobject_cache_file={}\nprecached_object_file={}\n\
             status_file={}\nstatus_update_interval=1\nnagios_user={}\nnagios_group={}\n\
             check_external_commands=1\ncommand_file={}\nlock_file={}\ntemp_file={}\n\
             temp_path={}\ncheck_result_path={}\nstate_retention_file={}\n\
             retain_state_information=0\nuse_syslog=0\nlog_rotation_method=n\n\
             enable_notifications=0\nenable_event_handlers=0\nexecute_host_checks=0\n\
             execute_service_checks=0\naccept_passive_service_checks=1\n\
             accept_passive_host_checks=1\nquery_socket={}\n",
            v("var/nagios.log"),
            v("objects.cfg"),
            v("var/objects.cache"),
            v("var/objects.precache"),
            v("var/status.dat"),
            id_of("-un"),
            id_of("-gn"),
            v("var/rw/nagios.cmd"),
            v("var/nagios.lock"),
            v("var/nagios.tmp"),
            v("var"),
            v("var/spool/checkresults"),
            v("var/retention.dat"),
            v("var/rw/nagios.qh"),
        ),
    )
    .expect("nagios.cfg");
    let cgi_cfg = d.join("cgi.cfg");
    std::fs::write(
        &cgi_cfg,
        format!(
            "main_config_file={}\nphysical_html_path=/usr/share/nagios4/htdocs\n\
             url_html_path=/nagios4\nuse_authentication=1\n\
             authorized_for_system_information=*\nauthorized_for_configuration_information=*\n\
             authorized_for_system_commands=*\nauthorized_for_all_services=*\n\
             authorized_for_all_hosts=*\nauthorized_for_all_service_commands=*\n\
             authorized_for_all_host_commands=*\nlock_author_names=1\n",
            main.display()
        ),
    )
    .expect("cgi.cfg");
    std::fs::write(d.join("cgi_server.py"), CGI_SERVER).expect("cgi_server.py");

    let log = |name: &str| {
        let f = std::fs::File::create(d.join(name)).expect("log file");
        (f.try_clone().expect("clone"), f)
    };
    let (out, err) = log("daemon.log");
    let daemon = Command::new(DAEMON)
        .arg(&main)
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .expect("start nagios4");
    let port = super::servers::free_port();
    let addr = format!("127.0.0.1:{port}");
    let (out, err) = log("web.log");
    let web = Command::new("python3")
        .arg(d.join("cgi_server.py"))
        .arg(port.to_string())
        .arg(d.join("www"))
        .env("NAGIOS_CGI_CONFIG", &cgi_cfg)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .expect("start python3's CGI server");
    let mut n = Nagios {
        url: format!("http://{addr}/cgi-bin/nagios4"),
        addr,
        dir,
        daemon,
        web,
    };
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        let ready = n
            .get_json("/cgi-bin/nagios4/statusjson.cgi?query=programstatus")
            .is_some_and(|j| {
                j["result"]["type_code"] == 0 && j["data"]["programstatus"].is_object()
            });
        if ready {
            return Some(n);
        }
        if let Ok(Some(status)) = n.daemon.try_wait() {
            panic!("nagios4 exited ({status}) before ready:\n{}", n.logs());
        }
        if let Ok(Some(status)) = n.web.try_wait() {
            panic!(
                "the CGI server exited ({status}) before ready:\n{}",
                n.logs()
            );
        }
        if Instant::now() > deadline {
            panic!("Nagios not ready within {READY_WITHIN:?}:\n{}", n.logs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Nagios {
    /// What the daemon and the web server printed, and Nagios's own log.
    pub fn logs(&self) -> String {
        let read = |p: &str| std::fs::read_to_string(self.dir.path().join(p)).unwrap_or_default();
        format!(
            "--- daemon\n{}\n--- web\n{}\n--- nagios.log\n{}",
            read("daemon.log"),
            read("web.log"),
            read("var/nagios.log")
        )
    }

    /// `GET path` as the web user; the JSON body, if the answer was JSON.
    pub fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        let mut s =
            TcpStream::connect_timeout(&self.addr.parse().ok()?, Duration::from_secs(2)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        // "warroom:x"
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: {}\r\nAuthorization: Basic d2Fycm9vbTp4\r\n\r\n",
            self.addr
        )
        .ok()?;
        let mut all = Vec::new();
        s.read_to_end(&mut all).ok()?;
        let text = String::from_utf8_lossy(&all);
        let (_, body) = text.split_once("\r\n\r\n")?;
        serde_json::from_str(body).ok()
    }

    /// A service's details as statusjson gives them.
    pub fn service(&self, service: &str) -> serde_json::Value {
        let j = self
            .get_json(&format!(
                "/cgi-bin/nagios4/statusjson.cgi?query=service&hostname={HOST}&servicedescription={service}"
            ))
            .unwrap_or_else(|| panic!("statusjson did not answer:\n{}", self.logs()));
        j["data"]["service"].clone()
    }

    /// Writes one external command (`PROCESS_SERVICE_CHECK_RESULT;…`) to the command file.
    pub fn command(&self, line: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let path: PathBuf = self.dir.path().join("var/rw/nagios.cmd");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open the command file");
        writeln!(f, "[{now}] {line}").expect("write the command file");
    }

    /// Sets a service's state by a passive check result (0 OK, 1 WARNING, 2 CRITICAL,
    /// 3 UNKNOWN) and waits until statusjson shows it.
    pub fn set_service(&self, service: &str, code: u8, output: &str) {
        self.command(&format!(
            "PROCESS_SERVICE_CHECK_RESULT;{HOST};{service};{code};{output}"
        ));
        let want = match code {
            0 => 2,
            1 => 4,
            2 => 16,
            _ => 8,
        };
        self.wait_for(&format!("{service} in state {code}"), || {
            self.service(service)["status"] == want
        });
    }

    /// Polls `ok` every 100 ms for up to 30 s.
    pub fn wait_for(&self, what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok() {
            if Instant::now() > deadline {
                panic!("Nagios: {what} not seen within 30s:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
