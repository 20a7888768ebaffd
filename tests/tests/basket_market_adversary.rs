//! Adversarial tests of the basket token's market (`instructions/basket/market.rs`):
//! sandwiches around the sleeve's buy-back and a price held up over the time-weighted
//! window, the shared daily cap and the floor under repetition, donations to the vaults,
//! the first-depositor inflation attack, dust loops, fee-band path dependence, foreign
//! accounts in every slot, stale / paused / Crisis states, empty and drained markets, and a
//! burn outside the program.
//!
//! The buy-back acts only against a discount that has stood: the spot at or under the
//! market's time-weighted price (over at least an hour), and that under the trigger. So
//! every test that dumps and then buys back lets the dumped price stand first
//! (`MarketWorld::let_it_stand`: two hours, fresh rates and NAV), and again between
//! successive buy-backs. Each test asserts the safe outcome.

use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use sluice::error::SluiceError;
use sluice::instructions::{BasketSwapArgs, CreateBasketArgs};
use sluice::math::amm::{withdraw_for_lp, MIN_LIQUIDITY};
use sluice::math::basket::sleeve_above_floor;
use sluice::state::{BasketMarketParams, BasketParams};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{BasketKeys, BasketMarketKeys, BasketTrader};
use sluice_sdk::{client, ix, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice_tests::market::*;
use sluice_tests::*;

const E12: u128 = 1_000_000_000_000;
const P: BasketMarketParams = BasketMarketParams::RECOMMENDED;

fn trigger_of(price: u128) -> u128 {
    price * (10_000 - P.buyback_discount_bps as u128) / 10_000
}

/// Value per token never fell from (v0, s0) to (v1, s1): v1 / s1 ≥ v0 / s0.
fn price_held(v0: u64, s0: u64, v1: u64, s1: u64) -> bool {
    v1 as u128 * s0 as u128 >= v0 as u128 * s1 as u128
}

/// Token-2022 `Burn` (instruction 8) of `amount` from `account`, signed by its owner: any
/// holder may burn its own tokens without the program.
fn spl_burn(account: &Pubkey, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
    let token_program = ix::TOKEN_2022;
    let mut data = vec![8u8];
    data.extend_from_slice(&amount.to_le_bytes());
    Instruction {
        program_id: token_program,
        accounts: vec![
            AccountMeta::new(*account, false),
            AccountMeta::new(*mint, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data,
    }
}

// ---------------------------------------------------------------------------------------
// 1. Sandwiches around the buy-back.
// ---------------------------------------------------------------------------------------

/// Bob dumps 8,000 tokens (the market falls under the trigger) and the dumped price stands
/// long enough for the market's time-weighted price: the buy-back is due.
async fn dumped_and_stood() -> MarketWorld {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 8_000 * UNIT).await;
    mw.let_it_stand().await;
    mw
}

/// Cranks `basket_buyback(max_base)` and checks the program's promise: the sleeve pays under
/// the basket price on average, value falls by exactly the spend, the supply by exactly
/// what was bought, the price per token rises, the market lands at most at the trigger.
async fn crank_accretes(mw: &mut MarketWorld, max_base: u64) {
    let (v0, s0, p0) = mw.books().await;
    let plan = mw.buyback_plan(max_base).await.unwrap();
    let crank = mw.buyback_ix(max_base).await;
    mw.w.f.chain.send(&[crank], &[]).await.unwrap();
    let (v1, s1, p1) = mw.books().await;
    let (spend, burned) = (plan.spend, plan.quote.amount_out);
    assert_eq!((v1, s0 - s1), (v0 - spend, burned));
    assert!((spend as u128) * (s0 as u128) < (v0 as u128) * (burned as u128), "average at or above {p0}");
    assert!(price_held(v0, s0, v1, s1) && p1 > p0, "{p0} → {p1}");
    assert_eq!(mw.mint_supply().await, s1);
    assert!((mw.market_price().await as u128) <= trigger_of(p0) + 1);
}

/// What one attempted sandwich of a buy-back did.
struct Sandwich {
    /// The buy-back the crank would have made without the front-run (the program's plan).
    honest_spend: u64,
    eve_pnl: i128,
    books_before: (u64, u64, u128),
    books_after: (u64, u64, u128),
    sleeve_before: u64,
    sleeve_after: u64,
}

/// After the dump has stood, Eve tries the sandwich: a front-run buy of `front_of_lift_bps`
/// of the lift, the crank `basket_buyback(max_base)` (hers), a back-run sell of everything
/// she bought — first as one bundle, then step by step. Asserts the guard: her buy lifts the
/// spot over the time-weighted price, so the crank is refused (`NothingToProcess`, nothing
/// changed) whichever way it is sent; she sells back without it.
async fn sandwich(front_of_lift_bps: u64, max_base: impl Fn(u64) -> u64) -> (MarketWorld, Sandwich) {
    let mut mw = dumped_and_stood().await;
    let lift = mw.buyback_plan(u64::MAX).await.unwrap().spend;
    let max_base = max_base(lift);
    let honest = mw.buyback_plan(max_base).await.unwrap();
    let eve = mw.eve(0, 10_000 * UNIT).await;
    let books_before = mw.books().await;
    let sleeve_before = mw.w.basket().await.sleeve_balance;
    let base0 = mw.w.f.balance(&eve.t.base_account).await;
    let mut watched = mw.watched();
    watched.extend([eve.t.token_account, eve.t.base_account]);
    let front = lift * front_of_lift_bps / 10_000;

    // The bundle: buy, crank, sell in one transaction. The crank fails it all.
    let expected = mw.quote(true, front).await.quote.amount_out;
    let bundle = vec![
        mw.swap_ix_for(&eve.t, true, front, expected).await,
        mw.buyback_ix(max_base).await,
        mw.swap_ix_for(&eve.t, false, expected, 0).await,
    ];
    mw.w.f.expect_rejected(&bundle, &[&eve.wallet], SluiceError::NothingToProcess, &watched).await;

    // Step by step: the buy lands, the spot now stands over the time-weighted price (though
    // still under the trigger: a discount is left to share), and the crank is refused.
    let got = mw.swap_by(eve.t, &eve.wallet, true, front).await;
    let (spot, now) = (mw.market_price().await, mw.w.f.now().await);
    let twap = mw.market().await.twap.twap_e12(now).unwrap();
    assert!(spot > twap, "spot {spot} vs time-weighted {twap}");
    assert!((spot as u128) < trigger_of(books_before.2), "still under the trigger");
    let crank = mw.buyback_ix(max_base).await;
    mw.w.f.expect_rejected(&[crank], &[], SluiceError::NothingToProcess, &watched).await;
    mw.swap_by(eve.t, &eve.wallet, false, got).await;
    assert_eq!(mw.w.f.balance(&eve.t.token_account).await, 0);

    let eve_pnl = mw.w.f.balance(&eve.t.base_account).await as i128 - base0 as i128;
    let s = Sandwich {
        honest_spend: honest.spend,
        eve_pnl,
        books_before,
        books_after: mw.books().await,
        sleeve_before,
        sleeve_after: mw.w.basket().await.sleeve_balance,
    };
    println!(
        "sandwich (front {front_of_lift_bps} bps of the lift {lift}, max_base {max_base}): crank refused \
         (it would have spent {}), eve pnl {eve_pnl}",
        s.honest_spend
    );
    (mw, s)
}

/// Front-run sizes (bps of the lift) and `max_base` (bps of the lift; 0: unbounded, as the
/// keeper sends it).
const SANDWICHES: [(u64, u64); 3] = [(5_000, 5_000), (5_000, 0), (100, 0)];

fn max_base_of(bps: u64) -> impl Fn(u64) -> u64 {
    move |lift| if bps == 0 { u64::MAX } else { lift * bps / 10_000 }
}

/// Attack: Eve front-runs a buy-back (she cranks it herself, with `max_base` half the lift,
/// or unbounded as the keeper sends it) with a buy, to sell right after. Safe: the front-run
/// stops the crank (the spot is over the time-weighted price); the crank sent with no one in
/// front of it buys under the basket price and raises it — on the dumped market at once,
/// and after a refused sandwich once the price has stood again.
#[tokio::test]
async fn a_front_run_stops_the_buyback_and_an_unfronted_crank_still_buys_under_the_basket_price() {
    // The honest path: the crank on the dump that has stood, no one in front of it.
    let mut mw = dumped_and_stood().await;
    crank_accretes(&mut mw, u64::MAX).await;
    for (front, max_base) in SANDWICHES {
        let (mut mw, _) = sandwich(front, max_base_of(max_base)).await;
        // Eve's fees stayed in the curve, a touch over the time-weighted price: once the
        // price has stood, the buy-back is due again.
        mw.let_it_stand().await;
        let max_base = max_base_of(max_base)(mw.buyback_plan(u64::MAX).await.unwrap().spend);
        crank_accretes(&mut mw, max_base).await;
    }
}

/// Attack: the same sandwich, measured for who pays. A front-run buy, the crank, a
/// back-run sell in one bundle (Eve can crank herself; a searcher can bundle the keeper's
/// crank), or the same in three transactions. Safe outcome asserted: the crank is refused,
/// so the sleeve pays nothing and the books do not move; Eve's round trip without it loses
/// her the fees.
#[tokio::test]
async fn a_sandwich_of_the_buyback_does_not_pay_the_attacker() {
    for (front, max_base) in SANDWICHES {
        let (mut mw, s) = sandwich(front, max_base_of(max_base)).await;
        assert!(s.eve_pnl < 0, "eve made {} base units off a {} buy-back", s.eve_pnl, s.honest_spend);
        assert_eq!(s.books_after, s.books_before, "the books moved without a buy-back");
        assert_eq!(s.sleeve_after, s.sleeve_before, "the sleeve paid");
        assert_eq!(mw.mint_supply().await, s.books_after.1);
    }
}

/// Attack: Eve holds the market price up for two hours (a buy after the dump has stood),
/// so the time-weighted price sits high, then sells right before the crank, hoping the
/// buy-back pays the discount she takes back. Pushed over the trigger: the time-weighted
/// price is not under it, the crank is refused. Pushed part of the way: the crank buys, and
/// still under the basket price on average, the price per token rising. Either way Eve's
/// round trip loses.
#[tokio::test]
async fn holding_the_price_up_for_an_hour_then_selling_before_the_crank_pays_no_one() {
    for push_bps in [20_000u64, 5_000] {
        let mut mw = dumped_and_stood().await;
        let lift = mw.buyback_plan(u64::MAX).await.unwrap().spend;
        let eve = mw.eve(0, 20_000 * UNIT).await;
        let base0 = mw.w.f.balance(&eve.t.base_account).await;
        let got = mw.swap_by(eve.t, &eve.wallet, true, lift * push_bps / 10_000).await;
        let pushed = mw.market_price().await;
        mw.let_it_stand().await;
        let now = mw.w.f.now().await;
        assert_eq!(mw.market().await.twap.twap_e12(now), Some(pushed), "the pushed price stood");
        // Right before the crank (same moment): she sells everything back.
        mw.swap_by(eve.t, &eve.wallet, false, got).await;
        let eve_pnl = mw.w.f.balance(&eve.t.base_account).await as i128 - base0 as i128;
        let (_, _, p0) = mw.books().await;
        let crank = mw.buyback_ix(u64::MAX).await;
        if (pushed as u128) >= trigger_of(p0) {
            mw.w.f.expect_rejected(&[crank], &[], SluiceError::NothingToProcess, &mw.watched()).await;
            println!("held {pushed} over the trigger {}: crank refused; eve pnl {eve_pnl}", trigger_of(p0));
        } else {
            crank_accretes(&mut mw, u64::MAX).await;
            println!("held {pushed} under the trigger {}: crank accretive; eve pnl {eve_pnl}", trigger_of(p0));
        }
        assert!(eve_pnl < 0, "eve made {eve_pnl} holding the price at {pushed}");
    }
}

/// Attack: Eve dumps basket tokens far under the trigger, waits for the dumped price to
/// stand (the crank refuses it at once), cranks the buy-back, then buys back with
/// everything the dump brought in. Safe: Eve ends with fewer basket tokens (she sold under
/// value, the sleeve bought that discount for the holders); the price per token rises; the
/// sleeve's average is under the basket price.
#[tokio::test]
async fn dump_crank_and_buy_back_cheap_costs_the_dumper_and_raises_the_price() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    let eve = mw.eve(20_000 * UNIT, UNIT).await;
    let base0 = mw.w.f.balance(&eve.t.base_account).await;
    let proceeds = mw.swap_by(eve.t, &eve.wallet, false, 20_000 * UNIT).await;
    let at_once = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[at_once], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    mw.let_it_stand().await;
    let (v0, s0, p0) = mw.books().await;
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    let crank = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[crank], &[]).await.unwrap();
    let back = mw.swap_by(eve.t, &eve.wallet, true, proceeds).await;
    assert_eq!(mw.w.f.balance(&eve.t.base_account).await, base0);
    assert!(back < 20_000 * UNIT, "eve got back {back} of 20,000 tokens");
    let (v1, s1, p1) = mw.books().await;
    assert_eq!((v1, s0 - s1), (v0 - plan.spend, plan.quote.amount_out));
    assert!((plan.spend as u128) * (s0 as u128) < (v0 as u128) * (plan.quote.amount_out as u128));
    assert!(p1 > p0);
    assert_eq!(mw.mint_supply().await, s1);
    // What Eve lost in tokens is worth more than nothing at the new price (she paid for
    // the holders' gain).
    println!("dump: eve lost {} tokens; price {p0} → {p1}", 20_000 * UNIT - back);
}

// ---------------------------------------------------------------------------------------
// 2. The daily cap and the floor under repetition.
// ---------------------------------------------------------------------------------------

/// Attack: repeated buy-backs in one transaction, then one at a time (each once the price
/// has stood), a sleeve redemption between them, more buy-backs, and again 23 hours after
/// the first (before the window rolls). Safe: a second buy-back in the same transaction is
/// refused (its spot stands over the time-weighted price); the sleeve's total outflow in the
/// window is at most `redeem_cap_bps` of the value at the start; once spent, buy-backs give
/// `NothingToProcess` and redemptions `RedeemWindowExceeded`.
#[tokio::test]
async fn buybacks_and_redemptions_interleaved_never_pay_more_than_one_daily_cap() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 40_000 * UNIT).await;
    mw.let_it_stand().await;
    let first = mw.w.f.now().await;
    let (v0, _, _) = mw.books().await;
    let b0 = mw.w.basket().await;
    let cap = (v0 as u128 * BasketParams::DEFAULT.redeem_cap_bps as u128 / 10_000) as u64;
    let sleeve0 = b0.sleeve_balance;
    let already = b0.redeemed_in_window(first);
    let step = (cap - already) / 4;

    // Three buy-backs in one transaction (each of `step`, distinct by max_base): the
    // second finds the spot the first left over the time-weighted price, and fails it all.
    let ixs = vec![mw.buyback_ix(step).await, mw.buyback_ix(step + 1).await, mw.buyback_ix(step + 2).await];
    mw.w.f.expect_rejected(&ixs, &[], SluiceError::NothingToProcess, &mw.watched()).await;
    // So one at a time, each once the last one's price has stood.
    for i in 0..3 {
        if i > 0 {
            mw.let_it_stand().await;
        }
        let crank = mw.buyback_ix(step + i).await;
        mw.w.f.chain.send(&[crank], &[]).await.unwrap();
    }
    // A sleeve redemption in between.
    let bob = mw.w.bob.wallet.insecure_clone();
    let redeem = mw.w.bob_redeem_ix(100 * UNIT, 0).await;
    mw.w.f.chain.send(&[redeem], &[&bob]).await.unwrap();
    // And everything that is left, twice in one transaction.
    mw.let_it_stand().await;
    let ixs = vec![mw.buyback_ix(u64::MAX).await, mw.buyback_ix(u64::MAX - 1).await];
    let both = mw.w.f.chain.send(&ixs, &[]).await;
    assert_sluice_err(both, SluiceError::NothingToProcess);
    let one = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[one], &[]).await.unwrap();

    // Once that price has stood, only the cap stands in the way (the market is still
    // under the time-weighted price's trigger).
    mw.let_it_stand().await;
    let now = mw.w.f.now().await;
    let b = mw.w.basket().await;
    let paid = sleeve0 - b.sleeve_balance;
    assert_eq!(b.redeemed_in_window(now), already + paid);
    assert!(already + paid <= cap, "paid {} in the window, cap {cap}", already + paid);
    let twap = mw.market().await.twap.twap_e12(now).unwrap();
    assert!(mw.market_price().await <= twap && (twap as u128) < trigger_of(mw.books().await.2));
    let again = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[again], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    let redeem = mw.w.bob_redeem_ix(10 * UNIT, 0).await;
    mw.w.f.expect_rejected(&[redeem], &[&bob], SluiceError::RedeemWindowExceeded, &mw.watched()).await;

    // 23 hours after the first buy-back the window still holds it all.
    let later = first + 23 * 3_600 - mw.w.f.now().await;
    mw.w.f.chain.advance_clock(later).await.unwrap();
    mw.w.f.refresh().await;
    let later = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[later], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    let redeem = mw.w.bob_redeem_ix(10 * UNIT, 0).await;
    mw.w.f.expect_rejected(&[redeem], &[&bob], SluiceError::RedeemWindowExceeded, &mw.watched()).await;
    assert_eq!(mw.mint_supply().await, mw.w.basket().await.supply);
}

/// Attack: with a strict floor, many small buy-backs (each a fraction of the room, each
/// once the last one's price has stood) to walk the sleeve under its floor. Safe: each keeps the sleeve above the floor; when no room is
/// left the crank is refused and so is a redemption.
#[tokio::test]
async fn splitting_buybacks_cannot_walk_the_sleeve_under_its_floor() {
    let mut mw = market_world(10).await;
    let issuer = mw.w.f.issuer.insecure_clone();
    let strict = BasketParams { sleeve_floor_bps: 650, redeem_cap_bps: 10_000, ..BasketParams::DEFAULT };
    mw.w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &mw.w.b, strict)], &[&issuer]).await.unwrap();
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 40_000 * UNIT).await;
    mw.let_it_stand().await;
    let (b, value) = (mw.w.basket().await, mw.w.value().await);
    let room = sluice::instructions::sleeve_room_above_floor(b.sleeve_balance, value, 650);
    assert!(room > 0, "sleeve {} of {value}", b.sleeve_balance);
    let piece = room / 5 + 1;
    let mut cranks = 0;
    for i in 0..12u64 {
        // Each buy-back once the last one's price has stood.
        if i > 0 {
            mw.let_it_stand().await;
        }
        let crank = mw.buyback_ix(piece + i).await;
        match mw.w.f.chain.send(&[crank], &[]).await {
            Ok(()) => cranks += 1,
            Err(e) => {
                assert!(e.is(SluiceError::NothingToProcess), "{e:?}");
                break;
            }
        }
        let (b, value) = (mw.w.basket().await, mw.w.value().await);
        assert!(sleeve_above_floor(b.sleeve_balance, value, 650), "crank {i}: sleeve {} of {value}", b.sleeve_balance);
    }
    assert!(cranks >= 5, "{cranks} cranks");
    let (b, value) = (mw.w.basket().await, mw.w.value().await);
    assert!(sluice::instructions::sleeve_room_above_floor(b.sleeve_balance, value, 650) <= 1);
    let crank = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[crank], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    let redeem = mw.w.bob_redeem_ix(100 * UNIT, 0).await;
    mw.w.f.expect_rejected(&[redeem], &[&bob], SluiceError::SleeveBelowFloor, &mw.watched()).await;
}

// ---------------------------------------------------------------------------------------
// 3. Donations, first-depositor inflation, dust.
// ---------------------------------------------------------------------------------------

/// Attack: donate basket tokens to the market's token vault (pushing the price under the
/// trigger without a trade), crank, and donate base tokens to the base vault. Safe: the LP
/// supply and the books are untouched; a donation is no trade, so the time-weighted price
/// does not see it and the crank refuses it even after two hours; once a trade has recorded
/// the donated price and it has stood, the buy-back buys the donated discount for the
/// holders (the price per token rises); a base donation only raises Bob's LP share; the
/// donor recovers nothing (no LP).
#[tokio::test]
async fn donations_to_the_vaults_go_to_the_lps_and_the_holders_never_the_donor() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    let eve = mw.eve(15_000 * UNIT, 5_000 * UNIT).await;
    let lp_supply = mw.market().await.lp_supply;
    let (x0, y0) = mw.reserves().await;
    let (_, _, p0) = mw.books().await;

    let donate =
        ix::token::transfer(&ix::TOKEN_2022, &eve.t.token_account, &mw.m.token_vault, &eve.t.user, 15_000 * UNIT);
    mw.w.f.chain.send(&[donate], &[&eve.wallet]).await.unwrap();
    assert!((mw.market_price().await as u128) < trigger_of(p0));
    assert_eq!(mw.market().await.lp_supply, lp_supply);
    mw.let_it_stand().await;
    let unseen = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[unseen], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    // A small trade records the donated price; it stands.
    let got = mw.bob_swap(false, UNIT).await;
    mw.let_it_stand().await;
    let (v0, s0, p0) = mw.books().await;
    let (x, y) = mw.reserves().await;
    assert_eq!((x, y), (x0 + 15_000 * UNIT + UNIT, y0 - got));
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    let crank = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[crank], &[]).await.unwrap();
    let (v1, s1, p1) = mw.books().await;
    assert_eq!((v1, s1), (v0 - plan.spend, s0 - plan.quote.amount_out));
    assert!(p1 > p0 && price_held(v0, s0, v1, s1));
    assert_eq!(mw.mint_supply().await, s1);
    assert_eq!(mw.reserves().await, (x - plan.quote.amount_out, y + plan.spend));

    let donate = ix::token::transfer(&ix::SPL_TOKEN, &eve.t.base_account, &mw.m.base_vault, &eve.t.user, 5_000 * UNIT);
    mw.w.f.chain.send(&[donate], &[&eve.wallet]).await.unwrap();
    assert_eq!(mw.market().await.lp_supply, lp_supply);
    // Eve has no LP: she cannot take anything out.
    let take = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &eve.t, 1, 0, 0);
    let r = mw.w.f.chain.send(&[take], &[&eve.wallet]).await;
    assert!(r.is_err(), "eve removed liquidity without LP");
    // Bob's share holds all the donations: he takes out his whole position.
    let bob_lp = mw.w.f.balance(&mw.bob.lp_account.unwrap()).await;
    let (x, y) = mw.reserves().await;
    let (wx, wy) = withdraw_for_lp(bob_lp, lp_supply, x, y).unwrap();
    assert!(wy > y0 && wx > x0 - plan.quote.amount_out, "{wx} {wy}");
    // Swaps still price and settle on the donated reserves.
    mw.bob_swap(true, 1_000 * UNIT).await;
    assert_eq!(mw.mint_supply().await, mw.w.basket().await.supply);
}

/// Attack (inflation): Eve seeds the market with the smallest first deposit (1 LP to her,
/// 1,000 locked), donates heavily to both vaults, Bob deposits at the inflated share price,
/// then Eve withdraws. Safe: Bob loses at most one base unit and one token to rounding;
/// Eve recovers under 1 % of her donation (it accrues mostly to the locked shares).
#[tokio::test]
async fn a_tiny_first_deposit_and_a_donation_do_not_steal_a_later_deposit() {
    let mut mw = market_world(0).await;
    mw.create().await;
    let donation = 10_000 * UNIT;
    let eve = mw.eve(donation + 1_001, donation + 1_001 + UNIT).await;
    let seed = ix::add_basket_liquidity(&mw.w.b, &mw.m, &eve.t, 1, 1_001, 1_001);
    mw.w.f.chain.send(&[seed], &[&eve.wallet]).await.unwrap();
    assert_eq!(mw.w.f.balance(&eve.t.lp_account.unwrap()).await, 1);
    assert_eq!(mw.market().await.lp_supply, 1_001);
    let d1 = ix::token::transfer(&ix::TOKEN_2022, &eve.t.token_account, &mw.m.token_vault, &eve.t.user, donation);
    let d2 = ix::token::transfer(&ix::SPL_TOKEN, &eve.t.base_account, &mw.m.base_vault, &eve.t.user, donation);
    mw.w.f.chain.send(&[d1, d2], &[&eve.wallet]).await.unwrap();

    // Bob deposits 50,000 of each at the share price: lp = ⌊budget · S / x⌋.
    let budget = 50_000 * UNIT;
    let (x, y) = mw.reserves().await;
    let s = mw.market().await.lp_supply;
    let lp = (budget as u128 * s as u128 / x.max(y) as u128) as u64;
    let (bt0, bb0) = (mw.w.f.balance(&mw.w.bob_basket).await, mw.w.f.balance(&mw.w.bob.base).await);
    let bob = mw.w.bob.wallet.insecure_clone();
    let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, lp, budget, budget);
    mw.w.f.chain.send(&[add], &[&bob]).await.unwrap();
    let (paid_t, paid_b) = (bt0 - mw.w.f.balance(&mw.w.bob_basket).await, bb0 - mw.w.f.balance(&mw.w.bob.base).await);
    assert!(paid_t <= budget && paid_b <= budget);

    // Eve leaves with her single LP token.
    let (et0, eb0) = (mw.w.f.balance(&eve.t.token_account).await, mw.w.f.balance(&eve.t.base_account).await);
    let out = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &eve.t, 1, 0, 0);
    mw.w.f.chain.send(&[out], &[&eve.wallet]).await.unwrap();
    let (eve_t, eve_b) =
        (mw.w.f.balance(&eve.t.token_account).await - et0, mw.w.f.balance(&eve.t.base_account).await - eb0);
    assert!(eve_t < (donation + 1_001) / 100 && eve_b < (donation + 1_001) / 100, "eve got back {eve_t}, {eve_b}");

    // Bob leaves with all of his: at most one unit of each lost to rounding.
    let (bt1, bb1) = (mw.w.f.balance(&mw.w.bob_basket).await, mw.w.f.balance(&mw.w.bob.base).await);
    let out = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, lp, 0, 0);
    mw.w.f.chain.send(&[out], &[&bob]).await.unwrap();
    let (back_t, back_b) = (mw.w.f.balance(&mw.w.bob_basket).await - bt1, mw.w.f.balance(&mw.w.bob.base).await - bb1);
    assert!(back_t + 1 >= paid_t && back_b + 1 >= paid_b, "bob paid {paid_t}/{paid_b}, got {back_t}/{back_b}");
    assert_eq!(mw.market().await.lp_supply, MIN_LIQUIDITY);
    assert_eq!(client::mint_supply(&mut mw.w.f.chain, &mw.m.lp_mint).await.unwrap(), 0);
}

/// Attack: dust round trips — many tiny buys each sold straight back — hoping that
/// rounding pays out more than it takes; and swaps too small to give anything. Safe: Eve
/// never ends with more (tokens back to the start, base never up), k never falls, and a
/// swap that would give nothing is refused (`SlippageExceeded`).
#[tokio::test]
async fn dust_round_trips_extract_nothing() {
    let mut mw = market_world(0).await;
    mw.open(100_000 * UNIT).await;
    let eve = mw.eve(10 * UNIT, 10 * UNIT).await;
    let (t0, b0) = (mw.w.f.balance(&eve.t.token_account).await, mw.w.f.balance(&eve.t.base_account).await);
    let mut watched = mw.watched();
    watched.extend([eve.t.token_account, eve.t.base_account]);
    // One unit in: the rounded-up fee takes all of it, nothing comes out.
    for buy in [true, false] {
        assert_eq!(mw.quote(buy, 1).await.quote.amount_out, 0);
        let ix = mw.swap_ix_for(&eve.t, buy, 1, 0).await;
        mw.w.f.expect_rejected(&[ix], &[&eve.wallet], SluiceError::SlippageExceeded, &watched).await;
    }
    let mut k = mw.k().await;
    for amount in 3u64..40 {
        let q = mw.quote(true, amount).await.quote;
        if q.amount_out == 0 {
            continue;
        }
        let buy = mw.swap_ix_for(&eve.t, true, amount, q.amount_out).await;
        mw.w.f.chain.send(&[buy], &[&eve.wallet]).await.unwrap();
        let back = mw.quote(false, q.amount_out).await.quote;
        let sell = mw.swap_ix_for(&eve.t, false, q.amount_out, 0).await;
        if back.amount_out == 0 {
            mw.w.f.expect_rejected(&[sell], &[&eve.wallet], SluiceError::SlippageExceeded, &watched).await;
        } else {
            mw.w.f.chain.send(&[sell], &[&eve.wallet]).await.unwrap();
        }
        let k1 = mw.k().await;
        assert!(k1 >= k);
        k = k1;
    }
    let (t1, b1) = (mw.w.f.balance(&eve.t.token_account).await, mw.w.f.balance(&eve.t.base_account).await);
    // Tokens left over (unsellable dust) count at the basket price; Eve is never ahead.
    let p = mw.w.price_e12().await;
    let before = b0 as u128 * E12 + t0 as u128 * p;
    let after = b1 as u128 * E12 + t1 as u128 * p;
    assert!(after <= before, "eve {before} → {after}");
    assert!(b1 < b0, "fees were paid: {b0} → {b1}");
}

/// Attack: the fee band's path dependence — sell 20,000 tokens in ten pieces instead of one,
/// hoping the band fee, paid where each piece lands, comes out cheaper. Safe: the ten
/// pieces together bring at most what the one trade would (plus rounding); and a round trip
/// away from the basket price and back loses.
#[tokio::test]
async fn splitting_a_sell_saves_no_band_fee_and_a_round_trip_loses() {
    let mut mw = market_world(0).await;
    mw.open(100_000 * UNIT).await;
    let eve = mw.eve(40_000 * UNIT, UNIT).await;
    let whole = mw.quote(false, 20_000 * UNIT).await.quote;
    let mut split = 0;
    for i in 0..10u64 {
        // Pieces differ by a unit so no two transactions are identical.
        let piece = 2_000 * UNIT + if i == 9 { 0 } else { i };
        split += mw.swap_by(eve.t, &eve.wallet, false, piece).await;
    }
    let sold = 20_000 * UNIT + (0..9).sum::<u64>();
    // Selling slightly more in pieces must still not bring more than the whole trade.
    assert!(split <= whole.amount_out + 10, "split {split} vs whole {} for {sold}", whole.amount_out);
    println!(
        "split {split} vs whole {}: {} saved by the whole",
        whole.amount_out,
        whole.amount_out as i128 - split as i128
    );
    // Round trip: buy back with everything received.
    let back = mw.swap_by(eve.t, &eve.wallet, true, split).await;
    assert!(back < sold, "round trip returned {back} of {sold}");
}

// ---------------------------------------------------------------------------------------
// 4. Accounts in the wrong slot.
// ---------------------------------------------------------------------------------------

async fn second_basket(mw: &mut MarketWorld) -> (BasketKeys, BasketMarketKeys) {
    let issuer = mw.w.f.issuer.insecure_clone();
    let b2 = BasketKeys::new(&issuer.pubkey(), 2, mw.w.f.keys.base_mint, mw.w.f.keys.base_token_program);
    let args = CreateBasketArgs { basket_id: 2, guardian: mw.w.f.guardian.pubkey(), params: BasketParams::DEFAULT };
    mw.w.f.chain.send(&[ix::create_basket(&issuer.pubkey(), &b2, args)], &[&issuer]).await.unwrap();
    let m2 = BasketMarketKeys::new(&b2);
    mw.w.f.chain.send(&[ix::create_basket_market(&issuer.pubkey(), &b2, &m2, P)], &[&issuer]).await.unwrap();
    (b2, m2)
}

fn replace(ix: &Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    let mut ix = ix.clone();
    let at = ix.accounts.iter().position(|a| a.pubkey == *from).unwrap_or_else(|| panic!("{from} not in the ix"));
    ix.accounts[at].pubkey = *to;
    ix
}

/// Sends `bad`, expects `WrongAccount` — or, when the substitute is already in another
/// slot of the instruction, Anchor's `ConstraintDuplicateMutableAccount` (2040) — and no
/// change to `watched`.
async fn refused(mw: &mut MarketWorld, bad: Instruction, signers: &[&Keypair], watched: &[Pubkey]) {
    let duplicate = {
        let mut keys: Vec<_> = bad.accounts.iter().filter(|a| a.is_writable).map(|a| a.pubkey).collect();
        keys.sort();
        keys.windows(2).any(|w| w[0] == w[1])
    };
    let before = mw.w.f.snapshot(watched).await;
    let r = mw.w.f.chain.send(&[bad], signers).await;
    match &r {
        Err(e) if e.is(SluiceError::WrongAccount) => {}
        Err(e) if duplicate && format!("{e:?}").contains("code: 2040") => {}
        other => panic!("expected WrongAccount, got {other:?}"),
    }
    assert_eq!(before, mw.w.f.snapshot(watched).await, "state changed after a refused foreign account");
}

/// Attack: another basket's market, mint, LP mint and vaults, the sleeve, user-side
/// accounts that are the market's own vaults, and bad pricing accounts, in every slot of
/// `swap_basket`, `add_basket_liquidity`, `remove_basket_liquidity` and `basket_buyback`.
/// Safe: `WrongAccount` (or `ConstituentPoolsMissing` for pricing), nothing changes.
#[tokio::test]
async fn foreign_accounts_in_every_slot_are_refused() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 8_000 * UNIT).await;
    let (b2, m2) = second_basket(&mut mw).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    let bob_lp2 = client::create_token_account(&mut mw.w.f.chain, &m2.lp_mint, &bob.pubkey()).await.unwrap();
    let bob_b2 = client::create_token_account(&mut mw.w.f.chain, &b2.mint, &bob.pubkey()).await.unwrap();
    let mut watched = mw.watched();
    watched.extend([b2.basket, m2.market, m2.token_vault, m2.base_vault, m2.lp_mint]);

    let swap = mw.swap_ix_for(&mw.bob.clone(), true, 1_000 * UNIT, 0).await;
    let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, 1_000 * UNIT, u64::MAX, u64::MAX);
    let remove = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, 1_000 * UNIT, 0, 0);
    let lp = mw.bob.lp_account.unwrap();
    let (b1, m1) = (mw.w.b, mw.m);
    let tranche_mint = mw.w.f.keys.tranche_mint(SENIOR);
    let mut trade_cases: Vec<(&str, Pubkey, Pubkey)> = vec![
        ("foreign basket", b1.basket, b2.basket),
        ("foreign market", m1.market, m2.market),
        ("foreign basket mint", b1.mint, b2.mint),
        ("tranche mint as base mint", b1.base_mint, tranche_mint),
        ("foreign LP mint", m1.lp_mint, m2.lp_mint),
        ("foreign token vault", m1.token_vault, m2.token_vault),
        ("foreign base vault", m1.base_vault, m2.base_vault),
        ("sleeve as base vault", m1.base_vault, b1.sleeve),
        ("market token vault as user's", mw.w.bob_basket, m1.token_vault),
        ("market base vault as user's", mw.w.bob.base, m1.base_vault),
        ("sleeve as user's base", mw.w.bob.base, b1.sleeve),
        ("foreign basket token as user's", mw.w.bob_basket, bob_b2),
    ];
    for (name, from, to) in trade_cases.drain(..) {
        for (kind, base_ix) in [("swap", &swap), ("add", &add), ("remove", &remove)] {
            let bad = replace(base_ix, &from, &to);
            println!("{kind}: {name}");
            refused(&mut mw, bad, &[&bob], &watched).await;
        }
    }
    for (kind, base_ix) in [("add", &add), ("remove", &remove)] {
        println!("{kind}: foreign LP account");
        let bad = replace(base_ix, &lp, &bob_lp2);
        mw.w.f.expect_rejected(&[bad], &[&bob], SluiceError::WrongAccount, &watched).await;
    }
    // A liquidity change without the LP account.
    let no_lp =
        ix::add_basket_liquidity(&b1, &m1, &BasketTrader { lp_account: None, ..mw.bob }, 1_000, u64::MAX, u64::MAX);
    mw.w.f.expect_rejected(&[no_lp], &[&bob], SluiceError::WrongAccount, &watched).await;
    // Pricing accounts: a pool swapped for another program account, one too many.
    let priced = mw.w.view().await.priced_accounts();
    let bad = replace(&swap, &priced[0], &mw.w.f.keys.book);
    mw.w.f.expect_rejected(&[bad], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;
    let mut extra = swap.clone();
    extra.accounts.push(AccountMeta::new_readonly(mw.w.f.keys.pool, false));
    mw.w.f.expect_rejected(&[extra], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;

    // The buy-back (under its trigger, the dumped price has stood, so only the accounts
    // stand in its way).
    mw.let_it_stand().await;
    assert!(mw.buyback_plan(u64::MAX).await.is_ok());
    let crank = mw.buyback_ix(u64::MAX).await;
    for (name, from, to) in [
        ("foreign basket", b1.basket, b2.basket),
        ("foreign market", m1.market, m2.market),
        ("foreign mint", b1.mint, b2.mint),
        ("tranche mint as base mint", b1.base_mint, tranche_mint),
        ("foreign sleeve", b1.sleeve, b2.sleeve),
        ("bob's base as sleeve", b1.sleeve, mw.w.bob.base),
        ("base vault as sleeve", b1.sleeve, m1.base_vault),
        ("foreign token vault", m1.token_vault, m2.token_vault),
        ("bob's tokens as token vault", m1.token_vault, mw.w.bob_basket),
        ("foreign base vault", m1.base_vault, m2.base_vault),
        ("sleeve as base vault", m1.base_vault, b1.sleeve),
    ] {
        println!("buyback: {name}");
        let bad = replace(&crank, &from, &to);
        refused(&mut mw, bad, &[], &watched).await;
    }
    let mut short = crank.clone();
    short.accounts.pop();
    mw.w.f.expect_rejected(&[short], &[], SluiceError::ConstituentPoolsMissing, &watched).await;
    // With the right accounts it goes through.
    mw.w.f.chain.send(&[crank], &[]).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// 5. Stale, paused, Crisis, late; empty, one-sided and drained markets.
// ---------------------------------------------------------------------------------------

/// Attack: buy back on a stale NAV, with a constituent in Crisis; swap after the deadline.
/// Safe: `NavStale`, `WrongStage`, `DeadlinePassed`; nothing changes. A swap at exactly the
/// deadline goes through; swaps run while the basket is paused (documented), buy-backs don't.
#[tokio::test]
async fn stale_crisis_paused_and_late_are_refused() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 8_000 * UNIT).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    let watched = mw.watched();

    let now = mw.w.f.now().await;
    let priced = mw.w.view().await.priced_accounts();
    let args = |deadline| BasketSwapArgs { buy_basket: true, amount_in: 100 * UNIT, min_out: 0, deadline };
    let late = ix::swap_basket(&mw.w.b, &mw.m, &mw.bob, &priced, args(now - 1));
    mw.w.f.expect_rejected(&[late], &[&bob], SluiceError::DeadlinePassed, &watched).await;
    let on_time = ix::swap_basket(&mw.w.b, &mw.m, &mw.bob, &priced, args(now));
    mw.w.f.chain.send(&[on_time], &[&bob]).await.unwrap();

    // Paused: swaps go on, buy-backs do not.
    let g = mw.w.f.guardian.insecure_clone();
    mw.w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &mw.w.b, true)], &[&g]).await.unwrap();
    let paused = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[paused], &[], SluiceError::BasketPaused, &mw.watched()).await;
    mw.bob_swap(false, 10 * UNIT).await;
    mw.w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &mw.w.b, false)], &[&g]).await.unwrap();

    // Stale NAV.
    mw.w.f.chain.advance_clock(3_600).await.unwrap();
    let stale = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[stale], &[], SluiceError::NavStale, &mw.watched()).await;
    mw.w.f.refresh().await;
    assert!(mw.buyback_plan(u64::MAX).await.is_ok());

    // Crisis in the pool the basket holds.
    mw.w.f.chain.send(&[ix::force_crisis(&g.pubkey(), &mw.w.f.keys.pool)], &[&g]).await.unwrap();
    mw.w.f.reprice().await.unwrap();
    let crisis = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[crisis], &[], SluiceError::WrongStage, &mw.watched()).await;
}

/// Attack: buy back on a created but empty market, on a one-sided market (basket tokens
/// donated before any deposit), and after the LPs pulled out everything they could (only
/// the locked minimum's reserves remain). Safe: `EmptyAmm` for the first two (and swaps
/// too); on the drained market, once its price has stood, either `NothingToProcess` or a
/// tiny accretive buy-back.
#[tokio::test]
async fn buybacks_on_empty_one_sided_and_drained_markets() {
    let mut mw = market_world(10).await;
    mw.create().await;
    let eve = mw.eve(1_000 * UNIT, UNIT).await;
    let crank = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[crank], &[], SluiceError::EmptyAmm, &mw.watched()).await;
    // One-sided: basket tokens donated into the empty market.
    let donate =
        ix::token::transfer(&ix::TOKEN_2022, &eve.t.token_account, &mw.m.token_vault, &eve.t.user, 1_000 * UNIT);
    mw.w.f.chain.send(&[donate], &[&eve.wallet]).await.unwrap();
    let crank = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[crank], &[], SluiceError::EmptyAmm, &mw.watched()).await;
    let sell = mw.swap_ix_for(&eve.t.clone(), true, UNIT, 0).await;
    mw.w.f.expect_rejected(&[sell], &[&eve.wallet], SluiceError::EmptyAmm, &mw.watched()).await;

    // Bob opens (the donation is his as first depositor), the price is dumped, and he
    // pulls out everything but the locked minimum.
    let price = mw.w.price_e12().await;
    let base = (100_000 * UNIT as u128 * price / E12) as u64;
    let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, 0, 100_000 * UNIT, base);
    let bob = mw.w.bob.wallet.insecure_clone();
    mw.w.f.chain.send(&[add], &[&bob]).await.unwrap();
    mw.bob_swap(false, 30_000 * UNIT).await;
    let lp = mw.w.f.balance(&mw.bob.lp_account.unwrap()).await;
    let all = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, lp, 0, 0);
    mw.w.f.chain.send(&[all], &[&bob]).await.unwrap();
    assert_eq!(mw.market().await.lp_supply, MIN_LIQUIDITY);
    let (x, y) = mw.reserves().await;
    assert!(x > 0 && y > 0, "the locked minimum keeps both sides: {x}, {y}");
    let more = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, 1, 0, 0);
    let r = mw.w.f.chain.send(&[more], &[&bob]).await;
    assert!(r.is_err(), "withdrew past the locked minimum");

    // The drained price stands, so the crank is judged on what is left of the market.
    mw.let_it_stand().await;
    let (v0, s0, p0) = mw.books().await;
    let crank = mw.buyback_ix(u64::MAX).await;
    match mw.w.f.chain.send(&[crank], &[]).await {
        Ok(()) => {
            let (v1, s1, p1) = mw.books().await;
            assert!(s1 < s0 && price_held(v0, s0, v1, s1) && p1 >= p0, "{p0} → {p1}");
            assert!(((v0 - v1) as u128) * (s0 as u128) < (v0 as u128) * ((s0 - s1) as u128));
            println!("drained: bought back {} for {}", s0 - s1, v0 - v1);
        }
        Err(e) => assert!(e.is(SluiceError::NothingToProcess), "{e:?}"),
    }
    assert_eq!(mw.mint_supply().await, mw.w.basket().await.supply);
}

// ---------------------------------------------------------------------------------------
// 6. The mint's supply and the basket's.
// ---------------------------------------------------------------------------------------

/// Attack: a holder burns raw units of the basket token with the SPL Token program
/// directly (no Sluice instruction involved), one right before each of a swap, a liquidity
/// change, a buy-back (due: the dumped price has stood) and a redemption. The mint's supply
/// then falls under `basket.supply`. Safe outcome (asserted): every basket instruction takes
/// the mint's supply as the basket's, so each still works (a holder giving up tokens only
/// raises everyone else's share), and the books follow the mint again once an instruction
/// that writes the basket (the buy-back, the redemption) has run.
#[tokio::test]
async fn a_holder_burning_basket_tokens_outside_the_program_must_not_brick_the_market() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    mw.bob_swap(false, 8_000 * UNIT).await;
    let eve = mw.eve(4, UNIT).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    for step in 0..4 {
        if step == 2 {
            // The buy-back is due only once the price the trades left has stood.
            mw.let_it_stand().await;
        }
        let minted = mw.mint_supply().await;
        let burn = spl_burn(&eve.t.token_account, &mw.w.b.mint, &eve.t.user, 1);
        mw.w.f.chain.send(&[burn], &[&eve.wallet]).await.unwrap();
        assert_eq!(mw.mint_supply().await, minted - 1);
        assert!(mw.mint_supply().await < mw.w.basket().await.supply, "the mint and the basket now disagree");
        let (name, r) = match step {
            0 => {
                let swap = mw.swap_ix_for(&mw.bob.clone(), true, 100 * UNIT, 0).await;
                ("swap_basket", mw.w.f.chain.send(&[swap], &[&bob]).await)
            }
            1 => {
                let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, 1_000, u64::MAX, u64::MAX);
                ("add_basket_liquidity", mw.w.f.chain.send(&[add], &[&bob]).await)
            }
            2 => {
                assert!(mw.buyback_plan(u64::MAX).await.is_ok(), "the buy-back is due");
                let crank = mw.buyback_ix(u64::MAX).await;
                ("basket_buyback", mw.w.f.chain.send(&[crank], &[]).await)
            }
            _ => {
                let redeem = mw.w.bob_redeem_ix(10 * UNIT, 0).await;
                ("redeem_basket", mw.w.f.chain.send(&[redeem], &[&bob]).await)
            }
        };
        assert!(r.is_ok(), "{name} refused after a 1-unit outside burn: {r:?}");
        // The trades take the basket read-only: only the buy-back and the redemption,
        // which write it, store the mint's supply back.
        if step >= 2 {
            assert_eq!(mw.mint_supply().await, mw.w.basket().await.supply, "{name}: the books follow the mint again");
        }
    }
    assert_eq!(mw.w.f.balance(&eve.t.token_account).await, 0);
}
