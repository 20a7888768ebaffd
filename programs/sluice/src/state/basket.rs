//! The value-anchored basket: a token backed by tranche tokens of Sluice pools and a
//! base-token sleeve, priced by the pools' own DCF NAVs (`docs/basket.md`).

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::time::BPS;

/// Constituents one basket can hold.
pub const MAX_CONSTITUENTS: usize = 6;
/// A junior tranche may join only with at least this haircut (bps): it takes first losses.
pub const MIN_JUNIOR_HAIRCUT_BPS: u16 = 2_000;
/// Largest haircut a constituent may carry (bps).
pub const MAX_HAIRCUT_BPS: u16 = 5_000;

/// One tranche the basket accepts.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct Constituent {
    pub pool: Pubkey,
    pub tranche: u8,
    pub mint: Pubkey,
    /// The basket's token account for this mint, `["basket_vault", basket, mint]`.
    pub vault: Pubkey,
    /// Kept from every exchange in: the over-collateralisation that absorbs defaults.
    pub haircut_bps: u16,
    /// Largest share of basket value this constituent may reach through exchanges in.
    pub cap_bps: u16,
    pub enabled: bool,
    /// Tokens the basket accounts for in the vault (a donation beyond them is ignored).
    pub held: u64,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Basket {
    pub creator: Pubkey,
    pub basket_id: u64,
    /// Adds and tunes constituents.
    pub authority: Pubkey,
    /// May pause exchanges in.
    pub guardian: Pubkey,
    pub paused: bool,
    pub base_mint: Pubkey,
    /// The basket token (decimals of the base token; authority: the basket PDA).
    pub mint: Pubkey,
    /// Base tokens the basket holds beside its constituents.
    pub sleeve: Pubkey,
    pub sleeve_balance: u64,
    /// Basket tokens outstanding (mirrors the mint's supply).
    pub supply: u64,
    pub constituent_count: u8,
    pub constituents: [Constituent; MAX_CONSTITUENTS],
    pub bump: u8,
}

impl Basket {
    pub const SEED: &'static [u8] = b"basket";

    pub fn active(&self) -> &[Constituent] {
        &self.constituents[..self.constituent_count as usize]
    }

    /// Runs `f` with the seeds that sign as the basket PDA.
    pub fn with_signer<R>(&self, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
        let id = self.basket_id.to_le_bytes();
        let bump = [self.bump];
        let seeds: [&[u8]; 4] = [Self::SEED, self.creator.as_ref(), &id, &bump];
        f(&[&seeds])
    }

    /// Constituents within bounds, each tranche at most once.
    pub fn invariant(&self) -> Result<()> {
        require!(self.constituent_count as usize <= MAX_CONSTITUENTS, SluiceError::InvariantViolated);
        for (i, c) in self.active().iter().enumerate() {
            require!(
                c.haircut_bps <= MAX_HAIRCUT_BPS
                    && (1..=BPS).contains(&(c.cap_bps as u32))
                    && !self.active()[..i].iter().any(|o| o.mint == c.mint),
                SluiceError::InvariantViolated
            );
        }
        Ok(())
    }
}
