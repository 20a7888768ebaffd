//! Per-holder limits of one tranche: they make the instant threshold and the installment
//! rule hold per holder, not per call or per request.

use anchor_lang::prelude::*;

use crate::error::SluiceError;

/// Small requests a holder may have in one window before every further one is treated as
/// large; all of them become large once the window's value crosses the instant threshold.
pub const WINDOW_REQUESTS: usize = 8;

/// `["holder", pool, tranche, owner]`, created by the holder's first request or instant
/// exit (the holder pays its rent).
#[account]
#[derive(InitSpace, Debug)]
pub struct HolderRecord {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub tranche: u8,
    pub bump: u8,
    /// Requests of the current window (one batch interval): their value, whether the
    /// holder is large in it, and the ids of its requests made while small.
    pub window_start: i64,
    pub window_value: u64,
    pub window_large: bool,
    pub window_count: u8,
    pub window_ids: [u64; WINDOW_REQUESTS],
    /// Instant exits in the current 24 h window: their value.
    pub instant_window_start: i64,
    pub instant_window_value: u64,
}

impl HolderRecord {
    pub const SEED: &'static [u8] = b"holder";

    /// Binds a freshly created record to its holder, or checks an existing one.
    pub fn bind(&mut self, pool: Pubkey, owner: Pubkey, tranche: u8, bump: u8) -> Result<()> {
        if self.pool == Pubkey::default() {
            (self.pool, self.owner, self.tranche, self.bump) = (pool, owner, tranche, bump);
        }
        require!(self.pool == pool && self.owner == owner && self.tranche == tranche, SluiceError::WrongAccount);
        Ok(())
    }

    /// Starts a new request window when the current one (`interval` long) is over.
    pub fn roll_request_window(&mut self, now: i64, interval: i64) {
        if now >= self.window_start.saturating_add(interval) {
            self.window_start = now;
            self.window_value = 0;
            self.window_large = false;
            self.window_count = 0;
            self.window_ids = [0; WINDOW_REQUESTS];
        }
    }

    /// Value of instant exits already taken in the 24 h window that `now` falls in.
    pub fn instant_used(&self, now: i64) -> u64 {
        if now >= self.instant_window_start.saturating_add(crate::math::time::SECONDS_PER_DAY) {
            0
        } else {
            self.instant_window_value
        }
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.window_count as usize <= WINDOW_REQUESTS, SluiceError::InvariantViolated);
        Ok(())
    }
}
