//! The node: one in-process bank (Sluice natively, SPL Token, Token-2022, the system programs) and the
//! bookkeeping a JSON-RPC node keeps beside it — signature statuses, handed-out blockhashes,
//! and an index of the accounts transactions have touched, which `getProgramAccounts`
//! scans because the bank behind the test harness has no owner index of its own.
#![allow(deprecated)] // solana-program-test 3.1 marks its API unstable

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account_decoder::{encode_ui_account, UiAccountEncoding};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcRequestAirdropConfig, RpcSendTransactionConfig,
    RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::custom_error::{
    JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
    JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    Response, RpcBlockhash, RpcKeyedAccount, RpcResponseContext, RpcSimulateTransactionResult, RpcVersionInfo,
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::{TransactionConfirmationStatus, TransactionStatus, UiTransactionEncoding};

use sluice_sdk::chain::{BankChain, Chain, DevChain};

/// How long a handed-out blockhash stays usable: the bank keeps 150 of them, one per slot.
const BLOCKHASH_LIFETIME: Duration = Duration::from_secs(60);
/// Statuses kept for `getSignatureStatuses`, oldest dropped first.
const STATUS_HISTORY: usize = 500_000;
/// Largest airdrop the faucet grants in one request, as solana-test-validator's faucet.
const MAX_AIRDROP: u64 = 1_000_000 * 1_000_000_000;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcFault {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcFault {
    pub fn invalid_params(message: impl ToString) -> RpcFault {
        RpcFault { code: -32602, message: format!("Invalid params: {}", message.to_string()), data: None }
    }
    fn internal(message: impl ToString) -> RpcFault {
        RpcFault { code: -32603, message: format!("Internal error: {}", message.to_string()), data: None }
    }
    pub fn method_not_found(method: &str) -> RpcFault {
        RpcFault { code: -32601, message: format!("Method not found: {method}"), data: None }
    }
}

type RpcResult = Result<Value, RpcFault>;

pub struct Node {
    bank: BankChain,
    statuses: HashMap<Signature, (u64, Option<TransactionError>)>,
    status_order: VecDeque<Signature>,
    blockhashes: VecDeque<(Hash, Instant)>,
    known_accounts: BTreeSet<Pubkey>,
    faucet: Keypair,
}

fn param<T: DeserializeOwned>(params: &[Value], i: usize, what: &str) -> Result<T, RpcFault> {
    let v = params.get(i).ok_or_else(|| RpcFault::invalid_params(format!("missing {what}")))?;
    serde_json::from_value(v.clone()).map_err(|e| RpcFault::invalid_params(format!("{what}: {e}")))
}

fn optional<T: DeserializeOwned + Default>(params: &[Value], i: usize, what: &str) -> Result<T, RpcFault> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(_) => param(params, i, what),
    }
}

fn pubkey(params: &[Value], i: usize) -> Result<Pubkey, RpcFault> {
    let s: String = param(params, i, "pubkey")?;
    Pubkey::from_str(&s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))
}

fn decode_transaction(
    encoded: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction, RpcFault> {
    let bytes = match encoding.unwrap_or(UiTransactionEncoding::Base58) {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
            bs58::decode(encoded).into_vec().map_err(|e| RpcFault::invalid_params(format!("invalid base58: {e}")))?
        }
        UiTransactionEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| RpcFault::invalid_params(format!("invalid base64: {e}")))?,
        other => return Err(RpcFault::invalid_params(format!("unsupported encoding: {other}"))),
    };
    bincode::deserialize(&bytes)
        .map_err(|e| RpcFault::invalid_params(format!("failed to deserialize transaction: {e}")))
}

impl Node {
    pub async fn start() -> Node {
        let mut bank = BankChain::start().await;
        let faucet = bank.context().payer.insecure_clone();
        Node {
            bank,
            statuses: HashMap::new(),
            status_order: VecDeque::new(),
            blockhashes: VecDeque::new(),
            known_accounts: BTreeSet::new(),
            faucet,
        }
    }

    pub fn faucet(&self) -> &Keypair {
        &self.faucet
    }

    async fn slot(&mut self) -> Result<u64, RpcFault> {
        self.bank.context().banks_client.get_root_slot().await.map_err(RpcFault::internal)
    }

    async fn context(&mut self) -> Result<RpcResponseContext, RpcFault> {
        Ok(RpcResponseContext::new(self.slot().await?))
    }

    async fn with_context<T: serde::Serialize>(&mut self, value: T) -> RpcResult {
        let context = self.context().await?;
        Ok(serde_json::to_value(Response { context, value }).expect("serializable"))
    }

    /// Moves the bank clock forward; used by the clock task and `sluice_advanceClock`.
    pub async fn advance_clock(&mut self, seconds: i64) -> Result<i64, RpcFault> {
        if seconds < 0 {
            return Err(RpcFault::invalid_params("the clock only moves forward"));
        }
        self.bank.advance_clock(seconds).await.map_err(RpcFault::internal)?;
        self.bank.now().await.map_err(RpcFault::internal)
    }

    fn record(&mut self, signature: Signature, slot: u64, err: Option<TransactionError>) {
        if self.statuses.insert(signature, (slot, err)).is_none() {
            self.status_order.push_back(signature);
        }
        while self.status_order.len() > STATUS_HISTORY {
            if let Some(old) = self.status_order.pop_front() {
                self.statuses.remove(&old);
            }
        }
    }

    async fn latest_blockhash(&mut self) -> Result<Hash, RpcFault> {
        let hash = self.bank.context().banks_client.get_latest_blockhash().await.map_err(RpcFault::internal)?;
        let now = Instant::now();
        while self.blockhashes.front().is_some_and(|(_, t)| now.duration_since(*t) > BLOCKHASH_LIFETIME) {
            self.blockhashes.pop_front();
        }
        if self.blockhashes.back().map(|(h, _)| *h) != Some(hash) {
            self.blockhashes.push_back((hash, now));
        }
        Ok(hash)
    }

    fn blockhash_is_valid(&self, hash: &Hash) -> bool {
        self.blockhashes.iter().any(|(h, t)| h == hash && t.elapsed() <= BLOCKHASH_LIFETIME)
    }

    async fn account_as(
        &mut self,
        address: &Pubkey,
        config: &RpcAccountInfoConfig,
    ) -> Result<Option<solana_account_decoder::UiAccount>, RpcFault> {
        let account = self.bank.context().banks_client.get_account(*address).await.map_err(RpcFault::internal)?;
        let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
        Ok(account.map(|a| encode_ui_account(address, &a, encoding, None, config.data_slice)))
    }

    /// Answers one JSON-RPC call.
    pub async fn call(&mut self, method: &str, params: &[Value]) -> RpcResult {
        match method {
            "getHealth" => Ok(json!("ok")),
            "getVersion" => Ok(serde_json::to_value(RpcVersionInfo {
                solana_core: "3.1.12".into(),
                feature_set: Some(0x5105_1ce0),
            })
            .expect("serializable")),
            "getSlot" | "getBlockHeight" => Ok(json!(self.slot().await?)),
            "getGenesisHash" => Ok(json!(self.bank.context().genesis_config().hash().to_string())),
            "getLatestBlockhash" => {
                let blockhash = self.latest_blockhash().await?.to_string();
                let height = self.slot().await?;
                self.with_context(RpcBlockhash { blockhash, last_valid_block_height: height + 150 }).await
            }
            "isBlockhashValid" => {
                let s: String = param(params, 0, "blockhash")?;
                let hash = Hash::from_str(&s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))?;
                let valid = self.blockhash_is_valid(&hash);
                self.with_context(valid).await
            }
            "getBalance" => {
                let address = pubkey(params, 0)?;
                let lamports =
                    self.bank.context().banks_client.get_balance(address).await.map_err(RpcFault::internal)?;
                self.with_context(lamports).await
            }
            "getMinimumBalanceForRentExemption" => {
                let len: usize = param(params, 0, "data length")?;
                let rent = self.bank.context().banks_client.get_rent().await.map_err(RpcFault::internal)?;
                Ok(json!(rent.minimum_balance(len)))
            }
            "getAccountInfo" => {
                let address = pubkey(params, 0)?;
                let config: RpcAccountInfoConfig = optional(params, 1, "config")?;
                let account = self.account_as(&address, &config).await?;
                self.with_context(account).await
            }
            "getMultipleAccounts" => {
                let keys: Vec<String> = param(params, 0, "pubkeys")?;
                if keys.len() > 100 {
                    return Err(RpcFault::invalid_params("Too many inputs provided; max 100"));
                }
                let config: RpcAccountInfoConfig = optional(params, 1, "config")?;
                let mut accounts = Vec::with_capacity(keys.len());
                for k in &keys {
                    let address = Pubkey::from_str(k).map_err(|e| RpcFault::invalid_params(format!("{k}: {e}")))?;
                    accounts.push(self.account_as(&address, &config).await?);
                }
                self.with_context(accounts).await
            }
            "getProgramAccounts" => {
                let program = pubkey(params, 0)?;
                let config: RpcProgramAccountsConfig = optional(params, 1, "config")?;
                self.program_accounts(&program, config).await
            }
            "getSignatureStatuses" => {
                let sigs: Vec<String> = param(params, 0, "signatures")?;
                if sigs.len() > 256 {
                    return Err(RpcFault::invalid_params("Too many inputs provided; max 256"));
                }
                let mut out = Vec::with_capacity(sigs.len());
                for s in &sigs {
                    let sig = Signature::from_str(s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))?;
                    out.push(self.statuses.get(&sig).map(|(slot, err)| TransactionStatus {
                        slot: *slot,
                        confirmations: None,
                        status: err.clone().map_or(Ok(()), Err),
                        err: err.clone(),
                        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                    }));
                }
                self.with_context(out).await
            }
            "requestAirdrop" => {
                let to = pubkey(params, 0)?;
                let lamports: u64 = param(params, 1, "lamports")?;
                let _config: RpcRequestAirdropConfig = optional(params, 2, "config")?;
                if lamports > MAX_AIRDROP {
                    return Err(RpcFault::invalid_params(format!("airdrop of {lamports} exceeds {MAX_AIRDROP}")));
                }
                let hash = self.latest_blockhash().await?;
                let ix = solana_system_interface::instruction::transfer(&self.faucet.pubkey(), &to, lamports);
                let tx = Transaction::new_signed_with_payer(&[ix], Some(&self.faucet.pubkey()), &[&self.faucet], hash);
                let signature = tx.signatures[0];
                self.process(VersionedTransaction::from(tx), false).await?;
                Ok(json!(signature.to_string()))
            }
            "sendTransaction" => {
                let encoded: String = param(params, 0, "transaction")?;
                let config: RpcSendTransactionConfig = optional(params, 1, "config")?;
                let tx = decode_transaction(&encoded, config.encoding)?;
                let signature = tx.signatures.first().copied().unwrap_or_default();
                self.process(tx, !config.skip_preflight).await?;
                Ok(json!(signature.to_string()))
            }
            "simulateTransaction" => {
                let encoded: String = param(params, 0, "transaction")?;
                let config: RpcSimulateTransactionConfig = optional(params, 1, "config")?;
                let mut tx = decode_transaction(&encoded, config.encoding)?;
                if config.sig_verify && config.replace_recent_blockhash {
                    return Err(RpcFault::invalid_params("sigVerify may not be used with replaceRecentBlockhash"));
                }
                let mut replacement = None;
                if config.replace_recent_blockhash {
                    let hash = self.latest_blockhash().await?;
                    tx.message.set_recent_blockhash(hash);
                    let height = self.slot().await?;
                    replacement =
                        Some(RpcBlockhash { blockhash: hash.to_string(), last_valid_block_height: height + 150 });
                }
                if config.sig_verify {
                    verify_signatures(&tx)?;
                }
                let mut result = self.simulate(tx).await?;
                result.replacement_blockhash = replacement;
                self.with_context(result).await
            }
            "sluice_advanceClock" => {
                let seconds: i64 = param(params, 0, "seconds")?;
                Ok(json!(self.advance_clock(seconds).await?))
            }
            "sluice_faucet" => Ok(json!(self.faucet.pubkey().to_string())),
            other => Err(RpcFault::method_not_found(other)),
        }
    }

    async fn simulate(&mut self, tx: VersionedTransaction) -> Result<RpcSimulateTransactionResult, RpcFault> {
        let sim = self.bank.context().banks_client.simulate_transaction(tx).await.map_err(RpcFault::internal)?;
        let details = sim.simulation_details;
        Ok(RpcSimulateTransactionResult {
            err: sim.result.and_then(Result::err).map(Into::into),
            logs: details.as_ref().map(|d| d.logs.clone()),
            units_consumed: details.as_ref().map(|d| d.units_consumed),
            loaded_accounts_data_size: details.as_ref().map(|d| d.loaded_accounts_data_size),
            ..empty()
        })
    }

    /// Runs a transaction. With preflight, a failing simulation is answered as a real node
    /// answers it (-32002 with the simulation result) and nothing is committed.
    async fn process(&mut self, tx: VersionedTransaction, preflight: bool) -> Result<(), RpcFault> {
        tx.sanitize().map_err(|e| RpcFault::invalid_params(format!("invalid transaction: {e}")))?;
        verify_signatures(&tx)?;
        let signature = tx.signatures[0];
        if self.statuses.contains_key(&signature) {
            return Err(preflight_failure(already_processed()));
        }
        if !self.blockhash_is_valid(tx.message.recent_blockhash()) {
            // Hashes this node never handed out (or that aged out) are refused as a node
            // refuses an unknown blockhash.
            let sim = RpcSimulateTransactionResult { err: Some(TransactionError::BlockhashNotFound.into()), ..empty() };
            return Err(preflight_failure(sim));
        }
        if preflight {
            let sim = self.simulate(tx.clone()).await?;
            if sim.err.is_some() {
                return Err(preflight_failure(sim));
            }
        }
        let keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
        let slot = self.slot().await?;
        let outcome =
            self.bank.context().banks_client.process_transaction_with_metadata(tx).await.map_err(RpcFault::internal)?;
        self.known_accounts.extend(keys);
        self.record(signature, slot, outcome.result.err());
        Ok(())
    }

    async fn program_accounts(&mut self, program: &Pubkey, config: RpcProgramAccountsConfig) -> RpcResult {
        let filters = config.filters.unwrap_or_default();
        for f in &filters {
            f.verify().map_err(|e| RpcFault::invalid_params(e.to_string()))?;
        }
        let candidates: Vec<Pubkey> = self.known_accounts.iter().copied().collect();
        let mut found = Vec::new();
        for address in candidates {
            let Some(account) =
                self.bank.context().banks_client.get_account(address).await.map_err(RpcFault::internal)?
            else {
                continue;
            };
            if account.owner != *program || !filters.iter().all(|f| matches(f, &account.data)) {
                continue;
            }
            let encoding = config.account_config.encoding.unwrap_or(UiAccountEncoding::Binary);
            found.push(RpcKeyedAccount {
                pubkey: address.to_string(),
                account: encode_ui_account(&address, &account, encoding, None, config.account_config.data_slice),
            });
        }
        if config.with_context.unwrap_or(false) {
            self.with_context(found).await
        } else {
            Ok(serde_json::to_value(found).expect("serializable"))
        }
    }
}

fn matches(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(m) => m.bytes_match(data),
        RpcFilterType::TokenAccountState => is_token_account(data),
    }
}

/// An initialized token account of either token program, as a validator's
/// `tokenAccountState` filter reads it: 165 bytes (classic SPL Token, or Token-2022 without
/// extensions), or longer with the Token-2022 account-type byte after the base state; its
/// state initialized or frozen (a permissioned pool's tranche accounts start frozen).
fn is_token_account(data: &[u8]) -> bool {
    const BASE_LEN: usize = 165;
    const STATE: usize = 108;
    const MULTISIG_LEN: usize = 355;
    const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
    let initialized = data.get(STATE).is_some_and(|s| *s != 0);
    let extended = data.len() > BASE_LEN && data.len() != MULTISIG_LEN && data[BASE_LEN] == ACCOUNT_TYPE_ACCOUNT;
    initialized && (data.len() == BASE_LEN || extended)
}

fn verify_signatures(tx: &VersionedTransaction) -> Result<(), RpcFault> {
    if tx.verify_with_results().iter().all(|ok| *ok) {
        Ok(())
    } else {
        Err(RpcFault {
            code: JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
            message: "Transaction signature verification failure".into(),
            data: None,
        })
    }
}

fn empty() -> RpcSimulateTransactionResult {
    RpcSimulateTransactionResult {
        err: None,
        logs: Some(vec![]),
        accounts: None,
        units_consumed: Some(0),
        loaded_accounts_data_size: None,
        return_data: None,
        inner_instructions: None,
        replacement_blockhash: None,
        fee: None,
        pre_balances: None,
        post_balances: None,
        pre_token_balances: None,
        post_token_balances: None,
        loaded_addresses: None,
    }
}

fn already_processed() -> RpcSimulateTransactionResult {
    RpcSimulateTransactionResult { err: Some(TransactionError::AlreadyProcessed.into()), ..empty() }
}

fn preflight_failure(sim: RpcSimulateTransactionResult) -> RpcFault {
    let err: Option<TransactionError> = sim.err.clone().map(Into::into);
    let message = match &err {
        Some(e) => format!("Transaction simulation failed: {e}"),
        None => "Transaction simulation failed".into(),
    };
    RpcFault {
        code: JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
        message,
        data: Some(serde_json::to_value(sim).expect("serializable")),
    }
}

#[cfg(test)]
mod tests {
    use super::is_token_account;

    #[test]
    fn the_token_account_filter_takes_both_programs_and_frozen_accounts() {
        let mut classic = vec![0u8; 165];
        assert!(!is_token_account(&classic), "uninitialized");
        classic[108] = 1;
        assert!(is_token_account(&classic));
        classic[108] = 2;
        assert!(is_token_account(&classic), "frozen");
        // A Token-2022 account with extensions (immutable owner): account type 2 at 165.
        let mut extended = vec![0u8; 170];
        extended[108] = 2;
        extended[165] = 2;
        assert!(is_token_account(&extended));
        extended[165] = 1; // a mint's account type
        assert!(!is_token_account(&extended));
        assert!(!is_token_account(&[1u8; 82]), "a mint");
        let mut multisig = vec![0u8; 355];
        multisig[108] = 1;
        multisig[165] = 2;
        assert!(!is_token_account(&multisig));
    }
}
