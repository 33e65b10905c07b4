//! Start-up and memory of the real daemon process (`ticketsim run`, release
//! build) over a database with a large backlog: time to `READY=1` (read from a
//! notify socket, as systemd would), time to the first due step's request at
//! the emulator, and the resident memory once it idles.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ticketsim::emulator::Emulator;

const BIN: &str = env!("CARGO_BIN_EXE_ticketsim");

pub struct Startup {
    pub ready: Duration,
    pub first_step: Duration,
    pub rss_mib: f64,
    pub stop: Duration,
}

/// Runs the daemon over `db` until it has sent the one due step (a new ticket:
/// `POST /api/v2/tickets`), then lets it idle for 2 s, reads its memory, and
/// stops it with SIGTERM.
pub async fn measure(db: &Path, emulator: &Emulator, url: &str) -> Startup {
    let dir = db.parent().expect("db dir");
    let sock_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&sock_path);
    let sock = UnixDatagram::bind(&sock_path).expect("notify socket");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let before = emulator.requests().len();
    let started = Instant::now();
    let mut child = spawn(db, url, &sock_path, dir);
    let ready = wait_for_ready(&sock, &mut child, started);
    let first_step = loop {
        let seen = emulator.requests()[before..]
            .iter()
            .any(|r| r.method == "POST" && r.path == "/api/v2/tickets");
        if seen {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no ticket created in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_mib = rss_of(child.id());
    let stop_started = Instant::now();
    unsafe_sigterm(child.id());
    let status = child.wait().expect("wait");
    assert!(status.success(), "daemon exited with {status}");
    Startup {
        ready,
        first_step,
        rss_mib,
        stop: stop_started.elapsed(),
    }
}

fn spawn(db: &Path, url: &str, sock: &Path, dir: &Path) -> Child {
    Command::new(BIN)
        .arg("run")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FRESHDESK_URL", url)
        .env("FRESHDESK_API_KEY", super::KEY)
        .env("TICKETSIM_DB", db)
        .env("TICKETSIM_CREATE_CRON", "0 0 0 1 1 *")
        .env("TICKETSIM_RATE_PER_MIN", "100000")
        .env("TICKETSIM_LOG", "warn")
        .env("NOTIFY_SOCKET", sock)
        .env("TICKETSIM_HTTP_ADDR", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ticketsim run")
}

fn wait_for_ready(sock: &UnixDatagram, child: &mut Child, started: Instant) -> Duration {
    let mut buf = [0u8; 4096];
    loop {
        if let Ok(n) = sock.recv(&mut buf)
            && String::from_utf8_lossy(&buf[..n])
                .lines()
                .any(|l| l == "READY=1")
        {
            return started.elapsed();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("daemon exited before READY=1: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no READY=1 in 120 s"
        );
    }
}

fn rss_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    super::vm_rss_kib(&status) / 1024.0
}

fn unsafe_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}
