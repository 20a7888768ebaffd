//! A tranche's constant-product market against the pool's base token.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::amm::{liquidity, price_e12, FeeSchedule, Liquidity};
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::state::Stage;

/// Fees of the market (`docs/amm.md`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct AmmParams {
    /// Charged on every swap.
    pub base_fee_bps: u16,
    /// Added per 1 % that the post-trade price stands away from the NAV price …
    pub band_fee_bps_per_pct: u16,
    /// … up to this much.
    pub band_fee_cap_bps: u16,
    /// Added in Stress and Crisis.
    pub stage_surcharge_bps: u16,
    /// In Crisis, a trade leaving the price further than this from NAV is refused.
    pub crisis_band_bps: u16,
    /// Shares of each fee: to the buy-back reserve and to the protocol; LPs keep the rest.
    pub reserve_share_bps: u16,
    pub protocol_share_bps: u16,
    /// `reserve_buyback` acts when the price is more than this far below NAV, and lifts it
    /// back to that level …
    pub buyback_trigger_bps: u16,
    /// … spending at most this share of the reserve per 24 h.
    pub buyback_budget_bps: u16,
    /// Trade size (base units) the effective spread is measured for.
    pub reference_trade: u64,
    /// A market price this far under NAV moves the pool to Stress (`update_stage`).
    pub stress_discount_bps: u16,
}

impl AmmParams {
    /// The fee inputs for a trade in `stage`.
    pub fn fees(&self, stage: Stage) -> FeeSchedule {
        FeeSchedule {
            base_fee_bps: self.base_fee_bps as u32,
            band_fee_bps_per_pct: self.band_fee_bps_per_pct as u32,
            band_fee_cap_bps: self.band_fee_cap_bps as u32,
            surcharge_bps: if stage == Stage::Normal { 0 } else { self.stage_surcharge_bps as u32 },
        }
    }
}

/// A market's liquidity, refreshed by every swap (`math::amm::liquidity`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct LiquidityMetrics {
    pub depth_1pct: u64,
    pub depth_2pct: u64,
    pub spread_bps: u64,
    pub turnover_bps: u64,
}

impl From<Liquidity> for LiquidityMetrics {
    fn from(l: Liquidity) -> Self {
        LiquidityMetrics {
            depth_1pct: l.depth_1pct,
            depth_2pct: l.depth_2pct,
            spread_bps: l.spread_bps,
            turnover_bps: l.turnover_bps,
        }
    }
}

impl AmmParams {
    pub const RECOMMENDED: AmmParams = AmmParams {
        base_fee_bps: 30,
        band_fee_bps_per_pct: 10,
        band_fee_cap_bps: 200,
        stage_surcharge_bps: 50,
        crisis_band_bps: 500,
        reserve_share_bps: 2_000,
        protocol_share_bps: 1_000,
        buyback_trigger_bps: 300,
        buyback_budget_bps: 2_500,
        reference_trade: 10_000_000_000,
        stress_discount_bps: 1_000,
    };

    pub fn validate(&self) -> Result<()> {
        // A band fee can reach twice its cap at the margin (`math::amm::band_fee_bps`).
        let max_fee = self.base_fee_bps as u32 + 2 * self.band_fee_cap_bps as u32 + self.stage_surcharge_bps as u32;
        require!(
            max_fee <= 1_000
                && (1..=BPS).contains(&(self.crisis_band_bps as u32))
                && self.reserve_share_bps as u32 + self.protocol_share_bps as u32 <= BPS
                && (1..=5_000).contains(&self.buyback_trigger_bps)
                && self.buyback_budget_bps as u32 <= BPS
                && self.reference_trade > 0
                && (100..=5_000).contains(&self.stress_discount_bps),
            SluiceError::InvalidParams
        );
        Ok(())
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Amm {
    pub pool: Pubkey,
    pub tranche: u8,
    pub lp_mint: Pubkey,
    pub tranche_vault: Pubkey,
    pub base_vault: Pubkey,
    pub params: AmmParams,
    /// LP tokens outstanding, counting the `MIN_LIQUIDITY` locked by the first deposit.
    pub lp_supply: u64,
    /// Fee shares set aside for the reserve and the protocol: in the vaults, outside the
    /// reserves the curve trades on.
    pub reserve_fees_base: u64,
    pub reserve_fees_tranche: u64,
    pub protocol_fees_base: u64,
    pub protocol_fees_tranche: u64,
    /// The market's time-weighted price.
    pub twap: TimeWeightedPrice,
    /// Base-token volume in the current 24 h window, and in the last complete one.
    pub window_start: i64,
    pub window_volume: u64,
    pub last_window_volume: u64,
    pub liquidity: LiquidityMetrics,
    pub bump: u8,
}

/// A market's time-weighted price: Σ price × seconds, advanced at every trade, and two
/// readings of it at least `TWAP_WINDOW_SECS` apart to measure from. Shared by the
/// tranche markets and the basket token's market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct TimeWeightedPrice {
    /// Σ price_e12 × seconds since creation, and when it was last advanced: the difference
    /// of two readings over their time gap is the time-weighted price.
    pub price_cumulative: u128,
    pub last_observation: i64,
    pub last_price_e12: u64,
    /// Readings of `price_cumulative` kept for the time-weighted price: the latest one and
    /// the one before it, at least `TWAP_WINDOW_SECS` apart (time 0: none yet).
    pub snapshot: u128,
    pub snapshot_time: i64,
    pub previous: u128,
    pub previous_time: i64,
}

impl TimeWeightedPrice {
    /// Advances the sum to `now` at the price that held until now, and rotates the
    /// readings the time-weighted price is measured from.
    pub fn observe(&mut self, now: i64, new_price_e12: u64) {
        self.price_cumulative = self.cumulative_at(now);
        if self.snapshot_time == 0 {
            (self.snapshot, self.snapshot_time) = (self.price_cumulative, now);
        } else if now - self.snapshot_time >= TWAP_WINDOW_SECS {
            (self.previous, self.previous_time) = (self.snapshot, self.snapshot_time);
            (self.snapshot, self.snapshot_time) = (self.price_cumulative, now);
        }
        self.last_observation = now;
        self.last_price_e12 = new_price_e12;
    }

    /// `price_cumulative` advanced to `now` at the last price.
    fn cumulative_at(&self, now: i64) -> u128 {
        if self.last_observation > 0 && now > self.last_observation {
            let dt = (now - self.last_observation) as u128;
            self.price_cumulative.wrapping_add(self.last_price_e12 as u128 * dt)
        } else {
            self.price_cumulative
        }
    }

    /// Time-weighted price (×10^12) over the most recent stretch of at least
    /// `TWAP_WINDOW_SECS` that ends now; `None` for a market without that much history.
    pub fn twap_e12(&self, now: i64) -> Option<u64> {
        let (c0, t0) = if self.snapshot_time > 0 && now - self.snapshot_time >= TWAP_WINDOW_SECS {
            (self.snapshot, self.snapshot_time)
        } else {
            (self.previous, self.previous_time)
        };
        if t0 == 0 || now - t0 < TWAP_WINDOW_SECS {
            return None;
        }
        let sum = self.cumulative_at(now).wrapping_sub(c0);
        u64::try_from(sum / (now - t0) as u128).ok()
    }
}

/// The time-weighted price covers at least this long (and at most twice this while the
/// market trades): a price held for a moment, or moved and restored inside one
/// transaction, barely moves it.
pub const TWAP_WINDOW_SECS: i64 = 3_600;

impl Amm {
    pub const SEED: &'static [u8] = b"amm";

    /// Base tokens in the vault that belong to the reserve and the protocol, not the curve.
    pub fn set_aside_base(&self) -> u64 {
        self.reserve_fees_base + self.protocol_fees_base
    }

    /// Tranche tokens in the vault that belong to the reserve and the protocol.
    pub fn set_aside_tranche(&self) -> u64 {
        self.reserve_fees_tranche + self.protocol_fees_tranche
    }

    /// Reserves the curve trades on: vault balances less set-aside fees.
    pub fn reserves(&self, tranche_vault: u64, base_vault: u64) -> Result<(u64, u64)> {
        Ok((
            tranche_vault.checked_sub(self.set_aside_tranche()).ok_or(SluiceError::InvariantViolated)?,
            base_vault.checked_sub(self.set_aside_base()).ok_or(SluiceError::InvariantViolated)?,
        ))
    }

    /// Takes the reserve's and the protocol's shares out of a fee paid in base tokens
    /// (`in_base`) or tranche tokens; the rest stays in the curve for LPs. Shares floored.
    pub fn set_aside_fee(&mut self, fee: u64, in_base: bool) {
        let share = |bps: u16| (fee as u128 * bps as u128 / BPS as u128) as u64;
        let (to_reserve, to_protocol) = (share(self.params.reserve_share_bps), share(self.params.protocol_share_bps));
        if in_base {
            self.reserve_fees_base += to_reserve;
            self.protocol_fees_base += to_protocol;
        } else {
            self.reserve_fees_tranche += to_reserve;
            self.protocol_fees_tranche += to_protocol;
        }
    }

    /// Books a trade's base volume into the 24 h window, rolling the window when it is over.
    pub fn record_volume(&mut self, now: i64, volume: u64) {
        if now >= self.window_start + SECONDS_PER_DAY {
            self.last_window_volume = self.window_volume;
            self.window_start = now;
            self.window_volume = 0;
        }
        self.window_volume = self.window_volume.saturating_add(volume);
    }

    /// After a trade: advance the time-weighted price and refresh the liquidity metrics
    /// from the new reserves. Returns the new price.
    pub fn after_trade(&mut self, now: i64, reserves: (u64, u64), fees: FeeSchedule, tranche_value: u64) -> u64 {
        let price = price_e12(reserves.0, reserves.1).unwrap_or(0);
        self.observe(now, price);
        let volume_24h = self.window_volume.max(self.last_window_volume);
        self.liquidity =
            liquidity(reserves.0, reserves.1, fees, self.params.reference_trade, volume_24h, tranche_value).into();
        price
    }

    /// Advances the time-weighted price to `now`; see `TimeWeightedPrice::observe`.
    pub fn observe(&mut self, now: i64, new_price_e12: u64) {
        self.twap.observe(now, new_price_e12);
    }

    /// See `TimeWeightedPrice::twap_e12`.
    pub fn twap_e12(&self, now: i64) -> Option<u64> {
        self.twap.twap_e12(now)
    }

    pub fn invariant(&self) -> Result<()> {
        require!(
            self.lp_supply == 0 || self.lp_supply >= crate::math::amm::MIN_LIQUIDITY,
            SluiceError::InvariantViolated
        );
        self.params.validate()
    }
}
