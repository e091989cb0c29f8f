//! Reading `config.toml` without letting one mistake stop everything: each top-level part
//! (`[prometheus]`, `[[webhook]]`, `theme = …`) that does not parse or check is left out and
//! reported with its `file:line:column`, and the rest is used. The console starts showing the
//! problems; a headless verb fails (exit 2) only when a part it needs is broken
//! (`cli::Context::config_for`); `warroom check-config` stays strict ([`Config::load`]).

use super::{Config, ConfigError, load_or_default};
use std::path::Path;

/// The top-level parts of `config.toml`, as written in it.
pub const SECTIONS: &[&str] = &[
    "theme",
    "keys",
    "status_updates",
    "webhook",
    "alertmanager",
    "prometheus",
    "pushgateway",
    "graphite",
    "grafana",
    "nagios",
    "icinga",
    "cloudwatch",
    "intake",
    "datadog",
    "sensu",
    "seyren",
    "newrelic",
    "pagerduty",
    "opsgenie",
    "alerts",
    "watchdog",
    "share",
    "postmortem",
    "store",
    "roll_call",
    "practice",
    "journal",
];

/// The parts that hold alert sources, and `[alerts]` (how they are polled): what every verb
/// reading alerts needs whole.
pub const ALERT_PARTS: &[&str] = &[
    "alertmanager",
    "prometheus",
    "grafana",
    "nagios",
    "icinga",
    "cloudwatch",
    "intake",
    "datadog",
    "sensu",
    "seyren",
    "opsgenie",
    "newrelic",
    "alerts",
];

/// The parts that hold metrics sources: what the blast radius and verification need whole.
pub const METRIC_PARTS: &[&str] = &[
    "prometheus",
    "graphite",
    "cloudwatch",
    "datadog",
    "newrelic",
];

/// A part of `config.toml` that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenPart {
    /// The part as written (`promethues`); empty when the file as a whole could not be read.
    pub written: String,
    /// The known part it is, or most likely meant (`prometheus`); `None` if none is close.
    pub section: Option<&'static str>,
    pub error: ConfigError,
}

impl BrokenPart {
    /// Whether a verb that uses `section` cannot trust the config: that part is broken, or
    /// the whole file is.
    pub fn breaks(&self, section: &str) -> bool {
        self.written.is_empty() || self.section == Some(section)
    }
}

impl std::fmt::Display for BrokenPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.written.as_str(), self.section) {
            ("", _) => write!(f, "{} (config.toml not used)", self.error),
            (w, _) => write!(f, "{} ([{w}] left out)", self.error),
        }
    }
}

impl Config {
    /// Reads `path` like [`Config::load`], but leaves out the parts that do not parse or
    /// check instead of failing, and returns them. A file that cannot be read at all, or
    /// whose mistakes cannot be pinned to a part, gives the defaults and one broken part.
    pub fn load_lenient(path: &Path) -> (Config, Vec<BrokenPart>) {
        match load_or_default(path, |p, text| Ok(Config::parse_lenient(p, text))) {
            Ok(loaded) => loaded,
            Err(error) => (
                Config::default(),
                vec![BrokenPart {
                    written: String::new(),
                    section: None,
                    error,
                }],
            ),
        }
    }

    /// [`Config::load_lenient`] on text already read.
    pub fn parse_lenient(path: &Path, text: &str) -> (Config, Vec<BrokenPart>) {
        let mut text = text.to_string();
        let mut broken: Vec<BrokenPart> = Vec::new();
        // Each round blanks one more part; there are only so many parts in a file.
        for _ in 0..64 {
            let error = match Config::parse(path, &text) {
                Ok(config) => {
                    // In the file's order, not the order the checks found them.
                    broken.sort_by_key(|b| (b.error.line, b.error.column));
                    return (config, broken);
                }
                Err(e) => e,
            };
            let part = part_at(&text, error.line);
            match part {
                Some(written) if !broken.iter().any(|b| b.written == written) => {
                    text = blank_part(&text, &written);
                    broken.push(BrokenPart {
                        section: meant(&written),
                        written,
                        error,
                    });
                }
                _ => {
                    broken.push(BrokenPart {
                        written: String::new(),
                        section: None,
                        error,
                    });
                    return (Config::default(), broken);
                }
            }
        }
        (Config::default(), broken)
    }
}

/// The known part `written` is, or is one or two typos away from.
fn meant(written: &str) -> Option<&'static str> {
    SECTIONS
        .iter()
        .copied()
        .map(|s| (distance(s, written), s))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, s)| s)
}

/// Levenshtein distance, for telling a typo from another name.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The top-level name a line belongs to: the table it is under (`[a.b]` and `[[a]]` belong
/// to `a`), or, before any table, the key it sets (`a.b = 1` belongs to `a`).
fn owners(text: &str) -> Vec<Option<String>> {
    let mut table: Option<String> = None;
    text.split('\n')
        .map(|line| {
            let t = line.trim();
            if let Some(header) = t.strip_prefix('[') {
                let header = header.trim_start_matches('[');
                let name = header.split([']', '.']).next().unwrap_or("");
                table = Some(unquote(name));
                return table.clone();
            }
            if table.is_some() {
                return table.clone();
            }
            if t.is_empty() || t.starts_with('#') {
                return None;
            }
            t.split(['=', '.'])
                .next()
                .map(unquote)
                .filter(|k| !k.is_empty())
        })
        .collect()
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(['"', '\'']).trim().to_string()
}

/// The part that line `line` (1-based) of `text` belongs to; none for line 0 (unknown).
fn part_at(text: &str, line: usize) -> Option<String> {
    owners(text).get(line.checked_sub(1)?).cloned().flatten()
}

/// `text` with every line of part `name` emptied, so the other parts keep their lines (and
/// their errors keep naming the right line).
fn blank_part(text: &str, name: &str) -> String {
    text.split('\n')
        .zip(owners(text))
        .map(|(line, owner)| {
            if owner.as_deref() == Some(name) {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_config_toml_takes_is_a_known_section() {
        // serde names every top-level key it takes when it meets one it does not.
        let Err(e) = Config::parse(Path::new("config.toml"), "zzz = 1\n") else {
            panic!("an unknown key was taken");
        };
        let (_, expected) = e.reason.split_once("expected one of").unwrap();
        let taken: Vec<&str> = expected
            .split(',')
            .map(|k| k.trim().trim_matches('`'))
            .collect();
        assert!(taken.len() > 10, "{taken:?}");
        for key in taken {
            assert!(SECTIONS.contains(&key), "[{key}] is not in SECTIONS");
        }
    }

    #[test]
    fn a_misspelt_part_is_left_out_and_named_with_its_line() {
        let text = "theme = \"light\"\n\n[promethues]\nurl = \"http://127.0.0.1:9090\"\n\n[alerts]\ngroup_by = \"team\"\n";
        let (config, broken) = Config::parse_lenient(Path::new("config.toml"), text);
        assert_eq!(config.theme_name(), Some("light"));
        assert_eq!(config.alerts.group_by(), "team");
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!(broken[0].written, "promethues");
        assert_eq!(broken[0].section, Some("prometheus"));
        assert_eq!(broken[0].error.line, 3);
        assert!(broken[0].breaks("prometheus"));
        assert!(!broken[0].breaks("webhook"));
    }

    #[test]
    fn two_broken_parts_are_both_reported_and_the_rest_kept() {
        let text = "[share]\nlisten = \"nowhere\"\n\n[[webhook]]\nkind = \"slack\"\n\n[postmortem]\ndir = \"/tmp/pm\"\n";
        let (config, broken) = Config::parse_lenient(Path::new("config.toml"), text);
        let parts: Vec<(&str, usize)> = broken
            .iter()
            .map(|b| (b.written.as_str(), b.error.line))
            .collect();
        assert_eq!(parts, vec![("share", 2), ("webhook", 4)], "{broken:?}");
        assert_eq!(config.postmortem.dir.as_deref(), Some(Path::new("/tmp/pm")));
        assert!(config.share.is_none() && config.webhooks.is_empty());
    }

    #[test]
    fn a_file_that_is_not_toml_at_all_gives_the_defaults_and_says_why() {
        let (config, broken) = Config::parse_lenient(Path::new("config.toml"), "= = =\n");
        assert_eq!(config, Config::default());
        assert_eq!(broken.len(), 1);
        assert!(broken[0].breaks("prometheus"));
        assert_eq!(broken[0].error.line, 1);
    }
}
