//! Shell completions and man pages, generated from the one clap definition so they never drift
//! from what the program accepts.

use std::path::Path;

use clap::CommandFactory;

use super::*;

use crate::cli::{Cli, Shell};

pub(crate) fn run_completions(shell: Shell) -> Result<Outcome, Failure> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "quorate",
        &mut std::io::stdout(),
    );
    Ok(Outcome::Passed)
}

/// Every page, as `git` names its own: `quorate.1`, `quorate-sign.1`, `quorate-keyring-check.1`.
fn pages(
    command: &clap::Command,
    prefix: Option<&str>,
    out: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let name = match prefix {
        Some(prefix) => format!("{prefix}-{}", command.get_name()),
        None => command.get_name().to_string(),
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone().name(name.clone())).render(&mut page)?;
    out.push((format!("{name}.1"), page));
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            pages(sub, Some(&name), out)?;
        }
    }
    Ok(())
}

pub(crate) fn run_man(output: &Path) -> Result<Outcome, Failure> {
    let mut command = Cli::command();
    // Global options and defaults propagated to every subcommand, as the parser sees them.
    command.build();
    let mut rendered = Vec::new();
    pages(&command, None, &mut rendered)
        .map_err(|e| Failure::input(format!("cannot render the man pages: {e}")))?;
    let cannot = |e: quorate::fs::confine::ConfineError| {
        Failure::input(format!("cannot write the man pages: {e}"))
    };
    let dir = quorate::fs::confine::output_dir(output).map_err(cannot)?;
    // Every place is checked before the first write: a link in the way changes nothing.
    for (name, _) in &rendered {
        dir.check_replaceable(name.as_ref()).map_err(cannot)?;
    }
    for (name, page) in &rendered {
        dir.write_atomic(name.as_ref(), page).map_err(cannot)?;
    }
    println!("wrote {} man pages in {}", rendered.len(), output.display());
    Ok(Outcome::Passed)
}
