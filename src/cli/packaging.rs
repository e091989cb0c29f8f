//! `warroom completions SHELL` and `warroom man`: generated from the command definitions
//! themselves, so they never disagree with `--help`.

use super::{Cli, Failure};
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "warroom", &mut std::io::stdout());
    Ok(())
}

pub fn man() -> Result<(), Failure> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Failure::runtime(format!("cannot render the man page: {e}")))?;
    use std::io::Write;
    let mut stdout = std::io::stdout();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::runtime(format!("cannot write the man page: {e}"))),
    }
}
