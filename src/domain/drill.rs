//! A drill's mark on its incident: the `drill` event, recorded right after `opened`, folds to
//! [`DrillMark`], which every view and delivery reads so a drill is never taken for a real
//! outage (the DRILL banner, the `[DRILL]` prefix, write-backs off, `warroom list`'s mark).

use super::{Event, Incident};

/// What marks an incident as a drill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DrillMark {
    /// The scenario played.
    pub scenario: String,
    /// Whether write-backs (PagerDuty notes, an alert source's acknowledge and comment) stay
    /// on during the drill.
    pub write_backs: bool,
}

/// The prefix of every status update a drill delivers anywhere.
pub const DRILL_PREFIX: &str = "[DRILL] ";

/// Folds the `drill` event into the incident; other events change nothing here.
pub fn apply(incident: &mut Incident, event: &Event) {
    if let Event::Drill {
        scenario,
        write_backs,
    } = event
    {
        incident.drill = Some(DrillMark {
            scenario: scenario.clone(),
            write_backs: *write_backs,
        });
    }
}

impl Incident {
    pub fn is_drill(&self) -> bool {
        self.drill.is_some()
    }

    /// Whether write-backs to other systems are allowed: always for a real incident; for a
    /// drill only when its scenario enables them.
    pub fn write_backs_allowed(&self) -> bool {
        self.drill.as_ref().is_none_or(|d| d.write_backs)
    }
}
