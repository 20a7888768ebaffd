//! The basket's sleeve: `rebalance` fills it through the constituents' own queues and
//! spends a surplus on deposits at NAV; `redeem_basket` pays from it within the window cap
//! and above the floor; the basket's requests are pull-only; a month of daily sleeve
//! redemptions stays within the band.

use sluice::error::SluiceError;
use sluice::instructions::{ConstituentArgs, ExchangeOutArgs, RebalanceAction};
use sluice::math::basket::{holding_value, redeem_out};
use sluice::math::tokens::tokens_for_deposit;
use sluice::state::{BasketParams, PARK_AFTER_SECS};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::{client, ix, preview};
use solana_signer::Signer;

use sluice_tests::basket::*;
use sluice_tests::*;

const DAY: i64 = 86_400;

/// Bob moves 200,000 senior and 50,000 junior tokens into the basket.
async fn bob_exchanges_in(w: &mut BasketWorld) {
    let bob = w.bob.wallet.insecure_clone();
    let (senior, junior) = (
        w.exchange_in(&w.bob, &w.bob_basket, 0, 200_000 * UNIT),
        w.exchange_in(&w.bob, &w.bob_basket, 1, 50_000 * UNIT),
    );
    w.f.chain.send(&[senior, junior], &[&bob]).await.unwrap();
}

/// A new day: fresh rates and NAV, the batches run, the keeper tends the basket.
async fn next_day(
    w: &mut BasketWorld,
    keeper: &(solana_keypair::Keypair, sluice_sdk::Pubkey),
    queues: &[sluice_sdk::ix::QueueKeys],
) {
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    w.run_batches(keeper, queues).await;
    w.keep(&keeper.0).await;
}

#[tokio::test]
async fn rebalance_fills_the_sleeve_through_the_queue_and_redeem_pays_from_it() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    let value = w.value().await;
    let now = w.f.now().await;

    // An empty sleeve: the rule asks the senior queue (furthest above its 60 % target) for
    // tokens worth the whole 10 % target, rounded up.
    let (collect, action) = preview::basket_rebalance(&w.view().await, now).unwrap();
    assert!(collect.is_empty());
    let senior = w.f.pool().await.tranches[SENIOR as usize];
    let want = (value as u128 / 10 * senior.supply as u128).div_ceil(senior.value as u128) as u64;
    assert_eq!(action, RebalanceAction::Request { index: 0, tokens: want });

    // The crank must act on that constituent; nothing changes otherwise.
    let watched = w.watched();
    let wrong = w.rebalance_ix(&keeper.0.pubkey(), 1).await;
    w.f.expect_rejected(&[wrong], &[&keeper.0], SluiceError::WrongConstituent, &watched).await;

    let held_before = w.basket().await.constituents[0].held;
    w.rebalance(&keeper.0, 0).await.unwrap();
    let basket = w.basket().await;
    let c = basket.constituents[0];
    assert!(c.request_open);
    assert_eq!(c.held, held_before - want);
    let request = w.f.queued(&queues[0], c.request_id).await;
    assert_eq!((request.owner, request.remaining, request.pull_only), (w.b.basket, want, 1));
    // Tokens in the queue still count, at NAV: the value did not move.
    assert_eq!(w.value().await, value);
    // With the request in flight, nothing more to do.
    let again = w.rebalance_ix(&keeper.0.pubkey(), 0).await;
    w.f.expect_rejected(&[again], &[&keeper.0], SluiceError::NothingToRebalance, &w.watched()).await;

    // The basket is a large holder (its request is worth more than the instant threshold):
    // paid in installments. Each day the batch pays, the keeper collects into the sleeve.
    let mut sleeve = 0;
    for _ in 0..3 {
        next_day(&mut w, &keeper, &queues).await;
        let b = w.basket().await;
        assert!(b.sleeve_balance > sleeve, "the sleeve grows: {} after {sleeve}", b.sleeve_balance);
        sleeve = b.sleeve_balance;
        assert_eq!(w.f.balance(&w.b.sleeve).await, sleeve);
    }

    // Nobody can push the basket's claim away or park it: only the basket collects.
    next_day(&mut w, &keeper, &queues).await;
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    w.run_batches(&keeper, &queues).await;
    let c = w.basket().await.constituents[0];
    let paid = w.f.queued(&queues[0], c.request_id).await.claimable;
    assert!(paid > 0);
    let push = ix::push_claims(&keeper.0.pubkey(), &w.f.keys, &queues[0], &keeper.1, &[(c.request_id, w.b.sleeve)]);
    w.f.expect_rejected(&[push], &[&keeper.0], SluiceError::NothingToClaim, &[w.b.sleeve]).await;
    assert_eq!(w.f.queued(&queues[0], c.request_id).await.claimable, paid);
    w.keep(&keeper.0).await;
    assert_eq!(w.f.balance(&w.b.sleeve).await, w.basket().await.sleeve_balance);

    // Redeem from the sleeve: the holder's share of the value, floored; the price of the
    // tokens that stay does not fall.
    let bob = w.bob.wallet.insecure_clone();
    let (value, supply) = (w.value().await, w.basket().await.supply);
    let price = w.price_e12().await;
    let tokens = 3_000 * UNIT;
    let expected = redeem_out(tokens, value, supply);
    let now = w.f.now().await;
    assert_eq!(preview::basket_redeem(&w.view().await, tokens, now).unwrap(), expected);
    let base_before = w.f.balance(&w.bob.base).await;
    let redeem = w.bob_redeem_ix(tokens, expected).await;
    w.f.chain.send(&[redeem], &[&bob]).await.unwrap();
    assert_eq!(w.f.balance(&w.bob.base).await - base_before, expected);
    assert!(w.price_e12().await >= price);
    let b = w.basket().await;
    assert_eq!((b.supply, b.redeemed_in_window(now)), (supply - tokens, expected));
    assert_eq!(client::mint_supply(&mut w.f.chain, &w.b.mint).await.unwrap(), b.supply);

    // Beyond the floor: refused, nothing changed. With a 5 % floor, a payout `out` is too
    // much once sleeve − out < 5 % · (value − out).
    let issuer = w.f.issuer.insecure_clone();
    let strict = BasketParams { sleeve_floor_bps: 500, ..BasketParams::DEFAULT };
    w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &w.b, strict)], &[&issuer]).await.unwrap();
    let watched = w.watched();
    let b = w.basket().await;
    let value = w.value().await;
    let allowed = (b.sleeve_balance as u128 * 10_000 - 500 * value as u128) / 9_500;
    let too_much = ((allowed + UNIT as u128) * b.supply as u128).div_ceil(value as u128) as u64;
    let ix = w.bob_redeem_ix(too_much, 0).await;
    w.f.expect_rejected(&[ix], &[&bob], SluiceError::SleeveBelowFloor, &watched).await;
    // Less than asked for: refused.
    let ix = w.bob_redeem_ix(UNIT, 2 * UNIT).await;
    w.f.expect_rejected(&[ix], &[&bob], SluiceError::SlippageExceeded, &watched).await;

    // The rolling 24 h cap: with no floor, a second redemption that would take the window
    // past 5 % of value is refused; once the earlier one's hour is more than 24 hours old,
    // it passes.
    let loose = BasketParams { sleeve_floor_bps: 0, ..BasketParams::DEFAULT };
    w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &w.b, loose)], &[&issuer]).await.unwrap();
    let b = w.basket().await;
    let value = w.value().await;
    let now = w.f.now().await;
    let room = value / 20 - b.redeemed_in_window(now);
    let beyond = ((room + UNIT) as u128 * b.supply as u128).div_ceil(value as u128) as u64;
    assert!(redeem_out(beyond, value, b.supply) <= b.sleeve_balance, "the sleeve could pay it");
    let ix = w.bob_redeem_ix(beyond, 0).await;
    w.f.expect_rejected(&[ix], &[&bob], SluiceError::RedeemWindowExceeded, &w.watched()).await;
    w.f.chain.advance_clock(DAY).await.unwrap();
    w.f.refresh().await;
    let ix = w.bob_redeem_ix(beyond, 0).await;
    w.f.expect_rejected(&[ix], &[&bob], SluiceError::RedeemWindowExceeded, &w.watched()).await;
    w.f.chain.advance_clock(3_600).await.unwrap();
    w.f.refresh().await;
    let ix = w.bob_redeem_ix(beyond, 0).await;
    w.f.chain.send(&[ix], &[&bob]).await.unwrap();
    let stranger = w.f.investor(UNIT, false).await;
    w.f.expect_rejected(
        &[ix::set_basket_params(&stranger.wallet.pubkey(), &w.b, BasketParams::DEFAULT)],
        &[&stranger.wallet],
        SluiceError::NotAuthority,
        &[w.b.basket],
    )
    .await;
    let bad = BasketParams { sleeve_floor_bps: 900, ..BasketParams::DEFAULT };
    w.f.expect_rejected(
        &[ix::set_basket_params(&issuer.pubkey(), &w.b, bad)],
        &[&issuer],
        SluiceError::InvalidParams,
        &[w.b.basket],
    )
    .await;
}

#[tokio::test]
async fn the_baskets_request_cannot_be_parked_and_exchange_out_counts_it() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    w.keep(&keeper.0).await;
    let c = w.basket().await.constituents[0];
    assert!(c.request_open);

    // Pricing without the open request's queue is refused.
    let bob = w.bob.wallet.insecure_clone();
    let stale_view = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT);
    w.f.expect_rejected(&[stale_view], &[&bob], SluiceError::ConstituentPoolsMissing, &w.watched()).await;

    // An exchange out of a tenth of the supply is paid a tenth of the senior tokens the
    // basket holds *and* has in the queue, from the vault; nothing of value stays behind.
    let view = w.view().await;
    let supply = view.basket.supply;
    let tenth = supply / 10;
    let slices = preview::basket_exchange_out(&view, tenth).unwrap();
    let in_queue = view.flights[0].tokens;
    assert_eq!(slices[0], ((c.held + in_queue) as u128 * tenth as u128 / supply as u128) as u64);
    let out_ix = |w: &BasketWorld, tokens: u64, queues: &[sluice_sdk::Pubkey]| {
        let slices = [
            (w.f.keys.tranche_mint(SENIOR), w.bob.tranches[SENIOR as usize]),
            (w.f.keys.tranche_mint(JUNIOR), w.bob.tranches[JUNIOR as usize]),
        ];
        let args = ExchangeOutArgs { tokens, min_outs: vec![0; 3] };
        ix::exchange_out(&w.bob.wallet.pubkey(), &w.b, &w.bob_basket, &w.bob.base, &slices, queues, args)
    };
    let before = w.f.balance(&w.bob.tranches[SENIOR as usize]).await;
    w.f.chain.send(&[out_ix(&w, tenth, &view.open_queues())], &[&bob]).await.unwrap();
    assert_eq!(w.f.balance(&w.bob.tranches[SENIOR as usize]).await - before, slices[0]);

    // Everything at once would need the tokens in the queue: refused until collected.
    let all = w.basket().await.supply;
    let view = w.view().await;
    assert_eq!(preview::basket_exchange_out(&view, all), None);
    w.f.expect_rejected(&[out_ix(&w, all, &view.open_queues())], &[&bob], SluiceError::InFlightShortfall, &w.watched())
        .await;

    // A month later the request is fully paid but not collected: parking it is refused;
    // the keeper's rebalance collects it and frees the front of the queue.
    for _ in 0..8 {
        w.f.chain.advance_clock(DAY).await.unwrap();
        w.f.refresh().await;
        w.run_batches(&keeper, &queues).await;
    }
    w.f.chain.advance_clock(PARK_AFTER_SECS).await.unwrap();
    w.f.refresh().await;
    let r = w.f.queued(&queues[0], c.request_id).await;
    assert_eq!(r.remaining, 0);
    let park = ix::park_claim(&keeper.0.pubkey(), &w.f.keys, &queues[0], c.request_id);
    w.f.expect_rejected(&[park], &[&keeper.0], SluiceError::PullOnlyRequest, &[w.b.sleeve]).await;
    let sleeve = w.basket().await.sleeve_balance;
    w.rebalance(&keeper.0, 0).await.unwrap();
    let b = w.basket().await;
    assert!(!b.constituents[0].request_open);
    assert_eq!(b.sleeve_balance, sleeve + r.claimable);
    assert_eq!(w.f.pool().await.tranches[SENIOR as usize].queue_head, c.request_id + 1);
}

#[tokio::test]
async fn a_surplus_is_deposited_at_nav_into_the_constituent_furthest_below_target() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    // Fill the sleeve to its 10 % target and let the request finish.
    for _ in 0..10 {
        next_day(&mut w, &keeper, &queues).await;
    }
    let b = w.basket().await;
    assert!(!b.constituents[0].request_open);
    let value = w.value().await;
    assert!(b.sleeve_balance >= value / 10, "sleeve {} of {value}", b.sleeve_balance);

    // Now the policy wants a 5 % sleeve and the junior at 30 %: the surplus over 5 % buys
    // junior tokens at NAV, up to the junior's shortfall to its target.
    let issuer = w.f.issuer.insecure_clone();
    let params = BasketParams { sleeve_target_bps: 500, sleeve_band_bps: 100, ..BasketParams::DEFAULT };
    w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &w.b, params)], &[&issuer]).await.unwrap();
    let junior_terms = ConstituentArgs { target_bps: 3_000, ..JUNIOR_TERMS };
    let tune = ix::update_constituent(&issuer.pubkey(), &w.b, &w.f.keys.pool, 1, junior_terms);
    w.f.chain.send(&[tune], &[&issuer]).await.unwrap();

    let view = w.view().await;
    let now = w.f.now().await;
    let (value, values) = view.value(now).unwrap();
    let surplus = view.basket.sleeve_balance - value / 20;
    let deficit = value as u128 * 3_000 / 10_000 - values[1] as u128;
    let amount = surplus.min(deficit as u64);
    let (_, action) = preview::basket_rebalance(&view, now).unwrap();
    assert_eq!(action, RebalanceAction::Deposit { index: 1, amount });
    let junior = w.f.pool().await.tranches[JUNIOR as usize];
    let expected = tokens_for_deposit(amount, junior.value, junior.supply).unwrap();
    let held = view.basket.constituents[1].held;
    w.rebalance(&keeper.0, 1).await.unwrap();
    let b = w.basket().await;
    assert_eq!(b.constituents[1].held, held + expected);
    assert_eq!(b.sleeve_balance, view.basket.sleeve_balance - amount);
    assert_eq!(w.f.balance(&w.vault(JUNIOR)).await, b.constituents[1].held);
    // At NAV: the basket lost at most the deposit's rounding (under one junior token).
    let after = w.value().await;
    let junior = w.f.pool().await.tranches[JUNIOR as usize];
    assert!(after <= value && value - after <= holding_value(1, junior.value, junior.supply) + 1, "{value} -> {after}");
}

#[tokio::test]
async fn a_month_of_daily_sleeve_redemptions_stays_within_the_band() {
    let (mut w, queues, keeper) = sleeve_world().await;
    bob_exchanges_in(&mut w).await;
    for _ in 0..8 {
        next_day(&mut w, &keeper, &queues).await;
    }
    let bob = w.bob.wallet.insecure_clone();
    let p = BasketParams::DEFAULT;
    let mut lowest_bps = u64::MAX;
    let mut paid = 0u64;
    for day in 0..30 {
        // The keeper's morning: batches pay, collections reach the sleeve, a refill is
        // queued for whatever is missing.
        next_day(&mut w, &keeper, &queues).await;
        let view = w.view().await;
        let now = w.f.now().await;
        let (value, _) = view.value(now).unwrap();
        let in_flight: u64 = sluice::instructions::open_requests(&view.basket)
            .map(|(j, c)| {
                let t = view.pools[j].tranches[c.tranche as usize];
                holding_value(view.flights[j].tokens, t.value, t.supply) + view.flights[j].cash
            })
            .sum();
        let sleeve = view.basket.sleeve_balance;
        let target = value as u128 * p.sleeve_target_bps as u128 / 10_000;
        let band = value as u128 * p.sleeve_band_bps as u128 / 10_000;
        let filling = sleeve as u128 + in_flight as u128;
        assert!(filling + band >= target && filling <= target + band, "day {day}: {filling} vs {target} ± {band}");
        lowest_bps = lowest_bps.min((sleeve as u128 * 10_000 / value as u128) as u64);
        // Then 1.5 % of the basket's value leaves through the sleeve, in three redemptions,
        // every one of them paid at once.
        for _ in 0..3 {
            let b = w.basket().await;
            let tokens = (b.supply as u128 * 50 / 10_000) as u64;
            let base = w.f.balance(&w.bob.base).await;
            let ix = w.bob_redeem_ix(tokens, 1).await;
            w.f.chain.send(&[ix], &[&bob]).await.unwrap_or_else(|e| panic!("day {day}: {e:?}"));
            paid += w.f.balance(&w.bob.base).await - base;
        }
    }
    assert!(lowest_bps >= p.sleeve_floor_bps as u64, "the sleeve fell to {lowest_bps} bps");
    println!("a month of sleeve redemptions: {} base units paid, sleeve never below {lowest_bps} bps", paid);
}
