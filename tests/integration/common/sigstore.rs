//! Sigstore votes made by independent tools: tests/support/sigstore/make.py (Python
//! `cryptography` and `pynacl`) writes an offline world (Fulcio-like CA, CT log, Rekor log,
//! trusted roots, cosign key files) and votes with their mutations; oracle.py runs sigstore-python
//! over them. The Python is found by `sigstore_python()`: `QUORATE_SIGSTORE_PYTHON`, else the venv
//! .ci/run makes (target/sigstore-venv).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of make.py and oracle.py.
pub fn sigstore_support() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sigstore")
}

/// A Python with `cryptography`, `pynacl` and `sigstore` 4.x, or None (said loudly; a failure
/// when QUORATE_REQUIRE_INTEROP is set, as .ci/run sets it).
pub fn sigstore_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("QUORATE_SIGSTORE_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sigstore-venv/bin/python"),
    };
    let works = Command::new(&candidate)
        .args(["-c", "import cryptography, nacl, sigstore.verify"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    let why = format!(
        "{} cannot import cryptography, nacl and sigstore (set QUORATE_SIGSTORE_PYTHON or run .ci/run)",
        candidate.display()
    );
    if std::env::var_os("QUORATE_REQUIRE_INTEROP").is_some() {
        panic!("sigstore-python is required (QUORATE_REQUIRE_INTEROP is set): {why}");
    }
    eprintln!("\n*** SKIPPED: {why}; this sigstore test did not run ***\n");
    None
}

/// One person of the world: a cosign key pair for everyone, a keyless identity for some.
#[derive(Debug, Clone)]
pub struct SigstorePerson {
    /// people/<name>/cosign.pub: the PEM public key.
    pub cosign_pub: PathBuf,
    /// `sha256:<hex of the DER SPKI>` of that key.
    pub key_id: String,
    /// The file holding the passphrase of the private key files.
    pub passphrase_file: PathBuf,
    /// Encrypted private key files as cosign writes them: path, PEM label, scrypt N.
    pub private_keys: Vec<(PathBuf, String, u64)>,
    /// The keyless identity (SAN: email or URI) and its OIDC issuer, when the person has one.
    pub identity: Option<(String, String)>,
}

/// One vote file and what it must give.
#[derive(Debug, Clone)]
pub struct SigstoreVote {
    /// The vote file (absolute).
    pub path: PathBuf,
    /// The file as the manifest and the oracle name it (`votes/<name>`).
    pub file: String,
    /// `legacy-key`, `legacy-keyless`, `bundle-dsse-key`, `bundle-dsse-keyless`,
    /// `bundle-message-key` or `bundle-message-keyless`.
    pub kind: String,
    /// Whose vote it claims to be.
    pub person: String,
    /// `counts`, or why it must not (`wrong-identity`, `set-invalid`, ...).
    pub verdict: String,
    /// What sigstore-python is expected to say: `accepts` or `refuses` (differs from the verdict
    /// where sigstore-python is blind, e.g. issuer OIDs that disagree).
    pub oracle: String,
    /// The digest the vote names (the world's digest, or another one for that mutation).
    pub digest: String,
    /// The payload file a messageSignature bundle signs.
    pub payload: Option<PathBuf>,
    /// The inclusion proof a Rekor lookup would add to a legacy vote with a SET.
    pub proof: Option<PathBuf>,
}

/// A world make.py wrote, loaded from its manifest.json.
#[derive(Debug, Clone)]
pub struct World {
    /// The output folder.
    pub dir: PathBuf,
    /// The gated digest and repository the world was made for.
    pub digest: String,
    pub repository: String,
    /// trusted_root.json of this world, and another world's.
    pub trusted_root: PathBuf,
    pub foreign_trusted_root: PathBuf,
    /// A ClientTrustConfig for sigstore-python's CLI.
    pub client_trust_config: PathBuf,
    /// This world's trusted root naming the root CA only: legacy votes complete the path with
    /// their chain annotation, bundles v0.3 (leaf only) cannot.
    pub trusted_root_without_intermediate: PathBuf,
    /// alice, bob, carol.
    pub people: BTreeMap<String, SigstorePerson>,
    /// Every vote, in manifest order.
    pub votes: Vec<SigstoreVote>,
}

fn text(value: &serde_json::Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("manifest: {key} missing in {value}"))
        .to_string()
}

/// Runs make.py with `python` into `dir` for `digest` (`sha256:<hex>`) and `repository`, and
/// loads its manifest.
pub fn world_with(python: &Path, dir: &Path, digest: &str, repository: &str) -> World {
    let output = Command::new(python)
        .arg(sigstore_support().join("make.py"))
        .arg(dir)
        .arg(digest)
        .arg(repository)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "make.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let at = |key: &str| dir.join(text(&manifest, key));
    let people = manifest["people"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, p)| {
            let private_keys = p["private_keys"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(file, info)| {
                    (
                        dir.join(file),
                        text(info, "label"),
                        info["N"].as_u64().unwrap(),
                    )
                })
                .collect();
            let identity = p["identity"]
                .as_str()
                .map(|identity| (identity.to_string(), text(p, "issuer")));
            let person = SigstorePerson {
                cosign_pub: dir.join(text(p, "cosign_pub")),
                key_id: text(p, "key_id"),
                passphrase_file: dir.join(text(p, "passphrase_file")),
                private_keys,
                identity,
            };
            (name.clone(), person)
        })
        .collect();
    let votes = manifest["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| SigstoreVote {
            path: dir.join(text(v, "file")),
            file: text(v, "file"),
            kind: text(v, "kind"),
            person: text(v, "person"),
            verdict: text(v, "verdict"),
            oracle: text(v, "oracle"),
            digest: text(v, "digest"),
            payload: v["payload"].as_str().map(|p| dir.join(p)),
            proof: v["proof"].as_str().map(|p| dir.join(p)),
        })
        .collect();
    World {
        dir: dir.to_path_buf(),
        digest: text(&manifest, "digest"),
        repository: text(&manifest, "repository"),
        trusted_root: at("trusted_root"),
        foreign_trusted_root: at("foreign_trusted_root"),
        client_trust_config: at("client_trust_config"),
        trusted_root_without_intermediate: at("trusted_root_without_intermediate"),
        people,
        votes,
    }
}

/// make.py's world in `dir` for `digest` and `repository`, or None when no suitable Python
/// exists (see `sigstore_python`).
pub fn world(dir: &Path, digest: &str, repository: &str) -> Option<World> {
    let python = sigstore_python()?;
    Some(world_with(&python, dir, digest, repository))
}

/// What sigstore-python decided about one vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleVerdict {
    /// True when it accepted the vote (and the vote names the world's digest).
    pub accepted: bool,
    /// Why not, as sigstore-python (or the oracle's own checks) said it.
    pub error: String,
}

/// Runs oracle.py over `world` (inside `unshare -n` when that works, so it cannot reach the
/// network); file (`votes/<name>`) -> verdict.
pub fn oracle_verdicts(python: &Path, world: &World) -> BTreeMap<String, OracleVerdict> {
    let oracle = sigstore_support().join("oracle.py");
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = if isolated {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(python);
        c
    } else {
        eprintln!("unshare -n is unavailable: sigstore-python runs with the network reachable");
        Command::new(python)
    };
    let output = command.arg(oracle).arg(&world.dir).output().unwrap();
    assert!(
        output.status.success(),
        "oracle.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    results
        .as_object()
        .unwrap()
        .iter()
        .map(|(file, r)| {
            let verdict = OracleVerdict {
                accepted: r["accepted"].as_bool().unwrap(),
                error: r["error"].as_str().unwrap_or_default().to_string(),
            };
            (file.clone(), verdict)
        })
        .collect()
}

/// (vote, manifest verdict, oracle verdict) for every vote of the world, in manifest order: what
/// a test of quorate's verifier against sigstore-python compares with.
pub fn oracle_triples(python: &Path, world: &World) -> Vec<(SigstoreVote, String, OracleVerdict)> {
    let mut verdicts = oracle_verdicts(python, world);
    world
        .votes
        .iter()
        .map(|vote| {
            let oracle = verdicts
                .remove(&vote.file)
                .unwrap_or_else(|| panic!("the oracle said nothing about {}", vote.file));
            (vote.clone(), vote.verdict.clone(), oracle)
        })
        .collect()
}
