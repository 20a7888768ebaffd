//! Specification: `publish_rates`
//! - Signer must be one of the oracle's publishers (`NotPublisher`).
//! - `sequence` must exceed the stored one (`StaleSequence`): replays and reordering fail.
//! - Market rate and default probabilities ≤ 50 %, recoveries ≤ 100 % (`RateOutOfRange`).
//! - After the first publication, no rate may move more than `params.max_rate_move_bps`
//!   from its value at the start of the current 24 h rate window (`RateMoveTooLarge`),
//!   however many updates are sent: a compromised key can only nudge prices, by at most
//!   the bound per window (twice the bound in any 24 hours), and the authority or the
//!   guardian can remove it (`remove_publisher`).
//! - Stores the rates with the current time as publish time, and the valuation curve
//!   derived from them (`math::dcf::Curve`), so repricing needs no logarithms.
//! - Marks the pool's NAV dirty: deposits, exits and batch fills wait for a reprice at the
//!   new rates, so nobody trades at a NAV the rates have already moved.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::RatesPublished;
use crate::math::dcf::{ClassRates, Curve, MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use crate::math::time::{BPS, MAX_RISK_CLASSES};
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct PublishRatesArgs {
    pub sequence: u64,
    pub market_rate_bps: u32,
    pub classes: [ClassRates; MAX_RISK_CLASSES],
}

#[derive(Accounts)]
pub struct PublishRates<'info> {
    pub publisher: Signer<'info>,
    #[account(mut, has_one = oracle @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, RateOracle>>,
}

/// Is any of the new rates further than `bound` bps from the window's anchor rates?
pub fn moves_too_far(oracle: &RateOracle, market_rate_bps: u32, classes: &[ClassRates], bound: u32) -> bool {
    let moved = |a: u32, b: u32| a.abs_diff(b) > bound;
    moved(market_rate_bps, oracle.anchor_market_rate_bps)
        || classes.iter().zip(oracle.anchor_classes.iter()).any(|(n, o)| {
            moved(n.default_probability_bps, o.default_probability_bps) || moved(n.recovery_bps, o.recovery_bps)
        })
}

impl PublishRates<'_> {
    fn validate(&self, args: &PublishRatesArgs) -> Result<()> {
        let mut oracle = (*self.oracle).clone();
        oracle.roll_window(Clock::get()?.unix_timestamp);
        require!(oracle.is_publisher(&self.publisher.key()), SluiceError::NotPublisher);
        require!(args.sequence > oracle.sequence, SluiceError::StaleSequence);
        require!(args.market_rate_bps <= MAX_MARKET_RATE_BPS, SluiceError::RateOutOfRange);
        for c in &args.classes {
            require!(
                c.default_probability_bps <= MAX_DEFAULT_PROBABILITY_BPS && c.recovery_bps <= BPS,
                SluiceError::RateOutOfRange
            );
        }
        if oracle.sequence > 0 {
            let bound = self.pool.params.max_rate_move_bps;
            require!(
                !moves_too_far(&oracle, args.market_rate_bps, &args.classes, bound),
                SluiceError::RateMoveTooLarge
            );
        }
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn publish_rates(ctx: Context<Self>, args: PublishRatesArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let curve = Curve::from_rates(args.market_rate_bps, &args.classes).ok_or(SluiceError::RateOutOfRange)?;
        let oracle = &mut ctx.accounts.oracle;
        let first = oracle.sequence == 0;
        oracle.roll_window(now);
        if first {
            // The first publication anchors its own window.
            oracle.anchor_market_rate_bps = args.market_rate_bps;
            oracle.anchor_classes = args.classes;
        }
        oracle.curve = curve;
        oracle.market_rate_bps = args.market_rate_bps;
        oracle.classes = args.classes;
        oracle.sequence = args.sequence;
        oracle.publish_time = now;
        oracle.invariant()?;
        // New rates change value: nothing may be priced at the old NAV until a reprice.
        let pool = &mut ctx.accounts.pool;
        pool.nav_dirty = true;
        pool.invariant()?;
        crate::events::emit(RatesPublished {
            pool: ctx.accounts.pool.key(),
            sequence: args.sequence,
            market_rate_bps: args.market_rate_bps,
            publish_time: now,
        });
        Ok(())
    }
}
