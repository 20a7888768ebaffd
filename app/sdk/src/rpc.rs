//! [`Chain`] over JSON-RPC: a real cluster, or `sluice localnet`.
//!
//! Every transaction gets a compute-budget prefix: a unit limit that doubles as a nonce (so
//! a crank repeated within one blockhash is a distinct transaction, not a duplicate) and,
//! when asked for, a priority fee. Program errors are reported against the caller's
//! instruction list, not the prefix.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::request::{RpcError, RpcRequest};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::chain::{Chain, ChainError, DevChain, RawAccount, COMPUTE_BUDGET_ID};

/// Largest compute-unit limit a transaction may ask for.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;

pub struct RpcChain {
    client: RpcClient,
    payer: Keypair,
    /// Micro-lamports per compute unit; 0 sends no price instruction.
    pub priority_fee: u64,
    /// Upper bound for the compute-unit limit (the nonce counts down from it).
    pub compute_limit: u32,
    nonce: u32,
    /// Signatures of the transactions this chain landed, oldest first.
    sent: Vec<String>,
}

impl RpcChain {
    /// A client of the node at `url` paying with `payer`, reading at `confirmed`.
    pub fn new(url: &str, payer: Keypair) -> RpcChain {
        let client = RpcClient::new_with_timeout_and_commitment(
            url.to_string(),
            Duration::from_secs(30),
            CommitmentConfig::confirmed(),
        );
        RpcChain { client, payer, priority_fee: 0, compute_limit: MAX_COMPUTE_UNITS, nonce: 0, sent: Vec::new() }
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// Signatures of the transactions sent through this chain that landed, oldest first.
    pub fn sent_signatures(&self) -> &[String] {
        &self.sent
    }

    /// Accounts of `program` whose data starts with `discriminator` (an Anchor account
    /// type), by `getProgramAccounts` with a memcmp filter.
    pub async fn accounts_of_type(
        &self,
        program: &Pubkey,
        discriminator: &[u8],
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        self.accounts_matching(program, &[(0, discriminator.to_vec())]).await
    }

    /// Accounts of `program` whose data holds each `(offset, bytes)`, by
    /// `getProgramAccounts` with memcmp filters.
    pub async fn accounts_matching(
        &self,
        program: &Pubkey,
        filters: &[(usize, Vec<u8>)],
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        use solana_account_decoder_client_types::UiAccountEncoding;
        use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
        use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
        let config = RpcProgramAccountsConfig {
            filters: Some(
                filters.iter().map(|(o, b)| RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*o, b.clone()))).collect(),
            ),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(self.client.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let found = self.client.get_program_accounts_with_config(program, config).await.map_err(|e| classify(e, 0))?;
        Ok(found.into_iter().map(|(k, a)| (k, a.data)).collect())
    }

    fn prefix(&mut self) -> Vec<Instruction> {
        self.nonce = self.nonce.wrapping_add(1);
        let limit = self.compute_limit.min(MAX_COMPUTE_UNITS).saturating_sub(self.nonce % 10_000);
        let mut data = vec![2u8];
        data.extend_from_slice(&limit.to_le_bytes());
        let mut ixs = vec![Instruction { program_id: COMPUTE_BUDGET_ID, accounts: vec![], data }];
        if self.priority_fee > 0 {
            let mut data = vec![3u8];
            data.extend_from_slice(&self.priority_fee.to_le_bytes());
            ixs.push(Instruction { program_id: COMPUTE_BUDGET_ID, accounts: vec![], data });
        }
        ixs
    }
}

/// Sorts a client error into the SDK's kinds: program and transaction failures are final,
/// everything else is the transport's and may be retried.
pub fn classify(e: ClientError, prefix_len: u8) -> ChainError {
    match e.kind().get_transaction_error() {
        Some(TransactionError::InstructionError(i, InstructionError::Custom(code))) => {
            ChainError::Program { instruction: i.saturating_sub(prefix_len), code }
        }
        Some(other) => ChainError::Transaction(other.to_string()),
        None => match e.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError { code, message, .. }) => {
                // Answers the node gave on purpose (bad params, unknown method) are final.
                if (-32699..=-32600).contains(code) {
                    ChainError::Transaction(format!("{message} ({code})"))
                } else {
                    ChainError::Transport(format!("{message} ({code})"))
                }
            }
            _ => ChainError::Transport(e.to_string()),
        },
    }
}

impl Chain for RpcChain {
    fn payer(&self) -> &Keypair {
        &self.payer
    }

    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<(), ChainError> {
        let mut all = self.prefix();
        let prefix_len = all.len() as u8;
        all.extend_from_slice(ixs);
        let blockhash = self.client.get_latest_blockhash().await.map_err(|e| classify(e, prefix_len))?;
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend(signers.iter().copied().filter(|k| k.pubkey() != self.payer.pubkey()));
        let mut tx = Transaction::new_signed_with_payer(&all, Some(&self.payer.pubkey()), &keys, blockhash);
        if self.priority_fee > 0 {
            // The fee is price × limit: size the limit to the simulated use plus a margin
            // instead of paying for the maximum.
            let sim = self.client.simulate_transaction(&tx).await.map_err(|e| classify(e, prefix_len))?.value;
            if let Some(used) = sim.units_consumed {
                // The nonce term keeps repeated identical cranks distinct transactions.
                let limit =
                    (used + used / 5 + 5_000 + (self.nonce % 1_000) as u64).min(self.compute_limit as u64) as u32;
                all[0].data = [&[2u8][..], &limit.to_le_bytes()].concat();
                tx = Transaction::new_signed_with_payer(&all, Some(&self.payer.pubkey()), &keys, blockhash);
            }
        }
        let signature = self.client.send_and_confirm_transaction(&tx).await.map_err(|e| classify(e, prefix_len))?;
        self.sent.push(signature.to_string());
        Ok(())
    }

    async fn account(&mut self, address: &Pubkey) -> Result<Option<RawAccount>, ChainError> {
        let r = self
            .client
            .get_account_with_commitment(address, self.client.commitment())
            .await
            .map_err(|e| classify(e, 0))?;
        Ok(r.value.map(|a| RawAccount { lamports: a.lamports, owner: a.owner, data: a.data }))
    }

    async fn now(&mut self) -> Result<i64, ChainError> {
        let clock = solana_clock::sysvar::ID;
        let data = self.account(&clock).await?.ok_or(ChainError::MissingAccount(clock))?.data;
        let clock: solana_clock::Clock =
            bincode::deserialize(&data).map_err(|e| ChainError::Transport(format!("clock sysvar: {e}")))?;
        Ok(clock.unix_timestamp)
    }

    async fn rent_exempt_minimum(&mut self, len: usize) -> Result<u64, ChainError> {
        self.client.get_minimum_balance_for_rent_exemption(len).await.map_err(|e| classify(e, 0))
    }
}

impl DevChain for RpcChain {
    /// Asks the node's faucet (`requestAirdrop`) and waits for it to land.
    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<(), ChainError> {
        let signature = self.client.request_airdrop(to, lamports).await.map_err(|e| classify(e, 0))?;
        for _ in 0..120 {
            if self.client.confirm_transaction(&signature).await.map_err(|e| classify(e, 0))? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(ChainError::Transport(format!("airdrop {signature} not confirmed")))
    }

    /// `sluice_advanceClock`: only `sluice localnet` answers it.
    async fn advance_clock(&mut self, seconds: i64) -> Result<(), ChainError> {
        let _: i64 = self
            .client
            .send(RpcRequest::Custom { method: "sluice_advanceClock" }, json!([seconds]))
            .await
            .map_err(|e| classify(e, 0))?;
        Ok(())
    }
}
