//! `sluice`: command-line entry to Sluice.
//!
//! `sluice demo` runs a pool's life on an embedded chain (an in-process bank running the
//! Sluice program and the real SPL Token program) and prints a table per step.
#![allow(deprecated)]

mod demo;
mod localnet;

use std::process::ExitCode;

const USAGE: &str = "usage: sluice demo [--receivables N] [--steps N] [--wave-days N]

  demo   create a three-tranche pool on an embedded chain, fund receivables, take
         deposits, then step the clock: reprice, repayments, a default, write-downs;
         then a redemption wave through Stress and back, paid in daily batches.
         Exits non-zero if any invariant fails.";

fn main() -> ExitCode {
    // The embedded bank logs every transaction at debug level; a person wants the table.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => match demo::Options::parse(&args[1..]) {
            Ok(opts) => {
                let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
                match rt.block_on(demo::run(opts)) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("sluice demo: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Err(e) => {
                eprintln!("sluice demo: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("localnet") => match localnet::parse(&args[1..]) {
            Ok(opts) => {
                let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
                match rt.block_on(localnet::run(opts)) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("sluice localnet: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Err(e) => {
                eprintln!("sluice localnet: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
