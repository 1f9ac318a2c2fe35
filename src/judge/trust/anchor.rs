//! Which version of the chain a workspace is judged from, and what this clone remembers of it.
//! The policy, in one place: the anchor the caller pinned; else the newest version this clone
//! saw in force (trust on first use, remembered); else none, and the chain is trusted from
//! version 1 as found. Judging through an `Anchor` remembers what it saw, so a program using the
//! library is protected as the CLI is (docs/trust.md).

use super::chain::{load_chain, Chain, ChainError};
use super::memory::{recall, remember, Remembered};
use super::standing::{standing, Standing};
use crate::keys::verify::Verifier;
use crate::workspace::Workspace;

/// Where the chain of trust roots is verified from.
#[derive(Debug, Clone)]
pub struct Anchor {
    pinned: Option<String>,
    remembered: Option<Remembered>,
    /// Trusting the chain as found (trust on first use) is refused.
    required: bool,
}

/// A chain that cannot be trusted from the anchor. Always a refusal (exit 1).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AnchorError {
    /// The chain as found is malformed, or lacks the pinned version.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The chain no longer holds the version this clone remembered in force: a push deleted or
    /// rewrote it.
    #[error(
        "this clone saw trust root version {} ({}) in force at commit {}, and {}: a push deleted or rewrote the chain of trust roots",
        remembered.version,
        remembered.digest,
        crate::text::short_id(remembered.commit),
        if *no_chain { "the tree holds no chain now" } else { "the chain no longer holds it" }
    )]
    Lost {
        /// What this clone remembered.
        remembered: Remembered,
        /// True when the tree holds no chain at all any more.
        no_chain: bool,
    },
    /// An anchor is required (`--require-anchor`) and there is none: nothing pinned, nothing
    /// this clone remembers, so the chain would be trusted as found.
    #[error("--require-anchor: no trust anchor: nothing is pinned and this clone remembers no version, so the chain of trust roots would be trusted as found (trust on first use); pin the version you trust with --trust-anchor sha256:… (QUORATE_TRUST_ANCHOR), as `quorate trust status` prints it")]
    Required,
}

crate::fault::always!(Refused: AnchorError);

impl Anchor {
    /// The anchor `workspace` is judged from: `pinned` (`sha256:<hex>` of a version, given from
    /// outside the repository), else what this clone remembers, else none.
    pub fn resolve(workspace: &Workspace, pinned: Option<&str>) -> Anchor {
        let pinned = pinned.map(str::to_string);
        let remembered = pinned.is_none().then(|| recall(workspace)).flatten();
        Anchor {
            pinned,
            remembered,
            required: false,
        }
    }

    /// The same anchor, refusing in `judge` to trust the chain as found when `required`
    /// (`--require-anchor`, QUORATE_REQUIRE_ANCHOR=1: CI, where every clone is a first use).
    pub fn required(mut self, required: bool) -> Anchor {
        self.required = required;
        self
    }

    /// The digest the chain is verified from, when there is one.
    pub fn digest(&self) -> Option<&str> {
        self.pinned
            .as_deref()
            .or(self.remembered.as_ref().map(|r| r.digest.as_str()))
    }

    /// The pinned anchor, when one was given.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// What this clone remembered, when nothing was pinned and it remembers something.
    pub fn remembered(&self) -> Option<&Remembered> {
        self.remembered.as_ref()
    }

    /// How the anchor came, for people.
    pub fn describe(&self) -> String {
        match (&self.pinned, &self.remembered) {
            (Some(a), _) => format!("the pinned anchor {a}"),
            (None, Some(r)) => format!(
                "version {}, which this clone saw in force ({})",
                r.version, r.file
            ),
            (None, None) => "version 1 as found (trust on first use)".into(),
        }
    }

    /// The chain, verified from this anchor, without remembering anything.
    pub fn load_chain(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Option<Chain>, AnchorError> {
        load_chain(workspace, verifier, self.digest()).map_err(|e| self.lost(e))
    }

    /// How the working trust root stands against the chain verified from this anchor, without
    /// remembering anything (for a look at a workspace just edited).
    pub fn standing(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Standing, AnchorError> {
        standing(workspace, verifier, self.digest()).map_err(|e| self.lost(e))
    }

    /// `standing`, then the version in force remembered (when nothing is pinned): what every
    /// command that judges signatures does first. Refused when an anchor is required and there
    /// is none.
    pub fn judge(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Standing, AnchorError> {
        if self.required && self.digest().is_none() {
            return Err(AnchorError::Required);
        }
        let standing = self.standing(workspace, verifier)?;
        if let Some(chain) = standing.chain() {
            self.remember(workspace, chain);
        }
        Ok(standing)
    }

    /// Remembers the newest version in force of a committed chain, when nothing is pinned.
    pub fn remember(&self, workspace: &Workspace, chain: &Chain) {
        if self.pinned.is_none() {
            remember(workspace, chain, self.remembered.as_ref());
        }
    }

    /// A chain that lost what this clone remembered is `Lost`; any other error is the chain's.
    fn lost(&self, e: ChainError) -> AnchorError {
        match (&self.remembered, &e) {
            (Some(r), ChainError::AnchorMissing { .. } | ChainError::NoChain { .. }) => {
                AnchorError::Lost {
                    remembered: r.clone(),
                    no_chain: matches!(e, ChainError::NoChain { .. }),
                }
            }
            _ => AnchorError::Chain(e),
        }
    }
}
