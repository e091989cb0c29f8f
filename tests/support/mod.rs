pub mod console;
pub mod receiver;
