//! Standard output and standard error of the headless verbs.
//!
//! A reader that goes away (`warroom list | head -1`, `warroom completions zsh | head -3`) is
//! the reader's choice, not a failure: the verb ends there, quietly, with exit 0 — no
//! message, no panic — as `log`, `export` and `man` always did. Any other failure to write
//! standard output (a full disk behind `>`) is said on standard error, exit 1. Nothing here
//! touches SIGPIPE: the console, `serve`, `follow` and the webhooks write sockets, where a
//! closed peer must be an error to handle, never a signal that kills the process.
//!
//! `println!` and `eprintln!` inside `cli` are the macros defined in `cli/mod.rs`, which
//! write through [`print`] and [`eprint`]; the standard ones panic on a closed pipe.

use std::io::Write;

/// Writes `args` to standard output; a closed pipe ends warroom quietly.
pub fn print(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        failed(&e);
    }
}

/// Writes `bytes` to standard output and flushes; a closed pipe ends warroom quietly.
pub fn write_all(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        failed(&e);
    }
}

/// Writes `args` to standard error; a failure there has nowhere to be told, so it is dropped.
pub fn eprint(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// Whether a failed write means the reader went away.
pub fn is_closed(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Ends warroom after a failed write to standard output: quietly (exit 0) when the reader
/// went away, with one line on standard error (exit 1) otherwise.
pub fn failed(e: &std::io::Error) -> ! {
    if is_closed(e) {
        std::process::exit(0);
    }
    eprint(format_args!(
        "warroom: cannot write to standard output: {e}\n"
    ));
    std::process::exit(1)
}
