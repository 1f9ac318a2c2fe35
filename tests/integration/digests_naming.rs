//! `digests compute` writes what every other command reads: packages named without a stage
//! prefix (`out/hello/`, `out/greeter/`) land in files compare, sign and gate accept, and a name
//! no digests file can hold is refused by compute itself, naming the layout.

use crate::common::*;

#[test]
fn packages_without_a_stage_prefix_are_computed_compared_signed_and_gated() {
    let (ws, keys) = team();
    let out = ws.path().join("out");
    let (_, hello) = layout(&out, "hello", "v1", &["linux/amd64", "linux/arm64"]);
    let (_, greeter) = layout(&out, "greeter", "v1", &["linux/amd64"]);
    let (_, cli) = layout(&out, "greeter-cli", "v1", &["linux/amd64"]);
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    let read = |name: &str| std::fs::read_to_string(ws.path().join("digests").join(name)).unwrap();
    assert_eq!(
        read("greeter.txt"),
        format!("{} greeter\n{} greeter-cli\n", greeter[0], cli[0])
    );
    assert_eq!(read("hello.txt"), format!("{} hello\n", hello[0]));
    assert_eq!(
        read("hello.platforms"),
        format!("{} hello linux/arm64\n", hello[1])
    );

    // compare reads the files compute wrote, and finds them the rebuild's.
    let run = ws.run(&["digests", "compare", "digests", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("3 agree, 0 differ, 0 missing"),
        "{run:?}"
    );

    // gate reads them: short of quorum (exit 1), never an input error (exit 2).
    let run = ws.run(&["gate", "--release"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("package, but this is"), "{run:?}");

    // Two maintainers sign what they rebuilt; the release then passes the gate.
    for key in &keys[..2] {
        let file = ws.key_file(key);
        let run = ws.run(&[
            "sign",
            "--release",
            "--rebuilt",
            "out",
            "--key",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("4 signed, 0 already signed, 0 refused"),
            "{run:?}"
        );
    }
    let run = ws.run(&["gate", "--release", "--rebuilt", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_package_name_no_digests_file_can_hold_is_refused_by_compute_naming_it() {
    let (ws, _) = team();
    let out = ws.path().join("out");
    layout(&out, "pallet-rust", "v1", &["linux/amd64"]);
    // A directory name that is no repository name: uppercase, and a trailing separator.
    for bad in ["Greeter", "greeter."] {
        let dir = ws.path().join(format!("out-{bad}"));
        layout(&dir, bad, "v1", &["linux/amd64"]);
        // No name in the annotations (as `skopeo copy … oci:DIR` leaves it): the package is the
        // directory's name.
        let index = dir.join(bad).join("index.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&index).unwrap()).unwrap();
        json["manifests"][0]
            .as_object_mut()
            .unwrap()
            .remove("annotations");
        std::fs::write(&index, json.to_string()).unwrap();
        let run = ws.run(&["digests", "compute", dir.to_str().unwrap(), "-o", "digests"]);
        assert_eq!(run.code, 2, "{bad}: {run:?}");
        assert!(
            run.stderr.contains(&format!("{bad:?}")) && run.stderr.contains("not a package name"),
            "{bad}: {run:?}"
        );
        assert!(
            run.stderr.contains(&format!("out-{bad}/{bad}")),
            "names the layout: {run:?}"
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{run:?}");
        assert!(!ws
            .path()
            .join("digests")
            .join(format!("{bad}.txt"))
            .exists());
    }
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
}
