//! Headless Chromium taking a screenshot of a local page: the binary found on PATH (`.ci/run`
//! installs Debian's `chromium` when missing; outside CI a missing one is a loud SKIPPED, under
//! `CI=true` a failure), run with a profile directory of its own, in its own process group,
//! killed with every child it started when the guard drops, even on panic.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// The Chromium binary, or none (SKIPPED) outside CI.
pub fn find() -> Option<PathBuf> {
    super::servers::require(
        "chromium (Debian package chromium)",
        &["chromium", "chromium-browser", "google-chrome"],
    )
}

/// A running Chromium: its process group is killed on drop, its profile removed.
struct Running {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        // The group Chromium leads (process_group(0)): its renderer and GPU helpers too.
        let pgid = self.child.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Screenshots `page` (an HTML file) at `width`×`height` into `png`; Chromium's standard
/// error when it fails or takes longer than a minute.
pub fn screenshot(binary: &Path, page: &Path, png: &Path, width: u32, height: u32) {
    use std::os::unix::process::CommandExt;
    let profile = tempfile::tempdir().unwrap();
    let page = std::fs::canonicalize(page).unwrap();
    let child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut running = Running {
        child,
        _profile: profile,
    };
    let until = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            panic!(
                "chromium took longer than {DEADLINE:?} to screenshot {}",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() || !png.is_file() {
        let mut err = String::new();
        if let Some(e) = running.child.stderr.as_mut() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        panic!(
            "chromium ({status}) wrote no screenshot of {}:\n{err}",
            page.display()
        );
    }
}

/// A PNG's size, how many of its pixels are not white and which colours it has, decoded with the `png` crate.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub not_white: usize,
    pub colours: std::collections::HashSet<[u8; 3]>,
}

pub fn look(png_file: &Path) -> Picture {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "an 8-bit screenshot");
    let mut colours = std::collections::HashSet::new();
    let mut not_white = 0;
    for px in buf[..info.buffer_size()].chunks(channels) {
        let rgb = match channels {
            1 | 2 => [px[0], px[0], px[0]],
            _ => [px[0], px[1], px[2]],
        };
        if rgb != [255, 255, 255] {
            not_white += 1;
        }
        colours.insert(rgb);
    }
    Picture {
        width: info.width,
        height: info.height,
        not_white,
        colours,
    }
}
