//! `ticketsim load`: an open-model arrival of lifecycles with live progress,
//! a summary (HDR percentiles), thresholds and a self-contained HTML report.
//! Everything that touches the engine lives in [`engine`]; the rest is pure.

pub mod arrivals;
pub mod engine;
pub mod html;
pub mod progress;
pub mod rate;
pub mod recorder;
pub mod run;
pub mod stats;
pub mod summary;
pub mod thresholds;

pub use arrivals::{Arrivals, Kind as ArrivalKind};
pub use rate::{Ramp, Rate, parse_rate};
pub use recorder::{Recorder, StepOutcome};
pub use run::{LoadOptions, LoadResult, run};
