//! Amounts and dates as people write them, converted exactly.
//!
//! Amounts are whole tokens with at most the mint's decimals ("25000", "1250.5"); no
//! rounding happens, so a typo cannot silently move value. Dates are `YYYY-MM-DD`, UTC
//! midnight — the day alignment Sluice's book requires of due dates.

use sluice::math::time::SECONDS_PER_DAY;

/// Parses an amount in whole tokens ("25000", "1250.5") into base units, exactly.
pub fn parse_amount(s: &str, decimals: u8) -> Result<u64, String> {
    let s = s.trim().replace('_', "");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not an amount: {s:?}"));
    }
    if frac.len() > decimals as usize {
        return Err(format!("{s} has more than {decimals} decimals"));
    }
    let scale = 10u64.checked_pow(decimals as u32).ok_or("too many decimals")?;
    let whole: u64 = whole.parse().map_err(|_| format!("amount too large: {s}"))?;
    let frac_units: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = decimals as usize).parse().map_err(|_| format!("not an amount: {s}"))?
    };
    whole.checked_mul(scale).and_then(|w| w.checked_add(frac_units)).ok_or(format!("amount too large: {s}"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `YYYY-MM-DD` of a unix time (UTC).
pub fn format_date(unix: i64) -> String {
    // Inverse of `days_from_civil` (Howard Hinnant's algorithm).
    let z = unix.div_euclid(SECONDS_PER_DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` into the unix time of that UTC midnight.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let parts: Vec<&str> = s.trim().split('-').collect();
    let bad = || format!("not a date (YYYY-MM-DD): {s:?}");
    let [y, m, d] = parts[..] else { return Err(bad()) };
    let (y, m, d): (i64, u32, u32) =
        (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d == 0 || d > month_days[(m - 1) as usize] {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * SECONDS_PER_DAY)
}

/// Document reference → the 32-byte hash stored on chain: 64 hex digits are taken as the
/// hash itself; anything else is hashed (SHA-256).
pub fn document_hash(s: &str) -> [u8; 32] {
    let s = s.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex checked");
        }
        out
    } else {
        solana_sha256_hasher::hash(s.as_bytes()).to_bytes()
    }
}

/// Base units → a decimal string with all `decimals` places ("1250.500000").
pub fn format_amount(units: u64, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u64.pow(decimals as u32);
    format!("{}.{:0width$}", units / scale, units % scale, width = decimals as usize)
}

/// Price with 12 decimals (`price_e12`) → "1.012345".
pub fn format_price(price_e12: u64) -> String {
    format!("{}.{:06}", price_e12 / 1_000_000_000_000, price_e12 % 1_000_000_000_000 / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_bad_ones_named() {
        assert_eq!(parse_amount("25000", 6), Ok(25_000_000_000));
        assert_eq!(parse_amount("1250.5", 6), Ok(1_250_500_000));
        assert_eq!(parse_amount("0.000001", 6), Ok(1));
        assert_eq!(parse_amount("1_000", 0), Ok(1_000));
        assert!(parse_amount("0.0000001", 6).unwrap_err().contains("more than 6 decimals"));
        assert!(parse_amount("-5", 6).is_err());
        assert!(parse_amount("1e6", 6).is_err());
        assert!(parse_amount("99999999999999999999", 6).unwrap_err().contains("too large"));
    }

    #[test]
    fn dates_are_utc_midnights() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2000-03-01"), Ok(951_868_800));
        assert_eq!(parse_date("2028-02-29").map(|t| t % SECONDS_PER_DAY), Ok(0));
        assert!(parse_date("2027-02-29").is_err());
        assert!(parse_date("2027-13-01").is_err());
        assert!(parse_date("27/01/2027").is_err());
    }

    #[test]
    fn document_references_hash_unless_already_a_hash() {
        let hex = "ab".repeat(32);
        assert_eq!(document_hash(&hex), [0xab; 32]);
        assert_ne!(document_hash("INV-2026-0001"), document_hash("INV-2026-0002"));
    }

    #[test]
    fn dates_round_trip() {
        for day in (0..2_900_000).step_by(997) {
            let t = day * SECONDS_PER_DAY;
            assert_eq!(parse_date(&format_date(t)), Ok(t), "{}", format_date(t));
        }
        assert_eq!(format_date(951_868_800), "2000-03-01");
    }

    #[test]
    fn formatting_inverts_parsing() {
        for (s, d) in [("0.000001", 6u8), ("1250.500000", 6), ("42", 0), ("7.10", 2)] {
            assert_eq!(format_amount(parse_amount(s, d).unwrap(), d), s);
        }
        assert_eq!(format_price(1_012_345_678_901), "1.012345");
    }
}
