//! `sluice demo --url` runs the whole story over JSON-RPC against a localnet, with every
//! step's cross-checks.

use std::process::Command;

use sluice_localnet::{Background, Options};

#[test]
fn the_demo_runs_against_the_localnet() {
    let net = Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["demo", "--url", &net.url, "--receivables", "30", "--steps", "3", "--wave-days", "10"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("on {}", net.url)), "{stdout}");
    assert!(stdout.contains("stage → Stress"), "{stdout}");
    // The basket fills its sleeve in the calm week and pays an exit at once in the wave.
    assert!(stdout.contains("basket collects"), "{stdout}");
    assert!(stdout.contains("at once through the basket"), "{stdout}");
    assert!(stdout.contains("on-chain NAV equals the SDK's independent computation"), "{stdout}");
}
