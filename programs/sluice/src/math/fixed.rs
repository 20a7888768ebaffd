//! Unsigned fixed point with 62 fractional bits (`Q62`), and the few transcendental
//! functions the DCF needs.
//!
//! Why Q62 in a `u128`: two values below 4.0 multiply without overflowing 128 bits, so a
//! product is one native multiply and a shift — no 256-bit emulation and no division.
//! Every function floors (rounds toward zero); callers that need pool-favourable rounding
//! pick the direction at the point where a fixed-point number becomes a token amount.

/// Number of fractional bits.
pub const FRAC_BITS: u32 = 62;
/// 1.0 in Q62.
pub const ONE: u128 = 1 << FRAC_BITS;
/// ln 2 in Q62, floored.
pub const LN2: u128 = 3_196_577_161_300_663_914;
/// Terms of the exponential series: r < 1 gives r^21/21! < 2^-62; r < 1/16 needs only 11.
const EXP_TERMS: usize = 20;
const EXP_TERMS_SMALL: usize = 10;

/// Series length that reaches full Q62 precision for |r| ≤ 1.
#[inline]
fn terms_for(r: u128) -> usize {
    if r < ONE / 16 {
        EXP_TERMS_SMALL
    } else {
        EXP_TERMS
    }
}
/// Terms of the atanh series: y² ≤ 1/9 gives y^41/41 < 2^-62.
const ATANH_TERMS: usize = 20;

/// `INV[n]` = floor(2^62 / n); lets series use multiplications instead of divisions.
const INV: [u128; 42] = {
    let mut t = [0u128; 42];
    let mut n = 1;
    while n < 42 {
        t[n] = ONE / n as u128;
        n += 1;
    }
    t
};

/// A Q62 number. Only the arithmetic that makes sense for a scale factor compiles:
/// products and quotients with plain integers go through named, rounding-explicit methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Q62(pub u128);

impl Q62 {
    pub const ONE: Q62 = Q62(ONE);
    pub const ZERO: Q62 = Q62(0);

    /// Product, floored.
    #[inline]
    pub fn checked_mul(self, other: Q62) -> Option<Q62> {
        Some(Q62(self.0.checked_mul(other.0)? >> FRAC_BITS))
    }

    /// `amount × self`, floored to an integer.
    #[inline]
    pub fn mul_int_floor(self, amount: u128) -> Option<u128> {
        Some(amount.checked_mul(self.0)? >> FRAC_BITS)
    }

    pub fn checked_add(self, other: Q62) -> Option<Q62> {
        Some(Q62(self.0.checked_add(other.0)?))
    }

    pub fn checked_sub(self, other: Q62) -> Option<Q62> {
        Some(Q62(self.0.checked_sub(other.0)?))
    }
}

/// e^(−x) for x ≥ 0, floored. Range reduction x = k·ln2 + r, then a Horner-form Taylor
/// series for e^(−r) with r in [0, ln 2): every intermediate stays in (0, 1].
pub fn exp_neg(x: Q62) -> Option<Q62> {
    // k = ⌊x / ln 2⌋ by subtraction: at most 120 steps, and no 128-bit division on SBF.
    let mut k = 0u32;
    let mut r = x.0;
    while r >= LN2 {
        if k >= 120 {
            return Some(Q62::ZERO);
        }
        r -= LN2;
        k += 1;
    }
    let mut q = ONE;
    let mut n = terms_for(r);
    while n >= 1 {
        // q ← 1 − (r/n)·q ; r/n·q < 0.7 so this never underflows.
        let t = (r.checked_mul(q)? >> FRAC_BITS).checked_mul(INV[n])? >> FRAC_BITS;
        q = ONE - t;
        n -= 1;
    }
    Some(Q62(q >> k))
}

/// e^(x) for 0 ≤ x ≤ 1, floored. Used only for the small negative times of the bucket
/// that straddles "now"; larger arguments are a caller bug and return `None`.
pub fn exp_pos_small(x: Q62) -> Option<Q62> {
    if x.0 > ONE {
        return None;
    }
    let mut q = ONE;
    let mut n = terms_for(x.0);
    while n >= 1 {
        let t = (x.0.checked_mul(q)? >> FRAC_BITS).checked_mul(INV[n])? >> FRAC_BITS;
        q = ONE + t;
        n -= 1;
    }
    Some(Q62(q))
}

/// e^(−x) for a signed Q62 exponent `x` (|x| ≤ 1 when negative).
pub fn exp_neg_signed(x: i128) -> Option<Q62> {
    if x >= 0 {
        exp_neg(Q62(x as u128))
    } else {
        exp_pos_small(Q62(x.unsigned_abs()))
    }
}

/// Natural logarithm of a positive Q62 number, as a signed Q62 number.
/// x = m·2^e with m in [1, 2); ln m = 2·atanh((m−1)/(m+1)), whose argument is ≤ 1/3.
pub fn ln(x: Q62) -> Option<i128> {
    if x.0 == 0 {
        return None;
    }
    let msb = 127 - x.0.leading_zeros() as i32;
    let e = msb - FRAC_BITS as i32;
    let m = if e >= 0 { x.0 >> e } else { x.0 << (-e) };
    // (m − 1) < 2^62, so the shifted numerator fits; the one division of the function.
    let y = ((m - ONE) << FRAC_BITS) / (m + ONE);
    let y2 = (y * y) >> FRAC_BITS;
    // h = 1 + y²/3 + y⁴/5 + … in Horner form.
    let mut h = INV[2 * ATANH_TERMS + 1];
    let mut k = ATANH_TERMS;
    while k >= 1 {
        h = INV[2 * k - 1] + ((y2 * h) >> FRAC_BITS);
        k -= 1;
    }
    let ln_m = 2 * ((y * h) >> FRAC_BITS) as i128;
    Some(ln_m + e as i128 * LN2 as i128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_f(x: u128) -> f64 {
        x as f64 / ONE as f64
    }

    #[test]
    fn constants() {
        assert_eq!(exp_neg(Q62::ZERO), Some(Q62::ONE));
        assert_eq!(ln(Q62::ONE), Some(0));
        let l2 = ln(Q62(2 * ONE)).unwrap();
        assert!((l2 - LN2 as i128).abs() <= 4, "ln 2 = {l2}");
    }

    proptest! {
        #[test]
        fn exp_neg_matches_f64(x in 0u128..(20 * ONE)) {
            let got = to_f(exp_neg(Q62(x)).unwrap().0);
            let want = (-to_f(x)).exp();
            prop_assert!((got - want).abs() <= 1e-15 + want * 1e-14, "{got} vs {want}");
        }

        #[test]
        fn exp_pos_matches_f64(x in 0u128..=ONE) {
            let got = to_f(exp_pos_small(Q62(x)).unwrap().0);
            let want = to_f(x).exp();
            prop_assert!((got - want).abs() <= want * 1e-14);
        }

        #[test]
        fn ln_matches_f64(x in 1u128..(8 * ONE)) {
            let got = ln(Q62(x)).unwrap() as f64 / ONE as f64;
            let want = to_f(x).ln();
            prop_assert!((got - want).abs() <= 1e-14 * (1.0 + want.abs()), "{got} vs {want}");
        }

        #[test]
        fn exp_of_ln_round_trips(x in (ONE / 1000)..ONE) {
            let l = ln(Q62(x)).unwrap();
            let back = exp_neg_signed(-l).unwrap().0;
            let diff = back.abs_diff(x);
            prop_assert!(diff <= x / (1u128 << 50) + 64);
        }
    }
}
