//! A published lookaside, read as containers/image reads it: `signature-1, 2, …` of
//! `<base>/<repository path>@sha256=<hex>/` until the first missing one (404 over HTTP, a missing
//! file for `file://`), each at most 4 MiB, any other HTTP status an error, and an image with
//! 128 or more signatures an error (containers/image gives up before reading a 129th).
//!
//! So a consumer or an auditor checks a release against what is actually served, without
//! cloning the repository.
//!
//! A server cannot keep a command waiting: each request is capped (30 s), each image's reads
//! together (`Deadlines::image`) and every read of the run together (`Deadlines::run`); past a
//! deadline the image is unreadable. A redirect is followed only to http or https, as Go's
//! client (podman's) does.

use std::time::{Duration, Instant};

use crate::format::message::MAX_SIGNATURE_FILE;
use crate::format::reference::Reference;
use crate::workspace::tree::signature_file_name;

/// containers/image's maxLookasideSignatures: at the 128th index it stops with an error.
pub const MAX_LOOKASIDE_SIGNATURES: u32 = 128;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Go's http.Client follows at most 10 redirects; so does containers/image.
const MAX_REDIRECTS: u32 = 10;
/// How many images are read from a server at once: reading is waiting, not computing, so more
/// than the machine's cores.
const PARALLEL_READS: usize = 8;

/// How long reading from a lookaside may take in all, past which what is not read is
/// unreadable (podman itself would wait on; a gate or an audit must end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Every request for one image's signatures together.
    pub image: Duration,
    /// Every request of the run together, from its first request (not from the lookaside's
    /// creation: the judging a command does before reading must not use it up).
    pub run: Duration,
}

impl Default for Deadlines {
    /// 60 s an image, 10 minutes a run: far more than a healthy server needs (a release of
    /// 1000 images is read in seconds), far less than 127 stalled requests of 30 s.
    fn default() -> Deadlines {
        Deadlines {
            image: Duration::from_secs(60),
            run: Duration::from_secs(600),
        }
    }
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The image's own (`--lookaside-deadline`).
    Image,
    /// The run's (`--lookaside-run-deadline`).
    Run,
}

/// A URL that is not a lookaside quorate can read (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {message}")]
pub struct LookasideUrlError {
    /// The URL given.
    pub url: String,
    /// What is wrong.
    pub message: String,
}

crate::fault::always!(Input: LookasideUrlError);

/// Why an image's signatures could not be read: podman's pull would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// An HTTP status other than 200 or 404.
    #[error("{url}: HTTP status {status}; podman stops the pull on any status but 200 and 404")]
    Status {
        /// The signature's URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// A signature larger than the 4 MiB containers/image reads.
    #[error("{url}: larger than the 4 MiB podman reads; podman stops the pull")]
    TooLarge {
        /// The signature's URL.
        url: String,
    },
    /// 128 signatures are served: containers/image stops with an error before a 129th.
    #[error("{url}: the server provides {MAX_LOOKASIDE_SIGNATURES} signatures or more; podman refuses to read them (\"assuming that's unreasonable and a server error\")")]
    TooMany {
        /// The image's lookaside directory.
        url: String,
    },
    /// A deadline passed before every signature of the image was read.
    #[error("{url}: {} read, then the deadline {} passed ({} s, {}): the image's signatures are unreadable", crate::text::plural(*.read as usize, "signature"), match .which { Deadline::Image => "for one image's reads", Deadline::Run => "for every lookaside read of this run" }, .limit.as_secs(), match .which { Deadline::Image => "--lookaside-deadline SECONDS", Deadline::Run => "--lookaside-run-deadline SECONDS" })]
    Deadline {
        /// The image's lookaside directory.
        url: String,
        /// Which deadline.
        which: Deadline,
        /// How long it allowed.
        limit: Duration,
        /// How many signatures were read before it passed.
        read: u32,
    },
    /// A redirect to something other than http or https: Go's client (podman's) refuses it.
    #[error("{url}: redirected to {to}, which podman does not follow (only http:// and https://); podman stops the pull")]
    Redirect {
        /// The signature's URL.
        url: String,
        /// Where the server redirected.
        to: String,
    },
    /// The request failed: connection, TLS, timeout, too many redirects, a file not readable.
    #[error("{url}: {message}")]
    Transport {
        /// The signature's URL.
        url: String,
        /// What happened.
        message: String,
    },
}

crate::fault::always!(Input: FetchError);

/// One signature as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// N.
    pub number: u32,
    /// Where it was read from.
    pub url: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Where a lookaside is.
#[derive(Debug, Clone)]
enum Location {
    File,
    Http(ureq::Agent),
}

/// A published lookaside.
#[derive(Debug, Clone)]
pub struct Lookaside {
    base: String,
    location: Location,
    deadlines: Deadlines,
    /// When the run's first request was made: its deadline counts from there.
    run_started: std::sync::OnceLock<Instant>,
}

impl Lookaside {
    /// `https://…`, `http://…` or `file:///…`, with or without a trailing slash.
    pub fn new(url: &str) -> Result<Lookaside, LookasideUrlError> {
        let fail = |message: &str| LookasideUrlError {
            url: url.to_string(),
            message: message.to_string(),
        };
        let base = url.trim_end_matches('/').to_string();
        if let Some(path) = base.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(fail(
                    "a file:// URL needs an absolute path (file:///srv/signatures)",
                ));
            }
            return Ok(Lookaside::at(base, Location::File));
        }
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| fail("expected an https://, http:// or file:// URL"))?;
        if host.is_empty() || host.starts_with('/') {
            return Err(fail("no host"));
        }
        if base.contains(['?', '#']) || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("a lookaside URL has no query, fragment or spaces"));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            // Redirects are followed here, one by one, to refuse a scheme podman would not
            // follow and to keep each hop within the deadlines.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Lookaside::at(base, Location::Http(agent)))
    }

    fn at(base: String, location: Location) -> Lookaside {
        Lookaside {
            base,
            location,
            deadlines: Deadlines::default(),
            run_started: std::sync::OnceLock::new(),
        }
    }

    /// The same lookaside read within these deadlines; the run's counts from its first request.
    pub fn with_deadlines(mut self, deadlines: Deadlines) -> Lookaside {
        self.deadlines = deadlines;
        self
    }

    /// `work` run with up to 8 images read at once, since reading a lookaside is waiting on a
    /// server, not computing (the work's own parallel iterators use that pool).
    pub fn reading<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(PARALLEL_READS)
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        }
    }

    /// The URL of an image's directory: `<base>/<repository path>@sha256=<hex>`.
    pub fn image_url(&self, reference: &Reference) -> String {
        let digest = reference.digest().expect("an image reference has a digest");
        format!("{}/{}@sha256={}", self.base, reference.path(), digest.hex())
    }

    /// Every signature served for the image, read as podman reads them, within the deadlines.
    pub fn fetch(&self, reference: &Reference) -> Result<Vec<Served>, FetchError> {
        let dir = self.image_url(reference);
        let now = Instant::now();
        let image_ends = now + self.deadlines.image;
        let run_ends = *self.run_started.get_or_init(|| now) + self.deadlines.run;
        let (ends, which, limit) = if image_ends < run_ends {
            (image_ends, Deadline::Image, self.deadlines.image)
        } else {
            (run_ends, Deadline::Run, self.deadlines.run)
        };
        let mut served = Vec::new();
        for number in 1.. {
            if number > MAX_LOOKASIDE_SIGNATURES {
                return Err(FetchError::TooMany { url: dir });
            }
            let url = format!("{dir}/{}", signature_file_name(number));
            let passed = || FetchError::Deadline {
                url: dir.clone(),
                which,
                limit,
                read: number - 1,
            };
            let left = ends.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(passed());
            }
            match self.get(&url, left) {
                Ok(Some(bytes)) => served.push(Served { number, url, bytes }),
                Ok(None) => break,
                // The request was cut short by the deadline, not by its own cap.
                Err(FetchError::Transport { .. }) if Instant::now() >= ends => return Err(passed()),
                Err(e) => return Err(e),
            }
        }
        Ok(served)
    }

    /// One signature's bytes, or None when it is not there; the request takes at most `left`.
    fn get(&self, url: &str, left: Duration) -> Result<Option<Vec<u8>>, FetchError> {
        let transport = |message: String| FetchError::Transport {
            url: url.to_string(),
            message,
        };
        match &self.location {
            Location::File => {
                let path = &url["file://".len()..];
                // Opening a FIFO or a device would wait for a writer with no deadline to stop
                // it: opened without waiting, and judged by what was opened (a check of the path
                // before opening it could be raced by a swap), only a regular file is a signature.
                use std::os::unix::fs::OpenOptionsExt;
                let opened = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(path);
                match opened {
                    Ok(file) => {
                        use std::io::Read;
                        if !file.metadata().is_ok_and(|m| m.is_file()) {
                            return Err(transport("not a regular file".into()));
                        }
                        let mut bytes = Vec::new();
                        file.take(MAX_SIGNATURE_FILE + 1)
                            .read_to_end(&mut bytes)
                            .map_err(|e| transport(e.to_string()))?;
                        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
                            return Err(FetchError::TooLarge {
                                url: url.to_string(),
                            });
                        }
                        Ok(Some(bytes))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(transport(e.to_string())),
                }
            }
            Location::Http(agent) => {
                let mut response = self.follow(agent, url, left)?;
                match response.status().as_u16() {
                    404 => return Ok(None),
                    200 => {}
                    status => {
                        return Err(FetchError::Status {
                            url: url.to_string(),
                            status,
                        })
                    }
                }
                match response
                    .body_mut()
                    .with_config()
                    .limit(MAX_SIGNATURE_FILE)
                    .read_to_vec()
                {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(ureq::Error::BodyExceedsLimit(_)) => Err(FetchError::TooLarge {
                        url: url.to_string(),
                    }),
                    Err(e) => Err(transport(e.to_string())),
                }
            }
        }
    }

    /// GET `url`, redirects followed (at most 10, only to http or https), every hop within
    /// `left` in all (and each within the request cap).
    fn follow(
        &self,
        agent: &ureq::Agent,
        url: &str,
        left: Duration,
    ) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        let ends = Instant::now() + left;
        let transport = |message: String| FetchError::Transport {
            url: url.to_string(),
            message,
        };
        let mut at = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let timeout = ends
                .saturating_duration_since(Instant::now())
                .min(REQUEST_TIMEOUT);
            let response = agent
                .get(&at)
                .config()
                .timeout_global(Some(timeout))
                .build()
                .call()
                .map_err(|e| transport(e.to_string()))?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let Some(location) = response
                .headers()
                .get(ureq::http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
            else {
                return Ok(response);
            };
            let next = url::Url::parse(&at)
                .and_then(|base| base.join(location))
                .map_err(|e| transport(format!("redirected to {location:?}: {e}")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::Redirect {
                    url: url.to_string(),
                    to: next.to_string(),
                });
            }
            at = next.to_string();
        }
        Err(transport(
            "too many redirects (podman follows at most 10)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run's deadline covers its reads, not what the command did before the first one (an
    /// audit judges the whole tree before it reads what is published).
    #[test]
    fn the_run_deadline_counts_from_the_first_request() {
        let dir = tempfile::tempdir().unwrap();
        let image = format!("r.io/ns/img@sha256:{}", "a".repeat(64));
        let reference = Reference::parse(&image).unwrap();
        let lookaside = Lookaside::new(&format!("file://{}", dir.path().display()))
            .unwrap()
            .with_deadlines(Deadlines {
                image: Duration::from_secs(60),
                run: Duration::from_millis(200),
            });
        std::thread::sleep(Duration::from_millis(300));
        assert!(lookaside.fetch(&reference).unwrap().is_empty());
    }
}
