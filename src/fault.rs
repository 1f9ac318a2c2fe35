//! Every library error says what kind of failure it is, once, where it is defined; a program
//! decides its exit status from that alone. A leaf: it imports nothing of quorate's.

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bad usage or input: a file that cannot be read or parsed, an argument that names
    /// nothing, a tool that is missing. The CLI exits 2.
    Input,
    /// Refused or invalid: the inputs were read, and the answer is no (a signature that does not
    /// verify, a chain that cannot be trusted, something in the way). The CLI exits 1.
    Refused,
}

/// An error that knows its `Fault`.
pub trait Classify: std::error::Error {
    /// What kind of failure this is.
    fn fault(&self) -> Fault;
}

/// Implements `Classify` for error types that are always one kind of failure.
macro_rules! always {
    ($fault:ident: $($error:ty),+ $(,)?) => {
        $(
            impl $crate::fault::Classify for $error {
                fn fault(&self) -> $crate::fault::Fault {
                    $crate::fault::Fault::$fault
                }
            }
        )+
    };
}

pub(crate) use always;
