//! Adversarial review of the basket's sleeve: `redeem_basket`, the `rebalance` crank and the
//! pool instructions around the basket's own (pull-only) redemption requests. Each test is
//! an attack with the safe outcome it must meet.
#![allow(deprecated)]

use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use sluice::instructions::{
    AddTrancheArgs, ConstituentArgs, ExchangeInArgs, ExchangeOutArgs, RebalanceAction, RedeemBasketArgs,
};
use sluice::math::basket::{holding_value, redeem_out};
use sluice::state::BasketParams;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{self, QueueKeys};
use sluice_sdk::{pda, preview, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice_tests::basket::*;
use sluice_tests::*;

const DAY: i64 = 86_400;

// Account positions in a `rebalance` instruction.
const SLEEVE: usize = 2;
const POOL: usize = 4;
const POOL_VAULT: usize = 5;
const QUEUE: usize = 6;
const ESCROW: usize = 7;
const TRANCHE_MINT: usize = 8;
const VAULT: usize = 9;
const HOLDER: usize = 10;
const MEMBER: usize = 11;
const SLUICE_PROGRAM: usize = 16;
/// First remaining account (the first constituent's pool); the open queues follow the pools.
const PRICED: usize = 17;
/// First remaining account of `redeem_basket`.
const REDEEM_PRICED: usize = 9;

type Keeper = (Keypair, Pubkey);

/// Sends `ixs`, expects any failure, and checks that `watched` is byte-for-byte unchanged.
async fn expect_failed(f: &mut Fixture, ixs: &[Instruction], signers: &[&Keypair], watched: &[Pubkey]) -> String {
    let before = f.snapshot(watched).await;
    let result = f.chain.send(ixs, signers).await;
    assert!(result.is_err(), "expected a rejection");
    assert_eq!(before, f.snapshot(watched).await, "state changed after a rejection");
    format!("{:?}", result.unwrap_err())
}

async fn bob_exchanges_in(w: &mut BasketWorld) {
    let bob = w.bob.wallet.insecure_clone();
    let (senior, junior) = (
        w.exchange_in(&w.bob, &w.bob_basket, 0, 200_000 * UNIT),
        w.exchange_in(&w.bob, &w.bob_basket, 1, 50_000 * UNIT),
    );
    w.f.chain.send(&[senior, junior], &[&bob]).await.unwrap();
}

async fn next_day(w: &mut BasketWorld, keeper: &Keeper, queues: &[QueueKeys]) {
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    w.run_batches(keeper, queues).await;
    w.keep(&keeper.0).await;
}

/// A day passes and the batches pay, but nobody collects.
async fn batches_pay(w: &mut BasketWorld, keeper: &Keeper, queues: &[QueueKeys]) {
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    w.run_batches(keeper, queues).await;
}

/// Bob in, and the basket's first request (senior, index 0) queued.
async fn with_request() -> (BasketWorld, Vec<QueueKeys>, Keeper) {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    w.rebalance(&keeper.0, 0).await.unwrap();
    assert!(w.basket().await.constituents[0].request_open);
    (w, queues, keeper)
}

/// Bob in, and ten days of keeping: the sleeve is at its target, no request open.
async fn filled() -> (BasketWorld, Vec<QueueKeys>, Keeper) {
    filled_in(false).await
}

async fn filled_in(permissioned: bool) -> (BasketWorld, Vec<QueueKeys>, Keeper) {
    let (mut w, queues, keeper) = sleeve_world_in(permissioned).await;
    bob_exchanges_in(&mut w).await;
    for _ in 0..10 {
        next_day(&mut w, &keeper, &queues).await;
    }
    let b = w.basket().await;
    assert!(b.active().iter().all(|c| !c.request_open));
    let value = w.value().await;
    assert!(b.sleeve_balance >= value / 10, "sleeve {} of {value}", b.sleeve_balance);
    (w, queues, keeper)
}

/// The basket's accounts plus the pool-side accounts a rebalance touches.
fn watched_all(w: &BasketWorld, queues: &[QueueKeys]) -> Vec<Pubkey> {
    let mut v = w.watched();
    for q in queues {
        v.extend([
            q.queue,
            pda::escrow(&w.f.keys.pool, q.tranche),
            pda::holder(&w.f.keys.pool, q.tranche, &w.b.basket),
        ]);
    }
    v
}

async fn set_params(w: &mut BasketWorld, params: BasketParams) {
    let issuer = w.f.issuer.insecure_clone();
    w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &w.b, params)], &[&issuer]).await.unwrap();
}

/// An exchange in priced with the basket's open queues too.
async fn exchange_in_priced(
    w: &mut BasketWorld,
    inv: &Investor,
    account: &Pubkey,
    index: u8,
    tokens: u64,
) -> Instruction {
    let view = w.view().await;
    let tranche = [SENIOR, JUNIOR][index as usize];
    ix::exchange_in(
        &inv.wallet.pubkey(),
        &w.b,
        &w.f.keys.tranche_mint(tranche),
        &inv.tranches[tranche as usize],
        account,
        None,
        &view.priced_accounts(),
        ExchangeInArgs { index, tokens, min_out: 0 },
    )
}

fn exchange_out_ix(w: &BasketWorld, inv: &Investor, account: &Pubkey, tokens: u64, queues: &[Pubkey]) -> Instruction {
    let slices = [
        (w.f.keys.tranche_mint(SENIOR), inv.tranches[SENIOR as usize]),
        (w.f.keys.tranche_mint(JUNIOR), inv.tranches[JUNIOR as usize]),
    ];
    let args = ExchangeOutArgs { tokens, min_outs: vec![0; 3] };
    ix::exchange_out(&inv.wallet.pubkey(), &w.b, account, &inv.base, &slices, queues, args)
}

/// Attack: a first rebalance (a request) with a foreign account in every slot it does not
/// derive itself — another pool, the queue, escrow, mint or vault of the other tranche, the
/// holder record of another owner or tranche, a foreign sleeve, a fake program, a foreign
/// pool in the pricing accounts, an unknown index. Safe: refused (the named error where the
/// basket checks it), nothing changes; then the honest crank works.
#[tokio::test]
async fn a_request_crank_with_a_foreign_account_in_any_slot_is_refused() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    let other = w.f.another_pool(9).await;
    let watched = watched_all(&w, &queues);
    let k = keeper.0.insecure_clone();
    let base = w.rebalance_ix(&k.pubkey(), 0).await;
    let pool = w.f.keys.pool;
    let bob = w.bob.wallet.pubkey();
    let named: Vec<(usize, Pubkey, SluiceError)> = vec![
        (POOL, other.pool, SluiceError::UnknownConstituent),
        (TRANCHE_MINT, w.f.keys.tranche_mint(JUNIOR), SluiceError::WrongAccount),
        (VAULT, w.vault(JUNIOR), SluiceError::WrongAccount),
        (HOLDER, pda::holder(&pool, SENIOR, &bob), SluiceError::WrongAccount),
        (HOLDER, pda::holder(&pool, JUNIOR, &w.b.basket), SluiceError::WrongAccount),
        (HOLDER, pda::holder(&other.pool, SENIOR, &w.b.basket), SluiceError::WrongAccount),
        (SLEEVE, w.bob.base, SluiceError::WrongAccount),
        (PRICED, other.pool, SluiceError::ConstituentPoolsMissing),
        (PRICED + 1, w.b.basket, SluiceError::ConstituentPoolsMissing),
    ];
    for (slot, fake, err) in named {
        let mut bad = base.clone();
        bad.accounts[slot].pubkey = fake;
        w.f.expect_rejected(&[bad], &[&k], err, &watched).await;
    }
    // Checked by the pool's own `request_redemption` inside the self-call.
    for (slot, fake) in [
        (QUEUE, queues[2].queue),
        (QUEUE, w.b.basket),
        (ESCROW, pda::escrow(&pool, JUNIOR)),
        (ESCROW, w.bob.tranches[0]),
        (SLUICE_PROGRAM, anchor_lang::solana_program::system_program::ID),
    ] {
        let mut bad = base.clone();
        bad.accounts[slot].pubkey = fake;
        let err = expect_failed(&mut w.f, &[bad], &[&k], &watched).await;
        println!("slot {slot} = {fake}: {err}");
    }
    // An index past the constituents.
    let mut unknown = base.clone();
    unknown.data =
        anchor_lang::InstructionData::data(&sluice::instruction::Rebalance { index: 6, collect_only: false });
    w.f.expect_rejected(&[unknown], &[&k], SluiceError::UnknownConstituent, &watched).await;
    // A pool or queue missing from the pricing accounts, or one too many.
    let mut short = base.clone();
    short.accounts.pop();
    w.f.expect_rejected(&[short], &[&k], SluiceError::ConstituentPoolsMissing, &watched).await;
    let mut long = base.clone();
    long.accounts.push(AccountMeta::new_readonly(queues[0].queue, false));
    w.f.expect_rejected(&[long], &[&k], SluiceError::ConstituentPoolsMissing, &watched).await;

    let value = w.value().await;
    w.f.chain.send(&[base], &[&k]).await.unwrap();
    assert_eq!(w.value().await, value, "a request moves value from the vault to the queue, at NAV");
}

/// Attack: a collecting crank with the pool's vault swapped for the basket's own sleeve or
/// a stranger's account, the queue of another tranche, or the open request's queue
/// omitted, replaced, duplicated. Safe: refused, nothing changes; the honest collection
/// books exactly what the request was paid and leaves the value unchanged.
#[tokio::test]
async fn a_collect_crank_with_foreign_vault_or_queue_is_refused_and_books_exactly() {
    let (mut w, queues, keeper) = with_request().await;
    batches_pay(&mut w, &keeper, &queues).await;
    let c = w.basket().await.constituents[0];
    let paid = w.f.queued(&queues[0], c.request_id).await.claimable;
    assert!(paid > 0);
    let k = keeper.0.insecure_clone();
    let mut watched = watched_all(&w, &queues);
    watched.push(keeper.1);
    let base = w.rebalance_ix(&k.pubkey(), 0).await;
    assert_eq!(base.accounts.len(), PRICED + 3);
    for (slot, fake, err) in [
        (POOL_VAULT, keeper.1, SluiceError::WrongAccount),
        (QUEUE, queues[2].queue, SluiceError::WrongAccount),
        (PRICED + 2, queues[2].queue, SluiceError::ConstituentPoolsMissing),
        (PRICED + 2, w.f.keys.pool, SluiceError::ConstituentPoolsMissing),
    ] {
        let mut bad = base.clone();
        bad.accounts[slot].pubkey = fake;
        w.f.expect_rejected(&[bad], &[&k], err, &watched).await;
    }
    // The sleeve as the pool's vault: the same account twice, writable (Anchor refuses).
    let mut sleeve_twice = base.clone();
    sleeve_twice.accounts[POOL_VAULT].pubkey = w.b.sleeve;
    let err = expect_failed(&mut w.f, &[sleeve_twice], &[&k], &watched).await;
    println!("sleeve as the pool's vault: {err}");
    let mut omitted = base.clone();
    omitted.accounts.pop();
    w.f.expect_rejected(&[omitted], &[&k], SluiceError::ConstituentPoolsMissing, &watched).await;
    let mut twice = base.clone();
    twice.accounts.push(base.accounts[PRICED + 2].clone());
    w.f.expect_rejected(&[twice], &[&k], SluiceError::ConstituentPoolsMissing, &watched).await;

    let (value, sleeve) = (w.value().await, w.basket().await.sleeve_balance);
    w.f.chain.send(&[base], &[&k]).await.unwrap();
    let b = w.basket().await;
    assert_eq!(b.sleeve_balance, sleeve + paid);
    assert_eq!(w.f.balance(&w.b.sleeve).await, b.sleeve_balance);
    assert_eq!(w.f.queued(&queues[0], c.request_id).await.claimable, 0);
    assert_eq!(w.value().await, value, "collecting moves cash from the queue to the sleeve");
}

/// Attack: send lamports to the basket's holder-record address before its first request
/// (below and above the rent), hoping `create_account` fails on a funded address. Safe: the
/// crank still creates the record (the cranker tops up what is missing) and the request is
/// placed; the record is the program's, with the basket as owner.
#[tokio::test]
async fn lamports_sent_to_the_holder_record_address_do_not_block_rebalance() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    let senior_record = pda::holder(&w.f.keys.pool, SENIOR, &w.b.basket);
    let junior_record = pda::holder(&w.f.keys.pool, JUNIOR, &w.b.basket);
    w.f.chain.airdrop(&senior_record, 1_000_000).await.unwrap();
    w.f.chain.airdrop(&junior_record, 10_000_000_000).await.unwrap();
    w.rebalance(&keeper.0, 0).await.unwrap();
    let raw = w.f.chain.account(&senior_record).await.unwrap().expect("record created");
    assert_eq!(raw.owner, sluice::ID);
    // A bigger sleeve now: the junior (over-funded address) is asked for the rest.
    let issuer = w.f.issuer.insecure_clone();
    let senior = ConstituentArgs { target_bps: 5_000, ..SENIOR_TERMS };
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, senior);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();
    set_params(&mut w, BasketParams { sleeve_target_bps: 3_000, ..BasketParams::DEFAULT }).await;
    let now = w.f.now().await;
    let (_, action) = preview::basket_rebalance(&w.view().await, now).unwrap();
    assert!(matches!(action, RebalanceAction::Request { index: 1, .. }), "{action:?}");
    let value = w.value().await;
    w.rebalance(&keeper.0, 1).await.unwrap();
    let _ = queues;
    let raw = w.f.chain.account(&junior_record).await.unwrap().expect("record created");
    assert_eq!(raw.owner, sluice::ID);
    assert_eq!(w.value().await, value);
    let b = w.basket().await;
    assert!(b.constituents[0].request_open && b.constituents[1].request_open);
    let r = w.f.queued(&queues[2], b.constituents[1].request_id).await;
    assert_eq!((r.owner, r.pull_only), (w.b.basket, 1));
}

/// Attack: with two open requests (senior and junior), price a redemption, an exchange
/// in or a crank with the open queues swapped, one omitted, the senior queue twice, or the
/// mezzanine queue (which holds no request of the basket) in place of one. Safe:
/// `ConstituentPoolsMissing`, nothing changes.
#[tokio::test]
async fn open_queues_swapped_or_omitted_cannot_price_the_basket() {
    let (mut w, queues, keeper) = with_request().await;
    let issuer = w.f.issuer.insecure_clone();
    let senior = ConstituentArgs { target_bps: 5_000, ..SENIOR_TERMS };
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, senior);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();
    set_params(&mut w, BasketParams { sleeve_target_bps: 3_000, sleeve_floor_bps: 0, ..BasketParams::DEFAULT }).await;
    w.rebalance(&keeper.0, 1).await.unwrap();
    let view = w.view().await;
    assert_eq!(view.open_queues(), vec![queues[0].queue, queues[2].queue]);
    let bob = w.bob.wallet.insecure_clone();
    let watched = watched_all(&w, &queues);

    let redeem = w.bob_redeem_ix(UNIT, 0).await;
    let (bob_inv, bob_basket) = (w.bob.insecure_clone_investor(), w.bob_basket);
    let exchange = exchange_in_priced(&mut w, &bob_inv, &bob_basket, 0, UNIT).await;
    let k = keeper.0.insecure_clone();
    let crank = w.rebalance_ix(&k.pubkey(), 0).await;
    for (ixn, first, signer) in [(redeem, REDEEM_PRICED + 2, &bob), (exchange, 9 + 2, &bob), (crank, PRICED + 2, &k)] {
        let mut swapped = ixn.clone();
        swapped.accounts.swap(first, first + 1);
        w.f.expect_rejected(&[swapped], &[signer], SluiceError::ConstituentPoolsMissing, &watched).await;
        let mut one = ixn.clone();
        one.accounts.remove(first + 1);
        w.f.expect_rejected(&[one], &[signer], SluiceError::ConstituentPoolsMissing, &watched).await;
        let mut same = ixn.clone();
        same.accounts[first + 1].pubkey = queues[0].queue;
        w.f.expect_rejected(&[same], &[signer], SluiceError::ConstituentPoolsMissing, &watched).await;
        let mut mezz = ixn.clone();
        mezz.accounts[first].pubkey = queues[1].queue;
        w.f.expect_rejected(&[mezz], &[signer], SluiceError::ConstituentPoolsMissing, &watched).await;
    }
}

trait CloneInvestor {
    fn insecure_clone_investor(&self) -> Investor;
}
impl CloneInvestor for Investor {
    fn insecure_clone_investor(&self) -> Investor {
        Investor { wallet: self.wallet.insecure_clone(), base: self.base, tranches: self.tranches }
    }
}

/// Attack: a stranger cancels the basket's request (to free its tokens into their own
/// account), claims its paid value to their own account, pushes it there, or to the sleeve.
/// Safe: `NotRequestOwner` / `NothingToClaim`, nothing changes: only the basket's crank
/// collects, into the sleeve.
#[tokio::test]
async fn a_stranger_can_neither_cancel_claim_nor_push_the_baskets_request() {
    let (mut w, queues, keeper) = with_request().await;
    batches_pay(&mut w, &keeper, &queues).await;
    let c = w.basket().await.constituents[0];
    let r = w.f.queued(&queues[0], c.request_id).await;
    assert!(r.claimable > 0 && r.remaining > 0);
    let mallory = w.f.investor(UNIT, false).await;
    let m = mallory.wallet.insecure_clone();
    let mut watched = watched_all(&w, &queues);
    watched.extend([mallory.base, mallory.tranches[0]]);
    let cancel = ix::cancel_redemption(&m.pubkey(), &w.f.keys, &queues[0], &mallory.tranches[0], c.request_id);
    w.f.expect_rejected(&[cancel], &[&m], SluiceError::NotRequestOwner, &watched).await;
    // Cancel naming the basket's vault as the refund account: still not the owner.
    let cancel = ix::cancel_redemption(&m.pubkey(), &w.f.keys, &queues[0], &w.vault(SENIOR), c.request_id);
    let err = expect_failed(&mut w.f, &[cancel], &[&m], &watched).await;
    println!("cancel into the basket's vault: {err}");
    let claim = ix::claim(&m.pubkey(), &w.f.keys, &queues[0], c.request_id, &mallory.base);
    w.f.expect_rejected(&[claim], &[&m], SluiceError::NotRequestOwner, &watched).await;
    for dest in [mallory.base, w.b.sleeve] {
        let push = ix::push_claims(&m.pubkey(), &w.f.keys, &queues[0], &keeper.1, &[(c.request_id, dest)]);
        w.f.expect_rejected(&[push], &[&m], SluiceError::NothingToClaim, &watched).await;
    }
    assert_eq!(w.f.queued(&queues[0], c.request_id).await, r);
}

/// Attack: donate base tokens to the sleeve and tranche tokens to the vaults, hoping to
/// move the price, the redemption payout, the cap or the rebalance plan. Safe: all come
/// from the accounted balances; a collection books the payment, not the donation.
#[tokio::test]
async fn donations_to_the_sleeve_and_vaults_change_neither_value_price_nor_plan() {
    let (mut w, queues, keeper) = with_request().await;
    batches_pay(&mut w, &keeper, &queues).await;
    let now = w.f.now().await;
    let view = w.view().await;
    let (value, price) = (w.value().await, w.price_e12().await);
    let plan = preview::basket_rebalance(&view, now).unwrap();
    let basket_raw = w.f.chain.account(&w.b.basket).await.unwrap();
    let eve = w.f.investor(1_000_000 * UNIT, false).await;
    w.f.deposit(&eve, SENIOR, 100_000 * UNIT).await.unwrap();
    w.f.deposit(&eve, JUNIOR, 100_000 * UNIT).await.unwrap();
    let e = eve.wallet.pubkey();
    let donations = [
        ix::token::transfer(&ix::SPL_TOKEN, &eve.base, &w.b.sleeve, &e, 500_000 * UNIT),
        ix::token::transfer(&ix::TOKEN_2022, &eve.tranches[0], &w.vault(SENIOR), &e, 50_000 * UNIT),
        ix::token::transfer(&ix::TOKEN_2022, &eve.tranches[2], &w.vault(JUNIOR), &e, 50_000 * UNIT),
    ];
    w.f.chain.send(&donations, &[&eve.wallet]).await.unwrap();
    let raw = w.f.chain.account(&w.b.basket).await.unwrap();
    assert_eq!(raw, basket_raw, "a donation changed the basket's books");
    assert_eq!((w.value().await, w.price_e12().await), (value, price));
    assert_eq!(preview::basket_rebalance(&w.view().await, now).unwrap(), plan);
    // The sleeve is empty in the books: a redemption is refused although tokens sit there.
    let bob = w.bob.wallet.insecure_clone();
    let ixn = w.bob_redeem_ix(UNIT, 0).await;
    w.f.expect_rejected(&[ixn], &[&bob], SluiceError::SleeveBelowFloor, &w.watched()).await;
    // The collection books exactly the payment.
    let c = view.basket.constituents[0];
    let paid = view.flights[0].cash;
    assert!(paid > 0);
    w.rebalance(&keeper.0, 0).await.unwrap();
    let b = w.basket().await;
    assert_eq!(b.sleeve_balance, paid);
    assert_eq!(b.constituents[0].held, c.held);
    assert_eq!(w.f.balance(&w.b.sleeve).await, paid + 500_000 * UNIT);
    assert_eq!(w.value().await, value);
}

/// Attack: take more than the window cap out of the sleeve by splitting redemptions across
/// wallets and transactions, and several in one transaction; then evade the floor the same
/// way. Safe: the basket-wide cap and the floor hold for the sum: the redemption that
/// crosses is refused (`RedeemWindowExceeded`, `SleeveBelowFloor`) and nothing more is paid;
/// every payout leaves the price of the tokens that stay where it was or higher.
#[tokio::test]
async fn the_cap_and_the_floor_hold_across_wallets_and_transactions() {
    let (mut w, _queues, _keeper) = filled().await;
    set_params(&mut w, BasketParams { sleeve_floor_bps: 0, ..BasketParams::DEFAULT }).await;
    let (carl, carl_basket) = w.newcomer(100_000 * UNIT, 0).await;
    let carl_senior = w.f.balance(&carl.tranches[0]).await;
    let xin = exchange_in_priced(&mut w, &carl, &carl_basket, 0, carl_senior).await;
    w.f.chain.send(&[xin], &[&carl.wallet]).await.unwrap();
    let bob = w.bob.insecure_clone_investor();
    let bob_basket = w.bob_basket;
    let value0 = w.value().await;
    let cap = value0 / 20;
    let mut price = w.price_e12().await;
    let mut paid = 0u64;
    let mut refused = false;
    for round in 0..40 {
        let supply = w.basket().await.supply;
        let chunk = supply / 400;
        // Two redemptions, two wallets, one transaction.
        let a = w.redeem_ix(bob.wallet.pubkey(), bob.base, bob_basket, chunk, 0).await;
        let b = w.redeem_ix(carl.wallet.pubkey(), carl.base, carl_basket, chunk, 0).await;
        let before = w.f.balance(&bob.base).await + w.f.balance(&carl.base).await;
        match w.f.chain.send(&[a, b], &[&bob.wallet, &carl.wallet]).await {
            Ok(()) => {
                paid += w.f.balance(&bob.base).await + w.f.balance(&carl.base).await - before;
                let now_price = w.price_e12().await;
                assert!(now_price >= price, "round {round}: price fell {price} -> {now_price}");
                price = now_price;
            }
            Err(e) => {
                assert!(e.is(SluiceError::RedeemWindowExceeded), "round {round}: {e:?}");
                refused = true;
                break;
            }
        }
    }
    assert!(refused, "the cap never bit");
    let now = w.f.now().await;
    let spent = w.basket().await.redeemed_in_window(now);
    assert_eq!(spent, paid);
    assert!(paid <= cap, "paid {paid} > cap {cap}");
    // Whatever is left under the cap, a single base unit more is refused for either wallet.
    let (value, supply) = (w.value().await, w.basket().await.supply);
    let room = (value / 20).saturating_sub(spent);
    let beyond = ((room + 1) as u128 * supply as u128).div_ceil(value as u128) as u64;
    assert!(redeem_out(beyond, value, supply) > room);
    for (inv, acct) in [(&bob, bob_basket), (&carl, carl_basket)] {
        let ixn = w.redeem_ix(inv.wallet.pubkey(), inv.base, acct, beyond, 0).await;
        w.f.expect_rejected(&[ixn], &[&inv.wallet], SluiceError::RedeemWindowExceeded, &w.watched()).await;
    }

    // The floor: a day later, a floor one point under the sleeve's share now and an
    // unlimited cap; small redemptions from both wallets stop at the floor, never below it.
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    let (sleeve, value) = (w.basket().await.sleeve_balance, w.value().await);
    let floor_bps = (sleeve as u128 * 10_000 / value as u128) as u16 - 100;
    let floor = BasketParams {
        sleeve_target_bps: 1_000,
        sleeve_band_bps: 0,
        redeem_cap_bps: 10_000,
        sleeve_floor_bps: floor_bps,
    };
    set_params(&mut w, floor).await;
    let mut ok_rounds = 0;
    let mut refused = false;
    for round in 0..60 {
        let supply = w.basket().await.supply;
        let chunk = supply / 1_000;
        let a = w.redeem_ix(bob.wallet.pubkey(), bob.base, bob_basket, chunk, 0).await;
        let b = w.redeem_ix(carl.wallet.pubkey(), carl.base, carl_basket, chunk, 0).await;
        match w.f.chain.send(&[a, b], &[&bob.wallet, &carl.wallet]).await {
            Ok(()) => {
                let (b, value) = (w.basket().await, w.value().await);
                assert!(
                    b.sleeve_balance as u128 * 10_000 >= floor_bps as u128 * value as u128,
                    "round {round}: below the floor"
                );
                ok_rounds += 1;
            }
            Err(e) => {
                assert!(e.is(SluiceError::SleeveBelowFloor), "round {round}: {e:?}");
                refused = true;
                break;
            }
        }
    }
    assert!(refused && ok_rounds > 0, "the floor: {ok_rounds} rounds, refused {refused}");
}

/// Bob redeems what is left under a `cap_bps` window cap now; returns what he was paid and
/// the value before.
async fn take_cap(w: &mut BasketWorld, cap_bps: u64) -> (u64, u64) {
    let (value, b) = (w.value().await, w.basket().await);
    let now = w.f.now().await;
    let room = (value as u128 * cap_bps as u128 / 10_000) as u64 - b.redeemed_in_window(now);
    let tokens = (room as u128 * b.supply as u128 / value as u128) as u64;
    let base = w.f.balance(&w.bob.base).await;
    let ixn = w.bob_redeem_ix(tokens, 0).await;
    let bob = w.bob.wallet.insecure_clone();
    w.f.chain.send(&[ixn], &[&bob]).await.unwrap();
    (w.f.balance(&w.bob.base).await - base, value)
}

/// Attack: a dust redemption at T, the rest of the cap just before T + 24 h, and the whole
/// cap again just after — as against a window opened by its first redemption. Safe: the
/// window is rolling (hourly buckets, the current hour and the 24 before it): at T + 24 h
/// everything paid since T still counts, and a single base unit more is refused; the dust
/// falls out of the window only once its hour is more than 24 hours old.
#[tokio::test]
async fn the_redeem_cap_holds_over_any_24_hours() {
    let (mut w, _queues, _keeper) = filled().await;
    let params = BasketParams { redeem_cap_bps: 300, sleeve_floor_bps: 0, ..BasketParams::DEFAULT };
    set_params(&mut w, params).await;
    let bob = w.bob.wallet.insecure_clone();
    // Dust at T.
    let ixn = w.bob_redeem_ix(UNIT, 0).await;
    let base = w.f.balance(&w.bob.base).await;
    w.f.chain.send(&[ixn], &[&bob]).await.unwrap();
    let dust = w.f.balance(&w.bob.base).await - base;
    // Two minutes before T + 24 h: the rest of the cap.
    w.f.chain.advance_clock(DAY - 120).await.unwrap();
    w.f.refresh().await;
    let (first, value_then) = take_cap(&mut w, 300).await;
    // At T + 24 h: all of it still counts; one more base unit's worth is refused.
    w.f.chain.advance_clock(120).await.unwrap();
    w.f.refresh().await;
    let now = w.f.now().await;
    let b = w.basket().await;
    assert_eq!(b.redeemed_in_window(now), dust + first);
    let (value, supply) = (w.value().await, b.supply);
    let cap = (value_then as u128 * 300 / 10_000) as u64;
    assert!(dust + first <= cap, "{} paid, cap {cap}", dust + first);
    let one_more = (supply as u128).div_ceil(value as u128).max(1) as u64 * 2;
    let ixn = w.bob_redeem_ix(one_more, 0).await;
    w.f.expect_rejected(&[ixn], &[&bob], SluiceError::RedeemWindowExceeded, &[w.b.basket, w.b.sleeve]).await;
    // Two hours later the dust's hour has left the window: exactly its room is back.
    w.f.chain.advance_clock(2 * 3_600).await.unwrap();
    w.f.refresh().await;
    let now = w.f.now().await;
    assert_eq!(w.basket().await.redeemed_in_window(now), first);
}

/// Attack: redeem from the sleeve while the NAV is stale, while the basket is paused, while
/// a constituent the basket holds is in Crisis; crank while paused. Safe: `NavStale`,
/// `BasketPaused`, `WrongStage`, nothing changes; a paused basket's crank only collects
/// (no new request however short the sleeve), and `NothingToRebalance` when there is
/// nothing to collect.
#[tokio::test]
async fn redeem_refuses_stale_paused_and_crisis_and_a_paused_crank_only_collects() {
    let (mut w, queues, keeper) = filled().await;
    let bob = w.bob.wallet.insecure_clone();
    let g = w.f.guardian.insecure_clone();
    let k = keeper.0.insecure_clone();
    let watched = watched_all(&w, &queues);
    // A valid redemption, prepared now...
    let ixn = w.bob_redeem_ix(1_000 * UNIT, 0).await;
    // ...sent after the NAV has gone stale.
    w.f.chain.advance_clock(601).await.unwrap();
    w.f.expect_rejected(std::slice::from_ref(&ixn), &[&bob], SluiceError::NavStale, &watched).await;
    let crank = w.rebalance_ix(&k.pubkey(), 0).await;
    w.f.expect_rejected(&[crank], &[&k], SluiceError::NavStale, &watched).await;
    w.f.refresh().await;

    // Paused: redemption refused; the crank neither requests nor deposits. Make the sleeve
    // short first (a 30 % target) so the rule would request.
    let senior = ConstituentArgs { target_bps: 5_000, ..SENIOR_TERMS };
    let issuer = w.f.issuer.insecure_clone();
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, senior);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();
    set_params(&mut w, BasketParams { sleeve_target_bps: 3_000, ..BasketParams::DEFAULT }).await;
    let now = w.f.now().await;
    let (_, action) = preview::basket_rebalance(&w.view().await, now).unwrap();
    let RebalanceAction::Request { index, .. } = action else { panic!("{action:?}") };
    w.rebalance(&keeper.0, index).await.unwrap();
    // A second refill is due in the other constituent once paused... but paused: nothing.
    w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &w.b, true)], &[&g]).await.unwrap();
    let watched = watched_all(&w, &queues);
    let ixn = w.bob_redeem_ix(1_000 * UNIT, 0).await;
    w.f.expect_rejected(&[ixn], &[&bob], SluiceError::BasketPaused, &watched).await;
    for i in [0u8, 1] {
        let crank = w.rebalance_ix(&k.pubkey(), i).await;
        w.f.expect_rejected(&[crank], &[&k], SluiceError::NothingToRebalance, &watched).await;
    }
    batches_pay(&mut w, &keeper, &queues).await;
    let before = w.basket().await;
    let paid = w.view().await.flights[index as usize].cash;
    assert!(paid > 0);
    let value = w.value().await;
    w.rebalance(&keeper.0, index).await.unwrap();
    let after = w.basket().await;
    assert_eq!(after.sleeve_balance, before.sleeve_balance + paid);
    let other = 1 - index as usize;
    assert_eq!(after.constituents[other], before.constituents[other], "no new request while paused");
    assert_eq!(w.value().await, value);
    w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &w.b, false)], &[&g]).await.unwrap();

    // Crisis in the pool the basket holds: refused.
    w.f.chain.send(&[ix::force_crisis(&g.pubkey(), &w.f.keys.pool)], &[&g]).await.unwrap();
    w.f.reprice().await.unwrap();
    let ixn = w.bob_redeem_ix(1_000 * UNIT, 0).await;
    w.f.expect_rejected(&[ixn], &[&bob], SluiceError::WrongStage, &watched_all(&w, &queues)).await;
}

/// Attack: a rebalance deposit into a pool that has become permissioned while the basket
/// is not a member, with no member record or with another member's record in its place.
/// Safe: refused (`NotMember` from the pool's own `deposit`), nothing changes; once the
/// issuer admits the basket, the deposit goes through at NAV.
#[tokio::test]
async fn a_deposit_into_a_permissioned_pool_needs_the_basket_to_be_a_member() {
    let (mut w, queues, keeper) = filled_in(true).await;
    let issuer = w.f.issuer.insecure_clone();
    set_params(&mut w, BasketParams { sleeve_target_bps: 500, sleeve_band_bps: 100, ..BasketParams::DEFAULT }).await;
    let junior = ConstituentArgs { target_bps: 3_000, ..JUNIOR_TERMS };
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 1, junior);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();
    // The issuer revokes the basket's membership.
    let revoke = ix::revoke_member(&issuer.pubkey(), &w.f.keys.pool, &w.b.basket);
    w.f.chain.send(&[revoke], &[&issuer]).await.unwrap();
    let now = w.f.now().await;
    let (_, action) = preview::basket_rebalance(&w.view().await, now).unwrap();
    assert!(matches!(action, RebalanceAction::Deposit { index: 1, .. }), "{action:?}");
    let k = keeper.0.insecure_clone();
    let watched = watched_all(&w, &queues);
    let crank = w.rebalance_ix(&k.pubkey(), 1).await;
    assert_eq!(crank.accounts[MEMBER].pubkey, pda::member(&w.f.keys.pool, &w.b.basket));
    w.f.expect_rejected(std::slice::from_ref(&crank), &[&k], SluiceError::NotMember, &watched).await;
    // Bob is a member: his record in the basket's place.
    let expires = now + 365 * DAY;
    w.f.set_member(&w.bob.wallet.pubkey(), expires).await.unwrap();
    let mut borrowed = crank.clone();
    borrowed.accounts[MEMBER].pubkey = pda::member(&w.f.keys.pool, &w.bob.wallet.pubkey());
    w.f.expect_rejected(&[borrowed], &[&k], SluiceError::NotMember, &watched).await;
    // No member account at all.
    let mut none = crank.clone();
    none.accounts[MEMBER].pubkey = sluice::ID;
    w.f.expect_rejected(&[none], &[&k], SluiceError::NotMember, &watched).await;

    w.f.set_member(&w.b.basket, expires).await.unwrap();
    let value = w.value().await;
    w.rebalance(&keeper.0, 1).await.unwrap();
    let after = w.value().await;
    let t = w.f.pool().await.tranches[JUNIOR as usize];
    assert!(after <= value && value - after <= holding_value(1, t.value, t.supply) + 1, "{value} -> {after}");
}

/// Attack: sandwich a crank in one transaction — exchange senior tokens in, let the crank
/// deposit the sleeve's surplus (or collect), then redeem everything received from the
/// sleeve or exchange it out. Safe: the sandwicher ends with no more value than she put in
/// (the haircut stays behind) and the price of the others' tokens does not fall.
#[tokio::test]
async fn sandwiching_a_crank_with_exchange_in_and_redeem_extracts_nothing() {
    let (mut w, queues, keeper) = filled().await;
    let issuer = w.f.issuer.insecure_clone();
    set_params(
        &mut w,
        BasketParams { sleeve_target_bps: 500, sleeve_band_bps: 100, redeem_cap_bps: 10_000, sleeve_floor_bps: 0 },
    )
    .await;
    let junior = ConstituentArgs { target_bps: 3_000, ..JUNIOR_TERMS };
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 1, junior);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();
    let (eve, eve_basket) = w.newcomer(25_000 * UNIT, 0).await;
    let k = keeper.0.insecure_clone();

    for round in 0..2 {
        let wealth = w.tranche_wealth(&eve).await + w.f.balance(&eve.base).await;
        let price = w.price_e12().await;
        let view = w.view().await;
        let now = w.f.now().await;
        let (_, action) = preview::basket_rebalance(&view, now).unwrap();
        println!("round {round}: {action:?}");
        let (RebalanceAction::Request { index, .. } | RebalanceAction::Deposit { index, .. }) = action else {
            panic!("round {round}: nothing to sandwich")
        };
        let xin = exchange_in_priced(&mut w, &eve, &eve_basket, 0, 10_000 * UNIT).await;
        let crank = w.rebalance_ix(&k.pubkey(), index).await;
        // What the exchange in will mint, from the program's rule.
        let minted = preview::basket_exchange_in(&view, 0, 10_000 * UNIT, now).unwrap();
        // The open requests after the crank, in constituent order.
        let mut open: Vec<(usize, Pubkey)> =
            sluice::instructions::open_requests(&view.basket).map(|(j, c)| (j, c.queue)).collect();
        if let RebalanceAction::Request { index, .. } = action {
            let tranche = view.basket.constituents[index as usize].tranche;
            open.push((index as usize, queues[tranche as usize].queue));
            open.sort();
        }
        let open: Vec<Pubkey> = open.into_iter().map(|(_, q)| q).collect();
        let exit = if round == 0 {
            let mut priced: Vec<Pubkey> = view.basket.active().iter().map(|c| c.pool).collect();
            priced.extend(open.iter().copied());
            let args = RedeemBasketArgs { tokens: minted, min_out: 0 };
            ix::redeem_basket(&eve.wallet.pubkey(), &w.b, &eve_basket, &eve.base, &priced, args)
        } else {
            exchange_out_ix(&w, &eve, &eve_basket, minted, &open)
        };
        w.f.chain.send(&[xin, crank, exit], &[&eve.wallet, &k]).await.unwrap();
        assert_eq!(w.f.balance(&eve_basket).await, 0);
        let after = w.tranche_wealth(&eve).await + w.f.balance(&eve.base).await;
        assert!(after <= wealth, "round {round}: eve {wealth} -> {after}");
        let now_price = w.price_e12().await;
        assert!(now_price >= price, "round {round}: price {price} -> {now_price}");
    }
}

/// Attack: the same crank twice in one transaction (request then request, collect then
/// collect), hoping the second acts on state the first has not finished. Safe: the second
/// finds nothing to do (`NothingToRebalance`) and the whole transaction changes nothing.
#[tokio::test]
async fn the_same_crank_twice_in_one_transaction_is_refused() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    let k = keeper.0.insecure_clone();
    let first = w.rebalance_ix(&k.pubkey(), 0).await;
    // The second is built for the state after the first: the new request's queue priced.
    let mut second = first.clone();
    second.accounts.push(AccountMeta::new_readonly(queues[0].queue, false));
    let watched = watched_all(&w, &queues);
    w.f.expect_rejected(&[first.clone(), second], &[&k], SluiceError::NothingToRebalance, &watched).await;
    w.f.chain.send(&[first], &[&k]).await.unwrap();

    batches_pay(&mut w, &keeper, &queues).await;
    let collect = w.rebalance_ix(&k.pubkey(), 0).await;
    let watched = watched_all(&w, &queues);
    w.f.expect_rejected(&[collect.clone(), collect.clone()], &[&k], SluiceError::NothingToRebalance, &watched).await;
    let (value, sleeve) = (w.value().await, w.basket().await.sleeve_balance);
    let paid = w.view().await.flights[0].cash;
    w.f.chain.send(&[collect], &[&k]).await.unwrap();
    assert_eq!(w.basket().await.sleeve_balance, sleeve + paid);
    assert_eq!(w.value().await, value);
}

/// Attack: dust — redeem zero, more than the supply, one base unit of basket token many
/// times (harvesting the payout's rounding). Safe: `ZeroAmount` for zero and too many; each
/// dust payout is floored so the price of the tokens that stay never falls.
#[tokio::test]
async fn dust_redemptions_never_lower_the_price() {
    let (mut w, _queues, _keeper) = filled().await;
    set_params(&mut w, BasketParams { sleeve_floor_bps: 0, ..BasketParams::DEFAULT }).await;
    let bob = w.bob.wallet.insecure_clone();
    let supply = w.basket().await.supply;
    for tokens in [0, supply + 1, u64::MAX] {
        let ixn = w.bob_redeem_ix(tokens, 0).await;
        w.f.expect_rejected(&[ixn], &[&bob], SluiceError::ZeroAmount, &w.watched()).await;
    }
    let mut price = w.price_e12().await;
    let base0 = w.f.balance(&w.bob.base).await;
    for i in 0..30u64 {
        let tokens = 1 + i % 3;
        let (value, supply) = (w.value().await, w.basket().await.supply);
        let ixn = w.bob_redeem_ix(tokens, 0).await;
        let base = w.f.balance(&w.bob.base).await;
        w.f.chain.send(&[ixn], &[&bob]).await.unwrap();
        assert_eq!(w.f.balance(&w.bob.base).await - base, redeem_out(tokens, value, supply));
        let p = w.price_e12().await;
        assert!(p >= price, "dust {i}: {price} -> {p}");
        price = p;
    }
    assert!(w.f.balance(&w.bob.base).await - base0 <= 2 * 60, "dust paid more than its value");
}

/// Attack (liveness, third party harmed): the basket's authority admits a constituent of a
/// second pool whose NAV is not fresh (never priced, or its publisher stops). Every crank
/// then fails `NavStale`, so the basket's fully paid request can never be collected, and
/// because it is pull-only nobody can park it: it would stay at the front of the first
/// pool's queue, although `park_claim` exists so that the queue always moves on. Safe: a
/// crank still collects a paid request (collection needs no price) and the front moves.
#[tokio::test]
async fn a_stale_constituent_elsewhere_cannot_pin_the_baskets_request_at_the_front() {
    let (mut w, queues, keeper) = with_request().await;
    // A month of batches: the basket's request is fully paid, at the front of the queue.
    for _ in 0..12 {
        batches_pay(&mut w, &keeper, &queues).await;
    }
    let c = w.basket().await.constituents[0];
    let r = w.f.queued(&queues[0], c.request_id).await;
    assert_eq!(r.remaining, 0);
    assert!(r.claimable > 0);
    // The authority admits a tranche of another (unpriced) pool of the same base token.
    let issuer = w.f.issuer.insecure_clone();
    let other = w.f.another_pool(9).await;
    for i in 0..2u8 {
        let t = AddTrancheArgs { coupon_bps: 500, min_subordination_bps: 0, metadata: tranche_metadata(0) };
        w.f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &other, i, t)], &[&issuer]).await.unwrap();
    }
    let terms = ConstituentArgs { target_bps: 0, ..SENIOR_TERMS };
    let add = ix::add_constituent(&issuer.pubkey(), &w.b, &other, 0, terms);
    w.f.chain.send(&[add], &[&issuer]).await.unwrap();
    w.f.chain.advance_clock(sluice::state::PARK_AFTER_SECS).await.unwrap();
    w.f.refresh().await;
    // Nobody can park it...
    let park = ix::park_claim(&keeper.0.pubkey(), &w.f.keys, &queues[0], c.request_id);
    w.f.expect_rejected(&[park], &[&keeper.0], SluiceError::PullOnlyRequest, &[queues[0].queue]).await;
    // ...so the crank must be able to collect it.
    let result = w.rebalance(&keeper.0, 0).await;
    assert!(result.is_ok(), "collection blocked: {result:?}");
    assert_eq!(w.f.pool().await.tranches[SENIOR as usize].queue_head, c.request_id + 1);
}
