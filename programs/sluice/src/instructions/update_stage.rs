//! Specification: `update_stage` (permissionless) and `force_crisis` (guardian)
//! - Metrics from the pool's last NAV: queue ratio = queued value / NAV, coverage = cash /
//!   queued value (both bps; coverage is unbounded when nothing is queued).
//! - Normal → Stress: queue ratio ≥ `stress_enter_bps`, or coverage < `coverage_enter_bps`.
//! - Stress → Crisis: Stress has lasted longer than `crisis_after_secs`, or the reserve is
//!   spent (below 1 % of its target) while requests wait — either only while cash covers
//!   less than `coverage_exit_bps` of the queue.
//! - Stress → Normal: queue ratio < `stress_exit_bps` and coverage ≥ `coverage_exit_bps`.
//! - Crisis → Stress: queue ratio < `crisis_exit_bps`, or cash covers the queue
//!   (coverage ≥ `coverage_exit_bps`): Crisis pays only new repayments, so cash that could
//!   pay the queue must end it rather than sit idle.
//! - Every transition needs `min_stage_secs` in the current stage, Stress → Crisis on a
//!   spent reserve included (hysteresis with the lower exit thresholds). No transition
//!   due: `StageUnchanged`.
//! - The signals are costly to fake: queued value counts requests, which cannot be
//!   cancelled before they have waited a batch interval (`cancel_redemption`), and the
//!   market's signal is its time-weighted price over at least an hour, not its spot price.
//! - `force_crisis`: the guardian (`NotGuardian`) moves the pool to Crisis at any time; it
//!   cannot move it out. Entering Crisis resets the realised-repayment budget.
//! - With markets of the pool passed in (the first as `amm`, the others as remaining
//!   accounts), their time-weighted discounts to NAV count too: any at
//!   `stress_discount_bps` or more moves Normal to Stress, and Stress is left only when
//!   every market of the pool is passed and each is below half of it — leaving a market
//!   out cannot end a stress it signals.
//! - Every transition emits `StageChanged` with the metrics behind it.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::StageChanged;
use crate::math::allocation::value_of;
use crate::math::time::BPS;
use crate::state::*;

#[derive(Accounts)]
pub struct UpdateStage<'info> {
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    /// A market of one of the pool's tranches, whose discount to NAV joins the metrics; the
    /// pool's other markets follow as remaining accounts. Leaving Stress needs them all.
    #[account(has_one = pool @ SluiceError::WrongAccount)]
    pub amm: Option<Box<Account<'info, Amm>>>,
}

/// What the markets passed to `update_stage` say about the pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketView {
    /// Some market's time-weighted discount is at its stress level.
    pub stress: bool,
    /// Every market of the pool was seen, and none is at half its stress level or more: only
    /// then may the market let the pool leave Stress (a market left out says nothing).
    pub calm: bool,
    /// The deepest time-weighted discount seen, bps.
    pub discount_bps: u64,
}

/// Combines the signals of the markets seen (tranche, signal; `None` for a market with no
/// time-weighted price yet) against the markets the pool has.
pub fn market_view(pool: &Pool, seen: &[(u8, Option<MarketSignal>)]) -> MarketView {
    let mask = seen.iter().fold(0u8, |m, (t, _)| m | 1u8.checked_shl(*t as u32).unwrap_or(0));
    let signals = seen.iter().filter_map(|(_, s)| *s);
    MarketView {
        stress: signals.clone().any(|m| m.discount_bps >= m.stress_bps),
        calm: mask & pool.market_mask == pool.market_mask && signals.clone().all(|m| m.discount_bps < m.stress_bps / 2),
        discount_bps: signals.map(|m| m.discount_bps).max().unwrap_or(0),
    }
}

/// (queue ratio, coverage) in bps.
pub fn stage_metrics(pool: &Pool) -> (u64, u64) {
    let queued: u128 =
        pool.active_tranches().iter().map(|t| value_of(t.queued_tokens, t.value, t.supply) as u128).sum();
    let ratio = (queued * BPS as u128).checked_div(pool.nav as u128).unwrap_or(0);
    let coverage = (pool.cash as u128 * BPS as u128).checked_div(queued).unwrap_or(u64::MAX as u128);
    (ratio.min(u64::MAX as u128) as u64, coverage.min(u64::MAX as u128) as u64)
}

/// The reserve exists, is down to less than 1 % of its target, and requests still wait.
fn reserve_spent(pool: &Pool) -> bool {
    pool.reserve_vault != Pubkey::default()
        && pool.reserve_balance < pool.reserve_target() / 100
        && pool.active_tranches().iter().any(|t| t.queued_tokens > 0)
}

/// The stage the metrics call for, if different.
/// A market's discount to NAV (bps) and the discount at which it signals stress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketSignal {
    pub discount_bps: u64,
    pub stress_bps: u64,
}

/// The market's signal for `pool`: its time-weighted price against the tranche's NAV
/// price. A market without an hour of price history (one that never traded among them)
/// gives no signal: no price is not a 100 % discount, and a price held for a moment is not
/// a market.
pub fn market_signal(pool: &Pool, amm: &Amm, now: i64) -> Option<MarketSignal> {
    let nav = pool.tranches[amm.tranche as usize].price_e12;
    let twap = amm.twap_e12(now).filter(|p| *p > 0)?;
    let discount = nav.saturating_sub(twap) as u128 * BPS as u128;
    Some(MarketSignal {
        discount_bps: discount.checked_div(nav as u128).unwrap_or(0) as u64,
        stress_bps: amm.params.stress_discount_bps as u64,
    })
}

/// The stage the metrics call for, if different. A market trading at a deep discount to
/// NAV counts as stress too, and Stress is left only once every market's discount is under
/// half that.
pub fn next_stage(pool: &Pool, now: i64, market: MarketView) -> Option<Stage> {
    let p = pool.params.redemption;
    let (ratio, coverage) = stage_metrics(pool);
    let settled = now - pool.stage_since >= p.min_stage_secs as i64;
    let (market_stress, market_calm) = (market.stress, market.calm);
    match pool.stage {
        Stage::Normal
            if settled
                && (ratio >= p.stress_enter_bps as u64 || coverage < p.coverage_enter_bps as u64 || market_stress) =>
        {
            Some(Stage::Stress)
        }
        // A long stress, or a spent reserve, is a crisis only while cash does not cover the
        // queue: with the cash in hand, Stress pays the queue out.
        Stage::Stress
            if settled
                && coverage < p.coverage_exit_bps as u64
                && (now - pool.stage_since > p.crisis_after_secs as i64 || reserve_spent(pool)) =>
        {
            Some(Stage::Crisis)
        }
        Stage::Stress
            if settled && ratio < p.stress_exit_bps as u64 && coverage >= p.coverage_exit_bps as u64 && market_calm =>
        {
            Some(Stage::Normal)
        }
        // Crisis pays only new repayments; cash that covers the queue ends it, so cash never
        // sits idle while requests wait.
        Stage::Crisis if settled && (ratio < p.crisis_exit_bps as u64 || coverage >= p.coverage_exit_bps as u64) => {
            Some(Stage::Stress)
        }
        _ => None,
    }
}

fn enter(key: Pubkey, pool: &mut Pool, to: Stage, now: i64, forced: bool, market: MarketView) {
    let (queue_ratio_bps, coverage_bps) = stage_metrics(pool);
    let market_discount_bps = market.discount_bps;
    let from = pool.stage;
    pool.stage = to;
    pool.stage_since = now;
    if to == Stage::Crisis {
        pool.realized_budget = 0;
    }
    crate::events::emit(StageChanged {
        pool: key,
        from,
        to,
        queue_ratio_bps,
        coverage_bps,
        market_discount_bps,
        forced,
        timestamp: now,
    });
}

impl<'info> UpdateStage<'info> {
    pub fn update_stage(ctx: Context<'info, Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let key = ctx.accounts.pool.key();
        let mut seen = Vec::with_capacity(MAX_TRANCHES);
        if let Some(amm) = ctx.accounts.amm.as_ref() {
            seen.push((amm.tranche, market_signal(&ctx.accounts.pool, amm, now)));
        }
        for info in ctx.remaining_accounts.iter().take(MAX_TRANCHES) {
            // Only this program writes accounts with the market's discriminator, and only
            // through `create_amm`: owner, type and pool identify a market of this pool.
            require!(*info.owner == crate::ID, SluiceError::WrongAccount);
            let amm = Amm::try_deserialize(&mut &info.try_borrow_data()?[..]).map_err(|_| SluiceError::WrongAccount)?;
            require!(amm.pool == key, SluiceError::WrongAccount);
            seen.push((amm.tranche, market_signal(&ctx.accounts.pool, &amm, now)));
        }
        let market = market_view(&ctx.accounts.pool, &seen);
        let pool = &mut ctx.accounts.pool;
        let to = next_stage(pool, now, market).ok_or(SluiceError::StageUnchanged)?;
        enter(key, pool, to, now, false, market);
        pool.invariant()
    }
}

#[derive(Accounts)]
pub struct ForceCrisis<'info> {
    pub guardian: Signer<'info>,
    #[account(mut, has_one = guardian @ SluiceError::NotGuardian)]
    pub pool: Box<Account<'info, Pool>>,
}

impl ForceCrisis<'_> {
    pub fn force_crisis(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let key = ctx.accounts.pool.key();
        let pool = &mut ctx.accounts.pool;
        require!(pool.stage != Stage::Crisis, SluiceError::StageUnchanged);
        enter(key, pool, Stage::Crisis, now, true, MarketView::default());
        pool.invariant()
    }
}
