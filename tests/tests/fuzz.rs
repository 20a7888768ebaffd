//! Stateful fuzzing of Sluice on the embedded bank.
//!
//! Each sequence sets up the fixture's three-tranche pool (queues, a funded reserve, a few
//! receivables, deposits from every investor), a senior market seeded near NAV, and a
//! value-anchored basket of the senior and (20 % haircut) the junior, and then runs seeded
//! random steps, each one transaction (a few instructions in one for the same-transaction
//! tricks):
//! - honest investors deposit, redeem instantly, request, cancel, claim and take their
//!   parked claims (now and then one already taken: refused);
//! - honest investors swap on the senior market both ways (now and then a dump of a fifth
//!   of the curve left to stand for hours, so the reserve may buy back), add and remove
//!   liquidity; anyone cranks `reserve_buyback`, `sweep_market_fees` and
//!   `update_stage_with_markets`;
//! - honest investors exchange tranche tokens into the basket and basket tokens out, in
//!   then straight out of what they received, and redeem basket tokens from the sleeve; a
//!   keeper cranks the basket's `rebalance` (now and then on a constituent the rule did not
//!   pick), which queues the basket's own requests, collects them and deposits surpluses;
//! - the guardian pauses now and then and unpauses soon after (a stranger's pause is
//!   refused);
//! - a keeper reprices, cranks batches with random chunk sizes, pushes claims, updates the
//!   stage (with and without the market), recycles the reserve (mostly a tranche whose
//!   tokens it holds), writes down overdue receivables (mostly ones past the schedule's
//!   first step) and parks the queues' front claims;
//! - the issuer funds, repays and writes down receivables and funds the reserve;
//! - the oracle publishes rates moved at random within (now and then beyond) the bound
//!   around its 24 h window's anchor rates;
//! - an attacker donates raw tokens to the escrows, the vault and the reserve, sends
//!   1-raw-unit requests (from a second wallet holding 1 unit), substitutes other holders'
//!   accounts, requests and cancels in one transaction, deposits and redeems in one, and
//!   cranks at bad times.
//!
//! Time jumps of seconds to days come between steps, each followed by a publish and a
//! reprice, as a keeper would; now and then a month or more passes, after which the keeper
//! also writes down what is overdue, cranks each queue and parks the fronts' unclaimed
//! claims (`PARK_AFTER_SECS`). Every sequence starts at the same instant, so a seed replays
//! exactly.
//!
//! After every transaction the harness checks, and counts a violation for each failure:
//! - a refusal is a named Sluice error other than `InvariantViolated` and `MathOverflow`
//!   (a transaction that substitutes accounts may also be refused by Anchor or SPL Token,
//!   and must be refused);
//! - pause: while paused, deposits, instant exits, requests, batches, recycling, buy-backs,
//!   reserve withdrawals, fundings and exchanges in are never accepted; `PoolPaused` refuses
//!   nothing else (cancels, claims, reprices, trades go on) and nothing while unpaused;
//! - the pool's accounting: `Pool::invariant`, each tranche's supply against its mint,
//!   vault ≥ cash + claimable + fee pot, escrow = queued + reserve tokens + donations,
//!   reserve vault ≥ reserve balance, the queues' sums against the pool's, and
//!   `Pool::claimable` = the requests' claimable + parked claims not yet taken (a parked
//!   record holds the request's owner and value, and is paid once);
//! - the market: k of the curve (vaults less `Amm::set_aside_*`) never falls, except as
//!   liquidity leaves, and then √k per LP token does not fall; vaults ≥ fees set aside; the
//!   LP mint's supply + the locked `MIN_LIQUIDITY` = `Amm::lp_supply`, all in known accounts;
//! - the basket: each vault ≥ its `held`, the sleeve ≥ its balance, the mint's supply =
//!   `Basket::supply`, all in known accounts; an exchange in followed at once by an exchange
//!   out of the tokens received returns no more value at NAV than went in; a sleeve
//!   redemption never lowers the basket's price; a rebalance changes the basket's value by
//!   at most the deposit's rounding;
//! - conservation: the base mint's supply moves only by the harness's own mints and the
//!   known base-token accounts (market and basket vaults included) hold all of it; every
//!   tranche token is in a known account (market, basket and protocol-fee accounts
//!   included);
//! - honest investors: tokens held plus tokens queued fall only by their own instant exits,
//!   which pay exactly the quoted value less the fee, or by batch fills, which pay at least
//!   the lower of the batch price and the price before the fill, less the reserve's
//!   discount (a unit of rounding per request); base plus claimable falls only by their own
//!   deposits, which mint exactly the quote; claimable includes their parked claims; LP and
//!   basket tokens fall only by their own actions (their own trades and exchanges are
//!   checked through k and the round trip, not here).
//!
//! At the end of each sequence the pool is unpaused, owners take their parked claims, the
//! issuer repays everything outstanding and a keeper drains the queues day by day (publish,
//! reprice, update the stage with the market, crank, push claims). Tokens
//! still queued must be explained by a worthless tranche, a senior's subordination or the
//! cash floor; otherwise the queue failed to drain with the cash in hand (whatever the
//! stage), which is a violation.
//!
//! `scripts/fuzz.sh N` runs N further sequences (the ignored `long_run`).
#![allow(deprecated)]

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator};
use sluice::instruction as si;
use sluice::instructions::{
    buyback_price, instant_payout, open_requests, AddReceivableArgs, BasketSwapArgs, ConstituentArgs, CreateBasketArgs,
    DepositArgs, ExchangeInArgs, ExchangeOutArgs, PublishRatesArgs, RebalanceAction, RedeemBasketArgs,
    RedeemInstantArgs, SwapArgs,
};
use sluice::math::allocation::{allocate, value_of};
use sluice::math::amm::MIN_LIQUIDITY;
use sluice::math::basket::holding_value;
use sluice::math::dcf::{MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use sluice::math::time::{BPS, SECONDS_PER_DAY};
use sluice::state::{
    Amm, AmmParams, Basket, ParkedClaim, Pool, ReceivableStatus, RedemptionQueue, Request, Stage, PARK_AFTER_SECS,
    QUEUE_CAPACITY, RATE_WINDOW_SECS,
};
use sluice::state::{BasketMarketParams, BasketParams, InFlight};
use sluice_sdk::chain::{Chain, ChainError, DevChain, ERROR_OFFSET};
use sluice_sdk::ix::{AmmKeys, BasketKeys, BasketMarketKeys, BasketTrader, PoolKeys, Trader};
use sluice_sdk::{client, errors, ix, pda, preview};
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;
const TRANCHES: usize = 3;
/// Wallets 0..HONEST are honest investors; then the attacker and its 1-unit wallet.
const HONEST: usize = 3;
const ATTACKER: usize = HONEST;
const DUST: usize = HONEST + 1;
/// 2040-01-01 01:00 UTC.
const START: i64 = 2_208_988_800 + 3_600;
/// Most days the final drain runs, and of those, most once the queues are empty.
const DRAIN_ROUNDS: usize = 30;
const SETTLE_ROUNDS: usize = 8;
/// A sequence stops early once it has found this many violations.
const MAX_VIOLATIONS: usize = 10;
/// The basket's constituents, in its order: the senior, then the junior with a 20 % haircut.
const BASKET_TRANCHES: [usize; 2] = [SENIOR as usize, JUNIOR as usize];
const BASKET_TERMS: [ConstituentArgs; 2] = [
    ConstituentArgs { haircut_bps: 200, cap_bps: 10_000, target_bps: 6_000, allow_junior: false, enabled: true },
    ConstituentArgs { haircut_bps: 2_000, cap_bps: 3_000, target_bps: 2_000, allow_junior: true, enabled: true },
];

/// Whether a pause must refuse `ix` (`PoolPaused`): every movement of value priced at the
/// NAV or at the reserve's expense.
fn refused_while_paused(ix: &Instruction) -> bool {
    let held: [&[u8]; 9] = [
        si::Deposit::DISCRIMINATOR,
        si::RedeemInstant::DISCRIMINATOR,
        si::RequestRedemption::DISCRIMINATOR,
        si::ProcessBatch::DISCRIMINATOR,
        si::RecycleReserve::DISCRIMINATOR,
        si::ReserveBuyback::DISCRIMINATOR,
        si::WithdrawReserve::DISCRIMINATOR,
        si::AddReceivable::DISCRIMINATOR,
        si::ExchangeIn::DISCRIMINATOR,
    ];
    ix.program_id == sluice::ID && held.iter().any(|d| ix.data.starts_with(d))
}

/// A claim moved out of its queue by `park_claim`.
#[derive(Clone, Copy, Debug)]
struct Parked {
    tranche: u8,
    id: u64,
    owner: Pubkey,
    amount: u64,
    /// Taken by its owner (the record is closed).
    claimed: bool,
}

/// The market, the basket and the accounts of theirs the checks read.
struct Venues {
    amm: AmmKeys,
    /// Honest investors' LP and basket-token accounts.
    lp: Vec<Pubkey>,
    basket: BasketKeys,
    basket_accounts: Vec<Pubkey>,
    /// The basket token's market, seeded by honest investor 1.
    basket_market: BasketMarketKeys,
    /// The pool authority's senior account: the market's protocol fees in tranche tokens.
    protocol_tranche: Pubkey,
}

/// splitmix64: small, seedable, and plenty for choosing actions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// An amount in `1..=max` spread over magnitudes (log-uniform); 0 when `max` is 0.
    fn amount(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let bits = self.range(1, 64 - max.leading_zeros() as u64);
        let cap = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        self.range(1, cap.min(max))
    }

    /// A size in `1..=max` (0 when `max` is 0): mostly whole base units spread over
    /// magnitudes, now and then raw dust.
    fn size(&mut self, max: u64) -> u64 {
        if max < UNIT || self.chance(10) {
            self.amount(max)
        } else {
            self.amount(max / UNIT) * UNIT
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.range(0, items.len() as u64 - 1) as usize])
    }
}

/// What the runs did and found.
#[derive(Debug, Default)]
pub struct Report {
    pub sequences: u64,
    pub transactions: u64,
    pub accepted: u64,
    pub refused: u64,
    pub violations: Vec<String>,
    /// Per instruction (or same-transaction combination): accepted, refused.
    pub by_instruction: BTreeMap<&'static str, (u64, u64)>,
    /// Per instruction: how often each error refused it.
    pub refusals: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Sequences whose final drain emptied every queue.
    pub drained: u64,
    /// Why a final drain left tokens queued, with how many sequences ended so.
    pub queue_stops: BTreeMap<String, u64>,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.sequences += other.sequences;
        self.transactions += other.transactions;
        self.accepted += other.accepted;
        self.refused += other.refused;
        self.drained += other.drained;
        self.violations.extend(other.violations);
        for (name, (a, r)) in other.by_instruction {
            let t = self.by_instruction.entry(name).or_default();
            t.0 += a;
            t.1 += r;
        }
        for (name, errors) in other.refusals {
            for (error, n) in errors {
                *self.refusals.entry(name).or_default().entry(error).or_default() += n;
            }
        }
        for (why, n) in other.queue_stops {
            *self.queue_stops.entry(why).or_default() += n;
        }
    }

    /// Per-instruction counts with the commonest refusals, the drains, and last the line
    /// `fuzz: S sequences, T transactions, V violations`.
    fn summary(&self) -> String {
        let mut s = String::from("fuzz summary (per instruction: accepted, refused, commonest refusals):\n");
        for (name, (a, r)) in &self.by_instruction {
            let mut errors: Vec<(&String, &u64)> = self.refusals.get(name).into_iter().flatten().collect();
            errors.sort_by(|x, y| y.1.cmp(x.1));
            let top: Vec<String> = errors.iter().take(3).map(|(e, n)| format!("{e} {n}")).collect();
            s += &format!("  {name:<30} {a:>6} accepted {r:>6} refused  {}\n", top.join(", "));
        }
        s += &format!("  {} accepted, {} refused\n", self.accepted, self.refused);
        s += &format!("  drain emptied every queue in {} of {} sequences\n", self.drained, self.sequences);
        for (why, n) in &self.queue_stops {
            s += &format!("  drain stopped ({n}×): {why}\n");
        }
        s + &format!(
            "fuzz: {} sequences, {} transactions, {} violations",
            self.sequences,
            self.transactions,
            self.violations.len()
        )
    }
}

/// How a transaction may end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Accepted, or refused with a named Sluice error.
    Open,
    /// Must be refused, with a named Sluice error.
    Refused,
    /// Substitutes an account: must be refused, by Sluice, Anchor or SPL Token.
    Substituted,
}

/// What a transaction should do to the harness's own books.
#[derive(Clone, Copy)]
enum Effect {
    None,
    /// Honest investor `h` deposits `amount` into `tranche`.
    Deposit {
        h: usize,
        tranche: usize,
        amount: u64,
    },
    /// Honest investor `h` redeems `tokens` of `tranche` instantly.
    Instant {
        h: usize,
        tranche: usize,
        tokens: u64,
    },
    /// Honest investor `h` moves value between its own places (request, cancel, claim).
    Neutral {
        h: usize,
    },
    /// Honest investor `h` trades on the market or with the basket: its own holdings move
    /// at prices the checks do not model (swaps are checked through k, exchanges through
    /// the round trip).
    Market {
        h: usize,
    },
    /// The attacker sends `amount` tranche tokens straight to the escrow.
    Donate {
        tranche: usize,
        amount: u64,
    },
    /// The harness mints `amount` base tokens.
    Mint {
        amount: u64,
    },
    /// A keeper parks this claim.
    Park(Parked),
    /// Wallet `h` takes its parked claim `index` (of `Harness::parked`).
    TakeParked {
        h: usize,
        index: usize,
    },
}

/// The outcome of one transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    Accepted,
    /// Refused with this program error code.
    Refused(u32),
    /// Failed outside any program error (already counted as a violation).
    Broken,
}

/// An investor-like wallet as the checks see it.
#[derive(Clone, Copy, Debug, Default)]
struct Wallet {
    held: [u64; TRANCHES],
    /// Remaining tokens of its live requests, and how many live requests it has.
    queued: [u64; TRANCHES],
    requests: [u64; TRANCHES],
    base: u64,
    /// Claimable value of its requests and of its parked claims.
    claimable: u64,
    /// LP tokens and basket tokens (honest investors only).
    lp: u64,
    basket: u64,
}

impl Wallet {
    fn tokens(&self, t: usize) -> u64 {
        self.held[t] + self.queued[t]
    }

    fn paid(&self) -> u64 {
        self.base + self.claimable
    }
}

/// Everything the checks read after a transaction.
struct Snapshot {
    pool: Pool,
    queues: Vec<Box<RedemptionQueue>>,
    base_supply: u64,
    tranche_supply: [u64; TRANCHES],
    vault: u64,
    reserve: u64,
    escrow: [u64; TRANCHES],
    issuer: u64,
    /// The borrower's and the keeper's base balances.
    others: u64,
    wallets: Vec<Wallet>,
    amm: Amm,
    /// The market's tranche and base vaults, and its LP mint's supply.
    amm_vaults: (u64, u64),
    /// The basket market's basket-token and base vaults.
    basket_market_vaults: (u64, u64),
    lp_supply: u64,
    basket: Basket,
    /// The basket's vault of each constituent, its mint's supply, its sleeve.
    basket_vaults: [u64; 2],
    basket_supply: u64,
    sleeve: u64,
    protocol_tranche: u64,
    /// Value of the parked claims not yet taken.
    parked: u64,
}

impl Snapshot {
    /// The live requests of tranche `t`, with their ids.
    fn live(&self, t: usize) -> impl Iterator<Item = (u64, &Request)> {
        let tr = &self.pool.tranches[t];
        (tr.queue_head..tr.queue_tail)
            .map(move |id| (id, &self.queues[t].requests[(id % QUEUE_CAPACITY as u64) as usize]))
    }

    fn queued_tokens(&self) -> u64 {
        self.pool.tranches.iter().map(|t| t.queued_tokens).sum()
    }

    /// The curve's reserves: vault balances less the fees set aside (saturating).
    fn curve(&self) -> (u64, u64) {
        (
            self.amm_vaults.0.saturating_sub(self.amm.set_aside_tranche()),
            self.amm_vaults.1.saturating_sub(self.amm.set_aside_base()),
        )
    }

    /// The basket as a client reads it: its pools and what its open requests hold.
    fn basket_view(&self, v: &Venues) -> client::BasketView {
        let mut flights = [InFlight::default(); sluice::state::MAX_CONSTITUENTS];
        for (j, c) in open_requests(&self.basket) {
            let r = self.queues[c.tranche as usize].slot(c.request_id);
            flights[j] = InFlight { tokens: r.remaining, cash: r.claimable };
        }
        let pools = vec![self.pool.clone(); self.basket.active().len()];
        client::BasketView { address: v.basket.basket, basket: self.basket.clone(), pools, flights }
    }

    /// The basket's value and supply, where its constituents' NAV is fresh at `now`.
    fn basket_priced(&self, v: &Venues, now: i64) -> Option<(u64, u64)> {
        let view = self.basket_view(v);
        view.value(now).ok().map(|(value, _)| (value, view.basket.supply))
    }

    /// Value at NAV of tranche tokens and base: what an exchange takes or returns.
    fn worth(&self, tokens: [u64; TRANCHES], base: u64) -> u64 {
        let t = &self.pool.tranches;
        (0..TRANCHES).map(|i| holding_value(tokens[i], t[i].value, t[i].supply)).sum::<u64>() + base
    }
}

/// Honest investor `h`'s side of the senior market.
fn trader(inv: &Investor, v: &Venues, h: usize) -> Trader {
    Trader {
        user: inv.wallet.pubkey(),
        tranche_account: inv.tranches[SENIOR as usize],
        base_account: inv.base,
        lp_account: Some(v.lp[h]),
        member: None,
    }
}

/// Honest investor `h` gives tokens of basket constituent `args.index`; `open` are the
/// queues of the basket's open requests.
fn exchange_in_ix(
    keys: &PoolKeys,
    inv: &Investor,
    v: &Venues,
    h: usize,
    args: ExchangeInArgs,
    open: &[Pubkey],
) -> Instruction {
    let t = BASKET_TRANCHES[args.index as usize];
    ix::exchange_in(
        &inv.wallet.pubkey(),
        &v.basket,
        &keys.tranche_mint(t as u8),
        &inv.tranches[t],
        &v.basket_accounts[h],
        None,
        &[&[keys.pool, keys.pool], open].concat(),
        args,
    )
}

/// Honest investor `h` burns `tokens` basket tokens for its slices, into its own accounts.
/// As a client sends it: the basket's paid requests collected first, in the same
/// transaction (`view`: the basket as last read).
fn exchange_out_ixs(
    keys: &PoolKeys,
    inv: &Investor,
    v: &Venues,
    h: usize,
    tokens: u64,
    view: &client::BasketView,
) -> Vec<Instruction> {
    let slices: Vec<(Pubkey, Pubkey)> =
        BASKET_TRANCHES.iter().map(|&t| (keys.tranche_mint(t as u8), inv.tranches[t])).collect();
    let args = ExchangeOutArgs { tokens, min_outs: vec![0; 3] };
    let (mut ixs, after) = ix::collect_all(&inv.wallet.pubkey(), &v.basket, view);
    let open = after.open_queues();
    ixs.push(ix::exchange_out(&inv.wallet.pubkey(), &v.basket, &v.basket_accounts[h], &inv.base, &slices, &open, args));
    ixs
}

fn is_batch(ix: &Instruction) -> bool {
    ix.program_id == sluice::ID && errors::instruction_name(&ix.data) == Some("process_batch")
}

/// The error's name from the IDL, or its number: Sluice's errors newer than the committed
/// IDL, and Anchor's and SPL Token's.
fn error_name(code: u32) -> String {
    match errors::lookup(code) {
        Some(e) => e.name.clone(),
        None if code >= ERROR_OFFSET => format!("Sluice error {code}"),
        None => format!("Anchor/SPL error {code}"),
    }
}

/// Why a refusal is itself a violation, if it is one. Sluice's own errors are numbered
/// from `ERROR_OFFSET`; Anchor's and SPL Token's are below.
fn bad_refusal(code: u32, mode: Mode) -> Option<String> {
    let broken = [SluiceError::InvariantViolated, SluiceError::MathOverflow].map(u32::from);
    if broken.contains(&code) {
        Some(format!("refused with {}", error_name(code)))
    } else if code >= ERROR_OFFSET || mode == Mode::Substituted {
        None
    } else {
        Some(format!("refused with a non-Sluice error {code}"))
    }
}

async fn balance(f: &mut Fixture, account: &Pubkey, ctx: &str) -> u64 {
    client::token_balance(&mut f.chain, account).await.unwrap_or_else(|e| panic!("{ctx}: reading {account}: {e}"))
}

/// Reads everything the checks need; `ctx` names the step for a failed read.
async fn read_state(
    f: &mut Fixture,
    queues: &[QueueKeys],
    wallets: &[Investor],
    keeper_base: &Pubkey,
    x: &Venues,
    parked: &[Parked],
    ctx: &str,
) -> Snapshot {
    let pool = client::pool(&mut f.chain, &f.keys.pool).await.unwrap_or_else(|e| panic!("{ctx}: pool: {e}"));
    let mut queue_states = Vec::new();
    let mut tranche_supply = [0; TRANCHES];
    let mut escrow = [0; TRANCHES];
    for (t, q) in queues.iter().enumerate() {
        queue_states.push(client::queue(&mut f.chain, &q.queue).await.unwrap_or_else(|e| panic!("{ctx}: queue: {e}")));
        tranche_supply[t] = client::mint_supply(&mut f.chain, &q.tranche_mint).await.unwrap();
        escrow[t] = balance(f, &q.escrow, ctx).await;
    }
    let base_supply = client::mint_supply(&mut f.chain, &f.keys.base_mint).await.unwrap();
    let (vault, reserve, issuer_base, borrower) = (f.keys.vault, f.reserve.unwrap(), f.issuer_base, f.borrower_base);
    let mut s = Snapshot {
        pool,
        queues: queue_states,
        base_supply,
        tranche_supply,
        vault: balance(f, &vault, ctx).await,
        reserve: balance(f, &reserve, ctx).await,
        escrow,
        issuer: balance(f, &issuer_base, ctx).await,
        others: balance(f, &borrower, ctx).await + balance(f, keeper_base, ctx).await,
        wallets: Vec::new(),
        amm: client::amm(&mut f.chain, &x.amm.amm).await.unwrap_or_else(|e| panic!("{ctx}: amm: {e}")),
        amm_vaults: (balance(f, &x.amm.tranche_vault, ctx).await, balance(f, &x.amm.base_vault, ctx).await),
        basket_market_vaults: (
            balance(f, &x.basket_market.token_vault, ctx).await,
            balance(f, &x.basket_market.base_vault, ctx).await,
        ),
        lp_supply: client::mint_supply(&mut f.chain, &x.amm.lp_mint).await.unwrap(),
        basket: client::basket(&mut f.chain, &x.basket.basket).await.unwrap_or_else(|e| panic!("{ctx}: basket: {e}")),
        basket_vaults: [0; 2],
        basket_supply: client::mint_supply(&mut f.chain, &x.basket.mint).await.unwrap(),
        sleeve: balance(f, &x.basket.sleeve, ctx).await,
        protocol_tranche: balance(f, &x.protocol_tranche, ctx).await,
        parked: parked.iter().filter(|p| !p.claimed).map(|p| p.amount).sum(),
    };
    for (c, t) in BASKET_TRANCHES.into_iter().enumerate() {
        let vault = pda::basket_vault(&x.basket.basket, &queues[t].tranche_mint);
        s.basket_vaults[c] = balance(f, &vault, ctx).await;
    }
    for (i, inv) in wallets.iter().enumerate() {
        let owner = inv.wallet.pubkey();
        let mut w = Wallet { base: balance(f, &inv.base, ctx).await, ..Wallet::default() };
        w.claimable = parked.iter().filter(|p| !p.claimed && p.owner == owner).map(|p| p.amount).sum();
        if i < HONEST {
            w.lp = balance(f, &x.lp[i], ctx).await;
            w.basket = balance(f, &x.basket_accounts[i], ctx).await;
        }
        for t in 0..TRANCHES {
            w.held[t] = balance(f, &inv.tranches[t], ctx).await;
            for (_, r) in s.live(t).filter(|(_, r)| r.owner == owner) {
                w.queued[t] += r.remaining;
                w.requests[t] += 1;
                w.claimable += r.claimable;
            }
        }
        s.wallets.push(w);
    }
    s
}

struct Harness {
    f: Fixture,
    rng: Rng,
    seed: u64,
    step: usize,
    queues: Vec<QueueKeys>,
    wallets: Vec<Investor>,
    keeper: (Keypair, Pubkey),
    /// Base tokens the harness has minted: the base mint's supply must be exactly this.
    minted: u64,
    /// Tranche tokens the attacker sent straight to each escrow.
    donated: [u64; TRANCHES],
    venues: Venues,
    parked: Vec<Parked>,
    /// The state after the last transaction.
    last: Snapshot,
    report: Report,
}

impl Harness {
    async fn new(seed: u64) -> Harness {
        let mut rng = Rng(seed);
        let mut f = Fixture::new(false).await;
        f.chain.set_clock(START).await.unwrap();
        f.publish(800).await.unwrap();
        let mut wallets = Vec::new();
        for _ in 0..=ATTACKER {
            wallets.push(f.investor(rng.range(3_000_000, 6_000_000) * UNIT, false).await);
        }
        wallets.push(f.investor(0, false).await);
        for w in &wallets[..=ATTACKER] {
            let (junior, mezzanine, senior) =
                (rng.range(200_000, 400_000), rng.range(100_000, 250_000), rng.range(300_000, 800_000));
            f.seed_deposits(w, junior * UNIT, mezzanine * UNIT, senior * UNIT).await;
        }
        let queues = f.init_redemption().await;
        f.init_reserve(rng.range(50_000, 200_000) * UNIT).await;
        let keeper = f.keeper().await;
        for class in 0..rng.range(1, 3) as u8 {
            let funded = f.pool().await.cash / 4;
            let face = funded + funded / 20;
            f.add_receivable(face, funded, rng.range(10, 120) as i64, class).await.unwrap();
        }
        f.reprice().await.unwrap();
        let venues = Self::open_venues(&mut f, &wallets, &mut rng).await;
        let minted = client::mint_supply(&mut f.chain, &f.keys.base_mint).await.unwrap();
        let ctx = format!("seed {seed} setup");
        let last = read_state(&mut f, &queues, &wallets, &keeper.1, &venues, &[], &ctx).await;
        Harness {
            f,
            rng,
            seed,
            step: 0,
            queues,
            wallets,
            keeper,
            minted,
            donated: [0; TRANCHES],
            venues,
            parked: Vec::new(),
            last,
            report: Report { sequences: 1, ..Report::default() },
        }
    }

    /// The senior market, seeded near NAV by honest investor 0, and the basket of the senior
    /// and the junior, seeded by honest investor 1; LP and basket accounts for the honest.
    async fn open_venues(f: &mut Fixture, wallets: &[Investor], rng: &mut Rng) -> Venues {
        let issuer = f.issuer.insecure_clone();
        let amm = AmmKeys::new(&f.keys, SENIOR);
        let create = ix::create_amm(&issuer.pubkey(), &f.keys, &amm, AmmParams::RECOMMENDED);
        f.chain.send(&[create], &[&issuer]).await.unwrap();
        let senior_mint = f.keys.tranche_mint(SENIOR);
        let protocol_tranche =
            client::create_token_account(&mut f.chain, &senior_mint, &issuer.pubkey()).await.unwrap();
        let basket = BasketKeys::new(&issuer.pubkey(), 1, f.keys.base_mint, f.keys.base_token_program);
        let create = ix::create_basket(
            &issuer.pubkey(),
            &basket,
            CreateBasketArgs { basket_id: 1, guardian: f.guardian.pubkey(), params: BasketParams::DEFAULT },
        );
        f.chain.send(&[create], &[&issuer]).await.unwrap();
        for (t, terms) in BASKET_TRANCHES.into_iter().zip(BASKET_TERMS) {
            let add = ix::add_constituent(&issuer.pubkey(), &basket, &f.keys, t as u8, terms);
            f.chain.send(&[add], &[&issuer]).await.unwrap();
        }
        let (mut lp, mut basket_accounts) = (Vec::new(), Vec::new());
        for w in &wallets[..HONEST] {
            let owner = w.wallet.pubkey();
            lp.push(client::create_token_account(&mut f.chain, &amm.lp_mint, &owner).await.unwrap());
            basket_accounts.push(client::create_token_account(&mut f.chain, &basket.mint, &owner).await.unwrap());
        }
        let basket_market = BasketMarketKeys::new(&basket);
        let v = Venues { amm, lp, basket, basket_accounts, basket_market, protocol_tranche };
        let senior = f.pool().await.tranches[SENIOR as usize];
        let tokens = rng.range(50_000, 200_000) * UNIT;
        let base = value_of(tokens, senior.value, senior.supply);
        let seed = ix::add_liquidity(&f.keys, &amm, &trader(&wallets[0], &v, 0), 0, tokens, base);
        f.chain.send(&[seed], &[&wallets[0].wallet]).await.unwrap();
        let args = ExchangeInArgs { index: 0, tokens: rng.range(10_000, 50_000) * UNIT, min_out: 0 };
        let seed = exchange_in_ix(&f.keys, &wallets[1], &v, 1, args, &[]);
        f.chain.send(&[seed], &[&wallets[1].wallet]).await.unwrap();
        // The basket token's market, seeded at the basket's price with half of those tokens.
        let create =
            ix::create_basket_market(&issuer.pubkey(), &basket, &basket_market, BasketMarketParams::RECOMMENDED);
        f.chain.send(&[create], &[&issuer]).await.unwrap();
        let owner = wallets[1].wallet.pubkey();
        let lp = client::create_token_account(&mut f.chain, &basket_market.lp_mint, &owner).await.unwrap();
        let b = client::basket(&mut f.chain, &basket.basket).await.unwrap();
        let tokens = b.supply / 2;
        let pool = f.pool().await;
        let now = f.now().await;
        let view = client::BasketView {
            address: basket.basket,
            basket: b.clone(),
            pools: vec![pool.clone(), pool],
            flights: Default::default(),
        };
        let value = view.value(now).expect("a fresh NAV at setup").0;
        let base = (tokens as u128 * value as u128 / b.supply as u128) as u64;
        let t = BasketTrader {
            user: owner,
            token_account: v.basket_accounts[1],
            base_account: wallets[1].base,
            lp_account: Some(lp),
        };
        let seed = ix::add_basket_liquidity(&basket, &basket_market, &t, 0, tokens, base);
        f.chain.send(&[seed], &[&wallets[1].wallet]).await.unwrap();
        v
    }

    fn context(&self) -> String {
        format!("seed {} step {}", self.seed, self.step)
    }

    async fn snapshot(&mut self) -> Snapshot {
        let ctx = self.context();
        read_state(&mut self.f, &self.queues, &self.wallets, &self.keeper.1, &self.venues, &self.parked, &ctx).await
    }

    /// Sends one transaction, tallies it, and checks everything against the state before.
    async fn send(
        &mut self,
        name: &'static str,
        ixs: &[Instruction],
        signers: &[&Keypair],
        mode: Mode,
        effect: Effect,
    ) -> Sent {
        let result = self.f.chain.send(ixs, signers).await;
        let mut problems = Vec::new();
        let sent = match &result {
            Ok(()) => Sent::Accepted,
            Err(ChainError::Program { code, .. }) => Sent::Refused(*code),
            Err(e) => {
                problems.push(format!("failed outside any program error: {e}"));
                Sent::Broken
            }
        };
        self.report.transactions += 1;
        let tally = self.report.by_instruction.entry(name).or_default();
        if sent == Sent::Accepted {
            tally.0 += 1;
            self.report.accepted += 1;
            if mode != Mode::Open {
                problems.push("accepted, but it must be refused".into());
            }
            match effect {
                Effect::Donate { tranche, amount } => self.donated[tranche] += amount,
                Effect::Mint { amount } => self.minted += amount,
                Effect::Park(p) => self.parked.push(p),
                Effect::TakeParked { index, .. } => self.parked[index].claimed = true,
                _ => {}
            }
        } else {
            tally.1 += 1;
            self.report.refused += 1;
        }
        if let Sent::Refused(code) = sent {
            *self.report.refusals.entry(name).or_default().entry(error_name(code)).or_default() += 1;
            problems.extend(bad_refusal(code, mode));
        }
        let (paused, held) = (self.last.pool.paused, ixs.iter().any(refused_while_paused));
        if paused && held && sent == Sent::Accepted {
            problems.push("accepted while the pool is paused".into());
        }
        if sent == Sent::Refused(u32::from(SluiceError::PoolPaused)) && !(paused && held) {
            problems.push(if paused {
                "refused PoolPaused, but it must work while paused".into()
            } else {
                "refused PoolPaused, but the pool is not paused".into()
            });
        }
        let after = self.snapshot().await;
        let effect = if sent == Sent::Accepted { effect } else { Effect::None };
        problems.extend(self.check(&after, effect, ixs.iter().any(is_batch)));
        problems.extend(self.check_market(&after, ixs));
        for p in problems {
            let v = format!("{}: {name}: {p}", self.context());
            self.report.violations.push(v);
        }
        self.last = after;
        sent
    }

    /// Every check of the module doc, from the state before (`self.last`) to `after`.
    fn check(&self, after: &Snapshot, effect: Effect, fills: bool) -> Vec<String> {
        let mut v = Vec::new();
        let pool = &after.pool;
        if let Err(e) = pool.invariant() {
            v.push(format!("Pool::invariant fails: {e}"));
        }
        let mut claimable = 0u64;
        for t in 0..TRANCHES {
            let tr = &pool.tranches[t];
            if tr.supply != after.tranche_supply[t] {
                v.push(format!("tranche {t}: pool supply {} but mint supply {}", tr.supply, after.tranche_supply[t]));
            }
            let mut known: u64 = after.wallets.iter().map(|w| w.held[t]).sum::<u64>() + after.escrow[t];
            if t == SENIOR as usize {
                known += after.amm_vaults.0 + after.protocol_tranche;
            }
            for (c, bt) in BASKET_TRANCHES.into_iter().enumerate() {
                known += if bt == t { after.basket_vaults[c] } else { 0 };
            }
            if known != after.tranche_supply[t] {
                v.push(format!("tranche {t}: known accounts hold {known} of {} tokens", after.tranche_supply[t]));
            }
            let owed = tr.queued_tokens + tr.reserve_tokens + self.donated[t];
            if after.escrow[t] != owed {
                v.push(format!(
                    "tranche {t}: escrow holds {}, but queued {} + reserve {} + donated {} = {owed}",
                    after.escrow[t], tr.queued_tokens, tr.reserve_tokens, self.donated[t]
                ));
            }
            let (remaining, allowed) = after.queues[t].totals(tr);
            if (remaining, allowed) != (tr.queued_tokens, tr.demand_tokens) {
                v.push(format!(
                    "tranche {t}: queue holds {remaining} remaining / {allowed} allowed, pool says {} / {}",
                    tr.queued_tokens, tr.demand_tokens
                ));
            }
            claimable += after.live(t).map(|(_, r)| r.claimable).sum::<u64>();
        }
        if claimable + after.parked != pool.claimable {
            v.push(format!(
                "requests hold {claimable} claimable and parked claims {}, pool says {}",
                after.parked, pool.claimable
            ));
        }
        let owed = pool.cash as u128 + pool.claimable as u128 + pool.fee_pot as u128;
        if (after.vault as u128) < owed {
            v.push(format!("vault {} < cash + claimable + fee pot {owed}", after.vault));
        }
        if after.reserve < pool.reserve_balance {
            v.push(format!("reserve vault {} < reserve balance {}", after.reserve, pool.reserve_balance));
        }
        if after.base_supply != self.minted {
            v.push(format!("base supply {} but the harness minted {}", after.base_supply, self.minted));
        }
        let known = after.wallets.iter().map(|w| w.base).sum::<u64>()
            + after.vault
            + after.reserve
            + after.issuer
            + after.others
            + after.amm_vaults.1
            + after.basket_market_vaults.1
            + after.sleeve;
        if known != after.base_supply {
            v.push(format!("known base accounts hold {known} of {}", after.base_supply));
        }
        v.extend(Self::check_venues(after));
        for h in 0..HONEST {
            v.extend(
                self.check_honest(h, after, effect, fills).into_iter().map(|p| format!("honest investor {h}: {p}")),
            );
        }
        v
    }

    /// The market's and the basket's books against their accounts.
    fn check_venues(after: &Snapshot) -> Vec<String> {
        let mut v = Vec::new();
        let amm = &after.amm;
        if after.amm_vaults.0 < amm.set_aside_tranche() || after.amm_vaults.1 < amm.set_aside_base() {
            v.push(format!("market vaults {:?} hold less than the fees set aside {amm:?}", after.amm_vaults));
        }
        if amm.lp_supply > 0 && after.lp_supply + MIN_LIQUIDITY != amm.lp_supply {
            v.push(format!("LP mint supply {} but the market counts {} LP", after.lp_supply, amm.lp_supply));
        }
        let lp: u64 = after.wallets.iter().map(|w| w.lp).sum();
        if lp != after.lp_supply {
            v.push(format!("known LP accounts hold {lp} of {}", after.lp_supply));
        }
        let basket = &after.basket;
        for (c, held) in after.basket_vaults.iter().enumerate() {
            if *held < basket.constituents[c].held {
                v.push(format!("basket vault {c} holds {held} < held {}", basket.constituents[c].held));
            }
        }
        if after.sleeve < basket.sleeve_balance {
            v.push(format!("basket sleeve holds {} < {}", after.sleeve, basket.sleeve_balance));
        }
        if after.basket_supply != basket.supply {
            v.push(format!("basket mint supply {} but the basket says {}", after.basket_supply, basket.supply));
        }
        let held: u64 = after.wallets.iter().map(|w| w.basket).sum::<u64>() + after.basket_market_vaults.0;
        if held != after.basket_supply {
            v.push(format!("known accounts hold {held} of {} basket tokens", after.basket_supply));
        }
        v
    }

    /// k (the curve's reserves, set-aside fees excluded) never falls, except as liquidity
    /// leaves, and then an LP share's value does not fall.
    fn check_market(&self, after: &Snapshot, ixs: &[Instruction]) -> Vec<String> {
        let mut v = Vec::new();
        let (b, a) = (self.last.curve(), after.curve());
        let k = |c: (u64, u64)| c.0 as u128 * c.1 as u128;
        let removes =
            ixs.iter().any(|ix| ix.program_id == sluice::ID && ix.data.starts_with(si::RemoveLiquidity::DISCRIMINATOR));
        if !removes && k(a) < k(b) {
            v.push(format!("market k fell from {} to {} (curve {b:?} → {a:?})", k(b), k(a)));
        }
        let (lp_b, lp_a) = (self.last.amm.lp_supply, after.amm.lp_supply);
        if removes && lp_b > 0 && lp_a > 0 {
            let share = |c: (u64, u64), lp: u64| (k(c) as f64).sqrt() / lp as f64;
            let (sb, sa) = (share(b, lp_b), share(a, lp_a));
            if sa < sb * (1.0 - 1e-12) {
                v.push(format!("an LP share's value √k/LP fell from {sb} to {sa}"));
            }
        }
        v
    }

    fn check_honest(&self, h: usize, after: &Snapshot, effect: Effect, fills: bool) -> Vec<String> {
        let (before, b, a) = (&self.last.pool, &self.last.wallets[h], &after.wallets[h]);
        let same_elsewhere = |except: usize| (0..TRANCHES).all(|t| t == except || a.tokens(t) == b.tokens(t));
        let mut v = Vec::new();
        match effect {
            Effect::Deposit { h: who, tranche, amount } if who == h => {
                let quote = preview::deposit_tokens(before, tranche as u8, amount).unwrap_or(0);
                if a.tokens(tranche) != b.tokens(tranche) + quote || !same_elsewhere(tranche) {
                    v.push(format!("deposit quoted {quote} tokens, holdings went {:?} → {:?}", b, a));
                }
                if a.paid() + amount != b.paid() {
                    v.push(format!("deposit of {amount} moved base + claimable {} → {}", b.paid(), a.paid()));
                }
            }
            Effect::Instant { h: who, tranche, tokens } if who == h => {
                let (value, fee) = instant_payout(before, tranche, tokens);
                if a.tokens(tranche) + tokens != b.tokens(tranche) || !same_elsewhere(tranche) {
                    v.push(format!("instant exit of {tokens} moved holdings {:?} → {:?}", b, a));
                }
                if a.paid() != b.paid() + value - fee {
                    v.push(format!(
                        "instant exit quoted {} but paid {}",
                        value - fee,
                        a.paid() as i128 - b.paid() as i128
                    ));
                }
            }
            Effect::Market { h: who } if who == h => {}
            Effect::Neutral { h: who } | Effect::TakeParked { h: who, .. } if who == h => {
                if !same_elsewhere(TRANCHES) || a.paid() != b.paid() {
                    v.push(format!("own request, cancel or claim moved holdings {:?} → {:?}", b, a));
                }
            }
            _ => {
                if a.paid() < b.paid() {
                    v.push(format!("base + claimable fell from {} to {}", b.paid(), a.paid()));
                }
                if a.lp < b.lp || a.basket < b.basket {
                    v.push(format!("LP or basket tokens fell: {:?} → {:?}", b, a));
                }
                let discount = after.pool.params.redemption.buyback_discount_bps;
                let mut due = 0u64;
                for t in 0..TRANCHES {
                    let lost = b.tokens(t).saturating_sub(a.tokens(t));
                    if lost == 0 {
                        continue;
                    }
                    if !fills {
                        v.push(format!("lost {lost} tranche-{t} tokens to someone else's transaction"));
                        continue;
                    }
                    // Fills pay the lower of the batch price and the price just before the fill.
                    let (batch, now) = (&after.pool.batch, &before.tranches[t]);
                    let value = value_of(lost, batch.price_value[t], batch.price_supply[t])
                        .min(value_of(lost, now.value, now.supply));
                    due += buyback_price(value, discount).saturating_sub(2 * b.requests[t] + 1);
                }
                if a.paid().saturating_sub(b.paid()) < due {
                    v.push(format!("batch fills owed at least {due}, paid {}", a.paid().saturating_sub(b.paid())));
                }
            }
        }
        v
    }

    /// One random step: maybe a time jump, then one actor's action.
    async fn step(&mut self) {
        if self.rng.chance(12) {
            let secs = match self.rng.range(0, 2) {
                0 => self.rng.range(1, 600),
                1 => self.rng.range(600, 6 * 3_600),
                _ => self.rng.range(DAY as u64, 3 * DAY as u64),
            };
            self.f.chain.advance_clock(secs as i64).await.unwrap();
            self.refresh().await;
            if secs >= 600 {
                self.tend_basket().await;
            }
        } else if self.rng.chance(2) {
            self.long_jump().await;
        }
        let h = self.rng.range(0, HONEST as u64 - 1) as usize;
        match self.rng.range(0, 99) {
            0..=35 => self.investor(h).await,
            36..=53 => {
                let keeper = (self.keeper.0.insecure_clone(), self.keeper.1);
                self.crank(&keeper).await
            }
            54..=63 => self.issuer().await,
            64..=68 => {
                let wild = self.rng.chance(20);
                self.publish(wild).await
            }
            69..=77 => self.market(h).await,
            78..=82 => self.basket(h).await,
            83..=85 => self.guardian().await,
            _ => self.attacker().await,
        }
    }

    /// What a keeper does for the basket after time passes: collect what its requests were
    /// paid, then the rule's request or deposit.
    async fn tend_basket(&mut self) {
        let keeper = self.keeper.0.insecure_clone();
        let now = self.f.now().await;
        let view = self.last.basket_view(&self.venues);
        for index in sluice::instructions::collectable(&view.basket, &view.flights) {
            let view = self.last.basket_view(&self.venues);
            let ix = ix::collect(&keeper.pubkey(), &self.venues.basket, &view, index);
            self.send("rebalance (collect)", &[ix], &[&keeper], Mode::Open, Effect::None).await;
        }
        let view = self.last.basket_view(&self.venues);
        let planned = sluice::instructions::plan_rebalance(&view.basket, &view.pools, &view.flights, now);
        if let Ok(RebalanceAction::Request { index, .. } | RebalanceAction::Deposit { index, .. }) = planned {
            let ix = ix::rebalance(&keeper.pubkey(), &self.venues.basket, &view, index);
            self.send("rebalance (keeper)", &[ix], &[&keeper], Mode::Open, Effect::None).await;
        }
    }

    /// A month or more passes (receivables fall overdue, claims go stale); the keeper
    /// refreshes, cranks each queue once and parks what is left unclaimed at the fronts.
    async fn long_jump(&mut self) {
        let secs = self.rng.range(PARK_AFTER_SECS as u64, (PARK_AFTER_SECS + 10 * DAY) as u64);
        self.f.chain.advance_clock(secs as i64).await.unwrap();
        self.refresh().await;
        for index in self.overdue().await {
            let ix = ix::write_down_overdue(&self.f.keys, index);
            self.send("write_down_overdue", &[ix], &[], Mode::Open, Effect::None).await;
        }
        let keeper = (self.keeper.0.insecure_clone(), self.keeper.1);
        for t in 0..TRANCHES {
            let q = self.queues[t];
            let ix = ix::process_batch(&keeper.0.pubkey(), &keeper.1, &self.f.keys, &q, self.f.reserve, 256);
            self.send("process_batch", &[ix], &[&keeper.0], Mode::Open, Effect::None).await;
            self.park(t).await;
        }
    }

    /// The keeper parks the front request of `tranche`; an accepted park must record the
    /// request's owner and claimable value.
    async fn park(&mut self, tranche: usize) -> Sent {
        let Some((id, r)) = self.last.live(tranche).next().map(|(id, r)| (id, *r)) else {
            return Sent::Refused(u32::from(SluiceError::RequestNotFound));
        };
        let keeper = self.keeper.0.insecure_clone();
        let ix = ix::park_claim(&keeper.pubkey(), &self.f.keys, &self.queues[tranche], id);
        let p = Parked { tranche: tranche as u8, id, owner: r.owner, amount: r.claimable, claimed: false };
        let sent = self.send("park_claim", &[ix], &[&keeper], Mode::Open, Effect::Park(p)).await;
        if sent == Sent::Accepted {
            let address = pda::parked(&self.f.keys.pool, tranche as u8, id);
            let record = match self.f.chain.account(&address).await {
                Ok(Some(raw)) => ParkedClaim::try_deserialize(&mut &raw.data[..]).ok(),
                _ => None,
            };
            if !record
                .as_ref()
                .is_some_and(|c| c.owner == r.owner && c.amount == r.claimable && c.payer == keeper.pubkey())
            {
                let v = format!("{}: park_claim: record {record:?} does not match the request {r:?}", self.context());
                self.report.violations.push(v);
            }
        }
        sent
    }

    /// The guardian pauses (now and then) or unpauses (soon after); a stranger's pause is
    /// refused.
    async fn guardian(&mut self) {
        let pool = self.f.keys.pool;
        if self.rng.chance(10) {
            let m = self.wallets[ATTACKER].wallet.insecure_clone();
            self.send("pause by a stranger", &[ix::pause(&m.pubkey(), &pool)], &[&m], Mode::Refused, Effect::None)
                .await;
            return;
        }
        let g = self.f.guardian.insecure_clone();
        let pause = if self.last.pool.paused { self.rng.chance(15) } else { self.rng.chance(12) };
        let (name, ix) =
            if pause { ("pause", ix::pause(&g.pubkey(), &pool)) } else { ("unpause", ix::unpause(&g.pubkey(), &pool)) };
        self.send(name, &[ix], &[&g], Mode::Open, Effect::None).await;
    }

    /// Refreshes a stale NAV first, usually, as a wallet about to trade at NAV would.
    async fn maybe_reprice(&mut self) {
        let now = self.f.now().await;
        if !self.last.pool.nav_is_fresh(now) && self.rng.chance(80) {
            self.send("reprice", &[ix::reprice(&self.f.keys)], &[], Mode::Open, Effect::None).await;
        }
    }

    /// Honest investor `h` on the senior market: swaps both ways (now and then a large one),
    /// liquidity in and out; anyone's cranks: the reserve's buy-back, the fee sweep, a stage
    /// update that sees the market.
    async fn market(&mut self, h: usize) {
        let signer = self.wallets[h].wallet.insecure_clone();
        let me = self.last.wallets[h];
        let t = trader(&self.wallets[h], &self.venues, h);
        let (keys, amm) = (self.f.keys, self.venues.amm);
        let curve = self.last.curve();
        let s = SENIOR as usize;
        match self.rng.range(0, 99) {
            0..=54 => {
                self.maybe_reprice().await;
                let buy = self.rng.chance(50);
                let big = self.rng.chance(15);
                let amount_in = match (buy, big) {
                    (true, false) => self.rng.size(me.base.min(20_000 * UNIT)),
                    (true, true) => self.rng.size(me.base.min(curve.1 / 6)),
                    (false, false) => self.rng.size(me.held[s].min(20_000 * UNIT)),
                    (false, true) => self.rng.size(me.held[s].min(curve.0 / 6)),
                };
                if amount_in == 0 {
                    return;
                }
                let now = self.f.now().await;
                let (deadline, mode) =
                    if self.rng.chance(8) { (now - 1, Mode::Refused) } else { (now + 60, Mode::Open) };
                let args = SwapArgs { buy_tranche: buy, amount_in, min_out: 0, deadline };
                let ix = ix::swap(&keys, &amm, &t, args);
                self.send("swap", &[ix], &[&signer], mode, Effect::Market { h }).await;
            }
            55..=69 => {
                let lp = self.rng.size(self.last.amm.lp_supply / 20);
                if lp == 0 {
                    return;
                }
                let ix = ix::add_liquidity(&keys, &amm, &t, lp, me.held[s], me.base);
                self.send("add_liquidity", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await;
            }
            70..=79 => {
                let lp = self.rng.size(me.lp);
                if lp == 0 {
                    return;
                }
                let ix = ix::remove_liquidity(&keys, &amm, &t, lp, 0, 0);
                self.send("remove_liquidity", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await;
            }
            80..=86 if me.held[s] > 0 => {
                // A holder dumps a fifth of the curve and the price stays down for hours: the
                // time-weighted price follows and the reserve may buy back.
                self.maybe_reprice().await;
                for amount_in in [me.held[s].min(curve.0 / 5), 1] {
                    let now = self.f.now().await;
                    let args = SwapArgs { buy_tranche: false, amount_in, min_out: 0, deadline: now + 60 };
                    let ix = ix::swap(&keys, &amm, &t, args);
                    self.send("swap", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await;
                    let wait = self.rng.range(70 * 60, 150 * 60) as i64;
                    self.f.chain.advance_clock(wait).await.unwrap();
                    self.refresh().await;
                }
                self.send("reserve_buyback", &[ix::reserve_buyback(&keys, &amm)], &[], Mode::Open, Effect::None).await;
            }
            80..=89 => {
                self.maybe_reprice().await;
                self.send("reserve_buyback", &[ix::reserve_buyback(&keys, &amm)], &[], Mode::Open, Effect::None).await;
            }
            90..=94 => {
                let ix = ix::sweep_market_fees(&keys, &amm, &self.f.issuer_base, &self.venues.protocol_tranche);
                self.send("sweep_market_fees", &[ix], &[], Mode::Open, Effect::None).await;
            }
            _ => {
                let ix = ix::update_stage_with_markets(&keys.pool, &[amm.amm]);
                self.send("update_stage (with market)", &[ix], &[], Mode::Open, Effect::None).await;
            }
        }
    }

    /// Honest investor `h` with the basket: exchanges in, out, and in then straight out of
    /// what it received, which must return no more value at NAV than went in; sleeve
    /// redemptions, which must not lower the price; and a keeper's `rebalance`, which must
    /// keep the basket's value (to rounding).
    async fn basket(&mut self, h: usize) {
        let signer = self.wallets[h].wallet.insecure_clone();
        let keys = self.f.keys;
        let action = self.rng.range(0, 99);
        if !(30..=49).contains(&action) {
            self.maybe_reprice().await;
        }
        let me = self.last.wallets[h];
        let index = if self.rng.chance(30) { 1 } else { 0 };
        let t = BASKET_TRANCHES[index];
        let tokens = self.rng.size(me.held[t].min(20_000 * UNIT));
        let args = ExchangeInArgs { index: index as u8, tokens, min_out: 0 };
        let open = self.last.basket_view(&self.venues).open_queues();
        match action {
            0..=29 => {
                if tokens == 0 {
                    return;
                }
                let ix = exchange_in_ix(&keys, &self.wallets[h], &self.venues, h, args, &open);
                self.send("exchange_in", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await;
            }
            30..=49 => {
                let tokens = self.rng.size(me.basket);
                if tokens == 0 {
                    return;
                }
                let view = self.last.basket_view(&self.venues);
                let ixs = exchange_out_ixs(&keys, &self.wallets[h], &self.venues, h, tokens, &view);
                self.send("exchange_out", &ixs, &[&signer], Mode::Open, Effect::Market { h }).await;
            }
            50..=59 => {
                let tokens = self.rng.size(me.basket / 20);
                if tokens == 0 {
                    return;
                }
                let view = self.last.basket_view(&self.venues);
                let base = self.wallets[h].base;
                let args = RedeemBasketArgs { tokens, min_out: 0 };
                let ix = ix::redeem_basket(
                    &signer.pubkey(),
                    &self.venues.basket,
                    &self.venues.basket_accounts[h],
                    &base,
                    &view.priced_accounts(),
                    args,
                );
                let now = self.f.now().await;
                let before = self.last.basket_priced(&self.venues, now);
                if self.send("redeem_basket", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await
                    == Sent::Accepted
                {
                    let after = self.last.basket_priced(&self.venues, now);
                    if let (Some((v0, s0)), Some((v1, s1))) = (before, after) {
                        if (v1 as u128) * (s0 as u128) < (v0 as u128) * (s1 as u128) {
                            let v =
                                format!("{}: redeem_basket lowered the price: {v0}/{s0} -> {v1}/{s1}", self.context());
                            self.report.violations.push(v);
                        }
                    }
                }
            }
            70..=79 => self.basket_market(h).await,
            60..=69 => {
                // A keeper tends the basket: collect, or the rule's action; now and then a
                // constituent the rule did not pick (refused).
                let view = self.last.basket_view(&self.venues);
                let now = self.f.now().await;
                let planned = sluice_sdk::preview::basket_rebalance(&view, now).ok();
                let index = match planned {
                    Some((collect, _)) if !collect.is_empty() => collect[0],
                    Some((_, RebalanceAction::Request { index, .. } | RebalanceAction::Deposit { index, .. })) => index,
                    _ => self.rng.chance(50) as u8,
                };
                let index = if self.rng.chance(10) { 1 - index } else { index };
                let keeper = self.keeper.0.insecure_clone();
                let ix = ix::rebalance(&keeper.pubkey(), &self.venues.basket, &view, index);
                let before = self.last.basket_priced(&self.venues, now);
                if self.send("rebalance", &[ix], &[&keeper], Mode::Open, Effect::None).await == Sent::Accepted {
                    let after = self.last.basket_priced(&self.venues, now);
                    let t = &self.last.pool.tranches;
                    let token = BASKET_TRANCHES.iter().map(|&i| holding_value(1, t[i].value, t[i].supply)).max();
                    if let (Some((v0, _)), Some((v1, _))) = (before, after) {
                        let rounding = 2 * token.unwrap_or(0) + 2;
                        if v1 > v0 + 1 || v0 > v1 + rounding {
                            let v = format!("{}: rebalance moved the basket's value {v0} -> {v1}", self.context());
                            self.report.violations.push(v);
                        }
                    }
                }
            }
            _ => {
                if tokens == 0 {
                    return;
                }
                let mut given = [0; TRANCHES];
                given[t] = tokens;
                let value_in = self.last.worth(given, 0);
                let ix = exchange_in_ix(&keys, &self.wallets[h], &self.venues, h, args, &open);
                if self.send("exchange_in (round trip)", &[ix], &[&signer], Mode::Open, Effect::Market { h }).await
                    != Sent::Accepted
                {
                    return;
                }
                let mid = self.last.wallets[h];
                let received = mid.basket - me.basket;
                let view = self.last.basket_view(&self.venues);
                let ixs = exchange_out_ixs(&keys, &self.wallets[h], &self.venues, h, received, &view);
                let sent =
                    self.send("exchange_out (round trip)", &ixs, &[&signer], Mode::Open, Effect::Market { h }).await;
                let a = self.last.wallets[h];
                let back: [u64; TRANCHES] = std::array::from_fn(|i| a.held[i].saturating_sub(mid.held[i]));
                let value_out = self.last.worth(back, a.base.saturating_sub(mid.base));
                let problem = if sent != Sent::Accepted {
                    Some(format!("exchange out of the {received} basket tokens just received was refused"))
                } else if value_out > value_in {
                    Some(format!(
                        "exchange in of {tokens} tranche-{t} tokens worth {value_in} for {received} basket tokens, \
                         then straight out, returned {back:?} + {} base worth {value_out}",
                        a.base.saturating_sub(mid.base)
                    ))
                } else {
                    None
                };
                if let Some(p) = problem {
                    let v = format!("{}: basket round trip: {p}", self.context());
                    self.report.violations.push(v);
                }
            }
        }
    }

    /// Honest investor `h` trades on the basket's market both ways, or a keeper cranks the
    /// sleeve's buy-back; k of the curve never falls, and a buy-back never lowers the
    /// basket's price.
    async fn basket_market(&mut self, h: usize) {
        let signer = self.wallets[h].wallet.insecure_clone();
        let view = self.last.basket_view(&self.venues);
        let (b, m) = (self.venues.basket, self.venues.basket_market);
        let now = self.f.now().await;
        let before = self.last.basket_market_vaults;
        let priced_before = self.last.basket_priced(&self.venues, now);
        let (name, ix, signers): (&str, Instruction, Vec<&Keypair>) = if self.rng.chance(70) {
            let me = self.last.wallets[h];
            let buy = self.rng.chance(50);
            let amount_in = if buy { self.rng.size(me.base.min(20_000 * UNIT)) } else { self.rng.size(me.basket / 4) };
            if amount_in == 0 {
                return;
            }
            let t = BasketTrader {
                user: signer.pubkey(),
                token_account: self.venues.basket_accounts[h],
                base_account: self.wallets[h].base,
                lp_account: None,
            };
            let args = BasketSwapArgs { buy_basket: buy, amount_in, min_out: 1, deadline: now + 60 };
            ("swap_basket", ix::swap_basket(&b, &m, &t, &view.priced_accounts(), args), vec![&signer])
        } else {
            let market = client::basket_market(&mut self.f.chain, &m.market).await.unwrap();
            let planned = sluice_sdk::preview::basket_buyback(&view, &market, before, u64::MAX, now);
            let max_base = planned.map(|p| p.spend).unwrap_or(self.rng.size(10_000 * UNIT).max(1));
            ("basket_buyback", ix::basket_buyback(&b, &m, &view.priced_accounts(), max_base), vec![])
        };
        if self.send(name, &[ix], &signers, Mode::Open, Effect::Market { h }).await != Sent::Accepted {
            return;
        }
        let after = self.last.basket_market_vaults;
        if (after.0 as u128) * (after.1 as u128) < (before.0 as u128) * (before.1 as u128) {
            let v = format!("{}: {name}: the basket market's k fell: {before:?} -> {after:?}", self.context());
            self.report.violations.push(v);
        }
        if name == "basket_buyback" {
            let priced_after = self.last.basket_priced(&self.venues, now);
            if let (Some((v0, s0)), Some((v1, s1))) = (priced_before, priced_after) {
                if (v1 as u128) * (s0 as u128) < (v0 as u128) * (s1 as u128) {
                    let v = format!("{}: basket_buyback lowered the price: {v0}/{s0} -> {v1}/{s1}", self.context());
                    self.report.violations.push(v);
                }
            }
        }
    }

    /// What a keeper does after time passes: fresh rates, then a fresh NAV.
    async fn refresh(&mut self) {
        self.publish(false).await;
        self.send("reprice", &[ix::reprice(&self.f.keys)], &[], Mode::Open, Effect::None).await;
    }

    /// The oracle publishes rates moved at random within the bound around the window's
    /// anchor rates; `wild` pushes one rate beyond it.
    async fn publish(&mut self, wild: bool) {
        let oracle = self.f.oracle().await;
        let now = self.f.now().await;
        let (market, classes) = if now >= oracle.anchor_time + RATE_WINDOW_SECS {
            (oracle.market_rate_bps, oracle.classes)
        } else {
            (oracle.anchor_market_rate_bps, oracle.anchor_classes)
        };
        let bound = self.last.pool.params.max_rate_move_bps;
        let rng = &mut self.rng;
        let mut near = |anchor: u32, max: u32| {
            rng.range(anchor.saturating_sub(bound) as u64, (anchor + bound).min(max) as u64) as u32
        };
        let mut args = PublishRatesArgs {
            sequence: oracle.sequence + 1,
            market_rate_bps: near(market, MAX_MARKET_RATE_BPS),
            classes,
        };
        for (c, anchor) in args.classes.iter_mut().zip(classes) {
            c.default_probability_bps = near(anchor.default_probability_bps, MAX_DEFAULT_PROBABILITY_BPS);
            c.recovery_bps = near(anchor.recovery_bps, BPS);
        }
        let mut mode = Mode::Open;
        if wild {
            let beyond = market + bound + self.rng.range(1, 300) as u32;
            if beyond <= MAX_MARKET_RATE_BPS {
                args.market_rate_bps = beyond;
                mode = Mode::Refused;
            }
            if self.rng.chance(30) {
                args.sequence -= 1;
                mode = Mode::Refused;
            }
        }
        let publisher = self.f.publisher.insecure_clone();
        let ix = ix::publish_rates(&publisher.pubkey(), &self.f.keys, args);
        self.send("publish_rates", &[ix], &[&publisher], mode, Effect::None).await;
    }

    fn owner_base(&self, owner: &Pubkey) -> Option<Pubkey> {
        self.wallets.iter().find(|w| w.wallet.pubkey() == *owner).map(|w| w.base)
    }

    /// Live requests of wallet `w` (tranche, id) that pass `keep`.
    fn requests_of(&self, w: usize, keep: impl Fn(&Request) -> bool) -> Vec<(usize, u64)> {
        let owner = self.wallets[w].wallet.pubkey();
        (0..TRANCHES)
            .flat_map(|t| self.last.live(t).filter(|(_, r)| r.owner == owner && keep(r)).map(move |(id, _)| (t, id)))
            .collect()
    }

    /// A tranche in which wallet `w` holds tokens, if any.
    fn held_tranche(&mut self, w: usize) -> Option<usize> {
        let held: Vec<usize> = (0..TRANCHES).filter(|t| self.last.wallets[w].held[*t] > 0).collect();
        self.rng.pick(&held)
    }

    fn instant_ix(&self, w: usize, tranche: usize, tokens: u64) -> Instruction {
        let inv = &self.wallets[w];
        let args = RedeemInstantArgs { tranche: tranche as u8, tokens, min_out: 0 };
        ix::redeem_instant(&inv.wallet.pubkey(), &self.f.keys, &inv.tranches[tranche], &inv.base, self.f.reserve, args)
    }

    fn request_ix(&self, w: usize, tranche: usize, tokens: u64) -> Instruction {
        let inv = &self.wallets[w];
        ix::request_redemption(
            &inv.wallet.pubkey(),
            &self.f.keys,
            &self.queues[tranche],
            &inv.tranches[tranche],
            tokens,
        )
    }

    fn cancel_ix(&self, w: usize, tranche: usize, id: u64) -> Instruction {
        let inv = &self.wallets[w];
        ix::cancel_redemption(&inv.wallet.pubkey(), &self.f.keys, &self.queues[tranche], &inv.tranches[tranche], id)
    }

    /// An investor's own action: deposit, instant exit, request, cancel or claim. Honest
    /// investors' actions carry their expected effect; the attacker's carry none.
    async fn investor(&mut self, w: usize) {
        let signer = self.wallets[w].wallet.insecure_clone();
        let me = self.last.wallets[w];
        let honest = w < HONEST;
        let effect = |e: Effect| if honest { e } else { Effect::None };
        let action = self.rng.range(0, 99);
        // A wallet about to trade at NAV usually refreshes a stale one first.
        let now = self.f.now().await;
        if action < 40 && !self.last.pool.nav_is_fresh(now) && self.rng.chance(70) {
            self.send("reprice", &[ix::reprice(&self.f.keys)], &[], Mode::Open, Effect::None).await;
        }
        match action {
            0..=24 => {
                let tranche = [2, 2, 1, 0][self.rng.range(0, 3) as usize];
                let amount = self.rng.size(me.base.min(300_000 * UNIT));
                if amount == 0 {
                    return;
                }
                let quote = preview::deposit_tokens(&self.last.pool, tranche as u8, amount).unwrap_or(0);
                let (min, mode) = if self.rng.chance(10) { (quote + 1, Mode::Refused) } else { (0, Mode::Open) };
                let ix = self.f.deposit_ix(&self.wallets[w], tranche as u8, amount, min);
                self.send("deposit", &[ix], &[&signer], mode, effect(Effect::Deposit { h: w, tranche, amount })).await;
            }
            25..=39 => {
                let Some(tranche) = self.held_tranche(w) else { return };
                let tokens = self.rng.size(me.held[tranche].min(15_000 * UNIT));
                let ix = self.instant_ix(w, tranche, tokens);
                self.send(
                    "redeem_instant",
                    &[ix],
                    &[&signer],
                    Mode::Open,
                    effect(Effect::Instant { h: w, tranche, tokens }),
                )
                .await;
            }
            40..=64 => {
                let Some(tranche) = self.held_tranche(w) else { return };
                let held = me.held[tranche];
                let tokens = if self.rng.chance(25) { held } else { self.rng.size(held) };
                let ix = self.request_ix(w, tranche, tokens);
                self.send("request_redemption", &[ix], &[&signer], Mode::Open, effect(Effect::Neutral { h: w })).await;
            }
            65..=79 => {
                let live = self.requests_of(w, |r| r.remaining > 0);
                let Some((tranche, id)) = self.rng.pick(&live) else { return };
                let ix = self.cancel_ix(w, tranche, id);
                self.send("cancel_redemption", &[ix], &[&signer], Mode::Open, effect(Effect::Neutral { h: w })).await;
            }
            80..=91 => {
                let due = self.requests_of(w, |r| r.claimable > 0);
                let Some((tranche, id)) = self.rng.pick(&due) else { return };
                let ix = ix::claim(&signer.pubkey(), &self.f.keys, &self.queues[tranche], id, &self.wallets[w].base);
                self.send("claim", &[ix], &[&signer], Mode::Open, effect(Effect::Neutral { h: w })).await;
            }
            _ => self.claim_parked(w).await,
        }
    }

    /// Wallet `w` takes a parked claim of its own; now and then it tries one it already
    /// took (refused: paid once), and the attacker tries others'.
    async fn claim_parked(&mut self, w: usize) {
        let signer = self.wallets[w].wallet.insecure_clone();
        let me = signer.pubkey();
        let again = self.rng.chance(20);
        let candidates: Vec<usize> = (0..self.parked.len())
            .filter(|&i| {
                let p = &self.parked[i];
                p.claimed == again && (p.owner == me || w == ATTACKER)
            })
            .collect();
        let Some(index) = self.rng.pick(&candidates) else { return };
        let p = self.parked[index];
        let keeper = self.keeper.0.pubkey();
        let ix = ix::claim_parked(&me, &self.f.keys, p.tranche, p.id, &keeper, &self.wallets[w].base);
        if p.claimed {
            self.send("claim_parked again", &[ix], &[&signer], Mode::Substituted, Effect::None).await;
        } else if p.owner != me {
            self.send("claim someone's parked claim", &[ix], &[&signer], Mode::Refused, Effect::None).await;
        } else {
            self.send("claim_parked", &[ix], &[&signer], Mode::Open, Effect::TakeParked { h: w, index }).await;
        }
    }

    /// A permissionless crank by `cranker` (a keeper, or the attacker at a bad time).
    async fn crank(&mut self, cranker: &(Keypair, Pubkey)) {
        let tranche = self.rng.range(0, TRANCHES as u64 - 1) as usize;
        let q = self.queues[tranche];
        let keys = self.f.keys;
        match self.rng.range(0, 99) {
            0..=17 => {
                self.send("reprice", &[ix::reprice(&keys)], &[], Mode::Open, Effect::None).await;
            }
            18..=45 => {
                let max = match self.rng.range(0, 19) {
                    0 => [0, 257][self.rng.range(0, 1) as usize],
                    1..=9 => self.rng.range(1, 3) as u16,
                    _ => self.rng.range(1, 256) as u16,
                };
                let mode = if max == 0 || max > 256 { Mode::Refused } else { Mode::Open };
                let ix = ix::process_batch(&cranker.0.pubkey(), &cranker.1, &keys, &q, self.f.reserve, max);
                self.send("process_batch", &[ix], &[&cranker.0], mode, Effect::None).await;
            }
            46..=59 => {
                self.push_claims(tranche, cranker).await;
            }
            60..=68 => {
                if self.rng.chance(50) {
                    self.send("update_stage", &[ix::update_stage(&keys.pool, None)], &[], Mode::Open, Effect::None)
                        .await;
                } else {
                    let ix = ix::update_stage_with_markets(&keys.pool, &[self.venues.amm.amm]);
                    self.send("update_stage (with market)", &[ix], &[], Mode::Open, Effect::None).await;
                }
            }
            69..=79 => {
                // Mostly a tranche whose tokens the reserve holds.
                let held: Vec<usize> =
                    (0..TRANCHES).filter(|&t| self.last.pool.tranches[t].reserve_tokens > 0).collect();
                let t = self.rng.pick(&held).filter(|_| self.rng.chance(85)).unwrap_or(tranche);
                if self.last.pool.stage != Stage::Normal && !held.is_empty() && self.rng.chance(60) {
                    let ix = ix::update_stage_with_markets(&keys.pool, &[self.venues.amm.amm]);
                    self.send("update_stage (with market)", &[ix], &[], Mode::Open, Effect::None).await;
                }
                let ix = ix::recycle_reserve(&keys, &self.queues[t]);
                self.send("recycle_reserve", &[ix], &[], Mode::Open, Effect::None).await;
            }
            80..=92 => {
                let count = self.last.pool.receivable_count;
                if count == 0 {
                    return;
                }
                // Mostly a receivable that is open and past the schedule's first step.
                let overdue = self.overdue().await;
                let index = self.rng.pick(&overdue).filter(|_| self.rng.chance(85));
                let index = index.unwrap_or_else(|| self.rng.range(0, count - 1));
                let ix = ix::write_down_overdue(&keys, index);
                self.send("write_down_overdue", &[ix], &[], Mode::Open, Effect::None).await;
            }
            _ => {
                self.park(tranche).await;
            }
        }
    }

    /// Open receivables past their due date by at least the overdue schedule's first step.
    async fn overdue(&mut self) -> Vec<u64> {
        let now = self.f.now().await;
        let first = self.last.pool.params.overdue_steps[0].days as i64 * DAY;
        let mut overdue = Vec::new();
        for index in 0..self.last.pool.receivable_count {
            let r = self.f.receivable(index).await;
            if r.outstanding > 0 && r.due_ts + first <= now {
                overdue.push(index);
            }
        }
        overdue
    }

    /// Pushes up to 24 claims of `tranche` to their owners; the result of the call.
    async fn push_claims(&mut self, tranche: usize, cranker: &(Keypair, Pubkey)) -> Sent {
        let pairs: Vec<(u64, Pubkey)> = self
            .last
            .live(tranche)
            .filter(|(_, r)| r.claimable > 0)
            .filter_map(|(id, r)| Some((id, self.owner_base(&r.owner)?)))
            .take(24)
            .collect();
        if pairs.is_empty() {
            return Sent::Refused(u32::from(SluiceError::NothingToClaim));
        }
        let ix = ix::push_claims(&cranker.0.pubkey(), &self.f.keys, &self.queues[tranche], &cranker.1, &pairs);
        self.send("push_claims", &[ix], &[&cranker.0], Mode::Open, Effect::None).await
    }

    /// Mints base tokens to the issuer so it holds at least `need`.
    async fn top_up_issuer(&mut self, need: u64) {
        let short = need.saturating_sub(self.last.issuer);
        if short == 0 {
            return;
        }
        let amount = short + 1_000_000 * UNIT;
        let issuer = self.f.issuer.insecure_clone();
        let ix = ix::token::mint_to(
            &self.f.keys.base_token_program,
            &self.f.keys.base_mint,
            &self.f.issuer_base,
            &issuer.pubkey(),
            amount,
        );
        self.send("harness mint_to", &[ix], &[&issuer], Mode::Open, Effect::Mint { amount }).await;
    }

    async fn issuer(&mut self) {
        let issuer = self.f.issuer.insecure_clone();
        let keys = self.f.keys;
        let count = self.last.pool.receivable_count;
        let mut open = Vec::new();
        for index in 0..count {
            if self.f.receivable(index).await.outstanding > 0 {
                open.push(index);
            }
        }
        // Mostly a receivable still open; now and then any, repaid ones included.
        let index = match self.rng.pick(&open).filter(|_| self.rng.chance(90)) {
            Some(index) => index,
            None => self.rng.range(0, count.saturating_sub(1)),
        };
        let pool = &self.last.pool;
        match self.rng.range(0, 99) {
            0..=29 => {
                let spendable = pool.cash.saturating_sub(pool.batch_reserved_cash());
                let (funded, mode) = if self.rng.chance(10) {
                    (spendable + 1, Mode::Refused)
                } else {
                    (self.rng.size(spendable * 6 / 10), Mode::Open)
                };
                if funded == 0 {
                    return;
                }
                let face = funded + self.rng.range(0, funded / 10);
                let days = if self.rng.chance(50) { self.rng.range(1, 30) } else { self.rng.range(1, 300) };
                let due_ts = (self.f.now().await.div_euclid(DAY) + days as i64) * DAY;
                let risk_class = self.rng.range(0, 3) as u8;
                let args = AddReceivableArgs { face_value: face, funded, due_ts, risk_class, document_hash: [7; 32] };
                let ix = ix::add_receivable(&issuer.pubkey(), &keys, count, &self.f.borrower_base, args);
                self.send("add_receivable", &[ix], &[&issuer], mode, Effect::None).await;
            }
            30..=64 if count > 0 => {
                let r = self.f.receivable(index).await;
                let amount = if r.outstanding == 0 || self.rng.chance(40) {
                    r.outstanding
                } else {
                    self.rng.size(r.outstanding)
                };
                self.top_up_issuer(amount).await;
                let mode = if amount == 0 { Mode::Refused } else { Mode::Open };
                let ix = ix::record_repayment(&issuer.pubkey(), &keys, index, &self.f.issuer_base, amount);
                self.send("record_repayment", &[ix], &[&issuer], mode, Effect::None).await;
            }
            65..=79 if count > 0 => {
                let r = self.f.receivable(index).await;
                let carried = if r.status == ReceivableStatus::WrittenDown { r.carried_value } else { r.outstanding };
                let (recovery, mode) = if self.rng.chance(10) {
                    (carried + 1, Mode::Refused)
                } else {
                    (self.rng.range(0, carried), Mode::Open)
                };
                let ix = ix::write_down(&issuer.pubkey(), &keys, index, recovery);
                self.send("write_down", &[ix], &[&issuer], mode, Effect::None).await;
            }
            _ => {
                let amount = self.rng.size(50_000 * UNIT);
                self.top_up_issuer(amount).await;
                let ix = ix::fund_reserve(&issuer.pubkey(), &keys, &self.f.issuer_base, amount);
                self.send("fund_reserve", &[ix], &[&issuer], Mode::Open, Effect::None).await;
            }
        }
    }

    async fn attacker(&mut self) {
        let m = self.wallets[ATTACKER].wallet.insecure_clone();
        let me = self.last.wallets[ATTACKER];
        let (base, tranches) = (self.wallets[ATTACKER].base, self.wallets[ATTACKER].tranches);
        let t = self.rng.range(0, TRANCHES as u64 - 1) as usize;
        let victim = self.rng.range(0, HONEST as u64 - 1) as usize;
        let keys = self.f.keys;
        let reserve = self.f.reserve.unwrap();
        match self.rng.range(0, 15) {
            0 | 1 => {
                let amount = if self.rng.chance(30) { 1 } else { self.rng.size(me.base.min(1_000 * UNIT)) };
                if amount == 0 || amount > me.base {
                    return;
                }
                let (to, name) =
                    if self.rng.chance(50) { (keys.vault, "donate to vault") } else { (reserve, "donate to reserve") };
                self.send(
                    name,
                    &[ix::token::transfer(&self.f.keys.base_token_program, &base, &to, &m.pubkey(), amount)],
                    &[&m],
                    Mode::Open,
                    Effect::None,
                )
                .await;
            }
            2 => {
                let amount = if self.rng.chance(30) { 1 } else { self.rng.size(me.held[t].min(1_000 * UNIT)) };
                if amount == 0 || amount > me.held[t] {
                    return;
                }
                let ix =
                    ix::token::transfer(&ix::TOKEN_2022, &tranches[t], &self.queues[t].escrow, &m.pubkey(), amount);
                self.send("donate to escrow", &[ix], &[&m], Mode::Open, Effect::Donate { tranche: t, amount }).await;
            }
            3 if me.held[t] > 0 => {
                // The dust wallet receives 1 raw unit and queues its whole balance.
                let dust = self.wallets[DUST].wallet.insecure_clone();
                let whole = self.last.wallets[DUST].held[t] + 1;
                let give =
                    ix::token::transfer(&ix::TOKEN_2022, &tranches[t], &self.wallets[DUST].tranches[t], &m.pubkey(), 1);
                let ixs = [give, self.request_ix(DUST, t, whole)];
                self.send("1-unit request", &ixs, &[&m, &dust], Mode::Open, Effect::None).await;
            }
            4 if me.held[t] > 1 => {
                let ix = self.request_ix(ATTACKER, t, 1);
                self.send("1-unit partial request", &[ix], &[&m], Mode::Refused, Effect::None).await;
            }
            5 if me.held[t] > 0 => {
                let tokens = self.rng.size(me.held[t]);
                let id = self.last.pool.tranches[t].queue_tail;
                let ixs = [self.request_ix(ATTACKER, t, tokens), self.cancel_ix(ATTACKER, t, id)];
                self.send("request+cancel", &ixs, &[&m], Mode::Refused, Effect::None).await;
            }
            6 => {
                let victims = self.wallets[victim].tranches[t];
                let ix = ix::request_redemption(&m.pubkey(), &keys, &self.queues[t], &victims, UNIT);
                self.send("request from victim's account", &[ix], &[&m], Mode::Substituted, Effect::None).await;
            }
            7 => {
                let live = self.requests_of(victim, |r| r.remaining > 0);
                let Some((tranche, id)) = self.rng.pick(&live) else { return };
                let into = if self.rng.chance(50) { tranches[tranche] } else { self.wallets[victim].tranches[tranche] };
                let ix = ix::cancel_redemption(&m.pubkey(), &keys, &self.queues[tranche], &into, id);
                self.send("cancel victim's request", &[ix], &[&m], Mode::Substituted, Effect::None).await;
            }
            8 => {
                let live = self.requests_of(victim, |r| r.claimable > 0);
                let Some((tranche, id)) = self.rng.pick(&live) else { return };
                let ix = ix::claim(&m.pubkey(), &keys, &self.queues[tranche], id, &base);
                self.send("claim victim's request", &[ix], &[&m], Mode::Refused, Effect::None).await;
            }
            9 => {
                let victims = self.wallets[victim].tranches[t];
                let args = RedeemInstantArgs { tranche: t as u8, tokens: UNIT, min_out: 0 };
                let ix = ix::redeem_instant(&m.pubkey(), &keys, &victims, &base, self.f.reserve, args);
                self.send("instant from victim's account", &[ix], &[&m], Mode::Substituted, Effect::None).await;
            }
            10 => {
                let other = self.queues[(t + 1) % TRANCHES];
                let (q, reserve) = match self.rng.range(0, 2) {
                    0 => (QueueKeys { escrow: other.escrow, ..self.queues[t] }, self.f.reserve),
                    1 => (QueueKeys { queue: other.queue, ..self.queues[t] }, self.f.reserve),
                    _ => (self.queues[t], Some(base)),
                };
                let ix = ix::process_batch(&m.pubkey(), &base, &keys, &q, reserve, 256);
                self.send("batch with swapped accounts", &[ix], &[&m], Mode::Substituted, Effect::None).await;
            }
            11 => {
                let pairs: Vec<(u64, Pubkey)> = self
                    .requests_of(victim, |r| r.claimable > 0)
                    .into_iter()
                    .filter(|(tranche, _)| *tranche == t)
                    .map(|(_, id)| (id, base))
                    .collect();
                if pairs.is_empty() {
                    return;
                }
                let ix = ix::push_claims(&m.pubkey(), &keys, &self.queues[t], &base, &pairs);
                self.send("push victim's claims to self", &[ix], &[&m], Mode::Refused, Effect::None).await;
            }
            12 => {
                let amount = self.rng.size(me.base.min(10_000 * UNIT));
                if amount == 0 {
                    return;
                }
                let args = DepositArgs { tranche: t as u8, amount, min_tokens_out: 0 };
                let (into, name, mode) = if self.rng.chance(50) {
                    (self.wallets[victim].tranches[t], "deposit into victim's account", Mode::Open)
                } else {
                    (self.queues[t].escrow, "deposit into the escrow", Mode::Substituted)
                };
                let ix = ix::deposit(&m.pubkey(), &keys, &base, &into, None, self.f.reserve, args);
                self.send(name, &[ix], &[&m], mode, Effect::None).await;
            }
            13 => {
                let amount = self.rng.size(me.base.min(5_000 * UNIT));
                let tokens = preview::deposit_tokens(&self.last.pool, t as u8, amount).unwrap_or(0);
                if tokens == 0 {
                    return;
                }
                let ixs = [
                    self.f.deposit_ix(&self.wallets[ATTACKER], t as u8, amount, 0),
                    self.instant_ix(ATTACKER, t, tokens),
                ];
                self.send("deposit+instant", &ixs, &[&m], Mode::Open, Effect::None).await;
            }
            14 if me.held[t] > 0 => {
                let tokens = self.rng.size(me.held[t].min(50_000 * UNIT));
                let ixs = [
                    self.request_ix(ATTACKER, t, tokens),
                    ix::process_batch(&m.pubkey(), &base, &keys, &self.queues[t], self.f.reserve, 256),
                ];
                self.send("request+process_batch", &ixs, &[&m], Mode::Open, Effect::None).await;
            }
            15 => {
                // The vault as destination: the vault twice in one instruction.
                let due = self.requests_of(ATTACKER, |r| r.claimable > 0);
                let Some((tranche, id)) = self.rng.pick(&due) else { return };
                let ix = ix::claim(&m.pubkey(), &keys, &self.queues[tranche], id, &keys.vault);
                self.send("claim into the vault", &[ix], &[&m], Mode::Substituted, Effect::None).await;
            }
            _ => {
                if self.rng.chance(50) {
                    self.crank(&(m.insecure_clone(), base)).await
                } else {
                    self.investor(ATTACKER).await
                }
            }
        }
    }

    /// Cash in, then a keeper's daily routine until the queues are empty (and the stage and
    /// the reserve have settled) or stop moving; tokens still queued need a named reason.
    async fn drain(&mut self) {
        if self.last.pool.paused {
            let g = self.f.guardian.insecure_clone();
            self.send("unpause", &[ix::unpause(&g.pubkey(), &self.f.keys.pool)], &[&g], Mode::Open, Effect::None).await;
        }
        // Owners take their parked claims.
        for index in 0..self.parked.len() {
            let p = self.parked[index];
            let Some(w) = self.wallets.iter().position(|w| w.wallet.pubkey() == p.owner) else { continue };
            if p.claimed {
                continue;
            }
            let signer = self.wallets[w].wallet.insecure_clone();
            let keeper = self.keeper.0.pubkey();
            let ix = ix::claim_parked(&p.owner, &self.f.keys, p.tranche, p.id, &keeper, &self.wallets[w].base);
            self.send("claim_parked", &[ix], &[&signer], Mode::Open, Effect::TakeParked { h: w, index }).await;
        }
        let issuer = self.f.issuer.insecure_clone();
        for index in 0..self.last.pool.receivable_count {
            let r = self.f.receivable(index).await;
            if r.outstanding == 0 {
                continue;
            }
            self.top_up_issuer(r.outstanding).await;
            let ix = ix::record_repayment(&issuer.pubkey(), &self.f.keys, index, &self.f.issuer_base, r.outstanding);
            self.send("record_repayment", &[ix], &[&issuer], Mode::Open, Effect::None).await;
        }
        let keeper = (self.keeper.0.insecure_clone(), self.keeper.1);
        let interval = self.last.pool.params.redemption.batch_interval_secs as i64;
        // What the last day's batches did: tokens they took off the queue, and the refusal
        // of the call that would open the day's batch.
        let (mut moved, mut opening_refusal) = (0, None);
        let (mut idle_rounds, mut settle_rounds) = (0, 0);
        for _ in 0..DRAIN_ROUNDS {
            let pool = &self.last.pool;
            if self.last.queued_tokens() == 0 {
                // Empty: a few more days for the stage to settle and the reserve to recycle.
                let settled = pool.stage == Stage::Normal && pool.tranches.iter().all(|t| t.reserve_tokens == 0);
                if settled || settle_rounds == SETTLE_ROUNDS {
                    break;
                }
                settle_rounds += 1;
            } else if idle_rounds == 4 {
                break;
            }
            self.f.chain.advance_clock(interval).await.unwrap();
            self.refresh().await;
            let ix = ix::update_stage_with_markets(&self.f.keys.pool, &[self.venues.amm.amm]);
            self.send("update_stage (with market)", &[ix], &[], Mode::Open, Effect::None).await;
            let mut worked = false;
            let before = self.last.queued_tokens();
            opening_refusal = None;
            for t in 0..TRANCHES {
                for call in 0..8 {
                    let q = self.queues[t];
                    let ix = ix::process_batch(&keeper.0.pubkey(), &keeper.1, &self.f.keys, &q, self.f.reserve, 256);
                    match self.send("process_batch", &[ix], &[&keeper.0], Mode::Open, Effect::None).await {
                        Sent::Accepted => worked = true,
                        Sent::Refused(code) => {
                            if t == 0 && call == 0 {
                                opening_refusal = Some(code);
                            }
                            break;
                        }
                        Sent::Broken => return,
                    }
                }
                while self.push_claims(t, &keeper).await == Sent::Accepted {}
                let ix = ix::recycle_reserve(&self.f.keys, &self.queues[t]);
                self.send("recycle_reserve", &[ix], &[], Mode::Open, Effect::None).await;
            }
            moved = before.saturating_sub(self.last.queued_tokens());
            idle_rounds = if worked { 0 } else { idle_rounds + 1 };
        }
        if self.last.queued_tokens() == 0 {
            self.report.drained += 1;
            return;
        }
        let pool = &self.last.pool;
        let sides = pool.redemption_sides(|_, t| t.queued_tokens);
        let unbounded = allocate(u64::MAX, pool.nav, &sides);
        let queued_value: u64 = sides.iter().map(|s| value_of(s.demand_tokens, s.value, s.supply)).sum();
        let last_day = match opening_refusal {
            Some(code) => format!("the last day's batch was refused with {}", error_name(code)),
            None => format!("the last day's batch took {moved} tokens off the queue"),
        };
        let reason = if sides.iter().any(|s| s.demand_tokens > 0 && s.value == 0) {
            "worthless tranche: a tranche with no value redeems nothing"
        } else if sides.iter().zip(unbounded.tokens).any(|(s, k)| k < s.demand_tokens) {
            "subordination: a senior's minimum subordination caps the exits below it"
        } else if pool.cash_above_floor() < queued_value {
            "cash floor: cash above the floor is less than the queued value"
        } else {
            // Everything is repaid and the cash covers the whole queue: it had to drain.
            let v = format!(
                "{}: drain: {} tokens worth {queued_value} still queued in {:?} with {} cash above the floor \
                 (realised budget {}, reserve {}); {last_day}",
                self.context(),
                self.last.queued_tokens(),
                pool.stage,
                pool.cash_above_floor(),
                pool.realized_budget,
                pool.reserve_balance,
            );
            self.report.violations.push(v);
            return;
        };
        let refusal = opening_refusal.map_or("nothing".into(), error_name);
        *self.report.queue_stops.entry(format!("{reason} (last day's batch refused with {refusal})")).or_default() += 1;
    }
}

/// Runs one sequence of `steps` random steps and the final drain.
async fn run_sequence(seed: u64, steps: usize) -> Report {
    let mut h = Harness::new(seed).await;
    for step in 0..steps {
        h.step = step;
        h.step().await;
        if h.report.violations.len() >= MAX_VIOLATIONS {
            return h.report;
        }
    }
    h.step = steps;
    h.drain().await;
    h.report
}

/// Six fixed seeds of 120 steps (about 7–9 s in a debug build). A violation names its seed and
/// step, and the same seed replays it exactly.
#[tokio::test]
async fn random_sequences_keep_every_invariant() {
    let mut total = Report::default();
    for seed in 1..=6 {
        total.merge(run_sequence(seed, 120).await);
    }
    for v in total.violations.iter().take(20) {
        println!("violation: {v}");
    }
    println!("{}", total.summary());
    assert!(total.violations.is_empty(), "{} violations; first: {}", total.violations.len(), total.violations[0]);
}

/// `SLUICE_FUZZ_SEQUENCES` sequences (default 20) of 200 steps, seeds from
/// `SLUICE_FUZZ_SEED` (default 1000) on.
#[tokio::test]
#[ignore = "long run: scripts/fuzz.sh N"]
async fn long_run() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (n, first) = (env("SLUICE_FUZZ_SEQUENCES", 20), env("SLUICE_FUZZ_SEED", 1_000));
    let mut total = Report::default();
    for seed in first..first + n {
        total.merge(run_sequence(seed, 200).await);
    }
    for v in total.violations.iter().take(100) {
        println!("violation: {v}");
    }
    println!("{}", total.summary());
    assert!(total.violations.is_empty());
}

/// Regression, shrunk from the harness's drains (long-run seeds 1000, 1001, 1010, … before
/// `df448a9`): a Stress that outlasted `crisis_after_secs` became Crisis even after the
/// receivable had been repaid. In Crisis a batch pays only repayments realised since Crisis
/// began, and nothing was left to repay; Crisis ended only once the queue was under 3 % of
/// NAV, which takes payouts. So with the vault holding several times the queued value, the
/// queue never drained.
#[tokio::test]
async fn crisis_after_the_cash_is_in_never_drains_the_queue() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let q = f.init_redemption().await;
    f.init_reserve(150_000 * UNIT).await;
    let keeper = f.keeper().await;
    // Cash lent out, then a senior request of 20 % of NAV: Stress.
    let (idx, lock) = f.lock_cash().await;
    let id = f.request(&alice, &q[0], 2_000_000 * UNIT).await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);
    // A keeper cranks every day for seven weeks; on day 13 the receivable is repaid in full.
    for day in 1..=50 {
        f.chain.advance_clock(DAY).await.unwrap();
        if day == 13 {
            f.repay(idx, lock).await.unwrap();
        }
        f.publish(800).await.unwrap();
        f.reprice().await.unwrap();
        let _ = f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await;
        while f.crank(&keeper, &q[0], 256).await.is_ok() {}
    }
    let pool = f.pool().await;
    let r = f.queued(&q[0], id).await;
    assert_eq!(pool.cash, pool.nav, "every receivable is repaid: NAV is all cash");
    assert!(pool.cash_above_floor() > 5 * value_of(r.remaining, pool.tranches[0].value, pool.tranches[0].supply));
    assert_eq!(
        r.remaining, 0,
        "the queue drains once the cash is in, but {} tokens still wait in {:?} (realised budget {})",
        r.remaining, pool.stage, pool.realized_budget
    );
}
