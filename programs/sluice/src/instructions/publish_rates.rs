//! Specification: `publish_rates`
//! - Signer must be one of the oracle's publishers (`NotPublisher`).
//! - `sequence` must exceed the stored one (`StaleSequence`): replays and reordering fail.
//! - Market rate and default probabilities ≤ 50 %, recoveries ≤ 100 % (`RateOutOfRange`).
//! - After the first publication, no rate may move more than `params.max_rate_move_bps`
//!   from the stored value (`RateMoveTooLarge`): a compromised key can only nudge prices.
//! - Stores the rates with the current time as publish time, and the valuation curve
//!   derived from them (`math::dcf::Curve`), so repricing needs no logarithms.

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
    #[account(has_one = oracle @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, RateOracle>>,
}

impl PublishRates<'_> {
    fn validate(&self, args: &PublishRatesArgs) -> Result<()> {
        let oracle = &self.oracle;
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
            let moved = |a: u32, b: u32| a.abs_diff(b) > bound;
            let too_far = moved(args.market_rate_bps, oracle.market_rate_bps)
                || args.classes.iter().zip(oracle.classes.iter()).any(|(n, o)| {
                    moved(n.default_probability_bps, o.default_probability_bps) || moved(n.recovery_bps, o.recovery_bps)
                });
            require!(!too_far, SluiceError::RateMoveTooLarge);
        }
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn publish_rates(ctx: Context<Self>, args: PublishRatesArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let curve = Curve::from_rates(args.market_rate_bps, &args.classes).ok_or(SluiceError::RateOutOfRange)?;
        let oracle = &mut ctx.accounts.oracle;
        oracle.curve = curve;
        oracle.market_rate_bps = args.market_rate_bps;
        oracle.classes = args.classes;
        oracle.sequence = args.sequence;
        oracle.publish_time = now;
        oracle.invariant()?;
        emit!(RatesPublished {
            pool: ctx.accounts.pool.key(),
            sequence: args.sequence,
            market_rate_bps: args.market_rate_bps,
            publish_time: now,
        });
        Ok(())
    }
}
