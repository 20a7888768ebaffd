//! What a Sluice client needs from a cluster, and its in-process implementation.
//!
//! [`Chain`] is the seam between the tools and a network: instruction builders and
//! previews never talk to a node directly. [`BankChain`] runs a real bank in process with
//! Sluice registered natively and the real SPL Token program beside it; it backs the tests
//! and `sluice demo`.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_keypair::Keypair;

use sluice::error::SluiceError;

/// Anchor numbers a program's own errors from this offset.
pub const ERROR_OFFSET: u32 = 6000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    /// An instruction failed with a custom program error (Sluice's or SPL Token's).
    #[error("instruction {instruction} failed with program error {code}")]
    Program { instruction: u8, code: u32 },
    /// The transaction failed for another reason (missing signature, account, funds…).
    #[error("transaction failed: {0}")]
    Transaction(String),
    /// The node could not be reached or answered nonsense.
    #[error("transport: {0}")]
    Transport(String),
    #[error("account {0} not found")]
    MissingAccount(Pubkey),
    #[error("account {0}: {1}")]
    Decode(Pubkey, crate::state::DecodeError),
}

impl ChainError {
    /// True when the failure is exactly `error` from Sluice.
    pub fn is(&self, error: SluiceError) -> bool {
        matches!(self, ChainError::Program { code, .. } if *code == u32::from(error))
    }

    /// The Sluice error code, if this is one.
    pub fn sluice_code(&self) -> Option<u32> {
        match self {
            ChainError::Program { code, .. } if *code >= ERROR_OFFSET => Some(*code),
            _ => None,
        }
    }

    /// The custom program error code, whoever raised it (Sluice, Anchor, a token program).
    pub fn program_code(&self) -> Option<u32> {
        match self {
            ChainError::Program { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The error with the program's own name and message for it, for people.
    pub fn explain(&self) -> String {
        match self.sluice_code().and_then(crate::errors::lookup) {
            Some(e) => format!("Sluice refused: {} ({}): {}", e.name, e.code, e.msg),
            None => self.to_string(),
        }
    }
}

/// Raw account as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAccount {
    pub lamports: u64,
    pub owner: Pubkey,
    pub data: Vec<u8>,
}

/// What the SDK and tools need from a cluster.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// Fee payer for every transaction.
    fn payer(&self) -> &Keypair;
    /// Sends one transaction made of `ixs`, signed by the payer and `signers`, and waits
    /// for it to be final.
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<(), ChainError>;
    async fn account(&mut self, address: &Pubkey) -> Result<Option<RawAccount>, ChainError>;
    /// The cluster's unix time (Clock sysvar).
    async fn now(&mut self) -> Result<i64, ChainError>;
    async fn rent_exempt_minimum(&mut self, len: usize) -> Result<u64, ChainError>;
}

/// What only a development chain offers: a faucet and a clock that can be moved.
#[allow(async_fn_in_trait)]
pub trait DevChain: Chain {
    /// Funds `to` with `lamports` of SOL.
    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<(), ChainError>;
    /// Moves the cluster clock forward by `seconds`.
    async fn advance_clock(&mut self, seconds: i64) -> Result<(), ChainError>;
}

/// A transaction's log lines as a validator writes them: a natively built Sluice writes its
/// events as `Program log: <mark><base64>` (`sluice::events::emit`); they become the
/// `Program data: <base64>` lines Anchor clients decode. Only lines written while Sluice is
/// the program running (the innermost `Program … invoke` frame) are turned: another program
/// logging the mark keeps its line as it wrote it. Other lines pass unchanged.
pub fn validator_logs(logs: Vec<String>) -> Vec<String> {
    let marked = format!("Program log: {}", sluice::events::NATIVE_EVENT_MARK);
    let sluice_id = sluice::ID.to_string();
    let mut running: Vec<String> = Vec::new();
    logs.into_iter()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("Program ") {
                let mut words = rest.split(' ');
                match (words.next(), words.next()) {
                    (Some(program), Some("invoke")) => running.push(program.to_string()),
                    (Some(program), Some("success" | "failed:")) if running.last().is_some_and(|p| p == program) => {
                        running.pop();
                    }
                    _ => {}
                }
            }
            match line.strip_prefix(&marked) {
                Some(data) if running.last() == Some(&sluice_id) => format!("Program data: {data}"),
                _ => line,
            }
        })
        .collect()
}

pub(crate) const COMPUTE_BUDGET_ID: Pubkey = anchor_lang::pubkey!("ComputeBudget111111111111111111111111111111");

#[cfg(feature = "bank")]
pub use crate::bank::BankChain;

/// Reads through to a chain but records transactions instead of sending them: what a
/// `--dry-run` would have sent.
pub struct DryRun<'a, C> {
    pub inner: &'a mut C,
    pub would_send: Vec<Vec<Instruction>>,
}

impl<'a, C: Chain> DryRun<'a, C> {
    pub fn new(inner: &'a mut C) -> Self {
        DryRun { inner, would_send: Vec::new() }
    }

    /// The recorded transactions as Sluice instruction names ("process_batch", …).
    pub fn names(&self) -> Vec<String> {
        self.would_send
            .iter()
            .flatten()
            .map(|ix| {
                if ix.program_id == sluice::ID {
                    crate::errors::instruction_name(&ix.data).unwrap_or("unknown").to_string()
                } else {
                    format!("{} instruction", ix.program_id)
                }
            })
            .collect()
    }
}

impl<C: Chain> Chain for DryRun<'_, C> {
    fn payer(&self) -> &Keypair {
        self.inner.payer()
    }

    async fn send(&mut self, ixs: &[Instruction], _signers: &[&Keypair]) -> Result<(), ChainError> {
        self.would_send.push(ixs.to_vec());
        Ok(())
    }

    async fn account(&mut self, address: &Pubkey) -> Result<Option<RawAccount>, ChainError> {
        self.inner.account(address).await
    }

    async fn now(&mut self) -> Result<i64, ChainError> {
        self.inner.now().await
    }

    async fn rent_exempt_minimum(&mut self, len: usize) -> Result<u64, ChainError> {
        self.inner.rent_exempt_minimum(len).await
    }
}
