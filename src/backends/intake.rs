//! Alerts pushed to warroom, as a source beside the polled ones: the intake
//! (`crate::intake`) keeps each pushing source's firing alerts in
//! `<data_dir>/intake/<name>.json`, and [`read`] gives them to the board like any other
//! source's answer. Every process on the machine (the console, `warroom alerts`, `warroom
//! blast`) sees the same pushes, whichever share server took them.

use super::http::BackendError;
use crate::domain::Alert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A spool larger than this is not read (10,000 alerts with their labels fit well below).
const MAX_SPOOL_BYTES: u64 = 64 * 1024 * 1024;

/// One pushing source's alerts as last written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spool {
    /// When the source last pushed something taken.
    pub last_push: Option<DateTime<Utc>>,
    /// Its firing alerts (resolved ones are removed as they are pushed).
    pub alerts: Vec<Alert>,
}

/// Where source `name`'s spool is kept.
pub fn spool_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("intake").join(format!("{name}.json"))
}

/// The spool at `path`; none yet is an empty one.
pub fn load(path: &Path) -> Result<Spool, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Spool::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_SPOOL_BYTES {
        return Err(format!(
            "{} is larger than {} MB",
            path.display(),
            MAX_SPOOL_BYTES >> 20
        ));
    }
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| format!("{} cannot be read: {e}", path.display()))
}

/// Writes `spool` to `path` whole: a temporary file beside it, renamed over it, so a reader
/// never sees half of one.
pub fn store(path: &Path, spool: &Spool) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let mut bytes = serde_json::to_vec(spool).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Source `name`'s alerts firing at `now`: those whose `ends_at` has passed are resolved and
/// left out. With `stale_after`, a source that has not pushed for that long is reported as
/// failing (the board keeps its last alerts and marks it stale).
pub fn read(
    name: &str,
    path: &Path,
    stale_after: Option<std::time::Duration>,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, BackendError> {
    let spool = load(path).map_err(|e| BackendError::Setup(format!("{name}: {e}")))?;
    if let Some(limit) = stale_after {
        let since = spool.last_push;
        let quiet = since.map(|t| (now - t).to_std().unwrap_or_default());
        if quiet.is_none_or(|q| q > limit) {
            return Err(BackendError::Setup(match since {
                Some(t) => format!(
                    "{name}: no push since {} (stale_after {}s)",
                    t.format("%Y-%m-%d %H:%M:%S UTC"),
                    limit.as_secs()
                ),
                None => format!(
                    "{name}: nothing pushed yet (stale_after {}s)",
                    limit.as_secs()
                ),
            }));
        }
    }
    Ok(spool
        .alerts
        .into_iter()
        .filter(|a| a.ends_at.is_none_or(|end| end > now))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertState, Labels};
    use std::sync::Arc;

    fn alert(name: &str, ends_at: Option<DateTime<Utc>>) -> Alert {
        Alert {
            fingerprint: name.into(),
            labels: Labels::from_pairs(vec![(Arc::from("alertname"), Arc::from(name))]),
            annotations: Labels::default(),
            starts_at: DateTime::UNIX_EPOCH,
            ends_at,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        }
    }

    #[test]
    fn alerts_past_their_end_are_resolved_and_a_quiet_source_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let path = spool_path(dir.path(), "am");
        let now = Utc::now();
        assert_eq!(read("am", &path, None, now).unwrap(), vec![]);
        let later = now + chrono::Duration::minutes(5);
        let spool = Spool {
            last_push: Some(now),
            alerts: vec![
                alert("Open", None),
                alert("Ending", Some(now + chrono::Duration::minutes(1))),
            ],
        };
        store(&path, &spool).unwrap();
        let names = |v: Vec<Alert>| v.iter().map(|a| a.name().to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(read("am", &path, None, now).unwrap()),
            ["Open", "Ending"]
        );
        assert_eq!(names(read("am", &path, None, later).unwrap()), ["Open"]);
        let stale = read("am", &path, Some(std::time::Duration::from_secs(60)), later);
        assert!(
            stale.unwrap_err().to_string().contains("no push since"),
            "a source silent past stale_after is stale"
        );
    }
}
