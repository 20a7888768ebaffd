//! Client library for Sluice.
//!
//! - [`pda`]: every program-derived address.
//! - [`ix`]: an instruction builder per program instruction, plus the SPL Token and
//!   system instructions a pool needs around them.
//! - [`state`]: decoding of Sluice accounts.
//! - [`preview`]: NAV, deposit and redemption-fill previews computed with the program's own
//!   math and planning.
//! - [`chain`]: what a client needs from a cluster, and (feature `bank`, on by default) the
//!   in-process bank that implements it for tests, the localnet, the demo and the stress lab;
//!   RPC-only clients build with `default-features = false` and skip the validator runtime.
//! - [`rpc`]: the same over JSON-RPC, for a real cluster or `sluice localnet`.
//! - [`config`]: the wallet and URL from the Solana CLI config, keypair files.
//! - [`keeper`]: sends the cranks that are due, and only those.
//! - [`client`]: multi-instruction flows and typed reads over any chain.
//! - [`units`]: exact amount and date parsing and formatting.
//! - [`errors`]: program error names and messages from the IDL.
#![allow(deprecated)] // solana-program-test 3.1 marks its API unstable

#[cfg(feature = "bank")]
mod bank;
pub mod chain;
pub mod client;
pub mod config;
pub mod errors;
pub mod ix;
pub mod keeper;
pub mod pda;
pub mod preview;
pub mod rpc;
pub mod state;
pub mod units;

pub use anchor_lang::prelude::Pubkey;
pub use sluice;
pub use sluice::error::SluiceError;
