//! Where warroom keeps things, and who is speaking.
//!
//! Data (incident journals) lives in the platform data directory for "warroom"
//! (`~/.local/share/warroom` on Linux) unless `--data-dir` / `WARROOM_DATA_DIR` says
//! otherwise; configuration in `config.toml` in the platform config directory unless
//! `--config` / `WARROOM_CONFIG` names the file. `services.toml` and `runbook.toml` sit beside
//! `config.toml`.

use std::path::{Path, PathBuf};

/// Resolved locations for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
}

impl Paths {
    /// Flags (already merged with their environment variables by the CLI parser) win over the
    /// platform defaults.
    pub fn resolve(data_dir: Option<PathBuf>, config: Option<PathBuf>) -> Result<Paths, String> {
        let dirs = directories::ProjectDirs::from("", "", "warroom");
        let data_dir = match data_dir {
            Some(d) => d,
            None => dirs.as_ref().map(|d| d.data_dir().to_path_buf()).ok_or(
                "no home directory to keep incidents in; set --data-dir or WARROOM_DATA_DIR",
            )?,
        };
        let config_file = match config {
            Some(f) => f,
            None => dirs
                .as_ref()
                .map(|d| d.config_dir().join("config.toml"))
                .ok_or("no home directory to read config from; set --config or WARROOM_CONFIG")?,
        };
        Ok(Paths {
            data_dir,
            config_file,
        })
    }

    /// The directory holding `config.toml`, `services.toml`, `runbook.toml` and user themes.
    pub fn config_dir(&self) -> &Path {
        self.config_file.parent().unwrap_or(Path::new("."))
    }
}

/// The author of what this run records: `--as` / `WARROOM_USER` if given, else the login name.
pub fn author(given: Option<String>) -> String {
    given
        .filter(|s| !s.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(login_name)
}

fn login_name() -> String {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out
    // immediately and never keep the pointer.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return "unknown".to_string();
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}
