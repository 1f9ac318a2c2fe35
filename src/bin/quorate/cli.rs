//! The command line: clap types only, parsed once into plain settings for the library.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use quorate::workspace::Threshold;

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
    /// The workspace directory (MAINTAINERS, keyring/, signatures/, digests/); default: the
    /// nearest directory holding MAINTAINERS or quorate.toml, from here upward.
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Read the certificates from DIR instead of the workspace's keyring/.
    #[arg(long, global = true, value_name = "DIR")]
    pub keyring: Option<PathBuf>,
    /// Read the maintainers from FILE instead of the workspace's MAINTAINERS.
    #[arg(long, global = true, value_name = "FILE")]
    pub maintainers: Option<PathBuf>,
    /// The trust root version you already trust (its digest, pinned outside the repository): the
    /// chain of maintainer sets must contain it and is verified from it forward.
    #[arg(long, global = true, value_name = "sha256:HEX", env = "QUORATE_TRUST_ANCHOR",
          value_parser = parse_anchor)]
    pub trust_anchor: Option<String>,
    /// Refuse to trust the chain of trust roots as found (trust on first use): judging needs
    /// --trust-anchor, or a version this clone remembers. For CI.
    #[arg(long, global = true, env = "QUORATE_REQUIRE_ANCHOR", value_parser = clap::builder::FalseyValueParser::new())]
    pub require_anchor: bool,
    /// Print only the result and warnings: no notes on stderr (where the chain was verified
    /// from, progress).
    #[arg(long, short = 'q', global = true, env = "QUORATE_QUIET", value_parser = clap::builder::FalseyValueParser::new())]
    pub quiet: bool,
}

fn parse_anchor(text: &str) -> Result<String, String> {
    let hex = text.strip_prefix("sha256:").unwrap_or("");
    if hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(text.to_string())
    } else {
        Err("expected sha256: and 64 lowercase hex digits (quorate trust status prints it)".into())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: MAINTAINERS, keyring/, digests/, signatures/ and quorate.toml, in git.
    Init {
        /// Where (default: the current directory); made when missing.
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Where the release's images are published, as `<namespace>/<package>` (written to
        /// quorate.toml; without it, StageX's docker.io/stagex).
        #[arg(long, value_name = "NAMESPACE")]
        namespace: Option<String>,
    },
    /// Print shell completions for bash, zsh or fish on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Write a man page per command (quorate.1, quorate-sign.1, ...) into DIR.
    Man {
        /// The directory to write into; made when missing.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// List, add or remove maintainers: MAINTAINERS and keyring/ edited together.
    #[command(subcommand)]
    Maintainers(MaintainersCommand),
    /// Sign an image digest as a maintainer and commit the signature.
    Sign(SignArgs),
    /// Judge every signature of one image, file by file.
    Verify(VerifyArgs),
    /// Pass only when every image is signed by enough distinct maintainers; then run CMD.
    Gate(GateArgs),
    /// Who signed which digest, when, with which key, in which commit; and what is wrong.
    Audit(AuditArgs),
    /// Withdraw your own signature of an image: remove it, close the gap, keep a signed statement.
    Withdraw(WithdrawArgs),
    /// Publish your signatures: fast-forward, or replay on the remote branch, verified, pushed.
    ///
    /// Fetches the branch; pushes your commits as made when the remote is below them, otherwise
    /// replays your unpublished signature, withdrawal and repair commits on top of it (files
    /// renumbered to the next free numbers), verifies every replayed file, and pushes with git.
    /// A remote rewritten since this clone last saw it is refused.
    Sync(SyncArgs),
    /// Close every gap in the numbering by renumbering (podman stops at the first gap).
    Repair(RepairArgs),
    /// Write the lookaside as podman reads it into DIR: a revision's signature-N files, nothing
    /// else, swapped in whole.
    Publish(PublishArgs),
    /// What you still have to do: release images you have not signed, images short of quorum,
    /// a trust proposal awaiting your approval, and whether your clone is behind the remote.
    Status(StatusArgs),
    /// Print the exact bytes to sign for an image (for signing on another machine).
    Payload(PayloadArgs),
    /// Verify a signature made elsewhere and place it at the next free number.
    Add(AddArgs),
    /// Compute and compare rebuild digests.
    #[command(subcommand)]
    Digests(DigestsCommand),
    /// Check, import or export the maintainers' keyring.
    #[command(subcommand)]
    Keyring(KeyringCommand),
    /// Make podman need the quorum at pull time, or check how many maintainers a policy needs.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Change who may sign only with the quorum: a signed chain of maintainer sets.
    #[command(subcommand)]
    Trust(TrustCommand),
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Propose the next trust root from the working MAINTAINERS and quorate.toml, and commit it.
    Propose,
    /// Approve the pending proposal (prints what it changes) and commit the approval.
    Sign {
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// The chain: each version, who approved it, who is still needed, which is in force.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The shells `quorate completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

#[derive(Debug, Subcommand)]
pub enum MaintainersCommand {
    /// Everyone in MAINTAINERS, their keys and where each key's certificate is.
    List {
        /// Print JSON (schema in docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Add a person with their certificates: MAINTAINERS gains them, keyring/ their certificates.
    Add {
        /// The handle, as in [people.HANDLE].
        #[arg(value_name = "HANDLE")]
        handle: String,
        /// Their name: required for a new person; for one already listed, it must be the name
        /// listed (a rename is an edit of MAINTAINERS, never a side effect of adding a key).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Their email (repeat for several): required for a new person; for one already
        /// listed, each must be among their emails.
        #[arg(long, value_name = "EMAIL")]
        email: Vec<String>,
        /// Their public certificates (armored or binary); each primary key is listed.
        #[arg(value_name = "CERT_FILE", required_unless_present_any = ["cosign_key", "keyless"])]
        certs: Vec<PathBuf>,
        /// List a cosign public key (PEM) instead: copied to keyring/cosign/, pinned by its
        /// `sha256:` id.
        #[arg(long, value_name = "PUB_PEM", conflicts_with_all = ["certs", "keyless"])]
        cosign_key: Option<PathBuf>,
        /// List a keyless identity instead: the OIDC issuer and the certificate's subject
        /// (email or URI), both matched exactly.
        #[arg(long, num_args = 2, value_names = ["ISSUER", "SUBJECT"], conflicts_with = "certs")]
        keyless: Vec<String>,
    },
    /// Remove a person: their MAINTAINERS entries and the keyring files holding only their keys.
    Remove {
        /// The handle, as in [people.HANDLE].
        #[arg(value_name = "HANDLE")]
        handle: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Write a policy.json that makes podman, skopeo, buildah and CRI-O need k maintainers.
    ///
    /// One signedBy per group of M-k+1 maintainers, each holding the keys of that group's
    /// people, so any k distinct people satisfy all of them and k-1 never do (docs/consumers.md).
    Export(PolicyExportArgs),
    /// How many distinct maintainers each docker scope of a policy.json really needs.
    Check(PolicyCheckArgs),
}

#[derive(Debug, Args)]
pub struct PolicyExportArgs {
    /// The directory to write policy.json (and registries.d/quorate.yaml) into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// A scope the images are pulled from and signed under (default: quorate.toml's namespace).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// A mirror: images pulled from SCOPE carry signatures made for SIGNED_PREFIX.
    #[arg(long, value_name = "SCOPE=SIGNED_PREFIX")]
    pub mirror: Vec<String>,
    /// Where the signatures are published (https://, http:// or file://): writes
    /// registries.d/quorate.yaml.
    #[arg(long, value_name = "URL")]
    pub lookaside: Option<String>,
    /// Start from this policy.json, replacing only the scopes quorate writes; an entry inside one
    /// of them (podman would use it instead) that needs fewer maintainers is refused.
    #[arg(long, value_name = "POLICY_JSON")]
    pub merge: Option<PathBuf>,
    /// With --merge: replace each weaker entry inside a scope written with the quorum, rather
    /// than refuse.
    #[arg(long, requires = "merge")]
    pub replace_weaker: bool,
    #[command(flatten)]
    pub threshold: ThresholdArg,
    /// Print JSON (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// The policy.json to check.
    #[arg(value_name = "POLICY_JSON")]
    pub policy: PathBuf,
    /// Check only the scope podman would use for this repository or namespace, with every
    /// entry more specific than it.
    #[arg(long, value_name = "SCOPE", conflicts_with = "image")]
    pub scope: Option<String>,
    /// Evaluate this image as `podman pull NAME@sha256:…` would, requirement by requirement.
    #[arg(long, value_name = "REF@sha256:HEX")]
    pub image: Option<String>,
    /// With --image: read its signatures from this published lookaside (https://, http:// or
    /// file://) instead of the workspace's signatures/.
    #[arg(long, value_name = "URL", requires = "image")]
    pub lookaside: Option<String>,
    #[command(flatten)]
    pub threshold: ThresholdArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The image: NAME:TAG@sha256:<64 hex>, e.g. stagex/pallet-rust:1.0@sha256:2fbe….
    #[arg(
        value_name = "REF@sha256:HEX",
        required_unless_present = "release",
        conflicts_with = "release"
    )]
    pub reference: Option<String>,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Refuse what your own rebuild does not show: an OUT_DIR of OCI layouts, or a digests
    /// directory or file (default: quorate.toml's `rebuilt`). Signing needs it or --no-rebuild.
    #[arg(long, value_name = "PATH")]
    pub rebuilt: Option<PathBuf>,
    /// Sign what you did not rebuild: said so in the commit message.
    #[arg(long, conflicts_with_all = ["release", "rebuilt"])]
    pub no_rebuild: bool,
    /// Sign a digest the release's digests/ does not hold (with --no-rebuild): you mean it.
    #[arg(long, requires = "no_rebuild")]
    pub not_in_release: bool,
    /// Sign every package of the release that your rebuild (--rebuilt, or quorate.toml's
    /// `rebuilt`) reproduces.
    #[arg(long)]
    pub release: bool,
    /// The release digests directory (default: the workspace's digests/).
    #[arg(long, value_name = "DIR", requires = "release")]
    pub digests: Option<PathBuf>,
    /// The tag of packages whose rebuild layout names none.
    #[arg(long, value_name = "TAG", requires = "release")]
    pub tag: Option<String>,
    /// Write the signatures but do not commit them.
    #[arg(long)]
    pub no_commit: bool,
}

/// Who signs: a key file or the maintainer's own GnuPG.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("signer_kind").required(true).args(["key", "gpg", "cosign_key"])))]
#[command(group(ArgGroup::new("key_file").args(["key", "cosign_key"])))]
pub struct SignerArgs {
    /// The maintainer's secret key, as `gpg --export-secret-keys` writes it.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Sign image votes with a cosign key (`cosign generate-key-pair`'s cosign.key): the
    /// legacy Sigstore form cosign and containers/image read (sign only).
    #[arg(long, value_name = "FILE")]
    pub cosign_key: Option<PathBuf>,
    /// Read the key file's passphrase from FILE (first line).
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub passphrase_file: Option<PathBuf>,
    /// Sign with your own GnuPG (gpg-agent, smartcards): `gpg --sign --no-armor --local-user KEY`.
    #[arg(long)]
    pub gpg: bool,
    /// The gpg key to sign with (default: git config user.signingkey).
    #[arg(long, value_name = "KEY", requires = "gpg")]
    pub signer: Option<String>,
    /// The program to run instead of gpg (StageX's STAGEX_GPG_SIGN), with its own arguments.
    #[arg(long, value_name = "CMD", requires = "gpg")]
    pub gpg_program: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only these images (NAME[:TAG]@sha256:<64 hex>); default: the whole signatures tree.
    #[arg(value_name = "REF@sha256:HEX", conflicts_with = "release")]
    pub references: Vec<String>,
    /// Audit every platform manifest of the release in the digests directory.
    #[arg(long)]
    pub release: bool,
    /// The release digests directory (default: the workspace's digests/).
    #[arg(long, value_name = "DIR", requires = "release")]
    pub digests: Option<PathBuf>,
    /// Only what this maintainer signed.
    #[arg(long, value_name = "HANDLE")]
    pub maintainer: Option<String>,
    /// Follow signature files through the git history: rollbacks, rewrites, moves, withdrawals.
    #[arg(long)]
    pub history: bool,
    /// Compare the tree with what this lookaside (https://, http://, file://) serves: files
    /// missing from it, served but not in git, or served with other bytes.
    #[arg(long, value_name = "URL", conflicts_with = "lookaside")]
    pub published: Option<String>,
    #[command(flatten)]
    pub threshold: ThresholdArg,
    /// Print JSON (schema in docs/audit.md).
    #[arg(long)]
    pub json: bool,
    /// Write the audit as one self-contained HTML page to FILE (the matrix, findings, timeline).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// The image: NAME:TAG@sha256:<64 hex> (that tag's signature), or NAME@sha256:<64 hex> (all).
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: String,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Why: kept in the signed statement (nobody can change it later) and shown by audit.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Change the files but do not commit.
    #[arg(long)]
    pub no_commit: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The remote to fetch from and push to.
    #[arg(default_value = "origin")]
    pub remote: String,
    /// The branch (default: the current branch's name).
    pub branch: Option<String>,
    /// Push to this branch instead (for a merge request).
    #[arg(long, value_name = "BRANCH")]
    pub push_to: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Whose status: a handle, or a fingerprint or key id of their key (default: git config
    /// user.signingkey, the key `sign --gpg` uses).
    #[arg(long, value_name = "KEY")]
    pub signer: Option<String>,
    /// The remote to compare with (default: the branch's upstream remote, else origin).
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
    /// Compare with what was last fetched instead of fetching.
    #[arg(long)]
    pub no_fetch: bool,
    #[command(flatten)]
    pub threshold: ThresholdArg,
    /// Print JSON (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The directory served as the lookaside (made when missing; it may hold only what
    /// publish writes).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The git revision whose signatures to publish (in the repository holding signatures/).
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub at: String,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Only these images; default: every image directory of the tree.
    #[arg(value_name = "REF@sha256:HEX")]
    pub references: Vec<String>,
    /// Renumber but do not commit.
    #[arg(long)]
    pub no_commit: bool,
}

#[derive(Debug, Args)]
pub struct PayloadArgs {
    /// The image: NAME:TAG@sha256:<64 hex>.
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: String,
    /// Print cosign's simple-signing payload instead (the repository without its tag), for
    /// `cosign sign-blob --bundle`; `quorate add --bundle` takes the bundle back.
    #[arg(long)]
    pub cosign: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A signature made elsewhere (for example on an air-gapped machine): an OpenPGP
    /// signature, or a Sigstore one in the legacy form (`\x00sigstore-json\n`...), placed in the
    /// directory of the image its payload names.
    #[arg(value_name = "FILE", required_unless_present = "bundle")]
    pub file: Option<PathBuf>,
    /// The image it signs: NAME:TAG@sha256:<64 hex> (required for an OpenPGP signature).
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: Option<String>,
    /// A Sigstore bundle: a DSSE one (`cosign sign --bundle`) is placed as the next
    /// sigstore-bundle-N.json; a messageSignature one (`cosign sign-blob --bundle` over
    /// `quorate payload --cosign`) is converted to the legacy form podman reads.
    #[arg(long, value_name = "FILE", conflicts_with = "file", requires = "image")]
    pub bundle: Option<PathBuf>,
    /// The image a bundle is a vote for (a bundle names no repository).
    #[arg(long, value_name = "REF@sha256:HEX")]
    pub image: Option<String>,
    /// Place the signature but do not commit it.
    #[arg(long)]
    pub no_commit: bool,
}

#[derive(Debug, Subcommand)]
pub enum DigestsCommand {
    /// Record every platform manifest digest of the OCI layouts under OUT_DIR.
    Compute {
        /// The build output: OCI image layouts anywhere below it.
        #[arg(value_name = "OUT_DIR")]
        out_dir: PathBuf,
        /// Write <stage>.txt (and <stage>.platforms) files into DIR instead of printing them.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
    /// Compare maintainers' rebuilds: digests directories, digests files or OUT_DIRs.
    Compare {
        /// Two or more rebuilds.
        #[arg(value_name = "REBUILD", num_args = 2.., required = true)]
        rebuilds: Vec<PathBuf>,
    },
}

/// How signatures are judged: when, and whether StageX's legacy payloads count.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// Judge as if it were TIME (RFC 3339, e.g. 2024-07-01T00:00:00Z): only signatures made by
    /// then count, and keys must have been valid then.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<std::time::SystemTime>,
    /// Count StageX's legacy payloads (podman cannot read them), matched by repository alone.
    #[arg(long)]
    pub accept_legacy: bool,
    /// Read the tree, MAINTAINERS, keyring/ and quorate.toml from git revision REV (where they
    /// are in the repository holding signatures/), not from the working tree.
    #[arg(long, value_name = "REV")]
    pub at: Option<String>,
    /// With --at: judge a revision on a line rewritten since this clone recorded the trust root
    /// it saw in force (neither an ancestor nor a descendant of that commit) from its own chain,
    /// as found, instead of refusing it as the working tree would be (docs/trust.md).
    #[arg(long, requires = "at")]
    pub as_found: bool,
    /// Read the signatures from a published lookaside (https://, http:// or file://) as podman
    /// reads them, instead of signatures/.
    #[arg(long, value_name = "URL")]
    pub lookaside: Option<String>,
    /// Give up on an image whose signatures the lookaside (--lookaside, --published) has not
    /// served in SECONDS in all: it is unreadable (default 60).
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub lookaside_deadline: u64,
    /// Give up on every image not read from the lookaside within SECONDS of the start (default
    /// 600).
    #[arg(long, value_name = "SECONDS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub lookaside_run_deadline: u64,
}

impl JudgeArgs {
    /// The deadlines for reading a lookaside.
    pub fn deadlines(&self) -> quorate::workspace::lookaside::Deadlines {
        quorate::workspace::lookaside::Deadlines {
            image: std::time::Duration::from_secs(self.lookaside_deadline),
            run: std::time::Duration::from_secs(self.lookaside_run_deadline),
        }
    }
}

fn parse_time(text: &str) -> Result<std::time::SystemTime, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc).into())
        .map_err(|e| format!("not an RFC 3339 time ({e})"))
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image: NAME[:TAG]@sha256:<64 hex>.
    #[arg(value_name = "REF@sha256:HEX")]
    pub reference: String,
    #[command(flatten)]
    pub judge: JudgeArgs,
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
    /// With --release: the images about to be pushed (an OUT_DIR or digests); any that differ
    /// from the release's are refused.
    #[arg(long, value_name = "PATH", requires = "release")]
    pub rebuilt: Option<PathBuf>,
    #[command(flatten)]
    pub threshold: ThresholdArg,
    /// Print JSON (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Run this command when the gate passes, and exit with its status.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Every maintainer key has a certificate, every certificate is a maintainer's; name revoked
    /// and expired keys.
    Check,
    /// Merge updated copies of maintainers' certificates (renewed expiry, new subkey,
    /// revocation) into the keyring; a certificate no maintainer holds refuses the import.
    Import {
        /// Certificate files (armored or binary, any number of certificates each).
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Write the maintainers' certificates as one binary keyring (podman's keyPath).
    Export {
        /// The file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

/// `--threshold N`, as every judging command takes it.
#[derive(Debug, Args)]
pub struct ThresholdArg {
    /// Distinct maintainers required; quorate.toml may raise it, never lower it.
    #[arg(long = "threshold", value_name = "N", default_value_t = Threshold::DEFAULT,
          value_parser = ThresholdParser)]
    pub value: Threshold,
}

/// Parses `--threshold` as clap parses a `u32` of at least 1 (its messages unchanged), into the
/// library's `Threshold`.
#[derive(Debug, Clone, Copy)]
struct ThresholdParser;

impl clap::builder::TypedValueParser for ThresholdParser {
    type Value = Threshold;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Threshold, clap::Error> {
        let n = clap::value_parser!(u32)
            .range(1..)
            .parse_ref(cmd, arg, value)?;
        Threshold::new(n)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::ValueValidation).with_cmd(cmd))
    }
}
