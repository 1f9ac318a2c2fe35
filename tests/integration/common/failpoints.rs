//! Stopping quorate at a step of its work: a failpoint aborts the process there
//! (QUORATE_FAILPOINT, compiled in by the `failpoints` feature the tests build with); a pause
//! holds it there until the test lets it go on (QUORATE_PAUSE).

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use super::net::wait_until;
use super::run::{quorate_command, run_env, Run};

/// quorate run in `dir`, aborted at the failpoint `point`.
pub fn run_failing_at(dir: &Path, args: &[&str], point: &str) -> Run {
    run_env(dir, args, &[("QUORATE_FAILPOINT", point)])
}

/// A quorate run that pauses at a point until the test resumes it.
pub struct Paused {
    child: Child,
    flag: PathBuf,
    _dir: tempfile::TempDir,
}

impl Paused {
    /// Starts `quorate <args>` in `dir`, to pause at `point`.
    pub fn start(dir: &Path, args: &[&str], point: &str) -> Paused {
        let flags = tempfile::tempdir().unwrap();
        let flag = flags.path().join("paused");
        let child = quorate_command(dir)
            .args(args)
            .env("QUORATE_PAUSE", point)
            .env("QUORATE_PAUSE_FILE", &flag)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Paused {
            child,
            flag,
            _dir: flags,
        }
    }

    /// Whether it reached its pause (waiting a minute at the most).
    pub fn reached(&self) -> bool {
        wait_until(Duration::from_secs(60), || self.flag.exists())
    }

    /// Lets it go on, and waits for it to finish.
    pub fn resume(self) -> Output {
        std::fs::remove_file(&self.flag).unwrap();
        self.child.wait_with_output().unwrap()
    }
}
