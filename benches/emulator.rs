//! How fast the emulator answers: `cargo bench --bench emulator`.
//!
//! Starts the emulator in-process on 127.0.0.1:0 and drives it, on the same
//! runtime, with many keep-alive connections that each send one request at a
//! time and wait for the answer. The client is a minimal HTTP/1.1 writer and
//! reader (fixed requests, `Content-Length` bodies only), so that as much of
//! the two cores as possible goes to the server. Prints requests a second
//! and the p50/p99 latency for `GET /api/v2/tickets/1` and for ticket
//! creation (`POST /api/v2/tickets`).
//!
//! `BENCH_SECS` (default 5) sets the length of each phase and
//! `BENCH_CONNECTIONS` (default 64) the number of connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use ticketsim::clock::SystemClock;
use ticketsim::emulator::{Emulator, EmulatorConfig};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs = env_number("BENCH_SECS", 5);
    let connections = env_number("BENCH_CONNECTIONS", 64) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(Duration::from_secs(secs), connections));
}

async fn run(length: Duration, connections: usize) {
    let cfg = EmulatorConfig {
        rate_per_min: u32::MAX,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::new(cfg, Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(emu.clone().serve(listener, std::future::pending()));
    let auth = format!("Basic {}", STANDARD.encode(format!("{}:X", emu.api_key())));
    let requester = emu.contacts()[0].id;
    let body = format!(
        r#"{{"subject":"Bench","description":"<p>Load test</p>","status":2,"priority":1,"requester_id":{requester}}}"#
    );
    let create = format!(
        "POST /api/v2/tickets HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let get =
        format!("GET /api/v2/tickets/1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n");
    println!(
        "emulator benchmark: {connections} keep-alive connections, {} s a phase, 2 worker threads, {} CPUs",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    send_one(addr, &create).await;
    phase("GET /api/v2/tickets/1", addr, get, connections, length).await;
    phase("POST /api/v2/tickets", addr, create, connections, length).await;
}

/// One request on its own connection (the ticket the GETs read).
async fn send_one(addr: SocketAddr, request: &str) {
    let mut conn = TcpStream::connect(addr).await.expect("a connection");
    let status = exchange(&mut conn, request.as_bytes(), &mut Vec::new()).await;
    assert_eq!(status, Some(201), "setting up the benchmark ticket");
}

/// Runs `connections` loops sending `request` for `length`; prints the result.
async fn phase(
    name: &str,
    addr: SocketAddr,
    request: String,
    connections: usize,
    length: Duration,
) {
    let request: Arc<[u8]> = request.into_bytes().into();
    let deadline = Instant::now() + length;
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(client_loop(addr, request.clone(), deadline)))
        .collect();
    let mut latencies: Vec<u32> = Vec::new();
    let mut failures = 0u64;
    for t in tasks {
        let (lat, failed) = t.await.expect("a client task");
        latencies.extend(lat);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    println!(
        "{name:<24} {:>9.0} requests/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {failures} not 2xx)",
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        latencies.len()
    );
}

/// Sends `request` over one keep-alive connection until `deadline`:
/// `(latencies in µs, answers that were not 2xx)`.
async fn client_loop(addr: SocketAddr, request: Arc<[u8]>, deadline: Instant) -> (Vec<u32>, u64) {
    let mut conn = TcpStream::connect(addr).await.expect("a connection");
    let _ = conn.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    let mut latencies = Vec::new();
    let mut failed = 0;
    while Instant::now() < deadline {
        let sent = Instant::now();
        match exchange(&mut conn, &request, &mut buf).await {
            Some(status) if (200..300).contains(&status) => {}
            Some(_) => failed += 1,
            None => break,
        }
        latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    (latencies, failed)
}

/// Writes one request and reads one response; its status, or `None` if the
/// connection broke.
async fn exchange(conn: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Option<u16> {
    conn.write_all(request).await.ok()?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(head_end) = find(buf, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..head_end]).ok()?;
            let status: u16 = head.get(9..12)?.parse().ok()?;
            let length = content_length(head);
            while buf.len() < head_end + 4 + length {
                let n = conn.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(status);
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
