//! The fuzz targets' seed corpora (fuzz/seeds/<target>/) replayed through the same entry points
//! the fuzzers call (quorate::fuzz_entry): every seed must return without a panic.

use std::path::Path;

/// A fuzz target's entry point.
type Entry = fn(&[u8]);

#[test]
fn every_seed_replays_without_a_panic() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let targets: [(&str, Entry); 13] = [
        ("signature_file", quorate::fuzz_entry::signature_file),
        ("payload", quorate::fuzz_entry::payload),
        ("reference", quorate::fuzz_entry::reference),
        ("maintainers", quorate::fuzz_entry::maintainers),
        ("digests", quorate::fuzz_entry::digests),
        ("oci_layout", quorate::fuzz_entry::oci_layout),
        (
            "sigstore_certificate",
            quorate::fuzz_entry::sigstore_certificate,
        ),
        ("sigstore_key", quorate::fuzz_entry::sigstore_key),
        (
            "sigstore_checkpoint",
            quorate::fuzz_entry::sigstore_checkpoint,
        ),
        (
            "sigstore_signature",
            quorate::fuzz_entry::sigstore_signature,
        ),
        ("sigstore_bundle", quorate::fuzz_entry::sigstore_bundle),
        ("trusted_root", quorate::fuzz_entry::trusted_root),
        ("cosign_download", quorate::fuzz_entry::cosign_download),
    ];
    for (name, entry) in targets {
        let dir = seeds.join(name);
        let mut count = 0;
        for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            entry(&bytes);
            count += 1;
        }
        assert!(count >= 2, "{name} has {count} seeds");
    }
    // Every target in fuzz/Cargo.toml has seeds here.
    let manifest = std::fs::read_to_string(seeds.join("../Cargo.toml")).unwrap();
    for (name, _) in targets {
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
    }
}
