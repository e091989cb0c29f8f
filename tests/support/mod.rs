pub mod console;
pub mod receiver;
pub mod release;
pub mod servers;
pub mod tmux;
