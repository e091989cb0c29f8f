//! Every configuration field the code reads is in docs/configuration.md, and every key the
//! reference documents is one the code reads: the two cannot drift apart silently.

use std::collections::BTreeSet;
use std::path::Path;

/// Field names (as written in the files: `rename` applied, `skip` left out) of every struct
/// deriving `Deserialize` in the config sources.
fn fields_in_code() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // runbook.toml is read in actions (its own types), beside the config structs.
    let mut files = vec![
        root.join("src/config.rs"),
        root.join("src/actions/runbook_toml.rs"),
    ];
    for e in std::fs::read_dir(root.join("src/config")).unwrap() {
        files.push(e.unwrap().path());
    }
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut derive = false;
        let mut inside = false;
        let mut attrs = String::new();
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("#[derive(") && t.contains("Deserialize") {
                derive = true;
                continue;
            }
            if derive
                && (t.starts_with("pub struct ") || t.starts_with("struct "))
                && t.ends_with('{')
            {
                inside = true;
                derive = false;
                continue;
            }
            if !inside {
                continue;
            }
            if t == "}" {
                inside = false;
                continue;
            }
            if t.starts_with("#[serde(") {
                attrs.push_str(t);
                continue;
            }
            if t.starts_with("//") || t.is_empty() {
                continue;
            }
            let decl = t.strip_prefix("pub ").unwrap_or(t);
            if let Some((name, _)) = decl.split_once(':') {
                if !attrs.contains("skip") {
                    let renamed = attrs
                        .split("rename = \"")
                        .nth(1)
                        .and_then(|r| r.split('"').next())
                        .map(str::to_string);
                    out.insert(renamed.unwrap_or_else(|| name.trim().to_string()));
                }
                attrs.clear();
            }
        }
    }
    out
}

/// Keys named in the first column of the reference's tables.
fn keys_in_docs() -> BTreeSet<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(|k| k.rsplit('.').next().unwrap_or(k).to_string())
        .collect()
}

#[test]
fn every_config_field_is_documented_and_every_documented_key_exists() {
    let code = fields_in_code();
    let docs = keys_in_docs();
    // Container keys: the tables that hold the entries (`[[webhook]]`, `[[service]]`, …).
    let containers: BTreeSet<String> = [
        "webhook",
        "alertmanager",
        "service",
        "action",
        "status_updates",
        "prometheus",
        "pushgateway",
        "grafana",
        "nagios",
        "icinga",
        "sensu",
        "seyren",
        "opsgenie",
        "newrelic",
        "intake",
        "cloudwatch",
        "pagerduty",
        "alerts",
        "share",
        "postmortem",
        "store",
        "roll_call",
        "practice",
        "journal",
        "watchdog",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let undocumented: Vec<&String> = code
        .iter()
        .filter(|f| !docs.contains(*f) && !containers.contains(*f))
        .collect();
    let unknown: Vec<&String> = docs.iter().filter(|k| !code.contains(*k)).collect();
    assert!(
        undocumented.is_empty(),
        "fields missing from docs/configuration.md: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/configuration.md documents keys the code does not read: {unknown:?}"
    );
    // The scan itself must see the config: a few fields any version has.
    for f in ["url_env", "sev1", "depends_on", "argv", "listen"] {
        assert!(code.contains(f), "scanner lost {f}: {code:?}");
    }
}
