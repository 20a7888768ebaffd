//! Specification: `reprice` (permissionless crank)
//! - Refuses rates never published (`OracleNotPublished`) or older than
//!   `params.max_oracle_age_secs` (`OracleStale`).
//! - Accrues each senior and mezzanine claim by its coupon on principal over the time since
//!   the last reprice (simple interest, floored): the reprice frequency changes nothing.
//! - NAV = accounted cash + DCF value of the performing book + carried value of written-down
//!   receivables (see `math::dcf`). Tranche values follow the waterfall; prices are value per
//!   token. Clears the dirty flag and stamps the NAV time.
//! - Cost does not depend on the number of receivables (`docs/compute-units.md`).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::SluiceError;
use crate::events::Repriced;
use crate::math::dcf::book_value;
use crate::math::waterfall::accrue;
use crate::state::*;

#[derive(Accounts)]
pub struct Reprice<'info> {
    #[account(
        mut,
        has_one = book @ SluiceError::WrongAccount,
        has_one = oracle @ SluiceError::WrongAccount,
        has_one = vault @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub book: AccountLoader<'info, Book>,
    pub oracle: Box<Account<'info, RateOracle>>,
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
}

impl Reprice<'_> {
    fn validate(&self) -> Result<()> {
        let oracle = &self.oracle;
        require!(oracle.sequence > 0, SluiceError::OracleNotPublished);
        let age = Clock::get()?.unix_timestamp - oracle.publish_time;
        require!(age <= self.pool.params.max_oracle_age_secs as i64, SluiceError::OracleStale);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn reprice(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let book = a.book.load()?;
        let pv = book_value(&book.cells, now, &a.oracle.curve, &a.pool.params.overdue_steps)
            .ok_or(SluiceError::MathOverflow)?;
        let impaired = book.impaired_value;
        drop(book);

        let pool = &mut a.pool;
        let nav = (pool.cash as u128 + pv + impaired as u128).try_into().map_err(|_| SluiceError::MathOverflow)?;
        let elapsed = if pool.nav_time > 0 { now - pool.nav_time } else { 0 };
        let n = pool.tranche_count as usize;
        for (i, t) in pool.tranches[..n].iter_mut().enumerate() {
            if i + 1 < n {
                t.claim = accrue(t.claim, t.principal, t.coupon_bps, elapsed).ok_or(SluiceError::MathOverflow)?;
            }
        }
        // With no tranche to hold it, value stays unassigned: NAV counts only what tranches own.
        pool.nav = if n == 0 { 0 } else { nav };
        pool.apply_waterfall();
        let mut values = [0u64; MAX_TRANCHES];
        for (v, t) in values.iter_mut().zip(pool.active_tranches()) {
            *v = t.value;
        }
        pool.nav_time = now;
        pool.nav_dirty = false;
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;

        crate::events::emit(Repriced {
            pool: pool.key(),
            nav,
            cash: pool.cash,
            book_value: pv as u64,
            impaired_value: impaired,
            tranche_values: values,
            timestamp: now,
        });
        Ok(())
    }
}
