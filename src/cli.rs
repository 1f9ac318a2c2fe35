//! The command line: clap types only, parsed once into plain settings for the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A release gate that needs a quorum: N distinct maintainers must sign the same image digest.
#[derive(Debug, Parser)]
#[command(name = "quorate", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The workspace directory (MAINTAINERS, keyring/, signatures/, digests/).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// Read the certificates from DIR instead of the workspace's keyring/.
    #[arg(long, global = true, value_name = "DIR")]
    pub keyring: Option<PathBuf>,
    /// Read the maintainers from FILE instead of the workspace's MAINTAINERS.
    #[arg(long, global = true, value_name = "FILE")]
    pub maintainers: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign an image digest as a maintainer and commit the signature.
    Sign(SignArgs),
    /// Judge every signature of one image, file by file.
    Verify(VerifyArgs),
    /// Pass only when every image is signed by enough distinct maintainers; then run CMD.
    Gate(GateArgs),
    /// Check or export the maintainers' keyring.
    #[command(subcommand)]
    Keyring(KeyringCommand),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The image: NAME:TAG@sha256:<64 hex>, e.g. stagex/pallet-rust:1.0@sha256:2fbe….
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: String,
    /// The maintainer's secret key, as `gpg --export-secret-keys` writes it.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Read the key's passphrase from FILE (first line).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Write the signature but do not commit it.
    #[arg(long)]
    pub no_commit: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image: NAME[:TAG]@sha256:<64 hex>.
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: String,
    /// Print JSON (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The images: NAME[:TAG]@sha256:<64 hex> each.
    #[arg(value_name = "REF@sha256:HEX", required_unless_present = "release")]
    pub references: Vec<String>,
    /// Gate every package of the release in the digests directory.
    #[arg(long, conflicts_with = "references")]
    pub release: bool,
    /// The release digests directory (default: the workspace's digests/).
    #[arg(long, value_name = "DIR", requires = "release")]
    pub digests: Option<PathBuf>,
    /// Distinct maintainers required; quorate.toml may raise it, never lower it.
    #[arg(long, value_name = "N", default_value_t = quorate::workspace::DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub threshold: u32,
    /// Print JSON (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Run this command when the gate passes, and exit with its status.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Every maintainer key has a certificate, every certificate is a maintainer's; name revoked
    /// and expired keys.
    Check,
    /// Write the maintainers' certificates as one binary keyring (podman's keyPath).
    Export {
        /// The file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}
