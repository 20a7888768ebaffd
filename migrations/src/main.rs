//! `sluice-migrate`: sets up a Sluice pool from an issuer's spec.
#![allow(deprecated)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sluice_migrate::{migrate, verify, Mode, Spec, StepState};
use sluice_sdk::config::{read_keypair, SolanaCliConfig};
use sluice_sdk::rpc::RpcChain;
use solana_signer::Signer;

const USAGE: &str = "usage: sluice-migrate <spec.toml> [--dry-run] [--record PATH] [--json]
                      [--url URL] [--keypair PATH] [--config PATH]

  Reads the spec and its receivables CSV and checks them completely (errors name file
  and line), then brings the chain to the spec: each step is done only if missing, so a
  re-run changes nothing. Verifies the result and writes a deployment record (JSON) with
  every address (default: <spec>.deployment.json beside the spec).

  --dry-run   print the plan, send nothing
  --json      print the report as JSON
  --url, --keypair, --config   as the Solana CLI; the keypair is the pool authority and pays";

struct Args {
    spec: PathBuf,
    dry_run: bool,
    json: bool,
    record: Option<PathBuf>,
    url: Option<String>,
    keypair: Option<PathBuf>,
    config: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        spec: PathBuf::new(),
        dry_run: false,
        json: false,
        record: None,
        url: None,
        keypair: None,
        config: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--dry-run" => out.dry_run = true,
            "--json" => out.json = true,
            "--record" => out.record = Some(value()?.into()),
            "--url" | "-u" => out.url = Some(value()?),
            "--keypair" | "-k" => out.keypair = Some(value()?.into()),
            "--config" | "-C" => out.config = Some(value()?.into()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s if out.spec.as_os_str().is_empty() => out.spec = s.into(),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    if out.spec.as_os_str().is_empty() {
        return Err("no spec file given".into());
    }
    Ok(out)
}

fn default_record(spec: &Path) -> PathBuf {
    let stem = spec.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or("pool".into());
    spec.with_file_name(format!("{stem}.deployment.json"))
}

fn main() -> ExitCode {
    let args = match sluice_sdk::config::start_cli("sluice-migrate", USAGE, parse) {
        Ok(a) => a,
        Err(code) => return code,
    };
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
    let spec = match Spec::load(&args.spec, now, &issuer.pubkey()) {
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
        let record = args.record.clone().unwrap_or_else(|| default_record(&args.spec));
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
