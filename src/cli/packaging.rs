//! `warroom completions SHELL` and `warroom man`: generated from the command definitions
//! themselves, so they never disagree with `--help`.

use super::{Cli, Failure};
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut cmd = Cli::command();
    // Generated whole, then written: the generator panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "warroom", &mut script);
    super::out::write_all(&script);
    Ok(())
}

pub fn man() -> Result<(), Failure> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Failure::runtime(format!("cannot render the man page: {e}")))?;
    super::out::write_all(&out);
    Ok(())
}
