//! warroom: a terminal console for leading an outage.
//!
//! Every fact about an incident is an event appended to its journal; everything shown is a
//! pure fold of those events. See `docs/architecture.md`.

pub mod actions;
pub mod backends;
pub mod charts;
pub mod cli;
pub mod config;
pub mod console;
pub mod context;
pub mod demo;
pub mod domain;
pub mod drill;
pub mod fds;
pub mod journal;
pub mod postmortem;
pub mod report;
pub mod share;
