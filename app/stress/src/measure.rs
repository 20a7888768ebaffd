//! The lab's yardsticks as pure functions: the liquidity limit, the efficiency of the exit
//! against it, what the pool's subordination rule holds in, and the shares, losses,
//! discounts and spreads the report shows.

use sluice::math::allocation::value_of;
use sluice::state::{Pool, MAX_TRANCHES};

const BPS: u64 = 10_000;

/// The liquidity limit: the cumulative value that could have left the pool by day d under
/// its own rules, in base units:
///
/// ```text
/// limit(d) = (cash at the start + repayments and recoveries received by day d
///             − the cash floor on day d)⁺
///          + the buy-back reserve at the start (what the reserve can buy)
///          + market depth actually taken by sellers by day d (base they received)
/// ```
///
/// "The start" is the pool as set up, before day 1. Repayments and recoveries are the cash
/// the servicer paid into the vault (`record_repayment`) from day 1 to day d. The cash
/// floor is the program's: `cash_floor_bps` of the pool's NAV at the end of day d (so it
/// falls as exits and losses shrink NAV, as it does for the batches). Market depth taken is
/// what exit sellers received on the tranche markets: depth the market offered and an exit
/// used.
pub fn liquidity_limit(
    cash_at_start: u64,
    repaid_and_recovered: u64,
    cash_floor: u64,
    reserve_at_start: u64,
    market_depth_taken: u64,
) -> u64 {
    cash_at_start
        .saturating_add(repaid_and_recovered)
        .saturating_sub(cash_floor)
        .saturating_add(reserve_at_start)
        .saturating_add(market_depth_taken)
}

/// The cash floor of a pool of `nav` with `cash_floor_bps` (as `Pool::cash_above_floor`
/// computes it: floored).
pub fn cash_floor(nav: u64, cash_floor_bps: u16) -> u64 {
    (nav as u128 * cash_floor_bps as u128 / BPS as u128) as u64
}

/// Tokens waiting in each tranche's queue at the end of a day that the pool's own
/// subordination rule holds in: they could not leave however much cash there were, since
/// paying them would take a tranche above under its `min_subordination_bps`.
///
/// Computed on (a copy of) the decoded `pool` with the program's rule, not a re-derivation
/// of it: first the open batch's grants leave (`retire_tokens` at the tranche's value; the
/// batch allocation already checked them against the rule); then, most senior first, each
/// tranche pays out the largest part of what still waits (`queued_tokens` less the grants)
/// for which `Pool::exit_keeps_subordination` holds, and that part leaves before the next
/// tranche is tried. Senior first is the order that frees the most (a senior exit only
/// raises the subordination of the tranches above the ones below it), so what is left —
/// the result — is what the rule holds in whatever order the pool pays. Tranches beyond
/// `tranche_count` read 0.
pub fn held_by_subordination(pool: &Pool) -> [u64; MAX_TRANCHES] {
    let mut p = pool.clone();
    let n = p.tranche_count as usize;
    let mut waiting = [0u64; MAX_TRANCHES];
    for (i, w) in waiting.iter_mut().enumerate().take(n) {
        let granted = if p.batch.open { p.batch.granted[i].saturating_add(p.batch.reserve_granted[i]) } else { 0 };
        *w = p.tranches[i].queued_tokens.saturating_sub(granted);
        let granted = granted.min(p.tranches[i].queued_tokens);
        let t = p.tranches[i];
        if granted > 0 && p.retire_tokens(i, granted, value_of(granted, t.value, t.supply)).is_err() {
            // A pool whose grants cannot leave holds nothing back by subordination.
            return [0; MAX_TRANCHES];
        }
    }
    let mut held = [0u64; MAX_TRANCHES];
    for i in 0..n {
        let t = p.tranches[i];
        let leaves = largest_where(waiting[i].min(t.supply), |k| {
            p.exit_keeps_subordination(i, k, value_of(k, t.value, t.supply))
        });
        if leaves > 0 && p.retire_tokens(i, leaves, value_of(leaves, t.value, t.supply)).is_err() {
            return [0; MAX_TRANCHES];
        }
        held[i] = waiting[i] - leaves;
    }
    held
}

/// The requested value the pool's rules allowed to leave by day d, cumulative: everything
/// asked by then less what still waits at the end of day d that the subordination rule
/// holds in (`held_by_subordination`, valued at the day's NAV price). Held value that is
/// later released (a recovery lifts the junior back over the line) counts again from that day.
pub fn requested_payable(requested: u64, held: u64) -> u64 {
    requested.saturating_sub(held)
}

/// Efficiency of the exit, bps: paid ÷ min(payable, limit), all cumulative, where payable
/// is the requested value the pool's rules allowed to leave (`requested_payable`: all
/// asked, less what the subordination rule holds in). 10,000 means every exit the rules
/// and the limit allowed was paid; less means value that could have left stayed (cash idle
/// while requests waited, or exits paid below their value). Nothing due (no request, or a
/// limit of 0) is full efficiency. Not capped: paid above min(payable, limit) shows as more
/// than 10,000.
pub fn efficiency_bps(paid: u64, payable: u64, limit: u64) -> u64 {
    let due = payable.min(limit);
    if due == 0 {
        return BPS;
    }
    (paid as u128 * BPS as u128 / due as u128).min(u64::MAX as u128) as u64
}

pub use sluice_sdk::preview::largest_where;

/// `part` as a share of `whole`, bps (floored); a `whole` of 0 counts as fully paid.
pub fn share_bps(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return BPS;
    }
    (part as u128 * BPS as u128 / whole as u128).min(u64::MAX as u128) as u64
}

/// Loss of a price from `start` to `end`, bps of `start`; negative is a gain. A tranche
/// that started worth nothing has nothing to lose: 0.
pub fn loss_bps(start_e12: u128, end_e12: u128) -> i64 {
    if start_e12 == 0 {
        return 0;
    }
    let diff = start_e12 as i128 - end_e12 as i128;
    (diff * BPS as i128 / start_e12 as i128) as i64
}

/// Discount of a market price to the NAV price, bps of the NAV price (floored toward zero);
/// negative is a premium. Without a NAV price: 0.
pub fn discount_bps(nav_price_e12: u64, market_price_e12: u64) -> i64 {
    if nav_price_e12 == 0 {
        return 0;
    }
    let diff = nav_price_e12 as i128 - market_price_e12 as i128;
    (diff * BPS as i128 / nav_price_e12 as i128) as i64
}

/// A typical order, base units: 0.1 % of the market's depth (the base that moves its price
/// up 2 %), and at least one base unit.
pub fn typical_order(depth_2pct: u64) -> u64 {
    (depth_2pct / 1_000).max(1)
}

/// Round-trip cost of spending `spent` base units and selling what they bought straight
/// back for `returned`, bps of `spent` (10,000 when nothing comes back).
pub fn round_trip_cost_bps(spent: u64, returned: u64) -> u64 {
    if spent == 0 {
        return 0;
    }
    (spent.saturating_sub(returned) as u128 * BPS as u128 / spent as u128) as u64
}

/// `total` spread over `days` days: equal parts, the last day taking the remainder.
pub fn spread_over_days(total: u64, days: u32) -> Vec<u64> {
    if days == 0 {
        return vec![];
    }
    let part = total / days as u64;
    let mut parts = vec![part; days as usize];
    parts[days as usize - 1] += total - part * days as u64;
    parts
}

/// `total` shared in proportion to `weights` (floored), the last share taking the
/// remainder, so the shares sum to `total`. Nothing to share by: all zeros.
pub fn pro_rata_shares(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|w| *w as u128).sum();
    if sum == 0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<u64> = weights.iter().map(|w| (total as u128 * *w as u128 / sum) as u64).collect();
    let given: u64 = shares.iter().sum();
    *shares.last_mut().expect("not empty") += total - given;
    shares
}

/// The next published rate: `current` moved toward `target` by at most `bound`.
pub fn step_toward(current: u32, target: u32, bound: u32) -> u32 {
    if target > current {
        current + (target - current).min(bound)
    } else {
        current - (current - target).min(bound)
    }
}

/// `base` shifted by a signed change, clamped to `0..=max`.
pub fn shifted(base: u32, change: i64, max: u32) -> u32 {
    (base as i64 + change).clamp(0, max as i64) as u32
}

/// Funded amount of a receivable of `face` bought at an annual discount of `annual_bps`
/// for `tenor_days` (simple, floored; the discount at most half the face).
pub fn funded_for(face: u64, annual_bps: u32, tenor_days: u32) -> u64 {
    let discount = (annual_bps as u64 * tenor_days as u64 / 365).min(5_000);
    (face as u128 * (BPS - discount) as u128 / BPS as u128) as u64
}

/// Face value whose funding at `annual_bps` over `tenor_days` is at least `funded`.
pub fn face_for(funded: u64, annual_bps: u32, tenor_days: u32) -> u64 {
    let discount = (annual_bps as u64 * tenor_days as u64 / 365).min(5_000);
    (funded as u128 * BPS as u128).div_ceil((BPS - discount) as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_adds_what_could_leave() {
        // 1,000 cash and 150 repaid over a floor of 200, a reserve of 200, 50 sold on the market.
        assert_eq!(liquidity_limit(1_000, 150, 200, 200, 50), 1_200);
        // Repayments refill the floor before anything above it can leave.
        assert_eq!(liquidity_limit(100, 150, 200, 0, 0), 50);
        assert_eq!(liquidity_limit(100, 0, 200, 30, 0), 30);
        assert_eq!(liquidity_limit(u64::MAX, 1, 0, 0, 0), u64::MAX);
        assert_eq!(cash_floor(10_350_000, 200), 207_000);
    }

    #[test]
    fn efficiency_measures_against_the_smaller_of_requested_and_limit() {
        // Asked more than could leave: judged against the limit.
        assert_eq!(efficiency_bps(990, 5_000, 1_000), 9_900);
        // Asked less than could leave: judged against what was asked.
        assert_eq!(efficiency_bps(450, 500, 1_000), 9_000);
        // Nothing asked, or nothing could leave: nothing was held back.
        assert_eq!(efficiency_bps(0, 0, 1_000), 10_000);
        assert_eq!(efficiency_bps(0, 1_000, 0), 10_000);
        // Paid beyond it is shown, not hidden.
        assert_eq!(efficiency_bps(1_100, 1_000, 5_000), 11_000);
        // What the subordination rule holds in is not due: 1,700 asked, 70 held.
        assert_eq!(efficiency_bps(1_630, requested_payable(1_700, 70), 5_000), 10_000);
    }

    /// A pool of three tranches at par (1 token = 1 base unit): senior 700, mezzanine 150
    /// (min. subordination 20 % and 10 %), junior `junior`, with `queued` tokens waiting.
    fn pool(junior: u64, queued: [u64; 3]) -> Pool {
        use anchor_lang::AnchorDeserialize;
        let zeros = vec![0u8; <Pool as anchor_lang::Space>::INIT_SPACE];
        let mut p = Pool::deserialize(&mut &zeros[..]).expect("an all-default pool");
        p.tranche_count = 3;
        for (i, (claim, sub)) in [(700u64, 2_000u16), (150, 1_000), (junior, 0)].into_iter().enumerate() {
            let t = &mut p.tranches[i];
            (t.claim, t.principal, t.supply, t.min_subordination_bps, t.queued_tokens) =
                (claim, claim, claim, sub, queued[i]);
        }
        p.nav = 850 + junior;
        p.apply_waterfall();
        p
    }

    #[test]
    fn subordination_holds_in_only_what_would_break_it() {
        // Junior 100 of NAV 950 (10.5 %): 5 of its 60 may leave before the mezzanine's 10 %
        // (junior ≥ 10 % of what remains: (100 − k) × 10 ≥ 950 − k ⇒ k ≤ 5).
        assert_eq!(held_by_subordination(&pool(100, [0, 0, 60])), [0, 0, 55]);
        // Under the line already: nothing of the junior's may leave.
        assert_eq!(held_by_subordination(&pool(90, [0, 0, 30])), [0, 0, 30]);
        // Plenty of junior: all of it may leave.
        assert_eq!(held_by_subordination(&pool(300, [0, 0, 60])), [0, 0, 0]);
        // The senior is never held (nothing above it); its exit frees room below: 560 senior
        // leaving takes NAV to 390, and then (100 − k) × 10 ≥ 390 − k ⇒ 67 of the junior's 80.
        assert_eq!(held_by_subordination(&pool(100, [560, 0, 80])), [0, 0, 13]);
        // The mezzanine answers to the senior's 20 %: (150 − k + 100) × 5 ≥ 950 − k ⇒ k ≤ 75.
        assert_eq!(held_by_subordination(&pool(100, [0, 120, 0])), [0, 45, 0]);
        // Nothing waiting, nothing held; and held counts against what was asked.
        assert_eq!(held_by_subordination(&pool(90, [0, 0, 0])), [0, 0, 0]);
        assert_eq!(requested_payable(1_000, 55), 945);
        assert_eq!(requested_payable(10, 55), 0);
    }

    #[test]
    fn an_open_batch_grant_is_not_held() {
        // The batch granted 4 of the junior's 60; those leave first, and then 1 more fits.
        let mut p = pool(100, [0, 0, 60]);
        p.batch.open = true;
        p.batch.granted[2] = 4;
        assert_eq!(held_by_subordination(&p), [0, 0, 55]);
    }

    #[test]
    fn shares_losses_and_discounts() {
        assert_eq!(share_bps(1, 3), 3_333);
        assert_eq!(share_bps(5, 0), 10_000);
        assert_eq!(loss_bps(1_000_000, 900_000), 1_000);
        assert_eq!(loss_bps(1_000_000, 1_006_600), -66);
        assert_eq!(loss_bps(0, 5), 0);
        assert_eq!(loss_bps(1_000, 0), 10_000);
        assert_eq!(discount_bps(1_000_000_000_000, 970_000_000_000), 300);
        assert_eq!(discount_bps(1_000_000_000_000, 1_010_000_000_000), -100);
        assert_eq!(discount_bps(0, 1), 0);
    }

    #[test]
    fn typical_order_and_round_trip() {
        assert_eq!(typical_order(3_482_000_000), 3_482_000);
        assert_eq!(typical_order(10), 1);
        assert_eq!(round_trip_cost_bps(10_000, 9_940), 60);
        assert_eq!(round_trip_cost_bps(10_000, 10_100), 0);
        assert_eq!(round_trip_cost_bps(0, 0), 0);
    }

    #[test]
    fn spreading_and_sharing_keep_every_unit() {
        assert_eq!(spread_over_days(100, 7), vec![14, 14, 14, 14, 14, 14, 16]);
        assert_eq!(spread_over_days(5, 1), vec![5]);
        assert!(spread_over_days(5, 0).is_empty());
        let shares = pro_rata_shares(1_000, &[1, 2, 3, 4]);
        assert_eq!(shares, vec![100, 200, 300, 400]);
        let odd = pro_rata_shares(10, &[1, 1, 1]);
        assert_eq!((odd.iter().sum::<u64>(), odd), (10, vec![3, 3, 4]));
        assert_eq!(pro_rata_shares(10, &[0, 0]), vec![0, 0]);
    }

    #[test]
    fn rates_step_within_the_bound() {
        assert_eq!(step_toward(800, 1_100, 100), 900);
        assert_eq!(step_toward(1_050, 1_100, 100), 1_100);
        assert_eq!(step_toward(800, 500, 100), 700);
        assert_eq!(shifted(100, -300, 5_000), 0);
        assert_eq!(shifted(4_900, 300, 5_000), 5_000);
    }

    #[test]
    fn funding_and_face_are_inverse_up_to_rounding() {
        for (funded, bps, days) in [(1_000_000u64, 850u32, 90u32), (37, 1_900, 180), (5_000_000_000, 1_250, 15)] {
            let face = face_for(funded, bps, days);
            assert!(funded_for(face, bps, days) >= funded && funded_for(face - 1, bps, days) < funded.max(1));
        }
        assert_eq!(funded_for(1_000, 850, 365), 915);
    }
}
