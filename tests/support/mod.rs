pub mod cli;
pub mod console;
pub mod pagerduty;
pub mod receiver;
pub mod release;
pub mod servers;
pub mod tmux;
