//! Rehearsing an old spec: an issuer's spec carries absolute dates, which a local chain
//! started later may have passed. A rehearsal copy moves every date in the spec and its
//! CSV forward by the same number of days, so the schedule keeps its shape.

use std::io;
use std::path::{Path, PathBuf};

use sluice::math::time::SECONDS_PER_DAY;
use sluice_sdk::units::{format_date, parse_date};

/// Every `YYYY-MM-DD` in `text` moved by `days`.
fn shift_dates(text: &str, days: i64) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = text.get(i..i + 10).filter(|c| {
            let b = c.as_bytes();
            b.iter().enumerate().all(|(k, ch)| if k == 4 || k == 7 { *ch == b'-' } else { ch.is_ascii_digit() })
        });
        // A date stands alone: not inside a reference like INV-2027-04-30A.
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let bounded = (i == 0 || !word(bytes[i - 1])) && bytes.get(i + 10).is_none_or(|b| !word(*b));
        match candidate.filter(|_| bounded).and_then(|c| parse_date(c).ok()) {
            Some(t) => {
                out.push_str(&format_date(t + days * SECONDS_PER_DAY));
                i += 10;
            }
            None => {
                let ch = text[i..].chars().next().expect("in bounds");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Copies `spec` and the CSV beside it (same stem, `.csv`) into `dir`, moving every date
/// forward so that the earliest due date falls `lead_days` after `now` (dates already late
/// enough stay). Returns the copy's path.
pub fn rehearsal_copy(spec: &Path, dir: &Path, now: i64, lead_days: i64) -> io::Result<PathBuf> {
    let toml = std::fs::read_to_string(spec)?;
    let csv_path = spec.with_extension("csv");
    let csv = std::fs::read_to_string(&csv_path)?;
    let earliest = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .filter_map(|d| parse_date(d.trim()).ok())
        .min()
        .unwrap_or(i64::MAX);
    let wanted = (now.div_euclid(SECONDS_PER_DAY) + lead_days) * SECONDS_PER_DAY;
    let days = if earliest < wanted { (wanted - earliest) / SECONDS_PER_DAY } else { 0 };
    std::fs::create_dir_all(dir)?;
    let copy = dir.join(spec.file_name().unwrap_or_default());
    std::fs::write(&copy, shift_dates(&toml, days))?;
    std::fs::write(dir.join(csv_path.file_name().unwrap_or_default()), shift_dates(&csv, days))?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_move_together_and_nothing_else_changes() {
        let text = "expires = \"2028-12-31\"\n0,100,90,2027-04-30,1,INV-2027-04-30X\nid 12027-01-01";
        let moved = shift_dates(text, 366);
        assert_eq!(moved, "expires = \"2030-01-01\"\n0,100,90,2028-04-30,1,INV-2027-04-30X\nid 12027-01-01");
        assert_eq!(shift_dates(text, 0), text);
    }
}
