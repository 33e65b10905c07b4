//! `ticketsim check`: each check's line as soon as it is decided, then the verdict
//! (or one JSON object with `--json`).

use crate::app::{self, AppError};
use crate::config::{Config, ProcessEnv};

pub(super) async fn check(json: bool, no_probe: bool) -> Result<(), AppError> {
    let cfg = match Config::from_env(&ProcessEnv, None) {
        Ok(cfg) => cfg,
        Err(e) => {
            if json {
                let report = serde_json::json!({"success": false, "message": e.to_string(),
                    "platform": "freshdesk", "domain": null});
                println!("{report}");
            }
            return Err(e.into());
        }
    };
    let live: Option<fn(&app::check::Item)> = (!json).then_some(print_item);
    let opts = app::CheckOptions {
        probe: !no_probe,
        live,
    };
    if !json {
        print!("{}", app::CheckReport::new(&cfg.freshdesk_url).header());
        flush_stdout();
    }
    let report = app::check(&cfg, opts).await;
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.verdict());
    }
    if report.success {
        Ok(())
    } else {
        Err(AppError::Check(report.message))
    }
}

/// One check's line, printed as soon as it is decided.
fn print_item(item: &app::check::Item) {
    print!("{}", item.line());
    flush_stdout();
}

fn flush_stdout() {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}
