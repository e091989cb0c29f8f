pub mod console;
pub mod receiver;
pub mod servers;
