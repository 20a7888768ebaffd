//! Every command documents itself: `--help` exits 0 and names the command's arguments.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).arg("--help").output().expect("sluice runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?} --help: {:?}\n{stdout}", out.status);
    stdout
}

#[test]
fn the_top_level_help_lists_the_commands() {
    let text = help(&[]);
    for command in [
        "localnet",
        "demo",
        "pools",
        "deposit",
        "redeem",
        "claim",
        "swap",
        "admit",
        "set-metadata",
        "thaw",
        "basket",
        "keygen",
    ] {
        assert!(text.contains(command), "{command} missing:\n{text}");
    }
}

#[test]
fn deposit_help_names_its_arguments_and_the_wallet_options() {
    let text = help(&["deposit"]);
    for arg in ["<POOL>", "<TRANCHE>", "<AMOUNT>", "--url", "--keypair", "--config", "--json", "--slippage-bps"] {
        assert!(text.contains(arg), "{arg} missing:\n{text}");
    }
    assert!(text.contains("[default: 50]"), "{text}");
}

#[test]
fn thaw_and_set_metadata_help_name_their_arguments() {
    let text = help(&["thaw"]);
    for arg in ["<POOL>", "[TRANCHE]", "--owner", "--json", "--url", "frozen", "live member"] {
        assert!(text.contains(arg), "{arg} missing:\n{text}");
    }
    let text = help(&["set-metadata"]);
    for arg in ["<POOL>", "<TRANCHE>", "--name", "--symbol", "--uri", "--json", "64 bytes", "16 bytes"] {
        assert!(text.contains(arg), "{arg} missing:\n{text}");
    }
}

#[test]
fn basket_redeem_help_names_its_arguments() {
    let text = help(&["basket", "redeem"]);
    for arg in ["<BASKET>", "<TOKENS|all>", "--json", "--url", "sleeve"] {
        assert!(text.contains(arg), "{arg} missing:\n{text}");
    }
    let text = help(&["basket"]);
    for command in
        ["create", "add-constituent", "list", "show", "exchange-in", "exchange-out", "redeem", "position", "rebalance"]
    {
        assert!(text.contains(command), "{command} missing:\n{text}");
    }
}

#[test]
fn a_usage_error_exits_2_with_the_error_object_under_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice")).args(["deposit", "POOL", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["error"]["message"].as_str().unwrap().contains("<TRANCHE>"), "{json}");
    let out = Command::new(env!("CARGO_BIN_EXE_sluice")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_subcommand_answers_help_and_the_tool_its_version() {
    let sluice = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().unwrap();
    for command in ["localnet", "demo", "stress", "exit", "airdrop", "keygen", "completions", "basket"] {
        assert!(help(&[command]).contains("Usage:"), "{command}");
    }
    let out = sluice(&["--version"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("sluice "));
    let out = sluice(&["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("deposit") && script.contains("--slippage-bps"), "a bash completion script");
}

#[test]
fn bad_arguments_are_refused_before_any_network_call() {
    let sluice = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().unwrap();
    // No cluster listens at this URL: a refusal here comes from the argument check alone.
    let url = ["--url", "http://127.0.0.1:9"];
    for args in [
        &["airdrop", "-5"][..],
        &["airdrop", "0"],
        &["airdrop", "NaN"],
        &["pools", "extra"],
        &["frobnicate"],
        &["exit", "POOL", "senior", "1", "--max-discount-bps", "9000"],
    ] {
        let out = sluice(&[args, &url[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = sluice(&["frobnicate"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("frobnicate"), "the unknown command is named");
}
