//! The history methods, answered from the node's ledger with the validator's encoders.
#![allow(deprecated)] // solana-transaction-status marks its API unstable

use serde_json::{json, Value};
use solana_clock::Slot;
use solana_rpc_client_api::config::{
    RpcBlockConfig, RpcContextConfig, RpcEncodingConfigWrapper, RpcSignaturesForAddressConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_api::response::{RpcConfirmedTransactionStatusWithSignature, RpcPrioritizationFee};
use solana_transaction_status::{
    extract_and_fmt_memos, BlockEncodingOptions, ConfirmedTransactionWithStatusMeta, EncodeError,
    TransactionConfirmationStatus, TransactionDetails, TransactionWithStatusMeta, UiTransactionEncoding,
};

use crate::node::{
    history_commitment, optional, param, parse_pubkey, parse_signature, pubkey, serialized, Node, RpcFault, RpcResult,
};

/// Most signatures `getSignaturesForAddress` returns, as a validator.
const MAX_SIGNATURES: usize = 1_000;
/// Blocks a validator's prioritization-fee cache covers.
const FEE_HISTORY_SLOTS: usize = 150;
/// Widest slot range `getBlocks` answers, as a validator.
const MAX_BLOCK_RANGE: u64 = 500_000;

fn unsupported(e: EncodeError) -> RpcFault {
    match e {
        EncodeError::UnsupportedTransactionVersion(v) => RpcCustomError::UnsupportedTransactionVersion(v).into(),
    }
}

/// A history method's encoding: transactions are kept as sent, so every encoding is served.
fn encoding_of(encoding: Option<UiTransactionEncoding>) -> UiTransactionEncoding {
    encoding.unwrap_or(UiTransactionEncoding::Json)
}

impl Node {
    fn block_not_available(&self, slot: Slot) -> RpcFault {
        RpcCustomError::BlockNotAvailable { slot }.into()
    }

    /// Answers a history method, or None when `method` is not one.
    pub(crate) async fn history_call(&mut self, method: &str, params: &[Value]) -> Option<RpcResult> {
        Some(match method {
            "getTransaction" => self.get_transaction(params),
            "getSignaturesForAddress" => self.signatures_for_address(params),
            "getBlock" => self.get_block(params).await,
            "getBlockTime" => param::<Slot>(params, 0, "slot").and_then(|slot| {
                self.ledger.block(slot).map(|b| json!(b.block_time)).ok_or_else(|| self.block_not_available(slot))
            }),
            "getBlocks" => self.get_blocks(params),
            "getBlocksWithLimit" => self.get_blocks_with_limit(params),
            "minimumLedgerSlot" | "getFirstAvailableBlock" => Ok(json!(self.ledger.first_slot())),
            "getRecentPrioritizationFees" => self.recent_prioritization_fees(params),
            _ => return None,
        })
    }

    fn get_transaction(&self, params: &[Value]) -> RpcResult {
        let signature = parse_signature(&param::<String>(params, 0, "signature")?)?;
        let config = optional::<Option<RpcEncodingConfigWrapper<RpcTransactionConfig>>>(params, 1, "config")?
            .map(|c| c.convert_to_current())
            .unwrap_or_default();
        history_commitment(config.commitment)?;
        let Some(entry) = self.ledger.get(&signature) else {
            return Ok(Value::Null);
        };
        let confirmed = ConfirmedTransactionWithStatusMeta {
            slot: entry.slot,
            tx_with_meta: TransactionWithStatusMeta::Complete(entry.with_meta()),
            block_time: Some(entry.block_time),
        };
        let encoded = confirmed
            .encode(encoding_of(config.encoding), config.max_supported_transaction_version)
            .map_err(unsupported)?;
        Ok(serialized(encoded))
    }

    fn signatures_for_address(&self, params: &[Value]) -> RpcResult {
        let address = pubkey(params, 0)?;
        let config: RpcSignaturesForAddressConfig = optional(params, 1, "config")?;
        history_commitment(config.commitment)?;
        let limit = config.limit.unwrap_or(MAX_SIGNATURES);
        if limit == 0 || limit > MAX_SIGNATURES {
            return Err(RpcFault::invalid_params(format!("Invalid limit; max {MAX_SIGNATURES}")));
        }
        let before = match &config.before {
            Some(s) => match self.ledger.get(&parse_signature(s)?) {
                Some(e) => Some(e.slot),
                // A validator answers nothing before a transaction it does not know.
                None => return Ok(json!([])),
            },
            None => None,
        };
        let until = match &config.until {
            Some(s) => self.ledger.get(&parse_signature(s)?).map(|e| e.slot),
            None => None,
        };
        let list: Vec<RpcConfirmedTransactionStatusWithSignature> = self
            .ledger
            .signatures_for(&address, before, until, limit)
            .into_iter()
            .map(|(signature, entry)| RpcConfirmedTransactionStatusWithSignature {
                signature: signature.to_string(),
                slot: entry.slot,
                err: entry.meta.status.clone().err().map(Into::into),
                memo: extract_and_fmt_memos(&entry.with_meta()),
                block_time: Some(entry.block_time),
                confirmation_status: Some(TransactionConfirmationStatus::Finalized),
            })
            .collect();
        Ok(serialized(list))
    }

    async fn get_block(&mut self, params: &[Value]) -> RpcResult {
        let slot: Slot = param(params, 0, "slot")?;
        let config = optional::<Option<RpcEncodingConfigWrapper<RpcBlockConfig>>>(params, 1, "config")?
            .map(|c| c.convert_to_current())
            .unwrap_or_default();
        history_commitment(config.commitment)?;
        let current = self.bank.context().banks_client.get_latest_blockhash().await.map_err(RpcFault::internal)?;
        let block = self.ledger.confirmed_block(slot, current).ok_or_else(|| self.block_not_available(slot))?;
        let options = BlockEncodingOptions {
            transaction_details: config.transaction_details.unwrap_or(TransactionDetails::Full),
            show_rewards: config.rewards.unwrap_or(true),
            max_supported_transaction_version: config.max_supported_transaction_version,
        };
        let encoded = block.encode_with_options(encoding_of(config.encoding), options).map_err(unsupported)?;
        Ok(serialized(encoded))
    }

    fn get_blocks(&self, params: &[Value]) -> RpcResult {
        let start: Slot = param(params, 0, "start slot")?;
        // The second parameter is the end slot or, in its place, the config.
        let end = match params.get(1) {
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| RpcFault::invalid_params("end slot"))?,
            _ => self.slot(),
        };
        let _config: RpcContextConfig = match params.get(1) {
            Some(Value::Object(_)) => optional(params, 1, "config")?,
            _ => optional(params, 2, "config")?,
        };
        if end.saturating_sub(start) > MAX_BLOCK_RANGE {
            return Err(RpcFault::invalid_params(format!("Slot range too large; max {MAX_BLOCK_RANGE}")));
        }
        let slots: Vec<Slot> = if end < start { vec![] } else { self.ledger.slots(start..=end).collect() };
        Ok(json!(slots))
    }

    fn get_blocks_with_limit(&self, params: &[Value]) -> RpcResult {
        let start: Slot = param(params, 0, "start slot")?;
        let limit: usize = param(params, 1, "limit")?;
        let _config: RpcContextConfig = optional(params, 2, "config")?;
        if limit as u64 > MAX_BLOCK_RANGE {
            return Err(RpcFault::invalid_params(format!("Limit too large; max {MAX_BLOCK_RANGE}")));
        }
        Ok(json!(self.ledger.slots(start..).take(limit).collect::<Vec<Slot>>()))
    }

    /// Per recent block, the lowest compute-unit price a transaction in it paid. A block here
    /// holds at most one transaction, and a validator counts the block's lowest price whichever
    /// accounts are asked about, so the addresses only need to be valid.
    fn recent_prioritization_fees(&self, params: &[Value]) -> RpcResult {
        let addresses: Vec<String> = optional(params, 0, "addresses")?;
        if addresses.len() > 128 {
            return Err(RpcFault::invalid_params("Too many inputs provided; max 128"));
        }
        for a in &addresses {
            parse_pubkey(a)?;
        }
        let mut fees: Vec<RpcPrioritizationFee> = self
            .ledger
            .recent_blocks(FEE_HISTORY_SLOTS)
            .map(|block| RpcPrioritizationFee {
                slot: block.slot,
                prioritization_fee: block
                    .signatures
                    .iter()
                    .filter_map(|s| self.ledger.get(s))
                    .map(|e| e.compute_unit_price)
                    .min()
                    .unwrap_or(0),
            })
            .collect();
        fees.reverse();
        Ok(serialized(fees))
    }
}
