//! `sluice-migrate`: sets up a Sluice pool from an issuer's spec.
#![allow(deprecated)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use sluice_migrate::{migrate, verify, Mode, Spec, StepState};
use sluice_sdk::config::{read_keypair, SolanaCliConfig};
use sluice_sdk::rpc::RpcChain;
use solana_signer::Signer;

/// Sets up a Sluice pool from an issuer's spec.
///
/// Reads the spec and its receivables CSV and checks them completely (errors name file and
/// line), then brings the chain to the spec: each step is done only if missing, so a re-run
/// changes nothing. Verifies the result and writes a deployment record (JSON) with every
/// address. The keypair is the pool authority and pays.
#[derive(Parser, Debug)]
#[command(name = "sluice-migrate", version, args_override_self = true)]
struct Args {
    /// The pool spec (its receivables CSV is named inside it)
    #[arg(value_name = "SPEC.toml", required_unless_present = "completions")]
    spec: Option<PathBuf>,
    /// Print the plan, send nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    /// Where to write the deployment record [default: <spec>.deployment.json beside the spec]
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta), as the Solana CLI
    #[arg(short = 'u', long, value_name = "URL")]
    url: Option<String>,
    /// The issuer's keypair file, as the Solana CLI
    #[arg(short = 'k', long, value_name = "PATH")]
    keypair: Option<PathBuf>,
    /// A Solana CLI config file
    #[arg(short = 'C', long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Print a completion script for SHELL and exit
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<clap_complete::Shell>,
}

fn default_record(spec: &Path) -> PathBuf {
    let stem = spec.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or("pool".into());
    spec.with_file_name(format!("{stem}.deployment.json"))
}

fn main() -> ExitCode {
    sluice_sdk::config::quiet_on_closed_pipe();
    // The embedded bank (a rehearsal) logs every instruction at debug level otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let args = Args::parse();
    if let Some(shell) = args.completions {
        clap_complete::generate(shell, &mut Args::command(), "sluice-migrate", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let spec_path = args.spec.clone().expect("clap requires the spec");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let config = match SolanaCliConfig::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sluice-migrate: {e}");
            return ExitCode::from(2);
        }
    };
    let issuer = match read_keypair(&config.keypair_path(args.keypair.as_deref())) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("sluice-migrate: {e}");
            return ExitCode::from(2);
        }
    };
    let spec = match Spec::load(&spec_path, now, &issuer.pubkey()) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("sluice-migrate: {} problem(s) in the spec; nothing was sent", errors.0.len());
            return ExitCode::from(2);
        }
    };
    let url = config.url(args.url.as_deref());
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async move {
        let mut chain = RpcChain::new(&url, issuer.insecure_clone());
        let mode = if args.dry_run { Mode::DryRun } else { Mode::Apply };
        let report = match migrate(&mut chain, &issuer, &spec, mode).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sluice-migrate: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut problems = Vec::new();
        if mode == Mode::Apply {
            match verify(&mut chain, &issuer.pubkey(), &spec, &report.deployment).await {
                Ok(p) => problems = p,
                Err(e) => {
                    eprintln!("sluice-migrate: verifying: {}", e.explain());
                    return ExitCode::FAILURE;
                }
            }
        }
        let record = args.record.clone().unwrap_or_else(|| default_record(&spec_path));
        if mode == Mode::Apply && problems.is_empty() {
            let text = serde_json::to_string_pretty(&report.deployment).expect("serializable");
            if let Err(e) = std::fs::write(&record, text + "\n") {
                eprintln!("sluice-migrate: cannot write {}: {e}", record.display());
                return ExitCode::FAILURE;
            }
        }
        if args.json {
            let mut v = serde_json::to_value(&report).expect("serializable");
            v["verified"] = serde_json::json!(mode == Mode::Apply && problems.is_empty());
            v["problems"] = serde_json::json!(problems);
            v["record"] = serde_json::json!((mode == Mode::Apply).then(|| record.display().to_string()));
            v["url"] = serde_json::json!(url);
            println!("{}", serde_json::to_string_pretty(&v).expect("serializable"));
        } else {
            println!(
                "{} {} on {url} as {}",
                if args.dry_run { "Plan for" } else { "Migrating" },
                spec.name,
                issuer.pubkey()
            );
            for s in &report.steps {
                let tag = match s.state {
                    StepState::Present => "exists ",
                    StepState::Planned => "would  ",
                    StepState::Applied => "done   ",
                };
                println!("  {tag} {}", s.what);
            }
            match mode {
                Mode::DryRun => println!("{} step(s) to apply; nothing sent (dry run)", report.planned()),
                Mode::Apply if problems.is_empty() => {
                    println!("{} step(s) applied; verified against the spec", report.applied());
                    println!("deployment record: {}", record.display());
                }
                Mode::Apply => {}
            }
        }
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("sluice-migrate: verify: {p}");
            }
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    })
}
