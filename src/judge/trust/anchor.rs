//! Which version of the chain a workspace is judged from, and what this clone remembers of it.
//! The policy, in one place: the anchor the caller pinned and the newest version this clone saw
//! in force (trust on first use, remembered) combine: the chain must hold both, and the newer is
//! the floor it is verified from; with neither, the chain is trusted from version 1 as found.
//! Whatever an ancestor commit held in force must still be in force (history). Judging through
//! an `Anchor` remembers what it saw, pinned or not, so a program using the library is protected
//! as the CLI is (docs/trust.md).

use super::chain::{load_chain, Chain, ChainError};
use super::history::{lost_from_history, Lost};
use super::memory::{recall, remember, Line, Remembered};
use super::standing::{standing, Standing};
use crate::keys::verify::Verifier;
use crate::workspace::Workspace;

/// Where the chain of trust roots is verified from.
#[derive(Debug, Clone)]
pub struct Anchor {
    pinned: Option<String>,
    remembered: Option<Remembered>,
    /// True when the revision judged lies on a line rewritten since the memory was recorded.
    rewritten: bool,
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
    /// An ancestor commit of the judged state held a version in force that the chain judged
    /// lost: the chain was truncated or rewritten by a push.
    #[error(
        "trust root version {} ({}) was in force at commit {}, an ancestor of what is judged, and {}: a version in force never disappears (a push truncated or rewrote the chain of trust roots)",
        .0.version,
        .0.digest,
        crate::text::short_id(.0.commit),
        .0.now
    )]
    Truncated(Lost),
    /// An anchor is required (`--require-anchor`) and there is none: nothing pinned, nothing
    /// this clone remembers, so the chain would be trusted as found.
    #[error("--require-anchor: no trust anchor: nothing is pinned and this clone remembers no version, so the chain of trust roots would be trusted as found (trust on first use); pin the version you trust with --trust-anchor sha256:… (QUORATE_TRUST_ANCHOR), as `quorate trust status` prints it")]
    Required,
}

crate::fault::always!(Refused: AnchorError);

impl Anchor {
    /// The anchor `workspace` is judged from: `pinned` (`sha256:<hex>` of a version, given from
    /// outside the repository) and what this clone remembers, either, or none.
    pub fn resolve(workspace: &Workspace, pinned: Option<&str>) -> Anchor {
        let (remembered, line) = match recall(workspace) {
            Some((r, line)) => (Some(r), line),
            None => (None, Line::Same),
        };
        Anchor {
            pinned: pinned.map(str::to_string),
            remembered,
            rewritten: line == Line::Rewritten,
            required: false,
        }
    }

    /// The same anchor, refusing in `judge` to trust the chain as found when `required`
    /// (`--require-anchor`, QUORATE_REQUIRE_ANCHOR=1: CI, where every clone is a first use).
    pub fn required(mut self, required: bool) -> Anchor {
        self.required = required;
        self
    }

    /// With `as_found`, a revision on a rewritten line is judged from its own chain as found,
    /// not held to this clone's memory (`--as-found`, asked for explicitly).
    pub fn rewritten_as_found(mut self, as_found: bool) -> Anchor {
        if as_found && self.rewritten {
            self.remembered = None;
        }
        self
    }

    /// True when the revision judged lies on a line rewritten since this clone recorded what it
    /// saw (and it is held to that memory unless judged as found).
    pub fn rewritten(&self) -> bool {
        self.rewritten
    }

    /// The digests the chain must hold: the pinned one and the remembered one.
    fn anchors(&self) -> Vec<&str> {
        self.pinned
            .as_deref()
            .into_iter()
            .chain(self.remembered.as_ref().map(|r| r.digest.as_str()))
            .collect()
    }

    /// The digest pinned, else the one remembered, when there is one.
    pub fn digest(&self) -> Option<&str> {
        self.pinned
            .as_deref()
            .or(self.remembered.as_ref().map(|r| r.digest.as_str()))
    }

    /// The pinned anchor, when one was given.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// What this clone remembered, when it remembers something that applies.
    pub fn remembered(&self) -> Option<&Remembered> {
        self.remembered.as_ref()
    }

    /// How the anchor came, for people.
    pub fn describe(&self) -> String {
        match (&self.pinned, &self.remembered) {
            (Some(a), Some(r)) => format!(
                "the pinned anchor {a} and version {}, which this clone saw in force ({})",
                r.version, r.file
            ),
            (Some(a), None) => format!("the pinned anchor {a}"),
            (None, Some(r)) => format!(
                "version {}, which this clone saw in force ({})",
                r.version, r.file
            ),
            (None, None) => "version 1 as found (trust on first use)".into(),
        }
    }

    /// The chain, verified from this anchor and against history, without remembering anything.
    pub fn load_chain(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Option<Chain>, AnchorError> {
        let anchors = self.anchors();
        let chain = load_chain(workspace, verifier, &anchors).map_err(|e| self.lost(e))?;
        self.check_history(workspace, verifier, chain.as_ref())?;
        Ok(chain)
    }

    /// How the working trust root stands against the chain verified from this anchor, without
    /// remembering anything (for a look at a workspace just edited).
    pub fn standing(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Standing, AnchorError> {
        let anchors = self.anchors();
        let standing = standing(workspace, verifier, &anchors).map_err(|e| self.lost(e))?;
        self.check_history(workspace, verifier, standing.chain())?;
        Ok(standing)
    }

    /// `standing`, then the version in force remembered (when nothing is pinned): what every
    /// command that judges signatures does first. Refused when an anchor is required and there
    /// is none.
    pub fn judge(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
    ) -> Result<Standing, AnchorError> {
        self.require()?;
        let standing = self.standing(workspace, verifier)?;
        if let Some(chain) = standing.chain() {
            self.remember(workspace, chain);
        }
        Ok(standing)
    }

    /// Refused when an anchor is required and there is none: nothing pinned, nothing remembered.
    pub fn require(&self) -> Result<(), AnchorError> {
        if self.required && self.digest().is_none() {
            return Err(AnchorError::Required);
        }
        Ok(())
    }

    /// Remembers the newest version in force of a committed chain, pinned or not: a run pinned
    /// to an old version still records the newer one it saw, so the pin never lowers the floor.
    pub fn remember(&self, workspace: &Workspace, chain: &Chain) {
        remember(workspace, chain, self.remembered.as_ref());
    }

    /// A version an ancestor commit held in force must still be in force here.
    fn check_history(
        &self,
        workspace: &Workspace,
        verifier: &Verifier,
        chain: Option<&Chain>,
    ) -> Result<(), AnchorError> {
        let seen = self.remembered.as_ref().map(|r| r.commit);
        match lost_from_history(workspace, verifier, &self.anchors(), chain, seen) {
            Some(lost) => Err(AnchorError::Truncated(lost)),
            None => Ok(()),
        }
    }

    /// A chain that lost what this clone remembered is `Lost`; any other error is the chain's
    /// (a missing pinned anchor is named as the caller's).
    fn lost(&self, e: ChainError) -> AnchorError {
        let Some(r) = &self.remembered else {
            return AnchorError::Chain(e);
        };
        match &e {
            ChainError::AnchorMissing { anchor, .. }
                if *anchor == r.digest && self.pinned.as_deref() != Some(anchor.as_str()) =>
            {
                AnchorError::Lost {
                    remembered: r.clone(),
                    no_chain: false,
                }
            }
            ChainError::NoChain { .. } if self.pinned.is_none() => AnchorError::Lost {
                remembered: r.clone(),
                no_chain: true,
            },
            _ => AnchorError::Chain(e),
        }
    }
}
