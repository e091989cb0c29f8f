//! The release binary for end-to-end tests: built once per test process with
//! `cargo build --release --bin warroom` (a no-op when it is fresh), so the tmux tests drive
//! the real release build while the rest of the suite compiles quickly in debug.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn warroom() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest.join("target"));
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args(["build", "--release", "--bin", "warroom", "--quiet"])
                .arg("--manifest-path")
                .arg(manifest.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .status()
                .expect("run cargo build --release");
            assert!(status.success(), "cargo build --release failed");
            target.join("release").join("warroom")
        })
        .clone()
}
