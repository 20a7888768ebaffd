//! The in-process bank (solana-program-test) behind the `bank` feature: Sluice registered
//! natively (or its SBF build) beside the real SPL Token and Token-2022 programs. RPC-only
//! clients — the keeper, the migration, a wallet backend — build without it and do not
//! compile or link the validator runtime.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::chain::{validator_logs, Chain, ChainError, DevChain, RawAccount, COMPUTE_BUDGET_ID};

impl From<BanksClientError> for ChainError {
    fn from(e: BanksClientError) -> Self {
        match e {
            BanksClientError::TransactionError(t) | BanksClientError::SimulationError { err: t, .. } => match t {
                TransactionError::InstructionError(i, InstructionError::Custom(code)) => {
                    ChainError::Program { instruction: i, code }
                }
                other => ChainError::Transaction(other.to_string()),
            },
            other => ChainError::Transport(other.to_string()),
        }
    }
}

/// Adapter from the runtime's builtin signature to Anchor's generated entry point, whose
/// account slice and infos share one lifetime. It also writes the lines a validator's logs
/// hold and a natively built program's `msg!` would only print: Anchor's `Instruction: Name`
/// before, and its `AnchorError occurred. …` line for a refusal after.
fn process_instruction(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: only re-borrows the slice for the duration of this call.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    let log = anchor_lang::compat::solana_sysvar::program_stubs::sol_log;
    if let Some(name) = crate::errors::instruction_name(data) {
        log(&format!("Instruction: {}", crate::errors::pascal_case(name)));
    }
    let result = sluice::entry(program_id, accounts, data);
    if let Err(anchor_lang::solana_program::program_error::ProgramError::Custom(code)) = &result {
        if let Some(line) = crate::errors::anchor_error_line(*code) {
            log(&line);
        }
    }
    result
}

/// An in-process bank with Sluice and SPL Token (its bundled BPF build).
///
/// Sluice runs natively unless `SBF_OUT_DIR` (or `BPF_OUT_DIR`) names a directory holding
/// `sluice.so` from `cargo build-sbf`; then the bank loads that build into the SBF VM and
/// compute units are metered for real.
pub struct BankChain {
    ctx: ProgramTestContext,
    /// Makes otherwise identical transactions distinct (a compute-limit nonce), so a crank
    /// repeated within one blockhash is not dropped as a duplicate.
    nonce: u32,
    sbf: bool,
}

/// Directory of an SBF build of Sluice, if the environment points at one.
fn sbf_build_dir() -> Option<std::path::PathBuf> {
    ["SBF_OUT_DIR", "BPF_OUT_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(std::path::PathBuf::from)
        .find(|dir| dir.join("sluice.so").is_file())
}

impl BankChain {
    pub async fn start() -> BankChain {
        // The bank logs every instruction at debug level unless RUST_LOG says otherwise (the
        // harness sets its logger up at the first start): keep a plain `cargo test` readable.
        if std::env::var("RUST_LOG").map_or(true, |v| v.trim().is_empty()) {
            std::env::set_var("RUST_LOG", "error");
        }
        let sbf = sbf_build_dir().is_some();
        let mut pt = if sbf {
            ProgramTest::new("sluice", sluice::ID, None)
        } else {
            ProgramTest::new("sluice", sluice::ID, processor!(process_instruction))
        };
        pt.prefer_bpf(sbf);
        BankChain { ctx: pt.start_with_context().await, nonce: 0, sbf }
    }

    /// Sends a transaction and returns its outcome with its log lines (validator form,
    /// `validator_logs`): what an indexer or a wallet reads from `getTransaction`.
    pub async fn send_with_logs(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(Result<(), ChainError>, Vec<String>), ChainError> {
        let tx = self.transaction(ixs, signers).await?;
        let outcome = self.ctx.banks_client.process_transaction_with_metadata(tx).await.map_err(ChainError::from)?;
        let logs = validator_logs(outcome.metadata.map(|m| m.log_messages).unwrap_or_default());
        let result = match outcome.result {
            Ok(()) => Ok(()),
            Err(e) => Err(match ChainError::from(BanksClientError::TransactionError(e)) {
                ChainError::Program { instruction, code } => {
                    ChainError::Program { instruction: instruction.saturating_sub(1), code }
                }
                other => other,
            }),
        };
        Ok((result, logs))
    }

    /// True when Sluice runs in the SBF VM, so compute units are its real cost.
    pub fn runs_sbf(&self) -> bool {
        self.sbf
    }

    /// Compute units a transaction of `ixs` would consume, by simulation. Natively run
    /// Sluice is charged 1 unit per instruction: only under SBF is this its real cost.
    pub async fn units_consumed(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<u64, ChainError> {
        let tx = self.transaction(ixs, signers).await?;
        let sim = self.ctx.banks_client.simulate_transaction(tx).await.map_err(ChainError::from)?;
        if let Some(Err(e)) = sim.result {
            return Err(ChainError::Transaction(e.to_string()));
        }
        sim.simulation_details.map(|d| d.units_consumed).ok_or(ChainError::Transport("no simulation details".into()))
    }

    async fn transaction(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Transaction, ChainError> {
        self.nonce = self.nonce.wrapping_add(1);
        let mut data = vec![2u8];
        data.extend_from_slice(&(1_400_000 - (self.nonce % 100_000)).to_le_bytes());
        let mut all = vec![Instruction { program_id: COMPUTE_BUDGET_ID, accounts: vec![], data }];
        all.extend_from_slice(ixs);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.map_err(ChainError::from)?;
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend(signers.iter().copied().filter(|k| k.pubkey() != self.ctx.payer.pubkey()));
        Ok(Transaction::new_signed_with_payer(&all, Some(&self.ctx.payer.pubkey()), &keys, blockhash))
    }

    /// Sets the cluster clock to `unix_timestamp` (forward only).
    pub async fn set_clock(&mut self, unix_timestamp: i64) -> Result<(), ChainError> {
        let now = self.now().await?;
        if unix_timestamp > now {
            self.advance_clock(unix_timestamp - now).await?;
        }
        Ok(())
    }

    /// The bank's test context, for a server that puts a network face on it.
    pub fn context(&mut self) -> &mut ProgramTestContext {
        &mut self.ctx
    }
}

impl DevChain for BankChain {
    /// Funds `to` with SOL from the payer.
    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<(), ChainError> {
        let ix = anchor_lang::solana_program::system_instruction::transfer(&self.ctx.payer.pubkey(), to, lamports);
        self.send(&[ix], &[]).await
    }

    async fn advance_clock(&mut self, seconds: i64) -> Result<(), ChainError> {
        let mut clock: solana_clock::Clock =
            self.ctx.banks_client.get_sysvar().await.map_err(|e| ChainError::Transport(e.to_string()))?;
        clock.unix_timestamp += seconds;
        self.ctx.set_sysvar(&clock);
        Ok(())
    }
}

impl Chain for BankChain {
    fn payer(&self) -> &Keypair {
        &self.ctx.payer
    }

    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<(), ChainError> {
        let tx = self.transaction(ixs, signers).await?;
        self.ctx.banks_client.process_transaction(tx).await.map_err(|e| {
            // Instruction indices in errors refer to the caller's list, not our nonce.
            match ChainError::from(e) {
                ChainError::Program { instruction, code } => {
                    ChainError::Program { instruction: instruction.saturating_sub(1), code }
                }
                other => other,
            }
        })
    }

    async fn account(&mut self, address: &Pubkey) -> Result<Option<RawAccount>, ChainError> {
        let acc = self.ctx.banks_client.get_account(*address).await.map_err(ChainError::from)?;
        Ok(acc.map(|a| RawAccount { lamports: a.lamports, owner: a.owner, data: a.data }))
    }

    async fn now(&mut self) -> Result<i64, ChainError> {
        let clock: solana_clock::Clock = self.ctx.banks_client.get_sysvar().await.map_err(ChainError::from)?;
        Ok(clock.unix_timestamp)
    }

    async fn rent_exempt_minimum(&mut self, len: usize) -> Result<u64, ChainError> {
        let rent = self.ctx.banks_client.get_rent().await.map_err(ChainError::from)?;
        Ok(rent.minimum_balance(len))
    }
}
