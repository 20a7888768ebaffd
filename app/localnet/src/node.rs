//! The node: one in-process bank (Sluice natively, SPL Token, Token-2022, the system programs)
//! and the bookkeeping a JSON-RPC node keeps beside it — the ledger of what it processed, the
//! slot it is at, and an index of the accounts transactions have touched, which the scanning
//! methods read because the bank behind the test harness has no owner index of its own.
//!
//! Every transaction sent gets a slot of its own: the bank moves to the next slot, then checks
//! and runs it. Moving keeps the cluster clock where `sluice_advanceClock` and the clock task put
//! it (the bank would otherwise re-estimate it from the slot).
#![allow(deprecated)] // solana-program-test 3.1 and solana-transaction-status mark their API unstable

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account::Account;
use solana_account_decoder::parse_account_data::AccountAdditionalDataV3;
use solana_account_decoder::{encode_ui_account, UiAccount, UiAccountEncoding};
use solana_banks_interface::BanksTransactionResultWithSimulation;
use solana_clock::{Clock, Slot};
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::v0::LoadedAddresses;
use solana_message::{AccountKeys, Message, VersionedMessage};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcContextConfig, RpcProgramAccountsConfig, RpcRequestAirdropConfig,
    RpcSendTransactionConfig, RpcSignatureStatusConfig, RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::custom_error::{
    RpcCustomError, JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
    JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    Response, RpcBlockhash, RpcKeyedAccount, RpcResponseContext, RpcSimulateTransactionResult, RpcVersionInfo, SlotInfo,
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status::{
    map_inner_instructions, parse_ui_inner_instructions, InnerInstructions, TransactionConfirmationStatus,
    TransactionStatus, TransactionStatusMeta, TransactionTokenBalance, UiTransactionEncoding, UiTransactionReturnData,
};
use tokio::sync::broadcast;

use sluice_sdk::chain::{validator_logs, BankChain, Chain, DevChain};

use crate::ledger::{Block, Entry, Ledger};
use crate::pubsub::{AccountChange, Notice};
use crate::tokens;

/// Largest airdrop the faucet grants in one request, as solana-test-validator's faucet.
const MAX_AIRDROP: u64 = 1_000_000 * 1_000_000_000;
/// Notices a slow websocket connection may fall behind by before it misses some.
const NOTICE_BACKLOG: usize = 4_096;
/// While no transaction arrives, the clock task moves the slot this often. Each slot keeps
/// about 160 KB of bank sysvars in memory for the node's life, so an idle node does not
/// make one per clock tick.
pub const IDLE_SLOT_INTERVAL: Duration = Duration::from_secs(30);

const COMPUTE_BUDGET: Pubkey = anchor_lang::pubkey!("ComputeBudget111111111111111111111111111111");
const CLOCK_SYSVAR: Pubkey = anchor_lang::pubkey!("SysvarC1ock11111111111111111111111111111111");

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
    pub(crate) fn internal(message: impl ToString) -> RpcFault {
        RpcFault { code: -32603, message: format!("Internal error: {}", message.to_string()), data: None }
    }
    /// A validator's exact wording for a bad parameter ("Invalid param: …").
    pub(crate) fn invalid_param(message: &str) -> RpcFault {
        RpcFault { code: -32602, message: format!("Invalid param: {message}"), data: None }
    }
    pub fn method_not_found(method: &str) -> RpcFault {
        RpcFault { code: -32601, message: format!("Method not found: {method}"), data: None }
    }
}

impl From<RpcCustomError> for RpcFault {
    fn from(e: RpcCustomError) -> RpcFault {
        let e = jsonrpc_core::Error::from(e);
        RpcFault { code: e.code.code(), message: e.message, data: e.data }
    }
}

pub(crate) type RpcResult = Result<Value, RpcFault>;

pub struct Node {
    pub(crate) bank: BankChain,
    pub(crate) ledger: Ledger,
    pub(crate) known_accounts: BTreeSet<Pubkey>,
    faucet: Keypair,
    slot: Slot,
    block_height: u64,
    last_slot_move: Instant,
    notices: broadcast::Sender<Arc<Notice>>,
}

pub(crate) fn param<T: DeserializeOwned>(params: &[Value], i: usize, what: &str) -> Result<T, RpcFault> {
    let v = params.get(i).ok_or_else(|| RpcFault::invalid_params(format!("missing {what}")))?;
    serde_json::from_value(v.clone()).map_err(|e| RpcFault::invalid_params(format!("{what}: {e}")))
}

pub(crate) fn optional<T: DeserializeOwned + Default>(params: &[Value], i: usize, what: &str) -> Result<T, RpcFault> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(_) => param(params, i, what),
    }
}

pub(crate) fn parse_pubkey(s: &str) -> Result<Pubkey, RpcFault> {
    Pubkey::from_str(s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))
}

pub(crate) fn pubkey(params: &[Value], i: usize) -> Result<Pubkey, RpcFault> {
    let s: String = param(params, i, "pubkey")?;
    parse_pubkey(&s)
}

pub(crate) fn parse_signature(s: &str) -> Result<Signature, RpcFault> {
    Signature::from_str(s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))
}

pub(crate) fn serialized(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("RPC types serialize")
}

fn decode_base(encoded: &str, encoding: UiTransactionEncoding) -> Result<Vec<u8>, RpcFault> {
    match encoding {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
            bs58::decode(encoded).into_vec().map_err(|e| RpcFault::invalid_params(format!("invalid base58: {e}")))
        }
        UiTransactionEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| RpcFault::invalid_params(format!("invalid base64: {e}"))),
        other => Err(RpcFault::invalid_params(format!("unsupported encoding: {other}"))),
    }
}

fn decode_transaction(
    encoded: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction, RpcFault> {
    let bytes = decode_base(encoded, encoding.unwrap_or(UiTransactionEncoding::Base58))?;
    bincode::deserialize(&bytes)
        .map_err(|e| RpcFault::invalid_params(format!("failed to deserialize transaction: {e}")))
}

/// The commitment a history method accepts: a validator keeps no history below `confirmed`.
pub(crate) fn history_commitment(commitment: Option<CommitmentConfig>) -> Result<(), RpcFault> {
    if commitment.is_some_and(|c| c.is_processed()) {
        return Err(RpcFault::invalid_params("Method does not support commitment below `confirmed`"));
    }
    Ok(())
}

impl Node {
    pub async fn start() -> Node {
        let mut bank = BankChain::start().await;
        let faucet = bank.context().payer.insecure_clone();
        let (notices, _) = broadcast::channel(NOTICE_BACKLOG);
        let mut node = Node {
            bank,
            ledger: Ledger::default(),
            known_accounts: BTreeSet::new(),
            faucet,
            slot: 0,
            block_height: 0,
            last_slot_move: Instant::now(),
            notices,
        };
        let banks = &mut node.bank.context().banks_client;
        node.slot = banks.get_root_slot().await.expect("the bank answers");
        node.block_height = banks.get_root_block_height().await.expect("the bank answers");
        let blockhash = banks.get_latest_blockhash().await.expect("the bank answers");
        let clock: Clock = banks.get_sysvar().await.expect("the bank answers");
        node.ledger.open(Block {
            slot: node.slot,
            parent_slot: node.slot.saturating_sub(1),
            block_height: node.block_height,
            block_time: clock.unix_timestamp,
            previous_blockhash: blockhash,
            blockhash: None,
            signatures: vec![],
        });
        node
    }

    pub fn faucet(&self) -> &Keypair {
        &self.faucet
    }

    /// The channel the node announces slots, account changes and transactions on.
    pub fn notices(&self) -> broadcast::Sender<Arc<Notice>> {
        self.notices.clone()
    }

    pub fn slot(&self) -> Slot {
        self.slot
    }

    fn announce(&self, notice: Notice) {
        // No receiver (no websocket client) is not an error.
        let _ = self.notices.send(Arc::new(notice));
    }

    pub(crate) fn context(&self) -> RpcResponseContext {
        RpcResponseContext::new(self.slot)
    }

    pub(crate) fn with_context<T: serde::Serialize>(&self, value: T) -> RpcResult {
        Ok(serialized(Response { context: self.context(), value }))
    }

    /// The slot and outcome of a committed transaction.
    pub fn signature_result(&self, signature: &Signature) -> Option<(Slot, Option<TransactionError>)> {
        self.ledger.get(signature).map(|e| (e.slot, e.meta.status.clone().err()))
    }

    pub(crate) async fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, RpcFault> {
        self.bank.context().banks_client.get_account(*address).await.map_err(RpcFault::internal)
    }

    pub(crate) async fn clock(&mut self) -> Result<Clock, RpcFault> {
        self.bank.context().banks_client.get_sysvar().await.map_err(RpcFault::internal)
    }

    /// The mint of `address`, if it is one of either token program.
    pub(crate) async fn mint_info(&mut self, address: &Pubkey) -> Result<Option<tokens::MintInfo>, RpcFault> {
        let Some(account) = self.account(address).await? else {
            return Ok(None);
        };
        let now = self.clock().await?.unix_timestamp;
        Ok(tokens::mint(&account, now))
    }

    /// What `jsonParsed` needs to show a token account: its mint's decimals and extensions.
    pub(crate) async fn token_display(
        &mut self,
        account: &Account,
    ) -> Result<Option<AccountAdditionalDataV3>, RpcFault> {
        let Some(holding) = tokens::holding(account) else {
            return Ok(None);
        };
        Ok(self.mint_info(&holding.mint).await?.map(|m| m.additional_data()))
    }

    pub(crate) async fn encode_account(
        &mut self,
        address: &Pubkey,
        account: &Account,
        config: &RpcAccountInfoConfig,
    ) -> Result<UiAccount, RpcFault> {
        let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
        let display = if encoding == UiAccountEncoding::JsonParsed { self.token_display(account).await? } else { None };
        Ok(encode_ui_account(address, account, encoding, display, config.data_slice))
    }

    async fn account_as(
        &mut self,
        address: &Pubkey,
        config: &RpcAccountInfoConfig,
    ) -> Result<Option<UiAccount>, RpcFault> {
        match self.account(address).await? {
            Some(a) => Ok(Some(self.encode_account(address, &a, config).await?)),
            None => Ok(None),
        }
    }

    /// Moves the bank to the next slot, keeping its clock; ends the current block.
    async fn advance_slot(&mut self) -> Result<(), RpcFault> {
        let before = self.clock().await?;
        let parent = self.slot;
        self.bank.context().warp_to_slot(parent + 1).map_err(|e| RpcFault::internal(format!("{e:?}")))?;
        let mut clock = self.clock().await?;
        if clock.unix_timestamp != before.unix_timestamp {
            clock.unix_timestamp = before.unix_timestamp;
            self.bank.context().set_sysvar(&clock);
        }
        let banks = &mut self.bank.context().banks_client;
        self.slot = banks.get_root_slot().await.map_err(RpcFault::internal)?;
        self.block_height = banks.get_root_block_height().await.map_err(RpcFault::internal)?;
        let previous_blockhash = banks.get_latest_blockhash().await.map_err(RpcFault::internal)?;
        self.last_slot_move = Instant::now();
        self.ledger.open(Block {
            slot: self.slot,
            parent_slot: parent,
            block_height: self.block_height,
            block_time: clock.unix_timestamp,
            previous_blockhash,
            blockhash: None,
            signatures: vec![],
        });
        self.announce(Notice::Slot(SlotInfo { slot: self.slot, parent, root: parent }));
        self.announce_clock().await
    }

    async fn announce_clock(&mut self) -> Result<(), RpcFault> {
        if let Some(account) = self.account(&CLOCK_SYSVAR).await? {
            let change = AccountChange { address: CLOCK_SYSVAR, account, token_display: None };
            self.announce(Notice::Accounts { slot: self.slot, changes: vec![change] });
        }
        Ok(())
    }

    /// Moves the bank clock forward, then the slot (so the new block carries the new time);
    /// used by `sluice_advanceClock`.
    pub async fn advance_clock(&mut self, seconds: i64) -> Result<i64, RpcFault> {
        if seconds < 0 {
            return Err(RpcFault::invalid_params("the clock only moves forward"));
        }
        self.bank.advance_clock(seconds).await.map_err(RpcFault::internal)?;
        self.advance_slot().await?;
        self.bank.now().await.map_err(RpcFault::internal)
    }

    /// One tick of the clock task: the clock moves by `seconds`; the slot only when none has
    /// been made for [`IDLE_SLOT_INTERVAL`].
    pub async fn tick(&mut self, seconds: i64) -> Result<(), RpcFault> {
        self.bank.advance_clock(seconds).await.map_err(RpcFault::internal)?;
        if self.last_slot_move.elapsed() >= IDLE_SLOT_INTERVAL {
            self.advance_slot().await
        } else {
            self.announce_clock().await
        }
    }

    async fn latest_blockhash(&mut self) -> Result<RpcBlockhash, RpcFault> {
        let (hash, last_valid_block_height) = self
            .bank
            .context()
            .banks_client
            .get_latest_blockhash_with_commitment(Default::default())
            .await
            .map_err(RpcFault::internal)?
            .ok_or_else(|| RpcFault::internal("no blockhash"))?;
        Ok(RpcBlockhash { blockhash: hash.to_string(), last_valid_block_height })
    }

    /// Whether the bank would still take a transaction made with `hash`, by simulating an
    /// empty one.
    async fn blockhash_is_valid(&mut self, hash: Hash) -> Result<bool, RpcFault> {
        let message = Message::new_with_blockhash(&[], Some(&self.faucet.pubkey()), &hash);
        let tx = Transaction::new_unsigned(message);
        let sim = self.bank.context().banks_client.simulate_transaction(tx).await.map_err(RpcFault::internal)?;
        Ok(!matches!(sim.result, Some(Err(TransactionError::BlockhashNotFound))))
    }

    /// The fee the bank charges for `message`, or None once its blockhash has expired.
    pub(crate) async fn fee_for(&mut self, message: &VersionedMessage) -> Result<Option<u64>, RpcFault> {
        let legacy = match message {
            VersionedMessage::Legacy(m) => m.clone(),
            // The fee depends on the signatures and the compute-budget instructions, which
            // only use static keys: the same message without its lookups costs the same.
            VersionedMessage::V0(m) => Message {
                header: m.header,
                account_keys: m.account_keys.clone(),
                recent_blockhash: m.recent_blockhash,
                instructions: m
                    .instructions
                    .iter()
                    .filter(|ix| ix.accounts.iter().all(|a| usize::from(*a) < m.account_keys.len()))
                    .cloned()
                    .collect(),
            },
        };
        self.bank.context().banks_client.get_fee_for_message(legacy).await.map_err(RpcFault::internal)
    }

    /// The addresses a v0 transaction loads from lookup tables, as the bank will resolve them.
    async fn loaded_addresses(&mut self, message: &VersionedMessage) -> Result<LoadedAddresses, RpcFault> {
        let mut loaded = LoadedAddresses::default();
        for lookup in message.address_table_lookups().unwrap_or_default() {
            let Some(table) = self.account(&lookup.account_key).await? else {
                continue;
            };
            let addresses: Vec<Pubkey> = table
                .data
                .get(solana_address_lookup_table_interface::state::LOOKUP_TABLE_META_SIZE..)
                .unwrap_or_default()
                .chunks_exact(32)
                .map(|c| Pubkey::try_from(c).expect("32 bytes"))
                .collect();
            // An index past the table's end makes the bank refuse the transaction anyway.
            let pick = |indexes: &[u8]| -> Vec<Pubkey> {
                indexes.iter().filter_map(|i| addresses.get(usize::from(*i)).copied()).collect()
            };
            loaded.writable.extend(pick(&lookup.writable_indexes));
            loaded.readonly.extend(pick(&lookup.readonly_indexes));
        }
        Ok(loaded)
    }

    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, RpcFault> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.account(k).await?);
        }
        Ok(out)
    }

    /// Token balances of the token accounts among `accounts`, as a validator's meta lists them.
    async fn token_balances(&mut self, accounts: &[Option<Account>]) -> Result<Vec<TransactionTokenBalance>, RpcFault> {
        let mut out = Vec::new();
        for (index, account) in accounts.iter().enumerate() {
            let Some(account) = account else { continue };
            let Some(holding) = tokens::holding(account) else { continue };
            // The mint as it is now; a mint's decimals never change.
            let Some(mint) = self.mint_info(&holding.mint).await? else { continue };
            out.push(TransactionTokenBalance {
                account_index: index as u8,
                mint: holding.mint.to_string(),
                ui_token_amount: mint.ui_amount(holding.amount),
                owner: holding.owner.to_string(),
                program_id: account.owner.to_string(),
            });
        }
        Ok(out)
    }

    /// Answers one JSON-RPC call.
    pub async fn call(&mut self, method: &str, params: &[Value]) -> RpcResult {
        if let Some(min) = min_context_slot(params) {
            if min > self.slot {
                return Err(RpcCustomError::MinContextSlotNotReached { context_slot: self.slot }.into());
            }
        }
        match method {
            "getHealth" => Ok(json!("ok")),
            "getVersion" => {
                Ok(serialized(RpcVersionInfo { solana_core: "3.1.12".into(), feature_set: Some(0x5105_1ce0) }))
            }
            "getSlot" => Ok(json!(self.slot)),
            "getBlockHeight" => Ok(json!(self.block_height)),
            "getGenesisHash" => Ok(json!(self.bank.context().genesis_config().hash().to_string())),
            "getLatestBlockhash" => {
                let blockhash = self.latest_blockhash().await?;
                self.with_context(blockhash)
            }
            "isBlockhashValid" => {
                let s: String = param(params, 0, "blockhash")?;
                let hash = Hash::from_str(&s).map_err(|e| RpcFault::invalid_params(format!("{s}: {e}")))?;
                let valid = self.blockhash_is_valid(hash).await?;
                self.with_context(valid)
            }
            "getBalance" => {
                let address = pubkey(params, 0)?;
                let lamports = self.account(&address).await?.map_or(0, |a| a.lamports);
                self.with_context(lamports)
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
                self.with_context(account)
            }
            "getMultipleAccounts" => {
                let keys: Vec<String> = param(params, 0, "pubkeys")?;
                if keys.len() > 100 {
                    return Err(RpcFault::invalid_params("Too many inputs provided; max 100"));
                }
                let config: RpcAccountInfoConfig = optional(params, 1, "config")?;
                let mut accounts = Vec::with_capacity(keys.len());
                for k in &keys {
                    let address = parse_pubkey(k)?;
                    accounts.push(self.account_as(&address, &config).await?);
                }
                self.with_context(accounts)
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
                let _config: Option<RpcSignatureStatusConfig> = optional(params, 1, "config")?;
                let mut out = Vec::with_capacity(sigs.len());
                for s in &sigs {
                    let sig = parse_signature(s)?;
                    out.push(self.signature_result(&sig).map(|(slot, err)| TransactionStatus {
                        slot,
                        confirmations: None,
                        status: err.clone().map_or(Ok(()), Err),
                        err,
                        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                    }));
                }
                self.with_context(out)
            }
            "requestAirdrop" => {
                let to = pubkey(params, 0)?;
                let lamports: u64 = param(params, 1, "lamports")?;
                let _config: RpcRequestAirdropConfig = optional(params, 2, "config")?;
                if lamports > MAX_AIRDROP {
                    return Err(RpcFault::invalid_params(format!("airdrop of {lamports} exceeds {MAX_AIRDROP}")));
                }
                let hash = self.bank.context().banks_client.get_latest_blockhash().await.map_err(RpcFault::internal)?;
                let ix = solana_system_interface::instruction::transfer(&self.faucet.pubkey(), &to, lamports);
                let tx = Transaction::new_signed_with_payer(&[ix], Some(&self.faucet.pubkey()), &[&self.faucet], hash);
                let signature = self.process(VersionedTransaction::from(tx), false).await?;
                Ok(json!(signature.to_string()))
            }
            "sendTransaction" => {
                let encoded: String = param(params, 0, "transaction")?;
                let config: RpcSendTransactionConfig = optional(params, 1, "config")?;
                let tx = decode_transaction(&encoded, config.encoding)?;
                let signature = self.process(tx, !config.skip_preflight).await?;
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
                    let latest = self.latest_blockhash().await?;
                    let hash = Hash::from_str(&latest.blockhash).map_err(RpcFault::internal)?;
                    tx.message.set_recent_blockhash(hash);
                    replacement = Some(latest);
                }
                if config.sig_verify {
                    verify_signatures(&tx)?;
                }
                let loaded = self.loaded_addresses(&tx.message).await?;
                let keys = tx.message.static_account_keys().to_vec();
                let sim = self.simulate(tx).await?;
                let mut result = simulation_result(sim, &keys, &loaded, config.inner_instructions);
                result.replacement_blockhash = replacement;
                self.with_context(result)
            }
            "getFeeForMessage" => {
                let encoded: String = param(params, 0, "message")?;
                let _config: RpcContextConfig = optional(params, 1, "config")?;
                let bytes = decode_base(&encoded, UiTransactionEncoding::Base64)?;
                let message: VersionedMessage = bincode::deserialize(&bytes)
                    .map_err(|e| RpcFault::invalid_params(format!("failed to deserialize message: {e}")))?;
                let fee = self.fee_for(&message).await?;
                self.with_context(fee)
            }
            "getEpochInfo" => {
                let schedule = self.bank.context().genesis_config().epoch_schedule.clone();
                let (epoch, slot_index) = schedule.get_epoch_and_slot_index(self.slot);
                Ok(serialized(solana_epoch_info::EpochInfo {
                    epoch,
                    slot_index,
                    slots_in_epoch: schedule.get_slots_in_epoch(epoch),
                    absolute_slot: self.slot,
                    block_height: self.block_height,
                    transaction_count: Some(self.ledger.transaction_count()),
                }))
            }
            "getEpochSchedule" => Ok(serialized(self.bank.context().genesis_config().epoch_schedule.clone())),
            "getTransactionCount" => Ok(json!(self.ledger.transaction_count())),
            "sluice_advanceClock" => {
                let seconds: i64 = param(params, 0, "seconds")?;
                Ok(json!(self.advance_clock(seconds).await?))
            }
            "sluice_faucet" => Ok(json!(self.faucet.pubkey().to_string())),
            other => {
                if let Some(answer) = self.history_call(other, params).await {
                    return answer;
                }
                if let Some(answer) = self.token_call(other, params).await {
                    return answer;
                }
                Err(RpcFault::method_not_found(other))
            }
        }
    }

    async fn simulate(&mut self, tx: VersionedTransaction) -> Result<BanksTransactionResultWithSimulation, RpcFault> {
        self.bank.context().banks_client.simulate_transaction(tx).await.map_err(RpcFault::internal)
    }

    /// Runs a transaction in a slot of its own and records it. With preflight, a failing
    /// simulation is answered as a real node answers it (-32002 with the simulation result)
    /// and nothing is committed; without, so is one that could never land (an unknown or
    /// expired blockhash, a duplicate), where a validator would drop it silently.
    async fn process(&mut self, tx: VersionedTransaction, preflight: bool) -> Result<Signature, RpcFault> {
        tx.sanitize().map_err(|e| RpcFault::invalid_params(format!("invalid transaction: {e}")))?;
        verify_signatures(&tx)?;
        let signature = tx.signatures[0];
        if self.ledger.get(&signature).is_some() {
            return Err(preflight_failure(failed(TransactionError::AlreadyProcessed)));
        }
        let static_keys = tx.message.static_account_keys().to_vec();
        let loaded = self.loaded_addresses(&tx.message).await?;
        // The transaction is checked in the slot it will run in, as a validator runs it in a
        // later slot than the one its client saw (a lookup table's `recent_slot` is then in
        // the slot hashes). A refused one leaves that slot empty.
        self.advance_slot().await?;
        // The simulation is the preflight, and gives the inner instructions the bank's
        // metadata lacks (same transaction, same state).
        let simulation = self.simulate(tx.clone()).await?;
        let never_lands = matches!(
            simulation.result,
            Some(Err(TransactionError::BlockhashNotFound | TransactionError::AlreadyProcessed))
        );
        if never_lands || (preflight && matches!(simulation.result, Some(Err(_)))) {
            return Err(preflight_failure(simulation_result(simulation, &static_keys, &loaded, false)));
        }
        let keys: Vec<Pubkey> = static_keys.iter().chain(&loaded.writable).chain(&loaded.readonly).copied().collect();
        let fee = self.fee_for(&tx.message).await?.unwrap_or_default();
        let pre = self.accounts(&keys).await?;
        let pre_tokens = self.token_balances(&pre).await?;
        let outcome = self
            .bank
            .context()
            .banks_client
            .process_transaction_with_metadata(tx.clone())
            .await
            .map_err(RpcFault::internal)?;
        let Some(metadata) = outcome.metadata else {
            // Not committed (an expired blockhash, a fee payer that cannot pay…): a validator
            // would drop it without a word; this node says why at once, even without preflight.
            let err = outcome.result.err().unwrap_or(TransactionError::InvalidAccountForFee);
            return Err(preflight_failure(failed(err)));
        };
        let post = self.accounts(&keys).await?;
        let post_tokens = self.token_balances(&post).await?;
        self.known_accounts.extend(keys.iter().copied());

        let logs = validator_logs(metadata.log_messages);
        let inner = simulation.simulation_details.and_then(|d| d.inner_instructions);
        let err = outcome.result.clone().err();
        let meta = TransactionStatusMeta {
            status: outcome.result,
            fee,
            pre_balances: pre.iter().map(|a| a.as_ref().map_or(0, |a| a.lamports)).collect(),
            post_balances: post.iter().map(|a| a.as_ref().map_or(0, |a| a.lamports)).collect(),
            inner_instructions: inner.map(|list| map_inner_instructions(list).collect::<Vec<InnerInstructions>>()),
            log_messages: Some(logs.clone()),
            pre_token_balances: Some(pre_tokens),
            post_token_balances: Some(post_tokens),
            rewards: Some(vec![]),
            loaded_addresses: loaded.clone(),
            return_data: metadata.return_data,
            compute_units_consumed: Some(metadata.compute_units_consumed),
            cost_units: None,
        };
        let block_time = self.ledger.block(self.slot).map_or(0, |b| b.block_time);
        let compute_unit_price = compute_unit_price(&tx.message);
        let mut changes = Vec::new();
        for ((address, before), after) in keys.iter().zip(&pre).zip(post) {
            if changed(before.as_ref(), after.as_ref()) {
                let account = after.unwrap_or_default();
                let token_display = self.token_display(&account).await?;
                changes.push(AccountChange { address: *address, account, token_display });
            }
        }
        self.ledger.record(
            signature,
            Entry { slot: self.slot, block_time, transaction: tx, meta, keys: keys.clone(), compute_unit_price },
        );
        self.announce(Notice::Accounts { slot: self.slot, changes });
        self.announce(Notice::Transaction { slot: self.slot, signature, err, logs, keys });
        Ok(signature)
    }

    async fn program_accounts(&mut self, program: &Pubkey, config: RpcProgramAccountsConfig) -> RpcResult {
        let filters = config.filters.unwrap_or_default();
        for f in &filters {
            f.verify().map_err(|e| RpcFault::invalid_params(e.to_string()))?;
        }
        let candidates: Vec<Pubkey> = self.known_accounts.iter().copied().collect();
        let mut found = Vec::new();
        for address in candidates {
            let Some(account) = self.account(&address).await? else {
                continue;
            };
            if account.owner != *program || !filters.iter().all(|f| matches_filter(f, &account.data)) {
                continue;
            }
            let account = self.encode_account(&address, &account, &config.account_config).await?;
            found.push(RpcKeyedAccount { pubkey: address.to_string(), account });
        }
        if config.with_context.unwrap_or(false) {
            self.with_context(found)
        } else {
            Ok(serialized(found))
        }
    }
}

/// The `minContextSlot` of a call's config object, wherever the method puts it.
fn min_context_slot(params: &[Value]) -> Option<Slot> {
    params.iter().rev().find_map(|p| p.get("minContextSlot").and_then(Value::as_u64))
}

fn changed(before: Option<&Account>, after: Option<&Account>) -> bool {
    match (before, after) {
        (None, None) => false,
        (Some(a), Some(b)) => a.lamports != b.lamports || a.owner != b.owner || a.data != b.data,
        _ => true,
    }
}

/// The micro-lamports per compute unit a message offers (`SetComputeUnitPrice`).
fn compute_unit_price(message: &VersionedMessage) -> u64 {
    const SET_COMPUTE_UNIT_PRICE: u8 = 3;
    let keys = message.static_account_keys();
    message
        .instructions()
        .iter()
        .filter(|ix| keys.get(usize::from(ix.program_id_index)) == Some(&COMPUTE_BUDGET))
        .find_map(|ix| match ix.data.as_slice() {
            [SET_COMPUTE_UNIT_PRICE, price @ ..] if price.len() == 8 => {
                Some(u64::from_le_bytes(price.try_into().expect("8 bytes")))
            }
            _ => None,
        })
        .unwrap_or(0)
}

/// A simulation as `simulateTransaction` (and a preflight failure's `data`) reports it.
fn simulation_result(
    sim: BanksTransactionResultWithSimulation,
    static_keys: &[Pubkey],
    loaded: &LoadedAddresses,
    with_inner_instructions: bool,
) -> RpcSimulateTransactionResult {
    let details = sim.simulation_details;
    let keys = AccountKeys::new(static_keys, Some(loaded));
    let inner = details.as_ref().and_then(|d| d.inner_instructions.clone()).filter(|_| with_inner_instructions);
    RpcSimulateTransactionResult {
        err: sim.result.and_then(Result::err).map(Into::into),
        logs: details.as_ref().map(|d| validator_logs(d.logs.clone())),
        units_consumed: details.as_ref().map(|d| d.units_consumed),
        loaded_accounts_data_size: details.as_ref().map(|d| d.loaded_accounts_data_size),
        return_data: details.as_ref().and_then(|d| d.return_data.clone()).map(UiTransactionReturnData::from),
        inner_instructions: inner
            .map(|list| map_inner_instructions(list).map(|ixs| parse_ui_inner_instructions(ixs, &keys)).collect()),
        ..empty()
    }
}

pub(crate) fn matches_filter(filter: &RpcFilterType, data: &[u8]) -> bool {
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

fn failed(err: TransactionError) -> RpcSimulateTransactionResult {
    RpcSimulateTransactionResult { err: Some(err.into()), ..empty() }
}

fn preflight_failure(sim: RpcSimulateTransactionResult) -> RpcFault {
    let err: Option<TransactionError> = sim.err.clone().map(Into::into);
    let message = match &err {
        Some(e) => format!("Transaction simulation failed: {e}"),
        None => "Transaction simulation failed".into(),
    };
    RpcFault { code: JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE, message, data: Some(serialized(sim)) }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_compute_unit_price_is_read_from_the_budget_instruction() {
        let payer = Pubkey::new_unique();
        let mut data = vec![3u8];
        data.extend_from_slice(&25_000u64.to_le_bytes());
        let price = anchor_lang::solana_program::instruction::Instruction {
            program_id: COMPUTE_BUDGET,
            accounts: vec![],
            data,
        };
        let limit = anchor_lang::solana_program::instruction::Instruction {
            program_id: COMPUTE_BUDGET,
            accounts: vec![],
            data: vec![2, 0, 0, 1, 0],
        };
        let message = Message::new(&[limit.clone(), price], Some(&payer));
        assert_eq!(compute_unit_price(&VersionedMessage::Legacy(message)), 25_000);
        let message = Message::new(&[limit], Some(&payer));
        assert_eq!(compute_unit_price(&VersionedMessage::Legacy(message)), 0);
    }

    #[test]
    fn min_context_slot_is_found_in_any_config() {
        assert_eq!(min_context_slot(&[json!("key"), json!({ "minContextSlot": 7 })]), Some(7));
        assert_eq!(min_context_slot(&[json!({ "commitment": "confirmed" })]), None);
    }
}
