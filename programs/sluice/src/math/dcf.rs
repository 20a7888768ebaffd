//! Discounted-cash-flow value of the receivable book, in time independent of the number
//! of receivables.
//!
//! Model (see `docs/math.md`): a performing receivable with outstanding `o`, due in `t`
//! years, in a risk class with annual default probability `PD` and recovery `R`, under the
//! annual market rate `r`, is worth
//!
//! ```text
//! o · (1 + r)^(−t) · (s + R·(1 − s)),  s = (1 − PD)^t
//!   = o · (R · e^(−α t) + (1 − R) · e^(−β t)),  α = ln(1 + r),  β = α − ln(1 − PD).
//! ```
//!
//! Due dates are UTC midnights. A receivable due at or before `now` is worth
//! `o · (1 − h(whole days overdue))` under the write-down schedule.
//!
//! The book keeps, per risk class and 28-day maturity bucket, the exact integer moments
//! `M0 = Σo`, `M1 = Σo·δ`, `M2 = Σo·δ²` (δ = due − bucket centre, seconds) and the
//! outstanding per due day. Each bucket is valued by a second-order expansion around its
//! centre, `Σ o·e^(−λ(τ+δ)) ≈ e^(−λτ) · (M0 − λ·M1 + λ²/2 · M2)`, whose relative error is
//! below `(λ·14 days)³/6` (< 2·10⁻⁵ at λ = 1.4/yr). Bucket discount factors advance by one
//! multiplication per bucket.
//!
//! Cost split: everything that depends only on the rates (logarithms, per-second
//! coefficients, the per-bucket step) is a [`Curve`], computed once by `publish_rates` and
//! stored in the oracle. `reprice` then needs one short exponential per rate (the first
//! bucket's factor, which depends on the time) and one pass over the 168 cells whose
//! multiplications are bounded up front and so need no per-step overflow checks.

use anchor_lang::prelude::*;

use super::fixed::{exp_neg, exp_neg_signed, ln, FRAC_BITS, ONE, Q62};
use super::time::*;
use crate::state::book::BookCell;

/// Annual rates of one risk class, as published by the oracle.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct ClassRates {
    pub default_probability_bps: u32,
    pub recovery_bps: u32,
}

/// Upper bounds the oracle enforces so the expansion stays within its error budget.
pub const MAX_MARKET_RATE_BPS: u32 = 5_000;
pub const MAX_DEFAULT_PROBABILITY_BPS: u32 = 5_000;
/// Largest continuous rate the bounds above allow: ln 1.5 − ln 0.5 = ln 3 ≈ 1.0986 < 1.125.
const MAX_LAMBDA: u128 = ONE + ONE / 8;

/// Shift applied to `M2` before multiplying by `l2` (keeps the product inside 127 bits).
const M2_SHIFT: u32 = 40;
/// 2^64 / seconds per year, floored: turns "÷ year" into a multiply and a shift.
const PER_YEAR_X64: u128 = (1u128 << 64) / SECONDS_PER_YEAR as u128;
/// One bucket in years, Q62.
const BUCKET_YEARS: u128 = ((BUCKET_SECONDS as u128) << FRAC_BITS) / SECONDS_PER_YEAR as u128;

/// Everything about one exponential `e^(−λ t)` that does not depend on the time.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct Decay {
    /// λ, annual, Q62.
    pub lambda: u128,
    /// λ per second, Q62.
    pub l1: u128,
    /// λ² / 2 per second², scaled by 2^102.
    pub l2: u128,
    /// e^(−λ·bucket), Q62.
    pub step: u128,
}

impl Decay {
    /// `lambda` is an annual continuous rate in Q62, at most `MAX_LAMBDA`.
    pub fn new(lambda: Q62) -> Option<Decay> {
        if lambda.0 > MAX_LAMBDA {
            return None;
        }
        let l1 = lambda.0.checked_mul(PER_YEAR_X64)? >> 64;
        let l2 = l1.checked_mul(l1)? >> 23;
        let step = exp_neg(lambda.checked_mul(Q62(BUCKET_YEARS))?)?.0;
        Some(Decay { lambda: lambda.0, l1, l2, step })
    }

    /// e^(−λ·(at − now)) for a time `at` at most half a bucket from `now`.
    pub fn factor(&self, at: i64, now: i64) -> Option<Q62> {
        let years = ((at - now) as i128).checked_mul(PER_YEAR_X64 as i128)? >> 2; // Q62
        exp_neg_signed(years.checked_mul(self.lambda as i128)? >> FRAC_BITS)
    }

    /// `M0 − λ·M1 + λ²/2·M2`: the bucket's outstanding discounted to its centre, never
    /// negative.
    ///
    /// No overflow checks needed: λ ≤ 1.125 gives l1 < 2^38 and l2 < 2^53; a cell's
    /// outstanding is below 2^64 (the book's total is a u64) and |δ| < 2^21, so
    /// |M1·l1| < 2^123 and (M2 >> 40)·l2 < 2^118.
    #[inline]
    fn expand(&self, m0: u64, m1: i128, m2: u128) -> u128 {
        // Ceiling of the subtracted term (−((−x) >> s) rounds up), so truncation never
        // lifts the value.
        let first = -((-m1.wrapping_mul(self.l1 as i128)) >> FRAC_BITS);
        let second = ((m2 >> M2_SHIFT) as i128).wrapping_mul(self.l2 as i128) >> (102 - M2_SHIFT);
        (m0 as i128 - first + second).max(0) as u128
    }
}

/// The rate-dependent half of the valuation, computed by `publish_rates` and stored in the
/// oracle so that `reprice` does no logarithms.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct Curve {
    /// Discounting of the recovered part: the market rate, α = ln(1 + r).
    pub alpha: Decay,
    /// Discounting of the surviving part per class: β = α − ln(1 − PD).
    pub beta: [Decay; MAX_RISK_CLASSES],
    pub recovery_bps: [u32; MAX_RISK_CLASSES],
}

impl Curve {
    /// `None` when a rate is outside the oracle's bounds.
    pub fn from_rates(market_rate_bps: u32, classes: &[ClassRates; MAX_RISK_CLASSES]) -> Option<Curve> {
        if market_rate_bps > MAX_MARKET_RATE_BPS {
            return None;
        }
        let alpha = ln(Q62(ONE + ONE * market_rate_bps as u128 / BPS as u128))?;
        let mut curve = Curve { alpha: Decay::new(Q62(alpha as u128))?, ..Curve::default() };
        for (c, rates) in classes.iter().enumerate() {
            if rates.default_probability_bps > MAX_DEFAULT_PROBABILITY_BPS || rates.recovery_bps > BPS {
                return None;
            }
            let survive = ln(Q62(ONE - ONE * rates.default_probability_bps as u128 / BPS as u128))?;
            curve.beta[c] = Decay::new(Q62((alpha - survive) as u128))?;
            curve.recovery_bps[c] = rates.recovery_bps;
        }
        Some(curve)
    }

    /// Bounds `expand` and the factor products rely on (a stored curve is only trusted
    /// after this).
    fn is_bounded(&self) -> bool {
        std::iter::once(&self.alpha)
            .chain(self.beta.iter())
            .all(|d| d.lambda <= MAX_LAMBDA && d.step <= ONE && d.l1 < 1 << 38 && d.l2 < 1 << 53)
            && self.recovery_bps.iter().all(|r| *r <= BPS)
    }
}

/// Write-down schedule point: at `days` overdue, carry `1 − haircut` of the outstanding.
/// Between points (and from 0 % on the due date to the first point) the haircut grows
/// day by day along a straight line, so no day before a step is worth exiting at par.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct OverdueStep {
    pub days: u16,
    pub haircut_bps: u16,
}

/// Haircut (bps) for a receivable `days_overdue` whole days past due. Points are ascending;
/// between two points the haircut is interpolated linearly, rounded up (the pool's
/// favour: value is never overstated); past the last point it stays at the last haircut.
pub fn overdue_haircut_bps(steps: &[OverdueStep], days_overdue: i64) -> u32 {
    if days_overdue <= 0 {
        return 0;
    }
    let mut last = OverdueStep::default();
    for s in steps.iter().filter(|s| s.days > 0) {
        if days_overdue < s.days as i64 {
            let span = (s.days as i64 - last.days as i64).max(1);
            let rise = (s.haircut_bps as i64 - last.haircut_bps as i64).max(0);
            let into = days_overdue - last.days as i64;
            return (last.haircut_bps as i64 + (rise * into + span - 1) / span) as u32;
        }
        last = *s;
    }
    last.haircut_bps as u32
}

/// Value of the whole book at `now`, in base units, floored.
///
/// `cells` is class-major: `cells[class * NUM_BUCKETS + bucket % NUM_BUCKETS]`.
/// Returns `None` on arithmetic overflow, a curve outside its bounds, or a cell outside the
/// ring's window (which `add_receivable` makes impossible).
pub fn book_value(cells: &[BookCell], now: i64, curve: &Curve, steps: &[OverdueStep]) -> Option<u128> {
    if cells.len() != MAX_RISK_CLASSES * NUM_BUCKETS || !curve.is_bounded() {
        return None;
    }
    let start = bucket_of(now);
    let center0 = bucket_center(start);

    // Σ value discounted at α and at β per class, and the haircut-weighted overdue sum.
    let mut at_alpha = [0u128; MAX_RISK_CLASSES];
    let mut at_beta = [0u128; MAX_RISK_CLASSES];
    let mut overdue_bps_weighted: u128 = 0;

    // Running bucket factors; each stays ≤ e^(λ·14 days) < 1.05 in Q62, so a cell value
    // (< 2^64.1) times a factor stays below 2^127.
    let mut e_alpha = curve.alpha.factor(center0, now)?.0;
    let mut e_beta = [0u128; MAX_RISK_CLASSES];
    for (e, beta) in e_beta.iter_mut().zip(curve.beta.iter()) {
        *e = beta.factor(center0, now)?.0;
    }

    for s in 0..NUM_BUCKETS {
        let abs = start + s as i64;
        let slot = abs.rem_euclid(NUM_BUCKETS as i64) as usize;
        for c in 0..MAX_RISK_CLASSES {
            let cell = &cells[c * NUM_BUCKETS + slot];
            if cell.count != 0 {
                if cell.bucket == abs {
                    let (m0, m1, m2) = if s == 0 {
                        // The bucket holding `now`: strip days already due from the
                        // expansion and value them on the write-down schedule instead.
                        let past = current_bucket_overdue(cell, now, steps, &mut overdue_bps_weighted)?;
                        (cell.m0.checked_sub(past.0)?, cell.m1().checked_sub(past.1)?, cell.m2().checked_sub(past.2)?)
                    } else {
                        (cell.m0, cell.m1(), cell.m2())
                    };
                    let a = curve.alpha.expand(m0, m1, m2);
                    let b = curve.beta[c].expand(m0, m1, m2);
                    at_alpha[c] += a.wrapping_mul(e_alpha) >> FRAC_BITS;
                    at_beta[c] += b.wrapping_mul(e_beta[c]) >> FRAC_BITS;
                } else if cell.bucket < start {
                    // A bucket entirely past due whose receivables are not yet written down.
                    for (d, o) in cell.days.iter().enumerate() {
                        if *o != 0 {
                            let day_start = cell.bucket * BUCKET_SECONDS + d as i64 * SECONDS_PER_DAY;
                            let h = overdue_haircut_bps(steps, (now - day_start) / SECONDS_PER_DAY);
                            overdue_bps_weighted += *o as u128 * (BPS - h) as u128;
                        }
                    }
                } else {
                    return None;
                }
            }
            e_beta[c] = e_beta[c].wrapping_mul(curve.beta[c].step) >> FRAC_BITS;
        }
        e_alpha = e_alpha.wrapping_mul(curve.alpha.step) >> FRAC_BITS;
    }

    let mut total = overdue_bps_weighted / BPS as u128;
    for c in 0..MAX_RISK_CLASSES {
        let r = curve.recovery_bps[c] as u128;
        let v = (at_alpha[c].checked_mul(r)?).checked_add(at_beta[c].checked_mul(BPS as u128 - r)?)? / BPS as u128;
        total = total.checked_add(v)?;
    }
    Some(total)
}

/// Exact moments (about the bucket centre) of the days of the current bucket already due
/// at `now` (due dates are UTC midnights); their schedule value is added to
/// `overdue_bps_weighted`.
fn current_bucket_overdue(
    cell: &BookCell,
    now: i64,
    steps: &[OverdueStep],
    overdue_bps_weighted: &mut u128,
) -> Option<(u64, i128, u128)> {
    let bucket_start = cell.bucket * BUCKET_SECONDS;
    let mut m = (0u64, 0i128, 0u128);
    for (d, o) in cell.days.iter().enumerate() {
        let day_start = bucket_start + d as i64 * SECONDS_PER_DAY;
        if day_start > now {
            break;
        }
        if *o == 0 {
            continue;
        }
        let delta = day_start - (bucket_start + HALF_BUCKET);
        m.0 = m.0.checked_add(*o)?;
        m.1 = m.1.checked_add(*o as i128 * delta as i128)?;
        m.2 = m.2.checked_add(*o as u128 * (delta as i128 * delta as i128) as u128)?;
        let h = overdue_haircut_bps(steps, (now - day_start) / SECONDS_PER_DAY);
        *overdue_bps_weighted = overdue_bps_weighted.checked_add(*o as u128 * (BPS - h) as u128)?;
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SCHEDULE: [OverdueStep; 3] = [
        OverdueStep { days: 30, haircut_bps: 2_500 },
        OverdueStep { days: 60, haircut_bps: 5_000 },
        OverdueStep { days: 90, haircut_bps: 10_000 },
    ];

    #[test]
    fn overdue_haircut_accrues_daily_without_a_cliff() {
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 0), 0);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 1), 84); // 2,500 / 30, rounded up
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 29), 2_417);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 30), 2_500);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 45), 3_750);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 75), 7_500);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 90), 10_000);
        assert_eq!(overdue_haircut_bps(&SCHEDULE, 400), 10_000);
        // No day adds more than the steepest segment's daily rise (5,000 / 30, rounded up).
        for d in 0..120 {
            let step = overdue_haircut_bps(&SCHEDULE, d + 1) - overdue_haircut_bps(&SCHEDULE, d);
            assert!(step <= 167, "day {d}: +{step}");
        }
    }

    proptest! {
        /// Every rate set the oracle accepts yields a curve inside the bounds that let
        /// `book_value` skip per-step overflow checks.
        #[test]
        fn accepted_rates_give_bounded_curves(
            market in 0u32..=MAX_MARKET_RATE_BPS,
            classes in proptest::array::uniform4((0u32..=MAX_DEFAULT_PROBABILITY_BPS, 0u32..=BPS)),
        ) {
            let classes = classes.map(|(pd, rec)| ClassRates { default_probability_bps: pd, recovery_bps: rec });
            let curve = Curve::from_rates(market, &classes).unwrap();
            prop_assert!(curve.is_bounded());
            for b in curve.beta {
                prop_assert!(b.lambda >= curve.alpha.lambda);
            }
        }
    }

    #[test]
    fn out_of_range_rates_give_no_curve() {
        let ok = [ClassRates { default_probability_bps: 100, recovery_bps: 5_000 }; MAX_RISK_CLASSES];
        assert!(Curve::from_rates(MAX_MARKET_RATE_BPS + 1, &ok).is_none());
        let mut bad = ok;
        bad[2].default_probability_bps = MAX_DEFAULT_PROBABILITY_BPS + 1;
        assert!(Curve::from_rates(800, &bad).is_none());
        bad[2] = ClassRates { default_probability_bps: 100, recovery_bps: BPS + 1 };
        assert!(Curve::from_rates(800, &bad).is_none());
        // A stored curve outside the bounds is refused rather than trusted.
        let mut forged = Curve::from_rates(800, &ok).unwrap();
        forged.beta[0].l1 = 1 << 40;
        assert_eq!(book_value(&vec![BookCell::default(); MAX_RISK_CLASSES * NUM_BUCKETS], 0, &forged, &[]), None);
    }
}
