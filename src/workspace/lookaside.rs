//! A published lookaside, read as containers/image reads it: `signature-1, 2, …` of
//! `<base>/<repository path>@sha256=<hex>/` until the first missing one (404 over HTTP, a missing
//! file for `file://`), each at most 4 MiB, any other HTTP status an error, and an image with
//! 128 or more signatures an error (containers/image gives up before reading a 129th).
//!
//! So a consumer or an auditor checks a release against what is actually served, without
//! cloning the repository.

use std::time::Duration;

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
            return Ok(Lookaside {
                location: Location::File,
                base,
            });
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
            .max_redirects(MAX_REDIRECTS)
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Lookaside {
            base,
            location: Location::Http(agent),
        })
    }

    /// The URL of an image's directory: `<base>/<repository path>@sha256=<hex>`.
    pub fn image_url(&self, reference: &Reference) -> String {
        let digest = reference.digest().expect("an image reference has a digest");
        format!("{}/{}@sha256={}", self.base, reference.path(), digest.hex())
    }

    /// Every signature served for the image, read as podman reads them.
    pub fn fetch(&self, reference: &Reference) -> Result<Vec<Served>, FetchError> {
        let dir = self.image_url(reference);
        let mut served = Vec::new();
        for number in 1.. {
            if number > MAX_LOOKASIDE_SIGNATURES {
                return Err(FetchError::TooMany { url: dir });
            }
            let url = format!("{dir}/{}", signature_file_name(number));
            match self.get(&url)? {
                Some(bytes) => served.push(Served { number, url, bytes }),
                None => break,
            }
        }
        Ok(served)
    }

    /// One signature's bytes, or None when it is not there.
    fn get(&self, url: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let transport = |message: String| FetchError::Transport {
            url: url.to_string(),
            message,
        };
        match &self.location {
            Location::File => {
                let path = &url["file://".len()..];
                match std::fs::File::open(path) {
                    Ok(file) => {
                        use std::io::Read;
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
                let mut response = agent
                    .get(url)
                    .call()
                    .map_err(|e| transport(e.to_string()))?;
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
}
