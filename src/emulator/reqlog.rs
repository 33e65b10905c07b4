//! The request log: a bounded ring in memory (`/_emulator/requests`) and,
//! with `--log FILE`, one JSON line a request appended to a file.
//!
//! Requests must stay cheap under load, so the ring has its own small lock
//! and the file is written by a thread of its own: a request only hands its
//! entry over (or drops it, counted, when the writer is far behind).

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;

use super::RequestLogEntry;
use crate::clock::{UnixMs, format_iso};

/// Entries waiting for the file writer before new ones are dropped.
const WRITE_QUEUE: usize = 65_536;
const REDACTED: &str = "[REDACTED]";

pub(crate) struct RequestLog {
    capacity: usize,
    ring: Mutex<VecDeque<RequestLogEntry>>,
    file: Mutex<Option<FileWriter>>,
    dropped: AtomicU64,
}

struct FileWriter {
    tx: SyncSender<RequestLogEntry>,
    thread: JoinHandle<()>,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity,
            ring: Mutex::new(VecDeque::new()),
            file: Mutex::new(None),
            dropped: AtomicU64::new(0),
        }
    }

    /// Appends JSON lines to `path` from now on (the file is created if needed).
    pub(crate) fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = sync_channel(WRITE_QUEUE);
        let name = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("emulator-log".into())
            .spawn(move || write_lines(file, rx, &name))?;
        *self.file.lock().unwrap_or_else(PoisonError::into_inner) = Some(FileWriter { tx, thread });
        Ok(())
    }

    pub(crate) fn record(&self, entry: RequestLogEntry) {
        if let Some(w) = self
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && let Err(TrySendError::Full(_)) = w.tx.try_send(entry.clone())
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.len() >= self.capacity {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<RequestLogEntry> {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.iter().cloned().collect()
    }

    /// Writes out what is queued and closes the file; says so on stderr if
    /// the writer could not keep up and lines were dropped.
    pub(crate) fn close(&self) {
        let writer = self
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(FileWriter { tx, thread }) = writer {
            drop(tx);
            let _ = thread.join();
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            eprintln!(
                "emulator: {dropped} request-log lines were not written because the file could not keep up"
            );
        }
    }
}

/// The writer thread: one line an entry, flushed whenever the queue is empty.
fn write_lines(file: File, rx: Receiver<RequestLogEntry>, name: &str) {
    let mut out = BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(entry) = next {
            let line = serde_json::to_vec(&entry).unwrap_or_default();
            if out
                .write_all(&line)
                .and_then(|()| out.write_all(b"\n"))
                .is_err()
            {
                eprintln!("emulator: cannot write the request log {name}; logging to it stopped");
                return;
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            eprintln!("emulator: cannot write the request log {name}; logging to it stopped");
            return;
        }
    }
}

/// `format_iso(now)`, reused within a second: under load most requests of a
/// thread fall in the same second, and formatting dates is not free.
pub(crate) fn log_time(now: UnixMs) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let second = now.div_euclid(1000);
    LAST.with_borrow_mut(|(at, text)| {
        if *at != second {
            *at = second;
            *text = format_iso(now);
        }
        text.clone()
    })
}

/// The log never holds the API key, wherever a client put it.
pub(crate) fn redact(mut entry: RequestLogEntry, key: &str) -> RequestLogEntry {
    if key.is_empty() {
        return entry;
    }
    if entry.path.contains(key) {
        entry.path = entry.path.replace(key, REDACTED);
    }
    if entry.query.as_ref().is_some_and(|q| q.contains(key)) {
        entry.query = entry.query.map(|q| q.replace(key, REDACTED));
    }
    if let Some(body) = entry.body.as_mut() {
        redact_value(body, key);
    }
    entry
}

fn redact_value(v: &mut Value, key: &str) {
    match v {
        Value::String(s) if s.contains(key) => *s = s.replace(key, REDACTED),
        Value::Array(items) => items.iter_mut().for_each(|i| redact_value(i, key)),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().filter(|k| k.contains(key)).cloned().collect();
            for k in keys {
                if let Some(val) = map.remove(&k) {
                    map.insert(k.replace(key, REDACTED), val);
                }
            }
            map.values_mut().for_each(|i| redact_value(i, key));
        }
        _ => {}
    }
}
