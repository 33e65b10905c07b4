//! Thin binary: load .env, set up logging, parse the CLI, run, map errors to
//! exit codes (0 ok, 1 runtime failure, 2 bad configuration or usage).

use std::process::ExitCode;

use clap::Parser;
use ticketsim::cli::{self, Cli, Command};
use ticketsim::telemetry::{self, LogFormat};

fn main() -> ExitCode {
    // A missing .env is fine; a malformed one is a configuration error.
    if let Err(e) = ticketsim::config::load_dotenv() {
        return fail(2, &e);
    }
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Demo { .. } | Command::Load(_) => "warn",
        _ => "info",
    };
    if let Err(e) = LogFormat::detect().and_then(|f| telemetry::init(f, default_filter)) {
        return fail(2, &e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, &format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(cli::dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cli::already_reported(&e) => ExitCode::from(e.exit_code()),
        Err(e) => fail(e.exit_code(), &e.to_string()),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}
