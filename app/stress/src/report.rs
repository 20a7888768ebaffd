//! What a stress run measures: one row per day and a summary, as plain data. The engine
//! fills it; `output` writes it (terminal, CSV, JSON, SVG).

use serde::Serialize;

/// Where a paid exit came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PaidBySource {
    /// Instant exits and batch fills paid from the pool's vault (base units).
    pub vault: u64,
    /// Tranche tokens the buy-back reserve bought in batches and on the market.
    pub reserve: u64,
    /// Tranche tokens sold on the tranche's market to other members (base received).
    pub market: u64,
    /// Exits through a value-anchored basket (0 until a scenario uses one).
    pub basket: u64,
}

impl PaidBySource {
    pub fn total(&self) -> u64 {
        self.vault + self.reserve + self.market + self.basket
    }
}

/// One day of a run, read at the end of the day (after that day's keeper work).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DayRow {
    /// 1 = the first day of the scenario.
    pub day: u32,
    pub nav: u64,
    pub cash: u64,
    /// Tranche prices ×10¹² (senior, mezzanine, junior).
    pub prices_e12: [u128; 3],
    /// Value holders asked to exit that day (base units at that day's NAV price).
    pub requested: u64,
    /// Value paid out that day, by source.
    pub paid: PaidBySource,
    /// Value waiting in the queues at the end of the day.
    pub queued: u64,
    /// Cumulative exits the pool could have paid by this day under its own rules: the
    /// liquidity limit (`docs/stress.md` defines it).
    pub limit: u64,
    /// Value waiting in the queues at the end of the day that the pool's subordination rule
    /// holds in (at that day's NAV price): paying it would take a tranche above under its
    /// `min_subordination_bps` (`measure::held_by_subordination`). Part of `queued`.
    pub held: u64,
    /// Cumulative requested value the pool's rules allowed to leave by this day: all
    /// requested up to this day less `held` (`measure::requested_payable`). Like `limit`, a
    /// running figure; efficiency is judged against min(payable, limit).
    pub payable: u64,
    /// `Normal`, `Stress` or `Crisis` at the end of the day.
    pub stage: String,
    /// Senior market: spot price ×10¹² (0 without a market), its discount to NAV in bps,
    /// the round-trip spread of a typical order in bps and the depth (base units) within 2 %.
    pub market_price_e12: u128,
    pub market_discount_bps: i64,
    /// The deepest discount seen during the day (after each trade and each keeper round),
    /// against the NAV price the market trades at; at least the end-of-day one.
    pub max_discount_bps: i64,
    pub spread_bps: u64,
    pub depth: u64,
    pub reserve_balance: u64,
    pub reserve_spent: u64,
    pub reserve_recovered: u64,
    /// Face value defaulted and repaid that day.
    pub defaulted: u64,
    pub repaid: u64,
    /// Transactions the keepers sent that day (0 on a day they are out).
    pub keeper_txs: u32,
    /// Transactions the program refused that day (anyone's; the run goes on).
    pub refused: u32,
}

/// The run in a few numbers (`docs/stress.md` explains each).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub days: u32,
    /// How many tranches the pool has (1–3); `loss_bps` beyond them reads 0.
    pub tranches: u8,
    /// Everything asked to leave over the run (value when asked).
    pub requested: u64,
    /// Of `requested`, what the pool's rules allowed to leave: all of it less what still
    /// waited at the end that the subordination rule held in (`held_by_subordination`).
    pub payable: u64,
    /// Value waiting at the end of the run that paying would have taken a tranche above
    /// under its minimum subordination (the last day's `DayRow::held`).
    pub held_by_subordination: u64,
    pub paid: PaidBySource,
    /// paid ÷ min(payable, limit), in bps (10,000 = every exit the rules and the limit
    /// allowed was paid).
    pub efficiency_bps: u64,
    /// Share of requested value paid by day 1, 3, 7 and 30, in bps.
    pub paid_by_day_bps: [u64; 4],
    /// Loss per tranche: (start price − end price) ÷ start price, bps; negative is a gain.
    pub loss_bps: [i64; 3],
    pub max_market_discount_bps: i64,
    pub day7_market_discount_bps: i64,
    pub max_spread_bps: u64,
    pub min_depth: u64,
    /// Each stage change: (day, stage).
    pub stages: Vec<(u32, String)>,
    pub reserve_spent: u64,
    pub reserve_recovered: u64,
    pub keeper_txs: u32,
    /// Transactions the whole run sent.
    pub transactions: u32,
    /// The liquidity limit at the end of the run (the efficiency's yardstick).
    pub limit: u64,
    /// Transactions the program refused, and how often each (instruction: error) occurred.
    pub refused: u32,
    pub refusals: Vec<(String, u32)>,
}

/// A whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub rows: Vec<DayRow>,
    pub summary: Summary,
}
