//! The `hookyard` binary.

use std::process::ExitCode;

use clap::Parser;
use hookyard_server::cli::Cli;
use hookyard_server::{commands, telemetry};

fn main() -> ExitCode {
    // A bad flag prints usage and exits 2 here.
    let cli = Cli::parse();
    telemetry::init(&cli.global.log, cli.global.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("hookyard: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(&cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hookyard: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, without repeating a cause that an outer message
/// already quotes, and no backtrace.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
