//! The on-chain book valuation against an exact per-receivable DCF computed in 192-bit
//! floating point. Target: within 1 basis point of NAV for books of up to 10,000
//! receivables spread over three years and four risk classes.

use astro_float::{BigFloat, Consts, RoundingMode};
use proptest::prelude::*;
use sluice::math::dcf::{book_value, overdue_haircut_bps, ClassRates, Curve, OverdueStep};
use sluice::math::time::*;
use sluice::state::{Book, BookCell, BOOK_CELLS};

const P: usize = 192;
const RM: RoundingMode = RoundingMode::ToEven;

#[derive(Clone, Debug)]
struct Rec {
    outstanding: u64,
    due: i64,
    class: u8,
}

const STEPS: [OverdueStep; 3] = [
    OverdueStep { days: 30, haircut_bps: 2_500 },
    OverdueStep { days: 60, haircut_bps: 5_000 },
    OverdueStep { days: 90, haircut_bps: 10_000 },
];

fn big(v: i128) -> BigFloat {
    BigFloat::from_i128(v, P)
}

/// Exact model value of one receivable, per `docs/math.md`.
fn reference_value(r: &Rec, now: i64, market_bps: u32, rates: &[ClassRates; 4], cc: &mut Consts) -> BigFloat {
    let o = big(r.outstanding as i128);
    if r.due <= now {
        let days = (now - r.due).div_euclid(SECONDS_PER_DAY);
        let h = overdue_haircut_bps(&STEPS, days);
        return o.mul(&big((BPS - h) as i128), P, RM).div(&big(BPS as i128), P, RM);
    }
    let bps = big(BPS as i128);
    let t = big((r.due - now) as i128).div(&big(SECONDS_PER_YEAR as i128), P, RM);
    let one = big(1);
    let rate = big(market_bps as i128).div(&bps, P, RM);
    let c = rates[r.class as usize];
    let pd = big(c.default_probability_bps as i128).div(&bps, P, RM);
    let rec = big(c.recovery_bps as i128).div(&bps, P, RM);
    // (1 + r)^(−t) = exp(−t·ln(1 + r)); s = (1 − PD)^t = exp(t·ln(1 − PD))
    let disc = t.mul(&one.add(&rate, P, RM).ln(P, RM, cc), P, RM).neg().exp(P, RM, cc);
    let surv = t.mul(&one.sub(&pd, P, RM).ln(P, RM, cc), P, RM).exp(P, RM, cc);
    let factor = surv.add(&rec.mul(&one.sub(&surv, P, RM), P, RM), P, RM);
    o.mul(&disc, P, RM).mul(&factor, P, RM)
}

fn to_f64(x: &BigFloat) -> f64 {
    format!("{x}").parse().unwrap()
}

fn build(book: &[Rec]) -> Vec<BookCell> {
    let mut cells = vec![BookCell::default(); BOOK_CELLS];
    for r in book {
        cells[Book::cell_index(r.class, r.due)].add(r.due, r.outstanding, true).unwrap();
    }
    cells
}

/// Truncation allowance: a few base units per non-empty cell, on top of the relative bound.
fn within_target(rel: f64, got: u128, exact: f64, cells: usize) -> bool {
    rel.abs() < 1e-4 || (got as f64 - exact).abs() <= 2.0 * cells as f64
}

/// Relative error of the on-chain value against the reference, and both values.
fn compare(book: &[Rec], now: i64, market_bps: u32, rates: &[ClassRates; 4]) -> (f64, u128, f64) {
    let mut cc = Consts::new().unwrap();
    let cells = build(book);
    let curve = Curve::from_rates(market_bps, rates).unwrap();
    let got = book_value(&cells, now, &curve, &STEPS).unwrap();
    let mut exact = big(0);
    for r in book {
        exact = exact.add(&reference_value(r, now, market_bps, rates, &mut cc), P, RM);
    }
    let diff = big(got as i128).sub(&exact, P, RM);
    let rel = to_f64(&diff.div(&exact, P, RM));
    (rel, got, to_f64(&exact))
}

fn rates_strategy() -> impl Strategy<Value = (u32, [ClassRates; 4])> {
    (
        0u32..=2_000,
        proptest::array::uniform4(
            (0u32..=2_500, 0u32..=10_000)
                .prop_map(|(pd, rec)| ClassRates { default_probability_bps: pd, recovery_bps: rec }),
        ),
    )
}

/// A book due from 25 days ago (overdue, before the first write-down step) to three years
/// ahead, at a random time within a bucket.
fn book_strategy(len: std::ops::Range<usize>) -> impl Strategy<Value = (i64, Vec<Rec>)> {
    let now_base = 1_800_000_000i64;
    (0..BUCKET_SECONDS).prop_flat_map(move |offset| {
        let len = len.clone();
        let now = now_base + offset;
        let rec = (1u64..=1_000_000_000_000, -25i64..3 * 365, 0u8..4).prop_map(move |(outstanding, days, class)| Rec {
            outstanding,
            due: (now.div_euclid(SECONDS_PER_DAY) + days) * SECONDS_PER_DAY,
            class,
        });
        (Just(now), proptest::collection::vec(rec, len.clone()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn small_books_within_one_bp((now, book) in book_strategy(1..200), (market, rates) in rates_strategy()) {
        let (rel, got, exact) = compare(&book, now, market, &rates);
        prop_assert!(within_target(rel, got, exact, book.len()), "rel {rel:e}: on-chain {got} vs exact {exact}");
    }

    /// One receivable alone: the worst case for the expansion (nothing averages out).
    #[test]
    fn single_receivable_within_one_bp((now, book) in book_strategy(1..2), (market, rates) in rates_strategy()) {
        let (rel, got, exact) = compare(&book, now, market, &rates);
        prop_assert!(within_target(rel, got, exact, book.len()), "rel {rel:e}: on-chain {got} vs exact {exact}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// The target size: 10,000 receivables, three years, four classes.
    #[test]
    fn ten_thousand_receivables_within_one_bp(
        (now, book) in book_strategy(9_000..10_001),
        (market, rates) in rates_strategy(),
    ) {
        let (rel, got, exact) = compare(&book, now, market, &rates);
        eprintln!("10k book: rel error {rel:e} (on-chain {got}, exact {exact})");
        prop_assert!(within_target(rel, got, exact, book.len()), "rel {rel:e}: on-chain {got} vs exact {exact}");
    }
}

/// Rates at the oracle's limits (50 % market rate, 50 % default probability).
#[test]
fn extreme_rates_within_one_bp() {
    let rates = [ClassRates { default_probability_bps: 5_000, recovery_bps: 0 }; 4];
    let now: i64 = 1_800_000_000 + 12_345;
    let today = now.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY;
    let book: Vec<Rec> = (0..400)
        .map(|i| Rec {
            outstanding: 1_000_000 + i,
            due: today + (1 + (i as i64 * 7_919) % (3 * 365)) * SECONDS_PER_DAY,
            class: (i % 4) as u8,
        })
        .collect();
    let (rel, got, exact) = compare(&book, now, 5_000, &rates);
    assert!(rel.abs() < 1e-4, "rel {rel:e}: on-chain {got} vs exact {exact}");
}

/// Overdue receivables follow the daily write-down schedule exactly, in the current bucket and in
/// buckets wholly past.
#[test]
fn overdue_book_follows_schedule() {
    let rates = [ClassRates { default_probability_bps: 300, recovery_bps: 4_000 }; 4];
    let now: i64 = 1_800_000_000 + 7_200;
    let today = now.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY;
    let book: Vec<Rec> = (0..=120)
        .map(|d| Rec { outstanding: 5_000_000, due: today - d * SECONDS_PER_DAY, class: (d % 4) as u8 })
        .collect();
    let (_, got, exact) = compare(&book, now, 800, &rates);
    assert_eq!(got as f64, exact);
    // The haircut climbs day by day: 0 → 25 % over days 0..30, → 50 % by day 60, → 100 %
    // by day 90 (each day's haircut rounded up), and stays there.
    let haircut = |d: u64| match d {
        0..30 => (2_500 * d).div_ceil(30),
        30..60 => 2_500 + (2_500 * (d - 30)).div_ceil(30),
        60..90 => 5_000 + (5_000 * (d - 60)).div_ceil(30),
        _ => 10_000,
    };
    let expected: u64 = (0..=120).map(|d| 5_000_000 / 10_000 * (10_000 - haircut(d))).sum();
    assert_eq!(got, expected as u128);
}

proptest! {
    /// Repayments subtract exactly what funding added: a book after partial repayments
    /// equals one built from the remaining amounts.
    #[test]
    fn book_moments_are_exact(
        (now, book) in book_strategy(1..60),
        repay_frac in proptest::collection::vec(0u64..=100, 60),
    ) {
        let mut cells = build(&book);
        let mut remaining = Vec::new();
        for (r, f) in book.iter().zip(repay_frac.iter()) {
            let paid = r.outstanding / 100 * f;
            let closes = paid == r.outstanding;
            if paid > 0 {
                cells[Book::cell_index(r.class, r.due)].remove(r.due, paid, closes).unwrap();
            }
            if !closes {
                remaining.push(Rec { outstanding: r.outstanding - paid, ..r.clone() });
            }
        }
        let _ = now;
        prop_assert_eq!(cells, build(&remaining));
    }
}
