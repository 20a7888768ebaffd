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
//! multiplication per bucket. The only divisions happen once per class, outside the loop.

use anchor_lang::prelude::*;

use super::fixed::{exp_neg, exp_neg_signed, ln, Q62, FRAC_BITS, ONE};
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

/// Precomputed per-rate coefficients for one exponential `e^(−λ t)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decay {
    /// λ per second, Q62.
    l1: i128,
    /// λ² / 2 per second², scaled by 2^102.
    l2: i128,
    /// e^(−λ·bucket), Q62.
    step: Q62,
}

/// Shift applied to `M2` before multiplying by `l2` (keeps the product inside 127 bits).
const M2_SHIFT: u32 = 40;

/// 2^64 / seconds per year, floored: turns "÷ year" into a multiply and a shift.
const PER_YEAR_X64: u128 = (1u128 << 64) / SECONDS_PER_YEAR as u128;
/// One bucket in years, Q62.
const BUCKET_YEARS: u128 = ((BUCKET_SECONDS as u128) << FRAC_BITS) / SECONDS_PER_YEAR as u128;

impl Decay {
    /// `lambda` is an annual continuous rate in Q62 (at most a few units).
    pub fn new(lambda: Q62) -> Option<Decay> {
        let l1 = lambda.0.checked_mul(PER_YEAR_X64)? >> 64;
        let l2 = l1.checked_mul(l1)? >> 23;
        let step = exp_neg(lambda.mul(Q62(BUCKET_YEARS))?)?;
        Some(Decay { l1: l1 as i128, l2: l2 as i128, step })
    }

    /// e^(−λ·(at − now)) for a time `at` at most half a bucket from `now`.
    pub fn factor(lambda: Q62, at: i64, now: i64) -> Option<Q62> {
        let years = ((at - now) as i128).checked_mul(PER_YEAR_X64 as i128)? >> 2; // Q62
        exp_neg_signed(years.checked_mul(lambda.0 as i128)? >> FRAC_BITS)
    }

    /// `M0 − λ·M1 + λ²/2·M2`: the bucket's outstanding discounted to its centre.
    #[inline]
    fn expand(&self, m0: u64, m1: i128, m2: u128) -> Option<i128> {
        // Ceiling of the subtracted term (−((−x) >> s) rounds up), so truncation never
        // lifts the value.
        let first = -((-m1.checked_mul(self.l1)?) >> FRAC_BITS);
        let second = ((m2 >> M2_SHIFT) as i128).checked_mul(self.l2)? >> (102 - M2_SHIFT);
        Some(m0 as i128 - first + second)
    }
}

/// Everything reprice needs about one risk class.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClassCurve {
    /// Discounting of the recovered part (market rate only).
    pub alpha: Q62,
    /// Discounting of the surviving part (market rate and default intensity).
    pub beta: Q62,
    pub recovery_bps: u32,
}

/// Curves for every class from the oracle's annual figures.
pub fn class_curves(
    market_rate_bps: u32,
    classes: &[ClassRates; MAX_RISK_CLASSES],
) -> Option<[ClassCurve; MAX_RISK_CLASSES]> {
    if market_rate_bps > MAX_MARKET_RATE_BPS {
        return None;
    }
    let alpha = ln(Q62(ONE + ONE * market_rate_bps as u128 / BPS as u128))?;
    let mut out = [ClassCurve::default(); MAX_RISK_CLASSES];
    for (c, rates) in classes.iter().enumerate() {
        if rates.default_probability_bps > MAX_DEFAULT_PROBABILITY_BPS || rates.recovery_bps > BPS {
            return None;
        }
        let survive = ln(Q62(ONE - ONE * rates.default_probability_bps as u128 / BPS as u128))?;
        out[c] = ClassCurve {
            alpha: Q62(alpha as u128),
            beta: Q62((alpha - survive) as u128),
            recovery_bps: rates.recovery_bps,
        };
    }
    Some(out)
}

/// Write-down schedule: after `days` overdue, carry `1 − haircut` of the outstanding.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct OverdueStep {
    pub days: u16,
    pub haircut_bps: u16,
}

/// Haircut (bps) for a receivable `days_overdue` days past due. Steps are ascending.
pub fn overdue_haircut_bps(steps: &[OverdueStep], days_overdue: i64) -> u32 {
    let mut h = 0u32;
    for s in steps {
        if s.days > 0 && days_overdue >= s.days as i64 {
            h = s.haircut_bps as u32;
        }
    }
    h
}

/// Value of the whole book at `now`, in base units, floored.
///
/// `cells` is class-major: `cells[class * NUM_BUCKETS + bucket % NUM_BUCKETS]`.
/// Returns `None` on arithmetic overflow or a cell outside the ring's window
/// (which `add_receivable` makes impossible).
pub fn book_value(
    cells: &[BookCell],
    now: i64,
    curves: &[ClassCurve; MAX_RISK_CLASSES],
    steps: &[OverdueStep],
) -> Option<u128> {
    if cells.len() != MAX_RISK_CLASSES * NUM_BUCKETS {
        return None;
    }
    let start = bucket_of(now);
    let center0 = bucket_center(start);

    // Σ value discounted at α and at β per class, and the haircut-weighted overdue sum.
    let mut at_alpha = [0u128; MAX_RISK_CLASSES];
    let mut at_beta = [0u128; MAX_RISK_CLASSES];
    let mut overdue_bps_weighted: u128 = 0;

    // α (the market rate) is common to every class: one decay, one running factor.
    let alpha = curves[0].alpha;
    let decay_alpha = Decay::new(alpha)?;
    let mut e_alpha = Decay::factor(alpha, center0, now)?;
    let mut decay_beta = [Decay::default(); MAX_RISK_CLASSES];
    let mut e_beta = [Q62::ZERO; MAX_RISK_CLASSES];
    for c in 0..MAX_RISK_CLASSES {
        if curves[c].alpha != alpha {
            return None;
        }
        decay_beta[c] = Decay::new(curves[c].beta)?;
        e_beta[c] = Decay::factor(curves[c].beta, center0, now)?;
    }

    for s in 0..NUM_BUCKETS {
        let abs = start + s as i64;
        let slot = abs.rem_euclid(NUM_BUCKETS as i64) as usize;
        for c in 0..MAX_RISK_CLASSES {
            let cell = &cells[c * NUM_BUCKETS + slot];
            if cell.count != 0 {
                if cell.bucket == abs {
                    let (m0, m1, m2) = if s == 0 {
                        // The bucket holding `now`: strip days already past due from the
                        // expansion and value them on the write-down schedule instead.
                        let past = current_bucket_overdue(cell, now, steps, &mut overdue_bps_weighted)?;
                        (
                            cell.m0.checked_sub(past.0)?,
                            cell.m1().checked_sub(past.1)?,
                            cell.m2().checked_sub(past.2)?,
                        )
                    } else {
                        (cell.m0, cell.m1(), cell.m2())
                    };
                    let a = decay_alpha.expand(m0, m1, m2)?.max(0) as u128;
                    let b = decay_beta[c].expand(m0, m1, m2)?.max(0) as u128;
                    at_alpha[c] = at_alpha[c].checked_add(a.checked_mul(e_alpha.0)? >> FRAC_BITS)?;
                    at_beta[c] = at_beta[c].checked_add(b.checked_mul(e_beta[c].0)? >> FRAC_BITS)?;
                } else if cell.bucket < start {
                    // A bucket entirely past due whose receivables are not yet written down.
                    for (d, o) in cell.days.iter().enumerate() {
                        if *o != 0 {
                            let day_start = cell.bucket * BUCKET_SECONDS + d as i64 * SECONDS_PER_DAY;
                            let h = overdue_haircut_bps(steps, (now - day_start) / SECONDS_PER_DAY);
                            overdue_bps_weighted = overdue_bps_weighted
                                .checked_add(*o as u128 * (BPS - h) as u128)?;
                        }
                    }
                } else {
                    return None;
                }
            }
            e_beta[c] = e_beta[c].mul(decay_beta[c].step)?;
        }
        e_alpha = e_alpha.mul(decay_alpha.step)?;
    }

    let mut total = overdue_bps_weighted / BPS as u128;
    for c in 0..MAX_RISK_CLASSES {
        let r = curves[c].recovery_bps as u128;
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
