//! Running the real `quorate` binary, git, and the programs interop tests need.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The quorate binary, to run in `dir`.
pub fn quorate_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quorate"));
    command.current_dir(dir);
    command
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_env::<&str>(dir, args, &[])
}

/// Runs quorate in `dir` with extra environment variables.
pub fn run_env<V: AsRef<OsStr>>(dir: &Path, args: &[&str], env: &[(&str, V)]) -> Run {
    let output: Output = quorate_command(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs quorate in `dir`, killed and the test failed if it has not ended within `limit` (a
/// watchdog against a hang, never a measure of speed).
pub fn run_within(dir: &Path, args: &[&str], limit: std::time::Duration) -> Run {
    let mut child = quorate_command(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ended = super::net::wait_until(limit, || matches!(child.try_wait(), Ok(Some(_))));
    if !ended {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        ended,
        "quorate {args:?} was still running after {limit:?}: {run:?}"
    );
    run
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    git_env::<&str>(dir, args, &[])
}

/// git in `dir` with extra environment variables; fails the test if git fails.
pub fn git_env<V: AsRef<OsStr>>(dir: &Path, args: &[&str], env: &[(&str, V)]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Commits everything in the work tree and returns the new HEAD.
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Commits everything as made at `date` (author and committer).
pub fn commit_all_at(dir: &Path, message: &str, date: &str) {
    git(dir, &["add", "-A"]);
    git_env(
        dir,
        &["commit", "-qm", message],
        &[("GIT_COMMITTER_DATE", date), ("GIT_AUTHOR_DATE", date)],
    );
}

/// True when the program is on PATH. When it is not, the test says so loudly, and fails when
/// QUORATE_REQUIRE_INTEROP is set (as .ci/run sets it), so CI never skips silently.
pub fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var_os("QUORATE_REQUIRE_INTEROP").is_some() {
            panic!("{program} is required (QUORATE_REQUIRE_INTEROP is set) but not installed");
        }
        eprintln!("\n*** SKIPPED: {program} is not installed; this interop test did not run ***\n");
    }
    found
}
