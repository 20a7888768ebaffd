//! Adversarial review of the value-anchored basket: every attack on its public
//! instructions, each with the safe outcome it must meet. A test that fails documents an
//! attack that succeeds today (see the review report).
#![allow(deprecated)]

use anchor_lang::solana_program::instruction::Instruction;
use sluice::instructions::{
    basket_value, AddTrancheArgs, ConstituentArgs, CreateBasketArgs, CreatePoolArgs, ExchangeInArgs, ExchangeOutArgs,
};
use sluice::math::basket::holding_value;
use sluice::state::BasketParams;
use sluice::state::MAX_PUBLISHERS;
use sluice_sdk::chain::Chain;
use sluice_sdk::ix::{self, BasketKeys};
use sluice_sdk::{client, pda, Pubkey};

use sluice_tests::basket::*;
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Sends `ixs`, expects any failure, and checks that `watched` is byte-for-byte unchanged.
async fn expect_failed(f: &mut Fixture, ixs: &[Instruction], signers: &[&Keypair], watched: &[Pubkey]) -> String {
    let before = f.snapshot(watched).await;
    let result = f.chain.send(ixs, signers).await;
    assert!(result.is_err(), "expected a rejection");
    assert_eq!(before, f.snapshot(watched).await, "state changed after a rejection");
    format!("{:?}", result.unwrap_err())
}

/// Attack: price the basket from a fake pool — another program-owned account (the basket
/// itself), a real but different Sluice pool, an extra pool, or a missing one — in the
/// remaining accounts. Safe: `ConstituentPoolsMissing`, nothing changes.
#[tokio::test]
async fn a_fake_or_misplaced_pool_cannot_price_the_basket() {
    let mut w = basket_world().await;
    let bob = w.bob.wallet.insecure_clone();
    let watched = w.watched();
    let other = w.f.another_pool(9).await;
    for (slot, fake) in [(9, w.b.basket), (10, w.b.basket), (9, other.pool), (10, other.pool), (10, w.b.mint)] {
        let mut ixn = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT);
        ixn.accounts[slot].pubkey = fake;
        w.f.expect_rejected(&[ixn], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;
    }
    // One pool too many.
    let mut extra = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT);
    extra.accounts.push(extra.accounts[9].clone());
    w.f.expect_rejected(&[extra], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;
}

/// Attack: exchange in a tranche priced from numbers a write-down or new rates have just
/// made old, in the same transaction as the change (before the reprice). Safe: `NavStale`.
#[tokio::test]
async fn an_exchange_in_the_same_transaction_as_a_loss_or_new_rates_sees_a_stale_nav() {
    let mut w = basket_world().await;
    let bob = w.bob.wallet.insecure_clone();
    let issuer = w.f.issuer.insecure_clone();
    let idx = w.f.add_receivable(1_000_000 * UNIT, 1_000_000 * UNIT, 120, 0).await.unwrap();
    w.f.reprice().await.unwrap();
    let watched = w.watched();
    let down = ix::write_down(&issuer.pubkey(), &w.f.keys, idx, 0);
    let exchange = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT);
    w.f.expect_rejected(&[down, exchange], &[&issuer, &bob], SluiceError::NavStale, &watched).await;
    let publish = ix::publish_rates(&w.f.publisher.pubkey(), &w.f.keys, rates(w.f.sequence + 1, 820));
    let publisher = w.f.publisher.insecure_clone();
    let exchange = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT + 1);
    w.f.expect_rejected(&[publish, exchange], &[&publisher, &bob], SluiceError::NavStale, &watched).await;
}

/// Attack: sandwich a known write-down — Eve moves junior tokens into the basket at the
/// pre-loss NAV, the issuer writes the receivable off, Eve takes her in-kind slice out.
/// The in-kind exit spreads her tranche's loss over the basket, so an informed holder can
/// shift onto the others the part of a loss the haircut does not cover (docs/basket.md,
/// "Risks"). Safe: she shifts no more than that part — her entry value × (loss − haircut) —
/// and nothing at all from a loss the haircut covers.
#[tokio::test]
async fn a_write_down_sandwich_shifts_at_most_the_loss_beyond_the_haircut() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let issuer = w.f.issuer.insecure_clone();
    let small = w.f.add_receivable(200_000 * UNIT, 200_000 * UNIT, 120, 0).await.unwrap();
    let large = w.f.add_receivable(1_000_000 * UNIT, 1_000_000 * UNIT, 120, 0).await.unwrap();
    w.f.reprice().await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    // (The second Eve brings less: the first left part of her junior in the basket, and the
    // junior's cap binds.)
    for (index, recovery, size) in [(small, 150_000 * UNIT, 30_000 * UNIT), (large, 0, 5_000 * UNIT)] {
        let (eve, eve_basket) = w.newcomer(0, size).await;
        let eve_junior = w.f.balance(&eve.tranches[2]).await;
        let before = w.f.pool().await.tranches[2];
        let entry = holding_value(eve_junior, before.value, before.supply);
        w.f.chain.send(&[w.exchange_in(&eve, &eve_basket, 1, eve_junior)], &[&eve.wallet]).await.unwrap();

        w.f.chain.send(&[ix::write_down(&issuer.pubkey(), &w.f.keys, index, recovery)], &[&issuer]).await.unwrap();
        w.f.reprice().await.unwrap();
        let after = w.f.pool().await.tranches[2];
        let kept = holding_value(eve_junior, after.value, after.supply);
        let tokens = w.f.balance(&eve_basket).await;
        w.f.chain.send(&[w.exchange_out(&eve, &eve_basket, tokens)], &[&eve.wallet]).await.unwrap();
        let got = w.tranche_wealth(&eve).await;
        // The haircut (20 %) absorbs a loss up to its size; beyond it, at most the excess.
        let beyond_haircut = (entry / 10 * 8).saturating_sub(kept);
        assert!(
            got <= kept + beyond_haircut,
            "eve shifted {} (took {got}, kept {kept}, bound {beyond_haircut})",
            got.saturating_sub(kept)
        );
        if beyond_haircut == 0 {
            assert!(got <= kept, "a loss the haircut covers shifted {} onto the basket", got - kept);
        }
    }
}

/// Attack: exchange out with wrong (vault, mint, destination) triples — another basket's
/// vault, the constituents' triples swapped, a wrong mint, duplicated or missing triples,
/// wrong `min_outs`. Safe: named refusals, nothing changes.
#[tokio::test]
async fn exchange_out_accepts_only_the_baskets_own_triples_in_order() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 1, 20_000 * UNIT)], &[&bob]).await.unwrap();
    // A second basket of the same tranches, with tokens of its own in its vaults.
    let issuer = w.f.issuer.insecure_clone();
    let b2 = BasketKeys::new(&issuer.pubkey(), 2, w.f.keys.base_mint, w.f.keys.base_token_program);
    let create = ix::create_basket(
        &issuer.pubkey(),
        &b2,
        CreateBasketArgs { basket_id: 2, guardian: w.f.guardian.pubkey(), params: BasketParams::DEFAULT },
    );
    let add = ix::add_constituent(&issuer.pubkey(), &b2, &w.f.keys, SENIOR, SENIOR_TERMS);
    w.f.chain.send(&[create, add], &[&issuer]).await.unwrap();
    let other_vault = pda::basket_vault(&b2.basket, &w.f.keys.tranche_mint(SENIOR));
    let mut watched = w.watched();
    watched.push(other_vault);
    let tokens = w.f.balance(&bob_basket).await / 2;

    let mut foreign = w.exchange_out(&w.bob, &bob_basket, tokens);
    foreign.accounts[9].pubkey = other_vault;
    w.f.expect_rejected(&[foreign], &[&bob], SluiceError::WrongAccount, &watched).await;
    // Swapped order: the junior's triple where the senior's belongs.
    let mut swapped = w.exchange_out(&w.bob, &bob_basket, tokens);
    let (first, second) = swapped.accounts[9..15].split_at_mut(3);
    first.swap_with_slice(second);
    w.f.expect_rejected(&[swapped], &[&bob], SluiceError::WrongAccount, &watched).await;
    // The right vault with the other constituent's mint.
    let mut mint = w.exchange_out(&w.bob, &bob_basket, tokens);
    mint.accounts[10].pubkey = w.f.keys.tranche_mint(JUNIOR);
    w.f.expect_rejected(&[mint], &[&bob], SluiceError::WrongAccount, &watched).await;
    // The senior's triple twice, or a third triple.
    let mut twice = w.exchange_out(&w.bob, &bob_basket, tokens);
    let senior_triple: Vec<_> = twice.accounts[9..12].to_vec();
    twice.accounts[12..15].clone_from_slice(&senior_triple);
    w.f.expect_rejected(&[twice], &[&bob], SluiceError::WrongAccount, &watched).await;
    let mut three = w.exchange_out(&w.bob, &bob_basket, tokens);
    three.accounts.extend(senior_triple);
    w.f.expect_rejected(&[three], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;
    // min_outs of the wrong length, or above the slice.
    let slices =
        [(w.f.keys.tranche_mint(SENIOR), w.bob.tranches[0]), (w.f.keys.tranche_mint(JUNIOR), w.bob.tranches[2])];
    let short = ExchangeOutArgs { tokens, min_outs: vec![0; 2] };
    let short = ix::exchange_out(&bob.pubkey(), &w.b, &bob_basket, &w.bob.base, &slices, &[], short);
    w.f.expect_rejected(&[short], &[&bob], SluiceError::InvalidParams, &watched).await;
    let greedy = ExchangeOutArgs { tokens, min_outs: vec![u64::MAX, 0, 0] };
    let greedy = ix::exchange_out(&bob.pubkey(), &w.b, &bob_basket, &w.bob.base, &slices, &[], greedy);
    w.f.expect_rejected(&[greedy], &[&bob], SluiceError::SlippageExceeded, &watched).await;
    // Someone else's basket tokens.
    let (eve, _) = w.newcomer(1_000 * UNIT, 0).await;
    let mut theft = w.exchange_out(&eve, &bob_basket, tokens);
    theft.accounts[3].pubkey = bob_basket;
    w.f.expect_rejected(&[theft], &[&eve.wallet], SluiceError::WrongAccount, &watched).await;
}

/// Attack: a destination that is a basket vault — the other constituent's (a wrong-mint
/// transfer) or the same constituent's own (a self-transfer that would leave `held` lower
/// than paid). Safe: the first is refused with nothing changed; the second only costs the
/// caller — the vault still holds at least what the basket accounts for and the others'
/// share is not diluted.
#[tokio::test]
async fn a_basket_vault_as_destination_takes_nothing_from_the_basket() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 1, 20_000 * UNIT)], &[&bob]).await.unwrap();
    let watched = w.watched();
    let tokens = w.f.balance(&bob_basket).await / 4;
    let mut cross = w.exchange_out(&w.bob, &bob_basket, tokens);
    cross.accounts[11].pubkey = w.vault(JUNIOR);
    let err = expect_failed(&mut w.f, &[cross], &[&bob], &watched).await;
    println!("cross-vault destination: {err}");

    let (value, supply) = (w.value().await, w.basket().await.supply);
    let mut own = w.exchange_out(&w.bob, &bob_basket, tokens);
    own.accounts[11].pubkey = w.vault(SENIOR);
    w.f.chain.send(&[own], &[&bob]).await.unwrap();
    let basket = w.basket().await;
    assert!(w.f.balance(&w.vault(SENIOR)).await >= basket.constituents[0].held);
    assert!(w.f.balance(&w.vault(JUNIOR)).await >= basket.constituents[1].held);
    assert_eq!(
        w.f.balance(&w.vault(SENIOR)).await,
        basket.constituents[0].held + (100_000 * UNIT - basket.constituents[0].held)
    );
    // Per-token value for those who stay did not fall.
    assert!(w.value().await as u128 * supply as u128 >= value as u128 * basket.supply as u128);
}

/// Attack: donate tranche tokens into a vault and base tokens into the sleeve to move the
/// price (first-depositor style), then exchange in/out. Safe: donations are ignored — the
/// price and every slice come from accounted balances; the last holder out leaves supply 0
/// with nothing accounted, and the next depositor enters at par.
#[tokio::test]
async fn donations_and_an_emptied_basket_move_no_price() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    // Eve seeds an empty basket with dust, then donates heavily to inflate the price.
    let (eve, eve_basket) = w.newcomer(50_000 * UNIT, 0).await;
    w.f.chain.send(&[w.exchange_in(&eve, &eve_basket, 0, 2)], &[&eve.wallet]).await.unwrap();
    assert_eq!(w.basket().await.supply, 1);
    let donate =
        ix::token::transfer(&ix::TOKEN_2022, &eve.tranches[0], &w.vault(SENIOR), &eve.wallet.pubkey(), 10_000 * UNIT);
    let donate_base = ix::token::transfer(&ix::SPL_TOKEN, &eve.base, &w.b.sleeve, &eve.wallet.pubkey(), UNIT / 2);
    w.f.chain.send(&[donate, donate_base], &[&eve.wallet]).await.unwrap();
    assert_eq!(w.basket().await.sleeve_balance, 0);
    let value = w.value().await;
    assert!(value <= 2, "the donation priced in: value {value}");
    // Bob's exchange is priced on the accounted value, not the donation.
    let senior = w.f.pool().await.tranches[0];
    let value_in = holding_value(10_000 * UNIT, senior.value, senior.supply);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();
    let minted = w.f.balance(&bob_basket).await;
    assert!(minted as u128 * 100 >= value_in as u128 * 98 / 2, "bob got {minted} for {value_in}");
    // Both out: the basket is empty and accounts for nothing; donations stay as surplus.
    let eve_tokens = w.f.balance(&eve_basket).await;
    w.f.chain.send(&[w.exchange_out(&eve, &eve_basket, eve_tokens)], &[&eve.wallet]).await.unwrap();
    w.f.chain.send(&[w.exchange_out(&w.bob, &bob_basket, minted)], &[&bob]).await.unwrap();
    let basket = w.basket().await;
    assert_eq!(
        (basket.supply, basket.sleeve_balance, basket.constituents[0].held, basket.constituents[1].held),
        (0, 0, 0, 0)
    );
    // Exchange out of an empty basket: refused, nothing to burn.
    let watched = w.watched();
    w.f.expect_rejected(&[w.exchange_out(&w.bob, &bob_basket, 1)], &[&bob], SluiceError::ZeroAmount, &watched).await;
    // The next depositor enters at par again, whatever the donations.
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 1_000 * UNIT)], &[&bob]).await.unwrap();
    let senior = w.f.pool().await.tranches[0];
    let par = holding_value(1_000 * UNIT, senior.value, senior.supply) * 98 / 100;
    assert!(w.f.balance(&bob_basket).await.abs_diff(par) <= 1);
}

/// Attack: dust and rounding — exchange 1 token in (rounds to nothing), and many small
/// exchanges in and straight out to harvest floors. Safe: `ZeroAmount` for dust; the
/// round-tripper never ends with more tranche value than she started with.
#[tokio::test]
async fn dust_and_many_small_round_trips_extract_nothing() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 1, 20_000 * UNIT)], &[&bob]).await.unwrap();
    let watched = w.watched();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, 1)], &[&bob], SluiceError::ZeroAmount, &watched).await;
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, 0)], &[&bob], SluiceError::ZeroAmount, &watched).await;
    w.f.expect_rejected(&[w.exchange_out(&w.bob, &bob_basket, 0)], &[&bob], SluiceError::ZeroAmount, &watched).await;

    let (eve, eve_basket) = w.newcomer(10_000 * UNIT, 0).await;
    let start_tokens = w.f.balance(&eve.tranches[0]).await;
    let start = w.tranche_wealth(&eve).await;
    let (v0, s0) = (w.value().await, w.basket().await.supply);
    for k in 0..12u64 {
        let amount = 50 + 7 * k;
        if w.f.chain.send(&[w.exchange_in(&eve, &eve_basket, 0, amount)], &[&eve.wallet]).await.is_err() {
            continue;
        }
        let held = w.f.balance(&eve_basket).await;
        // Out one basket token at a time, to collect every floor.
        for _ in 0..held.min(3) {
            w.f.chain.send(&[w.exchange_out(&eve, &eve_basket, 1)], &[&eve.wallet]).await.unwrap();
        }
        let rest = w.f.balance(&eve_basket).await;
        if rest > 0 {
            w.f.chain.send(&[w.exchange_out(&eve, &eve_basket, rest)], &[&eve.wallet]).await.unwrap();
        }
    }
    assert!(w.f.balance(&eve.tranches[0]).await <= start_tokens);
    assert!(w.tranche_wealth(&eve).await <= start);
    let (v1, s1) = (w.value().await, w.basket().await.supply);
    assert!(v1 as u128 * s0 as u128 >= v0 as u128 * s1 as u128, "stayers diluted");
}

/// Attack: evade the junior's 30 % cap by splitting across transactions, or by exchanging
/// out (pro rata) to make room. Safe: each exchange is checked against the value after it;
/// `ConcentrationCapExceeded`, nothing changes.
#[tokio::test]
async fn the_concentration_cap_cannot_be_split_or_exited_around() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    // Junior first into an empty basket: it would be 100 % of it.
    let watched = w.watched();
    w.f.expect_rejected(
        &[w.exchange_in(&w.bob, &bob_basket, 1, 1_000 * UNIT)],
        &[&bob],
        SluiceError::ConcentrationCapExceeded,
        &watched,
    )
    .await;
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 70_000 * UNIT)], &[&bob]).await.unwrap();
    // Up to the cap in slices.
    for _ in 0..5 {
        w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 1, 5_800 * UNIT)], &[&bob]).await.unwrap();
    }
    let watched = w.watched();
    let over = w.exchange_in(&w.bob, &bob_basket, 1, 1_500 * UNIT);
    w.f.expect_rejected(&[over], &[&bob], SluiceError::ConcentrationCapExceeded, &watched).await;
    // Exchanging half out keeps the shares: still over.
    let half = w.f.balance(&bob_basket).await / 2;
    w.f.chain.send(&[w.exchange_out(&w.bob, &bob_basket, half)], &[&bob]).await.unwrap();
    let watched = w.watched();
    let over = w.exchange_in(&w.bob, &bob_basket, 1, 800 * UNIT);
    w.f.expect_rejected(&[over], &[&bob], SluiceError::ConcentrationCapExceeded, &watched).await;
    let basket = w.basket().await;
    let pool = w.f.pool().await;
    let now = w.f.now().await;
    let (value, values) = basket_value(&basket, &[pool.clone(), pool], &Default::default(), now).unwrap();
    assert!(values[1] as u128 * 10_000 <= 3_000 * value as u128);
}

/// Attack: exchange in tokens of a disabled constituent (or any non-constituent mint) under
/// another index, or with another basket's vault or someone else's tranche account.
/// Safe: `UnknownConstituent` / `ConstituentDisabled` / `WrongAccount`, nothing changes.
#[tokio::test]
async fn a_disabled_or_foreign_constituent_cannot_come_in_under_another_index() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let issuer = w.f.issuer.insecure_clone();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    let disable = ConstituentArgs { enabled: false, ..JUNIOR_TERMS };
    w.f.chain
        .send(&[ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 1, disable)], &[&issuer])
        .await
        .unwrap();
    let watched = w.watched();
    w.f.expect_rejected(
        &[w.exchange_in(&w.bob, &bob_basket, 1, 1_000 * UNIT)],
        &[&bob],
        SluiceError::ConstituentDisabled,
        &watched,
    )
    .await;
    let pools = [w.f.keys.pool, w.f.keys.pool];
    let junior_mint = w.f.keys.tranche_mint(JUNIOR);
    let mezz_mint = w.f.keys.tranche_mint(MEZZANINE);
    for (index, mint, account) in
        [(0, junior_mint, w.bob.tranches[2]), (5, junior_mint, w.bob.tranches[2]), (0, mezz_mint, w.bob.tranches[1])]
    {
        let args = ExchangeInArgs { index, tokens: 1_000 * UNIT, min_out: 0 };
        let mut ixn = ix::exchange_in(&bob.pubkey(), &w.b, &mint, &account, &bob_basket, None, &pools, args);
        // A vault that exists, so the mint is what is judged.
        ixn.accounts[4].pubkey = w.vault(SENIOR);
        w.f.expect_rejected(&[ixn], &[&bob], SluiceError::UnknownConstituent, &watched).await;
    }
    // The senior's mint with the junior's vault.
    let mut vault = w.exchange_in(&w.bob, &bob_basket, 0, 1_000 * UNIT);
    vault.accounts[4].pubkey = w.vault(JUNIOR);
    w.f.expect_rejected(&[vault], &[&bob], SluiceError::WrongAccount, &watched).await;
    // Eve spending Bob's tranche tokens.
    let (eve, eve_basket) = w.newcomer(1_000 * UNIT, 0).await;
    let mut theft = w.exchange_in(&eve, &eve_basket, 0, 1_000 * UNIT);
    theft.accounts[5].pubkey = w.bob.tranches[0];
    w.f.expect_rejected(&[theft], &[&eve.wallet], SluiceError::WrongAccount, &watched).await;
    // Slippage.
    let mut greedy = w.exchange_in(&w.bob, &bob_basket, 0, 1_000 * UNIT);
    let args = ExchangeInArgs { index: 0, tokens: 1_000 * UNIT, min_out: 1_000 * UNIT };
    greedy.data = ix::exchange_in(
        &bob.pubkey(),
        &w.b,
        &w.f.keys.tranche_mint(SENIOR),
        &w.bob.tranches[0],
        &bob_basket,
        None,
        &pools,
        args,
    )
    .data;
    w.f.expect_rejected(&[greedy], &[&bob], SluiceError::SlippageExceeded, &watched).await;
}

/// Attack: exchange in from a constituent whose pool is paused or in Crisis. Safe:
/// `PoolPaused` / `WrongStage`, nothing changes; exchanges out still work.
#[tokio::test]
async fn a_paused_or_crisis_pool_takes_no_exchange_in_but_lets_holders_out() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let g = w.f.guardian.insecure_clone();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();
    w.f.chain.send(&[ix::pause(&g.pubkey(), &w.f.keys.pool)], &[&g]).await.unwrap();
    let watched = w.watched();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, UNIT)], &[&bob], SluiceError::PoolPaused, &watched)
        .await;
    let tokens = w.f.balance(&bob_basket).await;
    w.f.chain.send(&[w.exchange_out(&w.bob, &bob_basket, tokens / 2)], &[&bob]).await.unwrap();
    w.f.chain.send(&[ix::unpause(&g.pubkey(), &w.f.keys.pool)], &[&g]).await.unwrap();
    w.f.chain.send(&[ix::force_crisis(&g.pubkey(), &w.f.keys.pool)], &[&g]).await.unwrap();
    let watched = w.watched();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, UNIT + 1)], &[&bob], SluiceError::WrongStage, &watched)
        .await;
    let rest = w.f.balance(&bob_basket).await;
    w.f.chain.send(&[w.exchange_out(&w.bob, &bob_basket, rest)], &[&bob]).await.unwrap();
    assert_eq!(w.basket().await.supply, 0);
}

/// Attack: u64::MAX amounts in and out. Safe: refused (no panic, no wrap), nothing changes.
#[tokio::test]
async fn u64_max_amounts_are_refused_without_effect() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();
    let watched = w.watched();
    for index in [0, 1] {
        let max = w.exchange_in(&w.bob, &bob_basket, index, u64::MAX);
        let err = expect_failed(&mut w.f, &[max], &[&bob], &watched).await;
        println!("exchange_in({index}, u64::MAX): {err}");
    }
    w.f.expect_rejected(&[w.exchange_out(&w.bob, &bob_basket, u64::MAX)], &[&bob], SluiceError::ZeroAmount, &watched)
        .await;
}

/// Attack: someone other than the authority adds or retunes constituents, or someone other
/// than the guardian pauses (the authority included). Safe: `NotAuthority` / `NotGuardian`.
#[tokio::test]
async fn only_the_authority_tunes_and_only_the_guardian_pauses() {
    let mut w = basket_world().await;
    let issuer = w.f.issuer.insecure_clone();
    let mallory = w.f.investor(0, false).await;
    let m = mallory.wallet.insecure_clone();
    let basket = [w.b.basket];
    let loose = ConstituentArgs { haircut_bps: 0, cap_bps: 10_000, target_bps: 0, allow_junior: true, enabled: true };
    w.f.expect_rejected(
        &[ix::update_constituent(&m.pubkey(), &w.b, &w.f.keys.pool, 1, loose)],
        &[&m],
        SluiceError::NotAuthority,
        &basket,
    )
    .await;
    w.f.expect_rejected(&[ix::set_basket_paused(&m.pubkey(), &w.b, true)], &[&m], SluiceError::NotGuardian, &basket)
        .await;
    w.f.expect_rejected(
        &[ix::set_basket_paused(&issuer.pubkey(), &w.b, true)],
        &[&issuer],
        SluiceError::NotGuardian,
        &basket,
    )
    .await;
    // Unknown index.
    w.f.expect_rejected(
        &[ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 2, SENIOR_TERMS)],
        &[&issuer],
        SluiceError::UnknownConstituent,
        &basket,
    )
    .await;
}

/// Attack: the junior rule dodged — update the junior constituent to a 0 % haircut naming
/// a foreign pool (where its tranche index is not the last), or its own pool. Safe:
/// `WrongAccount` / `JuniorConstituent`; also terms out of bounds (`InvalidParams`).
#[tokio::test]
async fn the_junior_rule_cannot_be_dodged_with_a_foreign_pool() {
    let mut w = basket_world().await;
    let issuer = w.f.issuer.insecure_clone();
    let basket = [w.b.basket];
    let other = w.f.another_pool(9).await;
    for i in 0..3u8 {
        let args = AddTrancheArgs { coupon_bps: 500, min_subordination_bps: 0, metadata: tranche_metadata(0) };
        w.f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &other, i, args)], &[&issuer]).await.unwrap();
    }
    let loose = ConstituentArgs { haircut_bps: 0, cap_bps: 10_000, target_bps: 0, allow_junior: false, enabled: true };
    for pool in [other.pool, w.f.keys.pool] {
        let expected = if pool == w.f.keys.pool { SluiceError::JuniorConstituent } else { SluiceError::WrongAccount };
        let ixn = ix::update_constituent(&issuer.pubkey(), &w.b, &pool, 1, loose);
        w.f.expect_rejected(&[ixn], &[&issuer], expected, &basket).await;
    }
    // A non-pool account in the pool slot.
    let mut fake = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 1, loose);
    fake.accounts[2].pubkey = w.b.basket;
    let err = expect_failed(&mut w.f, &[fake], &[&issuer], &basket).await;
    println!("basket as pool: {err}");
    for bad in [
        ConstituentArgs { cap_bps: 0, ..SENIOR_TERMS },
        ConstituentArgs { cap_bps: 10_001, ..SENIOR_TERMS },
        ConstituentArgs { haircut_bps: 5_001, ..SENIOR_TERMS },
    ] {
        let ixn = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, bad);
        w.f.expect_rejected(&[ixn], &[&issuer], SluiceError::InvalidParams, &basket).await;
    }
}

/// Attack: admit a tranche of a pool on a different base token, or more than six
/// constituents. Safe: `WrongAccount` / `TooManyConstituents`.
#[tokio::test]
async fn a_pool_on_another_base_token_cannot_join() {
    let mut w = basket_world().await;
    let issuer = w.f.issuer.insecure_clone();
    let basket = [w.b.basket];
    let other_mint = client::create_mint(&mut w.f.chain, &issuer.pubkey(), 6).await.unwrap();
    let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
    publishers[0] = w.f.publisher.pubkey();
    let args =
        CreatePoolArgs { pool_id: 42, guardian: w.f.guardian.pubkey(), publishers, params: default_params(false) };
    let other = client::create_pool(&mut w.f.chain, &issuer, &other_mint, args).await.unwrap();
    let t = AddTrancheArgs { coupon_bps: 500, min_subordination_bps: 0, metadata: tranche_metadata(0) };
    w.f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &other, 0, t.clone())], &[&issuer]).await.unwrap();
    w.f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &other, 1, t.clone())], &[&issuer]).await.unwrap();
    let add = ix::add_constituent(&issuer.pubkey(), &w.b, &other, SENIOR, SENIOR_TERMS);
    w.f.expect_rejected(&[add], &[&issuer], SluiceError::WrongAccount, &basket).await;
    // Mezzanine from the right pool, then four tranches of same-base pools: the seventh fails.
    // (No target weight: the targets already add up to the whole with the sleeve's.)
    let untargeted = ConstituentArgs { target_bps: 0, ..SENIOR_TERMS };
    let add = ix::add_constituent(&issuer.pubkey(), &w.b, &w.f.keys, MEZZANINE, untargeted);
    w.f.chain.send(&[add], &[&issuer]).await.unwrap();
    let mut extra = Vec::new();
    for id in [50, 51] {
        let p = w.f.another_pool(id).await;
        for i in 0..3u8 {
            w.f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &p, i, t.clone())], &[&issuer]).await.unwrap();
        }
        extra.push(p);
    }
    for (p, tranche) in [(&extra[0], 0), (&extra[0], 1), (&extra[1], 0)] {
        let add = ix::add_constituent(&issuer.pubkey(), &w.b, p, tranche, untargeted);
        w.f.chain.send(&[add], &[&issuer]).await.unwrap();
    }
    assert_eq!(w.basket().await.constituent_count, 6);
    let add = ix::add_constituent(&issuer.pubkey(), &w.b, &extra[1], 1, untargeted);
    w.f.expect_rejected(&[add], &[&issuer], SluiceError::TooManyConstituents, &basket).await;
}
