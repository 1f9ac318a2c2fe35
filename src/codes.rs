//! Stable codes: one definition per enum gives its variants, their kebab-case codes, the list of
//! every code and its JSON form, so the three can never drift apart. A leaf: it imports nothing
//! of quorate's.

/// Defines a `#[non_exhaustive]` enum of stable codes: each variant with its docs and its code,
/// in documentation order. Generates `ALL`, `code()`, `Display` and `Serialize` (as the code).
macro_rules! stable_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$doc:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$doc])* $variant, )*
        }

        impl $name {
            /// Every code, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable kebab-case code.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }
    };
}

pub(crate) use stable_codes;

/// True when `code` is lowercase kebab-case: what every stable code must be.
#[cfg(test)]
pub(crate) fn is_kebab_case(code: &str) -> bool {
    !code.is_empty()
        && !code.starts_with('-')
        && !code.ends_with('-')
        && !code.contains("--")
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
