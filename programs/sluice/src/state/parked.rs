use anchor_lang::prelude::*;

/// A claim moved out of the queue because its owner left it unclaimed (`park_claim`):
/// `["parked", pool, tranche, id]`. The value stays in the vault, counted in
/// `Pool::claimable`, until the owner takes it (`claim_parked`); the rent goes back to
/// whoever paid for the record.
#[account]
#[derive(InitSpace, Debug)]
pub struct ParkedClaim {
    pub pool: Pubkey,
    pub tranche: u8,
    pub id: u64,
    pub owner: Pubkey,
    pub amount: u64,
    /// Paid the rent; receives it back when the claim is taken.
    pub payer: Pubkey,
    pub bump: u8,
}

impl ParkedClaim {
    pub const SEED: &'static [u8] = b"parked";
}

/// A fully redeemed request left unclaimed this long after it was made may be parked.
pub const PARK_AFTER_SECS: i64 = 30 * 86_400;
