//! `sluice stress`: a reference scenario runs on the embedded bank, shows progress, writes the
//! report folder and prints the summary; a bad scenario file is refused by name.

use std::process::Command;

fn sluice(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).env("RUST_LOG", "error").output().expect("sluice runs")
}

fn scenario(name: &str) -> String {
    format!("{}/../../scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_stress_run_prints_progress_and_a_summary_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("report");
    let out = sluice(&["stress", &scenario("keeper-outage"), "--out", out_dir.to_str().unwrap(), "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    // Progress: one line per day on stderr.
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    let days = summary["days"].as_u64().unwrap();
    assert!(days > 0);
    assert_eq!(stderr.lines().filter(|l| l.trim_start().starts_with("day ")).count() as u64, days, "{stderr}");
    assert_eq!(summary["scenario"], "keeper-outage");
    assert!(summary["efficiency_bps"].as_u64().unwrap() >= 9_900, "{summary}");
    assert!(summary["requested"].as_u64().unwrap() > 0);
    // The report folder: the daily table, the summary and the picture.
    let csv = std::fs::read_to_string(out_dir.join("daily.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, days + 1);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(written, summary);
    let svg = std::fs::read_to_string(out_dir.join("run.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("liquidity limit"));
}

#[test]
fn a_bad_scenario_is_refused_with_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "name = \"bad\"\ndays = 10\n[pool]\nsize = 1_000_000\ncash_shar_bps = 100\n").unwrap();
    let out = sluice(&["stress", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml") && stderr.contains("cash_shar_bps"), "{stderr}");
    let out = sluice(&["stress", "/nonexistent/scenario.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/scenario.toml"));
}

#[test]
fn stress_help_names_its_arguments() {
    let out = sluice(&["stress", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for arg in ["<SCENARIO>", "--out", "--json", "daily.csv"] {
        assert!(text.contains(arg), "{arg} missing:\n{text}");
    }
}
