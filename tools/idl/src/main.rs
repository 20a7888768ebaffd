//! Generates `idl/sluice.json` from the program source, or checks that the committed copy
//! is fresh (`--check`, used by CI).
//!
//! The IDL builder compiles the program with the `idl-build` feature through `cargo test`.
//! It would run `rustup toolchain install $RUSTUP_TOOLCHAIN` when that variable is set (and
//! `cargo run` sets it), so this tool clears it first: the project builds on the machine's
//! one stable toolchain and must never replace it. The build gets its own target directory
//! because it uses different features and RUSTFLAGS, which would otherwise force the main
//! build to recompile.

use std::path::PathBuf;
use std::process::ExitCode;

use anchor_lang_idl::build::IdlBuilder;

fn main() -> ExitCode {
    // Safe here: single-threaded, before anything reads the environment.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root");
    std::env::set_var("CARGO_TARGET_DIR", root.join("target/idl"));

    let check = std::env::args().any(|a| a == "--check");
    let idl =
        match IdlBuilder::new().program_path(root.join("programs/sluice")).cargo_args(vec!["--lib".into()]).build() {
            Ok(idl) => idl,
            Err(e) => {
                eprintln!("sluice-idl: building the IDL failed: {e:#}");
                return ExitCode::FAILURE;
            }
        };
    let json = serde_json::to_string_pretty(&idl).expect("IDL serializes") + "\n";
    let path = root.join("idl/sluice.json");

    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != json {
            eprintln!("sluice-idl: idl/sluice.json is stale; run `cargo run -p sluice-idl` and commit it");
            return ExitCode::FAILURE;
        }
        println!("sluice-idl: idl/sluice.json is fresh");
    } else {
        std::fs::write(&path, json).expect("write idl/sluice.json");
        println!("sluice-idl: wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
