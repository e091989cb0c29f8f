//! Severity, status, roles and note kinds: small closed vocabularies with one spelling each
//! on the command line, in the journal and on screen.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not one of a vocabulary's words; the message lists the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}' (expected one of: {expected})")]
pub struct ParseError {
    pub what: &'static str,
    pub given: String,
    pub expected: &'static str,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The one spelling used on the command line and in the journal.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                let wanted = s.trim().to_ascii_lowercase();
                $(if wanted == $word { return Ok($name::$variant); })+
                Err(ParseError {
                    what: $what,
                    given: s.to_string(),
                    expected: concat!($($word, " "),+).trim_ascii_end(),
                })
            }
        }
    };
}

vocabulary!(
    /// How bad it is. `Sev1` is the worst; ordering follows urgency (Sev1 < Sev2).
    Severity, "severity", { Sev1 => "sev1", Sev2 => "sev2", Sev3 => "sev3", Sev4 => "sev4" }
);

vocabulary!(
    /// Where the response stands.
    Status, "status", {
        Investigating => "investigating",
        Identified => "identified",
        Monitoring => "monitoring",
        Resolved => "resolved",
    }
);

vocabulary!(
    /// Who does what on the call.
    Role, "role", {
        Commander => "commander",
        Deputy => "deputy",
        Scribe => "scribe",
        Liaison => "liaison",
        Sme => "sme",
    }
);

vocabulary!(
    /// What a note records: something seen, a guess being tested, or a call made.
    NoteKind, "note kind", {
        Observation => "observation",
        Hypothesis => "hypothesis",
        Decision => "decision",
    }
);

vocabulary!(
    /// What a follow-up is for: limit the damage next time (mitigate), stop it happening
    /// again (prevent), or change how incidents are run (process).
    FollowUpKind, "follow-up type", {
        Mitigate => "mitigate",
        Prevent => "prevent",
        Process => "process",
    }
);

vocabulary!(
    /// The formats a post-mortem draft is exported in.
    ExportFormat, "format", { Markdown => "markdown", Json => "json" }
);

impl Severity {
    /// Short label for headers and tables, e.g. `SEV1`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }
}

impl Role {
    /// Roles held by one person at a time; assigning one replaces the previous holder.
    /// Subject-matter experts are many.
    pub fn is_single(self) -> bool {
        !matches!(self, Role::Sme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_list_the_choices() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
        }
        assert_eq!("SEV2".parse::<Severity>(), Ok(Severity::Sev2));
        let err = "sev5".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown severity 'sev5' (expected one of: sev1 sev2 sev3 sev4)"
        );
    }

    #[test]
    fn sev1_sorts_first() {
        let mut v = vec![Severity::Sev3, Severity::Sev1, Severity::Sev2];
        v.sort();
        assert_eq!(v, vec![Severity::Sev1, Severity::Sev2, Severity::Sev3]);
    }
}
