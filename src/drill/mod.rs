//! Drills: rehearsed outages, and what comes of them. `review.rs`: the drill's review as
//! journaled, exported (Markdown, JSON) and compared with the team's earlier drills of the
//! same scenario.

pub mod review;
