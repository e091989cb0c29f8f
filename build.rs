//! Stamps the git commit into `warroom --version` when the source is a git checkout.

use std::process::Command;

fn main() {
    let hash = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.is_empty());
    let version = match hash {
        Some(h) => format!(
            "{} ({h}{})",
            env!("CARGO_PKG_VERSION"),
            if dirty { ", modified" } else { "" }
        ),
        None => env!("CARGO_PKG_VERSION").to_string(),
    };
    println!("cargo:rustc-env=WARROOM_VERSION={version}");
    // Rebuild when the checked-out commit changes.
    // HEAD names the branch; a commit changes the branch's ref file, not HEAD itself.
    let mut watched = vec![
        ".git/HEAD".to_string(),
        ".git/index".to_string(),
        ".git/packed-refs".to_string(),
    ];
    if let Ok(head) = std::fs::read_to_string(".git/HEAD")
        && let Some(r) = head.trim().strip_prefix("ref: ")
    {
        watched.push(format!(".git/{r}"));
    }
    for f in watched {
        if std::path::Path::new(&f).exists() {
            println!("cargo:rerun-if-changed={f}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
