//! What `reprice` and `deposit` would do, computed off chain with the program's own math
//! (same functions, same rounding), so a wallet can show a quote before signing.

use sluice::instructions::buyback_price;
use sluice::math::allocation::{fill_shares, value_of};
use sluice::math::dcf::book_value;
use sluice::math::tokens::{price_e12, tokens_for_deposit};
use sluice::math::waterfall::{accrue, waterfall};
use sluice::state::{Book, Pool, RateOracle, Request, MAX_TRANCHES};

/// NAV and its parts at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavPreview {
    pub nav: u64,
    pub cash: u64,
    pub book_value: u64,
    pub impaired_value: u64,
    pub tranche_values: [u64; MAX_TRANCHES],
    pub tranche_prices_e12: [u64; MAX_TRANCHES],
}

impl NavPreview {
    /// Share of NAV held below the senior tranche, in bps (the junior buffer).
    pub fn junior_buffer_bps(&self) -> u64 {
        if self.nav == 0 {
            return 0;
        }
        let below: u128 = self.tranche_values[1..].iter().map(|v| *v as u128).sum();
        (below * 10_000 / self.nav as u128) as u64
    }
}

/// The NAV `reprice` would compute at `now`. `None` where the program reports
/// `MathOverflow`.
pub fn nav(pool: &Pool, book: &Book, oracle: &RateOracle, now: i64) -> Option<NavPreview> {
    let pv = book_value(&book.cells, now, &oracle.curve, &pool.params.overdue_steps)?;
    let nav = u64::try_from(pool.cash as u128 + pv + book.impaired_value as u128).ok()?;
    let n = pool.tranche_count as usize;
    let elapsed = if pool.nav_time > 0 { now - pool.nav_time } else { 0 };
    let mut claims = [0u64; MAX_TRANCHES];
    for (i, t) in pool.tranches[..n].iter().enumerate() {
        claims[i] = if i + 1 < n { accrue(t.claim, t.principal, t.coupon_bps, elapsed)? } else { t.claim };
    }
    let values = if n == 0 { [0; MAX_TRANCHES] } else { waterfall(nav, &claims[..n]) };
    let mut prices = [0u64; MAX_TRANCHES];
    for i in 0..n {
        prices[i] = price_e12(values[i], pool.tranches[i].supply);
    }
    Some(NavPreview {
        nav,
        cash: pool.cash,
        book_value: u64::try_from(pv).ok()?,
        impaired_value: book.impaired_value,
        tranche_values: values,
        tranche_prices_e12: prices,
    })
}

/// Tokens a deposit of `amount` into `tranche` would mint at the pool's stored NAV.
pub fn deposit_tokens(pool: &Pool, tranche: u8, amount: u64) -> Option<u64> {
    let t = pool.tranches.get(tranche as usize).filter(|_| tranche < pool.tranche_count)?;
    tokens_for_deposit(amount, t.value, t.supply)
}

/// What the next batch would do for one request, at the pool's current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FillPreview {
    /// Tokens the vault would redeem, and their value.
    pub redeemed: u64,
    pub paid: u64,
    /// Tokens the reserve would buy, and what it would pay.
    pub sold_to_reserve: u64,
    pub reserve_pays: u64,
}

/// The fill the next batch would give `request` of `tranche`, computed with the program's
/// own planning; `None` when no batch can open now (nothing due, stale NAV, no budget).
/// For a batch already open, the fill is the request's share of what the batch has left.
pub fn expected_fill(pool: &Pool, tranche: u8, request: &Request, now: i64) -> Option<FillPreview> {
    let i = tranche as usize;
    let b = &pool.batch;
    let (granted, reserve_granted, demand, value, supply) = if b.open {
        // The batch pays at its own price, or at today's where that is lower.
        let t = pool.tranches.get(i)?;
        let (value, supply) = sluice::instructions::fill_price(b, t, i);
        (b.granted[i], b.reserve_granted[i], b.demand[i], value, supply)
    } else {
        let (plan, reserve) = sluice::instructions::plan_batch(pool, now).ok()?;
        let t = pool.tranches.get(i)?;
        (plan[i], reserve[i], t.demand_tokens, t.value, t.supply)
    };
    let dust = pool.params.redemption.min_request;
    let (redeemed, sold) = fill_shares(request.allowed(), granted, reserve_granted, demand, dust);
    Some(FillPreview {
        redeemed,
        paid: value_of(redeemed, value, supply),
        sold_to_reserve: sold,
        reserve_pays: buyback_price(value_of(sold, value, supply), pool.params.redemption.buyback_discount_bps),
    })
}

/// An instant redemption of `tokens` of `tranche` at the stored NAV: (value, fee); the
/// holder receives `value − fee`.
pub fn instant_redemption(pool: &Pool, tranche: u8, tokens: u64) -> Option<(u64, u64)> {
    (tranche < pool.tranche_count).then(|| sluice::instructions::instant_payout(pool, tranche as usize, tokens))
}

/// The program's own quote for an exact-input swap, from the market account and its two
/// vault balances.
pub fn swap_quote(
    pool: &Pool,
    amm: &sluice::state::Amm,
    tranche_vault: u64,
    base_vault: u64,
    buy_tranche: bool,
    amount_in: u64,
) -> Option<sluice::math::amm::Quote> {
    let (x, y) = amm.reserves(tranche_vault, base_vault).ok()?;
    let nav_price = pool.tranches.get(amm.tranche as usize)?.price_e12;
    sluice::math::amm::quote(x, y, buy_tranche, amount_in, nav_price, amm.params.fees(pool.stage))
}

/// Basket tokens an exchange in of `tokens` of constituent `index` would mint now, by the
/// program's own rule (`None` where the program would refuse it).
pub fn basket_exchange_in(view: &crate::client::BasketView, index: u8, tokens: u64, now: i64) -> Option<u64> {
    sluice::instructions::plan_exchange_in(&view.basket, &view.pools, &view.flights, index, tokens, now)
        .ok()
        .map(|(out, _)| out)
}

/// The in-kind slices an exchange out of `tokens` pays: per constituent, then the sleeve
/// (`None` where the program would refuse it: what is in flight cannot be paid now).
pub fn basket_exchange_out(view: &crate::client::BasketView, tokens: u64) -> Option<Vec<u64>> {
    sluice::instructions::plan_exchange_out(&view.basket, &view.flights, tokens).ok()
}

/// Base units a sleeve redemption of `tokens` would pay now, or the program's refusal.
pub fn basket_redeem(view: &crate::client::BasketView, tokens: u64, now: i64) -> anchor_lang::Result<u64> {
    sluice::instructions::plan_redeem(&view.basket, &view.pools, &view.flights, tokens, now).map(|(out, _, _)| out)
}

/// What the keeper's cranks should do for the basket now: the constituents to collect
/// from, then the rule's action.
pub fn basket_rebalance(
    view: &crate::client::BasketView,
    now: i64,
) -> anchor_lang::Result<(Vec<u8>, sluice::instructions::RebalanceAction)> {
    let collect = sluice::instructions::collectable(&view.basket, &view.flights);
    let action = sluice::instructions::plan_rebalance(&view.basket, &view.pools, &view.flights, now)?;
    Ok((collect, action))
}

/// The program's own quote for a swap on the basket's market, from the basket `view`, the
/// market account and its vault balances `reserves` (basket tokens, base tokens); the
/// program's refusal otherwise (stale NAV, empty market, zero amount).
pub fn basket_swap_quote(
    view: &crate::client::BasketView,
    market: &sluice::state::BasketMarket,
    reserves: (u64, u64),
    buy_basket: bool,
    amount_in: u64,
    now: i64,
) -> anchor_lang::Result<sluice::instructions::BasketSwapQuote> {
    sluice::instructions::plan_basket_swap(
        &view.basket,
        market,
        &view.pools,
        &view.flights,
        reserves,
        buy_basket,
        amount_in,
        now,
    )
}

/// What `basket_buyback(max_base)` would do now, or the program's refusal.
pub fn basket_buyback(
    view: &crate::client::BasketView,
    market: &sluice::state::BasketMarket,
    reserves: (u64, u64),
    max_base: u64,
    now: i64,
) -> anchor_lang::Result<sluice::instructions::BasketBuybackPlan> {
    sluice::instructions::plan_basket_buyback(&view.basket, market, &view.pools, &view.flights, reserves, max_base, now)
}

/// The instant exit of `tokens` of `tranche` the program would pay at `now` to a holder who
/// has taken `used_today` through the door in its 24 h window (`HolderRecord::instant_used`):
/// (value, fee), or the error `redeem_instant` would give.
pub fn instant_exit(
    pool: &Pool,
    used_today: u64,
    tranche: u8,
    tokens: u64,
    now: i64,
) -> anchor_lang::Result<(u64, u64)> {
    sluice::instructions::plan_instant(pool, used_today, tranche, tokens, now)
}

/// The most of `tokens` the instant door would take now (0 when it takes none).
pub fn instant_capacity(pool: &Pool, used_today: u64, tranche: u8, tokens: u64, now: i64) -> u64 {
    largest_where(tokens, |k| k == 0 || instant_exit(pool, used_today, tranche, k, now).is_ok())
}

/// The largest amount in `0..=most` for which `holds` (true for small amounts, false from
/// some point on) is true; 0 when none is. A binary search: ~64 evaluations at most.
pub fn largest_where(most: u64, holds: impl Fn(u64) -> bool) -> u64 {
    if most == 0 || holds(most) {
        return most;
    }
    let (mut lo, mut hi) = (0u64, most);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A tranche's market as an exit sees it: the market account and its two vault balances.
#[derive(Clone, Copy, Debug)]
pub struct ExitMarket<'a> {
    pub amm: &'a sluice::state::Amm,
    pub tranche_vault: u64,
    pub base_vault: u64,
}

/// How a holder's exit of some tokens splits between the pool's three doors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitPlan {
    /// Redeemed at once (`redeem_instant`), and the base that pays (value − fee).
    pub instant_tokens: u64,
    pub instant_out: u64,
    /// Sold on the market (`swap`), and the base the quote pays.
    pub market_tokens: u64,
    pub market_out: u64,
    /// Queued for the batches (`request_redemption`), and their value at today's NAV.
    pub queued_tokens: u64,
    pub queued_value: u64,
    /// What no door takes now: the queue of a paused pool, or a remainder under the pool's
    /// `min_request` that is not the holder's whole balance. It stays with the holder.
    pub unplaced_tokens: u64,
}

/// The best exit for `tokens` of `tranche` now, by the program's own rules: the instant door
/// first, as far as it takes them (it pays NAV less the instant fee, the most any door pays at
/// once); then the market, while the last token sold still brings at least the NAV price less
/// `max_discount_bps` after fees — so a large exit never walks the screen price down past the
/// holder's tolerance; the rest to the queue, paid at NAV in Normal (less the buy-back discount
/// in Stress and Crisis) as batches release cash. In Crisis the market takes only what lands
/// inside the crisis band, as `swap` would. Pass `market` only where the holder may trade on
/// it (in a permissioned pool: a live member). `balance` is the holder's tranche balance: the
/// queue takes a remainder under `min_request` only when it is all the holder has left; a
/// paused pool's queue takes nothing (`unplaced_tokens`).
// The holder's situation is eight plain figures a wallet already has at hand; a struct would
// only rename them.
#[allow(clippy::too_many_arguments)]
pub fn plan_exit(
    pool: &Pool,
    market: Option<ExitMarket>,
    used_today: u64,
    tranche: u8,
    tokens: u64,
    balance: u64,
    now: i64,
    max_discount_bps: u16,
) -> ExitPlan {
    let mut plan = ExitPlan::default();
    let Some(t) = pool.tranches.get(tranche as usize).filter(|_| tranche < pool.tranche_count) else {
        return plan;
    };
    plan.instant_tokens = instant_capacity(pool, used_today, tranche, tokens, now);
    if plan.instant_tokens > 0 {
        let (value, fee) = instant_redemption(pool, tranche, plan.instant_tokens).unwrap_or_default();
        plan.instant_out = value - fee;
    }
    let rest = tokens - plan.instant_tokens;
    // The pause stops exits through the pool, not trades between holders.
    if let Some(m) = market.filter(|m| m.amm.tranche == tranche) {
        let floor = t.price_e12 as u128 * (10_000 - max_discount_bps.min(10_000) as u128);
        let crisis_band = (pool.stage == sluice::state::Stage::Crisis).then_some(m.amm.params.crisis_band_bps as u64);
        let sale = |k: u64| swap_quote(pool, m.amm, m.tranche_vault, m.base_vault, false, k);
        // The last token's net price: the landing price less the trade's fee rate.
        let acceptable = |k: u64| {
            k == 0
                || sale(k).is_some_and(|q| {
                    q.amount_out > 0
                        && crisis_band.is_none_or(|band| q.deviation_bps <= band)
                        && q.price_e12 as u128 * (10_000 - q.fee_bps.min(10_000)) as u128 >= floor
                })
        };
        plan.market_tokens = largest_where(rest, acceptable);
        plan.market_out = sale(plan.market_tokens).map_or(0, |q| q.amount_out);
        if plan.market_out == 0 {
            plan.market_tokens = 0;
        }
    }
    let left = rest - plan.market_tokens;
    let whole_balance = left == balance.saturating_sub(plan.instant_tokens + plan.market_tokens);
    let queue_takes = !pool.paused && (left >= pool.params.redemption.min_request || whole_balance);
    (plan.queued_tokens, plan.unplaced_tokens) = if queue_takes { (left, 0) } else { (0, left) };
    plan.queued_value = value_of(plan.queued_tokens, t.value, t.supply);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::{AnchorDeserialize, Space};

    /// A pool of zeros (Borsh of zero bytes): the fields a test sets are the ones it reads.
    fn zero_pool() -> Pool {
        Pool::deserialize(&mut &vec![0u8; Pool::INIT_SPACE][..]).unwrap()
    }

    #[test]
    fn an_open_batch_previews_its_fill_at_the_price_it_pays_a_fall_passed_on_a_rise_not() {
        let mut pool = zero_pool();
        pool.tranche_count = 1;
        pool.params.redemption.min_request = 1;
        let b = &mut pool.batch;
        b.open = true;
        (b.price_value[0], b.price_supply[0], b.granted[0], b.demand[0]) = (1_000, 1_000, 100, 100);
        let r = Request { original: 100, remaining: 100, installment: 100, ..Default::default() };
        // Today's price fell 10 % since the batch opened: the fill pays today's.
        (pool.tranches[0].value, pool.tranches[0].supply) = (900, 1_000);
        let fill = expected_fill(&pool, 0, &r, 0).unwrap();
        assert_eq!((fill.redeemed, fill.paid), (100, 90));
        // Risen since: the batch price holds.
        pool.tranches[0].value = 1_100;
        assert_eq!(expected_fill(&pool, 0, &r, 0).unwrap().paid, 100);
    }
}
