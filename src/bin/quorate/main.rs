//! The `quorate` program: parses the command line once, hands plain settings to the library,
//! and prints what it found. Exit status: 0 success, 1 refused or invalid, 2 bad usage or input.

// First: its printing macros shadow the standard ones in every module below.
#[macro_use]
mod output;

mod cli;
mod commands;
mod notes;
mod outcome;

use std::process::ExitCode;

use clap::Parser;

use quorate::workspace::WorkspaceOptions;

use cli::{Cli, Command, KeyringCommand, MaintainersCommand, PolicyCommand, TrustCommand};
use commands::*;

fn main() -> ExitCode {
    keep_freed_memory();
    quorate::fs::git::bound_git_memory();
    let cli = Cli::parse();
    let options = WorkspaceOptions {
        // As git finds .git: the nearest directory upward that holds a workspace.
        dir: cli
            .global
            .workspace
            .clone()
            .unwrap_or_else(quorate::workspace::find_from_current_dir),
        keyring: cli.global.keyring.clone(),
        maintainers: cli.global.maintainers.clone(),
        trust_anchor: cli.global.trust_anchor.clone(),
        rewritten_as_found: false,
        require_anchor: cli.global.require_anchor,
    };
    notes::set_quiet(cli.global.quiet);
    let result = match cli.command {
        Command::Init { dir, namespace } => run_init(&dir, namespace.as_deref()),
        Command::Completions { shell } => run_completions(shell),
        Command::Man { output } => run_man(&output),
        Command::Maintainers(MaintainersCommand::List { json }) => {
            run_maintainers_list(&options, json)
        }
        Command::Maintainers(MaintainersCommand::Add {
            handle,
            name,
            email,
            certs,
            cosign_key,
            keyless,
        }) => match (cosign_key, keyless.as_slice()) {
            (Some(file), _) => run_maintainers_add_sigstore(
                &options,
                &handle,
                name.as_deref(),
                &email,
                quorate::ops::team::SigstoreToAdd::CosignKey(file),
            ),
            (None, [issuer, subject]) => run_maintainers_add_sigstore(
                &options,
                &handle,
                name.as_deref(),
                &email,
                quorate::ops::team::SigstoreToAdd::Keyless {
                    issuer: issuer.clone(),
                    subject: subject.clone(),
                },
            ),
            _ => run_maintainers_add(&options, &handle, name.as_deref(), &email, &certs),
        },
        Command::Maintainers(MaintainersCommand::Remove { handle }) => {
            run_maintainers_remove(&options, &handle)
        }
        Command::Sign(args) => run_sign(&options, args),
        Command::Verify(args) => run_verify(&options, args),
        Command::Gate(args) => run_gate(&options, args),
        Command::Audit(args) => run_audit(&options, args),
        Command::Withdraw(args) => run_withdraw(&options, args),
        Command::Repair(args) => run_repair(&options, args),
        Command::Publish(args) => run_publish(&options, args),
        Command::Status(args) => run_status(&options, args),
        Command::Sync(args) => run_sync(&options, args),
        Command::Payload(args) => run_payload(&options, args),
        Command::Add(args) => run_add(&options, args),
        Command::Digests(command) => run_digests(command),
        Command::Keyring(KeyringCommand::Check) => run_keyring_check(&options),
        Command::Keyring(KeyringCommand::Import { files }) => run_keyring_import(&options, &files),
        Command::Keyring(KeyringCommand::Export { output }) => {
            run_keyring_export(&options, &output)
        }
        Command::Policy(PolicyCommand::Export(args)) => run_policy_export(&options, args),
        Command::Policy(PolicyCommand::Check(args)) => run_policy_check(&options, args),
        Command::Trust(TrustCommand::Propose) => run_trust_propose(&options),
        Command::Trust(TrustCommand::Sign { signer }) => run_trust_sign(&options, &signer),
        Command::Trust(TrustCommand::Status { json }) => run_trust_status(&options, json),
    };
    outcome::exit_status(result)
}

/// glibc hands freed memory at the top of a thread's heap back to the kernel once it passes 128
/// KiB, and in a process with worker threads every such hand-back makes the kernel flush the
/// other cores' address translations: on the gpg-made tree of bench.sh, 1,470 `madvise` calls
/// for 1,200 signature files, a tenth of the gate's CPU time in the kernel (`strace -f -c`).
/// Keeping up to 64 MiB free per heap ends them; the heap reuses what it keeps, and all of it
/// goes back when the process ends.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it is called before
    // any thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
