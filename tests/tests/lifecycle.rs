//! The pool's life on a real bank: deposits, fundings, repricing with coupon accrual,
//! repayments, a default that the waterfall charges to junior, schedule write-downs.
#![allow(deprecated)]

use sluice::math::time::SECONDS_PER_DAY;
use sluice::math::tokens::tokens_for_deposit;
use sluice::state::ReceivableStatus;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::{client, ix, preview};
use sluice_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn deposits_mint_at_par_then_at_nav() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(10_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;

    let pool = f.pool().await;
    assert_eq!(pool.cash, 1_000_000 * UNIT);
    assert_eq!(pool.nav, 1_000_000 * UNIT);
    assert_eq!(f.balance(&f.keys.vault.clone()).await, 1_000_000 * UNIT);
    assert_eq!(f.balance(&alice.base.clone()).await, 9_000_000 * UNIT);
    // Empty tranches mint 1:1.
    assert_eq!(f.balance(&alice.tranches[0].clone()).await, 500_000 * UNIT);
    assert_eq!(f.balance(&alice.tranches[2].clone()).await, 300_000 * UNIT);
    for (t, want) in pool.tranches.iter().zip([500_000, 200_000, 300_000]) {
        assert_eq!((t.value, t.claim, t.supply), (want * UNIT, want * UNIT, want * UNIT));
    }

    // A year on at 8 %, the senior claim has accrued; the junior takes what is left.
    f.chain.advance_clock(365 * SECONDS_PER_DAY).await.unwrap();
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.tranches[0].claim, 540_000 * UNIT);
    assert_eq!(pool.tranches[1].claim, 224_000 * UNIT);
    assert_eq!(pool.tranches[2].value, 1_000_000 * UNIT - 540_000 * UNIT - 224_000 * UNIT);

    // The next junior deposit mints at the lower junior price, floored.
    let junior = pool.tranches[2];
    let expected = tokens_for_deposit(10_000 * UNIT, junior.value, junior.supply).unwrap();
    assert_eq!(preview::deposit_tokens(&pool, JUNIOR, 10_000 * UNIT), Some(expected));
    let before = f.balance(&alice.tranches[2].clone()).await;
    f.deposit(&alice, JUNIOR, 10_000 * UNIT).await.unwrap();
    assert_eq!(f.balance(&alice.tranches[2].clone()).await - before, expected);
    assert!(expected > 10_000 * UNIT, "junior price fell below par, so more tokens per unit");
}

#[tokio::test]
async fn reprice_matches_the_sdk_preview_and_tracks_the_book() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(10_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;

    for i in 0..24u64 {
        let face = (10_000 + 1_000 * i) * UNIT;
        f.add_receivable(face, face * 97 / 100, 20 + 40 * i as i64, (i % 4) as u8).await.unwrap();
    }
    let pool = f.pool().await;
    assert!(pool.nav_dirty, "funding must invalidate the NAV");
    let funded: u64 = (0..24u64).map(|i| (10_000 + 1_000 * i) * UNIT * 97 / 100).sum();
    assert_eq!(pool.cash, 1_000_000 * UNIT - funded);
    assert_eq!(f.balance(&f.borrower_base.clone()).await, funded);
    let book = f.book().await;
    assert_eq!(book.performing_count, 24);
    assert_eq!(book.performing_outstanding, (0..24u64).map(|i| (10_000 + 1_000 * i) * UNIT).sum::<u64>());

    let now = f.now().await;
    let oracle = f.oracle().await;
    let want = preview::nav(&pool, &book, &oracle, now).unwrap();
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert!(!pool.nav_dirty);
    assert_eq!(pool.nav, want.nav);
    assert_eq!(pool.nav_time, now);
    assert_eq!(pool.tranches.map(|t| t.value), want.tranche_values);
    // Discounting: the book is worth less than its face, but not wildly so.
    assert!(want.book_value < book.performing_outstanding);
    assert!(want.book_value > book.performing_outstanding / 10 * 8);
    assert_eq!(pool.tranches.iter().map(|t| t.value).sum::<u64>(), pool.nav);
}

#[tokio::test]
async fn repayment_closes_the_receivable_and_moves_value_into_cash() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(10_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;
    let idx = f.add_receivable(100_000 * UNIT, 95_000 * UNIT, 60, 1).await.unwrap();
    f.add_receivable(50_000 * UNIT, 48_000 * UNIT, 90, 2).await.unwrap();

    f.repay(idx, 40_000 * UNIT).await.unwrap();
    let r = f.receivable(idx).await;
    assert_eq!((r.outstanding, r.status), (60_000 * UNIT, ReceivableStatus::Performing));
    assert_eq!(f.book().await.performing_outstanding, 110_000 * UNIT);

    f.repay(idx, 60_000 * UNIT).await.unwrap();
    let r = f.receivable(idx).await;
    assert_eq!((r.outstanding, r.status), (0, ReceivableStatus::Repaid));
    let book = f.book().await;
    assert_eq!((book.performing_outstanding, book.performing_count), (50_000 * UNIT, 1));
    let pool = f.pool().await;
    assert_eq!(pool.cash, 1_000_000 * UNIT - 143_000 * UNIT + 100_000 * UNIT);
    assert_eq!(f.balance(&f.keys.vault.clone()).await, pool.cash);

    // A repaid receivable takes no more.
    let ix = ix::record_repayment(&f.issuer.pubkey(), &f.keys, idx, &f.issuer_base, 1);
    let issuer = f.issuer.insecure_clone();
    f.expect_rejected(&[ix], &[&issuer], SluiceError::ReceivableClosed, &[]).await;
}

#[tokio::test]
async fn a_default_lands_on_junior_first() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(10_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;
    let idx = f.add_receivable(400_000 * UNIT, 400_000 * UNIT, 120, 3).await.unwrap();
    f.reprice().await.unwrap();
    let before = f.pool().await;

    // Servicer marks a default with 10 % expected recovery.
    let ix = ix::write_down(&f.issuer.pubkey(), &f.keys, idx, 40_000 * UNIT);
    f.chain.send(&[ix], &[&f.issuer.insecure_clone()]).await.unwrap();
    let r = f.receivable(idx).await;
    assert_eq!((r.status, r.carried_value, r.haircut_bps), (ReceivableStatus::WrittenDown, 40_000 * UNIT, 9_000));
    let book = f.book().await;
    assert_eq!((book.performing_count, book.impaired_value), (0, 40_000 * UNIT));

    f.reprice().await.unwrap();
    let after = f.pool().await;
    let loss = before.nav - after.nav;
    assert!(loss > 300_000 * UNIT, "loss {loss}");
    // Senior is untouched; mezzanine absorbs what junior could not.
    assert_eq!(after.tranches[0].value, after.tranches[0].claim);
    assert_eq!(after.tranches[2].value, 0);
    assert_eq!(after.tranches[1].value, after.nav - after.tranches[0].value);
    assert!(after.tranches[1].value < after.tranches[1].claim);

    // A junior deposit now would mint against a worthless tranche: refused.
    f.expect_rejected(&[f.deposit_ix(&alice, JUNIOR, UNIT, 0)], &[&alice.wallet], SluiceError::TrancheImpaired, &[])
        .await;

    // Recovery cash comes in: the carried value is released, never double counted.
    f.repay(idx, 25_000 * UNIT).await.unwrap();
    let r = f.receivable(idx).await;
    assert_eq!((r.outstanding, r.carried_value), (375_000 * UNIT, 15_000 * UNIT));
    assert_eq!(f.book().await.impaired_value, 15_000 * UNIT);
}

#[tokio::test]
async fn overdue_receivables_follow_the_schedule() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(10_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;
    let idx = f.add_receivable(80_000 * UNIT, 78_000 * UNIT, 10, 0).await.unwrap();
    let ix = ix::write_down_overdue(&f.keys, idx);

    // Not yet due: nothing to write down.
    f.chain.advance_clock(5 * SECONDS_PER_DAY).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&ix), &[], SluiceError::NothingToWriteDown, &[]).await;

    // 10 days past due: the haircut accrues daily toward 25 % at 30 days (⌈2,500·10/30⌉ bps).
    f.chain.advance_clock(15 * SECONDS_PER_DAY).await.unwrap();
    f.chain.send(std::slice::from_ref(&ix), &[]).await.unwrap();
    let r = f.receivable(idx).await;
    assert_eq!((r.status, r.carried_value), (ReceivableStatus::WrittenDown, 80_000 * UNIT / 10_000 * (10_000 - 834)));
    // Repeating on the same day does nothing.
    f.expect_rejected(std::slice::from_ref(&ix), &[], SluiceError::NothingToWriteDown, &[]).await;

    // 31 days past due: 25 % and a day more (2,584 bps), by anyone.
    f.chain.advance_clock(21 * SECONDS_PER_DAY).await.unwrap();
    f.chain.send(std::slice::from_ref(&ix), &[]).await.unwrap();
    assert_eq!(f.receivable(idx).await.carried_value, 80_000 * UNIT / 10_000 * (10_000 - 2_584));

    // 91 days: fully written off, and the NAV no longer counts it.
    f.chain.advance_clock(60 * SECONDS_PER_DAY).await.unwrap();
    f.chain.send(&[ix], &[]).await.unwrap();
    assert_eq!(f.receivable(idx).await.carried_value, 0);
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.nav, pool.cash);
}

#[tokio::test]
async fn authority_moves_in_two_steps_and_pause_stops_deposits() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(1_000_000 * UNIT, true).await;
    let successor = solana_keypair::Keypair::new();
    f.chain.airdrop(&successor.pubkey(), 1_000_000_000).await.unwrap();
    let issuer = f.issuer.insecure_clone();

    f.chain
        .send(&[ix::propose_authority(&issuer.pubkey(), &f.keys.pool, &successor.pubkey())], &[&issuer])
        .await
        .unwrap();
    assert_eq!(f.pool().await.authority, issuer.pubkey());
    f.chain.send(&[ix::accept_authority(&successor.pubkey(), &f.keys.pool)], &[&successor]).await.unwrap();
    let pool = f.pool().await;
    assert_eq!((pool.authority, pool.pending_authority), (successor.pubkey(), Default::default()));
    // The old authority is now just another signer.
    let ix = ix::update_params(&issuer.pubkey(), &f.keys.pool, default_params(false));
    f.expect_rejected(&[ix], &[&issuer], SluiceError::NotAuthority, &[]).await;

    let guardian = f.guardian.insecure_clone();
    f.chain.send(&[ix::pause(&guardian.pubkey(), &f.keys.pool)], &[&guardian]).await.unwrap();
    f.reprice().await.unwrap();
    f.expect_rejected(&[f.deposit_ix(&alice, JUNIOR, UNIT, 0)], &[&alice.wallet], SluiceError::PoolPaused, &[]).await;
    f.chain.send(&[ix::unpause(&guardian.pubkey(), &f.keys.pool)], &[&guardian]).await.unwrap();
    f.deposit(&alice, JUNIOR, UNIT).await.unwrap();
    assert_eq!(client::mint_supply(&mut f.chain, &f.keys.tranche_mint(JUNIOR)).await.unwrap(), UNIT);
}
