//! Servers on 127.0.0.1 a test stands up (Debian's docker-registry, static and failing HTTP
//! servers) and waiting: for a port to listen, for something to happen.

use std::io::{Read, Write};
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

/// A background server, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    _dir: Option<tempfile::TempDir>,
}

/// Attempts at a fresh port before giving up: a port is lost only to a test racing for it.
const PORT_ATTEMPTS: u32 = 10;

impl Server {
    /// Starts the server `command_on(port)` makes on a free port, and waits until that very
    /// process listens on it. `free_port` lets go of the port before the server binds it, so
    /// another test may take it first: then the server fails to bind and exits, or the port
    /// answers as the other test's server; either way, again on a fresh port.
    fn start_race_free(
        command_on: impl FnMut(u16) -> Command,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        Server::start_on_ports(std::iter::repeat_with(free_port), command_on, dir)
    }

    /// `start_race_free` with the ports tried taken from `ports`.
    fn start_on_ports(
        ports: impl Iterator<Item = u16>,
        mut command_on: impl FnMut(u16) -> Command,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        for port in ports.take(PORT_ATTEMPTS as usize) {
            let mut child = command_on(port)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            if wait_for_own_listener(port, &mut child) {
                return Server {
                    child,
                    port,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("no server started on any of {PORT_ATTEMPTS} free ports");
    }
}

/// Waits (bounded) until `child` itself listens on 127.0.0.1:`port`; false when it exits first
/// (it could not bind the port).
fn wait_for_own_listener(port: u16, child: &mut Child) -> bool {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if listens(child.id(), port) {
            return true;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port`: a listening socket's
/// inode in /proc/net/tcp, among the sockets in /proc/PID/fd.
fn listens(pid: u32, port: u16) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let sockets: std::collections::HashSet<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(
                link.strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let local = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .any(|f| f.len() > 9 && f[1] == local && f[3] == "0A" && sockets.contains(f[9]))
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
    let config = dir.path().join("config.yml");
    let data = dir.path().join("data");
    Server::start_race_free(
        |port| {
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n",
                    data.display()
                ),
            )
            .unwrap();
            let mut command = Command::new("docker-registry");
            command.args(["serve", config.to_str().unwrap()]);
            command
        },
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

/// Python's static server of `root` on 127.0.0.1:`port`.
fn http_command(root: &Path, port: u16) -> Command {
    let mut command = Command::new("python3");
    command
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .arg("--directory")
        .arg(root);
    command
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

/// The race `start_race_free` survives: the first port it is given already answers, as another
/// test's server; the server it returns is its own, on another port, serving what it was asked.
#[test]
fn a_server_whose_port_is_taken_starts_on_a_fresh_one() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("file"), "served").unwrap();
    let ports = std::iter::once(taken_port).chain(std::iter::repeat_with(free_port));
    let server = Server::start_on_ports(ports, |port| http_command(root.path(), port), None);
    assert_ne!(server.port, taken_port);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(b"GET /file HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("served"), "{answer}");
}
