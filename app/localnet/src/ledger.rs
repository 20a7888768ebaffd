//! What the node has processed, kept in memory for the run: one block per slot it produced,
//! every committed transaction with its status meta, and an index from each address to the
//! transactions that named it.
#![allow(deprecated)] // solana-transaction-status marks its API unstable

use std::collections::{BTreeMap, HashMap};

use anchor_lang::prelude::Pubkey;
use solana_clock::{Slot, UnixTimestamp};
use solana_hash::Hash;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status::{
    ConfirmedBlock, TransactionStatusMeta, TransactionWithStatusMeta, VersionedTransactionWithStatusMeta,
};

/// A committed transaction and what the bank made of it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub slot: Slot,
    pub block_time: UnixTimestamp,
    pub transaction: VersionedTransaction,
    pub meta: TransactionStatusMeta,
    /// Every account the transaction loaded: its static keys, then the lookup tables' ones.
    pub keys: Vec<Pubkey>,
    /// Its compute-unit price in micro-lamports (`SetComputeUnitPrice`), 0 without one.
    pub compute_unit_price: u64,
}

impl Entry {
    pub fn with_meta(&self) -> VersionedTransactionWithStatusMeta {
        VersionedTransactionWithStatusMeta { transaction: self.transaction.clone(), meta: self.meta.clone() }
    }
}

/// A slot the node produced.
#[derive(Clone, Debug)]
pub struct Block {
    pub slot: Slot,
    pub parent_slot: Slot,
    pub block_height: u64,
    pub block_time: UnixTimestamp,
    pub previous_blockhash: Hash,
    /// Known once the slot has ended (the bank's last blockhash of the slot).
    pub blockhash: Option<Hash>,
    pub signatures: Vec<Signature>,
}

#[derive(Default)]
pub struct Ledger {
    blocks: BTreeMap<Slot, Block>,
    transactions: HashMap<Signature, Entry>,
    /// Signatures naming each address, oldest first.
    by_address: HashMap<Pubkey, Vec<Signature>>,
    /// All signatures, oldest first.
    order: Vec<Signature>,
}

impl Ledger {
    /// Starts the block of `block.slot`, ending the one before it with `block.previous_blockhash`.
    pub fn open(&mut self, block: Block) {
        if let Some(parent) = self.blocks.get_mut(&block.parent_slot) {
            parent.blockhash.get_or_insert(block.previous_blockhash);
        }
        self.blocks.insert(block.slot, block);
    }

    pub fn record(&mut self, signature: Signature, entry: Entry) {
        if let Some(block) = self.blocks.get_mut(&entry.slot) {
            block.signatures.push(signature);
        }
        for key in &entry.keys {
            let list = self.by_address.entry(*key).or_default();
            // A transaction may name an account twice (once per lookup table, say).
            if list.last() != Some(&signature) {
                list.push(signature);
            }
        }
        self.order.push(signature);
        self.transactions.insert(signature, entry);
    }

    pub fn get(&self, signature: &Signature) -> Option<&Entry> {
        self.transactions.get(signature)
    }

    pub fn transaction_count(&self) -> u64 {
        self.order.len() as u64
    }

    pub fn first_slot(&self) -> Slot {
        self.blocks.keys().next().copied().unwrap_or_default()
    }

    pub fn block(&self, slot: Slot) -> Option<&Block> {
        self.blocks.get(&slot)
    }

    /// Slots of the blocks in `range`, ascending.
    pub fn slots(&self, range: impl std::ops::RangeBounds<Slot>) -> impl Iterator<Item = Slot> + '_ {
        self.blocks.range(range).map(|(slot, _)| *slot)
    }

    /// The most recent blocks, newest first.
    pub fn recent_blocks(&self, count: usize) -> impl Iterator<Item = &Block> {
        self.blocks.values().rev().take(count)
    }

    /// The block of `slot` with its transactions, as a validator's blockstore returns it;
    /// `current_blockhash` stands in for the hash of a slot that has not ended yet.
    pub fn confirmed_block(&self, slot: Slot, current_blockhash: Hash) -> Option<ConfirmedBlock> {
        let block = self.blocks.get(&slot)?;
        Some(ConfirmedBlock {
            previous_blockhash: block.previous_blockhash.to_string(),
            blockhash: block.blockhash.unwrap_or(current_blockhash).to_string(),
            parent_slot: block.parent_slot,
            transactions: block
                .signatures
                .iter()
                .filter_map(|s| self.transactions.get(s))
                .map(|e| TransactionWithStatusMeta::Complete(e.with_meta()))
                .collect(),
            rewards: vec![],
            num_partitions: None,
            block_time: Some(block.block_time),
            block_height: Some(block.block_height),
        })
    }

    /// Transactions naming `address`, newest first: those in slots below `before` and above
    /// `until` (when given), at most `limit`.
    pub fn signatures_for(
        &self,
        address: &Pubkey,
        before: Option<Slot>,
        until: Option<Slot>,
        limit: usize,
    ) -> Vec<(&Signature, &Entry)> {
        let Some(list) = self.by_address.get(address) else {
            return vec![];
        };
        list.iter()
            .rev()
            .filter_map(|s| self.transactions.get(s).map(|e| (s, e)))
            .skip_while(|(_, e)| before.is_some_and(|b| e.slot >= b))
            .take_while(|(_, e)| until.is_none_or(|u| e.slot > u))
            .take(limit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(slot: Slot, keys: Vec<Pubkey>) -> Entry {
        Entry {
            slot,
            block_time: 0,
            transaction: VersionedTransaction::default(),
            meta: TransactionStatusMeta::default(),
            keys,
            compute_unit_price: 0,
        }
    }

    #[test]
    fn signatures_come_newest_first_between_before_and_until() {
        let mut ledger = Ledger::default();
        let a = Pubkey::new_unique();
        let sigs: Vec<Signature> = (1..=5u8).map(|i| Signature::from([i; 64])).collect();
        for (i, s) in sigs.iter().enumerate() {
            ledger.record(*s, entry(i as Slot, vec![a, a]));
        }
        let list = |before, until, limit| {
            ledger.signatures_for(&a, before, until, limit).into_iter().map(|(s, _)| *s).collect::<Vec<_>>()
        };
        assert_eq!(list(None, None, 10), sigs.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(list(None, None, 2), vec![sigs[4], sigs[3]]);
        assert_eq!(list(Some(3), None, 10), vec![sigs[2], sigs[1], sigs[0]]);
        assert_eq!(list(Some(4), Some(1), 10), vec![sigs[3], sigs[2]]);
        assert!(ledger.signatures_for(&Pubkey::new_unique(), None, None, 10).is_empty());
    }
}
