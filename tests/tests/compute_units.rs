//! Reprice over a fully occupied book: every (risk class, maturity bucket) cell holds a
//! receivable and the bucket holding "now" has days already due, which is the most work
//! reprice can be given. Natively this checks the result against the SDK; on the SBF VM
//! (`SBF_OUT_DIR` pointing at `sluice.so`) it also holds reprice to its compute budget.
#![allow(deprecated)]

use sluice::math::time::{bucket_of, BUCKET_SECONDS, NUM_BUCKETS, SECONDS_PER_DAY};
use sluice_sdk::chain::DevChain;
use sluice_sdk::{ix, preview};
use sluice_tests::*;

/// `docs/compute-units.md`: reprice of a 10,000-receivable book within 150,000 CU.
const REPRICE_BUDGET: u64 = 150_000;

#[tokio::test]
async fn reprice_of_a_full_book() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(100_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 30_000_000 * UNIT, 20_000_000 * UNIT, 50_000_000 * UNIT).await;

    let now = f.now().await;
    let first = bucket_of(now);
    let mut added = 0;
    for b in first..first + NUM_BUCKETS as i64 {
        for class in 0..4u8 {
            // Two receivables per cell, on different days; all due after now.
            for day in [3i64, 24] {
                let due = b * BUCKET_SECONDS + day * SECONDS_PER_DAY;
                if due > now {
                    f.add_receivable_at(10_000 * UNIT + added, 9_800 * UNIT, due, class).await.unwrap();
                    added += 1;
                }
            }
        }
    }
    let book = f.book().await;
    let occupied = book.cells.iter().filter(|c| c.count > 0).count();
    assert!(occupied >= 4 * (NUM_BUCKETS - 1), "only {occupied} cells occupied");

    // Let some of the current bucket fall due, so reprice strips and schedules them too.
    let to_next = (first + 1) * BUCKET_SECONDS - f.now().await;
    f.chain.advance_clock(to_next.min(20 * SECONDS_PER_DAY)).await.unwrap();
    f.publish(800).await.unwrap();

    let (pool, book, oracle, now) = (f.pool().await, f.book().await, f.oracle().await, f.now().await);
    let want = preview::nav(&pool, &book, &oracle, now).unwrap();
    if f.chain.runs_sbf() {
        let units = f.chain.units_consumed(&[ix::reprice(&f.keys)], &[]).await.unwrap();
        println!("reprice over {occupied} occupied cells: {units} CU");
        assert!(units <= REPRICE_BUDGET, "reprice used {units} CU, budget {REPRICE_BUDGET}");
    }
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.nav, want.nav);
    assert!(want.book_value > 0 && want.book_value < book.performing_outstanding);
}
