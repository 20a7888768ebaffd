//! Specification: `process_batch(tranche, max_requests)` (permissionless crank)
//! - Refused while paused (`PoolPaused`): a guardian who doubts the NAV stops batches.
//! - With nothing queued: `NothingToProcess`. Otherwise opens a batch when none is open, at
//!   most once per `batch_interval_secs` (`BatchNotDue`), at a fresh NAV (`NavStale`). The
//!   budget is cash above the floor (in Crisis, no more than the repayments realised since
//!   Crisis began). `math::allocation` grants tokens senior first, then mezzanine, then
//!   junior, within every senior tranche's subordination. Nothing to grant:
//!   `NothingToProcess`, and no tip. Cash granted and not yet paid is reserved: instant
//!   exits, fundings and recycling cannot spend it.
//! - Then fills up to `max_requests` (≤ 256) requests of `tranche` from the batch cursor,
//!   resumable across transactions, each at a fresh NAV (`NavStale`). Each visited request
//!   takes its pro-rata share of the grant still left (`math::allocation::fill_shares`), so
//!   a cancel during the batch leaves its share to the others; an allowance below the
//!   minimum request (dust) is paid whole while the grant lasts, so it always clears.
//!   Redeemed tokens are burned from escrow, their value at the batch price moves from
//!   cash to claimable.
//! - Fills pay the lower of the batch price and the tranche's current price: a fall since
//!   the batch opened (a write-down, new rates) is passed on, a rise is not, so nobody holds
//!   an option on the batch price. A tranche's part **lapses** — it ends, nothing more is
//!   paid to it from this batch, and its requests keep their tokens for the next batch,
//!   planned afresh — when the tranche is worth nothing now, when the fill would break a
//!   senior tranche's subordination at the current NAV, or when cash or the reserve no
//!   longer cover it. The other tranches' parts go on.
//! - In Stress and Crisis, once the vault's share is planned, the buy-back reserve buys what
//!   remains of each tranche's allowance (senior first) at NAV × (1 − buy-back discount),
//!   spending at most `reserve_batch_share_bps` of its balance; the tokens stay in escrow
//!   as the reserve's, the sellers' value becomes claimable.
//! - Keeper tip: `keeper_tip` per batch at most, earned in proportion to the value each call
//!   processes (vault payments plus reserve purchases), and never more than 1 % of that
//!   value (`MAX_TIP_SHARE_BPS`), out of the fee pot. Dust earns nothing; splitting a batch
//!   into many calls earns no more than one call; the pot drains by `keeper_tip` per batch
//!   interval at most.
//! - A call on an open batch for a tranche whose part is done: `NothingToProcess`.
//! - Each call emits `BatchProcessed`; the batch closes when every tranche is done.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::request_redemption::tranche_of;
use super::token_moves;
use crate::error::SluiceError;
use crate::events::BatchProcessed;
use crate::math::allocation::{allocate, fill_shares, tokens_within, value_of};
use crate::math::time::BPS;
use crate::state::*;

/// Most requests one call fills (bounded work per transaction).
pub const MAX_BATCH_CHUNK: u16 = 256;
/// A batch's keeper tips never exceed this share of the value it processed (bps).
pub const MAX_TIP_SHARE_BPS: u32 = 100;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct ProcessBatch<'info> {
    pub cranker: Signer<'info>,
    /// Where the keeper tip goes.
    #[account(mut, constraint = cranker_base.mint == pool.base_mint @ SluiceError::WrongAccount)]
    pub cranker_base: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, has_one = vault @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, constraint = queue.key() == tranche_of(&pool, tranche)?.queue @ SluiceError::WrongAccount)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    #[account(mut, constraint = escrow.key() == tranche_of(&pool, tranche)?.escrow @ SluiceError::WrongAccount)]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = tranche_mint.key() == tranche_of(&pool, tranche)?.mint @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The buy-back reserve; needed when the batch has the reserve buy (Stress, Crisis).
    #[account(mut, constraint = reserve_vault.key() == pool.reserve_vault @ SluiceError::WrongAccount)]
    pub reserve_vault: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

/// What the reserve pays for tokens worth `value`: NAV less the buy-back discount, floored.
pub fn buyback_price(value: u64, discount_bps: u16) -> u64 {
    (value as u128 * (BPS - discount_bps as u32) as u128 / BPS as u128) as u64
}

/// What a batch opened now would grant: tokens the vault redeems and tokens the reserve
/// buys, per tranche; or the error `process_batch` would give. Public so keepers and the
/// SDK can tell whether a crank is due without sending it.
pub fn plan_batch(pool: &Pool, now: i64) -> Result<([u64; MAX_TRANCHES], [u64; MAX_TRANCHES])> {
    let p = pool.params.redemption;
    require!(pool.active_tranches().iter().any(|t| t.demand_tokens > 0), SluiceError::NothingToProcess);
    require!(now >= pool.batch.opened_at + p.batch_interval_secs as i64, SluiceError::BatchNotDue);
    require!(pool.nav_is_fresh(now), SluiceError::NavStale);
    let mut budget = pool.cash_above_floor();
    if pool.stage == Stage::Crisis {
        budget = budget.min(pool.realized_budget);
    }
    let sides = pool.redemption_sides(|_, t| t.demand_tokens);
    let plan = allocate(budget, pool.nav, &sides);
    // In Stress and Crisis the reserve buys, senior first, what the vault could not pay.
    let mut reserve_plan = [0u64; MAX_TRANCHES];
    if pool.stage != Stage::Normal && pool.reserve_vault != Pubkey::default() {
        let mut left = (pool.reserve_balance as u128 * p.reserve_batch_share_bps as u128 / BPS as u128) as u64;
        for (i, s) in sides.iter().enumerate() {
            // The reserve buys nothing a tranche cannot price: no tokens, or worth nothing.
            if s.supply == 0 || s.value == 0 {
                continue;
            }
            let wanted = s.demand_tokens - plan.tokens[i];
            let gross = (left as u128 * BPS as u128 / (BPS - p.buyback_discount_bps as u32) as u128) as u64;
            let k = wanted.min(tokens_within(gross, s.value, s.supply));
            reserve_plan[i] = k;
            left -= buyback_price(value_of(k, s.value, s.supply), p.buyback_discount_bps).min(left);
        }
    }
    require!(plan.tokens.iter().chain(&reserve_plan).any(|k| *k > 0), SluiceError::NothingToProcess);
    Ok((plan.tokens, reserve_plan))
}

/// The price a fill of tranche `i` in the open batch pays, as (value, supply): the batch
/// price, or the current one where that is lower (a fall is passed on, a rise is not).
/// Public so the SDK previews a fill at the price the batch will pay.
pub fn fill_price(b: &BatchState, t: &Tranche, i: usize) -> (u64, u64) {
    let fallen = (t.value as u128) * (b.price_supply[i] as u128) < (b.price_value[i] as u128) * (t.supply as u128);
    if fallen {
        (t.value, t.supply)
    } else {
        (b.price_value[i], b.price_supply[i])
    }
}

impl ProcessBatch<'_> {
    /// Opens a new batch over every tranche, or explains why none can start.
    fn open_batch(pool: &mut Pool, now: i64) -> Result<()> {
        let (plan, reserve_plan) = plan_batch(pool, now)?;
        let discount = pool.params.redemption.buyback_discount_bps;
        let mut planned = 0u64;
        let b = &mut pool.batch;
        b.id += 1;
        b.opened_at = now;
        b.open = true;
        b.tip_paid = 0;
        for (i, t) in pool.tranches.iter().enumerate() {
            b.price_value[i] = t.value;
            b.price_supply[i] = t.supply;
            b.demand[i] = t.demand_tokens;
            b.granted[i] = plan[i];
            b.reserve_granted[i] = reserve_plan[i];
            b.end[i] = t.queue_tail;
            // A tranche with nothing granted is done as soon as the batch opens.
            let work = plan[i] > 0 || reserve_plan[i] > 0;
            b.cursor[i] = if work { t.queue_head } else { t.queue_tail };
            b.redeemed[i] = 0;
            b.paid[i] = 0;
            b.reserve_paid[i] = 0;
            planned = planned
                .saturating_add(value_of(plan[i], t.value, t.supply))
                .saturating_add(buyback_price(value_of(reserve_plan[i], t.value, t.supply), discount));
        }
        b.planned_value = planned;
        Ok(())
    }

    /// Walks requests `from..to` of tranche `i` with the batch's sequential pro rata:
    /// (vault tokens, their value, reserve tokens, what the reserve pays, requests visited).
    /// With `apply`, the requests, the tranche and the batch are updated; without, nothing is.
    fn fill(pool: &mut Pool, queue: &mut RedemptionQueue, i: usize, to: u64, apply: bool) -> Result<Fill> {
        let discount = pool.params.redemption.buyback_discount_bps;
        let dust = pool.params.redemption.min_request;
        let mut b = pool.batch;
        let mut t = pool.tranches[i];
        // The lower of the batch price and today's: a fall is passed on, a rise is not.
        let (price_value, price_supply) = fill_price(&b, &t, i);
        let mut f = Fill::default();
        for id in b.cursor[i]..to {
            f.visited += 1;
            if id < t.queue_head {
                continue; // finished and dropped since the batch opened
            }
            let r = queue.get_mut(&t, id)?;
            let allowed = r.allowed();
            let (k, kr) = fill_shares(allowed, b.granted[i], b.reserve_granted[i], b.demand[i], dust);
            b.granted[i] -= k;
            b.reserve_granted[i] -= kr;
            b.demand[i] -= allowed.min(b.demand[i]);
            if k + kr == 0 {
                continue;
            }
            let paid = value_of(k, price_value, price_supply);
            let price = buyback_price(value_of(kr, price_value, price_supply), discount);
            if apply {
                r.remaining -= k + kr;
                r.claimable += paid + price;
                t.demand_tokens -= allowed - r.allowed();
                t.queued_tokens -= k + kr;
            }
            f.tokens += k;
            f.value += paid;
            f.bought += kr;
            f.cost += price;
        }
        if apply {
            b.cursor[i] = to;
            queue.pop_done(&mut t, 32);
            pool.batch = b;
            pool.tranches[i] = t;
        }
        Ok(f)
    }

    /// Whether tranche `i`'s part of the batch can no longer be paid as planned: the
    /// tranche is worth nothing now (its holders keep their tokens), the fill would break a
    /// senior tranche's subordination at the current NAV, or cash or the reserve no longer
    /// cover it.
    fn must_lapse(pool: &Pool, i: usize, f: &Fill) -> bool {
        let t = &pool.tranches[i];
        t.value == 0
            || f.value > pool.cash
            || f.cost > pool.reserve_balance
            || f.tokens > t.supply
            || !pool.exit_keeps_subordination(i, f.tokens, f.value)
    }

    pub fn process_batch(ctx: Context<Self>, tranche: u8, max_requests: u16) -> Result<()> {
        require!((1..=MAX_BATCH_CHUNK).contains(&max_requests), SluiceError::InvalidParams);
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        require!(!a.pool.paused, SluiceError::PoolPaused);
        let opened = !a.pool.batch.open;
        if opened {
            Self::open_batch(&mut a.pool, now)?;
        }
        let i = tranche as usize;
        let b = a.pool.batch;
        // Opening the batch is work in itself, even through a tranche with no part in it.
        require!(opened || b.cursor[i] < b.end[i], SluiceError::NothingToProcess);
        // Every fill is at a NAV that is still true (a batch opened in this call already was).
        require!(a.pool.nav_is_fresh(now), SluiceError::NavStale);

        let last = b.end[i].min(b.cursor[i] + max_requests as u64);
        let mut queue = a.queue.load_mut()?;
        let probe = Self::fill(&mut a.pool, &mut queue, i, last, false)?;
        let lapsed = Self::must_lapse(&a.pool, i, &probe);
        let f = if lapsed {
            Fill { visited: probe.visited, ..Fill::default() }
        } else {
            Self::fill(&mut a.pool, &mut queue, i, last, true)?
        };
        drop(queue);

        if f.tokens > 0 {
            token_moves::pool_burn(&a.pool, a.token_program.key(), &a.tranche_mint, &a.escrow, f.tokens)?;
        }
        if f.cost > 0 {
            let reserve = a.reserve_vault.as_ref().ok_or(SluiceError::WrongAccount)?;
            token_moves::pool_transfer(
                &a.pool,
                a.base_token_program.key(),
                reserve,
                &a.base_mint,
                a.vault.to_account_info(),
                f.cost,
            )?;
        }

        let pool = &mut a.pool;
        pool.cash = pool.cash.checked_sub(f.value).ok_or(SluiceError::InsufficientCash)?;
        pool.claimable += f.value + f.cost;
        pool.reserve_balance = pool.reserve_balance.checked_sub(f.cost).ok_or(SluiceError::InvariantViolated)?;
        pool.tranches[i].reserve_tokens += f.bought;
        pool.batch.reserve_paid[i] += f.cost;
        if pool.stage == Stage::Crisis {
            pool.realized_budget = pool.realized_budget.saturating_sub(f.value);
        }
        pool.retire_tokens(i, f.tokens, f.value)?;
        pool.batch.redeemed[i] += f.tokens;
        pool.batch.paid[i] += f.value;
        if lapsed {
            // Nothing more is paid to this tranche from this batch; its requests wait for the
            // next one. The other tranches' parts go on.
            pool.batch.cursor[i] = pool.batch.end[i];
            pool.batch.granted[i] = 0;
            pool.batch.reserve_granted[i] = 0;
        }
        let complete = (0..MAX_TRANCHES).all(|j| pool.batch.cursor[j] >= pool.batch.end[j]);
        pool.batch.open = !complete;

        let tip = Self::tip_earned(pool);
        if tip > 0 {
            pool.fee_pot -= tip;
            pool.batch.tip_paid += tip;
            token_moves::pool_transfer(
                &a.pool,
                a.base_token_program.key(),
                &a.vault,
                &a.base_mint,
                a.cranker_base.to_account_info(),
                tip,
            )?;
        }

        a.vault.reload()?;
        a.escrow.reload()?;
        a.tranche_mint.reload()?;
        a.pool.check_escrow(i, a.escrow.amount)?;
        let pool = &a.pool;
        require!(a.tranche_mint.supply == pool.tranches[i].supply, SluiceError::InvariantViolated);
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;
        crate::events::emit(BatchProcessed {
            pool: pool.key(),
            batch_id: pool.batch.id,
            tranche,
            stage: pool.stage,
            timestamp: now,
            nav: pool.nav,
            cash: pool.cash,
            queued_tokens: pool.tranches[i].queued_tokens,
            requests_processed: f.visited,
            tokens_redeemed: f.tokens,
            value_paid: f.value,
            realized_budget: pool.realized_budget,
            batch_complete: complete,
            lapsed,
            keeper_tip: tip,
        });
        if f.bought > 0 {
            super::reserve::attest(pool.key(), pool, now);
        }
        Ok(())
    }

    /// The tip this call has earned: `keeper_tip` × value processed so far ÷ value planned,
    /// less what earlier calls of the batch were paid (floored; never more than the pot).
    fn tip_earned(pool: &Pool) -> u64 {
        let b = &pool.batch;
        let done: u128 = (0..MAX_TRANCHES).map(|j| b.paid[j] as u128 + b.reserve_paid[j] as u128).sum();
        let planned = (b.planned_value as u128).max(1);
        let by_share = pool.params.redemption.keeper_tip as u128 * done.min(planned) / planned;
        // Never more than a small share of the value itself: dust is no work.
        let by_value = done * MAX_TIP_SHARE_BPS as u128 / BPS as u128;
        (by_share.min(by_value) as u64).saturating_sub(b.tip_paid).min(pool.fee_pot)
    }
}

/// What one call fills.
#[derive(Clone, Copy, Debug, Default)]
struct Fill {
    tokens: u64,
    value: u64,
    bought: u64,
    cost: u64,
    visited: u32,
}
