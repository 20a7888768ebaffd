//! Specification: `write_down` (servicer) and `write_down_overdue` (permissionless)
//! - `write_down`: pool authority only (`NotAuthority`). Marks a default with the expected
//!   recovery in base units. A performing receivable leaves the book and is carried at the
//!   recovery; a written-down one may only be marked lower (`WriteDownIncrease`). Recovery
//!   above the outstanding is refused (`WriteDownIncrease`); repaid ones are closed
//!   (`ReceivableClosed`).
//! - `write_down_overdue`: anyone. Applies the pool's overdue schedule to a receivable past
//!   its due date: carried = outstanding · (1 − haircut), floored. Refused when that would
//!   not lower the carried value (`NothingToWriteDown`), e.g. before the first step.
//! - Both mark the NAV dirty.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::WrittenDown;
use crate::math::dcf::{overdue_haircut_bps, OverdueStep};
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct WriteDownArgs {
    pub expected_recovery: u64,
}

#[derive(Accounts)]
pub struct WriteDown<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        has_one = authority @ SluiceError::NotAuthority,
        has_one = book @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub book: AccountLoader<'info, Book>,
    #[account(mut, has_one = pool @ SluiceError::WrongAccount)]
    pub receivable: Box<Account<'info, Receivable>>,
}

impl WriteDown<'_> {
    fn validate(&self, args: &WriteDownArgs) -> Result<()> {
        let r = &self.receivable;
        require!(r.status != ReceivableStatus::Repaid, SluiceError::ReceivableClosed);
        let ceiling = match r.status {
            ReceivableStatus::WrittenDown => r.carried_value,
            _ => r.outstanding,
        };
        require!(args.expected_recovery <= ceiling, SluiceError::WriteDownIncrease);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn write_down(ctx: Context<Self>, args: WriteDownArgs) -> Result<()> {
        let a = ctx.accounts;
        apply_write_down(&mut a.pool, &a.book, &mut a.receivable, args.expected_recovery, false)
    }
}

#[derive(Accounts)]
pub struct WriteDownOverdue<'info> {
    #[account(mut, has_one = book @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub book: AccountLoader<'info, Book>,
    #[account(mut, has_one = pool @ SluiceError::WrongAccount)]
    pub receivable: Box<Account<'info, Receivable>>,
}

/// The carried value the overdue schedule allows for `r` at `now` — outstanding ·
/// (1 − haircut), floored (the pool's favour) — when lower than what `r` carries today;
/// `None` when no write-down is due or `r` is repaid. Keepers use it to decide what to crank.
pub fn overdue_write_down(r: &Receivable, steps: &[OverdueStep], now: i64) -> Option<u64> {
    if r.status == ReceivableStatus::Repaid {
        return None;
    }
    let days_overdue = (now - r.due_ts).div_euclid(SECONDS_PER_DAY);
    let haircut = overdue_haircut_bps(steps, days_overdue);
    let target = (r.outstanding as u128 * (BPS - haircut) as u128 / BPS as u128) as u64;
    let current = match r.status {
        ReceivableStatus::WrittenDown => r.carried_value,
        _ => r.outstanding,
    };
    (haircut > 0 && target < current).then_some(target)
}

impl WriteDownOverdue<'_> {
    /// Carried value the schedule allows now, if lower than today's.
    fn scheduled_value(&self) -> Result<u64> {
        let r = &self.receivable;
        require!(r.status != ReceivableStatus::Repaid, SluiceError::ReceivableClosed);
        let now = Clock::get()?.unix_timestamp;
        overdue_write_down(r, &self.pool.params.overdue_steps, now).ok_or(SluiceError::NothingToWriteDown.into())
    }

    pub fn write_down_overdue(ctx: Context<Self>) -> Result<()> {
        let target = ctx.accounts.scheduled_value()?;
        let a = ctx.accounts;
        apply_write_down(&mut a.pool, &a.book, &mut a.receivable, target, true)
    }
}

/// Moves a receivable to (or lower within) the impaired sum at `carried`.
fn apply_write_down(
    pool: &mut Account<Pool>,
    book: &AccountLoader<Book>,
    r: &mut Account<Receivable>,
    carried: u64,
    by_schedule: bool,
) -> Result<()> {
    let mut book = book.load_mut()?;
    let touched = match r.status {
        ReceivableStatus::Performing => {
            let cell = book.reduce_performing(r.risk_class, r.due_ts, r.outstanding, true)?;
            book.impaired_value = book.impaired_value.checked_add(carried).ok_or(SluiceError::MathOverflow)?;
            Some(cell)
        }
        _ => {
            book.impaired_value = book.impaired_value - r.carried_value + carried;
            None
        }
    };
    r.status = ReceivableStatus::WrittenDown;
    r.carried_value = carried;
    r.haircut_bps = (BPS as u128 - carried as u128 * BPS as u128 / r.outstanding as u128) as u16;
    r.invariant()?;
    book.invariant(touched)?;
    pool.nav_dirty = true;
    pool.invariant()?;
    crate::events::emit(WrittenDown {
        pool: pool.key(),
        index: r.index,
        outstanding: r.outstanding,
        carried_value: carried,
        haircut_bps: r.haircut_bps,
        by_schedule,
    });
    Ok(())
}
