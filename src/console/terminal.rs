//! The terminal, borrowed for the console's lifetime and given back as it was on every exit
//! path: normal return, error, panic (a chained hook) and SIGTERM/SIGHUP (handled in the loop).

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::mem::ManuallyDrop;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: ManuallyDrop<Tui>,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        if let Err(e) = execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        // Clear before the first frame: ratatui writes only cells that differ from what it
        // believes is on screen (blank at start), and the alternate screen is not always blank
        // — a console killed with SIGKILL never left it, so the next one would draw over its
        // old frame and leave the blank cells (spaces, cleared modal areas) showing it.
        let terminal = Terminal::new(CrosstermBackend::new(stdout())).and_then(|mut t| {
            t.clear()?;
            Ok(t)
        });
        match terminal {
            Ok(terminal) => Ok(TerminalGuard {
                terminal: ManuallyDrop::new(terminal),
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let shown = self.terminal.show_cursor().is_ok();
        restore();
        if shown {
            // SAFETY: dropped exactly once, here, and never used afterwards.
            unsafe { ManuallyDrop::drop(&mut self.terminal) }
        }
        // Otherwise the terminal is gone (closed window, dropped ssh): ratatui's own Drop
        // would try to show the cursor again and report the failure with `eprintln!` to that
        // same dead terminal, which panics. The process is leaving; let it reclaim the memory.
    }
}

/// Calls `gone` once the terminal on standard input hangs up (its window closed, its ssh
/// session dropped), from a thread that sleeps in `poll(2)` until then, so it costs nothing
/// while the terminal lives. SIGHUP usually says the same, but not when a parent traps it
/// without passing it on; and without this crossterm's reader spins on the dead terminal
/// (crossterm#793), so the console would burn a core until its next draw failed.
pub fn on_hangup(gone: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("hangup".into())
        .spawn(move || {
            let mut fd = libc::pollfd {
                fd: libc::STDIN_FILENO,
                // No events asked for: poll reports only hang-up and errors.
                events: 0,
                revents: 0,
            };
            loop {
                // SAFETY: one valid, exclusively borrowed pollfd for the length of the call.
                let n = unsafe { libc::poll(&mut fd, 1, -1) };
                if n > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                    gone();
                    return;
                }
                if n < 0
                    && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                {
                    return;
                }
            }
        })
        .map(|_| ())
}

/// Leaves raw mode and the alternate screen; safe to call twice.
pub fn restore() {
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
