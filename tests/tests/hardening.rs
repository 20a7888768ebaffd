//! Hardening: every hole the adversarial review found, attacked through the public
//! instructions on a real bank. Each test performs the attack and asserts the safe outcome:
//! a named error with the pool's accounts byte-for-byte unchanged (`expect_rejected`), or
//! balances and state showing that no value was taken.
//!
//! Holes covered: 1 (donations, pool-owned deposit targets), 2 (stale NAV after new rates
//! and after UTC midnight), 3 (cheap stage signals), 6 (rate window, publisher rotation),
//! 7 (pause), 9 (unowned residual), 14 (compounding coupons), 15/11d (buy-back sandwich,
//! shared budget), 16 (band fee splitting), 17 (impaired tranches), 19 (per-holder instant
//! threshold, daily overdue schedule), 20 (unsafe overdue schedules).
#![allow(deprecated)]

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use sluice::instructions::{plan_buyback, AddReceivableArgs, AddTrancheArgs, CreatePoolArgs, DepositArgs, SwapArgs};
use sluice::math::allocation::value_of;
use sluice::math::amm::quote;
use sluice::math::dcf::{overdue_haircut_bps, OverdueStep};
use sluice::math::time::{BPS, SECONDS_PER_DAY, SECONDS_PER_YEAR};
use sluice::math::tokens::tokens_for_deposit;
use sluice::state::{AmmParams, Pool, Stage, MAX_PUBLISHERS};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{self, AmmKeys, PoolKeys, Trader};
use sluice_sdk::{client, pda};
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;
/// Token-2022, the tranche mints' program.
const TOKEN_PROGRAM: Pubkey = ix::TOKEN_2022;
/// The fixture's tranches: (coupon, minimum subordination), senior first.
const FIXTURE_TRANCHES: [(u16, u16); 3] = [(800, 2_000), (1_200, 1_000), (0, 0)];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Junior 3M, mezzanine 2M, senior 5M (NAV 10M, all cash).
async fn funded_pool() -> (Fixture, Investor) {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    (f, alice)
}

/// An instant exit that must succeed; returns the base tokens received.
async fn exit(f: &mut Fixture, inv: &Investor, tranche: u8, tokens: u64) -> u64 {
    let before = f.balance(&inv.base).await;
    f.chain.send(&[instant(f, inv, tranche, tokens)], &[&inv.wallet]).await.unwrap();
    f.balance(&inv.base).await - before
}

/// A plain SPL Token `Transfer` of `amount` from `source` to `destination`, signed by `owner`.
fn token_transfer(source: &Pubkey, destination: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
    let mut data = vec![3u8];
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: TOKEN_PROGRAM,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data,
    }
}

fn publish_as(f: &Fixture, publisher: &Keypair, market_rate_bps: u32) -> Instruction {
    ix::publish_rates(&publisher.pubkey(), &f.keys, rates(f.sequence + 1, market_rate_bps))
}

/// A pool's own accounts, for `expect_rejected` on a pool other than the fixture's.
fn accounts_of(keys: &PoolKeys) -> Vec<Pubkey> {
    vec![keys.pool, keys.book, keys.vault, keys.oracle]
}

async fn pool_of(f: &mut Fixture, keys: &PoolKeys) -> Pool {
    client::pool(&mut f.chain, &keys.pool).await.unwrap()
}

/// A wallet with `base_amount` base tokens and token accounts for the first `tranches`
/// tranches of the pool `keys` (same base mint as the fixture's pool).
async fn investor_in(f: &mut Fixture, keys: &PoolKeys, tranches: u8, base_amount: u64) -> Investor {
    let wallet = Keypair::new();
    f.chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.unwrap();
    let base = client::create_token_account(&mut f.chain, &keys.base_mint, &wallet.pubkey()).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    client::mint_to(&mut f.chain, &keys.base_mint, &base, &issuer, base_amount).await.unwrap();
    let mut accounts = [Pubkey::default(); 3];
    for (i, a) in accounts.iter_mut().enumerate().take(tranches as usize) {
        *a = client::create_token_account(&mut f.chain, &keys.tranche_mint(i as u8), &wallet.pubkey()).await.unwrap();
    }
    Investor { wallet, base, tranches: accounts }
}

fn deposit_in(keys: &PoolKeys, inv: &Investor, tranche: u8, amount: u64, reserve: Option<Pubkey>) -> Instruction {
    ix::deposit(
        &inv.wallet.pubkey(),
        keys,
        &inv.base,
        &inv.tranches[tranche as usize],
        None,
        reserve,
        DepositArgs { tranche, amount, min_tokens_out: 0 },
    )
}

/// A second pool of the fixture's issuer with the fixture's tranches, rates published
/// (sequence 1) and the same deposits as `funded_pool` (junior, mezzanine, senior).
async fn twin_pool(f: &mut Fixture, pool_id: u64) -> PoolKeys {
    let keys = f.another_pool(pool_id).await;
    let issuer = f.issuer.insecure_clone();
    let publisher = f.publisher.insecure_clone();
    for (i, (coupon_bps, min_subordination_bps)) in FIXTURE_TRANCHES.into_iter().enumerate() {
        let args = AddTrancheArgs { coupon_bps, min_subordination_bps, metadata: tranche_metadata(0) };
        f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args)], &[&issuer]).await.unwrap();
    }
    f.chain.send(&[ix::publish_rates(&publisher.pubkey(), &keys, rates(1, 800))], &[&publisher]).await.unwrap();
    f.chain.send(&[ix::reprice(&keys)], &[]).await.unwrap();
    let inv = investor_in(f, &keys, 3, 20_000_000 * UNIT).await;
    for (tranche, amount) in [(JUNIOR, 3_000_000 * UNIT), (MEZZANINE, 2_000_000 * UNIT), (SENIOR, 5_000_000 * UNIT)] {
        f.chain.send(&[deposit_in(&keys, &inv, tranche, amount, None)], &[&inv.wallet]).await.unwrap();
    }
    keys
}

/// A tranche's market and the trader who seeded it.
struct Market {
    keys: AmmKeys,
    trader: Trader,
}

fn trader(inv: &Investor, tranche: u8, lp_account: Option<Pubkey>) -> Trader {
    Trader {
        user: inv.wallet.pubkey(),
        tranche_account: inv.tranches[tranche as usize],
        base_account: inv.base,
        lp_account,
        member: None,
    }
}

/// Opens a market (recommended parameters) for `tranche`; `inv` seeds it with `depth`
/// tranche tokens and `depth` base tokens (price 1.0) unless `depth` is 0.
async fn open_market(f: &mut Fixture, inv: &Investor, tranche: u8, depth: u64) -> Market {
    let keys = AmmKeys::new(&f.keys, tranche);
    let issuer = f.issuer.insecure_clone();
    f.chain
        .send(&[ix::create_amm(&issuer.pubkey(), &f.keys, &keys, AmmParams::RECOMMENDED)], &[&issuer])
        .await
        .unwrap();
    let lp = client::create_token_account(&mut f.chain, &keys.lp_mint, &inv.wallet.pubkey()).await.unwrap();
    let trader = trader(inv, tranche, Some(lp));
    if depth > 0 {
        f.chain.send(&[ix::add_liquidity(&f.keys, &keys, &trader, 0, depth, depth)], &[&inv.wallet]).await.unwrap();
    }
    Market { keys, trader }
}

async fn swap_ix(
    f: &mut Fixture,
    m: &AmmKeys,
    t: &Trader,
    buy_tranche: bool,
    amount_in: u64,
    min_out: u64,
) -> Instruction {
    let deadline = f.now().await + 60;
    ix::swap(&f.keys, m, t, SwapArgs { buy_tranche, amount_in, min_out, deadline })
}

/// The reserves the curve trades on: vault balances less the set-aside fee shares.
async fn reserves(f: &mut Fixture, m: &AmmKeys) -> (u64, u64) {
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    let (x, y) = (f.balance(&m.tranche_vault).await, f.balance(&m.base_vault).await);
    amm.reserves(x, y).unwrap()
}

/// The quote the program would give for a swap on `m` now (`math::amm::quote`).
async fn quote_now(f: &mut Fixture, m: &AmmKeys, buy_tranche: bool, amount_in: u64) -> sluice::math::amm::Quote {
    let pool = f.pool().await;
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    let (x, y) = reserves(f, m).await;
    let nav_price = pool.tranches[m.tranche as usize].price_e12;
    quote(x, y, buy_tranche, amount_in, nav_price, amm.params.fees(pool.stage)).unwrap()
}

/// A funded pool with queues and a reserve of 150,000; a market per `(tranche, dump)` with
/// 1M / 1M of liquidity into which `dump` tranche tokens were sold; then an hour of price
/// history and a fresh NAV, so the reserve's buy-back is due on each.
async fn discounted_markets(dumps: &[(u8, u64)]) -> (Fixture, Investor, Vec<QueueKeys>, Vec<Market>) {
    let (mut f, alice, q) = pool_with_queues().await;
    f.init_reserve(150_000 * UNIT).await;
    let mut markets = Vec::new();
    for &(tranche, dump) in dumps {
        let m = open_market(&mut f, &alice, tranche, 1_000_000 * UNIT).await;
        let sell = swap_ix(&mut f, &m.keys, &m.trader, false, dump, 0).await;
        f.chain.send(&[sell], &[&alice.wallet]).await.unwrap();
        markets.push(m);
    }
    f.chain.advance_clock(3_600).await.unwrap();
    f.refresh().await;
    (f, alice, q, markets)
}

// ---------------------------------------------------------------------------------------
// Hole 1
// ---------------------------------------------------------------------------------------

/// Hole 1: a donation wedged redemptions. One raw tranche token sent straight to a
/// tranche's escrow made its balance differ from what the pool accounts for, and every
/// request, cancel and batch of that tranche then failed its escrow check.
#[tokio::test]
async fn hole_1_a_donation_to_the_escrow_wedges_nothing() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    let mallory = f.investor(10_000 * UNIT, false).await;
    f.deposit(&mallory, SENIOR, 1_000 * UNIT).await.unwrap();
    let escrow = pda::escrow(&f.keys.pool, SENIOR);
    assert_eq!(escrow, q[0].escrow);
    let donation = token_transfer(&mallory.tranches[0], &escrow, &mallory.wallet.pubkey(), 1);
    f.chain.send(&[donation], &[&mallory.wallet]).await.unwrap();
    assert_eq!(f.balance(&escrow).await, 1);

    // Requests still join the queue …
    let paid = f.request(&alice, &q[0], 2_000 * UNIT).await.unwrap();
    let cancelled = f.request(&alice, &q[0], 1_000 * UNIT).await.unwrap();
    assert_eq!(f.pool().await.tranches[0].queued_tokens, 3_000 * UNIT);
    assert_eq!(f.balance(&escrow).await, 3_000 * UNIT + 1);

    // … a cancel works once the request has waited its batch interval (not before) …
    let early = ix::cancel_redemption(&alice.wallet.pubkey(), &f.keys, &q[0], &alice.tranches[0], cancelled);
    f.expect_rejected(&[early], &[&alice.wallet], SluiceError::CancelLocked, &[escrow, alice.tranches[0]]).await;
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    let before = f.balance(&alice.tranches[0]).await;
    f.cancel(&alice, &q[0], cancelled).await.unwrap();
    assert_eq!(f.balance(&alice.tranches[0]).await - before, 1_000 * UNIT);

    // … the batch pays at the NAV price …
    let t = f.pool().await.tranches[0];
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let due = value_of(2_000 * UNIT, t.value, t.supply);
    let r = f.queued(&q[0], paid).await;
    assert_eq!((r.remaining, r.claimable), (0, due));
    assert!(due > 2_000 * UNIT, "a day of senior coupon: {due}");

    // … and the claim pays out.
    let before = f.balance(&alice.base).await;
    let claim = ix::claim(&alice.wallet.pubkey(), &f.keys, &q[0], paid, &alice.base);
    f.chain.send(&[claim], &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - before, due);

    // The donated unit belongs to nobody: still in the escrow, counted nowhere.
    let t = f.pool().await.tranches[0];
    assert_eq!((t.queued_tokens, t.demand_tokens, t.reserve_tokens), (0, 0, 0));
    assert_eq!(f.balance(&escrow).await, 1);
}

/// Hole 1: a deposit could send its tranche tokens into a pool-owned account (the escrow,
/// a market vault): a donation made through the pool itself, with the same effect.
#[tokio::test]
async fn hole_1_a_deposit_cannot_mint_into_a_pool_owned_account() {
    let (mut f, alice, q) = pool_with_queues().await;
    let m = open_market(&mut f, &alice, SENIOR, 0).await;
    let w = alice.wallet.insecure_clone();
    let args = DepositArgs { tranche: SENIOR, amount: 1_000 * UNIT, min_tokens_out: 0 };
    for target in [q[0].escrow, m.keys.tranche_vault] {
        let ix = ix::deposit(&w.pubkey(), &f.keys, &alice.base, &target, None, None, args.clone());
        f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[target, alice.base]).await;
    }
    // The same deposit into the holder's own account goes through.
    let before = f.balance(&alice.tranches[0]).await;
    f.deposit(&alice, SENIOR, 1_000 * UNIT).await.unwrap();
    assert_eq!(f.balance(&alice.tranches[0]).await - before, 1_000 * UNIT);
    assert_eq!((f.balance(&q[0].escrow).await, f.balance(&m.keys.tranche_vault).await), (0, 0));
}

// ---------------------------------------------------------------------------------------
// Hole 2
// ---------------------------------------------------------------------------------------

/// Hole 2: new rates did not invalidate the NAV. Between `publish_rates` and the next
/// `reprice`, deposits and exits were priced at a NAV the new rates had already moved: who
/// saw rates fall bought cheap, who saw them rise sold dear — even in the same transaction.
#[tokio::test]
async fn hole_2_new_rates_make_the_nav_stale_until_a_reprice() {
    let (mut f, alice) = funded_pool().await;
    // A book whose value depends on the rates.
    f.add_receivable(4_000_000 * UNIT, 3_800_000 * UNIT, 120, 1).await.unwrap();
    f.reprice().await.unwrap();
    let w = alice.wallet.insecure_clone();
    let p = f.publisher.insecure_clone();
    let record = pda::holder(&f.keys.pool, JUNIOR, &w.pubkey());
    let watch = [alice.base, alice.tranches[2], record];

    // Rates fall, NAV rises: a junior deposit with the publication, or right after it.
    let old = f.pool().await.tranches[2];
    let deposit = f.deposit_ix(&alice, JUNIOR, 10_000 * UNIT, 0);
    let fall = publish_as(&f, &p, 500);
    f.expect_rejected(&[fall, deposit.clone()], &[&p, &w], SluiceError::NavStale, &watch).await;
    f.publish(500).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&deposit), &[&w], SluiceError::NavStale, &watch).await;
    f.reprice().await.unwrap();
    let new = f.pool().await.tranches[2];
    assert!(new.price_e12 > old.price_e12, "lower rates lift the junior: {} vs {}", new.price_e12, old.price_e12);
    let before = f.balance(&alice.tranches[2]).await;
    f.chain.send(&[deposit], &[&w]).await.unwrap();
    let got = f.balance(&alice.tranches[2]).await - before;
    assert_eq!(got, tokens_for_deposit(10_000 * UNIT, new.value, new.supply).unwrap());
    assert!(got < tokens_for_deposit(10_000 * UNIT, old.value, old.supply).unwrap());

    // Rates rise, NAV falls: a junior instant exit with the publication, or right after it.
    let old = f.pool().await.tranches[2];
    let redeem = instant(&f, &alice, JUNIOR, 5_000 * UNIT);
    let rise = publish_as(&f, &p, 1_300);
    f.expect_rejected(&[rise, redeem.clone()], &[&p, &w], SluiceError::NavStale, &watch).await;
    f.publish(1_300).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&redeem), &[&w], SluiceError::NavStale, &watch).await;
    f.reprice().await.unwrap();
    let new = f.pool().await.tranches[2];
    assert!(new.price_e12 < old.price_e12, "higher rates lower the junior: {} vs {}", new.price_e12, old.price_e12);
    let before = f.balance(&alice.base).await;
    f.chain.send(&[redeem], &[&w]).await.unwrap();
    let value = value_of(5_000 * UNIT, new.value, new.supply);
    let fee = (value as u128 * 50).div_ceil(BPS as u128) as u64;
    assert_eq!(f.balance(&alice.base).await - before, value - fee);
    assert!(value < value_of(5_000 * UNIT, old.value, old.supply));
}

/// Hole 2: a NAV computed before UTC midnight stayed usable after it, though due dates and
/// the overdue schedule step at midnight: an exit at 00:03 could use yesterday's value.
#[tokio::test]
async fn hole_2_a_nav_from_before_midnight_is_stale_after_it() {
    let (mut f, alice) = funded_pool().await;
    let w = alice.wallet.insecure_clone();
    let now = f.now().await;
    let midnight = (now.div_euclid(DAY) + 1) * DAY;
    f.chain.set_clock(midnight - 120).await.unwrap();
    f.refresh().await;
    // At 23:58 the NAV is good.
    f.deposit(&alice, JUNIOR, 1_000 * UNIT).await.unwrap();
    // At 00:03 it is five minutes old (under the ten-minute age), the rates too, but it is
    // from yesterday.
    f.chain.advance_clock(300).await.unwrap();
    let pool = f.pool().await;
    assert!(f.now().await - pool.nav_time < pool.params.max_nav_age_secs as i64);
    let watch = [alice.base, alice.tranches[2]];
    f.expect_rejected(&[f.deposit_ix(&alice, JUNIOR, 1_000 * UNIT, 0)], &[&w], SluiceError::NavStale, &watch).await;
    f.expect_rejected(&[instant(&f, &alice, JUNIOR, 1_000 * UNIT)], &[&w], SluiceError::NavStale, &watch).await;
    // A reprice today makes it fresh.
    f.reprice().await.unwrap();
    let before = f.balance(&alice.tranches[2]).await;
    f.deposit(&alice, JUNIOR, 1_000 * UNIT).await.unwrap();
    assert!(f.balance(&alice.tranches[2]).await > before);
    assert!(exit(&mut f, &alice, JUNIOR, 1_000 * UNIT).await > 0);
}

// ---------------------------------------------------------------------------------------
// Hole 3 (stage signals)
// ---------------------------------------------------------------------------------------

/// Hole 3: a market that never traded read as a 100 % discount to NAV (no price is price
/// 0), so anyone could push the pool into Stress by passing it to `update_stage`.
#[tokio::test]
async fn hole_3_a_market_that_never_traded_signals_no_stress() {
    let (mut f, alice) = funded_pool().await;
    let m = open_market(&mut f, &alice, SENIOR, 0).await;
    // Three days on, past any minimum stay: the stage would move if anything called for it.
    f.chain.advance_clock(3 * DAY).await.unwrap();
    f.refresh().await;
    let update = ix::update_stage(&f.keys.pool, Some(m.keys.amm));
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[m.keys.amm]).await;
    // With liquidity but no trade, an hour on: its price is NAV's, no discount either.
    let seed = ix::add_liquidity(&f.keys, &m.keys, &m.trader, 0, 1_000_000 * UNIT, 1_000_000 * UNIT);
    f.chain.send(&[seed], &[&alice.wallet]).await.unwrap();
    f.chain.advance_clock(3_600).await.unwrap();
    f.expect_rejected(&[update], &[], SluiceError::StageUnchanged, &[m.keys.amm]).await;
    assert_eq!(f.pool().await.stage, Stage::Normal);
}

/// Hole 3: dump, `update_stage`, buy back — in one transaction, or three in one second —
/// moved the pool to Stress on a price that held for no time at all.
#[tokio::test]
async fn hole_3_a_dump_and_buy_back_sandwich_does_not_move_the_stage() {
    let (mut f, alice) = funded_pool().await;
    let w = alice.wallet.insecure_clone();
    let m = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    f.chain.advance_clock(3 * DAY).await.unwrap();
    f.refresh().await;
    let update = ix::update_stage(&f.keys.pool, Some(m.keys.amm));
    let watch = [m.keys.amm, m.keys.tranche_vault, m.keys.base_vault, alice.base, alice.tranches[0]];

    // Dumping 100,000 moves the spot price ~17 % under NAV (Stress is at 10 %).
    let q = quote_now(&mut f, &m.keys, false, 100_000 * UNIT).await;
    let nav_price = f.pool().await.tranches[0].price_e12;
    assert!(q.price_e12 < nav_price / 100 * 85);
    let dump = swap_ix(&mut f, &m.keys, &m.trader, false, 100_000 * UNIT, 0).await;
    let back = swap_ix(&mut f, &m.keys, &m.trader, true, q.amount_out, 0).await;
    f.expect_rejected(&[dump.clone(), update.clone(), back.clone()], &[&w], SluiceError::StageUnchanged, &watch).await;

    // The same three steps as three transactions in the same second.
    f.chain.send(&[dump], &[&w]).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.send(&[back], &[&w]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Normal);

    // A discount that is held is a signal: dumped and left there for two hours, Stress.
    let dump = swap_ix(&mut f, &m.keys, &m.trader, false, 100_000 * UNIT, 0).await;
    f.chain.send(&[dump], &[&w]).await.unwrap();
    f.chain.advance_clock(7_200).await.unwrap();
    f.chain.send(&[update], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);
}

/// Hole 3: queued value could be faked (request, `update_stage`, cancel in one
/// transaction), and Stress fell into Crisis the moment the reserve was empty, without the
/// minimum stay in Stress.
#[tokio::test]
async fn hole_3_stress_waits_its_minimum_stay_before_crisis_on_an_empty_reserve() {
    let (mut f, alice, q) = pool_with_queues().await;
    f.init_reserve(0).await;
    f.chain.advance_clock(3 * DAY).await.unwrap();
    f.refresh().await;
    // Cash lent out: a stress the cash covers would never become a crisis.
    f.lock_cash().await;
    let update = ix::update_stage(&f.keys.pool, None);

    // A 12 % request that is withdrawn in the same transaction is no signal: refused.
    let id = f.pool().await.tranches[0].queue_tail;
    let w = alice.wallet.insecure_clone();
    let request = ix::request_redemption(&w.pubkey(), &f.keys, &q[0], &alice.tranches[0], 1_200_000 * UNIT);
    let cancel = ix::cancel_redemption(&w.pubkey(), &f.keys, &q[0], &alice.tranches[0], id);
    f.expect_rejected(&[request, update.clone(), cancel], &[&w], SluiceError::CancelLocked, &[q[0].escrow]).await;

    // A real 12 % request: Stress.
    f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.stage, Stage::Stress);
    // The reserve is empty and requests wait, but Stress has not lasted its minimum.
    assert!(pool.reserve_vault != Pubkey::default() && pool.reserve_balance < pool.reserve_target() / 100);
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    let min_stay = pool.params.redemption.min_stage_secs as i64;
    f.chain.advance_clock(min_stay - 60).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.advance_clock(60).await.unwrap();
    f.chain.send(&[update], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Crisis);
}

// ---------------------------------------------------------------------------------------
// Hole 6
// ---------------------------------------------------------------------------------------

/// Hole 6: the rate bound held per update, not over time: a publisher (or a stolen key)
/// could walk the market rate 500 bps per transaction as far as it liked in one second.
#[tokio::test]
async fn hole_6_the_rate_bound_holds_over_a_24_hour_window() {
    let mut f = Fixture::new(false).await;
    let p = f.publisher.insecure_clone();
    assert_eq!(f.pool().await.params.max_rate_move_bps, 500);
    // Three publications in the same second: 800, 1,300 (a full bound), then 1,800.
    f.publish(800).await.unwrap();
    f.publish(1_300).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &p, 1_800)], &[&p], SluiceError::RateMoveTooLarge, &[]).await;
    // A minute later, still in the window: not a single bps further.
    f.chain.advance_clock(60).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &p, 1_301)], &[&p], SluiceError::RateMoveTooLarge, &[]).await;
    let oracle = f.oracle().await;
    assert_eq!((oracle.market_rate_bps, oracle.anchor_market_rate_bps), (1_300, 800));

    // 24 h after the window opened, a new one is anchored at the rates then stored (1,300).
    let opened = oracle.anchor_time;
    f.chain.set_clock(opened + DAY).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &p, 1_801)], &[&p], SluiceError::RateMoveTooLarge, &[]).await;
    f.publish(1_800).await.unwrap();
    let oracle = f.oracle().await;
    assert_eq!((oracle.market_rate_bps, oracle.anchor_market_rate_bps), (1_800, 1_300));
    assert_eq!(oracle.anchor_time, opened + DAY);
    // And the new window holds too.
    f.chain.advance_clock(1).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &p, 2_300)], &[&p], SluiceError::RateMoveTooLarge, &[]).await;
}

/// Hole 6: publishers could not be rotated: a compromised publisher key stayed in the
/// oracle for good, and nothing let the issuer or the guardian take it out.
#[tokio::test]
async fn hole_6_publishers_rotate_in_two_steps_and_can_be_removed() {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let guardian = f.guardian.insecure_clone();
    let old = f.publisher.insecure_clone();
    let new = Keypair::new();
    let stranger = Keypair::new();
    for k in [&new, &stranger] {
        f.chain.airdrop(&k.pubkey(), 1_000_000_000).await.unwrap();
    }

    // Only the authority proposes; the proposed key publishes nothing until it accepts, and
    // nobody else can accept for it.
    let hijack = ix::propose_publisher(&stranger.pubkey(), &f.keys, &stranger.pubkey());
    f.expect_rejected(&[hijack], &[&stranger], SluiceError::NotAuthority, &[]).await;
    f.chain.send(&[ix::propose_publisher(&issuer.pubkey(), &f.keys, &new.pubkey())], &[&issuer]).await.unwrap();
    assert_eq!(f.oracle().await.pending_publisher, new.pubkey());
    f.expect_rejected(&[publish_as(&f, &new, 800)], &[&new], SluiceError::NotPublisher, &[]).await;
    let steal = ix::accept_publisher(&stranger.pubkey(), &f.keys);
    f.expect_rejected(&[steal], &[&stranger], SluiceError::NotPendingPublisher, &[]).await;
    f.chain.send(&[ix::accept_publisher(&new.pubkey(), &f.keys)], &[&new]).await.unwrap();
    let oracle = f.oracle().await;
    assert!(oracle.publishers.contains(&new.pubkey()));
    assert_eq!(oracle.pending_publisher, Pubkey::default());

    // The new key publishes.
    f.chain.send(&[publish_as(&f, &new, 850)], &[&new]).await.unwrap();
    f.sequence += 1;
    assert_eq!(f.oracle().await.market_rate_bps, 850);

    // A stranger removes nobody; the guardian removes the old key, which is then refused.
    let hijack = ix::remove_publisher(&stranger.pubkey(), &f.keys, &old.pubkey());
    f.expect_rejected(&[hijack], &[&stranger], SluiceError::NotAuthority, &[]).await;
    f.chain.send(&[ix::remove_publisher(&guardian.pubkey(), &f.keys, &old.pubkey())], &[&guardian]).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &old, 800)], &[&old], SluiceError::NotPublisher, &[]).await;
    // The authority may remove one too.
    f.chain.send(&[ix::remove_publisher(&issuer.pubkey(), &f.keys, &new.pubkey())], &[&issuer]).await.unwrap();
    f.expect_rejected(&[publish_as(&f, &new, 800)], &[&new], SluiceError::NotPublisher, &[]).await;
    assert!(f.oracle().await.publishers.iter().all(|k| *k == Pubkey::default()));
    assert_eq!(f.oracle().await.market_rate_bps, 850);
    let again = ix::remove_publisher(&guardian.pubkey(), &f.keys, &old.pubkey());
    f.expect_rejected(&[again], &[&guardian], SluiceError::UnknownPublisher, &[]).await;
}

// ---------------------------------------------------------------------------------------
// Hole 7
// ---------------------------------------------------------------------------------------

/// Hole 7: pause did not stop outflows. A guardian who believed the NAV was wrong could not
/// hold it: instant exits, new requests, batch fills, reserve recycling and buy-backs,
/// deposits and reserve withdrawals all went on at the doubted price.
#[tokio::test]
async fn hole_7_pause_stops_every_outflow_and_leaves_holders_their_own() {
    let (mut f, alice, q) = pool_with_queues().await;
    f.init_reserve(200_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    let guardian = f.guardian.insecure_clone();
    let keeper = f.keeper().await;
    let w = alice.wallet.insecure_clone();

    // A senior market dumped 17 % under NAV (a buy-back is due), its fee shares swept, so
    // the reserve holds senior tokens (a recycle is due).
    let m = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    let dump = swap_ix(&mut f, &m.keys, &m.trader, false, 100_000 * UNIT, 0).await;
    f.chain.send(&[dump], &[&w]).await.unwrap();
    let proto_base = client::create_token_account(&mut f.chain, &f.keys.base_mint, &issuer.pubkey()).await.unwrap();
    let senior_mint = f.keys.tranche_mint(SENIOR);
    let proto_tranche = client::create_token_account(&mut f.chain, &senior_mint, &issuer.pubkey()).await.unwrap();
    f.chain.send(&[ix::sweep_market_fees(&f.keys, &m.keys, &proto_base, &proto_tranche)], &[]).await.unwrap();
    assert!(f.pool().await.tranches[0].reserve_tokens > 0);
    // A request paid by a batch (to claim later) and one waiting (to cancel later).
    let paid = f.request(&alice, &q[0], 2_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let claimable = f.queued(&q[0], paid).await.claimable;
    assert!(claimable >= 2_000 * UNIT);
    let waiting = f.request(&alice, &q[0], 1_000 * UNIT).await.unwrap();
    // A day on: the cancel lock is over, the next batch is due, the NAV is fresh.
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;

    f.chain.send(&[ix::pause(&guardian.pubkey(), &f.keys.pool)], &[&guardian]).await.unwrap();
    let watch = [
        f.reserve.unwrap(),
        q[0].escrow,
        alice.base,
        alice.tranches[0],
        alice.tranches[2],
        m.keys.amm,
        m.keys.tranche_vault,
        m.keys.base_vault,
        f.issuer_base,
        keeper.1,
        pda::holder(&f.keys.pool, SENIOR, &w.pubkey()),
    ];
    let outflows: [(&str, Instruction, Option<&Keypair>); 7] = [
        ("redeem_instant", instant(&f, &alice, SENIOR, 1_000 * UNIT), Some(&w)),
        (
            "request_redemption",
            ix::request_redemption(&w.pubkey(), &f.keys, &q[0], &alice.tranches[0], 1_000 * UNIT),
            Some(&w),
        ),
        ("process_batch", f.crank_ix(&keeper, &q[0], 256), Some(&keeper.0)),
        ("recycle_reserve", ix::recycle_reserve(&f.keys, &q[0]), None),
        ("deposit", f.deposit_ix(&alice, JUNIOR, 1_000 * UNIT, 0), Some(&w)),
        (
            "withdraw_reserve",
            ix::withdraw_reserve(&issuer.pubkey(), &f.keys, &f.issuer_base, 1_000 * UNIT),
            Some(&issuer),
        ),
        ("reserve_buyback", ix::reserve_buyback(&f.keys, &m.keys), None),
    ];
    for (name, ix, signer) in &outflows {
        let signers: Vec<&Keypair> = signer.iter().copied().collect();
        let before = f.snapshot(&watch).await;
        let result = f.chain.send(std::slice::from_ref(ix), &signers).await;
        assert!(matches!(&result, Err(e) if e.is(SluiceError::PoolPaused)), "{name} while paused: {result:?}");
        assert_eq!(before, f.snapshot(&watch).await, "{name} changed state while paused");
    }

    // What goes on: repricing, cancels after the lock, claims of value already paid.
    f.chain.advance_clock(60).await.unwrap();
    f.reprice().await.unwrap();
    assert_eq!(f.pool().await.nav_time, f.now().await);
    let before = f.balance(&alice.tranches[0]).await;
    f.cancel(&alice, &q[0], waiting).await.unwrap();
    assert_eq!(f.balance(&alice.tranches[0]).await - before, 1_000 * UNIT);
    let before = f.balance(&alice.base).await;
    f.chain.send(&[ix::claim(&w.pubkey(), &f.keys, &q[0], paid, &alice.base)], &[&w]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - before, claimable);
    assert!(f.pool().await.paused);

    // Unpaused, every outflow works again.
    f.chain.send(&[ix::unpause(&guardian.pubkey(), &f.keys.pool)], &[&guardian]).await.unwrap();
    let before = f.balance(&alice.tranches[2]).await;
    f.deposit(&alice, JUNIOR, 1_000 * UNIT).await.unwrap();
    assert!(f.balance(&alice.tranches[2]).await > before);
    assert!(exit(&mut f, &alice, SENIOR, 1_000 * UNIT).await > 990 * UNIT);
    let id = f.request(&alice, &q[0], 1_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    assert!(f.queued(&q[0], id).await.claimable >= 1_000 * UNIT);
    let held = f.pool().await.tranches[0].reserve_tokens;
    f.chain.send(&[ix::recycle_reserve(&f.keys, &q[0])], &[]).await.unwrap();
    assert!(f.pool().await.tranches[0].reserve_tokens < held);
    let balance = f.pool().await.reserve_balance;
    let withdraw = ix::withdraw_reserve(&issuer.pubkey(), &f.keys, &f.issuer_base, 1_000 * UNIT);
    f.chain.send(&[withdraw], &[&issuer]).await.unwrap();
    assert_eq!(f.pool().await.reserve_balance, balance - 1_000 * UNIT);
    f.chain.send(&[ix::reserve_buyback(&f.keys, &m.keys)], &[]).await.unwrap();
    assert!(f.pool().await.buyback_spent > 0);
}

// ---------------------------------------------------------------------------------------
// Hole 9
// ---------------------------------------------------------------------------------------

/// Hole 9: the first depositor took an unowned residual. When the junior tranche held value
/// but no tokens (every holder left, then NAV grew), the next deposit minted 1:1 into it and
/// the depositor owned the whole residual for the price of its own deposit.
#[tokio::test]
async fn hole_9_an_unowned_residual_goes_to_the_reserve_not_the_first_depositor() {
    const S: u8 = 0;
    const J: u8 = 1;
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let publisher = f.publisher.insecure_clone();
    // A second pool whose senior needs no subordination, so its junior may leave entirely.
    let keys = f.another_pool(9).await;
    for (i, coupon_bps) in [800u16, 0].into_iter().enumerate() {
        let args = AddTrancheArgs { coupon_bps, min_subordination_bps: 0, metadata: tranche_metadata(0) };
        f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args)], &[&issuer]).await.unwrap();
    }
    f.chain.send(&[ix::publish_rates(&publisher.pubkey(), &keys, rates(1, 800))], &[&publisher]).await.unwrap();
    f.chain.send(&[ix::reprice(&keys)], &[]).await.unwrap();
    let q = client::init_redemption(&mut f.chain, &issuer, &keys, J).await.unwrap();
    let alice = investor_in(&mut f, &keys, 2, 100_000 * UNIT).await;
    let bob = investor_in(&mut f, &keys, 2, 100_000 * UNIT).await;
    let carol = investor_in(&mut f, &keys, 2, 100_000 * UNIT).await;
    f.chain.send(&[deposit_in(&keys, &alice, J, 1_000 * UNIT, None)], &[&alice.wallet]).await.unwrap();
    f.chain.send(&[deposit_in(&keys, &alice, S, 10_000 * UNIT, None)], &[&alice.wallet]).await.unwrap();

    // The whole junior leaves through a batch.
    let request = ix::request_redemption(&alice.wallet.pubkey(), &keys, &q, &alice.tranches[1], 1_000 * UNIT);
    f.chain.send(&[request], &[&alice.wallet]).await.unwrap();
    let keeper = f.keeper().await;
    let crank = ix::process_batch(&keeper.0.pubkey(), &keeper.1, &keys, &q, None, 256);
    f.chain.send(&[crank], &[&keeper.0]).await.unwrap();
    let junior = pool_of(&mut f, &keys).await.tranches[1];
    assert_eq!((junior.supply, junior.value), (0, 0));

    // Then NAV grows: a receivable funded at 2,000 is worth nearly its 4,000 face.
    let due = f.due_in_days(30).await;
    let args = AddReceivableArgs {
        face_value: 4_000 * UNIT,
        funded: 2_000 * UNIT,
        due_ts: due,
        risk_class: 0,
        document_hash: [9; 32],
    };
    f.chain.send(&[ix::add_receivable(&issuer.pubkey(), &keys, 0, &f.borrower_base, args)], &[&issuer]).await.unwrap();
    f.chain.send(&[ix::reprice(&keys)], &[]).await.unwrap();
    let before = pool_of(&mut f, &keys).await;
    let residual = before.tranches[1].value;
    assert_eq!(before.tranches[1].supply, 0);
    assert!(residual > 1_900 * UNIT, "the junior holds value nobody owns: {residual}");

    // Without a reserve to own it, the deposit is refused; nor can the senior take deposits.
    let mut watch = accounts_of(&keys);
    watch.extend([bob.base, bob.tranches[0], bob.tranches[1]]);
    let grab = deposit_in(&keys, &bob, J, 1_000 * UNIT, None);
    f.expect_rejected(&[grab], &[&bob.wallet], SluiceError::UnownedValue, &watch).await;
    let senior = deposit_in(&keys, &bob, S, 1_000 * UNIT, None);
    f.expect_rejected(&[senior], &[&bob.wallet], SluiceError::JuniorNotFunded, &watch).await;

    // With a reserve, the residual is first minted to it at par; Bob buys at par and gets
    // exactly what he paid for.
    f.chain.send(&[ix::init_reserve(&issuer.pubkey(), &keys)], &[&issuer]).await.unwrap();
    let reserve = pda::reserve(&keys.pool);
    f.chain.send(&[deposit_in(&keys, &bob, J, 1_000 * UNIT, Some(reserve))], &[&bob.wallet]).await.unwrap();
    let after = pool_of(&mut f, &keys).await;
    let j = after.tranches[1];
    let got = f.balance(&bob.tranches[1]).await;
    assert_eq!(got, 1_000 * UNIT);
    let worth = value_of(got, j.value, j.supply);
    assert!(worth <= 1_000 * UNIT && 1_000 * UNIT - worth <= 1, "Bob's 1,000 is worth {worth}");
    // The residual is the reserve's: its tokens at par plus what Bob paid it.
    assert_eq!(j.reserve_tokens, residual - 1_000 * UNIT);
    assert_eq!(after.reserve_balance, 1_000 * UNIT);
    assert_eq!(after.reserve_balance + value_of(j.reserve_tokens, j.value, j.supply), residual);
    assert_eq!(f.balance(&reserve).await, 1_000 * UNIT);
    assert_eq!(f.balance(&pda::escrow(&keys.pool, J)).await, j.reserve_tokens);
    assert_eq!((after.nav, after.cash), (before.nav, before.cash));

    // Carol buys the rest of the reserve's tokens and new ones: the residual ends as cash
    // in the reserve, and she too owns only what she paid.
    f.chain.send(&[deposit_in(&keys, &carol, J, 2_000 * UNIT, Some(reserve))], &[&carol.wallet]).await.unwrap();
    let end = pool_of(&mut f, &keys).await;
    let j = end.tranches[1];
    let got = f.balance(&carol.tranches[1]).await;
    let worth = value_of(got, j.value, j.supply);
    assert!(worth <= 2_000 * UNIT && 2_000 * UNIT - worth <= 1, "Carol's 2,000 is worth {worth}");
    assert_eq!(j.reserve_tokens, 0);
    assert_eq!(end.reserve_balance, residual);
    assert_eq!(f.balance(&reserve).await, residual);
}

// ---------------------------------------------------------------------------------------
// Hole 14
// ---------------------------------------------------------------------------------------

/// Hole 14: coupons compounded with the reprice frequency. Each reprice accrued the coupon
/// on the whole claim, interest included, so a keeper repricing every few minutes lifted the
/// senior tranches' claims above their simple coupon, at the junior's expense.
#[tokio::test]
async fn hole_14_frequent_repricing_does_not_compound_coupons() {
    const DAYS: i64 = 3;
    const STEP: i64 = 600;
    let (mut f, _alice) = funded_pool().await;
    // An identical pool on the same bank and clock, repriced only at the end.
    let twin = twin_pool(&mut f, 2).await;
    f.chain.send(&[ix::reprice(&f.keys), ix::reprice(&twin)], &[]).await.unwrap();
    let start = (f.pool().await, pool_of(&mut f, &twin).await);
    assert_eq!(start.0.nav_time, start.1.nav_time);

    let steps = DAYS * DAY / STEP;
    for i in 0..steps {
        f.chain.advance_clock(STEP).await.unwrap();
        if i % 6 == 0 {
            f.publish(800).await.unwrap();
        }
        f.reprice().await.unwrap();
    }
    let publisher = f.publisher.insecure_clone();
    f.chain.send(&[ix::publish_rates(&publisher.pubkey(), &twin, rates(2, 800))], &[&publisher]).await.unwrap();
    f.chain.send(&[ix::reprice(&twin)], &[]).await.unwrap();
    let (often, once) = (f.pool().await, pool_of(&mut f, &twin).await);
    assert_eq!(often.nav_time, once.nav_time);
    assert_eq!(once.nav_time - start.1.nav_time, DAYS * DAY);

    for t in [SENIOR, MEZZANINE] {
        let i = t as usize;
        let (a, b) = (start.0.tranches[i], start.1.tranches[i]);
        assert_eq!((a.principal, a.claim, a.coupon_bps), (b.principal, b.claim, b.coupon_bps));
        assert_eq!(b.claim, b.principal);
        let year = BPS as u128 * SECONDS_PER_YEAR as u128;
        let simple = (b.principal as u128 * b.coupon_bps as u128 * (DAYS * DAY) as u128 / year) as u64;
        let grown_once = once.tranches[i].claim - b.claim;
        let grown_often = often.tranches[i].claim - a.claim;
        assert_eq!(grown_once, simple, "tranche {t}: one reprice accrues simple interest on principal");
        assert!(grown_often <= grown_once, "tranche {t}: frequent {grown_often} > once {grown_once}");
        // Each reprice floors its interest: at most one raw unit lost per reprice.
        assert!(grown_once - grown_often <= steps as u64, "tranche {t}: {grown_once} vs {grown_often}");
        // Compounding every ten minutes would have added far more than that.
        let mut compounded = b.claim as u128;
        for _ in 0..steps {
            compounded += compounded * b.coupon_bps as u128 * STEP as u128 / year;
        }
        let excess = compounded - b.claim as u128 - simple as u128;
        assert!(excess > 100 * steps as u128, "tranche {t}: the test must tell compounding apart ({excess})");
    }
}

// ---------------------------------------------------------------------------------------
// Hole 15 / 11d
// ---------------------------------------------------------------------------------------

/// Hole 15 / 11d: the reserve's buy-back could be sandwiched. An attacker bought on the
/// market, let `reserve_buyback` lift the price further with the reserve's money, and sold
/// back into it at a profit.
#[tokio::test]
async fn hole_15_a_buyback_sandwich_finds_nothing_to_buy() {
    let (mut f, _alice, q, markets) = discounted_markets(&[(SENIOR, 100_000 * UNIT)]).await;
    let m = &markets[0];
    let mallory = f.investor(1_000_000 * UNIT, false).await;
    let t = trader(&mallory, SENIOR, None);
    // Before the attack, a buy-back is due.
    let now = f.now().await;
    let (pool, amm) = (f.pool().await, client::amm(&mut f.chain, &m.keys.amm).await.unwrap());
    let r = reserves(&mut f, &m.keys).await;
    assert!(plan_buyback(&pool, &amm, r, now).unwrap().spend > 0);
    let watch = [mallory.base, mallory.tranches[0], m.keys.amm, m.keys.tranche_vault, m.keys.base_vault, q[0].escrow];
    let buyback = ix::reserve_buyback(&f.keys, &m.keys);

    // In one transaction: buy, let the reserve buy, sell back. Refused as a whole.
    let bought = quote_now(&mut f, &m.keys, true, 50_000 * UNIT).await.amount_out;
    let buy = swap_ix(&mut f, &m.keys, &t, true, 50_000 * UNIT, 0).await;
    let sell = swap_ix(&mut f, &m.keys, &t, false, bought, 0).await;
    let mut with_reserve = watch.to_vec();
    with_reserve.push(f.reserve.unwrap());
    f.expect_rejected(
        &[buy.clone(), buyback.clone(), sell],
        &[&mallory.wallet],
        SluiceError::NothingToProcess,
        &with_reserve,
    )
    .await;

    // As three transactions: the push-up leaves the spot price above the time-weighted
    // price, and the reserve does not buy into it.
    f.chain.send(&[buy], &[&mallory.wallet]).await.unwrap();
    let amm = client::amm(&mut f.chain, &m.keys.amm).await.unwrap();
    let twap = amm.twap_e12(f.now().await).unwrap();
    assert!(amm.twap.last_price_e12 > twap, "spot {} vs twap {twap}", amm.twap.last_price_e12);
    f.expect_rejected(std::slice::from_ref(&buyback), &[], SluiceError::NothingToProcess, &with_reserve).await;
    let held = f.balance(&mallory.tranches[0]).await;
    assert_eq!(held, bought);
    let sell = swap_ix(&mut f, &m.keys, &t, false, held, 0).await;
    f.chain.send(&[sell], &[&mallory.wallet]).await.unwrap();
    // The attacker paid two rounds of fees for nothing; the reserve spent nothing.
    let end = f.balance(&mallory.base).await;
    assert!(end < 1_000_000 * UNIT, "the sandwich paid: {end}");
    assert_eq!(f.balance(&mallory.tranches[0]).await, 0);
    let pool = f.pool().await;
    assert_eq!((pool.reserve_balance, pool.buyback_spent), (150_000 * UNIT, 0));
    assert_eq!(pool.tranches[0].reserve_tokens, 0);
}

/// Hole 15 / 11d: each market had its own buy-back budget, so a pool with two markets could
/// spend twice the reserve's daily share. The budget is the pool's, shared by its markets.
#[tokio::test]
async fn hole_15_two_markets_share_one_daily_buyback_budget() {
    let (mut f, _alice, _q, markets) =
        discounted_markets(&[(SENIOR, 50_000 * UNIT), (MEZZANINE, 100_000 * UNIT)]).await;
    let budget = 150_000 * UNIT / BPS as u64 * AmmParams::RECOMMENDED.buyback_budget_bps as u64;
    assert_eq!(budget, 37_500 * UNIT);
    // On its own, the mezzanine market would take the whole day's budget.
    let now = f.now().await;
    let pool = f.pool().await;
    let mezz_amm = client::amm(&mut f.chain, &markets[1].keys.amm).await.unwrap();
    let r = reserves(&mut f, &markets[1].keys).await;
    assert_eq!(plan_buyback(&pool, &mezz_amm, r, now).unwrap().spend, budget);

    // The senior market needs less than the budget …
    f.chain.send(&[ix::reserve_buyback(&f.keys, &markets[0].keys)], &[]).await.unwrap();
    let pool = f.pool().await;
    let first = pool.buyback_spent;
    assert!(first > 0 && first < budget, "senior buy-back spent {first}");
    assert_eq!(pool.buyback_budget, budget);
    // … and the mezzanine market gets only what is left.
    f.chain.send(&[ix::reserve_buyback(&f.keys, &markets[1].keys)], &[]).await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.buyback_spent, budget);
    assert_eq!(pool.reserve_balance, 150_000 * UNIT - budget);
    assert_eq!(f.balance(&f.reserve.unwrap()).await, pool.reserve_balance);
    // Nothing more today, on either market.
    for m in &markets {
        f.expect_rejected(&[ix::reserve_buyback(&f.keys, &m.keys)], &[], SluiceError::NothingToProcess, &[]).await;
    }
}

// ---------------------------------------------------------------------------------------
// Hole 16
// ---------------------------------------------------------------------------------------

/// Sells `amount` tranche tokens on `m` and checks the program paid exactly what
/// `math::amm::quote` gives; returns (fee, base received).
async fn sell_checked(f: &mut Fixture, inv: &Investor, m: &Market, amount: u64) -> (u64, u64) {
    let q = quote_now(f, &m.keys, false, amount).await;
    let before = f.balance(&inv.base).await;
    let ix = swap_ix(f, &m.keys, &m.trader, false, amount, q.amount_out).await;
    f.chain.send(&[ix], &[&inv.wallet]).await.unwrap();
    assert_eq!(f.balance(&inv.base).await - before, q.amount_out);
    (q.fee, q.amount_out)
}

/// Hole 16: the NAV-band fee could be avoided by splitting. Each piece of a split trade paid
/// the band rate where it landed, so ten small sells paid about half the band fee of one
/// large sell (0.6 % of the trade saved).
#[tokio::test]
async fn hole_16_splitting_a_trade_saves_no_band_fee() {
    let (mut f, alice) = funded_pool().await;
    // Two markets in the same state: the same curve and the same NAV price (both at par).
    let whole = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    let split = open_market(&mut f, &alice, MEZZANINE, 1_000_000 * UNIT).await;
    let pool = f.pool().await;
    assert_eq!(pool.tranches[0].price_e12, pool.tranches[1].price_e12);
    assert_eq!(reserves(&mut f, &whole.keys).await, reserves(&mut f, &split.keys).await);

    let trade = 100_000 * UNIT;
    let (fee_whole, out_whole) = sell_checked(&mut f, &alice, &whole, trade).await;
    let (mut fee_split, mut out_split) = (0, 0);
    for _ in 0..10 {
        let (fee, out) = sell_checked(&mut f, &alice, &split, trade / 10).await;
        fee_split += fee;
        out_split += out;
    }
    // The band fee is real: one sell of 100,000 pays well above the 0.3 % base fee.
    assert!(fee_whole > trade / 100, "fee {fee_whole}");
    let saving = fee_whole.saturating_sub(fee_split);
    assert!(saving * 10_000 < trade * 5, "splitting saved {saving} of {fee_whole} in fees (≥ 0.05 %)");
    let gain = out_split.saturating_sub(out_whole);
    assert!(gain * 10_000 < trade * 5, "splitting paid {gain} more (≥ 0.05 %)");
}

// ---------------------------------------------------------------------------------------
// Hole 17
// ---------------------------------------------------------------------------------------

/// Hole 17: deposits went into impaired tranches. A senior or mezzanine tranche worth less
/// than its claim (the junior wiped out by a write-down) still took deposits at its
/// depressed price, and the newcomer shared the recovery of a loss it never bore.
#[tokio::test]
async fn hole_17_an_impaired_tranche_takes_no_deposits() {
    let (mut f, _alice) = funded_pool().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let issuer = f.issuer.insecure_clone();
    let first = f.add_receivable(4_000_000 * UNIT, 4_000_000 * UNIT, 60, 0).await.unwrap();
    let second = f.add_receivable(2_000_000 * UNIT, 2_000_000 * UNIT, 90, 0).await.unwrap();
    let watch = [bob.base, bob.tranches[0], bob.tranches[1], bob.tranches[2]];

    // A 4M default: the junior is wiped out, the mezzanine keeps half its claim.
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, first, 0)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    let t = f.pool().await.tranches;
    assert_eq!(t[2].value, 0);
    assert!(t[1].value > 0 && t[1].value < t[1].claim, "mezzanine {} of {}", t[1].value, t[1].claim);
    for tranche in [MEZZANINE, JUNIOR] {
        let ix = f.deposit_ix(&bob, tranche, 10_000 * UNIT, 0);
        f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::TrancheImpaired, &watch).await;
    }

    // A further 2M default reaches the senior tranche.
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, second, 0)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    let t = f.pool().await.tranches;
    assert_eq!(t[1].value, 0);
    assert!(t[0].value > 0 && t[0].value < t[0].claim, "senior {} of {}", t[0].value, t[0].claim);
    let ix = f.deposit_ix(&bob, SENIOR, 10_000 * UNIT, 0);
    f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::TrancheImpaired, &watch).await;
}

// ---------------------------------------------------------------------------------------
// Hole 19
// ---------------------------------------------------------------------------------------

/// Hole 19: the instant threshold held per call, not per holder: one holder could take the
/// pool's whole daily instant cap in many exits, each just under the threshold.
#[tokio::test]
async fn hole_19_the_instant_threshold_holds_per_holder_and_day() {
    let (mut f, alice) = funded_pool().await;
    let bob = f.investor(100_000 * UNIT, false).await;
    f.deposit(&bob, SENIOR, 50_000 * UNIT).await.unwrap();
    assert_eq!(f.pool().await.params.redemption.instant_threshold, 10_000 * UNIT);
    let w = alice.wallet.insecure_clone();
    let watch = [alice.base, alice.tranches[0], pda::holder(&f.keys.pool, SENIOR, &w.pubkey())];
    // Five exits of 2,000 (senior at par): 10,000 today, the threshold exactly.
    for _ in 0..5 {
        assert_eq!(exit(&mut f, &alice, SENIOR, 2_000 * UNIT).await, 2_000 * UNIT - 10 * UNIT);
    }
    // A sixth, under the threshold on its own, is refused; so is a single token more.
    for tokens in [2_000 * UNIT, UNIT] {
        f.expect_rejected(&[instant(&f, &alice, SENIOR, tokens)], &[&w], SluiceError::InstantTooLarge, &watch).await;
    }
    // Another holder is not affected.
    assert_eq!(exit(&mut f, &bob, SENIOR, 5_000 * UNIT).await, 5_000 * UNIT - 25 * UNIT);
    // A day later, the first holder may exit again.
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    assert!(exit(&mut f, &alice, SENIOR, 2_000 * UNIT).await > 2_000 * UNIT - 10 * UNIT);
}

/// Hole 19: the overdue schedule had cliffs: a receivable 29 days overdue was still carried
/// at par, so holders who saw day 30 coming could exit at par the day before it.
#[tokio::test]
async fn hole_19_overdue_receivables_lose_value_day_by_day() {
    let (mut f, _alice) = funded_pool().await;
    let steps = f.pool().await.params.overdue_steps;
    // 25 % at 30 days, reached a day at a time: 24.17 % at 29 days, 12.5 % at 15.
    assert_eq!(overdue_haircut_bps(&steps, 29), 2_417);
    assert_eq!(overdue_haircut_bps(&steps, 15), 1_250);
    let late = f.add_receivable(100_000 * UNIT, 90_000 * UNIT, 1, 0).await.unwrap();
    let later = f.add_receivable(100_000 * UNIT, 90_000 * UNIT, 15, 0).await.unwrap();
    let due = f.receivable(late).await.due_ts;
    assert_eq!(f.receivable(later).await.due_ts, due + 14 * DAY);
    // 29 and 15 days overdue, nothing written down: the NAV already carries them at
    // 75,830 (−24.17 %) and 87,500 (−12.5 %).
    f.chain.set_clock(due + 29 * DAY + 3_600).await.unwrap();
    f.refresh().await;
    let pool = f.pool().await;
    assert_eq!(pool.nav, pool.cash + 75_830 * UNIT + 87_500 * UNIT);

    // `write_down_overdue` at 15 days writes the later one down by 12.5 %, the other by 24.17 %.
    f.chain.send(&[ix::write_down_overdue(&f.keys, later)], &[]).await.unwrap();
    let r = f.receivable(later).await;
    assert_eq!((r.carried_value, r.haircut_bps), (87_500 * UNIT, 1_250));
    f.chain.send(&[ix::write_down_overdue(&f.keys, late)], &[]).await.unwrap();
    let r = f.receivable(late).await;
    assert_eq!((r.carried_value, r.haircut_bps), (75_830 * UNIT, 2_417));
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.nav, pool.cash + 75_830 * UNIT + 87_500 * UNIT);
}

// ---------------------------------------------------------------------------------------
// Hole 20
// ---------------------------------------------------------------------------------------

/// Hole 20: an unsafe overdue schedule was accepted: all zeros (overdue receivables carried
/// at par for ever), one that never wrote a receivable off, or one that took over a year.
#[tokio::test]
async fn hole_20_an_overdue_schedule_must_write_off_in_full_within_a_year() {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let step = |days, haircut_bps| OverdueStep { days, haircut_bps };
    let unsafe_schedules = [
        [step(0, 0); 3],
        [step(30, 2_500), step(60, 5_000), step(90, 9_999)],
        [step(30, 2_500), step(60, 5_000), step(366, 10_000)],
    ];
    for (n, overdue_steps) in unsafe_schedules.into_iter().enumerate() {
        let params = sluice::state::PoolParams { overdue_steps, ..default_params(false) };
        let ix = ix::update_params(&issuer.pubkey(), &f.keys.pool, params);
        f.expect_rejected(&[ix], &[&issuer], SluiceError::InvalidParams, &[]).await;
        let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
        publishers[0] = f.publisher.pubkey();
        let pool_id = 20 + n as u64;
        let args = CreatePoolArgs { pool_id, guardian: f.guardian.pubkey(), publishers, params };
        let result = client::create_pool(&mut f.chain, &issuer, &f.keys.base_mint, args).await;
        assert_sluice_err(result, SluiceError::InvalidParams);
        assert!(f.chain.account(&pda::pool(&issuer.pubkey(), pool_id)).await.unwrap().is_none());
    }
    // Written off in full on day 365, the limit: accepted.
    let overdue_steps = [step(30, 2_500), step(180, 5_000), step(365, 10_000)];
    f.set_params(sluice::state::PoolParams { overdue_steps, ..default_params(false) }).await;
    assert_eq!(f.pool().await.params.overdue_steps, overdue_steps);
}
