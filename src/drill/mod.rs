//! Drills: rehearsed outages. A drill plays a [`scenario::Scenario`] (a TOML file: services,
//! metric curves, alerts, the fault and what fixes it) through the demo's simulator, on the
//! ordinary console, with the incident marked as a drill everywhere. `review.rs`: the drill's
//! review as journaled, exported (Markdown, JSON) and compared with the team's earlier drills
//! of the same scenario.

pub mod live;
pub mod review;
pub mod scenario;
