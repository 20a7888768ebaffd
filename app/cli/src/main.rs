//! `sluice`: command-line entry to Sluice.
//!
//! `sluice demo` runs a pool's life on an embedded chain (an in-process bank running the
//! Sluice program and the real SPL Token and Token-2022 programs) and prints a table per step.
#![allow(deprecated)]

mod basket;
mod demo;
mod localnet;
mod stress;
mod wallet;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Sluice: tranched SME-receivables pools on Solana, from a wallet or a local chain.
///
/// Wallet and cluster come from the Solana CLI config unless --url / --keypair / --config
/// say otherwise; the wallet signs and pays. Every wallet command prints a table for people
/// or, with --json, one JSON object for scripts (refusals as {"error":{...}}). Exit codes:
/// 0 done, 1 refused or failed, 2 a usage error.
#[derive(Parser, Debug)]
// As before clap, an option given twice takes its last value.
#[command(
    name = "sluice",
    version,
    arg_required_else_help = true,
    subcommand_required = true,
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand, Debug)]
enum Top {
    /// The embedded bank (Sluice + SPL Token + Token-2022) behind Solana JSON-RPC
    ///
    /// A time scale above 1 runs the cluster clock faster, 0 stops it; --seed migrates a pool
    /// spec onto it at start, with the keypair as issuer.
    Localnet(localnet::Cli),
    /// A pool's life on an embedded chain, or a localnet at --url
    ///
    /// Pricing, repayments, a default, a redemption wave through Stress and back, a market
    /// dump the reserve buys back. Exits non-zero if any invariant fails.
    Demo(demo::Options),
    /// A pool run through a stress scenario on an embedded chain, measured and drawn
    ///
    /// Every action is a real transaction. Prints progress per day and a summary (paid vs
    /// requested vs the liquidity limit, efficiency, losses by tranche, market discount,
    /// stages) and writes daily.csv, summary.json and run.svg to --out.
    Stress(stress::Options),
    /// Prints a completion script for a shell (bash, zsh, fish, elvish, powershell)
    ///
    /// For example: `sluice completions bash > ~/.local/share/bash-completion/completions/sluice`.
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Wallet(wallet::Command),
}

/// "deposit", "basket redeem": the subcommand path, for messages.
fn command_name(m: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut m = m;
    while let Some((name, sub)) = m.subcommand() {
        names.push(name.to_string());
        m = sub;
    }
    names.join(" ")
}

/// A command line clap refused: its message, and with --json on a wallet command, the error
/// object on stdout as for every other usage error.
fn usage_error(e: clap::Error, argv: &[String]) -> ExitCode {
    let code = e.exit_code();
    let chain_command =
        !matches!(argv.get(1).map(String::as_str), Some("demo" | "localnet" | "stress" | "completions"));
    if code != 0 && chain_command && argv.iter().any(|a| a == "--json") {
        // The message without the usage lines after it, on one line.
        let rendered = e.render().to_string();
        let first = rendered.split("\n\n").next().unwrap_or_default();
        let message = first.split_whitespace().collect::<Vec<_>>().join(" ");
        let message = message.trim_start_matches("error: ");
        println!("{}", wallet::Failure::usage(message).json());
    }
    let _ = e.print();
    ExitCode::from(code as u8)
}

fn main() -> ExitCode {
    sluice_sdk::config::quiet_on_closed_pipe();
    // The embedded bank logs every transaction at debug level; a person wants the table.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let argv: Vec<String> = std::env::args().collect();
    let matches = match Cli::command().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return usage_error(e, &argv),
    };
    let name = command_name(&matches);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return usage_error(e, &argv),
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match cli.command {
        Top::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "sluice", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Top::Demo(opts) => match rt.block_on(demo::run(opts)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice demo: {e}");
                ExitCode::FAILURE
            }
        },
        Top::Stress(opts) => match rt.block_on(stress::run(opts)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice stress: {e}");
                ExitCode::FAILURE
            }
        },
        Top::Localnet(opts) => match rt.block_on(localnet::run(opts.into())) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice localnet: {e}");
                ExitCode::FAILURE
            }
        },
        Top::Wallet(command) => {
            let json = command.global().json;
            match rt.block_on(wallet::run(&command)) {
                Ok((out, text)) => {
                    if json {
                        println!("{out}");
                    } else {
                        println!("{text}");
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    if json {
                        println!("{}", f.json());
                    }
                    eprintln!("sluice {name}: {}", f.message);
                    if !f.hint.is_empty() {
                        eprintln!("  what to do: {}", f.hint);
                    }
                    ExitCode::from(f.exit)
                }
            }
        }
    }
}
