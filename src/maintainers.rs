//! The MAINTAINERS file, in StageX's TOML form: who the people are and which primary keys each
//! holds. A maintainer is a person; a person may hold several keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A MAINTAINERS file that cannot be used. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct MaintainersError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

/// One person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintainer {
    /// The table name under `[people.<handle>]`.
    pub handle: String,
    /// `name`, when given.
    pub name: Option<String>,
    /// `email`: a string or an array in the file.
    pub emails: Vec<String>,
    /// Primary fingerprints (40 uppercase hex), with the label of each `[keys.<handle>.<label>]`.
    pub keys: Vec<MaintainerKey>,
}

/// One key a maintainer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintainerKey {
    /// The `<label>` in `[keys.<handle>.<label>]`.
    pub label: String,
    /// The primary key fingerprint, 40 uppercase hex digits.
    pub fingerprint: String,
}

/// Everyone in MAINTAINERS, and which person each primary fingerprint belongs to.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    people: BTreeMap<String, Maintainer>,
    by_fingerprint: BTreeMap<String, String>,
}

impl Maintainers {
    /// Reads and checks a MAINTAINERS file.
    pub fn load(
        source: &dyn crate::source::Source,
        path: &Path,
    ) -> Result<Maintainers, MaintainersError> {
        let text = source
            .read(path, 16 * 1024 * 1024)
            .map_err(|e| MaintainersError {
                path: path.to_path_buf(),
                message: format!("cannot read: {e}"),
            })?;
        Maintainers::parse(path, &text)
    }

    /// Parses MAINTAINERS text; `path` only names the file in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Maintainers, MaintainersError> {
        let fail = |message: String| MaintainersError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            fail(format!("not valid TOML: {}", one_line(&e.to_string())))
        })?;

        let mut people = BTreeMap::new();
        if let Some(value) = table.get("people") {
            let people_table = value
                .as_table()
                .ok_or_else(|| fail("`people` is not a table".into()))?;
            for (handle, entry) in people_table {
                let entry = entry
                    .as_table()
                    .ok_or_else(|| fail(format!("`people.{handle}` is not a table")))?;
                let name = match entry.get("name") {
                    None => None,
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(_) => return Err(fail(format!("`people.{handle}.name` is not a string"))),
                };
                let emails = match entry.get("email") {
                    None => Vec::new(),
                    Some(toml::Value::String(s)) => vec![s.clone()],
                    Some(toml::Value::Array(items)) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            fail(format!(
                                "`people.{handle}.email` holds something other than strings"
                            ))
                        })?,
                    Some(_) => {
                        return Err(fail(format!(
                            "`people.{handle}.email` is not a string or an array"
                        )))
                    }
                };
                people.insert(
                    handle.clone(),
                    Maintainer {
                        handle: handle.clone(),
                        name,
                        emails,
                        keys: Vec::new(),
                    },
                );
            }
        }

        let mut by_fingerprint: BTreeMap<String, String> = BTreeMap::new();
        if let Some(value) = table.get("keys") {
            let keys_table = value
                .as_table()
                .ok_or_else(|| fail("`keys` is not a table".into()))?;
            for (handle, labels) in keys_table {
                let labels = labels
                    .as_table()
                    .ok_or_else(|| fail(format!("`keys.{handle}` is not a table")))?;
                let person = people.get_mut(handle).ok_or_else(|| {
                    fail(format!(
                        "`keys.{handle}` names no one: there is no [people.{handle}]"
                    ))
                })?;
                for (label, entry) in labels {
                    let id = entry
                        .as_table()
                        .and_then(|t| t.get("id"))
                        .ok_or_else(|| fail(format!("`keys.{handle}.{label}` has no `id`")))?
                        .as_str()
                        .ok_or_else(|| {
                            fail(format!("`keys.{handle}.{label}.id` is not a string"))
                        })?;
                    let fingerprint = normalize_fingerprint(id).ok_or_else(|| {
                        fail(format!(
                            "`keys.{handle}.{label}.id` is {id:?}, not a 40-hex-digit primary key fingerprint"
                        ))
                    })?;
                    if let Some(other) = by_fingerprint.get(&fingerprint) {
                        if other != handle {
                            return Err(fail(format!(
                                "key {fingerprint} is listed under two people, {other} and {handle}"
                            )));
                        }
                        return Err(fail(format!(
                            "key {fingerprint} is listed twice under {handle}"
                        )));
                    }
                    by_fingerprint.insert(fingerprint.clone(), handle.clone());
                    person.keys.push(MaintainerKey {
                        label: label.clone(),
                        fingerprint,
                    });
                }
            }
        }
        Ok(Maintainers {
            people,
            by_fingerprint,
        })
    }

    /// The person who holds this primary fingerprint (any case).
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&Maintainer> {
        let fingerprint = fingerprint.to_ascii_uppercase();
        self.by_fingerprint
            .get(&fingerprint)
            .and_then(|h| self.people.get(h))
    }

    /// A person by handle.
    pub fn get(&self, handle: &str) -> Option<&Maintainer> {
        self.people.get(handle)
    }

    /// Everyone, sorted by handle.
    pub fn people(&self) -> impl Iterator<Item = &Maintainer> {
        self.people.values()
    }

    /// Every listed primary fingerprint with its holder's handle, sorted by fingerprint.
    pub fn fingerprints(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_fingerprint
            .iter()
            .map(|(f, h)| (f.as_str(), h.as_str()))
    }
}

/// 40 hex digits in any case, returned uppercase; anything else is not a v4 fingerprint.
pub fn normalize_fingerprint(id: &str) -> Option<String> {
    (id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_ascii_uppercase())
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "6B61ECD76088748C70590D55E90A401336C8AAA9";
    const B: &str = "C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD";

    fn parse(text: &str) -> Result<Maintainers, MaintainersError> {
        Maintainers::parse(Path::new("MAINTAINERS"), text.as_bytes())
    }

    #[test]
    fn reads_people_and_their_keys() {
        let m = parse(&format!(
            "[people.alice]\nname = \"Alice\"\nemail = [\"a@x\", \"b@x\"]\nmatrix = \"@a\"\n\
             [keys.alice.card]\nid = \"{}\"\ndevices = \"Yubikey\"\n[keys.alice.desk]\nid = \"{B}\"\n\
             [machines.alice.desk]\narch = \"x86_64\"\n",
            A.to_lowercase()
        ))
        .unwrap();
        let alice = m.by_fingerprint(A).unwrap();
        assert_eq!(alice.handle, "alice");
        assert_eq!(alice.emails, vec!["a@x", "b@x"]);
        assert_eq!(m.by_fingerprint(B).unwrap().handle, "alice");
        assert_eq!(alice.keys.len(), 2);
    }

    #[test]
    fn one_fingerprint_under_two_people_is_an_input_error() {
        let err = parse(&format!(
            "[people.a]\n[people.b]\n[keys.a.k]\nid = \"{A}\"\n[keys.b.k]\nid = \"{A}\"\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("listed under two people"), "{err}");
        assert!(err.to_string().starts_with("MAINTAINERS: "));
    }

    #[test]
    fn malformed_files_are_named() {
        assert!(parse("[people.a\n")
            .unwrap_err()
            .to_string()
            .contains("not valid TOML"));
        assert!(parse("[people.a]\n[keys.a.k]\nid = \"ABC\"\n")
            .unwrap_err()
            .to_string()
            .contains("40-hex-digit"));
        assert!(parse("[keys.x.k]\nid = \"ABC\"\n")
            .unwrap_err()
            .to_string()
            .contains("names no one"));
        assert!(parse("[people.a]\n[keys.a.k]\nalgorithm = \"rsa\"\n")
            .unwrap_err()
            .to_string()
            .contains("no `id`"));
    }

    #[test]
    fn reads_the_real_stagex_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex/MAINTAINERS");
        let m = Maintainers::load(&crate::source::WorkingTree, &path).unwrap();
        assert_eq!(m.by_fingerprint(A).unwrap().handle, "lancevick");
        assert_eq!(m.by_fingerprint(B).unwrap().handle, "dannygrove");
    }
}
