//! The value-anchored basket's conversions. Each rounds in the basket's favour: a holder
//! never receives a fraction of a basket token, tranche token or base unit it did not pay
//! for.
//!
//! Basket value V = sleeve + Σ held × tranche value / tranche supply (each term floored);
//! basket price = V / supply.

/// Value of `tokens` of a tranche worth `value` over `supply` tokens, floored: the same
/// conversion redemptions use.
pub use super::allocation::value_of as holding_value;
use super::time::BPS;

/// Basket tokens minted for tranche tokens worth `value_in`, after a haircut of
/// `haircut_bps`, into a basket worth `basket_value` over `supply` tokens:
/// ⌊value_in·(1 − h) · supply / basket_value⌋. An empty basket mints one token per base
/// unit of value. `None` when the basket has tokens but no value, or on overflow.
pub fn tokens_for_exchange_in(value_in: u64, haircut_bps: u16, basket_value: u64, supply: u64) -> Option<u64> {
    let net = value_in as u128 * (BPS - haircut_bps as u32) as u128 / BPS as u128;
    if supply == 0 {
        return u64::try_from(net).ok();
    }
    if basket_value == 0 {
        return None;
    }
    u64::try_from(net.checked_mul(supply as u128)? / basket_value as u128).ok()
}

/// A holder's pro-rata, in-kind share of `held` for burning `tokens` of `supply`: floored.
pub fn share_out(held: u64, tokens: u64, supply: u64) -> u64 {
    if supply == 0 {
        return 0;
    }
    (held as u128 * tokens as u128 / supply as u128) as u64
}

/// Base units a sleeve redemption of `tokens` of `supply` pays from a basket worth `value`:
/// ⌊tokens · value / supply⌋, the holder's share of the value, never more.
pub fn redeem_out(tokens: u64, value: u64, supply: u64) -> u64 {
    share_out(value, tokens, supply)
}

/// The sleeve keeps at least `floor_bps` of the basket's value: sleeve · 10⁴ ≥ floor · value
/// (exact, no rounding).
pub fn sleeve_above_floor(sleeve: u64, value: u64, floor_bps: u16) -> bool {
    sleeve as u128 * BPS as u128 >= floor_bps as u128 * value as u128
}

/// Tranche tokens worth at least `value` at `t_value` over `t_supply`, rounded up: what a
/// refill of the sleeve asks a queue for. `None` for a tranche without value.
pub fn tokens_worth(value: u64, t_value: u64, t_supply: u64) -> Option<u64> {
    if t_value == 0 {
        return None;
    }
    u64::try_from((value as u128 * t_supply as u128).div_ceil(t_value as u128)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Exchanging in never dilutes the holders already in: value per basket token does
        /// not fall, whatever the haircut.
        #[test]
        fn exchange_in_never_dilutes(
            value in 1u64..1u64 << 50, supply in 1u64..1u64 << 50, value_in in 0u64..1u64 << 50, haircut in 0u16..=5_000,
        ) {
            let minted = tokens_for_exchange_in(value_in, haircut, value, supply).unwrap();
            // (value + value_in) / (supply + minted) ≥ value / supply
            prop_assert!(
                (value as u128 + value_in as u128) * supply as u128 >= value as u128 * (supply as u128 + minted as u128)
            );
        }

        /// In then straight out: the in-kind shares are worth no more than what went in.
        #[test]
        fn in_then_out_returns_no_more_than_went_in(
            sleeve in 0u64..1u64 << 40, held in 0u64..1u64 << 40, tranche_in in 1u64..1u64 << 40,
            t_value in 1u64..1u64 << 40, t_supply in 1u64..1u64 << 40, supply in 1u64..1u64 << 40, haircut in 0u16..=5_000,
        ) {
            let basket_value = sleeve as u128 + holding_value(held, t_value, t_supply) as u128;
            prop_assume!(basket_value > 0 && basket_value < 1u128 << 50);
            let value_in = holding_value(tranche_in, t_value, t_supply);
            let minted = tokens_for_exchange_in(value_in, haircut, basket_value as u64, supply).unwrap();
            let (held, supply) = (held + tranche_in, supply + minted);
            let back_tranche = share_out(held, minted, supply);
            let back_sleeve = share_out(sleeve, minted, supply);
            let back = holding_value(back_tranche, t_value, t_supply) as u128 + back_sleeve as u128;
            prop_assert!(back <= value_in as u128, "back {back} of {value_in}");
        }
    }

    proptest! {
        /// A sleeve redemption never lowers the price of the tokens that stay.
        #[test]
        fn redeeming_never_lowers_the_price(value in 1u64..1u64 << 50, supply in 1u64..1u64 << 50, frac in 0u64..=1_000) {
            let tokens = (supply as u128 * frac as u128 / 1_000) as u64;
            let out = redeem_out(tokens, value, supply);
            prop_assert!(out <= value);
            // (value − out) / (supply − tokens) ≥ value / supply
            prop_assert!((value - out) as u128 * supply as u128 >= value as u128 * (supply - tokens) as u128);
        }

        /// A refill asks for enough tokens, and one token fewer would not be enough.
        #[test]
        fn tokens_worth_is_the_least_enough(value in 0u64..1u64 << 40, t_value in 1u64..1u64 << 40, t_supply in 1u64..1u64 << 40) {
            let tokens = tokens_worth(value, t_value, t_supply).unwrap();
            prop_assert!(tokens as u128 * t_value as u128 >= value as u128 * t_supply as u128);
            prop_assert!(tokens == 0 || (tokens as u128 - 1) * (t_value as u128) < value as u128 * t_supply as u128);
        }
    }

    #[test]
    fn edges() {
        assert!(sleeve_above_floor(200, 10_000, 200));
        assert!(!sleeve_above_floor(199, 10_000, 200));
        assert_eq!(tokens_worth(5, 0, 10), None);
        assert_eq!(tokens_for_exchange_in(1_000, 1_000, 0, 0), Some(900));
        assert_eq!(tokens_for_exchange_in(1_000, 0, 0, 5), None);
        assert_eq!(share_out(10, 3, 0), 0);
        assert_eq!(share_out(10, 5, 5), 10);
    }
}
