//! How a command ends, as data: it passed, it was refused, or it ran the gated command; or it
//! failed. The exit status is decided here, in one place, from that alone.

use std::process::ExitCode;

use quorate::fault::{Classify, Fault};

/// A command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything asked for holds (exit 0).
    Passed,
    /// The answer is no: short of quorum, an invalid signature, a finding that is an error
    /// (exit 1).
    Refused,
    /// `gate -- CMD` ran CMD: its exit status is the gate's.
    Ran(u8),
}

impl Outcome {
    /// Passed when `ok`, else refused.
    pub(crate) fn passed_if(ok: bool) -> Outcome {
        if ok {
            Outcome::Passed
        } else {
            Outcome::Refused
        }
    }
}

/// A failure that ends the program: what kind it is and one line for stderr.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) fault: Fault,
    pub(crate) message: String,
}

impl Failure {
    /// Bad usage or input the program itself found.
    pub(crate) fn input(message: impl ToString) -> Failure {
        Failure {
            fault: Fault::Input,
            message: message.to_string(),
        }
    }

    /// A refusal the program itself decided.
    pub(crate) fn refused(message: impl ToString) -> Failure {
        Failure {
            fault: Fault::Refused,
            message: message.to_string(),
        }
    }

    /// The same failure, its message prefixed (the flag the value came from, say).
    pub(crate) fn prefixed(mut self, prefix: &str) -> Failure {
        self.message.insert_str(0, prefix);
        self
    }

    /// The same failure, with a hint after its message.
    pub(crate) fn hinted(mut self, hint: &str) -> Failure {
        self.message.push_str(hint);
        self
    }
}

/// A library error is the failure its `Fault` says it is.
impl<E: Classify> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            fault: e.fault(),
            message: e.to_string(),
        }
    }
}

/// The exit status: 0 passed, 1 refused or invalid, 2 bad usage or input; `gate -- CMD`
/// exits as CMD did.
pub(crate) fn exit_status(result: Result<Outcome, Failure>) -> ExitCode {
    match result {
        Ok(Outcome::Passed) => ExitCode::from(0),
        Ok(Outcome::Refused) => ExitCode::from(1),
        Ok(Outcome::Ran(code)) => ExitCode::from(code),
        Err(failure) => {
            // A block: an error may quote a file's line under its message, caret beneath.
            std::eprintln!("quorate: {}", crate::output::block(&failure.message));
            ExitCode::from(match failure.fault {
                Fault::Refused => 1,
                Fault::Input => 2,
            })
        }
    }
}
