use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::dcf::{ClassRates, Curve, MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use crate::math::time::{BPS, MAX_RISK_CLASSES};

pub const MAX_PUBLISHERS: usize = 3;

/// Rates that price the pool's receivables.
#[account]
#[derive(InitSpace, Debug)]
pub struct RateOracle {
    pub pool: Pubkey,
    /// Keys allowed to publish; default keys are empty slots.
    pub publishers: [Pubkey; MAX_PUBLISHERS],
    /// Annual market discount rate.
    pub market_rate_bps: u32,
    /// Annual default probability and recovery per risk class.
    pub classes: [ClassRates; MAX_RISK_CLASSES],
    /// The rate-dependent half of the valuation, derived from the rates above at publish
    /// time so that `reprice` does no logarithms.
    pub curve: Curve,
    pub publish_time: i64,
    /// Strictly increasing per publication; 0 means never published.
    pub sequence: u64,
    pub bump: u8,
    /// The rates at the start of the current rate window: within a window every rate stays
    /// within `max_rate_move_bps` of these, however many updates are sent.
    pub anchor_time: i64,
    pub anchor_market_rate_bps: u32,
    pub anchor_classes: [ClassRates; MAX_RISK_CLASSES],
    /// A publisher the pool authority proposed; it joins once it signs `accept_publisher`.
    pub pending_publisher: Pubkey,
}

/// Length of the window over which the rate-move bound holds.
pub const RATE_WINDOW_SECS: i64 = 86_400;

impl RateOracle {
    pub const SEED: &'static [u8] = b"oracle";

    pub fn is_publisher(&self, key: &Pubkey) -> bool {
        *key != Pubkey::default() && self.publishers.contains(key)
    }

    /// Rates every update in the window starting at `anchor_time` must stay near; a new
    /// window (the old one over, or the first publication) starts from the stored rates.
    pub fn roll_window(&mut self, now: i64) {
        if self.sequence == 0 || now >= self.anchor_time.saturating_add(RATE_WINDOW_SECS) {
            self.anchor_time = now;
            self.anchor_market_rate_bps = self.market_rate_bps;
            self.anchor_classes = self.classes;
        }
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.market_rate_bps <= MAX_MARKET_RATE_BPS, SluiceError::InvariantViolated);
        let mut seen = [Pubkey::default(); MAX_PUBLISHERS];
        for (i, p) in self.publishers.iter().enumerate() {
            require!(*p == Pubkey::default() || !seen[..i].contains(p), SluiceError::InvariantViolated);
            seen[i] = *p;
        }
        for (c, recovery) in self.classes.iter().zip(self.curve.recovery_bps) {
            require!(
                c.default_probability_bps <= MAX_DEFAULT_PROBABILITY_BPS
                    && c.recovery_bps <= BPS
                    && (self.sequence == 0 || c.recovery_bps == recovery),
                SluiceError::InvariantViolated
            );
        }
        Ok(())
    }
}
