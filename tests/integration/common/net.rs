//! Servers on 127.0.0.1 a test stands up (Debian's docker-registry, static and failing HTTP
//! servers) and waiting: for a port to listen, for something to happen.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until something accepts connections on the port.
pub fn wait_for(port: u16, child: &mut Child) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server on port {port} exited: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A background server, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `command` (its output discarded) to listen on `port` and waits until it does;
    /// `dir`, what it serves from, lives as long as the server.
    fn start(command: &mut Command, port: u16, dir: Option<tempfile::TempDir>) -> Server {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, &mut child);
        Server {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's docker-registry on 127.0.0.1.
pub fn registry() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    Server::start(
        Command::new("docker-registry").args(["serve", config.to_str().unwrap()]),
        port,
        Some(dir),
    )
}

/// A static HTTP server on 127.0.0.1 serving `root` (Python's http.server).
pub fn http_server(root: &Path) -> Server {
    let root = root.to_str().unwrap();
    python_on_any_port(&format!(
        "import functools\nclass H(http.server.SimpleHTTPRequestHandler):\n  def log_message(self, *a): pass\nH = functools.partial(H, directory={root:?})\n"
    ))
}

/// A server that answers every request with `status`.
pub fn failing_server(status: u16) -> Server {
    python_server(&format!(
        "self.send_response({status}); self.end_headers(); self.wfile.write(b'no')"
    ))
}

/// A hostile server on 127.0.0.1 whose every GET runs `do_get`, Python statements on one line
/// (`self` is the handler, `port` the server's port, `time` imported); requests are served at
/// once, each in its own thread.
pub fn python_server(do_get: &str) -> Server {
    python_on_any_port(&format!(
        "class H(http.server.BaseHTTPRequestHandler):\n  def do_GET(self):\n    {do_get}\n  def log_message(self, *a): pass\n"
    ))
}

/// Python's threading HTTP server with the handler `H` that `handler` defines, on a port of the
/// system's choosing that it says: no other test's server can take the port between choosing
/// and binding, as with a port picked free beforehand.
fn python_on_any_port(handler: &str) -> Server {
    let script = format!(
        "import http.server, sys, time\n{handler}server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\nport = server.server_address[1]\nprint(port, flush=True)\nserver.serve_forever()\n"
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the server did not say its port: {line:?}"));
    Server {
        child,
        port,
        _dir: None,
    }
}
