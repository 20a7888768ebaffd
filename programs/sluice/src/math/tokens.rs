//! Conversions between base tokens and tranche tokens. Each rounds in the pool's favour:
//! a depositor never receives a fraction of a token it did not pay for.

/// Scale of `Tranche::price_e12`.
pub const PRICE_SCALE: u128 = 1_000_000_000_000;

/// Tranche tokens minted for `amount` base units into a tranche worth `value` with `supply`
/// tokens out: `amount · supply / value`, floored. An empty tranche mints 1:1.
/// `None` when the tranche has tokens but no value (it would mint without bound).
pub fn tokens_for_deposit(amount: u64, value: u64, supply: u64) -> Option<u64> {
    if supply == 0 {
        return Some(amount);
    }
    if value == 0 {
        return None;
    }
    u64::try_from((amount as u128).checked_mul(supply as u128)? / value as u128).ok()
}

/// Value of one token scaled by 10^12, floored; 10^12 (par) for an empty tranche.
pub fn price_e12(value: u64, supply: u64) -> u64 {
    if supply == 0 {
        return PRICE_SCALE as u64;
    }
    u64::try_from(value as u128 * PRICE_SCALE / supply as u128).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Minting never dilutes existing holders: value per token does not fall.
        #[test]
        fn deposit_never_dilutes(value in 1u64..1u64 << 50, supply in 1u64..1u64 << 50, amount in 0u64..1u64 << 50) {
            let minted = tokens_for_deposit(amount, value, supply).unwrap();
            // (value + amount) / (supply + minted) ≥ value / supply
            prop_assert!((value as u128 + amount as u128) * supply as u128 >= value as u128 * (supply as u128 + minted as u128));
            // and floors by less than one token
            prop_assert!((minted as u128 + 1) * value as u128 > amount as u128 * supply as u128);
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(tokens_for_deposit(5, 0, 0), Some(5));
        assert_eq!(tokens_for_deposit(5, 0, 10), None);
        assert_eq!(price_e12(0, 0), PRICE_SCALE as u64);
        assert_eq!(price_e12(3, 2), 1_500_000_000_000);
    }
}
