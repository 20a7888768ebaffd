//! Attacks on redemption batches, the keeper tip and the queue, each performed through the
//! public instructions, with the safe outcome asserted: the holes an adversarial review
//! found in the cranks and the redemption logic (issue "Hardening", items 3, 4, 5, 8, 9,
//! 10, 11, 12, 13 and 18).
#![allow(deprecated)]

use sluice::instructions::AddReceivableArgs;
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{Stage, PARK_AFTER_SECS};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix;

use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;

/// Moves `amount` raw tokens between two token accounts, signed by the source's owner.
async fn transfer(f: &mut Fixture, owner: &Keypair, from: &sluice_sdk::Pubkey, to: &sluice_sdk::Pubkey, amount: u64) {
    let program = f.chain.account(from).await.unwrap().expect("token account").owner;
    let ix = ix::token::transfer(&program, from, to, &owner.pubkey(), amount);
    f.chain.send(&[ix], &[owner]).await.unwrap();
}

/// Lends out all cash but `spare` above the 2 % floor, in a receivable due in 20 days.
async fn leave_above_floor(f: &mut Fixture, spare: u64) {
    let pool = f.pool().await;
    let lock = pool.cash - pool.nav / 50 - spare;
    f.add_receivable(lock, lock, 20, 0).await.unwrap();
    f.reprice().await.unwrap();
}

async fn next_day(f: &mut Fixture) {
    f.chain.advance_clock(DAY).await.unwrap();
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();
}

/// Cranks tranche `q` one request per call until nothing is left to do; returns the calls.
async fn crank_singly(f: &mut Fixture, keeper: &(Keypair, sluice_sdk::Pubkey), q: &QueueKeys) -> u32 {
    let mut calls = 0;
    loop {
        match f.crank(keeper, q, 1).await {
            Ok(()) => calls += 1,
            Err(e) if e.is(SluiceError::NothingToProcess) || e.is(SluiceError::BatchNotDue) => return calls,
            Err(e) => panic!("{e:?}"),
        }
    }
}

/// Hole 4: keeper tips could be farmed — a tip per call, with dust requests as "work".
#[tokio::test]
async fn keeper_tips_pay_for_value_processed_not_for_calls() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    // Instant fees fill the pot: 0.5 % of 10,000 = 50.
    f.chain.send(&[instant(&f, &alice, SENIOR, 10_000 * UNIT)], &[&alice.wallet]).await.unwrap();
    f.change_params(|p| p.redemption.keeper_tip = 10 * UNIT).await;
    assert_eq!(f.pool().await.fee_pot, 50 * UNIT);

    // The attacker: five wallets of one raw unit each, each queued as a whole balance, and a
    // crank of one request per call.
    for _ in 0..5 {
        let dust = f.investor(0, false).await;
        transfer(&mut f, &alice.wallet, &alice.tranches[0], &dust.tranches[0], 1).await;
        f.request(&dust, &q[0], 1).await.unwrap();
    }
    let calls = crank_singly(&mut f, &keeper, &q[0]).await;
    assert_eq!(calls, 5);
    assert_eq!(f.balance(&keeper.1).await, 0, "dust is no work: 1 % of 5 raw units rounds to nothing");
    assert_eq!(f.pool().await.fee_pot, 50 * UNIT);
    assert_eq!(f.pool().await.tranches[0].queued_tokens, 0, "and the dust cleared");

    // A real batch of 6,000 over many calls (the paid dust, still unclaimed, is visited too)
    // earns the tip once, not per call.
    next_day(&mut f).await;
    for _ in 0..3 {
        f.request(&alice, &q[0], 2_000 * UNIT).await.unwrap();
    }
    assert_eq!(crank_singly(&mut f, &keeper, &q[0]).await, 8);
    assert_eq!(f.balance(&keeper.1).await, 10 * UNIT);
    assert_eq!(f.pool().await.fee_pot, 40 * UNIT);
}

/// Hole 5: an open batch and an instant exit spent the same subordination headroom.
#[tokio::test]
async fn an_instant_exit_cannot_spend_headroom_an_open_batch_granted() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.change_params(|p| {
        p.redemption.instant_threshold = u64::MAX;
        p.redemption.instant_window_cap_bps = 10_000;
    })
    .await;
    // The mezzanine needs 10 % below it: the junior may shrink by 2,222,222.22 at most.
    f.request(&alice, &q[2], 2_200_000 * UNIT).await.unwrap();
    // The batch opens through the senior queue (no part in it) and grants the junior 2.2M.
    f.crank(&keeper, &q[0], 1).await.unwrap();
    let b = f.pool().await.batch;
    assert!(b.open);
    assert_eq!(b.granted[JUNIOR as usize], 2_200_000 * UNIT);
    // 100,000 more at once would break the mezzanine's subordination once the batch pays.
    let w = alice.wallet.insecure_clone();
    f.expect_rejected(&[instant(&f, &alice, JUNIOR, 100_000 * UNIT)], &[&w], SluiceError::SubordinationBreached, &[])
        .await;
    // What still fits beside the batch is allowed.
    f.chain.send(&[instant(&f, &alice, JUNIOR, 20_000 * UNIT)], &[&w]).await.unwrap();
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let pool = f.pool().await;
    assert!(!pool.batch.open);
    assert_eq!(pool.batch.redeemed[JUNIOR as usize], 2_200_000 * UNIT);
    assert!(pool.tranches[2].value as u128 * 10_000 >= 1_000 * pool.nav as u128, "junior {}", pool.tranches[2].value);
}

/// Hole 18: cash granted to an open batch was not reserved.
#[tokio::test]
async fn cash_an_open_batch_granted_is_reserved() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    leave_above_floor(&mut f, 50_000 * UNIT).await;
    let id = f.request(&alice, &q[0], 40_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[1], 1).await.unwrap(); // opens the batch; the senior part waits
    let pool = f.pool().await;
    assert!(pool.batch.open && pool.batch.granted[0] == 40_000 * UNIT);
    let reserved = pool.batch_reserved_cash();
    assert!(reserved >= 40_000 * UNIT && pool.free_cash() < 11_000 * UNIT, "free {}", pool.free_cash());

    // An instant exit that would dip into the batch's cash is refused …
    let w = alice.wallet.insecure_clone();
    f.expect_rejected(&[instant(&f, &alice, MEZZANINE, 15_000 * UNIT)], &[&w], SluiceError::CashFloorReached, &[])
        .await;
    // … and so is a funding of more than the cash the batch leaves.
    let spendable = pool.cash - reserved;
    let due_ts = f.due_in_days(30).await;
    let issuer = f.issuer.insecure_clone();
    let fund = |funded| {
        let args = AddReceivableArgs { face_value: funded, funded, due_ts, risk_class: 0, document_hash: [7; 32] };
        ix::add_receivable(&issuer.pubkey(), &f.keys, pool.receivable_count, &f.borrower_base, args)
    };
    let (too_much, all_left) = (fund(spendable + 1), fund(spendable));
    f.expect_rejected(&[too_much], &[&issuer], SluiceError::InsufficientCash, &[]).await;
    f.chain.send(&[all_left], &[&issuer]).await.unwrap();

    // The batch still pays in full: nothing could wedge it.
    f.reprice().await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let r = f.queued(&q[0], id).await;
    assert_eq!(r.remaining, 0);
    assert!(r.claimable >= 40_000 * UNIT);
    assert!(!f.pool().await.batch.open);
}

/// Hole 12: a batch paid the price fixed when it opened, even after a write-down.
#[tokio::test]
async fn a_batch_whose_price_fell_lapses_instead_of_paying_it() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    let idx = f.add_receivable(4_000_000 * UNIT, 4_000_000 * UNIT, 200, 0).await.unwrap();
    f.reprice().await.unwrap();
    let id = f.request(&alice, &q[2], 500_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 1).await.unwrap(); // opens; the junior part waits
    assert_eq!(f.pool().await.batch.granted[JUNIOR as usize], 500_000 * UNIT);

    // The servicer writes 3.6M off before the junior part is filled.
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, idx, 400_000 * UNIT)], &[&issuer]).await.unwrap();
    // A fill needs a NAV that is true now …
    let crank = f.crank_ix(&keeper, &q[2], 256);
    f.expect_rejected(&[crank], &[&keeper.0], SluiceError::NavStale, &[]).await;
    // … and at the new NAV the junior is worth nothing: the batch lapses, paying nothing.
    f.reprice().await.unwrap();
    let before = f.pool().await;
    assert_eq!(before.tranches[2].value, 0);
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let after = f.pool().await;
    let r = f.queued(&q[2], id).await;
    assert_eq!((r.remaining, r.claimable), (500_000 * UNIT, 0), "the junior request keeps its tokens");
    assert!(!after.batch.open);
    assert_eq!((after.cash, after.claimable, after.nav), (before.cash, before.claimable, before.nav));
    // The mezzanine bears the rest of the loss; the senior is whole.
    assert_eq!(after.tranches[0].value, after.tranches[0].claim);
    assert!(after.tranches[1].value < after.tranches[1].claim);
    // The next batch plans afresh at the true NAV: nothing is owed to a worthless junior.
    next_day(&mut f).await;
    assert_sluice_err(f.crank(&keeper, &q[2], 256).await, SluiceError::NothingToProcess);
}

/// Hole 13: inflating demand and cancelling after the batch opened left the grant unspent.
#[tokio::test]
async fn a_cancel_during_a_batch_leaves_its_share_to_the_others() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    f.deposit(&bob, SENIOR, 20_000 * UNIT).await.unwrap();
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    leave_above_floor(&mut f, 10_000 * UNIT).await;
    let victim = f.request(&bob, &q[0], 9_000 * UNIT).await.unwrap();
    let inflated = f.request(&alice, &q[0], 900_000 * UNIT).await.unwrap();
    // Cancels wait one batch interval; then the batch opens with demand of 909,000.
    next_day(&mut f).await;
    f.crank(&keeper, &q[1], 1).await.unwrap();
    let b = f.pool().await.batch;
    assert!(b.open && b.demand[0] == 909_000 * UNIT && b.granted[0] < 11_000 * UNIT, "{b:?}");
    f.cancel(&alice, &q[0], inflated).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let r = f.queued(&q[0], victim).await;
    assert_eq!(r.remaining, 0, "the victim is paid its whole 9,000, not 1 % of it");
    assert_eq!(f.pool().await.tranches[0].queued_tokens, 0);
}

/// Hole 8: splitting a request bypassed installments.
#[tokio::test]
async fn installments_hold_per_holder_not_per_request() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    f.deposit(&bob, SENIOR, 70_000 * UNIT).await.unwrap();
    // Alice splits 70,000 into seven requests of 10,000; Bob asks for 70,000 at once.
    let split: Vec<u64> = {
        let mut ids = Vec::new();
        for _ in 0..7 {
            ids.push(f.request(&alice, &q[0], 10_000 * UNIT).await.unwrap());
        }
        ids
    };
    let single = f.request(&bob, &q[0], 70_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let mut alice_paid = 0;
    for id in &split {
        alice_paid += 10_000 * UNIT - f.queued(&q[0], *id).await.remaining;
    }
    let bob_paid = 70_000 * UNIT - f.queued(&q[0], single).await.remaining;
    assert_eq!(bob_paid, 10_000 * UNIT);
    assert!(alice_paid.abs_diff(bob_paid) <= 7, "split {alice_paid} vs single {bob_paid}");
}

/// Holes 10 and 9: a junior with value but no tokens aborted batches with an arithmetic
/// underflow, and its first depositor took that value for nothing.
#[tokio::test]
async fn an_empty_junior_that_holds_value_neither_aborts_batches_nor_is_given_away() {
    let (mut f, alice, q) = pool_without_subordination().await;
    let keeper = f.keeper().await;
    f.init_reserve(150_000 * UNIT).await;
    f.change_params(|p| {
        p.redemption.instant_threshold = u64::MAX;
        p.redemption.instant_window_cap_bps = 10_000;
    })
    .await;
    // The junior leaves entirely; then funding a receivable below its DCF value lifts NAV,
    // and the residual lands on a junior with no tokens.
    f.chain.send(&[instant(&f, &alice, JUNIOR, 3_000_000 * UNIT)], &[&alice.wallet]).await.unwrap();
    f.add_receivable(1_100_000 * UNIT, 1_000_000 * UNIT, 20, 0).await.unwrap();
    f.reprice().await.unwrap();
    let junior = f.pool().await.tranches[2];
    assert_eq!(junior.supply, 0);
    assert!(junior.value > 50_000 * UNIT, "residual {}", junior.value);

    // In Crisis the reserve plans its purchases over every tranche, the empty junior too.
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    f.request(&alice, &q[0], 100_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let pool = f.pool().await;
    assert!(pool.tranches[0].reserve_tokens > 0, "the reserve bought senior tokens");
    assert_eq!(pool.stage, Stage::Crisis);

    // A depositor buys into the empty junior at par and gets exactly what it paid for: the
    // residual belongs to the reserve, which is paid first.
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let (residual, reserve_before) = (junior.value, pool.reserve_balance);
    f.deposit(&bob, JUNIOR, 40_000 * UNIT).await.unwrap();
    let pool = f.pool().await;
    let t = pool.tranches[2];
    assert_eq!(f.balance(&bob.tranches[2]).await, 40_000 * UNIT);
    assert_eq!((t.supply, t.value, t.price_e12), (residual, residual, 1_000_000_000_000));
    assert_eq!(t.reserve_tokens, residual - 40_000 * UNIT);
    assert_eq!(pool.reserve_balance, reserve_before + 40_000 * UNIT);
}

/// Hole 11 (proved fixed): a fully paid request its owner never claims (and no push can
/// pay) held the front of the queue, so the queue filled behind it.
#[tokio::test]
async fn an_unclaimed_request_is_parked_and_the_queue_moves_on() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    f.deposit(&bob, JUNIOR, 1_000 * UNIT).await.unwrap();
    let id = f.request(&alice, &q[2], 1_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[2], 256).await.unwrap();
    f.request(&bob, &q[2], 1_000 * UNIT).await.unwrap();
    let owed = f.queued(&q[2], id).await.claimable;
    assert_eq!(owed, 1_000 * UNIT);
    assert_eq!(f.pool().await.tranches[2].queue_head, id);

    // Not before 30 days; and only the front request, fully redeemed.
    let park = ix::park_claim(&keeper.0.pubkey(), &f.keys, &q[2], id);
    f.expect_rejected(std::slice::from_ref(&park), &[&keeper.0], SluiceError::NothingToProcess, &[]).await;
    f.chain.advance_clock(PARK_AFTER_SECS).await.unwrap();
    let not_front = ix::park_claim(&keeper.0.pubkey(), &f.keys, &q[2], id + 1);
    f.expect_rejected(&[not_front], &[&keeper.0], SluiceError::RequestNotFound, &[]).await;
    f.chain.send(&[park], &[&keeper.0]).await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.tranches[2].queue_head, id + 1, "the queue moved on");
    assert_eq!(pool.claimable, owed, "still owed, still in the vault");

    // Only the owner takes it, to any account it names; the rent returns to the keeper.
    let parked = sluice_sdk::pda::parked(&f.keys.pool, JUNIOR, id);
    let steal = ix::claim_parked(&bob.wallet.pubkey(), &f.keys, JUNIOR, id, &keeper.0.pubkey(), &bob.base);
    f.expect_rejected(&[steal], &[&bob.wallet], SluiceError::NotRequestOwner, &[parked]).await;
    let (base, lamports) = (f.balance(&alice.base).await, f.chain.account(&keeper.0.pubkey()).await.unwrap().unwrap());
    let take = ix::claim_parked(&alice.wallet.pubkey(), &f.keys, JUNIOR, id, &keeper.0.pubkey(), &alice.base);
    f.chain.send(&[take], &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, owed);
    assert_eq!(f.pool().await.claimable, 0);
    assert!(f.chain.account(&parked).await.unwrap().is_none());
    assert!(f.chain.account(&keeper.0.pubkey()).await.unwrap().unwrap().lamports > lamports.lamports);
}

/// Hole 11 (proved fixed): one-raw-unit requests rounded to nothing in every scarce batch
/// and never cleared. Dust is paid whole while the grant lasts.
#[tokio::test]
async fn dust_requests_clear_in_a_scarce_batch() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    leave_above_floor(&mut f, 5_000 * UNIT).await;
    let mut dust = Vec::new();
    for _ in 0..4 {
        let d = f.investor(0, false).await;
        transfer(&mut f, &alice.wallet, &alice.tranches[0], &d.tranches[0], 1).await;
        dust.push(f.request(&d, &q[0], 1).await.unwrap());
    }
    let big = f.request(&alice, &q[0], 500_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    for id in dust {
        let r = f.queued(&q[0], id).await;
        assert_eq!((r.remaining, r.claimable), (0, 1), "dust request {id}");
    }
    // The large request takes the rest of the budget.
    let r = f.queued(&q[0], big).await;
    assert!(r.remaining < 500_000 * UNIT && r.claimable > 4_000 * UNIT);
}

/// Hole 3: a request cancelled in the same transaction counted toward the stage metrics.
#[tokio::test]
async fn a_request_cannot_be_withdrawn_in_the_transaction_that_signals_stress() {
    let (mut f, alice, q) = pool_with_queues().await;
    let id = f.pool().await.tranches[0].queue_tail;
    let w = alice.wallet.pubkey();
    let ixs = [
        ix::request_redemption(&w, &f.keys, &q[0], &alice.tranches[0], 1_200_000 * UNIT),
        ix::update_stage(&f.keys.pool, None),
        ix::cancel_redemption(&w, &f.keys, &q[0], &alice.tranches[0], id),
    ];
    f.expect_rejected(&ixs, &[&alice.wallet], SluiceError::CancelLocked, &[]).await;
    assert_eq!(f.pool().await.stage, Stage::Normal);
}
