//! Cash and losses across tranches: seniors are paid first, the junior takes the rest.

use crate::state::pool::MAX_TRANCHES;

/// Splits `nav` over `claims` by seniority (index 0 first). Every tranche but the last gets
/// `min(claim, what is left)`; the last (junior) gets the residual. Σ result = nav exactly.
pub fn waterfall(nav: u64, claims: &[u64]) -> [u64; MAX_TRANCHES] {
    let mut out = [0u64; MAX_TRANCHES];
    let mut left = nav;
    if let Some((_, seniors)) = claims.split_last() {
        for (i, claim) in seniors.iter().enumerate() {
            out[i] = (*claim).min(left);
            left -= out[i];
        }
        out[claims.len() - 1] = left;
    }
    out
}

/// Claim after `elapsed` seconds of simple accrual at `coupon_bps` a year on `principal`,
/// floored (the coupon accrues no faster than its rate). Interest is on principal only, so
/// repricing often compounds nothing: the accrued coupon does not itself earn a coupon.
pub fn accrue(claim: u64, principal: u64, coupon_bps: u16, elapsed: i64) -> Option<u64> {
    if elapsed <= 0 || coupon_bps == 0 {
        return Some(claim);
    }
    let interest = (principal as u128).checked_mul(coupon_bps as u128)?.checked_mul(elapsed as u128)?
        / (super::time::BPS as u128 * super::time::SECONDS_PER_YEAR as u128);
    u64::try_from(claim as u128 + interest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn waterfall_conserves_and_orders(nav in 0u64..u64::MAX / 4, claims in proptest::collection::vec(0u64..u64::MAX / 8, 1..=3)) {
            let v = waterfall(nav, &claims);
            let n = claims.len();
            prop_assert_eq!(v.iter().map(|x| *x as u128).sum::<u128>(), nav as u128);
            for i in 0..n - 1 {
                prop_assert!(v[i] <= claims[i]);
                // A tranche short of its claim leaves nothing below it.
                if v[i] < claims[i] {
                    prop_assert!(v[i + 1..n].iter().all(|x| *x == 0));
                }
            }
        }

        #[test]
        fn losses_hit_junior_first(claims in proptest::collection::vec(1u64..1_000_000_000, 3..=3), loss in 0u64..3_000_000_000) {
            let nav: u64 = claims.iter().sum::<u64>() + 1_000_000;
            let before = waterfall(nav, &claims);
            let after = waterfall(nav.saturating_sub(loss), &claims);
            let lost: Vec<u64> = (0..3).map(|i| before[i] - after[i]).collect();
            // Senior loses only once junior and mezzanine are wiped out, and so on.
            if lost[0] > 0 { prop_assert!(after[1] == 0 && after[2] == 0); }
            if lost[1] > 0 { prop_assert!(after[2] == 0); }
        }

        #[test]
        fn accrual_is_linear_and_floored(claim in 0u64..1_000_000_000_000, coupon in 0u16..2_000, secs in 0i64..100_000_000) {
            let got = accrue(claim, claim, coupon, secs).unwrap() as u128;
            let exact_num = claim as u128 * (10_000u128 * 31_536_000 + coupon as u128 * secs as u128);
            let den = 10_000u128 * 31_536_000;
            prop_assert!(got * den <= exact_num && exact_num < (got + 1) * den);
        }

        /// Repricing in many steps never yields more than one step over the same time: the
        /// claim grows by simple interest on principal, whatever the reprice frequency.
        #[test]
        fn frequent_accrual_does_not_compound(
            principal in 1u64..1_000_000_000_000, coupon in 1u16..2_000, steps in proptest::collection::vec(1i64..100_000, 1..200),
        ) {
            let total: i64 = steps.iter().sum();
            let once = accrue(principal, principal, coupon, total).unwrap();
            let mut claim = principal;
            for dt in &steps {
                claim = accrue(claim, principal, coupon, *dt).unwrap();
            }
            prop_assert!(claim <= once);
            // Each step floors by less than one unit.
            prop_assert!(once - claim <= steps.len() as u64);
        }
    }
}
