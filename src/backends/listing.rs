//! What one look at an alert source listed: its alerts, and whether the source's page limit
//! stopped the reading before the list ended. A list cut short is said so on the board
//! ([`Listing::note`]), never passed off as the whole.

use crate::domain::Alert;

/// One look's alerts; `cut_short` when pages were left unread because of the page limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub alerts: Vec<Alert>,
    pub cut_short: bool,
}

impl Listing {
    /// The whole list.
    pub fn whole(alerts: Vec<Alert>) -> Listing {
        Listing {
            alerts,
            cut_short: false,
        }
    }

    /// What the board says of a list cut short, for `source`:
    /// `opsgenie: first 1000 alerts shown (page limit)`.
    pub fn note(&self, source: &str) -> Option<String> {
        self.cut_short
            .then(|| page_limit_note(source, self.alerts.len()))
    }
}

/// `source: first N alerts shown (page limit)`.
pub fn page_limit_note(source: &str, shown: usize) -> String {
    format!("{source}: first {shown} alerts shown (page limit)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_list_cut_short_has_a_note_and_it_names_the_source_and_the_count() {
        assert_eq!(Listing::whole(vec![]).note("opsgenie"), None);
        let cut = Listing {
            alerts: vec![],
            cut_short: true,
        };
        assert_eq!(
            cut.note("opsgenie").as_deref(),
            Some("opsgenie: first 0 alerts shown (page limit)")
        );
    }
}
