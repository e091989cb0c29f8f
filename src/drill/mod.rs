//! Drills: rehearsed outages. A drill plays a [`scenario::Scenario`] (a TOML file: services,
//! metric curves, alerts, the fault and what fixes it) through the demo's simulator, on the
//! ordinary console, with the incident marked as a drill everywhere.

pub mod scenario;
