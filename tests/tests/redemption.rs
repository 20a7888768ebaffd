//! Staged redemption on a real bank: instant exits, queued requests paid over batches,
//! pro-rata and seniority, the junior cap, Crisis, cancels, claims pulled and pushed, the
//! last holder, and a 10,000-request wave.
#![allow(deprecated)]

use sluice::math::allocation::value_of;
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::Stage;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::{client, ix};

use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;

#[tokio::test]
async fn instant_redemption_pays_nav_minus_fee_within_its_limits() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    let before = f.balance(&alice.base).await;
    f.chain.send(&[instant_with_min(&f, &alice, SENIOR, 5_000 * UNIT, 0)], &[&w]).await.unwrap();
    // Price 1.0: 5,000 value, 0.5 % fee.
    assert_eq!(f.balance(&alice.base).await - before, 5_000 * UNIT - 25 * UNIT);
    let pool = f.pool().await;
    assert_eq!((pool.fee_pot, pool.window_paid), (25 * UNIT, 5_000 * UNIT));
    assert_eq!(pool.tranches[0].supply, 4_995_000 * UNIT);
    assert_eq!(pool.nav, 10_000_000 * UNIT - 5_000 * UNIT);
    assert_eq!(pool.cash, pool.nav);

    // Above the threshold (10,000), beyond the payout floor.
    f.expect_rejected(
        &[instant_with_min(&f, &alice, SENIOR, 10_001 * UNIT, 0)],
        &[&w],
        SluiceError::InstantTooLarge,
        &[],
    )
    .await;
    f.expect_rejected(
        &[instant_with_min(&f, &alice, SENIOR, 100 * UNIT, 100 * UNIT)],
        &[&w],
        SluiceError::PayoutBelowMinimum,
        &[],
    )
    .await;
    // The threshold holds per holder and day: 5,001 more would take Alice past 10,000.
    f.expect_rejected(
        &[instant_with_min(&f, &alice, SENIOR, 5_001 * UNIT, 0)],
        &[&w],
        SluiceError::InstantTooLarge,
        &[],
    )
    .await;
    // The 24 h window allows 1 % of NAV (~100,000): nine more holders of 10,000 reach it.
    let mut holders = Vec::new();
    for _ in 0..10 {
        let h = f.investor(20_000 * UNIT, false).await;
        f.deposit(&h, MEZZANINE, 10_000 * UNIT).await.unwrap();
        holders.push(h);
    }
    for h in &holders[..9] {
        f.chain.send(&[instant_with_min(&f, h, MEZZANINE, 10_000 * UNIT, 0)], &[&h.wallet]).await.unwrap();
    }
    let last = &holders[9];
    f.expect_rejected(
        &[instant_with_min(&f, last, MEZZANINE, 10_000 * UNIT, 0)],
        &[&last.wallet],
        SluiceError::InstantCapReached,
        &[],
    )
    .await;
    // A new window opens a day later.
    f.chain.advance_clock(DAY).await.unwrap();
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();
    // (The mezzanine price has accrued a day's coupon: 9,000 tokens stay under the threshold.)
    f.chain.send(&[instant_with_min(&f, last, MEZZANINE, 9_000 * UNIT, 0)], &[&last.wallet]).await.unwrap();
    // Outside Normal, instant exits stop.
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    f.expect_rejected(&[instant_with_min(&f, &alice, SENIOR, UNIT, 0)], &[&w], SluiceError::WrongStage, &[]).await;
}

#[tokio::test]
async fn instant_redemption_respects_cash_floor_and_subordination() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    // Fund receivables until only 1.5 % of NAV is cash: under the 2 % floor.
    f.add_receivable(9_900_000 * UNIT, 9_850_000 * UNIT, 200, 0).await.unwrap();
    f.reprice().await.unwrap();
    f.expect_rejected(&[instant_with_min(&f, &alice, SENIOR, UNIT, 0)], &[&w], SluiceError::CashFloorReached, &[])
        .await;

    // Subordination: with senior at 20 % minimum, a junior-only exit that leaves less than
    // 20 % of NAV below senior is refused even when small.
    let (mut g, bob, _) = pool_with_queues().await;
    let wb = bob.wallet.insecure_clone();
    let mut params = default_params(false);
    params.redemption.instant_window_cap_bps = 10_000;
    params.redemption.instant_threshold = u64::MAX;
    let issuer = g.issuer.insecure_clone();
    g.chain.send(&[ix::update_params(&issuer.pubkey(), &g.keys.pool, params)], &[&issuer]).await.unwrap();
    g.reprice().await.unwrap();
    // Below senior: 5M of 10M. Senior needs 20 %: junior may drop until (5M − x) = 0.2·(10M − x).
    // x ≤ 3.75M, but the junior holds only 3M; mezzanine (10 % over junior) binds first:
    // 3M − x ≥ 0.1·(10M − x) → x ≤ 2.222…M.
    g.expect_rejected(
        &[instant_with_min(&g, &bob, JUNIOR, 2_300_000 * UNIT, 0)],
        &[&wb],
        SluiceError::SubordinationBreached,
        &[],
    )
    .await;
    g.chain.send(&[instant_with_min(&g, &bob, JUNIOR, 2_200_000 * UNIT, 0)], &[&wb]).await.unwrap();
}

#[tokio::test]
async fn a_large_request_is_paid_over_n_batches_and_claimed() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    // 70,000 senior tokens: above the 10,000 threshold, so 7 installments of 10,000.
    let id = f.request(&alice, &q[0], 70_000 * UNIT).await.unwrap();
    let r = f.queued(&q[0], id).await;
    // The SDK predicts the first fill with the program's own planning.
    let now = f.now().await;
    let fill = sluice_sdk::preview::expected_fill(&f.pool().await, 0, &r, now).unwrap();
    assert_eq!((fill.redeemed, fill.sold_to_reserve), (10_000 * UNIT, 0));
    assert_eq!((r.original, r.remaining, r.installment), (70_000 * UNIT, 70_000 * UNIT, 10_000 * UNIT));
    assert_eq!(f.balance(&q[0].escrow).await, 70_000 * UNIT);

    let mut paid = 0;
    for batch in 1..=7u64 {
        let t = f.pool().await.tranches[0];
        f.crank(&keeper, &q[0], 256).await.unwrap();
        paid += value_of(10_000 * UNIT, t.value, t.supply); // at this batch's price
        let r = f.queued(&q[0], id).await;
        assert_eq!(r.remaining, (70_000 - 10_000 * batch) * UNIT, "batch {batch}");
        assert_eq!(r.claimable, paid);
        // Not again within the interval (while anything is left to pay).
        if batch < 7 {
            let crank = f.crank_ix(&keeper, &q[0], 256);
            f.expect_rejected(&[crank], &[&keeper.0], SluiceError::BatchNotDue, &[]).await;
        }
        f.chain.advance_clock(DAY).await.unwrap();
        f.publish(800).await.unwrap();
        f.reprice().await.unwrap();
    }
    let pool = f.pool().await;
    assert_eq!(pool.tranches[0].supply, 5_000_000 * UNIT - 70_000 * UNIT);
    assert_eq!(pool.claimable, paid);
    assert!(paid > 70_000 * UNIT, "the senior coupon accrued over the week");
    assert_eq!(f.balance(&q[0].escrow).await, 0);

    // Nothing queued: the crank refuses and pays nothing.
    let crank = f.crank_ix(&keeper, &q[0], 256);
    f.expect_rejected(&[crank], &[&keeper.0], SluiceError::NothingToProcess, &[keeper.1]).await;

    // Only the owner claims; the value lands where the owner says.
    let mallory = Keypair::new();
    f.chain.airdrop(&mallory.pubkey(), 1_000_000_000).await.unwrap();
    let steal = ix::claim(&mallory.pubkey(), &f.keys, &q[0], id, &alice.base);
    f.expect_rejected(&[steal], &[&mallory], SluiceError::NotRequestOwner, &[]).await;
    let before = f.balance(&alice.base).await;
    f.chain
        .send(&[ix::claim(&alice.wallet.pubkey(), &f.keys, &q[0], id, &alice.base)], &[&alice.wallet])
        .await
        .unwrap();
    assert_eq!(f.balance(&alice.base).await - before, paid);
    assert_eq!(f.pool().await.claimable, 0);
    // The finished request left the queue.
    assert_eq!(f.pool().await.tranches[0].queue_head, id + 1);
}

#[tokio::test]
async fn scarce_cash_goes_senior_first_then_pro_rata() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    // Junior and senior requests, then lock most cash in receivables.
    let j = f.request(&alice, &q[2], 5_000 * UNIT).await.unwrap();
    // Bob buys senior tokens: junior is funded, subordination holds.
    f.deposit(&bob, SENIOR, 6_000 * UNIT).await.unwrap();
    let s1 = f.request(&alice, &q[0], 6_000 * UNIT).await.unwrap();
    let s2 = f.request(&bob, &q[0], 3_000 * UNIT).await.unwrap();
    // Lock cash in a short receivable so that little more than 4,500 stays above the 2 %
    // floor (its small discount lowers NAV, and so the floor, a little).
    let pool = f.pool().await;
    let floor = pool.nav / 50;
    let lock = pool.cash - floor - 4_500 * UNIT;
    f.add_receivable(lock, lock, 20, 0).await.unwrap();
    f.reprice().await.unwrap();
    let floor = f.pool().await.nav / 50;
    let budget = f.pool().await.cash - floor;
    assert!(budget < 9_000 * UNIT, "demand must exceed the budget: {budget}");

    f.crank(&keeper, &q[0], 256).await.unwrap();
    let (r1, r2) = (f.queued(&q[0], s1).await, f.queued(&q[0], s2).await);
    let paid_tokens = (6_000 * UNIT - r1.remaining) + (3_000 * UNIT - r2.remaining);
    // Pro rata 2:1 within senior, within a token of exact.
    assert!((6_000 * UNIT - r1.remaining).abs_diff(2 * (3_000 * UNIT - r2.remaining)) <= 2);
    let total = r1.claimable + r2.claimable;
    assert!(total <= budget && budget - total <= 2, "paid {total} of budget {budget}");
    assert!(paid_tokens > 0);
    // The junior request gets at most the rounding dust the senior fills left over.
    let batch = f.pool().await.batch;
    assert!(batch.granted[2] <= 2, "junior granted {}", batch.granted[2]);
    if batch.open {
        f.crank(&keeper, &q[2], 256).await.unwrap();
    }
    assert!(f.queued(&q[2], j).await.remaining >= 5_000 * UNIT - 2);
    assert!(!f.pool().await.batch.open);
}

#[tokio::test]
async fn junior_exits_are_capped_by_senior_subordination() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    // The junior asks for everything it has; plenty of cash, but mezzanine needs 10 % below
    // it: 3M − x ≥ 0.1·(10M − x) → x ≤ 2,222,222.22.
    let mut params = default_params(false);
    params.redemption.instant_threshold = u64::MAX; // one installment
    f.set_params(params).await;
    let id = f.request(&alice, &q[2], 3_000_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let r = f.queued(&q[2], id).await;
    let redeemed = 3_000_000 * UNIT - r.remaining;
    assert_eq!(redeemed, 2_222_222_222_222);
    let pool = f.pool().await;
    let below_mezz = pool.tranches[2].value as u128;
    assert!(below_mezz * 10_000 >= 1_000 * pool.nav as u128);
}

#[tokio::test]
async fn crisis_pays_only_out_of_realised_repayments() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    let idx = f.add_receivable(100_000 * UNIT, 95_000 * UNIT, 60, 0).await.unwrap();
    f.reprice().await.unwrap();
    let id = f.request(&alice, &q[0], 9_000 * UNIT).await.unwrap();
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Crisis);
    // The guardian cannot force it again (or off).
    f.expect_rejected(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g], SluiceError::StageUnchanged, &[]).await;

    // Plenty of cash, but no repayment since Crisis began: nothing may leave.
    let crank = f.crank_ix(&keeper, &q[0], 256);
    f.expect_rejected(&[crank], &[&keeper.0], SluiceError::NothingToProcess, &[]).await;
    // A 4,000 repayment comes in: the batch pays at most that.
    f.repay(idx, 4_000 * UNIT).await.unwrap();
    f.reprice().await.unwrap();
    assert_eq!(f.pool().await.realized_budget, 4_000 * UNIT);
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let r = f.queued(&q[0], id).await;
    assert!(r.claimable <= 4_000 * UNIT && r.claimable > 3_999 * UNIT, "{}", r.claimable);
    assert!(f.pool().await.realized_budget < UNIT);
}

#[tokio::test]
async fn cancel_returns_what_is_unprocessed() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    let id = f.request(&alice, &q[1], 21_000 * UNIT).await.unwrap(); // 7 × 3,000
    f.crank(&keeper, &q[1], 256).await.unwrap();
    let before = f.balance(&alice.tranches[1]).await;
    let owner = alice.wallet.pubkey();
    // Someone else cannot cancel it.
    let mallory = f.investor(0, false).await;
    let theft = ix::cancel_redemption(&mallory.wallet.pubkey(), &f.keys, &q[1], &mallory.tranches[1], id);
    f.expect_rejected(&[theft], &[&mallory.wallet], SluiceError::NotRequestOwner, &[]).await;
    // Nor can the owner before the request has waited one batch interval.
    let early = ix::cancel_redemption(&owner, &f.keys, &q[1], &alice.tranches[1], id);
    f.expect_rejected(&[early], &[&alice.wallet], SluiceError::CancelLocked, &[]).await;
    f.chain.advance_clock(DAY).await.unwrap();

    f.chain
        .send(&[ix::cancel_redemption(&owner, &f.keys, &q[1], &alice.tranches[1], id)], &[&alice.wallet])
        .await
        .unwrap();
    assert_eq!(f.balance(&alice.tranches[1]).await - before, 18_000 * UNIT);
    let r = f.queued(&q[1], id).await;
    assert_eq!((r.remaining, r.claimable), (0, 3_000 * UNIT));
    let pool = f.pool().await;
    assert_eq!((pool.tranches[1].queued_tokens, pool.tranches[1].demand_tokens), (0, 0));
    let again = ix::cancel_redemption(&owner, &f.keys, &q[1], &alice.tranches[1], id);
    f.expect_rejected(&[again], &[&alice.wallet], SluiceError::NothingToCancel, &[]).await;
    // What was paid stays claimable.
    f.chain.send(&[ix::claim(&owner, &f.keys, &q[1], id, &alice.base)], &[&alice.wallet]).await.unwrap();
    let again = ix::claim(&owner, &f.keys, &q[1], id, &alice.base);
    f.expect_rejected(&[again], &[&alice.wallet], SluiceError::RequestNotFound, &[]).await;
}

#[tokio::test]
async fn keeper_push_skips_a_bad_recipient_and_pays_the_rest() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let carol = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    for inv in [&bob, &carol] {
        f.deposit(inv, JUNIOR, 1_000 * UNIT).await.unwrap();
    }
    let ids = [
        f.request(&alice, &q[2], 1_000 * UNIT).await.unwrap(),
        f.request(&bob, &q[2], 1_000 * UNIT).await.unwrap(),
        f.request(&carol, &q[2], 1_000 * UNIT).await.unwrap(),
    ];
    f.crank(&keeper, &q[2], 256).await.unwrap();
    // Bob's destination is a closed account (never created); Carol's belongs to someone else.
    let nowhere = Keypair::new().pubkey();
    let pairs = [(ids[0], alice.base), (ids[1], nowhere), (ids[2], bob.base)];
    let (a0, b0, c0) = (f.balance(&alice.base).await, f.balance(&bob.base).await, f.balance(&carol.base).await);
    f.chain
        .send(&[ix::push_claims(&keeper.0.pubkey(), &f.keys, &q[2], &keeper.1, &pairs)], &[&keeper.0])
        .await
        .unwrap();
    assert_eq!(f.balance(&alice.base).await - a0, 1_000 * UNIT);
    assert_eq!((f.balance(&bob.base).await, f.balance(&carol.base).await), (b0, c0));
    assert_eq!(f.queued(&q[2], ids[1]).await.claimable, 1_000 * UNIT);
    assert_eq!(f.queued(&q[2], ids[2]).await.claimable, 1_000 * UNIT);
    // Only bad recipients left: nothing paid, a clear error.
    let pairs = [(ids[1], nowhere)];
    let push = ix::push_claims(&keeper.0.pubkey(), &f.keys, &q[2], &keeper.1, &pairs);
    f.expect_rejected(&[push], &[&keeper.0], SluiceError::NothingToClaim, &[]).await;
    // Bob can still pull his own.
    f.chain.send(&[ix::claim(&bob.wallet.pubkey(), &f.keys, &q[2], ids[1], &bob.base)], &[&bob.wallet]).await.unwrap();
    assert_eq!(f.balance(&bob.base).await - b0, 1_000 * UNIT);
}

#[tokio::test]
async fn the_last_holder_redeems_everything_below_the_minimum() {
    let mut f = Fixture::new(false).await;
    let solo = f.investor(1_000 * UNIT, false).await;
    f.reprice().await.unwrap();
    f.deposit(&solo, JUNIOR, 777_777).await.unwrap(); // 0.78 tokens: below the 1-token minimum
    let q = f.init_redemption().await;
    let keeper = f.keeper().await;
    // A dust request that is not the whole balance is refused …
    let dust = ix::request_redemption(&solo.wallet.pubkey(), &f.keys, &q[2], &solo.tranches[2], 1_000);
    f.expect_rejected(&[dust], &[&solo.wallet], SluiceError::BelowMinimumRequest, &[]).await;
    // … the whole balance is accepted, and paid the whole tranche value.
    let id = f.request(&solo, &q[2], 777_777).await.unwrap();
    let mut params = default_params(false);
    params.redemption.cash_floor_bps = 0;
    f.set_params(params).await;
    let value = f.pool().await.tranches[2].value;
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let r = f.queued(&q[2], id).await;
    assert_eq!((r.remaining, r.claimable), (0, value));
    let pool = f.pool().await;
    assert_eq!((pool.tranches[2].supply, pool.tranches[2].value, pool.nav), (0, 0, 0));
    assert_eq!(value_of(777_777, value, 777_777), value);
}

#[tokio::test]
async fn stages_move_with_hysteresis() {
    let (mut f, alice, q) = pool_with_queues().await;
    let update = ix::update_stage(&f.keys.pool, None);
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    // Queue 12 % of NAV (≥ 10 %): Stress.
    let id = f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);
    // Back below the exit threshold, but before the minimum time: stays. (The request may
    // be cancelled once it has waited one batch interval.)
    f.chain.advance_clock(DAY).await.unwrap();
    f.cancel(&alice, &q[0], id).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.advance_clock(2 * DAY).await.unwrap();
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Normal);
    // Every stage is held for the minimum time, Normal too: a new wave waits it out. (Cash
    // is lent out first: a stress the cash covers never becomes a crisis.)
    f.publish(800).await.unwrap();
    f.lock_cash().await;
    f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.advance_clock(3 * DAY).await.unwrap();
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);
    // Stress that lasts beyond 14 days becomes Crisis.
    f.chain.advance_clock(15 * DAY).await.unwrap();
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Crisis);
}

#[tokio::test]
async fn ten_thousand_requests_clear_within_fifty_transactions() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    // 10,000 one-token junior requests. From one holder they form a large exit, paid in
    // installments; with one installment the whole queue is due in one batch.
    let mut params = default_params(false);
    params.redemption.installments = 1;
    f.set_params(params).await;
    for _ in 0..10_000 {
        f.request(&alice, &q[2], UNIT).await.unwrap();
    }
    let mut txs = 0;
    loop {
        match f.crank(&keeper, &q[2], 256).await {
            Ok(()) => txs += 1,
            Err(e) if e.is(SluiceError::NothingToProcess) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(txs <= 50, "{txs} transactions");
    let pool = f.pool().await;
    assert_eq!((pool.tranches[2].queued_tokens, pool.batch.open), (0, false));
    assert_eq!(pool.claimable, 10_000 * UNIT);
    let _ = client::queue(&mut f.chain, &q[2].queue).await.unwrap();
}

#[tokio::test]
async fn a_crank_that_fills_earns_the_keeper_tip_from_fees() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    // Instant fees fill the pot: 0.5 % of 5,000 = 25.
    f.chain.send(&[instant_with_min(&f, &alice, SENIOR, 5_000 * UNIT, 0)], &[&alice.wallet]).await.unwrap();
    f.request(&alice, &q[0], 2_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    assert_eq!(f.balance(&keeper.1).await, UNIT);
    assert_eq!(f.pool().await.fee_pot, 24 * UNIT);
}

#[tokio::test]
async fn queue_accounts_must_match_their_tranche() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(1_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000 * UNIT, 2_000 * UNIT, 5_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    // Only the junior tranche is set up.
    let junior = sluice_sdk::client::init_redemption(&mut f.chain, &issuer, &f.keys, JUNIOR).await.unwrap();
    // The senior tranche with the junior's (valid) queue: not set up.
    let q = QueueKeys { tranche: SENIOR, ..junior };
    let ix = ix::request_redemption(&alice.wallet.pubkey(), &f.keys, &q, &alice.tranches[0], 1_000 * UNIT);
    f.expect_rejected(&[ix], &[&alice.wallet], SluiceError::RedemptionNotReady, &[alice.tranches[0]]).await;
    // Setting the junior up twice is refused, with a fresh queue account as a client would.
    let before = f.snapshot(&[]).await;
    let again = sluice_sdk::client::init_redemption(&mut f.chain, &issuer, &f.keys, JUNIOR).await;
    assert_sluice_err(again, SluiceError::AlreadySetUp);
    assert_eq!(before, f.snapshot(&[]).await);
    // A stranger cannot set up a tranche.
    let stranger = f.investor(0, false).await;
    let ix = ix::init_redemption(&stranger.wallet.pubkey(), &f.keys, SENIOR, &junior.queue);
    f.expect_rejected(&[ix], &[&stranger.wallet], SluiceError::NotAuthority, &[]).await;
    assert_eq!(f.pool().await.tranches[0].queue, Default::default());
}

#[tokio::test]
async fn cranks_refuse_stale_prices_and_strangers() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.request(&alice, &q[0], 2_000 * UNIT).await.unwrap();
    // Ten minutes on, the NAV is too old to pay at.
    f.chain.advance_clock(601).await.unwrap();
    f.expect_rejected(&[f.crank_ix(&keeper, &q[0], 256)], &[&keeper.0], SluiceError::NavStale, &[]).await;
    f.expect_rejected(&[instant_with_min(&f, &alice, SENIOR, UNIT, 0)], &[&alice.wallet], SluiceError::NavStale, &[])
        .await;
    f.reprice().await.unwrap();
    // A chunk size outside 1..=256 is refused.
    f.expect_rejected(&[f.crank_ix(&keeper, &q[0], 0)], &[&keeper.0], SluiceError::InvalidParams, &[]).await;
    f.expect_rejected(&[f.crank_ix(&keeper, &q[0], 257)], &[&keeper.0], SluiceError::InvalidParams, &[]).await;
    // Only the guardian forces Crisis.
    let ix = ix::force_crisis(&keeper.0.pubkey(), &f.keys.pool);
    f.expect_rejected(&[ix], &[&keeper.0], SluiceError::NotGuardian, &[]).await;
    // Recycling the reserve is for Normal only.
    f.init_reserve(200_000 * UNIT).await;
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    f.expect_rejected(&[ix::recycle_reserve(&f.keys, &q[0])], &[], SluiceError::WrongStage, &[]).await;
}

/// Random requests, cancels, cranks, claims and clock moves by three holders; after every
/// step the queues' own sums must equal what the pool records, and the vault must hold
/// exactly the pool's cash, claims and fees.
#[tokio::test]
async fn random_operations_keep_queue_and_cash_books_consistent() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(2_000_000 * UNIT, false).await;
    let carol = f.investor(2_000_000 * UNIT, false).await;
    f.deposit(&bob, JUNIOR, 500_000 * UNIT).await.unwrap();
    f.deposit(&carol, MEZZANINE, 400_000 * UNIT).await.unwrap();
    f.deposit(&carol, SENIOR, 600_000 * UNIT).await.unwrap();
    f.lock_cash().await;
    let keeper = f.keeper().await;
    let holders = [&alice, &bob, &carol];
    let mut ids: Vec<(usize, u8, u64)> = Vec::new();
    let mut seed = 0x51u64 << 32 | 0xce;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..80 {
        match next(6) {
            0 | 1 => {
                let h = next(3) as usize;
                let t = next(3) as u8;
                let held = f.balance(&holders[h].tranches[t as usize]).await;
                if held >= UNIT {
                    let tokens = UNIT + next(held.min(60_000 * UNIT) - UNIT + 1);
                    ids.push((h, t, f.request(holders[h], &q[t as usize], tokens).await.unwrap()));
                }
            }
            2 if !ids.is_empty() => {
                let (h, t, id) = ids[next(ids.len() as u64) as usize];
                let _ = f.cancel(holders[h], &q[t as usize], id).await;
            }
            3 => {
                for qk in &q {
                    let _ = f.crank(&keeper, qk, 256).await;
                }
            }
            4 if !ids.is_empty() => {
                let (h, t, id) = ids[next(ids.len() as u64) as usize];
                let w = &holders[h].wallet;
                let _ =
                    f.chain.send(&[ix::claim(&w.pubkey(), &f.keys, &q[t as usize], id, &holders[h].base)], &[w]).await;
            }
            _ => {
                f.chain.advance_clock(43_200).await.unwrap();
                f.publish(800).await.unwrap();
                f.reprice().await.unwrap();
                let _ = f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await;
            }
        }
        let pool = f.pool().await;
        let mut claimable = 0;
        for (t, qk) in q.iter().enumerate() {
            let queue = client::queue(&mut f.chain, &qk.queue).await.unwrap();
            let tr = pool.tranches[t];
            assert_eq!(queue.totals(&tr), (tr.queued_tokens, tr.demand_tokens), "tranche {t}");
            claimable += (tr.queue_head..tr.queue_tail)
                .map(|id| queue.requests[(id % sluice::state::QUEUE_CAPACITY as u64) as usize].claimable)
                .sum::<u64>();
            assert_eq!(f.balance(&qk.escrow).await, tr.queued_tokens + tr.reserve_tokens);
        }
        assert_eq!(claimable, pool.claimable);
        let vault = f.keys.vault;
        assert_eq!(f.balance(&vault).await, pool.cash + pool.claimable + pool.fee_pot);
        assert_eq!(pool.tranches.iter().map(|t| t.value).sum::<u64>(), pool.nav);
    }
    // The run exercised the machinery, not just the checks.
    let pool = f.pool().await;
    assert!(ids.len() >= 10 && pool.batch.id >= 3, "{} requests, {} batches", ids.len(), pool.batch.id);
}
