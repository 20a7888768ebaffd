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

    #[test]
    fn edges() {
        assert_eq!(tokens_for_exchange_in(1_000, 1_000, 0, 0), Some(900));
        assert_eq!(tokens_for_exchange_in(1_000, 0, 0, 5), None);
        assert_eq!(share_out(10, 3, 0), 0);
        assert_eq!(share_out(10, 5, 5), 10);
    }
}
