//! Program-derived addresses. Seeds are documented in `docs/accounts.md`.

use anchor_lang::prelude::Pubkey;
use sluice::state::{Member, Pool, RateOracle, Receivable};

pub fn pool(creator: &Pubkey, pool_id: u64) -> Pubkey {
    Pubkey::find_program_address(&[Pool::SEED, creator.as_ref(), &pool_id.to_le_bytes()], &sluice::ID).0
}

pub fn vault(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"vault", pool.as_ref()], &sluice::ID).0
}

pub fn oracle(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[RateOracle::SEED, pool.as_ref()], &sluice::ID).0
}

pub fn tranche_mint(pool: &Pubkey, index: u8) -> Pubkey {
    Pubkey::find_program_address(&[b"tranche_mint", pool.as_ref(), &[index]], &sluice::ID).0
}

pub fn escrow(pool: &Pubkey, tranche: u8) -> Pubkey {
    Pubkey::find_program_address(&[b"escrow", pool.as_ref(), &[tranche]], &sluice::ID).0
}

pub fn amm(pool: &Pubkey, tranche: u8) -> Pubkey {
    Pubkey::find_program_address(&[sluice::state::Amm::SEED, pool.as_ref(), &[tranche]], &sluice::ID).0
}

/// LP mint, tranche vault and base vault of a market.
pub fn amm_accounts(amm: &Pubkey) -> (Pubkey, Pubkey, Pubkey) {
    let find = |seed: &[u8]| Pubkey::find_program_address(&[seed, amm.as_ref()], &sluice::ID).0;
    (find(b"amm_lp"), find(b"amm_tranche"), find(b"amm_base"))
}

pub fn reserve(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"reserve", pool.as_ref()], &sluice::ID).0
}

pub fn receivable(pool: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(&[Receivable::SEED, pool.as_ref(), &index.to_le_bytes()], &sluice::ID).0
}

pub fn member(pool: &Pubkey, wallet: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[Member::SEED, pool.as_ref(), wallet.as_ref()], &sluice::ID).0
}

/// A holder's limits in one tranche (`HolderRecord`).
pub fn holder(pool: &Pubkey, tranche: u8, owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[sluice::state::HolderRecord::SEED, pool.as_ref(), &[tranche], owner.as_ref()],
        &sluice::ID,
    )
    .0
}

/// An unclaimed claim moved out of its queue (`ParkedClaim`).
pub fn parked(pool: &Pubkey, tranche: u8, id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[sluice::state::ParkedClaim::SEED, pool.as_ref(), &[tranche], &id.to_le_bytes()],
        &sluice::ID,
    )
    .0
}

/// A value-anchored basket, its token mint, its base-token sleeve, and its vault for a
/// constituent's mint.
pub fn basket(creator: &Pubkey, basket_id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[sluice::state::Basket::SEED, creator.as_ref(), &basket_id.to_le_bytes()],
        &sluice::ID,
    )
    .0
}

pub fn basket_mint(basket: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"basket_mint", basket.as_ref()], &sluice::ID).0
}

pub fn basket_sleeve(basket: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"basket_sleeve", basket.as_ref()], &sluice::ID).0
}

pub fn basket_vault(basket: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"basket_vault", basket.as_ref(), mint.as_ref()], &sluice::ID).0
}

/// The basket token's market (`BasketMarket`).
pub fn basket_market(basket: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[sluice::state::BasketMarket::SEED, basket.as_ref()], &sluice::ID).0
}

/// LP mint, basket-token vault and base vault of a basket's market.
pub fn basket_market_accounts(market: &Pubkey) -> (Pubkey, Pubkey, Pubkey) {
    let find = |seed: &[u8]| Pubkey::find_program_address(&[seed, market.as_ref()], &sluice::ID).0;
    (find(b"basket_market_lp"), find(b"basket_market_tokens"), find(b"basket_market_base"))
}
