//! Every reference scenario runs on the embedded bank, and what must always hold does: the
//! senior loses nothing while the junior has value, no loss skips a tranche, and every
//! invariant held after every transaction (the engine ends a run with an error the moment
//! one breaks, so a run that returns is one in which they all held). The exit must also
//! reach 99 % of what the liquidity limit allowed.

use std::path::Path;
use std::time::Instant;

use sluice_stress::report::Report;
use sluice_stress::scenario::{Route, Scenario};
use sluice_stress::{engine, output};

fn reference(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(format!("{name}.toml"));
    Scenario::load(&path).unwrap()
}

/// Runs the reference scenario `name` (days on stderr, shown with `--nocapture`) and checks
/// what must hold in every run.
async fn checked(name: &str) -> Report {
    checked_run(name, reference(name)).await
}

async fn checked_run(name: &str, scenario: Scenario) -> Report {
    let started = Instant::now();
    let days = scenario.days;
    let report = engine::run(&scenario, |row| eprintln!("{}", output::progress_line(row, days)))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("{name}: {:.1} s\n{}", started.elapsed().as_secs_f64(), output::summary_text(&report.summary));
    let s = &report.summary;
    let last = report.rows.last().expect("a day");
    let junior = scenario.tranche_count() as usize - 1;
    // The senior loses nothing while the junior has value.
    if last.prices_e12[junior] > 0 {
        assert!(s.loss_bps[0] <= 0, "{name}: the senior lost {} bps while the junior has value", s.loss_bps[0]);
    }
    // No loss skips a tranche: a tranche loses only once every tranche below it is worth nothing.
    for i in 0..junior {
        if s.loss_bps[i] > 0 {
            for j in i + 1..=junior {
                assert_eq!(last.prices_e12[j], 0, "{name}: tranche {i} lost while tranche {j} has value");
            }
        }
    }
    report
}

/// No cash sits idle while requests wait, and no exit is paid below what it could have had.
fn assert_efficient(report: &Report) {
    let s = &report.summary;
    assert!(s.efficiency_bps >= 9_900, "{}: efficiency {} bps", s.scenario, s.efficiency_bps);
}

#[tokio::test(flavor = "multi_thread")]
async fn bank_run() {
    assert_efficient(&checked("bank-run").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_shock() {
    assert_efficient(&checked("rate-shock").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_outage() {
    assert_efficient(&checked("keeper-outage").await);
}

/// From day 70 the junior is under the mezzanine's 10 % minimum subordination and its
/// requests may not leave while cash sits in the vault: the efficiency counts them out
/// (`Summary::held_by_subordination`), so the exit is judged on what the rules let go.
#[tokio::test(flavor = "multi_thread")]
async fn slow_bleed() {
    assert_efficient(&checked("slow-bleed").await);
}

/// The forced seller leaves through the best exit (door, market within 1 % of NAV, queue):
/// the exit is efficient and the screen price stays near NAV. The same seller dumping the
/// whole sale on the market — the run before the best exit existed — takes much less for
/// the same tokens and walks the market price far down.
#[tokio::test(flavor = "multi_thread")]
async fn market_dump() {
    let best = checked("market-dump").await;
    assert_efficient(&best);
    let mut dump = reference("market-dump");
    dump.trades.iter_mut().for_each(|t| t.route = Route::Market);
    let dump = checked_run("market-dump (route = market)", dump).await;
    let (b, d) = (&best.summary, &dump.summary);
    assert!(
        d.efficiency_bps < 9_500 && b.efficiency_bps > d.efficiency_bps,
        "{} vs {}",
        b.efficiency_bps,
        d.efficiency_bps
    );
    assert!(d.max_market_discount_bps > 2_000, "the dump moved the price {} bps", d.max_market_discount_bps);
    // The idle market lags the accruing NAV by ~1 % over the month; the seller adds nothing to it.
    assert!(b.max_market_discount_bps < 200, "the best exit moved the price {} bps", b.max_market_discount_bps);
}

/// Every actor and option the reference scenarios leave out, on a small permissionless pool
/// of two tranches with a market each: buyers, early and late payers, a rate move, a
/// publisher outage, two keepers of different cadence, one of them out for a day.
#[tokio::test(flavor = "multi_thread")]
async fn every_actor_on_a_small_permissionless_pool() {
    let text = r#"
        name = "small"
        days = 12
        seed = 5
        [pool]
        size = 500_000
        receivables = 40
        tenor_days = [3, 40]
        tranche_split_bps = [8_000, 2_000]
        permissioned = false
        holders_per_tranche = 5
        [pool.redemption]
        installments = 3
        [[markets]]
        tranche = "senior"
        [[markets]]
        tranche = "junior"
        liquidity_bps = 1_000
        [[exits]]
        tranche = "junior"
        share_bps = 2_000
        from_day = 2
        to_day = 4
        holders = 3
        [[exits]]
        tranche = 0
        share_bps = 3_000
        from_day = 1
        to_day = 3
        [[defaults]]
        day = 2
        share_bps = 300
        recovery_bps = 2_500
        recovery_days = 5
        [repayments]
        late_share_bps = 2_000
        late_days = 4
        early_share_bps = 1_000
        early_days = 2
        [[oracle]]
        day = 3
        market_rate_change_bps = 150
        [rates]
        outage_days = [6]
        [[trades]]
        tranche = "junior"
        side = "sell"
        base_per_day = 3_000
        from_day = 2
        to_day = 3
        [[trades]]
        tranche = "senior"
        side = "buy"
        base_per_day = 2_000
        from_day = 4
        [arbitrageur]
        min_edge_bps = 20
        [[keepers]]
        cadence_hours = 6
        outage_days = [5]
        [[keepers]]
        cadence_hours = 24
        offset_hours = 3
    "#;
    let scenario = Scenario::parse(text, "small.toml").unwrap();
    let report = engine::run(&scenario, |_| {}).await.unwrap_or_else(|e| panic!("small: {e}"));
    let s = &report.summary;
    eprintln!("{}", output::summary_text(s));
    assert_eq!(report.rows.len(), 12);
    assert!(s.requested > 0 && s.paid.vault > 0 && s.paid.market > 0, "{s:?}");
    assert!(report.rows.iter().any(|r| r.repaid > 0) && report.rows.iter().any(|r| r.defaulted > 0));
    // Day 5: the six-hourly keeper is out and the daily one ticks once.
    assert!(report.rows[4].keeper_txs > 0);
    if report.rows.last().unwrap().prices_e12[1] > 0 {
        assert!(s.loss_bps[0] <= 0, "the senior lost {} bps while the junior has value", s.loss_bps[0]);
    }
}
