//! The issuer's pool spec: TOML plus a CSV of initial receivables, parsed and checked
//! completely before anything is sent. Every error names its file and line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use serde::Deserialize;
use toml::Spanned;

use sluice::instructions::mints::{MAX_NAME_LEN, MAX_SYMBOL_LEN, MAX_URI_LEN};
use sluice::instructions::{AddReceivableArgs, AddTrancheArgs, ConstituentArgs, PublishRatesArgs, TrancheMetadata};
use sluice::math::dcf::{ClassRates, OverdueStep, MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use sluice::math::time::MAX_RISK_CLASSES;
use sluice::state::{
    BasketParams, PoolParams, RedemptionParams, DEFAULT_OVERDUE_STEPS, MAX_CONSTITUENTS, MAX_HAIRCUT_BPS,
    MAX_PUBLISHERS, MAX_SLEEVE_TARGET_BPS, MAX_TRANCHES, MIN_JUNIOR_HAIRCUT_BPS, OVERDUE_STEPS,
};
pub use sluice_sdk::units::{document_hash, parse_amount, parse_date};

/// A spec problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for SpecError {}

/// All problems found, in file order.
#[derive(Debug)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    pool: Spanned<RawPool>,
    base: Spanned<RawBase>,
    tranches: Spanned<Vec<Spanned<RawTranche>>>,
    oracle: Spanned<RawOracle>,
    #[serde(default)]
    members: Vec<Spanned<RawMember>>,
    #[serde(default)]
    seed: Vec<Spanned<RawSeed>>,
    receivables: Option<Spanned<RawReceivables>>,
    reserve: Option<Spanned<RawReserve>>,
    #[serde(default)]
    markets: Vec<Spanned<RawMarket>>,
    basket: Option<Spanned<RawBasket>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    id: u64,
    name: String,
    guardian: Spanned<String>,
    permissioned: bool,
    cap: Spanned<String>,
    #[serde(default = "default_oracle_age")]
    max_oracle_age_secs: u32,
    #[serde(default = "default_nav_age")]
    max_nav_age_secs: u32,
    #[serde(default = "default_rate_move")]
    max_rate_move_bps: u32,
    #[serde(default)]
    overdue: Vec<Spanned<OverdueStepSpec>>,
    #[serde(default)]
    redemption: Option<Spanned<RawRedemption>>,
}

fn default_oracle_age() -> u32 {
    2 * 86_400
}
fn default_nav_age() -> u32 {
    3_600
}
fn default_rate_move() -> u32 {
    100
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct OverdueStepSpec {
    days: u16,
    haircut_bps: u16,
}

/// Overrides of the recommended redemption parameters (`docs/redemption.md`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRedemption {
    instant_threshold: Option<String>,
    instant_fee_bps: Option<u16>,
    cash_floor_bps: Option<u16>,
    installments: Option<u8>,
    batch_interval_secs: Option<u32>,
    keeper_tip: Option<String>,
    reserve_target_bps: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBase {
    decimals: u8,
    /// An existing mint (USDC on a real cluster) …
    mint: Option<Spanned<String>>,
    /// … or a test mint created by the issuer (local clusters), with this much minted to
    /// the issuer.
    create: Option<bool>,
    mint_to_issuer: Option<Spanned<String>>,
    /// "spl-token" (default) or "token-2022": the program a created mint belongs to; with
    /// `mint`, what the existing mint must belong to (its program is read from the chain).
    token_program: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranche {
    name: String,
    coupon_bps: u16,
    min_subordination_bps: u16,
    /// Token metadata wallets show; each left out gets `default_metadata`'s value.
    token_name: Option<String>,
    symbol: Option<String>,
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOracle {
    publishers: Vec<Spanned<String>>,
    initial: Option<Spanned<RawRates>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRates {
    market_rate_bps: u32,
    classes: Vec<RawClass>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    default_probability_bps: u32,
    recovery_bps: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    wallet: Spanned<String>,
    expires: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeed {
    tranche: u8,
    amount: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceivables {
    csv: Spanned<String>,
    /// Wallet paid the funded amounts (its associated base-token account); the issuer if absent.
    pay_to: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReserve {
    fund: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarket {
    tranche: u8,
    /// Base tokens a side the issuer puts in at NAV when the market is created (its first
    /// liquidity: without it nobody can trade), with tranche tokens worth as much.
    liquidity: Option<Spanned<String>>,
}

/// A value-anchored basket over the pool's tranches (`docs/basket.md`); policy values left
/// out get `BasketParams::DEFAULT`'s.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasket {
    id: u64,
    guardian: Option<Spanned<String>>,
    sleeve_target_bps: Option<u16>,
    sleeve_band_bps: Option<u16>,
    redeem_cap_bps: Option<u16>,
    sleeve_floor_bps: Option<u16>,
    #[serde(default)]
    constituents: Vec<Spanned<RawConstituent>>,
}

/// A tranche by index (0 senior) or by its name in `[[tranches]]`.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum TrancheRef {
    Index(u8),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstituent {
    tranche: TrancheRef,
    haircut_bps: u16,
    cap_bps: u16,
    #[serde(default)]
    target_bps: u16,
    #[serde(default)]
    allow_junior: bool,
    #[serde(default = "default_true")]
    enabled: bool,
}

fn default_true() -> bool {
    true
}

// ---- the checked spec ----

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaseMint {
    /// An existing mint; its token program is read from the chain (and must be
    /// `token_program` when the spec names one).
    Existing { mint: Pubkey, token_program: Option<Pubkey> },
    /// Created under `token_program` at an address derived from the issuer and the pool id.
    Create { mint_to_issuer: u64, token_program: Pubkey },
}

/// A `[base] token_program` value: "spl-token" or "token-2022".
pub fn token_program_named(name: &str) -> Option<Pubkey> {
    match name {
        "spl-token" => Some(sluice_sdk::ix::SPL_TOKEN),
        "token-2022" => Some(sluice_sdk::ix::TOKEN_2022),
        _ => None,
    }
}

/// The name `token_program_named` reads.
pub fn token_program_name(program: &Pubkey) -> &'static str {
    if *program == sluice_sdk::ix::TOKEN_2022 {
        "token-2022"
    } else {
        "spl-token"
    }
}

#[derive(Clone, Debug)]
pub struct Tranche {
    /// The spec's own name for the tranche ("senior"), which `[basket]` refers to.
    pub name: String,
    /// Coupon, subordination and the token metadata (`args.metadata`).
    pub args: AddTrancheArgs,
}

/// Where tranche `index` of `count` stands: Senior first, Junior last (when there are two
/// or more), Mezzanine between.
pub fn seniority(index: usize, count: usize) -> &'static str {
    if index == 0 {
        "Senior"
    } else if index + 1 == count {
        "Junior"
    } else {
        "Mezzanine"
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The token metadata of tranche `index` of `count` when the spec leaves it out:
/// - name: the pool's name and the tranche's seniority, "Harbor Trade Receivables 2027-A
///   Senior" (the pool's name cut to leave room within 64 bytes);
/// - symbol: the initial of each word of the pool's name (a word starting with a digit
///   whole, its letters and digits only), upper case, then "-" and the seniority's initial:
///   "HTR2027A-S" (the prefix cut to 14 bytes; "SLC" if the name has no letters or digits);
/// - uri: empty, as the program allows: there is no off-chain JSON to point at until the
///   issuer publishes one (then give `uri`).
///
/// Name and symbol are never empty.
pub fn default_metadata(pool_name: &str, index: usize, count: usize) -> TrancheMetadata {
    let rank = seniority(index, count);
    let room = MAX_NAME_LEN - rank.len() - 1;
    let pool = truncated(pool_name.trim(), room).trim_end();
    let name = if pool.is_empty() { rank.to_string() } else { format!("{pool} {rank}") };
    let mut prefix = String::new();
    for word in pool_name.split_whitespace() {
        let kept: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
        match kept.chars().next() {
            Some(c) if c.is_ascii_digit() => prefix += &kept,
            Some(c) => prefix.push(c),
            None => {}
        }
    }
    let mut prefix = truncated(&prefix.to_ascii_uppercase(), MAX_SYMBOL_LEN - 2).to_string();
    if prefix.is_empty() {
        prefix = "SLC".into();
    }
    let symbol = format!("{prefix}-{}", &rank[..1]);
    TrancheMetadata { name, symbol, uri: String::new() }
}

#[derive(Clone, Debug)]
pub struct Member {
    pub wallet: Pubkey,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct Receivable {
    pub index: u64,
    pub line: usize,
    pub args: AddReceivableArgs,
}

/// One constituent of the spec's basket: a tranche of the spec's pool and its terms.
#[derive(Clone, Debug)]
pub struct BasketConstituent {
    pub tranche: u8,
    pub line: usize,
    pub args: ConstituentArgs,
}

/// The spec's basket, created by the issuer (its authority) as `["basket", issuer, id]`.
#[derive(Clone, Debug)]
pub struct BasketSpec {
    pub id: u64,
    pub guardian: Pubkey,
    pub params: BasketParams,
    pub constituents: Vec<BasketConstituent>,
}

/// A spec that passed every check.
#[derive(Clone, Debug)]
pub struct Spec {
    pub path: PathBuf,
    pub name: String,
    pub pool_id: u64,
    pub guardian: Pubkey,
    pub decimals: u8,
    pub base: BaseMint,
    pub params: PoolParams,
    pub tranches: Vec<Tranche>,
    pub publishers: Vec<Pubkey>,
    pub initial_rates: Option<PublishRatesArgs>,
    pub members: Vec<Member>,
    /// Issuer deposits, junior first: (tranche, amount).
    pub seed: Vec<(u8, u64)>,
    pub receivables: Vec<Receivable>,
    pub pay_to: Option<Pubkey>,
    pub receivables_csv: Option<PathBuf>,
    pub reserve_fund: u64,
    pub markets: Vec<u8>,
    /// (tranche, base tokens a side) the issuer seeds each new market with at NAV.
    pub market_liquidity: Vec<(u8, u64)>,
    pub basket: Option<BasketSpec>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

struct Checker<'a> {
    issuer: Pubkey,
    file: &'a Path,
    text: &'a str,
    errors: Vec<SpecError>,
}

impl Checker<'_> {
    fn err_at(&mut self, offset: usize, message: impl Into<String>) {
        self.errors.push(SpecError {
            file: self.file.to_path_buf(),
            line: line_of(self.text, offset),
            message: message.into(),
        });
    }

    /// An address; the word `issuer` stands for the migrating wallet.
    fn pubkey(&mut self, s: &Spanned<String>, what: &str) -> Pubkey {
        if s.get_ref() == "issuer" {
            return self.issuer;
        }
        match Pubkey::from_str(s.get_ref()) {
            Ok(k) => k,
            Err(_) => {
                self.err_at(s.span().start, format!("{what}: not an address: {:?}", s.get_ref()));
                Pubkey::default()
            }
        }
    }

    fn amount(&mut self, s: &Spanned<String>, decimals: u8, what: &str) -> u64 {
        parse_amount(s.get_ref(), decimals).unwrap_or_else(|e| {
            self.err_at(s.span().start, format!("{what}: {e}"));
            0
        })
    }
}

impl Spec {
    /// The receivables CSV, beside the spec.
    pub fn receivables_file(&self) -> PathBuf {
        self.receivables_csv.clone().unwrap_or_default()
    }

    /// Reads and checks the spec at `path` and the CSV it names. `now` (unix seconds) is
    /// the time receivable due dates must lie after; `issuer` is what the word `issuer`
    /// means where the spec expects an address.
    pub fn load(path: &Path, now: i64, issuer: &Pubkey) -> Result<Spec, SpecErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SpecErrors(vec![SpecError { file: path.to_path_buf(), line: 0, message: format!("cannot read: {e}") }])
        })?;
        Spec::parse(path, &text, now, issuer)
    }

    pub fn parse(path: &Path, text: &str, now: i64, issuer: &Pubkey) -> Result<Spec, SpecErrors> {
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            SpecErrors(vec![SpecError { file: path.to_path_buf(), line, message: e.message().to_string() }])
        })?;
        let mut c = Checker { issuer: *issuer, file: path, text, errors: Vec::new() };

        let base_span = raw.base.span().start;
        let base = raw.base.into_inner();
        let decimals = base.decimals;
        if decimals > 12 {
            c.err_at(base_span, format!("base.decimals: {decimals} is more than 12"));
        }
        let token_program = base.token_program.as_ref().and_then(|p| {
            let named = token_program_named(p.get_ref());
            if named.is_none() {
                c.err_at(
                    p.span().start,
                    format!("base.token_program: \"spl-token\" or \"token-2022\", not {:?}", p.get_ref()),
                );
            }
            named
        });
        let base_mint = match (&base.mint, base.create.unwrap_or(false)) {
            (Some(m), false) => BaseMint::Existing { mint: c.pubkey(m, "base.mint"), token_program },
            (None, true) => BaseMint::Create {
                mint_to_issuer: base
                    .mint_to_issuer
                    .as_ref()
                    .map_or(0, |a| c.amount(a, decimals, "base.mint_to_issuer")),
                token_program: token_program.unwrap_or(sluice_sdk::ix::SPL_TOKEN),
            },
            _ => {
                c.err_at(base_span, "base: give either mint = \"<address>\" or create = true");
                BaseMint::Create { mint_to_issuer: 0, token_program: sluice_sdk::ix::SPL_TOKEN }
            }
        };

        let pool_span = raw.pool.span().start;
        let pool = raw.pool.into_inner();
        let guardian = c.pubkey(&pool.guardian, "pool.guardian");
        let cap = c.amount(&pool.cap, decimals, "pool.cap");
        // A spec without a schedule gets the documented default, never an all-zero one.
        let mut steps =
            if pool.overdue.is_empty() { DEFAULT_OVERDUE_STEPS } else { [OverdueStep::default(); OVERDUE_STEPS] };
        if pool.overdue.len() > OVERDUE_STEPS {
            c.err_at(pool_span, format!("pool.overdue: at most {OVERDUE_STEPS} steps"));
        }
        for (slot, s) in steps.iter_mut().zip(&pool.overdue) {
            let v = *s.get_ref();
            *slot = OverdueStep { days: v.days, haircut_bps: v.haircut_bps };
        }
        let mut redemption = RedemptionParams::RECOMMENDED;
        if let Some(r) = &pool.redemption {
            let at = r.span().start;
            let r = r.get_ref();
            if let Some(a) = &r.instant_threshold {
                redemption.instant_threshold = parse_amount(a, decimals).unwrap_or_else(|e| {
                    c.err_at(at, format!("pool.redemption.instant_threshold: {e}"));
                    0
                });
            }
            if let Some(a) = &r.keeper_tip {
                redemption.keeper_tip = parse_amount(a, decimals).unwrap_or_else(|e| {
                    c.err_at(at, format!("pool.redemption.keeper_tip: {e}"));
                    0
                });
            }
            redemption.instant_fee_bps = r.instant_fee_bps.unwrap_or(redemption.instant_fee_bps);
            redemption.cash_floor_bps = r.cash_floor_bps.unwrap_or(redemption.cash_floor_bps);
            redemption.installments = r.installments.unwrap_or(redemption.installments);
            redemption.batch_interval_secs = r.batch_interval_secs.unwrap_or(redemption.batch_interval_secs);
            redemption.reserve_target_bps = r.reserve_target_bps.unwrap_or(redemption.reserve_target_bps);
        }
        let params = PoolParams {
            max_oracle_age_secs: pool.max_oracle_age_secs,
            max_nav_age_secs: pool.max_nav_age_secs,
            max_rate_move_bps: pool.max_rate_move_bps,
            pool_cap: cap,
            permissioned: pool.permissioned,
            overdue_steps: steps,
            redemption,
        };
        // The program's own bounds, checked here so a bad value never reaches the chain.
        if params.validate().is_err() {
            let at = pool.redemption.as_ref().map_or(pool_span, |r| r.span().start);
            c.err_at(
                at,
                "pool parameters out of the program's bounds (ages, rate move, overdue steps ascending, \
                 redemption thresholds: see docs/redemption.md)",
            );
        }

        let tranches_span = raw.tranches.span().start;
        let raw_tranches = raw.tranches.into_inner();
        if raw_tranches.is_empty() || raw_tranches.len() > MAX_TRANCHES {
            c.err_at(tranches_span, format!("tranches: 1 to {MAX_TRANCHES}, senior first, junior last"));
        }
        let mut tranches = Vec::new();
        for (i, t) in raw_tranches.iter().enumerate() {
            let v = t.get_ref();
            if v.coupon_bps > sluice::instructions::MAX_COUPON_BPS || v.min_subordination_bps > 10_000 {
                c.err_at(t.span().start, format!("tranche {}: coupon or subordination out of bounds", v.name));
            }
            let d = default_metadata(&pool.name, i, raw_tranches.len());
            let metadata = TrancheMetadata {
                name: v.token_name.clone().unwrap_or(d.name),
                symbol: v.symbol.clone().unwrap_or(d.symbol),
                uri: v.uri.clone().unwrap_or(d.uri),
            };
            if !(1..=MAX_NAME_LEN).contains(&metadata.name.len()) {
                c.err_at(t.span().start, format!("tranche {}: token_name must be 1 to {MAX_NAME_LEN} bytes", v.name));
            }
            if !(1..=MAX_SYMBOL_LEN).contains(&metadata.symbol.len()) {
                c.err_at(t.span().start, format!("tranche {}: symbol must be 1 to {MAX_SYMBOL_LEN} bytes", v.name));
            }
            if metadata.uri.len() > MAX_URI_LEN {
                c.err_at(t.span().start, format!("tranche {}: uri must be at most {MAX_URI_LEN} bytes", v.name));
            }
            let args =
                AddTrancheArgs { coupon_bps: v.coupon_bps, min_subordination_bps: v.min_subordination_bps, metadata };
            tranches.push(Tranche { name: v.name.clone(), args });
        }

        let oracle_span = raw.oracle.span().start;
        let oracle = raw.oracle.into_inner();
        if oracle.publishers.is_empty() || oracle.publishers.len() > MAX_PUBLISHERS {
            c.err_at(oracle_span, format!("oracle.publishers: 1 to {MAX_PUBLISHERS} addresses"));
        }
        let publishers: Vec<Pubkey> = oracle.publishers.iter().map(|p| c.pubkey(p, "oracle.publishers")).collect();
        let initial_rates = oracle.initial.as_ref().map(|r| {
            let at = r.span().start;
            let r = r.get_ref();
            if r.classes.len() != MAX_RISK_CLASSES {
                c.err_at(at, format!("oracle.initial.classes: exactly {MAX_RISK_CLASSES} risk classes"));
            }
            if r.market_rate_bps > MAX_MARKET_RATE_BPS
                || r.classes
                    .iter()
                    .any(|k| k.default_probability_bps > MAX_DEFAULT_PROBABILITY_BPS || k.recovery_bps > 10_000)
            {
                c.err_at(at, "oracle.initial: a rate is outside the oracle's bounds");
            }
            let mut classes = [ClassRates { default_probability_bps: 0, recovery_bps: 0 }; MAX_RISK_CLASSES];
            for (slot, k) in classes.iter_mut().zip(&r.classes) {
                *slot = ClassRates { default_probability_bps: k.default_probability_bps, recovery_bps: k.recovery_bps };
            }
            PublishRatesArgs { sequence: 1, market_rate_bps: r.market_rate_bps, classes }
        });

        let mut members = Vec::new();
        for m in &raw.members {
            let v = m.get_ref();
            let wallet = c.pubkey(&v.wallet, "members.wallet");
            let expires_at = parse_date(v.expires.get_ref()).unwrap_or_else(|e| {
                c.err_at(v.expires.span().start, format!("members.expires: {e}"));
                0
            });
            if expires_at != 0 && expires_at <= now {
                c.err_at(v.expires.span().start, format!("members.expires: {} is in the past", v.expires.get_ref()));
            }
            if members.iter().any(|x: &Member| x.wallet == wallet) {
                c.err_at(m.span().start, format!("members: {wallet} listed twice"));
            }
            members.push(Member { wallet, expires_at });
        }

        let mut seed = Vec::new();
        for s in &raw.seed {
            let v = s.get_ref();
            if v.tranche as usize >= tranches.len().max(1) {
                c.err_at(s.span().start, format!("seed.tranche: no tranche {}", v.tranche));
            }
            let amount = c.amount(&v.amount, decimals, "seed.amount");
            seed.push((v.tranche, amount));
        }
        // Junior first: each senior layer needs its cushion in place.
        seed.sort_by_key(|s| std::cmp::Reverse(s.0));
        let seeded: u64 = seed.iter().map(|s| s.1).sum();
        if seeded > cap {
            c.err_at(pool_span, "pool.cap is below the seed deposits");
        }

        let (mut receivables, mut pay_to, mut receivables_csv) = (Vec::new(), None, None);
        if let Some(r) = &raw.receivables {
            let at = r.span().start;
            let r = r.get_ref();
            pay_to = r.pay_to.as_ref().map(|p| c.pubkey(p, "receivables.pay_to"));
            let csv_path = path.parent().unwrap_or(Path::new(".")).join(r.csv.get_ref());
            receivables_csv = Some(csv_path.clone());
            match std::fs::read_to_string(&csv_path) {
                Ok(csv) => match parse_receivables(&csv_path, &csv, decimals, now) {
                    Ok(rows) => receivables = rows,
                    Err(mut es) => c.errors.append(&mut es),
                },
                Err(e) => {
                    c.err_at(r.csv.span().start, format!("receivables.csv: cannot read {}: {e}", csv_path.display()))
                }
            }
            let funded: u64 = receivables.iter().map(|r| r.args.funded).sum();
            if funded > seeded {
                c.err_at(at, format!("receivables fund {funded} base units but the seed deposits bring only {seeded}"));
            }
            if !receivables.is_empty() && initial_rates.is_none() {
                c.err_at(at, "receivables need [oracle.initial] rates: deposits require a priced pool");
            }
        }
        if !seed.is_empty() && initial_rates.is_none() {
            c.err_at(oracle_span, "seed deposits need [oracle.initial] rates: deposits require a priced pool");
        }

        let reserve_fund = raw.reserve.as_ref().map_or(0, |r| c.amount(&r.get_ref().fund, decimals, "reserve.fund"));
        let mut markets = Vec::new();
        let mut market_liquidity = Vec::new();
        for m in &raw.markets {
            let t = m.get_ref().tranche;
            if t as usize >= tranches.len() {
                c.err_at(m.span().start, format!("markets.tranche: no tranche {t}"));
            }
            markets.push(t);
            if let Some(l) = &m.get_ref().liquidity {
                let base = c.amount(l, decimals, "markets.liquidity");
                let seeded = seed.iter().find(|s| s.0 == t).map_or(0, |s| s.1);
                if base > seeded {
                    c.err_at(
                        m.span().start,
                        format!("markets.liquidity: tranche {t}'s market needs tranche tokens from a [[seed]] deposit into it worth as much"),
                    );
                }
                market_liquidity.push((t, base));
            }
        }

        let basket = raw.basket.as_ref().map(|b| check_basket(&mut c, b, &tranches));

        if !c.errors.is_empty() {
            c.errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(SpecErrors(c.errors));
        }
        Ok(Spec {
            path: path.to_path_buf(),
            name: pool.name,
            pool_id: pool.id,
            guardian,
            decimals,
            base: base_mint,
            params,
            tranches,
            publishers,
            initial_rates,
            members,
            seed,
            receivables,
            pay_to,
            receivables_csv,
            reserve_fund,
            markets,
            market_liquidity,
            basket,
        })
    }
}

/// The `[basket]` section against the program's own bounds (`BasketParams::validate`, and
/// the constituent terms `add_constituent` checks), so a bad value never reaches the chain.
fn check_basket(c: &mut Checker, b: &Spanned<RawBasket>, tranches: &[Tranche]) -> BasketSpec {
    let at = b.span().start;
    let b = b.get_ref();
    let guardian = b.guardian.as_ref().map_or(c.issuer, |g| c.pubkey(g, "basket.guardian"));
    let d = BasketParams::DEFAULT;
    let params = BasketParams {
        sleeve_target_bps: b.sleeve_target_bps.unwrap_or(d.sleeve_target_bps),
        sleeve_band_bps: b.sleeve_band_bps.unwrap_or(d.sleeve_band_bps),
        redeem_cap_bps: b.redeem_cap_bps.unwrap_or(d.redeem_cap_bps),
        sleeve_floor_bps: b.sleeve_floor_bps.unwrap_or(d.sleeve_floor_bps),
    };
    if params.validate().is_err() {
        c.err_at(
            at,
            format!(
                "basket: sleeve policy out of the program's bounds (sleeve_target_bps {} at most {MAX_SLEEVE_TARGET_BPS}, \
                 sleeve_band_bps {} at most the target, sleeve_floor_bps {} at most target − band, \
                 redeem_cap_bps {} at most 10000; left-out values are BasketParams::DEFAULT's)",
                params.sleeve_target_bps, params.sleeve_band_bps, params.sleeve_floor_bps, params.redeem_cap_bps
            ),
        );
    }
    if b.constituents.len() > MAX_CONSTITUENTS {
        c.err_at(at, format!("basket.constituents: at most {MAX_CONSTITUENTS}"));
    }
    let mut constituents: Vec<BasketConstituent> = Vec::new();
    for k in &b.constituents {
        let kat = k.span().start;
        let v = k.get_ref();
        let tranche = match &v.tranche {
            TrancheRef::Index(i) if (*i as usize) < tranches.len() => Some(*i),
            TrancheRef::Name(n) => tranches.iter().position(|t| &t.name == n).map(|i| i as u8),
            TrancheRef::Index(_) => None,
        };
        let Some(tranche) = tranche else {
            let named = match &v.tranche {
                TrancheRef::Index(i) => i.to_string(),
                TrancheRef::Name(n) => format!("{n:?}"),
            };
            c.err_at(kat, format!("basket.constituents.tranche: no tranche {named}"));
            continue;
        };
        let name = &tranches[tranche as usize].name;
        if constituents.iter().any(|x| x.tranche == tranche) {
            c.err_at(kat, format!("basket.constituents: tranche {tranche} ({name}) listed twice"));
        }
        if v.haircut_bps > MAX_HAIRCUT_BPS {
            c.err_at(kat, format!("basket constituent {name}: haircut_bps {} above {MAX_HAIRCUT_BPS}", v.haircut_bps));
        }
        if !(1..=10_000).contains(&v.cap_bps) {
            c.err_at(kat, format!("basket constituent {name}: cap_bps {} not within 1 to 10000", v.cap_bps));
        }
        if v.target_bps > v.cap_bps {
            c.err_at(
                kat,
                format!("basket constituent {name}: target_bps {} above its cap_bps {}", v.target_bps, v.cap_bps),
            );
        }
        let junior = tranche as usize + 1 == tranches.len();
        if junior && !(v.allow_junior && v.haircut_bps >= MIN_JUNIOR_HAIRCUT_BPS) {
            c.err_at(
                kat,
                format!(
                    "basket constituent {name}: the junior tranche takes first losses; it needs allow_junior = true \
                     and haircut_bps of at least {MIN_JUNIOR_HAIRCUT_BPS}"
                ),
            );
        }
        let args = ConstituentArgs {
            haircut_bps: v.haircut_bps,
            cap_bps: v.cap_bps,
            target_bps: v.target_bps,
            allow_junior: v.allow_junior,
            enabled: v.enabled,
        };
        constituents.push(BasketConstituent { tranche, line: line_of(c.text, kat), args });
    }
    let targets: u32 =
        constituents.iter().map(|k| k.args.target_bps as u32).sum::<u32>() + params.sleeve_target_bps as u32;
    if targets > 10_000 {
        c.err_at(
            at,
            format!("basket: constituent target_bps and sleeve_target_bps add up to {targets}, more than 10000"),
        );
    }
    BasketSpec { id: b.id, guardian, params, constituents }
}

/// Columns of the receivables CSV.
pub const CSV_HEADER: [&str; 6] = ["index", "face_value", "funded", "due_date", "risk_class", "document"];

fn parse_receivables(path: &Path, text: &str, decimals: u8, now: i64) -> Result<Vec<Receivable>, Vec<SpecError>> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut err = |line: usize, message: String| errors.push(SpecError { file: path.to_path_buf(), line, message });
    let mut lines =
        text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, header)) if header.split(',').map(str::trim).eq(CSV_HEADER) => {}
        Some((line, _)) => err(line, format!("header must be: {}", CSV_HEADER.join(","))),
        None => err(1, "empty file".into()),
    }
    for (line, text) in lines {
        let cols: Vec<&str> = text.split(',').map(str::trim).collect();
        if cols.len() != CSV_HEADER.len() {
            err(line, format!("expected {} columns, found {}", CSV_HEADER.len(), cols.len()));
            continue;
        }
        let index: u64 = match cols[0].parse() {
            Ok(i) => i,
            Err(_) => {
                err(line, format!("index: not a number: {:?}", cols[0]));
                continue;
            }
        };
        if index != rows.len() as u64 {
            err(line, format!("index: expected {} (receivables are numbered 0, 1, 2, … in order)", rows.len()));
        }
        let amount = |col: usize, name: &str| parse_amount(cols[col], decimals).map_err(|e| format!("{name}: {e}"));
        let (face, funded) = match (amount(1, "face_value"), amount(2, "funded")) {
            (Ok(f), Ok(d)) => (f, d),
            (Err(e), _) | (_, Err(e)) => {
                err(line, e);
                continue;
            }
        };
        if funded == 0 || funded > face {
            err(line, format!("funded must be above 0 and at most face_value ({})", cols[1]));
        }
        let due_ts = match parse_date(cols[3]) {
            Ok(t) => t,
            Err(e) => {
                err(line, format!("due_date: {e}"));
                continue;
            }
        };
        if due_ts <= now {
            err(line, format!("due_date: {} is not in the future", cols[3]));
        }
        let risk_class = match cols[4].parse::<u8>() {
            Ok(k) if (k as usize) < MAX_RISK_CLASSES => k,
            _ => {
                err(line, format!("risk_class: 0 to {} expected, found {:?}", MAX_RISK_CLASSES - 1, cols[4]));
                continue;
            }
        };
        let args =
            AddReceivableArgs { face_value: face, funded, due_ts, risk_class, document_hash: document_hash(cols[5]) };
        rows.push(Receivable { index, line, args });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}
