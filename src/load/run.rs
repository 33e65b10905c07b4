//! A load run: arrivals on the clock, the engine doing the steps, the
//! recorder counting, progress on stderr, thresholds checked once a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::arrivals::{Arrivals, Kind};
use super::engine::{self, Engine, EngineOptions, Step};
use super::rate::Ramp;
use super::recorder::{Recorder, StepOutcome};
use super::summary::{self, Meta};
use super::thresholds::{self, Threshold};
use crate::app::AppError;
use crate::dispatcher::StepEvent;
use crate::freshdesk::{Observed, Observer, ObserverHook};

/// How long a threshold must stay crossed before `--abort-on` stops the run.
pub const ABORT_AFTER_MS: i64 = 60_000;

pub struct LoadOptions {
    pub ramp: Ramp,
    /// Arrivals stop after this long…
    pub duration_ms: Option<i64>,
    /// …or after this many lifecycles.
    pub lifecycles: Option<u64>,
    pub kind: Kind,
    pub fail_on: Vec<Threshold>,
    pub abort_on: Vec<Threshold>,
    /// Start nothing new: finish what the database has in flight.
    pub resume: bool,
    pub progress: bool,
    pub engine: EngineOptions,
}

pub struct LoadResult {
    pub recorder: Recorder,
    pub meta: Meta,
    pub crossed: Vec<String>,
}

type Shared = Arc<Mutex<Recorder>>;

/// What the run aims at, to compare with what it did so far.
#[derive(Clone)]
struct Aims {
    ramp: Ramp,
    window: Option<i64>,
    start: i64,
    budget_per_min: f64,
}

impl Aims {
    /// The target rate (per min) at `at`, and the arrival time left.
    fn target(&self, at: i64) -> (f64, Option<i64>) {
        let t = at - self.start;
        let live = self.window.is_none_or(|w| t < w);
        let rate = if live {
            self.ramp.rate_at(t).per_min()
        } else {
            0.0
        };
        (rate, self.window.map(|w| w - t))
    }

    /// The figures' context at `at`, for `--abort-on`.
    fn meta(&self, at: i64) -> Meta {
        let t = at - self.start;
        let window_ms = self.window.map_or(t, |w| t.min(w));
        Meta {
            target_count: self.ramp.expected_by(window_ms),
            window_ms,
            elapsed_ms: t,
            budget_per_min: self.budget_per_min,
        }
    }
}

fn lock(r: &Shared) -> std::sync::MutexGuard<'_, Recorder> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

struct Feed(Shared, Arc<dyn crate::clock::Clock>);

impl Observer for Feed {
    fn observe(&self, o: &Observed) {
        let at = self.1.now_ms();
        let name = format!("{} {}", o.method, o.template);
        let wait = o.retry_after.map(|d| d.as_millis() as u64);
        lock(&self.0).response(at, &name, o.status, o.latency.as_millis() as i64, wait);
    }
}

/// Runs the load until the arrivals are done and every lifecycle has ended,
/// or `stop` turns true, or an `--abort-on` threshold held for a minute.
pub async fn run(
    mut opts: LoadOptions,
    stop: watch::Receiver<bool>,
) -> Result<LoadResult, AppError> {
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
    let start = clock.now_ms();
    let rec: Shared = Arc::new(Mutex::new(Recorder::new(start)));
    opts.engine.observer = ObserverHook(Arc::new(Feed(rec.clone(), clock.clone())));
    let (tx, rx) = mpsc::unbounded_channel();
    let eng = engine::open(&opts.engine, tx).await?;
    let starts = Arc::new(Mutex::new(HashMap::<i64, (i64, usize)>::new()));
    let consumer = tokio::spawn(consume(rx, rec.clone(), starts.clone(), eng.offsets));
    let (run_tx, run_rx) = watch::channel(false);
    let dispatcher = eng.spawn_dispatcher(run_rx.clone());
    let (done_tx, done_rx) = watch::channel(false);
    let aims = Aims {
        ramp: opts.ramp.clone(),
        window: if opts.resume {
            Some(0)
        } else {
            opts.duration_ms
        },
        start,
        budget_per_min: eng.budget_per_min,
    };
    let progress = opts.progress.then(|| {
        let (c, a) = (clock.clone(), aims.clone());
        tokio::spawn(super::progress::run(
            rec.clone(),
            done_rx.clone(),
            move || c.now_ms(),
            move |at| a.target(at),
        ))
    });
    let watcher = tokio::spawn(watch_thresholds(
        rec.clone(),
        opts.abort_on.clone(),
        (stop.clone(), run_tx.clone(), done_rx),
        clock.clone(),
        aims,
    ));
    let mut halted = run_rx.clone();
    // The arrival window: `--duration`, or the time arrivals ran when there is
    // none or the run was cut short (SIGTERM, --abort-on) before its last one.
    let (window_ms, cut_short) = if opts.resume {
        (0, false)
    } else {
        arrive(&opts, &eng, &rec, &starts, start, &mut halted).await?;
        let cut_short = *halted.borrow();
        let elapsed = eng.now() - start;
        let window = match opts.duration_ms {
            Some(w) if !cut_short => w,
            Some(w) => w.min(elapsed),
            None => elapsed,
        };
        (window, cut_short)
    };
    drain(&eng, &mut halted).await?;
    let _ = run_tx.send(true);
    let _ = done_tx.send(true);
    dispatcher
        .await
        .map_err(|e| AppError::Io(e.to_string()))??;
    let (all, closed, failed) = eng.lifecycle_counts().await?;
    let budget_per_min = eng.budget_per_min;
    let elapsed_ms = eng.now() - start;
    eng.close().await;
    let _ = consumer.await;
    let _ = watcher.await;
    if let Some(p) = progress {
        let _ = p.await;
    }
    let mut recorder = lock(&rec).clone();
    // The database counts lifecycles of an earlier, killed run too.
    (recorder.started, recorder.closed, recorder.failed) = (all, closed, failed);
    // A run of N lifecycles aims at N; one cut short, like a run of a
    // duration, at what its rate promised for the time arrivals ran.
    let expected = opts.ramp.expected_by(window_ms);
    let target_count = match opts.lifecycles {
        Some(n) if cut_short => (n as f64).min(expected),
        Some(n) => n as f64,
        None => expected,
    };
    let meta = Meta {
        target_count,
        window_ms,
        elapsed_ms,
        budget_per_min,
    };
    let crossed = thresholds::crossed(&opts.fail_on, |n| summary::figure(&recorder, &meta, n));
    Ok(LoadResult {
        recorder,
        meta,
        crossed,
    })
}

/// The most arrivals started in one commit.
const MAX_ARRIVAL_BATCH: usize = 256;

/// Starts lifecycles on time, until the run's limit or a halt. Arrivals that
/// are due together (the rate is above what one commit per arrival keeps up
/// with, or the process was busy) start in one commit.
async fn arrive(
    opts: &LoadOptions,
    eng: &Engine,
    rec: &Shared,
    starts: &Arc<Mutex<HashMap<i64, (i64, usize)>>>,
    start: i64,
    halted: &mut watch::Receiver<bool>,
) -> Result<(), AppError> {
    let mut n = 0u64;
    let within = |t: i64, n: u64| {
        opts.duration_ms.is_none_or(|w| t < w) && opts.lifecycles.is_none_or(|max| n < max)
    };
    let mut arrivals = Arrivals::new(opts.ramp.clone(), opts.kind, opts.engine.seed).peekable();
    while let Some(&first) = arrivals.peek() {
        if !within(first, n) {
            break;
        }
        let wait = (start + first - eng.now()).max(0) as u64;
        if wait > 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                _ = halted.changed() => {}
            }
        }
        if *halted.borrow() {
            break;
        }
        let due_by = eng.now() - start;
        let mut batch = Vec::new();
        while let Some(t) = arrivals.next_if(|&t| t <= due_by && within(t, n + batch.len() as u64))
        {
            batch.push(t);
            if batch.len() == MAX_ARRIVAL_BATCH {
                break;
            }
        }
        // Arrivals of the same millisecond are one slot of several lifecycles.
        let mut slots: Vec<(i64, u32)> = Vec::new();
        for t in batch {
            match slots.last_mut() {
                Some((at, k)) if *at == t => *k += 1,
                _ => slots.push((t, 1)),
            }
        }
        let at_ms: Vec<(i64, u32)> = slots.iter().map(|&(t, k)| (start + t, k)).collect();
        let started = eng.start_lifecycles(&at_ms).await?;
        let now = eng.now();
        let mut begun = starts.lock().unwrap_or_else(|p| p.into_inner());
        let mut counts = lock(rec);
        for ((t, _), ids) in slots.into_iter().zip(started) {
            for id in ids {
                begun.insert(id, (start + t, 0));
                counts.arrival(now, opts.ramp.rate_at(t).0);
                n += 1;
            }
        }
    }
    Ok(())
}

/// Waits until no step is left, or the run is halted.
async fn drain(eng: &Engine, halted: &mut watch::Receiver<bool>) -> Result<(), AppError> {
    while !*halted.borrow() && eng.open_steps().await? > 0 {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = halted.changed() => {}
        }
    }
    Ok(())
}

async fn consume(
    mut rx: mpsc::UnboundedReceiver<StepEvent>,
    rec: Shared,
    starts: Arc<Mutex<HashMap<i64, (i64, usize)>>>,
    offsets: crate::domain::StageOffsets,
) {
    while let Some(e) = rx.recv().await {
        let Step {
            lifecycle_id,
            at,
            outcome,
        } = engine::classify(&e);
        let mut map = starts.lock().unwrap_or_else(|p| p.into_inner());
        let (lateness, age) = match map.get_mut(&lifecycle_id) {
            Some((s, index)) => {
                let due = engine::due(&offsets, *s, *index);
                if matches!(outcome, StepOutcome::Done { .. }) {
                    *index += 1;
                }
                (due.map(|d| at - d), at - *s)
            }
            None => (None, 0),
        };
        if matches!(
            outcome,
            StepOutcome::Done { last: true, .. } | StepOutcome::Failed(_)
        ) {
            map.remove(&lifecycle_id);
        }
        drop(map);
        lock(&rec).step(at, lateness, age, outcome);
    }
}

/// Once a second: a tick for the series, and `--abort-on` (a threshold crossed
/// for [`ABORT_AFTER_MS`] stops the run); a stop request stops it too.
async fn watch_thresholds(
    rec: Shared,
    abort_on: Vec<Threshold>,
    (mut stop, run_tx, mut done): (
        watch::Receiver<bool>,
        watch::Sender<bool>,
        watch::Receiver<bool>,
    ),
    clock: Arc<dyn crate::clock::Clock>,
    aims: Aims,
) {
    let mut since: Option<i64> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => { let _ = run_tx.send(true); return; }
            _ = done.changed() => return,
        }
        let now = clock.now_ms();
        let mut r = lock(&rec);
        r.tick(now, aims.target(now).0 / 60.0);
        let meta = aims.meta(now);
        let crossed = thresholds::crossed(&abort_on, |n| summary::figure(&r, &meta, n));
        drop(r);
        since = if crossed.is_empty() {
            None
        } else {
            since.or(Some(now))
        };
        if since.is_some_and(|s| now - s >= ABORT_AFTER_MS) {
            tracing::warn!(thresholds = %crossed.join(","), "--abort-on: a threshold was crossed for a minute; stopping");
            let _ = run_tx.send(true);
            return;
        }
    }
}
