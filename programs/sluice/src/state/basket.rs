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
/// Largest sleeve target (bps of basket value): the basket is backed by assets, not cash.
pub const MAX_SLEEVE_TARGET_BPS: u16 = 5_000;
/// The sleeve-redemption window is rolling, kept in hourly buckets: a redemption counts
/// what the sleeve paid in its own hour and the 24 before it, so any 24 hours hold at most
/// the cap.
pub const REDEEM_BUCKETS: usize = 25;
pub const REDEEM_BUCKET_SECS: i64 = 3_600;

/// The sleeve's policy, all in bps of basket value.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BasketParams {
    /// Share of value `rebalance` keeps in base tokens.
    pub sleeve_target_bps: u16,
    /// `rebalance` acts once the sleeve (with its redemptions in flight) is more than this
    /// away from the target.
    pub sleeve_band_bps: u16,
    /// Most value `redeem_basket` pays from the sleeve in one 24 h window.
    pub redeem_cap_bps: u16,
    /// `redeem_basket` never takes the sleeve below this share of the value that remains.
    pub sleeve_floor_bps: u16,
}

impl BasketParams {
    /// The documented safe default (`docs/basket.md`): a 10 % sleeve kept within ±3 %,
    /// at most 5 % of value paid from it per day, never below 2 %.
    pub const DEFAULT: BasketParams =
        BasketParams { sleeve_target_bps: 1_000, sleeve_band_bps: 300, redeem_cap_bps: 500, sleeve_floor_bps: 200 };

    /// Target at most 50 %; the floor under the band's lower edge, so a refill starts before
    /// redemptions stop; the cap at most 100 %.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.sleeve_target_bps <= MAX_SLEEVE_TARGET_BPS
                && self.sleeve_band_bps <= self.sleeve_target_bps
                && self.sleeve_floor_bps <= self.sleeve_target_bps - self.sleeve_band_bps
                && self.redeem_cap_bps as u32 <= BPS,
            SluiceError::InvalidParams
        );
        Ok(())
    }
}

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
    /// Share of basket value `rebalance` steers this constituent towards (bps).
    pub target_bps: u16,
    /// Tokens the basket accounts for in the vault (a donation beyond them is ignored).
    pub held: u64,
    /// The basket's own redemption request in the tranche's queue, placed by `rebalance`:
    /// its tokens and claimable value still belong to the basket.
    pub request_open: bool,
    pub request_id: u64,
    /// The queue it waits in (recorded so an exchange out can read it without the pool).
    pub queue: Pubkey,
}

/// What the basket's open request in one constituent's queue still holds: tranche tokens
/// not yet redeemed and base units paid but not yet collected into the sleeve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InFlight {
    pub tokens: u64,
    pub cash: u64,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Basket {
    pub creator: Pubkey,
    pub basket_id: u64,
    /// Adds and tunes constituents.
    pub authority: Pubkey,
    /// Proposed by the authority; becomes it on `accept_basket_authority`.
    pub pending_authority: Pubkey,
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
    pub params: BasketParams,
    /// Sleeve redemptions by hour: the newest bucket's hour (unix hours) and the value
    /// paid in each of the last `REDEEM_BUCKETS` hours (slot = hour mod the count).
    pub redeem_hour: i64,
    pub redeem_buckets: [u64; REDEEM_BUCKETS],
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

    /// Takes the mint's supply as the basket's: a holder may burn its own basket tokens with
    /// the token program directly, a gift to the holders who stay (the value is shared by
    /// fewer tokens). Only the basket mints, so the mint never holds more than the basket
    /// counts (`InvariantViolated`).
    pub fn sync_supply(&mut self, mint_supply: u64) -> Result<()> {
        require!(mint_supply <= self.supply, SluiceError::InvariantViolated);
        self.supply = mint_supply;
        Ok(())
    }

    /// The buckets as of `now`: those of the hours since the newest one emptied.
    fn buckets_at(&self, now: i64) -> [u64; REDEEM_BUCKETS] {
        let hour = now.div_euclid(REDEEM_BUCKET_SECS);
        let mut buckets = self.redeem_buckets;
        let passed = hour.saturating_sub(self.redeem_hour).clamp(0, REDEEM_BUCKETS as i64);
        for k in 1..=passed {
            buckets[(self.redeem_hour + k).rem_euclid(REDEEM_BUCKETS as i64) as usize] = 0;
        }
        buckets
    }

    /// What the sleeve paid in `now`'s hour and the 24 before it.
    pub fn redeemed_in_window(&self, now: i64) -> u64 {
        self.buckets_at(now).iter().sum()
    }

    /// Books a sleeve redemption of `amount` at `now`.
    pub fn record_redemption(&mut self, now: i64, amount: u64) {
        let hour = now.div_euclid(REDEEM_BUCKET_SECS).max(self.redeem_hour);
        self.redeem_buckets = self.buckets_at(now);
        self.redeem_hour = hour;
        self.redeem_buckets[hour.rem_euclid(REDEEM_BUCKETS as i64) as usize] += amount;
    }

    /// Constituents within bounds, each tranche at most once, targets (with the sleeve's)
    /// at most the whole, parameters valid.
    pub fn invariant(&self) -> Result<()> {
        require!(self.constituent_count as usize <= MAX_CONSTITUENTS, SluiceError::InvariantViolated);
        let mut targets = self.params.sleeve_target_bps as u32;
        for (i, c) in self.active().iter().enumerate() {
            require!(
                c.haircut_bps <= MAX_HAIRCUT_BPS
                    && (1..=BPS).contains(&(c.cap_bps as u32))
                    && c.target_bps <= c.cap_bps
                    && !self.active()[..i].iter().any(|o| o.mint == c.mint)
                    && (c.request_open || c.request_id == 0),
                SluiceError::InvariantViolated
            );
            targets += c.target_bps as u32;
        }
        require!(targets <= BPS, SluiceError::InvariantViolated);
        self.params.validate().map_err(|_| SluiceError::InvariantViolated)?;
        Ok(())
    }
}

/// Fees and the buy-back trigger of the basket's own market (`docs/basket.md`, "Market").
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct BasketMarketParams {
    /// Charged on every swap.
    pub base_fee_bps: u16,
    /// Added per 1 % that the post-trade price stands away from the basket's DCF price …
    pub band_fee_bps_per_pct: u16,
    /// … up to this much.
    pub band_fee_cap_bps: u16,
    /// `basket_buyback` acts when the market price is more than this far below the basket
    /// price, and lifts it back to that level at most.
    pub buyback_discount_bps: u16,
}

impl BasketMarketParams {
    /// 0.3 % base fee, 0.1 % per 1 % off the basket price up to 2 %, buy-backs 5 % under.
    pub const RECOMMENDED: BasketMarketParams = BasketMarketParams {
        base_fee_bps: 30,
        band_fee_bps_per_pct: 10,
        band_fee_cap_bps: 200,
        buyback_discount_bps: 500,
    };

    /// The fee inputs of a swap (no stage surcharge: the basket has no stages).
    pub fn fees(&self) -> crate::math::amm::FeeSchedule {
        crate::math::amm::FeeSchedule {
            base_fee_bps: self.base_fee_bps as u32,
            band_fee_bps_per_pct: self.band_fee_bps_per_pct as u32,
            band_fee_cap_bps: self.band_fee_cap_bps as u32,
            surcharge_bps: 0,
        }
    }

    /// The largest fee at most 10 % (a band fee can reach twice its cap at the margin); the
    /// buy-back discount 1–50 % and above the largest fee a buy towards the basket price
    /// pays (base + cap), so a buy-back's average price stays under the basket price.
    pub fn validate(&self) -> Result<()> {
        let max_fee = self.base_fee_bps as u32 + 2 * self.band_fee_cap_bps as u32;
        let toward = self.base_fee_bps as u32 + self.band_fee_cap_bps as u32;
        require!(
            max_fee <= 1_000
                && (1..=5_000).contains(&self.buyback_discount_bps)
                && self.buyback_discount_bps as u32 > toward,
            SluiceError::InvalidParams
        );
        Ok(())
    }
}

/// The basket token's constant-product market against the base token, with the sleeve as
/// its buy-back reserve: `["basket_market", basket]`. Its LP mint and vaults are the basket
/// PDA's. Every fee stays in the curve (the LPs').
#[account]
#[derive(InitSpace, Debug)]
pub struct BasketMarket {
    pub basket: Pubkey,
    /// `["basket_market_lp", market]`.
    pub lp_mint: Pubkey,
    /// Basket tokens, `["basket_market_tokens", market]`.
    pub token_vault: Pubkey,
    /// Base tokens, `["basket_market_base", market]`.
    pub base_vault: Pubkey,
    pub params: BasketMarketParams,
    /// LP tokens outstanding, counting the `MIN_LIQUIDITY` locked by the first deposit.
    pub lp_supply: u64,
    /// Basket tokens the sleeve has bought back and burned, and the base units it paid.
    pub bought_back: u64,
    pub buyback_spent: u64,
    pub bump: u8,
    /// The market's time-weighted price: a buy-back needs the price to have stood under its
    /// trigger for a while, not just now.
    pub twap: crate::state::TimeWeightedPrice,
}

impl BasketMarket {
    pub const SEED: &'static [u8] = b"basket_market";

    /// The LP supply is zero or at least the locked minimum; parameters valid.
    pub fn invariant(&self) -> Result<()> {
        require!(
            self.lp_supply == 0 || self.lp_supply >= crate::math::amm::MIN_LIQUIDITY,
            SluiceError::InvariantViolated
        );
        self.params.validate().map_err(|_| SluiceError::InvariantViolated)?;
        Ok(())
    }
}
