//! What a test waits on: something to happen, a port to listen.

use std::time::{Duration, Instant};

/// Polls `done` every 20 ms until it holds or `limit` has passed; says whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
