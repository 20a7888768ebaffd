//! The value-anchored basket on a real bank: tranche tokens in at the pools' DCF price less
//! a haircut, basket tokens out in kind; the price follows the constituents' NAVs, and
//! every refusal is named and changes nothing.
#![allow(deprecated)]

use sluice::instructions::{ConstituentArgs, CreateBasketArgs, ExchangeInArgs};
use sluice::math::basket::{holding_value, share_out, tokens_for_exchange_in};
use sluice::state::BasketParams;
use sluice_sdk::chain::Chain;
use sluice_sdk::ix::{self, BasketKeys};
use sluice_sdk::{client, pda, Pubkey};

use sluice_tests::basket::*;
use sluice_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn exchanging_in_at_the_dcf_price_and_out_in_kind_takes_no_value() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let senior = w.f.pool().await.tranches[0];
    // An empty basket: 10,000 senior tokens at NAV, less the 2 % haircut, at par.
    let value_in = holding_value(10_000 * UNIT, senior.value, senior.supply);
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();
    assert_eq!(w.f.balance(&bob_basket).await, value_in / 100 * 98);
    let basket = w.basket().await;
    assert_eq!((basket.supply, basket.constituents[0].held), (value_in / 100 * 98, 10_000 * UNIT));
    // The haircut stays in the basket: it is worth more than its tokens at par.
    assert_eq!(w.value().await, value_in);

    // Carol comes in at the basket's price: value ÷ supply.
    let carol = w.f.investor(1_000_000 * UNIT, false).await;
    w.f.deposit(&carol, SENIOR, 50_000 * UNIT).await.unwrap();
    let carol_basket = client::create_token_account(&mut w.f.chain, &w.b.mint, &carol.wallet.pubkey()).await.unwrap();
    let (value, supply) = (w.value().await, w.basket().await.supply);
    let senior = w.f.pool().await.tranches[0];
    let expected =
        tokens_for_exchange_in(holding_value(5_000 * UNIT, senior.value, senior.supply), 200, value, supply).unwrap();
    // The SDK's preview is the program's own planning.
    let now = w.f.now().await;
    let preview = sluice_sdk::preview::basket_exchange_in(&w.view().await, 0, 5_000 * UNIT, now);
    assert_eq!(preview, Some(expected));
    w.f.chain.send(&[w.exchange_in(&carol, &carol_basket, 0, 5_000 * UNIT)], &[&carol.wallet]).await.unwrap();
    assert_eq!(w.f.balance(&carol_basket).await, expected);

    // Straight back out: an in-kind slice worth no more than Carol put in.
    let before = w.f.balance(&carol.tranches[0]).await;
    let basket = w.basket().await;
    let slice = share_out(basket.constituents[0].held, expected, basket.supply);
    assert_eq!(sluice_sdk::preview::basket_exchange_out(&w.view().await, expected), Some(vec![slice, 0, 0]));
    w.f.chain.send(&[w.exchange_out(&carol, &carol_basket, expected)], &[&carol.wallet]).await.unwrap();
    let got = w.f.balance(&carol.tranches[0]).await - before;
    assert_eq!(got, slice);
    assert!(got < 5_000 * UNIT, "carol took back {got} of 5,000");
    assert_eq!(w.f.balance(&carol_basket).await, 0);
    // Those who stay are no worse off per basket token.
    let after = w.basket().await;
    assert!(w.value().await as u128 * basket.supply as u128 >= value as u128 * after.supply as u128);
}

#[tokio::test]
async fn a_default_lowers_the_basket_by_that_constituents_loss_and_no_more() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let idx = w.f.add_receivable(1_000_000 * UNIT, 1_000_000 * UNIT, 120, 0).await.unwrap();
    w.f.reprice().await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 100_000 * UNIT)], &[&bob]).await.unwrap();
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 1, 20_000 * UNIT)], &[&bob]).await.unwrap();
    let before = w.f.pool().await;
    let value_before = w.value().await;

    // Half the receivable defaults: the junior absorbs it, the senior is untouched.
    let issuer = w.f.issuer.insecure_clone();
    w.f.chain.send(&[ix::write_down(&issuer.pubkey(), &w.f.keys, idx, 500_000 * UNIT)], &[&issuer]).await.unwrap();
    w.f.reprice().await.unwrap();
    let after = w.f.pool().await;
    assert_eq!(after.tranches[0].value, after.tranches[0].claim, "the senior is whole");
    let basket = w.basket().await;
    let held = |i: usize| basket.constituents[i].held;
    let loss = |i: usize| {
        holding_value(held(i), before.tranches[[0, 2][i]].value, before.tranches[[0, 2][i]].supply)
            - holding_value(held(i), after.tranches[[0, 2][i]].value, after.tranches[[0, 2][i]].supply)
    };
    assert_eq!(loss(0), 0);
    assert!(loss(1) > 0);
    assert_eq!(value_before - w.value().await, loss(1), "the basket falls by its junior's loss, exactly");
}

#[tokio::test]
async fn exchanges_in_are_refused_by_name_and_change_nothing() {
    let mut w = basket_world().await;
    let (bob, bob_basket) = (w.bob.wallet.insecure_clone(), w.bob_basket);
    let watched = w.watched();
    let issuer = w.f.issuer.insecure_clone();

    // Every constituent's pool must price the basket.
    let mut short = w.exchange_in(&w.bob, &bob_basket, 0, UNIT);
    short.accounts.pop();
    w.f.expect_rejected(&[short], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;
    // Over the junior's 30 % cap of basket value.
    let over = w.exchange_in(&w.bob, &bob_basket, 1, 10_000 * UNIT);
    w.f.expect_rejected(&[over], &[&bob], SluiceError::ConcentrationCapExceeded, &watched).await;
    // Nothing priced from old numbers: new rates make the NAV stale.
    w.f.publish(800).await.unwrap();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, UNIT)], &[&bob], SluiceError::NavStale, &watched).await;
    w.f.reprice().await.unwrap();
    // Disabled by the authority.
    let disable = ConstituentArgs { enabled: false, ..SENIOR_TERMS };
    w.f.chain
        .send(&[ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, disable)], &[&issuer])
        .await
        .unwrap();
    w.f.expect_rejected(
        &[w.exchange_in(&w.bob, &bob_basket, 0, UNIT)],
        &[&bob],
        SluiceError::ConstituentDisabled,
        &watched,
    )
    .await;
    w.f.chain
        .send(&[ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 0, SENIOR_TERMS)], &[&issuer])
        .await
        .unwrap();
    // Paused by the guardian — exchanges out still work.
    w.f.chain.send(&[w.exchange_in(&w.bob, &bob_basket, 0, 1_000 * UNIT)], &[&bob]).await.unwrap();
    let g = w.f.guardian.insecure_clone();
    w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &w.b, true)], &[&g]).await.unwrap();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, UNIT)], &[&bob], SluiceError::BasketPaused, &watched)
        .await;
    let held = w.f.balance(&bob_basket).await;
    w.f.chain.send(&[w.exchange_out(&w.bob, &bob_basket, held)], &[&bob]).await.unwrap();
    assert_eq!(w.basket().await.supply, 0);
    w.f.chain.send(&[ix::set_basket_paused(&g.pubkey(), &w.b, false)], &[&g]).await.unwrap();
    // A pool in Crisis is no constituent to buy into.
    w.f.chain.send(&[ix::force_crisis(&g.pubkey(), &w.f.keys.pool)], &[&g]).await.unwrap();
    w.f.expect_rejected(&[w.exchange_in(&w.bob, &bob_basket, 0, UNIT)], &[&bob], SluiceError::WrongStage, &watched)
        .await;
}

#[tokio::test]
async fn constituents_are_admitted_only_within_their_rules() {
    let mut w = basket_world().await;
    let issuer = w.f.issuer.insecure_clone();
    let basket = [w.b.basket];
    // A junior needs explicit permission and at least a 20 % haircut.
    let b2 = BasketKeys::new(&issuer.pubkey(), 2, w.f.keys.base_mint, w.f.keys.base_token_program);
    let args = CreateBasketArgs { basket_id: 2, guardian: w.f.guardian.pubkey(), params: BasketParams::DEFAULT };
    w.f.chain.send(&[ix::create_basket(&issuer.pubkey(), &b2, args)], &[&issuer]).await.unwrap();
    for terms in [
        ConstituentArgs { allow_junior: false, ..JUNIOR_TERMS },
        ConstituentArgs { haircut_bps: 1_999, ..JUNIOR_TERMS },
    ] {
        let add = ix::add_constituent(&issuer.pubkey(), &b2, &w.f.keys, JUNIOR, terms);
        w.f.expect_rejected(&[add], &[&issuer], SluiceError::JuniorConstituent, &[b2.basket]).await;
    }
    // Terms out of bounds.
    let greedy = ConstituentArgs { haircut_bps: 5_001, ..SENIOR_TERMS };
    let add = ix::add_constituent(&issuer.pubkey(), &b2, &w.f.keys, MEZZANINE, greedy);
    w.f.expect_rejected(&[add], &[&issuer], SluiceError::InvalidParams, &[b2.basket]).await;
    // Twice the same tranche.
    let again = ix::add_constituent(&issuer.pubkey(), &w.b, &w.f.keys, SENIOR, SENIOR_TERMS);
    w.f.expect_rejected(&[again], &[&issuer], SluiceError::ConstituentExists, &basket).await;
    // Only the authority.
    let mallory = w.f.investor(0, false).await;
    let theirs = ix::add_constituent(&mallory.wallet.pubkey(), &w.b, &w.f.keys, MEZZANINE, SENIOR_TERMS);
    w.f.expect_rejected(&[theirs], &[&mallory.wallet], SluiceError::NotAuthority, &basket).await;
    // A mint that is not the named pool's tranche (here the basket's own token).
    let foreign_mint = w.b.mint;
    let mut foreign = ix::add_constituent(&issuer.pubkey(), &w.b, &w.f.keys, MEZZANINE, SENIOR_TERMS);
    foreign.accounts[3].pubkey = foreign_mint;
    foreign.accounts[4].pubkey = pda::basket_vault(&w.b.basket, &foreign_mint);
    w.f.expect_rejected(&[foreign], &[&issuer], SluiceError::UnknownTranche, &basket).await;
}

#[tokio::test]
async fn a_permissioned_constituent_takes_only_members() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(20_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    let keys = BasketKeys::new(&issuer.pubkey(), 1, f.keys.base_mint, f.keys.base_token_program);
    let add = ix::add_constituent(&issuer.pubkey(), &keys, &f.keys, SENIOR, SENIOR_TERMS);
    let b = create_basket(&mut f, &[add]).await;
    // Alice's tokens cannot even reach a wallet the issuer never admitted: its account is
    // frozen, and only a member's is thawed.
    let outsider = f.investor(0, false).await;
    let moved = ix::token::transfer(
        &ix::TOKEN_2022,
        &alice.tranches[0],
        &outsider.tranches[0],
        &alice.wallet.pubkey(),
        1_000 * UNIT,
    );
    assert!(f.chain.send(&[moved], &[&alice.wallet]).await.is_err(), "a non-member's tranche account is frozen");
    // The basket holds tranche tokens like any holder: the issuer admits it, then anyone
    // thaws its vault.
    let expires = f.now().await + 365 * 86_400;
    f.set_member(&b.basket, expires).await.unwrap();
    let vault = pda::basket_vault(&b.basket, &f.keys.tranche_mint(SENIOR));
    let thaw = ix::thaw_holder(&alice.wallet.pubkey(), &f.keys.pool, SENIOR, &vault, &b.basket);
    f.chain.send(&[thaw], &[&alice.wallet]).await.unwrap();
    let account = client::create_token_account(&mut f.chain, &b.mint, &outsider.wallet.pubkey()).await.unwrap();
    let (keys, basket) = (f.keys, b);
    let exchange = move |inv: &Investor, to: &Pubkey, member: Option<Pubkey>| {
        ix::exchange_in(
            &inv.wallet.pubkey(),
            &basket,
            &keys.tranche_mint(SENIOR),
            &inv.tranches[0],
            to,
            member,
            &[keys.pool],
            ExchangeInArgs { index: 0, tokens: 1_000 * UNIT, min_out: 0 },
        )
    };
    let refused = exchange(&outsider, &account, Some(pda::member(&f.keys.pool, &outsider.wallet.pubkey())));
    f.expect_rejected(&[refused], &[&outsider.wallet], SluiceError::NotMember, &[b.basket, account]).await;
    let alice_account = client::create_token_account(&mut f.chain, &b.mint, &alice.wallet.pubkey()).await.unwrap();
    let member = Some(pda::member(&f.keys.pool, &alice.wallet.pubkey()));
    let accepted = exchange(&alice, &alice_account, member);
    f.chain.send(&[accepted], &[&alice.wallet]).await.unwrap();
    assert!(f.balance(&alice_account).await > 0);
}

#[tokio::test]
async fn the_basket_changes_hands_in_two_steps() {
    let mut w = basket_world().await;
    let issuer = w.f.issuer.insecure_clone();
    let heir = w.f.investor(UNIT, false).await.wallet;
    let stranger = w.f.investor(UNIT, false).await.wallet;
    let basket = [w.b.basket];
    // Nothing proposed yet; only the authority proposes; only the proposed key accepts.
    let accept = ix::accept_basket_authority(&heir.pubkey(), &w.b);
    w.f.expect_rejected(std::slice::from_ref(&accept), &[&heir], SluiceError::NoPendingAuthority, &basket).await;
    let hijack = ix::propose_basket_authority(&stranger.pubkey(), &w.b, stranger.pubkey());
    w.f.expect_rejected(&[hijack], &[&stranger], SluiceError::NotAuthority, &basket).await;
    let propose = ix::propose_basket_authority(&issuer.pubkey(), &w.b, heir.pubkey());
    w.f.chain.send(&[propose], &[&issuer]).await.unwrap();
    assert_eq!(w.basket().await.authority, issuer.pubkey(), "a proposal changes nothing yet");
    let early = ix::accept_basket_authority(&stranger.pubkey(), &w.b);
    w.f.expect_rejected(&[early], &[&stranger], SluiceError::NotPendingAuthority, &basket).await;
    w.f.chain.send(&[accept], &[&heir]).await.unwrap();
    let b = w.basket().await;
    assert_eq!((b.authority, b.pending_authority), (heir.pubkey(), Pubkey::default()));
    // The old authority is now a stranger to the basket.
    let old = ix::set_basket_params(&issuer.pubkey(), &w.b, BasketParams::DEFAULT);
    w.f.expect_rejected(&[old], &[&issuer], SluiceError::NotAuthority, &basket).await;
    w.f.chain.send(&[ix::set_basket_params(&heir.pubkey(), &w.b, BasketParams::DEFAULT)], &[&heir]).await.unwrap();
}
