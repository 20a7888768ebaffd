//! Every guard: a clear, named error, and the pool's accounts unchanged afterwards.
#![allow(deprecated)]

use sluice::instructions::*;
use sluice::math::time::BUCKET_SECONDS;
use sluice::math::time::{NUM_BUCKETS, SECONDS_PER_DAY};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::{ix, pda};
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A pool with deposits in every tranche and one receivable.
async fn funded() -> (Fixture, Investor) {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(10_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 500_000 * UNIT).await;
    f.add_receivable(100_000 * UNIT, 95_000 * UNIT, 45, 1).await.unwrap();
    f.reprice().await.unwrap();
    (f, alice)
}

#[tokio::test]
async fn oracle_guards() {
    let mut f = Fixture::new(false).await;
    let publisher = f.publisher.insecure_clone();
    let stranger = Keypair::new();
    f.chain.airdrop(&stranger.pubkey(), 1_000_000_000).await.unwrap();

    let ix = ix::publish_rates(&stranger.pubkey(), &f.keys, rates(9, 800));
    f.expect_rejected(&[ix], &[&stranger], SluiceError::NotPublisher, &[]).await;
    // Same sequence again, and an older one.
    for seq in [f.sequence, f.sequence - 1] {
        let ix = ix::publish_rates(&publisher.pubkey(), &f.keys, rates(seq, 800));
        f.expect_rejected(&[ix], &[&publisher], SluiceError::StaleSequence, &[]).await;
    }
    // Bound is 500 bps per update.
    let ix = ix::publish_rates(&publisher.pubkey(), &f.keys, rates(f.sequence + 1, 1_301));
    f.expect_rejected(&[ix], &[&publisher], SluiceError::RateMoveTooLarge, &[]).await;
    let mut too_risky = rates(f.sequence + 1, 800);
    too_risky.classes[3].default_probability_bps = 1_500 + 501;
    let ix = ix::publish_rates(&publisher.pubkey(), &f.keys, too_risky);
    f.expect_rejected(&[ix], &[&publisher], SluiceError::RateMoveTooLarge, &[]).await;
    let mut out_of_range = rates(f.sequence + 1, 800);
    out_of_range.classes[0].recovery_bps = 10_001;
    let ix = ix::publish_rates(&publisher.pubkey(), &f.keys, out_of_range);
    f.expect_rejected(&[ix], &[&publisher], SluiceError::RateOutOfRange, &[]).await;
    // Exactly at the bound is fine.
    f.publish(1_300).await.unwrap();
    assert_eq!(f.oracle().await.market_rate_bps, 1_300);

    // Reprice refuses rates older than an hour.
    f.chain.advance_clock(3_601).await.unwrap();
    f.expect_rejected(&[ix::reprice(&f.keys)], &[], SluiceError::OracleStale, &[]).await;
    f.publish(1_300).await.unwrap();
    f.reprice().await.unwrap();
}

#[tokio::test]
async fn reprice_needs_a_published_oracle() {
    // A pool whose publisher never published.
    let mut f = Fixture::new(false).await;
    let keys = f.another_pool(2).await;
    assert_sluice_err(f.chain.send(&[ix::reprice(&keys)], &[]).await, SluiceError::OracleNotPublished);
}

#[tokio::test]
async fn deposit_guards() {
    let (mut f, alice) = funded().await;
    let w = alice.wallet.insecure_clone();
    let d = |f: &Fixture, t: u8, amount: u64, min: u64| f.deposit_ix(&alice, t, amount, min);

    f.expect_rejected(&[d(&f, JUNIOR, 0, 0)], &[&w], SluiceError::ZeroAmount, &[]).await;
    // Tranche 3 does not exist; pass tranche 2's (real) mint so only the index is wrong.
    let mut unknown = ix::deposit(
        &w.pubkey(),
        &f.keys,
        &alice.base,
        &alice.tranches[2],
        Some(pda::member(&f.keys.pool, &w.pubkey())),
        None,
        DepositArgs { tranche: 3, amount: UNIT, min_tokens_out: 0 },
    );
    unknown.accounts[4].pubkey = f.keys.tranche_mint(2);
    f.expect_rejected(&[unknown], &[&w], SluiceError::UnknownTranche, &[]).await;
    // Asking for more tokens than the price gives.
    let junior = f.pool().await.tranches[2];
    let fair = sluice::math::tokens::tokens_for_deposit(1_000 * UNIT, junior.value, junior.supply).unwrap();
    f.expect_rejected(&[d(&f, JUNIOR, 1_000 * UNIT, fair + 1)], &[&w], SluiceError::SlippageExceeded, &[]).await;
    // Senior needs 20 % of NAV below it: 500k below of 1M+; 2M more senior breaks it.
    f.expect_rejected(&[d(&f, SENIOR, 2_000_000 * UNIT, 0)], &[&w], SluiceError::SubordinationBreached, &[]).await;
    // Cap.
    let mut params = default_params(true);
    params.pool_cap = f.pool().await.nav + 10 * UNIT;
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::update_params(&issuer.pubkey(), &f.keys.pool, params)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    f.expect_rejected(&[d(&f, JUNIOR, 11 * UNIT, 0)], &[&w], SluiceError::PoolCapExceeded, &[]).await;
    f.expect_rejected(&[d(&f, JUNIOR, u64::MAX, 0)], &[&w], SluiceError::MathOverflow, &[]).await;
    f.deposit(&alice, JUNIOR, 10 * UNIT).await.unwrap();

    // Stale NAV: dirty after a funding, and old after ten minutes.
    f.chain.send(&[ix::update_params(&issuer.pubkey(), &f.keys.pool, default_params(true))], &[&issuer]).await.unwrap();
    f.expect_rejected(&[d(&f, JUNIOR, UNIT, 0)], &[&w], SluiceError::NavStale, &[]).await;
    f.reprice().await.unwrap();
    f.chain.advance_clock(601).await.unwrap();
    f.expect_rejected(&[d(&f, JUNIOR, UNIT, 0)], &[&w], SluiceError::NavStale, &[]).await;
    f.reprice().await.unwrap();
    f.deposit(&alice, JUNIOR, UNIT).await.unwrap();
}

#[tokio::test]
async fn seniors_wait_for_the_junior() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(1_000_000 * UNIT, false).await;
    f.reprice().await.unwrap();
    // Nothing subordinated yet and no junior tokens: neither senior nor mezzanine may start.
    for t in [SENIOR, MEZZANINE] {
        f.expect_rejected(
            &[f.deposit_ix(&alice, t, 1_000 * UNIT, 0)],
            &[&alice.wallet],
            SluiceError::JuniorNotFunded,
            &[],
        )
        .await;
    }
    f.deposit(&alice, JUNIOR, 1_000 * UNIT).await.unwrap();
    f.deposit(&alice, MEZZANINE, 1_000 * UNIT).await.unwrap();
}

#[tokio::test]
async fn deposit_membership_guards() {
    let (mut f, _) = funded().await;
    let bob = f.investor(1_000 * UNIT, false).await;
    let w = bob.wallet.insecure_clone();
    // No member account at all.
    let no_member = ix::deposit(
        &w.pubkey(),
        &f.keys,
        &bob.base,
        &bob.tranches[2],
        None,
        None,
        DepositArgs { tranche: JUNIOR, amount: UNIT, min_tokens_out: 0 },
    );
    f.expect_rejected(&[no_member], &[&w], SluiceError::NotMember, &[bob.base]).await;
    // Someone else's member account.
    let carol = f.investor(0, true).await;
    let borrowed = ix::deposit(
        &w.pubkey(),
        &f.keys,
        &bob.base,
        &bob.tranches[2],
        Some(pda::member(&f.keys.pool, &carol.wallet.pubkey())),
        None,
        DepositArgs { tranche: JUNIOR, amount: UNIT, min_tokens_out: 0 },
    );
    f.expect_rejected(&[borrowed], &[&w], SluiceError::NotMember, &[bob.base]).await;
    // Expired membership.
    let soon = f.now().await + 100;
    f.set_member(&w.pubkey(), soon).await.unwrap();
    f.chain.advance_clock(200).await.unwrap();
    f.reprice().await.unwrap();
    f.expect_rejected(&[f.deposit_ix(&bob, JUNIOR, UNIT, 0)], &[&w], SluiceError::MembershipExpired, &[bob.base]).await;
    // Renewed, then revoked.
    let later = f.now().await + 1_000;
    f.set_member(&w.pubkey(), later).await.unwrap();
    // Admitted after its accounts were made: they are thawed once, by anyone.
    f.thaw(&bob).await;
    f.deposit(&bob, JUNIOR, UNIT).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::revoke_member(&issuer.pubkey(), &f.keys.pool, &w.pubkey())], &[&issuer]).await.unwrap();
    assert!(f.chain.account(&pda::member(&f.keys.pool, &w.pubkey())).await.unwrap().is_none());
}

#[tokio::test]
async fn deposit_account_guards() {
    let (mut f, alice) = funded().await;
    let w = alice.wallet.insecure_clone();
    let args = DepositArgs { tranche: JUNIOR, amount: UNIT, min_tokens_out: 0 };
    let member = Some(pda::member(&f.keys.pool, &w.pubkey()));

    // Tranche tokens to an account of another tranche's mint.
    let ix = ix::deposit(&w.pubkey(), &f.keys, &alice.base, &alice.tranches[0], member, None, args.clone());
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[]).await;
    // Paying from a tranche token account instead of base tokens.
    let ix = ix::deposit(&w.pubkey(), &f.keys, &alice.tranches[1], &alice.tranches[2], member, None, args.clone());
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[]).await;
    // A vault that is not the pool's (another base token account).
    let decoy = sluice_sdk::client::create_token_account(&mut f.chain, &f.keys.base_mint, &w.pubkey()).await.unwrap();
    let mut keys = f.keys;
    keys.vault = decoy;
    let ix = ix::deposit(&w.pubkey(), &keys, &alice.base, &alice.tranches[2], member, None, args.clone());
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[]).await;
    // Tranche index 2 with tranche 0's mint.
    let mut ix = ix::deposit(&w.pubkey(), &f.keys, &alice.base, &alice.tranches[0], member, None, args.clone());
    ix.accounts[4].pubkey = f.keys.tranche_mint(0);
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[]).await;
    // Spending someone else's base tokens.
    let bob = f.investor(1_000 * UNIT, true).await;
    let ix = ix::deposit(&w.pubkey(), &f.keys, &bob.base, &alice.tranches[2], member, None, args);
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[bob.base]).await;
}

#[tokio::test]
async fn authority_instructions_refuse_other_signers() {
    let (mut f, alice) = funded().await;
    let mallory = Keypair::new();
    f.chain.airdrop(&mallory.pubkey(), 1_000_000_000).await.unwrap();
    let m = mallory.pubkey();
    let mallory_base = sluice_sdk::client::create_token_account(&mut f.chain, &f.keys.base_mint, &m).await.unwrap();
    let due = f.due_in_days(30).await;
    let receivable =
        AddReceivableArgs { face_value: UNIT, funded: UNIT, due_ts: due, risk_class: 0, document_hash: [0; 32] };
    let cases = vec![
        ix::add_tranche(
            &m,
            &f.keys,
            3,
            AddTrancheArgs { coupon_bps: 0, min_subordination_bps: 0, metadata: tranche_metadata(0) },
        ),
        ix::set_member(&m, &f.keys.pool, &m, due),
        ix::revoke_member(&m, &f.keys.pool, &alice.wallet.pubkey()),
        ix::add_receivable(&m, &f.keys, 1, &mallory_base, receivable),
        ix::record_repayment(&m, &f.keys, 0, &mallory_base, 1),
        ix::write_down(&m, &f.keys, 0, 0),
        ix::update_params(&m, &f.keys.pool, default_params(false)),
        ix::propose_authority(&m, &f.keys.pool, &m),
    ];
    let alice_member = pda::member(&f.keys.pool, &alice.wallet.pubkey());
    for ix in cases {
        f.expect_rejected(&[ix], &[&mallory], SluiceError::NotAuthority, &[alice_member]).await;
    }
    f.expect_rejected(&[ix::pause(&m, &f.keys.pool)], &[&mallory], SluiceError::NotGuardian, &[]).await;
    f.expect_rejected(&[ix::unpause(&m, &f.keys.pool)], &[&mallory], SluiceError::NotGuardian, &[]).await;
    f.expect_rejected(&[ix::accept_authority(&m, &f.keys.pool)], &[&mallory], SluiceError::NoPendingAuthority, &[])
        .await;
    let issuer = f.issuer.insecure_clone();
    let heir = Keypair::new();
    f.chain.send(&[ix::propose_authority(&issuer.pubkey(), &f.keys.pool, &heir.pubkey())], &[&issuer]).await.unwrap();
    f.expect_rejected(&[ix::accept_authority(&m, &f.keys.pool)], &[&mallory], SluiceError::NotPendingAuthority, &[])
        .await;
}

#[tokio::test]
async fn receivable_guards() {
    let (mut f, _) = funded().await;
    let issuer = f.issuer.insecure_clone();
    let index = f.pool().await.receivable_count;
    let due = f.due_in_days(30).await;
    let base = AddReceivableArgs {
        face_value: 10 * UNIT,
        funded: 9 * UNIT,
        due_ts: due,
        risk_class: 0,
        document_hash: [7; 32],
    };
    let now = f.now().await;
    let horizon = (now.div_euclid(BUCKET_SECONDS) + NUM_BUCKETS as i64) * BUCKET_SECONDS;
    let cash = f.pool().await.cash;
    let cases = [
        (AddReceivableArgs { due_ts: due + 3_600, ..base.clone() }, SluiceError::DueNotDayAligned),
        (AddReceivableArgs { due_ts: due - 60 * SECONDS_PER_DAY, ..base.clone() }, SluiceError::DueOutOfRange),
        (AddReceivableArgs { due_ts: horizon, ..base.clone() }, SluiceError::DueOutOfRange),
        (AddReceivableArgs { funded: 11 * UNIT, ..base.clone() }, SluiceError::FundingExceedsFace),
        (AddReceivableArgs { funded: 0, ..base.clone() }, SluiceError::ZeroAmount),
        (AddReceivableArgs { face_value: cash + 1, funded: cash + 1, ..base.clone() }, SluiceError::InsufficientCash),
        (AddReceivableArgs { risk_class: 4, ..base.clone() }, SluiceError::UnknownRiskClass),
    ];
    for (args, err) in cases {
        let ix = ix::add_receivable(&issuer.pubkey(), &f.keys, index, &f.borrower_base, args);
        f.expect_rejected(&[ix], &[&issuer], err, &[f.borrower_base]).await;
    }
    // The last day inside the horizon is accepted.
    let ok = AddReceivableArgs { due_ts: horizon - SECONDS_PER_DAY, ..base.clone() };
    f.chain
        .send(&[ix::add_receivable(&issuer.pubkey(), &f.keys, index, &f.borrower_base, ok)], &[&issuer])
        .await
        .unwrap();

    // Repayment guards.
    let r = ix::record_repayment(&issuer.pubkey(), &f.keys, 0, &f.issuer_base, 100_000 * UNIT + 1);
    f.expect_rejected(&[r], &[&issuer], SluiceError::RepaymentExceedsOutstanding, &[f.issuer_base]).await;
    let r = ix::record_repayment(&issuer.pubkey(), &f.keys, 0, &f.issuer_base, 0);
    f.expect_rejected(&[r], &[&issuer], SluiceError::ZeroAmount, &[f.issuer_base]).await;
    // Write-down guards: recovery above outstanding, then raising a mark.
    let w = ix::write_down(&issuer.pubkey(), &f.keys, 0, 100_000 * UNIT + 1);
    f.expect_rejected(&[w], &[&issuer], SluiceError::WriteDownIncrease, &[]).await;
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, 0, 50_000 * UNIT)], &[&issuer]).await.unwrap();
    let w = ix::write_down(&issuer.pubkey(), &f.keys, 0, 50_000 * UNIT + 1);
    f.expect_rejected(&[w], &[&issuer], SluiceError::WriteDownIncrease, &[]).await;

    // A paused pool funds nothing.
    let guardian = f.guardian.insecure_clone();
    f.chain.send(&[ix::pause(&guardian.pubkey(), &f.keys.pool)], &[&guardian]).await.unwrap();
    let index = f.pool().await.receivable_count;
    let ix = ix::add_receivable(&issuer.pubkey(), &f.keys, index, &f.borrower_base, base);
    f.expect_rejected(&[ix], &[&issuer], SluiceError::PoolPaused, &[f.borrower_base]).await;
}

#[tokio::test]
async fn a_receivable_of_another_pool_is_refused() {
    let (mut f, _) = funded().await;
    let issuer = f.issuer.insecure_clone();
    let other = f.another_pool(7).await;
    // Pool 7's accounts with pool 1's receivable 0.
    let mut ix = ix::write_down(&issuer.pubkey(), &other, 0, 0);
    ix.accounts[3].pubkey = pda::receivable(&f.keys.pool, 0);
    f.expect_rejected(&[ix], &[&issuer], SluiceError::WrongAccount, &[other.pool]).await;
    // Pool 1 with pool 7's book.
    let mut keys = f.keys;
    keys.book = other.book;
    f.expect_rejected(&[ix::reprice(&keys)], &[], SluiceError::WrongAccount, &[]).await;
}

#[tokio::test]
async fn tranche_and_params_guards() {
    let (mut f, _) = funded().await;
    let issuer = f.issuer.insecure_clone();
    let args = AddTrancheArgs { coupon_bps: 100, min_subordination_bps: 0, metadata: tranche_metadata(0) };
    // Full (3 tranches) — and frozen by deposits; the count check comes first.
    f.expect_rejected(
        &[ix::add_tranche(&issuer.pubkey(), &f.keys, 3, args.clone())],
        &[&issuer],
        SluiceError::TooManyTranches,
        &[],
    )
    .await;
    let edits: [fn(&mut sluice::state::PoolParams); 4] = [
        |p| p.max_oracle_age_secs = 10,
        |p| p.max_nav_age_secs = 2 * 86_400,
        |p| p.overdue_steps[1].days = 20,
        |p| p.pool_cap = 1,
    ];
    for edit in edits {
        let mut bad = default_params(true);
        edit(&mut bad);
        let ix = ix::update_params(&issuer.pubkey(), &f.keys.pool, bad);
        f.expect_rejected(&[ix], &[&issuer], SluiceError::InvalidParams, &[]).await;
    }

    // A fresh pool with one tranche and a deposit: a second tranche is refused.
    let keys = f.another_pool(3).await;
    f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, 0, args.clone())], &[&issuer]).await.unwrap();
    let publisher = f.publisher.insecure_clone();
    f.chain.send(&[ix::publish_rates(&publisher.pubkey(), &keys, rates(1, 800))], &[&publisher]).await.unwrap();
    f.chain.send(&[ix::reprice(&keys)], &[]).await.unwrap();
    let bob = Keypair::new();
    f.chain.airdrop(&bob.pubkey(), 1_000_000_000).await.unwrap();
    let base = sluice_sdk::client::create_token_account(&mut f.chain, &keys.base_mint, &bob.pubkey()).await.unwrap();
    sluice_sdk::client::mint_to(&mut f.chain, &keys.base_mint, &base, &issuer, UNIT).await.unwrap();
    let tokens =
        sluice_sdk::client::create_token_account(&mut f.chain, &keys.tranche_mint(0), &bob.pubkey()).await.unwrap();
    let dep = ix::deposit(
        &bob.pubkey(),
        &keys,
        &base,
        &tokens,
        None,
        None,
        DepositArgs { tranche: 0, amount: UNIT, min_tokens_out: UNIT },
    );
    f.chain.send(&[dep], &[&bob]).await.unwrap();
    let before = f.chain.account(&keys.pool).await.unwrap();
    let result = f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, 1, args)], &[&issuer]).await;
    assert_sluice_err(result, SluiceError::TranchesFrozen);
    assert_eq!(before, f.chain.account(&keys.pool).await.unwrap());
}

#[tokio::test]
async fn pools_and_markets_refuse_out_of_bounds_parameters() {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let mut params = default_params(false);
    params.redemption.installments = 0;
    let mut publishers = [anchor_lang::prelude::Pubkey::default(); 3];
    publishers[0] = f.publisher.pubkey();
    let args = CreatePoolArgs { pool_id: 9, guardian: f.guardian.pubkey(), publishers, params };
    let result = sluice_sdk::client::create_pool(&mut f.chain, &issuer, &f.keys.base_mint, args).await;
    assert_sluice_err(result, SluiceError::InvalidParams);
    assert!(f.chain.account(&pda::pool(&issuer.pubkey(), 9)).await.unwrap().is_none());

    let m = ix::AmmKeys::new(&f.keys, SENIOR);
    let mut bad = sluice::state::AmmParams::RECOMMENDED;
    bad.base_fee_bps = 2_000;
    let ix = ix::create_amm(&issuer.pubkey(), &f.keys, &m, bad);
    f.expect_rejected(&[ix], &[&issuer], SluiceError::InvalidParams, &[]).await;
    assert!(f.chain.account(&m.amm).await.unwrap().is_none());
}
