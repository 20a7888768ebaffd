//! `sluice stress SCENARIO.toml`: a pool run through a scenario on the embedded bank — every
//! action a real transaction — measured against its liquidity limit and drawn
//! (`docs/stress.md`).

use std::path::PathBuf;

use sluice_stress::{engine, output, scenario::Scenario};

/// Options of `sluice stress`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// The scenario file (see scenarios/ and docs/stress.md)
    pub scenario: PathBuf,
    /// Folder for the report: daily.csv, summary.json, run.svg
    /// [default: stress-report/<scenario name>]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as one JSON object (progress goes to stderr)
    #[arg(long)]
    pub json: bool,
}

pub async fn run(opts: Options) -> Result<(), String> {
    let scenario = Scenario::load(&opts.scenario)?;
    let out = opts.out.clone().unwrap_or_else(|| PathBuf::from("stress-report").join(&scenario.name));
    let days = scenario.days;
    eprintln!("sluice stress: '{}' over {days} days on an embedded chain", scenario.name);
    let report = engine::run(&scenario, |row| eprintln!("  {}", output::progress_line(row, days))).await?;
    let written = output::write(&report, &out)?;
    if opts.json {
        println!("{}", serde_json::to_string(&report.summary).map_err(|e| e.to_string())?);
    } else {
        print!("{}", output::summary_text(&report.summary));
        println!(
            "  report          {} ({}, {})",
            written.svg.display(),
            written.csv.display(),
            written.summary.display()
        );
    }
    Ok(())
}
