//! The buy-back reserve: funding and its withdrawal rule, buying queued tokens in Stress
//! when the vault cannot pay, fee income, recycling when cash returns, and Crisis once spent.
#![allow(deprecated)]

use sluice::instructions::RedeemInstantArgs;
use sluice::math::allocation::value_of;
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::Stage;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix;
use sluice_tests::*;
use solana_signer::Signer;

/// Junior 3M, mezzanine 2M, senior 5M; queues and a reserve funded with `reserve`.
async fn pool_with_reserve(reserve: u64) -> (Fixture, Investor, Vec<QueueKeys>) {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let queues = f.init_redemption().await;
    f.init_reserve(reserve).await;
    (f, alice, queues)
}

#[tokio::test]
async fn the_issuer_withdraws_only_above_target_and_only_in_normal() {
    let (mut f, _, _) = pool_with_reserve(200_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    assert_eq!(f.balance(&f.reserve.unwrap()).await, 200_000 * UNIT);
    // Target: 1.5 % of 10M = 150,000. 50,000 may go, not a unit more.
    let too_much = ix::withdraw_reserve(&issuer.pubkey(), &f.keys, &f.issuer_base, 50_000 * UNIT + 1);
    f.expect_rejected(&[too_much], &[&issuer], SluiceError::ReserveBelowTarget, &[f.issuer_base]).await;
    let stranger = f.investor(0, false).await;
    let theft = ix::withdraw_reserve(&stranger.wallet.pubkey(), &f.keys, &stranger.base, UNIT);
    f.expect_rejected(&[theft], &[&stranger.wallet], SluiceError::NotAuthority, &[stranger.base]).await;
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let in_crisis = ix::withdraw_reserve(&issuer.pubkey(), &f.keys, &f.issuer_base, UNIT);
    f.expect_rejected(&[in_crisis], &[&issuer], SluiceError::WrongStage, &[f.issuer_base]).await;

    let (mut f, _, _) = pool_with_reserve(200_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    let ok = ix::withdraw_reserve(&issuer.pubkey(), &f.keys, &f.issuer_base, 50_000 * UNIT);
    f.chain.send(&[ok], &[&issuer]).await.unwrap();
    assert_eq!(f.pool().await.reserve_balance, 150_000 * UNIT);
}

#[tokio::test]
async fn instant_fees_feed_the_reserve() {
    let (mut f, alice, _) = pool_with_reserve(0).await;
    let ix = ix::redeem_instant(
        &alice.wallet.pubkey(),
        &f.keys,
        &alice.tranches[0],
        &alice.base,
        f.reserve,
        RedeemInstantArgs { tranche: SENIOR, tokens: 8_000 * UNIT, min_out: 0 },
    );
    f.chain.send(&[ix], &[&alice.wallet]).await.unwrap();
    // 0.5 % fee = 40; half to the reserve, half to the keepers' pot.
    let pool = f.pool().await;
    assert_eq!((pool.reserve_balance, pool.fee_pot), (20 * UNIT, 20 * UNIT));
    assert_eq!(f.balance(&f.reserve.unwrap()).await, 20 * UNIT);
    // Once the reserve exists, an instant redemption must bring it.
    let without = ix::redeem_instant(
        &alice.wallet.pubkey(),
        &f.keys,
        &alice.tranches[0],
        &alice.base,
        None,
        RedeemInstantArgs { tranche: SENIOR, tokens: UNIT, min_out: 0 },
    );
    f.expect_rejected(&[without], &[&alice.wallet], SluiceError::WrongAccount, &[]).await;
}

#[tokio::test]
async fn in_stress_the_reserve_buys_what_the_vault_cannot_pay_then_recycles() {
    let (mut f, alice, q) = pool_with_reserve(150_000 * UNIT).await;
    let keeper = f.keeper().await;
    // Lock nearly all cash in a receivable: only the 2 % floor is left.
    let (idx, lock) = f.lock_cash().await;
    // A senior wave of 1.2M (12 % of NAV) pushes the pool into Stress.
    let id = f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);

    let before = f.pool().await;
    let t = before.tranches[0];
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let after = f.pool().await;
    let r = f.queued(&q[0], id).await;
    // The vault paid the little it had above the floor; the reserve bought far more, with
    // at most a quarter of itself, at a 2 % discount.
    let b = after.batch;
    let bought = after.tranches[0].reserve_tokens;
    let spent = before.reserve_balance - after.reserve_balance;
    assert!(b.redeemed[0] < bought / 10, "vault {} vs reserve {bought}", b.redeemed[0]);
    assert!(bought > 0 && spent <= 150_000 * UNIT / 4 && spent > 150_000 * UNIT / 4 - UNIT);
    // Both grants are spent: the batch's remaining grants are down to nothing.
    assert_eq!((b.granted[0], b.reserve_granted[0], b.reserve_paid[0]), (0, 0, spent));
    assert_eq!(r.claimable, b.paid[0] + spent);
    assert_eq!(spent, value_of(bought, t.value, t.supply) * 98 / 100);
    // Only the vault's share is redeemed; the reserve's tokens stay outstanding in escrow.
    assert_eq!(after.tranches[0].supply, before.tranches[0].supply - b.redeemed[0]);
    assert_eq!(after.nav, before.nav - b.paid[0]);
    assert_eq!(f.balance(&q[0].escrow).await, 1_200_000 * UNIT - b.redeemed[0]);

    // Cash returns (the receivable repays) and the wave is cancelled: back to Normal.
    f.repay(idx, lock).await.unwrap();
    f.chain.advance_clock(3 * SECONDS_PER_DAY).await.unwrap();
    f.cancel(&alice, &q[0], id).await.unwrap();
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Normal);
    // The pool redeems the reserve's tokens at NAV: the reserve earns the discount back.
    let t = f.pool().await.tranches[0];
    f.chain.send(&[ix::recycle_reserve(&f.keys, &q[0])], &[]).await.unwrap();
    let done = f.pool().await;
    assert_eq!(done.tranches[0].reserve_tokens, 0);
    assert_eq!(done.reserve_balance, after.reserve_balance + value_of(bought, t.value, t.supply));
    assert!(done.reserve_balance > before.reserve_balance, "the round trip earned the discount");
    assert_eq!(f.balance(&f.reserve.unwrap()).await, done.reserve_balance);
    f.expect_rejected(&[ix::recycle_reserve(&f.keys, &q[0])], &[], SluiceError::NothingToProcess, &[]).await;
}

#[tokio::test]
async fn a_spent_reserve_tips_stress_into_crisis() {
    let (mut f, alice, q) = pool_with_reserve(150_000 * UNIT).await;
    let keeper = f.keeper().await;
    f.lock_cash().await;
    // Let one batch spend the whole reserve.
    let mut params = default_params(false);
    params.redemption.reserve_batch_share_bps = 10_000;
    f.set_params(params).await;
    f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    let update = ix::update_stage(&f.keys.pool, None);
    f.chain.send(std::slice::from_ref(&update), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);
    // Funded reserve: Stress holds.
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let pool = f.pool().await;
    assert!(pool.reserve_balance < pool.reserve_target() / 100, "reserve left {}", pool.reserve_balance);
    // Spent while requests still wait: Crisis once the minimum stay is over, without
    // waiting out the 14 days.
    f.expect_rejected(std::slice::from_ref(&update), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.advance_clock(3 * SECONDS_PER_DAY).await.unwrap();
    f.chain.send(&[update], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Crisis);
}

#[tokio::test]
async fn new_depositors_buy_the_reserves_tokens_first() {
    let (mut f, alice, q) = pool_with_reserve(150_000 * UNIT).await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    f.lock_cash().await;
    f.request(&alice, &q[0], 1_200_000 * UNIT).await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let before = f.pool().await;
    let held = before.tranches[0].reserve_tokens;
    assert!(held > 20_000 * UNIT);
    let supply = sluice_sdk::client::mint_supply(&mut f.chain, &f.keys.tranche_mint(0)).await.unwrap();

    // Bob's 10,000 buys reserve tokens at NAV: nothing is minted, NAV does not move, and the
    // reserve is paid.
    f.deposit(&bob, SENIOR, 10_000 * UNIT).await.unwrap();
    let after = f.pool().await;
    let bought = f.balance(&bob.tranches[0]).await;
    let t = before.tranches[0];
    assert_eq!(bought, sluice::math::tokens::tokens_for_deposit(10_000 * UNIT, t.value, t.supply).unwrap());
    assert_eq!(after.tranches[0].reserve_tokens, held - bought);
    assert_eq!(after.reserve_balance, before.reserve_balance + 10_000 * UNIT);
    assert_eq!((after.nav, after.cash), (before.nav, before.cash));
    assert_eq!(sluice_sdk::client::mint_supply(&mut f.chain, &f.keys.tranche_mint(0)).await.unwrap(), supply);
    assert_eq!(f.balance(&f.reserve.unwrap()).await, after.reserve_balance);

    // Without the escrow and reserve accounts, the sale cannot happen: refused.
    let ix = ix::deposit(
        &bob.wallet.pubkey(),
        &f.keys,
        &bob.base,
        &bob.tranches[0],
        None,
        None,
        sluice::instructions::DepositArgs { tranche: SENIOR, amount: 1_000 * UNIT, min_tokens_out: 0 },
    );
    f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::WrongAccount, &[]).await;
}
