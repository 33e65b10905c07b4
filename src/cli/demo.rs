//! `ticketsim demo`: the daemon against the built-in emulator, then a summary.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::{self, AppError, DemoOptions};

pub(super) async fn demo(
    db: Option<PathBuf>,
    duration: Option<Duration>,
    seed: u64,
    playbooks: &str,
) -> Result<(), AppError> {
    let playbooks = crate::content::Library::embedded()
        .select_playbooks(playbooks)
        .map_err(|e| AppError::Usage(format!("--playbooks: {e}")))?;
    let db = db.unwrap_or_else(|| PathBuf::from("ticketsim-demo.db"));
    match duration {
        Some(d) => println!(
            "ticketsim demo: a ticket every 10 s against the built-in emulator, for {}; database {}",
            crate::domain::format_duration(d.as_millis() as i64),
            db.display()
        ),
        None => println!(
            "ticketsim demo: a ticket every 10 s against the built-in emulator, until Ctrl-C; database {}",
            db.display()
        ),
    }
    let opts = DemoOptions {
        db,
        duration,
        seed,
        playbooks,
    };
    let summary = app::demo(opts, app::stop_on_signals(), std::io::stdout()).await?;
    let states: Vec<String> = summary
        .by_state
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    println!(
        "\nsummary: lifecycles: {}; messages sent: {}; requests to the emulator: {}",
        states.join(", "),
        summary.messages,
        summary.requests
    );
    println!(
        "see them with: ticketsim --db {} export",
        summary.db.display()
    );
    Ok(())
}
