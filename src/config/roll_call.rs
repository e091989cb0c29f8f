//! `[roll_call]`: when a check-in counts as stale and when relief is suggested
//! ([`crate::domain::PracticeRules`]).

use super::ConfigError;
use crate::domain::{PracticeRules, parse_duration};
use std::path::Path;

/// `[roll_call]`: durations such as `"10m"`, `"3h"`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollCallConfig {
    /// A check-in older than this is shown as stale (default `"10m"`).
    pub stale_after: Option<toml::Spanned<String>>,
    /// After this long on the incident the board suggests relief, a handoff for the
    /// commander (default `"3h"`).
    pub relief_after: Option<toml::Spanned<String>>,
}

/// The rules `[roll_call]` gives; errors name the key and its place in the file.
pub(super) fn rules(
    section: &RollCallConfig,
    path: &Path,
    text: &str,
) -> Result<PracticeRules, ConfigError> {
    let mut rules = PracticeRules::default();
    for (name, value, slot) in [
        ("stale_after", &section.stale_after, &mut rules.stale_after),
        (
            "relief_after",
            &section.relief_after,
            &mut rules.relief_after,
        ),
    ] {
        let Some(v) = value else { continue };
        let err = |reason: String| {
            ConfigError::at(
                path,
                text,
                v.span().start,
                format!("roll_call.{name}: {reason}"),
            )
        };
        let d = parse_duration(v.get_ref()).map_err(err)?;
        if d < chrono::Duration::minutes(1) {
            return Err(err("must be at least 1m".into()));
        }
        *slot = d;
    }
    Ok(rules)
}
