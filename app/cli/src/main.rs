//! `sluice`: command-line entry to Sluice.
//!
//! `sluice demo` runs a pool's life on an embedded chain (an in-process bank running the
//! Sluice program and the real SPL Token program) and prints a table per step.
#![allow(deprecated)]

mod demo;
mod localnet;
mod wallet;

use std::process::ExitCode;

const USAGE: &str = concat!(
    "usage: sluice <command> [options]

chains:
  sluice localnet [--port 8899] [--bind 127.0.0.1] [--time-scale 1] [--seed SPEC [--keypair PATH]]
                  the embedded bank (Sluice + SPL Token) behind Solana JSON-RPC; a time
                  scale above 1 runs the cluster clock faster, 0 stops it; --seed migrates
                  a pool spec onto it at start, with the keypair as issuer
  sluice demo [--url URL] [--receivables N] [--steps N] [--wave-days N]
                  a pool's life: pricing, repayments, a default, a redemption wave through
                  Stress and back, a market dump the reserve buys back; on an embedded
                  chain, or a localnet at --url. Exits non-zero if any invariant fails.
",
    "\n",
    // The wallet, issuer and servicer commands.
    include_str!("wallet_usage.txt")
);

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
        Some(cmd) if wallet::COMMANDS.contains(&cmd) => {
            let flags = match wallet::Flags::parse(&args[1..]) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("sluice {cmd}: {e}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
            match rt.block_on(wallet::run(cmd, &flags)) {
                Ok((json, text)) => {
                    if flags.json {
                        println!("{json}");
                    } else {
                        println!("{text}");
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    if flags.json {
                        println!("{}", f.json());
                    }
                    eprintln!("sluice {cmd}: {}", f.message);
                    if !f.hint.is_empty() {
                        eprintln!("  what to do: {}", f.hint);
                    }
                    ExitCode::from(f.exit)
                }
            }
        }
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
