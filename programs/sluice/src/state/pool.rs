use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::dcf::OverdueStep;
use crate::math::time::BPS;

pub const MAX_TRANCHES: usize = 3;
pub const OVERDUE_STEPS: usize = 3;

/// Redemption stage. Only `Normal` is acted on until staged redemption lands.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum Stage {
    #[default]
    Normal,
    Stress,
    Crisis,
}

/// Issuer-tunable parameters; `validate` holds their bounds.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct PoolParams {
    /// `reprice` refuses rates published longer ago than this.
    pub max_oracle_age_secs: u32,
    /// `deposit` refuses a NAV computed longer ago than this.
    pub max_nav_age_secs: u32,
    /// Largest change of any published rate per update, in bps.
    pub max_rate_move_bps: u32,
    /// Deposits may not lift NAV above this (base units).
    pub pool_cap: u64,
    /// Deposits require a live member account.
    pub permissioned: bool,
    /// Write-down schedule for overdue receivables, ascending.
    pub overdue_steps: [OverdueStep; OVERDUE_STEPS],
}

pub const MIN_AGE_SECS: u32 = 60;
pub const MAX_ORACLE_AGE_SECS: u32 = 7 * 86_400;
pub const MAX_NAV_AGE_SECS: u32 = 86_400;

impl PoolParams {
    pub fn validate(&self) -> Result<()> {
        require!(
            (MIN_AGE_SECS..=MAX_ORACLE_AGE_SECS).contains(&self.max_oracle_age_secs)
                && (MIN_AGE_SECS..=MAX_NAV_AGE_SECS).contains(&self.max_nav_age_secs)
                && (1..=BPS).contains(&self.max_rate_move_bps)
                && self.pool_cap > 0,
            SluiceError::InvalidParams
        );
        let mut last = OverdueStep::default();
        for s in self.overdue_steps.iter().filter(|s| s.days > 0) {
            require!(
                s.days > last.days && s.haircut_bps >= last.haircut_bps && s.haircut_bps as u32 <= BPS,
                SluiceError::InvalidParams
            );
            last = *s;
        }
        Ok(())
    }
}

/// One tranche, stored inside its pool so the waterfall reads every tranche at once.
/// Index 0 is the most senior; the last one is junior and takes the residual.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct Tranche {
    /// SPL mint of the tranche token; the pool PDA is its mint authority.
    pub mint: Pubkey,
    /// Annual coupon, simple accrual at each reprice (ignored for the junior tranche).
    pub coupon_bps: u16,
    /// Deposits into this tranche need the tranches below it to hold at least this share
    /// of NAV afterwards.
    pub min_subordination_bps: u16,
    /// Deposited principal.
    pub principal: u64,
    /// Principal plus accrued coupon: what the waterfall owes this tranche.
    pub claim: u64,
    /// Value assigned by the last waterfall.
    pub value: u64,
    /// Tokens outstanding (mirrors the mint's supply).
    pub supply: u64,
    /// Value per token scaled by 10^12, floored.
    pub price_e12: u64,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    /// Signer that created the pool; part of its seeds, never changes.
    pub creator: Pubkey,
    pub pool_id: u64,
    /// Issuer authority: parameters, tranches, members, receivables.
    pub authority: Pubkey,
    /// Proposed authority awaiting acceptance (default key when none).
    pub pending_authority: Pubkey,
    /// May pause and unpause.
    pub guardian: Pubkey,
    pub base_mint: Pubkey,
    pub vault: Pubkey,
    pub book: Pubkey,
    pub oracle: Pubkey,
    pub stage: Stage,
    pub paused: bool,
    pub params: PoolParams,
    /// Base units the pool accounts for in its vault (deposits + repayments − fundings).
    pub cash: u64,
    /// Net asset value of the last reprice, adjusted by deposits since.
    pub nav: u64,
    pub nav_time: i64,
    /// Set when the book or cash changed in a way only a reprice can value.
    pub nav_dirty: bool,
    pub tranche_count: u8,
    pub tranches: [Tranche; MAX_TRANCHES],
    pub receivable_count: u64,
    pub bump: u8,
    pub vault_bump: u8,
}

impl Pool {
    pub const SEED: &'static [u8] = b"pool";

    pub fn active_tranches(&self) -> &[Tranche] {
        &self.tranches[..self.tranche_count as usize]
    }

    pub fn has_deposits(&self) -> bool {
        self.active_tranches().iter().any(|t| t.supply > 0)
    }

    /// Runs `f` with the seeds that sign as the pool PDA (vault transfers, tranche mints).
    pub fn with_signer<R>(&self, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
        let id = self.pool_id.to_le_bytes();
        let bump = [self.bump];
        let seeds: [&[u8]; 4] = [Self::SEED, self.creator.as_ref(), &id, &bump];
        f(&[&seeds])
    }

    /// Σ tranche values = NAV; senior tranches hold at most their claim, and a tranche
    /// below its claim leaves nothing to those under it; parameters are in bounds.
    pub fn invariant(&self) -> Result<()> {
        require!(self.tranche_count as usize <= MAX_TRANCHES, SluiceError::InvariantViolated);
        let tranches = self.active_tranches();
        let sum: u128 = tranches.iter().map(|t| t.value as u128).sum();
        require!(sum == self.nav as u128, SluiceError::InvariantViolated);
        if let Some((junior, seniors)) = tranches.split_last() {
            let mut short = false;
            for t in seniors {
                require!(t.value <= t.claim && (!short || t.value == 0), SluiceError::InvariantViolated);
                short |= t.value < t.claim;
            }
            require!(!short || junior.value == 0, SluiceError::InvariantViolated);
        }
        self.params.validate()
    }

    /// The vault holds at least the cash the pool accounts for. A surplus (tokens sent to
    /// the vault directly) is ignored rather than counted, so a donation can neither move
    /// NAV nor wedge the pool.
    pub fn check_cash(&self, vault_amount: u64) -> Result<()> {
        require!(vault_amount >= self.cash, SluiceError::InvariantViolated);
        Ok(())
    }
}
