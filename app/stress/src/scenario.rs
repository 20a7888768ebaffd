//! A stress scenario, read from TOML: the pool as a generated book and the actors, each a
//! schedule, over a number of days.
//!
//! Every field an issuer may leave out has a documented default, and a risk parameter's
//! default is the program's recommended value (`RedemptionParams::RECOMMENDED`,
//! `AmmParams::RECOMMENDED`, the demo's pool parameters) — never a zero that switches a
//! protection off. Amounts are whole base tokens (the lab's base token has 6 decimals);
//! shares are basis points; days count from 1 (the first day of the run).
//!
//! ```toml
//! name = "bank-run"
//! days = 30
//!
//! [pool]
//! receivables = 300
//! tenor_days = [15, 180]
//! cash_share_bps = 1000
//! tranche_split_bps = [7000, 1500, 1500]
//! reserve_share_bps = 200
//!
//! [[markets]]
//! tranche = "senior"
//!
//! [[exits]]
//! tranche = "senior"
//! share_bps = 4000
//! from_day = 1
//! to_day = 7
//!
//! [[defaults]]
//! day = 3
//! share_bps = 500
//! recovery_bps = 3000
//! ```

use std::path::Path;

use serde::Deserialize;
use sluice::math::dcf::{MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use sluice::math::time::{DAYS_PER_BUCKET, NUM_BUCKETS};
use sluice::state::{AmmParams, RedemptionParams, MAX_TRANCHES};

/// Base units per whole base token.
pub const UNIT: u64 = 1_000_000;
/// The longest tenor the book's 42 buckets of 28 days can hold from the first day.
pub const MAX_TENOR_DAYS: u32 = ((NUM_BUCKETS - 1) * DAYS_PER_BUCKET) as u32;
const BPS: u32 = 10_000;

/// A whole scenario: `name`, `days` and the sections below.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Names the report.
    pub name: String,
    /// What the scenario tells (free text, shown in the report).
    #[serde(default)]
    pub description: String,
    /// Length of the run (1–365).
    pub days: u32,
    /// Seeds the generated book and the choice of holders and receivables (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub pool: PoolSpec,
    #[serde(default)]
    pub rates: RatesSpec,
    /// A constant-product market per listed tranche, seeded by a market maker.
    #[serde(default)]
    pub markets: Vec<MarketSpec>,
    /// Holders asking to leave through the redemption door.
    #[serde(default)]
    pub exits: Vec<ExitSpec>,
    /// Receivables written down.
    #[serde(default)]
    pub defaults: Vec<DefaultSpec>,
    /// When receivables are repaid (on time unless shifted here).
    #[serde(default)]
    pub repayments: RepaymentSpec,
    /// Moves of the published rates.
    #[serde(default)]
    pub oracle: Vec<OracleMove>,
    /// Members selling (holders leaving through the market) and buying on a market.
    #[serde(default)]
    pub trades: Vec<TradeSpec>,
    /// A member who buys under NAV on a market when a redemption pays more; absent: none.
    #[serde(default)]
    pub arbitrageur: Option<ArbitrageurSpec>,
    /// The keepers (default: one, every hour, never out).
    #[serde(default = "default_keepers")]
    pub keepers: Vec<KeeperSpec>,
}

fn default_seed() -> u64 {
    1
}

fn default_keepers() -> Vec<KeeperSpec> {
    vec![KeeperSpec::default()]
}

/// The pool and its generated book.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSpec {
    /// All deposits, whole base tokens (default 10,000,000): the tranches' holders' and, out
    /// of each tranche's share, the market maker's side of its market.
    pub size: u64,
    /// Receivables in the book (default 300).
    pub receivables: u32,
    /// Tenors drawn uniformly from this range of days after the pool is set up
    /// (default [15, 180]).
    pub tenor_days: [u32; 2],
    /// Share of the book by count in each of the four risk classes (default
    /// [4000, 3000, 2000, 1000]; must sum to 10,000).
    pub risk_mix_bps: [u32; 4],
    /// Annual discount at which the issuer buys receivables of each class (default
    /// [850, 950, 1250, 1900]): funded = face · (1 − discount · tenor / 365).
    pub purchase_discount_bps: [u32; 4],
    /// Share of the pool's value kept as cash after the book is funded (default 1,000).
    pub cash_share_bps: u32,
    /// Share of `size` per tranche, senior first (1 to 3 tranches; default
    /// [7000, 1500, 1500]; must sum to 10,000).
    pub tranche_split_bps: Vec<u32>,
    /// Annual coupon per tranche (default: senior 800, mezzanine 1,200, junior 0).
    pub coupons_bps: Option<Vec<u16>>,
    /// Minimum subordination per tranche (default: senior 2,000, mezzanine 1,000, junior 0).
    pub min_subordination_bps: Option<Vec<u16>>,
    /// The issuer's funding of the buy-back reserve, share of NAV (default: the reserve
    /// target, `redemption.reserve_target_bps`).
    pub reserve_share_bps: Option<u32>,
    /// Deposits, trades and liquidity need a live member record (default true).
    pub permissioned: bool,
    /// Holders per tranche; deposits are spread over them unevenly (weights 1, 2, 3, 4,
    /// 1, …) so that installments and pro rata matter (default 20).
    pub holders_per_tranche: u32,
    /// Largest move of any published rate per 24 h window (default 100).
    pub max_rate_move_bps: u32,
    /// `reprice` refuses rates older than this (default 172,800: two days).
    pub max_oracle_age_secs: u32,
    /// Deposits, exits and batches refuse a NAV older than this (default 3,600).
    pub max_nav_age_secs: u32,
    /// Deposits may not lift NAV above this, whole base tokens (default: twice the NAV
    /// after setup).
    pub pool_cap: Option<u64>,
    /// Redemption parameters replacing `RedemptionParams::RECOMMENDED`, one by one.
    pub redemption: RedemptionOverrides,
}

impl Default for PoolSpec {
    fn default() -> Self {
        PoolSpec {
            size: 10_000_000,
            receivables: 300,
            tenor_days: [15, 180],
            risk_mix_bps: [4_000, 3_000, 2_000, 1_000],
            purchase_discount_bps: [850, 950, 1_250, 1_900],
            cash_share_bps: 1_000,
            tranche_split_bps: vec![7_000, 1_500, 1_500],
            coupons_bps: None,
            min_subordination_bps: None,
            reserve_share_bps: None,
            permissioned: true,
            holders_per_tranche: 20,
            max_rate_move_bps: 100,
            max_oracle_age_secs: 2 * 86_400,
            max_nav_age_secs: 3_600,
            pool_cap: None,
            redemption: RedemptionOverrides::default(),
        }
    }
}

/// Each field replaces the recommended value of the same name (`docs/redemption.md`);
/// amounts (`instant_threshold`, `min_request`, `keeper_tip`) in whole base tokens.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedemptionOverrides {
    pub instant_threshold: Option<u64>,
    pub instant_fee_bps: Option<u16>,
    pub instant_window_cap_bps: Option<u16>,
    pub cash_floor_bps: Option<u16>,
    pub installments: Option<u8>,
    pub batch_interval_secs: Option<u32>,
    pub min_request: Option<u64>,
    pub keeper_tip: Option<u64>,
    pub stress_enter_bps: Option<u16>,
    pub stress_exit_bps: Option<u16>,
    pub coverage_enter_bps: Option<u16>,
    pub coverage_exit_bps: Option<u16>,
    pub crisis_after_secs: Option<u32>,
    pub crisis_exit_bps: Option<u16>,
    pub min_stage_secs: Option<u32>,
    pub reserve_target_bps: Option<u16>,
    pub reserve_fee_share_bps: Option<u16>,
    pub buyback_discount_bps: Option<u16>,
    pub reserve_batch_share_bps: Option<u16>,
}

impl RedemptionOverrides {
    /// `RedemptionParams::RECOMMENDED` with the given fields replaced.
    pub fn apply(&self) -> RedemptionParams {
        let mut p = RedemptionParams::RECOMMENDED;
        let whole = |v: u64| v.saturating_mul(UNIT);
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { p.$field = v; } )* };
        }
        set!(
            instant_fee_bps,
            instant_window_cap_bps,
            cash_floor_bps,
            installments,
            batch_interval_secs,
            stress_enter_bps,
            stress_exit_bps,
            coverage_enter_bps,
            coverage_exit_bps,
            crisis_after_secs,
            crisis_exit_bps,
            min_stage_secs,
            reserve_target_bps,
            reserve_fee_share_bps,
            buyback_discount_bps,
            reserve_batch_share_bps
        );
        if let Some(v) = self.instant_threshold {
            p.instant_threshold = whole(v);
        }
        if let Some(v) = self.min_request {
            p.min_request = whole(v);
        }
        if let Some(v) = self.keeper_tip {
            p.keeper_tip = whole(v);
        }
        p
    }
}

/// Each field replaces the recommended market parameter of the same name (`docs/amm.md`);
/// `reference_trade` in whole base tokens.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmmOverrides {
    pub base_fee_bps: Option<u16>,
    pub band_fee_bps_per_pct: Option<u16>,
    pub band_fee_cap_bps: Option<u16>,
    pub stage_surcharge_bps: Option<u16>,
    pub crisis_band_bps: Option<u16>,
    pub reserve_share_bps: Option<u16>,
    pub protocol_share_bps: Option<u16>,
    pub buyback_trigger_bps: Option<u16>,
    pub buyback_budget_bps: Option<u16>,
    pub reference_trade: Option<u64>,
    pub stress_discount_bps: Option<u16>,
}

impl AmmOverrides {
    /// `AmmParams::RECOMMENDED` with the given fields replaced.
    pub fn apply(&self) -> AmmParams {
        let mut p = AmmParams::RECOMMENDED;
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { p.$field = v; } )* };
        }
        set!(
            base_fee_bps,
            band_fee_bps_per_pct,
            band_fee_cap_bps,
            stage_surcharge_bps,
            crisis_band_bps,
            reserve_share_bps,
            protocol_share_bps,
            buyback_trigger_bps,
            buyback_budget_bps,
            stress_discount_bps
        );
        if let Some(v) = self.reference_trade {
            p.reference_trade = v.saturating_mul(UNIT);
        }
        p
    }
}

/// The rates the publisher starts from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatesSpec {
    /// Annual market rate (default 800).
    pub market_rate_bps: u32,
    /// Annual default probability per risk class (default [100, 300, 700, 1500]).
    pub default_probability_bps: [u32; 4],
    /// Recovery per risk class (default [6000, 5000, 4000, 3000]).
    pub recovery_bps: [u32; 4],
    /// Days the publisher publishes nothing (default none). It publishes at the start of
    /// every other day.
    pub outage_days: Vec<u32>,
}

impl Default for RatesSpec {
    fn default() -> Self {
        RatesSpec {
            market_rate_bps: 800,
            default_probability_bps: [100, 300, 700, 1_500],
            recovery_bps: [6_000, 5_000, 4_000, 3_000],
            outage_days: vec![],
        }
    }
}

/// A tranche by name (`"senior"`, `"mezzanine"`, `"junior"`) or index (0 = senior).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TrancheRef {
    Index(u8),
    Name(String),
}

impl TrancheRef {
    /// The tranche's index in a pool of `count` tranches: the junior is the last, the
    /// mezzanine exists only in a pool of three.
    pub fn resolve(&self, count: u8) -> Option<u8> {
        match self {
            TrancheRef::Index(i) => (*i < count).then_some(*i),
            TrancheRef::Name(n) => match n.as_str() {
                "senior" => Some(0),
                "mezzanine" => (count == 3).then_some(1),
                "junior" => count.checked_sub(1),
                _ => None,
            },
        }
    }
}

/// The name of tranche `index` in a pool of `count` tranches.
pub fn tranche_name(index: u8, count: u8) -> &'static str {
    match (index, count) {
        (0, _) => "senior",
        (i, c) if i + 1 == c => "junior",
        _ => "mezzanine",
    }
}

/// A tranche's market, seeded at NAV by a market-maker member.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    pub tranche: TrancheRef,
    /// Liquidity per side, share of the tranche's deposits (default 500: the market maker
    /// deposits 5 % of the tranche and brings as much again in base tokens; at most 5,000).
    #[serde(default = "default_liquidity")]
    pub liquidity_bps: u32,
    /// Market parameters replacing `AmmParams::RECOMMENDED`, one by one.
    #[serde(default)]
    pub params: AmmOverrides,
}

fn default_liquidity() -> u32 {
    500
}

/// Holders of a tranche asking to leave: `share_bps` of the tokens its holders held at the
/// start, spread evenly over `from_day..=to_day` and over the taking-part holders in
/// proportion to what they hold. Each day every taking-part holder redeems at once when
/// the program would allow it (`redeem_instant`), and queues a request otherwise.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSpec {
    pub tranche: TrancheRef,
    pub share_bps: u32,
    pub from_day: u32,
    /// Last day of the wave (default `from_day`).
    pub to_day: Option<u32>,
    /// How many of the tranche's holders take part, chosen by the seed (default all).
    pub holders: Option<u32>,
}

/// Receivables defaulting on `day`: performing ones not yet due, chosen by the seed, until
/// `share_bps` of the book's face at the start is reached; each is written down to
/// `recovery_bps` of its face, and that recovery is paid in `recovery_days` later.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultSpec {
    pub day: u32,
    pub share_bps: u32,
    pub recovery_bps: u32,
    /// Days from the write-down to the recovery's cash (default 30).
    #[serde(default = "default_recovery_days")]
    pub recovery_days: u32,
}

fn default_recovery_days() -> u32 {
    30
}

/// Receivables are repaid in full on their due day, except a share chosen by the seed that
/// pays `late_days` late and another that pays `early_days` early (defaults: none).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepaymentSpec {
    pub late_share_bps: u32,
    pub late_days: u32,
    pub early_share_bps: u32,
    pub early_days: u32,
}

/// From `day` on, the published rates move by these amounts. The publisher moves at most
/// `pool.max_rate_move_bps` a day, so a larger move takes several days.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleMove {
    pub day: u32,
    /// Change of the market rate (default 0).
    #[serde(default)]
    pub market_rate_change_bps: i32,
    /// Change of every class's default probability (default 0).
    #[serde(default)]
    pub default_probability_change_bps: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// A holder leaving through the market: its sale counts as an exit asked.
    Sell,
    /// An outside member buying tranche tokens.
    Buy,
}

/// Every day of `from_day..=to_day`, a member trades `base_per_day` on the tranche's market:
/// a seller (the tranche's largest holder) sells tokens worth that much at NAV, a buyer
/// pays that much for tokens. In Crisis a sale is cut to what stays inside the market's
/// band around NAV.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeSpec {
    pub tranche: TrancheRef,
    pub side: Side,
    /// Whole base tokens.
    pub base_per_day: u64,
    pub from_day: u32,
    /// Last day (default `from_day`).
    pub to_day: Option<u32>,
    /// How a seller leaves (default `market`): everything on the market, or Sluice's best
    /// exit (`preview::plan_exit`: the instant door, the market down to `max_discount_bps`
    /// under NAV, the queue for the rest). Buyers always buy on the market.
    #[serde(default)]
    pub route: Route,
    /// With `route = "best"`: the most under the NAV price the last token sold on the market
    /// may bring, after fees (default 100).
    #[serde(default = "default_max_discount_bps")]
    pub max_discount_bps: u16,
}

fn default_max_discount_bps() -> u16 {
    100
}

/// A seller's way out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// The whole sale on the market, whatever it pays.
    #[default]
    Market,
    /// The best of the pool's doors, as Sluice's wallet and CLI exit (`sluice exit`) route it.
    Best,
}

/// A member with base tokens who, once a day and on every market, buys tranche tokens as
/// long as what a redemption pays for them — instant (NAV less the instant fee) when the
/// program would allow it, else queued (NAV, less the reserve's buy-back discount outside
/// Normal) — beats their cost by `min_edge_bps`, then redeems them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArbitrageurSpec {
    /// Whole base tokens (default 1 % of `pool.size`).
    pub capital: Option<u64>,
    /// Least margin it trades for (default 50).
    pub min_edge_bps: u32,
}

impl Default for ArbitrageurSpec {
    fn default() -> Self {
        ArbitrageurSpec { capital: None, min_edge_bps: 50 }
    }
}

/// A keeper bot running `Keeper::tick` (reprice, stage, batches, claim pushes, recycling,
/// buy-backs) and overdue write-downs.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeeperSpec {
    /// Hours between ticks (1–168; default 1).
    pub cadence_hours: u32,
    /// First tick this many hours into the run (default 0).
    pub offset_hours: u32,
    /// Days the keeper sends nothing (default none).
    pub outage_days: Vec<u32>,
}

impl Default for KeeperSpec {
    fn default() -> Self {
        KeeperSpec { cadence_hours: 1, offset_hours: 0, outage_days: vec![] }
    }
}

impl KeeperSpec {
    /// Whether the keeper ticks at `hour` hours into the run (hour 0 = the first day's start).
    pub fn ticks_at(&self, hour: u32) -> bool {
        let day = hour / 24 + 1;
        hour >= self.offset_hours
            && (hour - self.offset_hours).is_multiple_of(self.cadence_hours.max(1))
            && !self.outage_days.contains(&day)
    }
}

impl Scenario {
    /// Reads and checks the scenario at `path`; errors name the file and the field.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a scenario; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, String> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| format!("{origin}: {}", e.to_string().trim_end()))?;
        scenario.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(scenario)
    }

    pub fn tranche_count(&self) -> u8 {
        self.pool.tranche_split_bps.len() as u8
    }

    /// Coupon and minimum subordination per tranche, senior first.
    pub fn tranche_terms(&self) -> Vec<(u16, u16)> {
        let n = self.tranche_count();
        let by_default = |i: u8, senior: u16, mezzanine: u16| match tranche_name(i, n) {
            "senior" if n > 1 => senior,
            "mezzanine" => mezzanine,
            _ => 0,
        };
        (0..n)
            .map(|i| {
                let coupon = self.pool.coupons_bps.as_ref().map_or(by_default(i, 800, 1_200), |c| c[i as usize]);
                let sub =
                    self.pool.min_subordination_bps.as_ref().map_or(by_default(i, 2_000, 1_000), |s| s[i as usize]);
                (coupon, sub)
            })
            .collect()
    }

    pub fn redemption_params(&self) -> RedemptionParams {
        self.pool.redemption.apply()
    }

    /// The reserve's funding, share of NAV.
    pub fn reserve_share_bps(&self) -> u32 {
        self.pool.reserve_share_bps.unwrap_or(self.redemption_params().reserve_target_bps as u32)
    }

    /// Deposits into tranche `t` (holders' and the market maker's), base units.
    pub fn tranche_size(&self, t: u8) -> u64 {
        let size = self.pool.size.saturating_mul(UNIT);
        (size as u128 * self.pool.tranche_split_bps[t as usize] as u128 / BPS as u128) as u64
    }

    /// The market maker's side of tranche `t`'s market (0 without one), base units: what it
    /// deposits into the tranche and brings again in base tokens.
    pub fn market_side(&self, t: u8) -> u64 {
        let count = self.tranche_count();
        self.markets
            .iter()
            .find(|m| m.tranche.resolve(count) == Some(t))
            .map_or(0, |m| (self.tranche_size(t) as u128 * m.liquidity_bps as u128 / BPS as u128) as u64)
    }

    /// Tranche index of a reference, for a field already validated.
    pub fn tranche(&self, r: &TrancheRef) -> u8 {
        r.resolve(self.tranche_count()).expect("validated tranche")
    }

    /// Checks every field's bounds and cross-references; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let p = &self.pool;
        let n = p.tranche_split_bps.len();
        let field = |name: &str, ok: bool, why: &str| if ok { Ok(()) } else { Err(format!("{name}: {why}")) };
        field("days", (1..=365).contains(&self.days), "must be 1 to 365")?;
        field("pool.size", (1_000..=1_000_000_000_000).contains(&p.size), "must be 1,000 to 10^12 base tokens")?;
        field("pool.receivables", (1..=2_000).contains(&p.receivables), "must be 1 to 2,000")?;
        let [lo, hi] = p.tenor_days;
        field(
            "pool.tenor_days",
            1 <= lo && lo <= hi && hi <= MAX_TENOR_DAYS,
            &format!("must be [min, max] with 1 ≤ min ≤ max ≤ {MAX_TENOR_DAYS} (the book's horizon)"),
        )?;
        field("pool.risk_mix_bps", p.risk_mix_bps.iter().sum::<u32>() == BPS, "must sum to 10,000")?;
        field("pool.purchase_discount_bps", p.purchase_discount_bps.iter().all(|d| *d <= 5_000), "at most 5,000 each")?;
        field("pool.cash_share_bps", p.cash_share_bps <= BPS, "at most 10,000")?;
        field("pool.tranche_split_bps", (1..=MAX_TRANCHES).contains(&n), "needs 1 to 3 tranches, senior first")?;
        field(
            "pool.tranche_split_bps",
            p.tranche_split_bps.iter().all(|s| *s > 0) && p.tranche_split_bps.iter().sum::<u32>() == BPS,
            "every share above 0, summing to 10,000",
        )?;
        for (name, v) in
            [("pool.coupons_bps", &p.coupons_bps), ("pool.min_subordination_bps", &p.min_subordination_bps)]
        {
            if let Some(v) = v {
                field(name, v.len() == n, "needs one value per tranche")?;
            }
        }
        if let Some(c) = &p.coupons_bps {
            field("pool.coupons_bps", c.iter().all(|c| *c <= 5_000), "at most 5,000 each")?;
        }
        if let Some(s) = &p.min_subordination_bps {
            field("pool.min_subordination_bps", s.iter().all(|s| *s < BPS as u16), "below 10,000 each")?;
        }
        // Deposits go in junior first: the split must give every tranche its subordination.
        for (i, (_, sub)) in self.tranche_terms().iter().enumerate().take(n.saturating_sub(1)) {
            let below: u32 = p.tranche_split_bps[i + 1..].iter().sum();
            field(
                "pool.tranche_split_bps",
                below >= *sub as u32,
                &format!(
                    "the tranches below the {} hold {below} bps, under its minimum subordination of {sub} \
                     (pool.min_subordination_bps)",
                    tranche_name(i as u8, n as u8)
                ),
            )?;
        }
        field("pool.reserve_share_bps", self.reserve_share_bps() <= 2_000, "at most 2,000")?;
        field("pool.holders_per_tranche", (1..=100).contains(&p.holders_per_tranche), "must be 1 to 100")?;
        field("pool.max_rate_move_bps", (1..=BPS).contains(&p.max_rate_move_bps), "must be 1 to 10,000")?;
        field("pool.max_oracle_age_secs", (60..=7 * 86_400).contains(&p.max_oracle_age_secs), "must be 60 to 604,800")?;
        field("pool.max_nav_age_secs", (60..=86_400).contains(&p.max_nav_age_secs), "must be 60 to 86,400")?;
        if let Some(cap) = p.pool_cap {
            field("pool.pool_cap", cap > p.size, "must exceed pool.size")?;
        }
        self.redemption_params().validate().map_err(|_| {
            "pool.redemption: outside the program's bounds (RedemptionParams::validate, docs/redemption.md)".to_string()
        })?;

        let r = &self.rates;
        field("rates.market_rate_bps", r.market_rate_bps <= MAX_MARKET_RATE_BPS, "at most 5,000")?;
        field(
            "rates.default_probability_bps",
            r.default_probability_bps.iter().all(|d| *d <= MAX_DEFAULT_PROBABILITY_BPS),
            "at most 5,000 each",
        )?;
        field("rates.recovery_bps", r.recovery_bps.iter().all(|x| *x <= BPS), "at most 10,000 each")?;
        self.days_within("rates.outage_days", &r.outage_days)?;

        let count = n as u8;
        let tranche = |name: String, t: &TrancheRef| {
            t.resolve(count).map(|_| ()).ok_or(format!("{name}: no tranche {t:?} in a pool of {count} tranche(s)"))
        };
        let mut with_market = Vec::new();
        for (i, m) in self.markets.iter().enumerate() {
            tranche(format!("markets[{i}].tranche"), &m.tranche)?;
            let t = self.tranche(&m.tranche);
            field(&format!("markets[{i}].tranche"), !with_market.contains(&t), "a tranche has one market")?;
            with_market.push(t);
            field(
                &format!("markets[{i}].liquidity_bps"),
                (1..=5_000).contains(&m.liquidity_bps),
                "must be 1 to 5,000",
            )?;
            m.params.apply().validate().map_err(|_| {
                format!("markets[{i}].params: outside the program's bounds (AmmParams::validate, docs/amm.md)")
            })?;
        }
        for (i, e) in self.exits.iter().enumerate() {
            tranche(format!("exits[{i}].tranche"), &e.tranche)?;
            field(&format!("exits[{i}].share_bps"), (1..=BPS).contains(&e.share_bps), "must be 1 to 10,000")?;
            self.day_span(&format!("exits[{i}]"), e.from_day, e.to_day)?;
            if let Some(h) = e.holders {
                field(
                    &format!("exits[{i}].holders"),
                    (1..=p.holders_per_tranche).contains(&h),
                    "must be 1 to pool.holders_per_tranche",
                )?;
            }
        }
        for (i, d) in self.defaults.iter().enumerate() {
            field(&format!("defaults[{i}].day"), (1..=self.days).contains(&d.day), "must be a day of the run")?;
            field(&format!("defaults[{i}].share_bps"), (1..=BPS).contains(&d.share_bps), "must be 1 to 10,000")?;
            field(&format!("defaults[{i}].recovery_bps"), d.recovery_bps <= BPS, "at most 10,000")?;
            field(&format!("defaults[{i}].recovery_days"), d.recovery_days >= 1, "at least 1")?;
        }
        let rp = &self.repayments;
        field(
            "repayments",
            rp.late_share_bps + rp.early_share_bps <= BPS,
            "late_share_bps + early_share_bps at most 10,000",
        )?;
        field("repayments.late_days", rp.late_days <= 365, "at most 365")?;
        field("repayments.early_days", rp.early_days < lo.max(1), "must be shorter than the shortest tenor")?;
        let (mut market, mut pd) = (r.market_rate_bps as i64, r.default_probability_bps.map(|x| x as i64));
        for (i, m) in self.oracle.iter().enumerate() {
            field(&format!("oracle[{i}].day"), (1..=self.days).contains(&m.day), "must be a day of the run")?;
            market += m.market_rate_change_bps as i64;
            pd.iter_mut().for_each(|x| *x += m.default_probability_change_bps as i64);
            field(
                &format!("oracle[{i}].market_rate_change_bps"),
                (0..=MAX_MARKET_RATE_BPS as i64).contains(&market),
                "moves the market rate outside 0 to 5,000",
            )?;
            field(
                &format!("oracle[{i}].default_probability_change_bps"),
                pd.iter().all(|x| (0..=MAX_DEFAULT_PROBABILITY_BPS as i64).contains(x)),
                "moves a default probability outside 0 to 5,000",
            )?;
        }
        for (i, t) in self.trades.iter().enumerate() {
            tranche(format!("trades[{i}].tranche"), &t.tranche)?;
            field(
                &format!("trades[{i}].tranche"),
                with_market.contains(&self.tranche(&t.tranche)),
                "the tranche has no market (add one under [[markets]])",
            )?;
            field(&format!("trades[{i}].base_per_day"), t.base_per_day > 0, "must be above 0")?;
            field(
                &format!("trades[{i}].max_discount_bps"),
                t.max_discount_bps <= 5_000,
                "must be at most 5,000 (50 %)",
            )?;
            field(
                &format!("trades[{i}].route"),
                t.side == Side::Sell || t.route == Route::Market,
                "only a sale has a route; a buyer buys on the market",
            )?;
            self.day_span(&format!("trades[{i}]"), t.from_day, t.to_day)?;
        }
        if let Some(a) = &self.arbitrageur {
            field("arbitrageur", !self.markets.is_empty(), "needs a market to buy on")?;
            field("arbitrageur.capital", a.capital != Some(0), "must be above 0")?;
            field("arbitrageur.min_edge_bps", a.min_edge_bps <= 2_000, "at most 2,000")?;
        }
        for (i, k) in self.keepers.iter().enumerate() {
            field(&format!("keepers[{i}].cadence_hours"), (1..=168).contains(&k.cadence_hours), "must be 1 to 168")?;
            self.days_within(&format!("keepers[{i}].outage_days"), &k.outage_days)?;
        }
        Ok(())
    }

    fn day_span(&self, name: &str, from: u32, to: Option<u32>) -> Result<(), String> {
        let to = to.unwrap_or(from);
        if 1 <= from && from <= to && to <= self.days {
            Ok(())
        } else {
            Err(format!("{name}: from_day..to_day must lie within days 1 to {}", self.days))
        }
    }

    fn days_within(&self, name: &str, days: &[u32]) -> Result<(), String> {
        match days.iter().find(|d| !(1..=self.days).contains(*d)) {
            None => Ok(()),
            Some(d) => Err(format!("{name}: day {d} is not a day of the run (1 to {})", self.days)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"x\"\ndays = 10\n";

    #[test]
    fn a_minimal_scenario_takes_the_recommended_parameters() {
        let s = Scenario::parse(MINIMAL, "minimal.toml").unwrap();
        assert_eq!(s.redemption_params(), RedemptionParams::RECOMMENDED);
        assert_eq!(s.reserve_share_bps(), RedemptionParams::RECOMMENDED.reserve_target_bps as u32);
        assert_eq!(s.tranche_terms(), vec![(800, 2_000), (1_200, 1_000), (0, 0)]);
        assert_eq!(s.keepers, vec![KeeperSpec::default()]);
        assert!(s.pool.permissioned);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let unknown = Scenario::parse("name = \"x\"\ndays = 3\n[pool]\ncash_buffer = 5\n", "a.toml").unwrap_err();
        assert!(unknown.starts_with("a.toml: ") && unknown.contains("cash_buffer"), "{unknown}");
        let split = Scenario::parse("name = \"x\"\ndays = 3\n[pool]\ntranche_split_bps = [7000, 2000]\n", "b.toml")
            .unwrap_err();
        assert_eq!(split, "b.toml: pool.tranche_split_bps: every share above 0, summing to 10,000");
        let mezzanine = "name = \"x\"\ndays = 3\n[pool]\ntranche_split_bps = [8000, 2000]\n\
                         [[exits]]\ntranche = \"mezzanine\"\nshare_bps = 100\nfrom_day = 1\n";
        let e = Scenario::parse(mezzanine, "c.toml").unwrap_err();
        assert!(e.starts_with("c.toml: exits[0].tranche: no tranche"), "{e}");
        let thin = "name = \"x\"\ndays = 3\n[pool]\ntranche_split_bps = [9000, 500, 500]\n";
        assert_eq!(
            Scenario::parse(thin, "t.toml").unwrap_err(),
            "t.toml: pool.tranche_split_bps: the tranches below the senior hold 1000 bps, under its minimum \
             subordination of 2000 (pool.min_subordination_bps)"
        );
        let params = "name = \"x\"\ndays = 3\n[pool.redemption]\ninstallments = 0\n";
        assert!(Scenario::parse(params, "d.toml").unwrap_err().starts_with("d.toml: pool.redemption:"));
        let trade = "name = \"x\"\ndays = 3\n[[trades]]\ntranche = \"senior\"\nside = \"sell\"\n\
                     base_per_day = 5\nfrom_day = 1\n";
        assert!(Scenario::parse(trade, "e.toml").unwrap_err().contains("has no market"));
    }

    #[test]
    fn overrides_replace_single_parameters() {
        let text = "name = \"x\"\ndays = 3\n[pool.redemption]\ninstallments = 5\ninstant_threshold = 2500\n";
        let p = Scenario::parse(text, "x.toml").unwrap().redemption_params();
        assert_eq!((p.installments, p.instant_threshold), (5, 2_500 * UNIT));
        assert_eq!(p.cash_floor_bps, RedemptionParams::RECOMMENDED.cash_floor_bps);
    }

    #[test]
    fn tranche_references_resolve_by_name_and_index() {
        assert_eq!(TrancheRef::Name("junior".into()).resolve(2), Some(1));
        assert_eq!(TrancheRef::Name("mezzanine".into()).resolve(2), None);
        assert_eq!(TrancheRef::Name("mezzanine".into()).resolve(3), Some(1));
        assert_eq!(TrancheRef::Index(2).resolve(3), Some(2));
        assert_eq!(TrancheRef::Index(3).resolve(3), None);
    }

    #[test]
    fn keepers_tick_on_their_cadence_except_on_outage_days() {
        let k = KeeperSpec { cadence_hours: 6, offset_hours: 2, outage_days: vec![2] };
        let hours: Vec<u32> = (0..72).filter(|h| k.ticks_at(*h)).collect();
        assert_eq!(hours, vec![2, 8, 14, 20, 50, 56, 62, 68]);
    }

    #[test]
    fn the_reference_scenarios_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        for name in ["bank-run", "slow-bleed", "rate-shock", "market-dump", "keeper-outage"] {
            let s = Scenario::load(&dir.join(format!("{name}.toml"))).unwrap();
            assert_eq!(s.name, name);
        }
    }
}
