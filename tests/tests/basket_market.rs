//! The basket token's own market: liquidity and swaps priced around the basket's DCF price
//! (exact quotes against the SDK preview, k and LP-share checks), its refusals, and the
//! sleeve's buy-back, which burns what it buys below the basket price — within the sleeve's
//! floor and the daily redemption cap — and so raises the price of every token that stays.

use sluice::error::SluiceError;
use sluice::instructions::BasketSwapArgs;
use sluice::math::amm::{deposit_for_lp, first_deposit_lp, isqrt, share_value_held, withdraw_for_lp, MIN_LIQUIDITY};
use sluice::math::basket::sleeve_above_floor;
use sluice::state::{BasketMarketParams, BasketParams};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::BasketTrader;
use sluice_sdk::{client, ix, preview};
use solana_signer::Signer;

use sluice_tests::market::*;
use sluice_tests::*;

const DAY: i64 = 86_400;
const E12: u128 = 1_000_000_000_000;

#[tokio::test]
async fn liquidity_and_swaps_both_ways_quote_exactly_and_never_lower_k_or_a_share() {
    let mut mw = market_world(0).await;
    let bob = mw.w.bob.wallet.insecure_clone();

    // Only the basket's authority opens its market; fees within bounds.
    let stranger = mw.w.f.investor(UNIT, false).await;
    let by_stranger =
        ix::create_basket_market(&stranger.wallet.pubkey(), &mw.w.b, &mw.m, BasketMarketParams::RECOMMENDED);
    let watched = mw.watched();
    mw.w.f.expect_rejected(&[by_stranger], &[&stranger.wallet], SluiceError::NotAuthority, &watched).await;
    let issuer = mw.w.f.issuer.insecure_clone();
    for bad in [
        BasketMarketParams { band_fee_cap_bps: 600, ..BasketMarketParams::RECOMMENDED },
        BasketMarketParams { buyback_discount_bps: 0, ..BasketMarketParams::RECOMMENDED },
        // A discount no larger than the fee a buy-back pays would not be accretive.
        BasketMarketParams { buyback_discount_bps: 230, ..BasketMarketParams::RECOMMENDED },
    ] {
        let create = ix::create_basket_market(&issuer.pubkey(), &mw.w.b, &mw.m, bad);
        mw.w.f.expect_rejected(&[create], &[&issuer], SluiceError::InvalidParams, &watched).await;
    }
    mw.create().await;
    let market = mw.market().await;
    assert_eq!(
        (market.basket, market.lp_mint, market.token_vault, market.base_vault, market.lp_supply),
        (mw.w.b.basket, mw.m.lp_mint, mw.m.token_vault, mw.m.base_vault, 0)
    );

    // An empty market: no swap.
    let swap = mw.swap_ix(true, 1_000 * UNIT, 0).await;
    mw.w.f.expect_rejected(&[swap], &[&bob], SluiceError::EmptyAmm, &mw.watched()).await;

    // First deposit: √(x·y) − 1,000 LP to Bob, 1,000 locked.
    let (x0, y0) = (100_000 * UNIT, (100_000 * UNIT as u128 * mw.w.price_e12().await / E12) as u64);
    let want = first_deposit_lp(x0, y0).unwrap();
    let too_much = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, want + 1, x0, y0);
    mw.w.f.expect_rejected(&[too_much], &[&bob], SluiceError::SlippageExceeded, &mw.watched()).await;
    let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, want, x0, y0);
    mw.w.f.chain.send(&[add], &[&bob]).await.unwrap();
    let lp_account = mw.bob.lp_account.unwrap();
    assert_eq!(mw.w.f.balance(&lp_account).await, want);
    assert_eq!(mw.market().await.lp_supply, isqrt(x0 as u128 * y0 as u128));
    assert_eq!(mw.reserves().await, (x0, y0));
    // The market opens at the basket price (up to rounding).
    let basket_price = mw.w.price_e12().await as u64;
    assert!(mw.market_price().await.abs_diff(basket_price) <= basket_price / 1_000_000);

    // A later deposit pays the rounded-up share, at most the maxima.
    let supply = mw.market().await.lp_supply;
    let lp = 1_000 * UNIT;
    let (dx, dy) = deposit_for_lp(lp, supply, x0, y0).unwrap();
    let short = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, lp, dx, dy - 1);
    mw.w.f.expect_rejected(&[short], &[&bob], SluiceError::SlippageExceeded, &mw.watched()).await;
    let add = ix::add_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, lp, dx, dy);
    mw.w.f.chain.send(&[add], &[&bob]).await.unwrap();
    let (x1, y1) = mw.reserves().await;
    assert_eq!((x1, y1), (x0 + dx, y0 + dy));
    assert!(share_value_held(x0, y0, supply, x1, y1, supply + lp));

    // Buy basket tokens with base tokens: exactly the preview, k does not fall; the price
    // moves above the basket price, so the band fee applies.
    let (tokens_before, base_before) = (mw.w.f.balance(&mw.w.bob_basket).await, mw.w.f.balance(&mw.w.bob.base).await);
    let k = mw.k().await;
    let q = mw.quote(true, 5_000 * UNIT).await;
    assert!(q.quote.fee_bps > BasketMarketParams::RECOMMENDED.base_fee_bps as u32);
    let tight = mw.swap_ix(true, 5_000 * UNIT, q.quote.amount_out + 1).await;
    mw.w.f.expect_rejected(&[tight], &[&bob], SluiceError::SlippageExceeded, &mw.watched()).await;
    let got = mw.bob_swap(true, 5_000 * UNIT).await;
    assert_eq!(got, q.quote.amount_out);
    assert_eq!(mw.w.f.balance(&mw.w.bob_basket).await - tokens_before, got);
    assert_eq!(base_before - mw.w.f.balance(&mw.w.bob.base).await, 5_000 * UNIT);
    assert_eq!(mw.market_price().await, q.quote.price_e12);
    assert!(mw.market_price().await > basket_price);
    assert!(mw.k().await >= k);

    // Sell basket tokens: exactly the preview, k does not fall.
    let (tokens_before, base_before) = (mw.w.f.balance(&mw.w.bob_basket).await, mw.w.f.balance(&mw.w.bob.base).await);
    let k = mw.k().await;
    let q = mw.quote(false, 8_000 * UNIT).await;
    let got = mw.bob_swap(false, 8_000 * UNIT).await;
    assert_eq!(got, q.quote.amount_out);
    assert_eq!(tokens_before - mw.w.f.balance(&mw.w.bob_basket).await, 8_000 * UNIT);
    assert_eq!(mw.w.f.balance(&mw.w.bob.base).await - base_before, got);
    assert!(mw.k().await >= k);
    assert!(mw.market_price().await < basket_price);
    // Swaps mint and burn nothing: the basket's books are untouched.
    let b = mw.w.basket().await;
    assert_eq!(client::mint_supply(&mut mw.w.f.chain, &mw.w.b.mint).await.unwrap(), b.supply);

    // Remove half of Bob's LP: the rounded-down share, at least the minima; a share's value
    // does not fall.
    let (x, y) = mw.reserves().await;
    let supply = mw.market().await.lp_supply;
    let half = mw.w.f.balance(&lp_account).await / 2;
    let (wx, wy) = withdraw_for_lp(half, supply, x, y).unwrap();
    let greedy = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, half, wx + 1, wy);
    mw.w.f.expect_rejected(&[greedy], &[&bob], SluiceError::SlippageExceeded, &mw.watched()).await;
    let (tokens_before, base_before) = (mw.w.f.balance(&mw.w.bob_basket).await, mw.w.f.balance(&mw.w.bob.base).await);
    let remove = ix::remove_basket_liquidity(&mw.w.b, &mw.m, &mw.bob, half, wx, wy);
    mw.w.f.chain.send(&[remove], &[&bob]).await.unwrap();
    assert_eq!(mw.w.f.balance(&mw.w.bob_basket).await - tokens_before, wx);
    assert_eq!(mw.w.f.balance(&mw.w.bob.base).await - base_before, wy);
    let (x2, y2) = mw.reserves().await;
    assert_eq!((x2, y2), (x - wx, y - wy));
    assert!(share_value_held(x, y, supply, x2, y2, supply - half));
    assert_eq!(mw.market().await.lp_supply, supply - half);
    assert_eq!(client::mint_supply(&mut mw.w.f.chain, &mw.m.lp_mint).await.unwrap() + MIN_LIQUIDITY, supply - half);
}

#[tokio::test]
async fn swaps_refuse_stale_navs_late_or_short_trades_and_foreign_accounts() {
    let mut mw = market_world(0).await;
    mw.open(100_000 * UNIT).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    let watched = mw.watched();

    // Past the deadline.
    let now = mw.w.f.now().await;
    let priced = mw.w.view().await.priced_accounts();
    let late = ix::swap_basket(
        &mw.w.b,
        &mw.m,
        &mw.bob,
        &priced,
        BasketSwapArgs { buy_basket: true, amount_in: 1_000 * UNIT, min_out: 0, deadline: now - 1 },
    );
    mw.w.f.expect_rejected(&[late], &[&bob], SluiceError::DeadlinePassed, &watched).await;

    // Nothing in.
    let zero = mw.swap_ix(false, 0, 0).await;
    mw.w.f.expect_rejected(&[zero], &[&bob], SluiceError::ZeroAmount, &watched).await;

    // A foreign vault: the sleeve passed as the market's base vault.
    let mut wrong_vault = mw.swap_ix(true, 1_000 * UNIT, 0).await;
    let at = wrong_vault.accounts.iter().position(|a| a.pubkey == mw.m.base_vault).unwrap();
    wrong_vault.accounts[at].pubkey = mw.w.b.sleeve;
    mw.w.f.expect_rejected(&[wrong_vault], &[&bob], SluiceError::WrongAccount, &watched).await;

    // A tranche-token account passed as Bob's basket-token account.
    let foreign = BasketTrader { token_account: mw.w.bob.tranches[SENIOR as usize], ..mw.bob };
    let priced = mw.w.view().await.priced_accounts();
    let deadline = mw.w.f.now().await + 60;
    let wrong_mint = ix::swap_basket(
        &mw.w.b,
        &mw.m,
        &foreign,
        &priced,
        BasketSwapArgs { buy_basket: true, amount_in: 1_000 * UNIT, min_out: 0, deadline },
    );
    mw.w.f.expect_rejected(&[wrong_mint], &[&bob], SluiceError::WrongAccount, &watched).await;

    // Without the constituents' pools the basket cannot be priced.
    let mut unpriced = mw.swap_ix(true, 1_000 * UNIT, 0).await;
    unpriced.accounts.pop();
    mw.w.f.expect_rejected(&[unpriced], &[&bob], SluiceError::ConstituentPoolsMissing, &watched).await;

    // A stale NAV: the fee band has no price to stand on.
    mw.w.f.chain.advance_clock(3_600).await.unwrap();
    let stale = mw.swap_ix(true, 1_000 * UNIT, 0).await;
    mw.w.f.expect_rejected(&[stale], &[&bob], SluiceError::NavStale, &watched).await;
    let now = mw.w.f.now().await;
    let view = mw.w.view().await;
    let (market, reserves) = (mw.market().await, mw.reserves().await);
    let err = preview::basket_swap_quote(&view, &market, reserves, true, 1_000 * UNIT, now).unwrap_err();
    assert_eq!(err, SluiceError::NavStale.into());
    mw.w.f.refresh().await;
    mw.bob_swap(true, 1_000 * UNIT).await;
}

#[tokio::test]
async fn a_buyback_below_the_basket_price_burns_and_raises_the_price_for_those_who_stay() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    let sleeve = mw.w.basket().await.sleeve_balance;
    assert!(sleeve > 0, "the sleeve filled");

    // At the basket price there is nothing to buy.
    let at_price = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[at_price], &[], SluiceError::NothingToProcess, &mw.watched()).await;

    // Bob dumps basket tokens: the market price falls well under the trigger.
    mw.bob_swap(false, 8_000 * UNIT).await;
    let basket_price = mw.w.price_e12().await;
    let trigger =
        (basket_price * (10_000 - BasketMarketParams::RECOMMENDED.buyback_discount_bps as u128) / 10_000) as u64;
    let dumped = mw.market_price().await;
    assert!(dumped < trigger, "{dumped} under {trigger}");
    // At once it is not bought on: the time-weighted price has not seen the discount.
    let at_once = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[at_once], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    mw.let_it_stand().await;

    // Not while the basket is paused.
    let guardian = mw.w.f.guardian.insecure_clone();
    mw.w.f.chain.send(&[ix::set_basket_paused(&guardian.pubkey(), &mw.w.b, true)], &[&guardian]).await.unwrap();
    let paused = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[paused], &[], SluiceError::BasketPaused, &mw.watched()).await;
    mw.w.f.chain.send(&[ix::set_basket_paused(&guardian.pubkey(), &mw.w.b, false)], &[&guardian]).await.unwrap();

    // The lift binds here (not the floor, nor the cap): the preview says what it spends.
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    let b = mw.w.basket().await;
    let value = mw.w.value().await;
    assert_eq!(plan.value, value);
    assert!(plan.spend < value / 20 - b.redeemed_in_window(mw.w.f.now().await));
    let (x, y) = mw.reserves().await;
    let bob_tokens = mw.w.f.balance(&mw.w.bob_basket).await;
    let bob_worth_before = bob_tokens as u128 * basket_price;

    // A cap below the lift: the crank spends exactly `max_base`.
    let small = plan.spend / 4;
    let capped = mw.buyback_plan(small).await.unwrap();
    assert_eq!(capped.spend, small);
    let ix = mw.buyback_ix(small).await;
    mw.w.f.chain.send(&[ix], &[]).await.unwrap();
    let after_small = mw.reserves().await;
    assert_eq!(after_small, (x - capped.quote.amount_out, y + small));

    // Then the rest, up to the trigger, once the new price has stood.
    mw.let_it_stand().await;
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    let (x, y) = mw.reserves().await;
    let (b, supply_mint) = (mw.w.basket().await, client::mint_supply(&mut mw.w.f.chain, &mw.w.b.mint).await.unwrap());
    assert_eq!(supply_mint, b.supply);
    let price_before = mw.w.price_e12().await;
    let ix = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[ix], &[]).await.unwrap();

    let after = mw.w.basket().await;
    assert_eq!(after.supply, b.supply - plan.quote.amount_out, "the tokens bought are burned");
    assert_eq!(client::mint_supply(&mut mw.w.f.chain, &mw.w.b.mint).await.unwrap(), after.supply);
    assert_eq!(after.sleeve_balance, b.sleeve_balance - plan.spend);
    assert_eq!(mw.w.f.balance(&mw.w.b.sleeve).await, after.sleeve_balance);
    assert_eq!(mw.reserves().await, (x - plan.quote.amount_out, y + plan.spend));
    assert_eq!(after.redeemed_in_window(mw.w.f.now().await), small + plan.spend, "counted against the daily cap");
    let market = mw.market().await;
    assert_eq!(
        (market.bought_back, market.buyback_spent),
        (capped.quote.amount_out + plan.quote.amount_out, small + plan.spend)
    );

    // The market price is lifted to the trigger, never beyond it.
    let lifted = mw.market_price().await;
    assert!(lifted <= plan.trigger_e12, "{lifted} at most {}", plan.trigger_e12);
    assert!(lifted >= plan.trigger_e12 - plan.trigger_e12 / 200, "{lifted} near {}", plan.trigger_e12);
    // Bought below the price and burned: the value per token rose, for Bob who stayed.
    let price_after = mw.w.price_e12().await;
    assert!(
        price_after > price_before && price_before > basket_price,
        "{basket_price} → {price_before} → {price_after}"
    );
    assert_eq!(mw.w.f.balance(&mw.w.bob_basket).await, bob_tokens);
    assert!(bob_tokens as u128 * price_after > bob_worth_before);
}

#[tokio::test]
async fn the_buyback_shares_the_daily_cap_with_redemptions_and_keeps_the_floor() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    // A heavy dump: lifting back to the trigger would take more than the day's cap.
    mw.bob_swap(false, 40_000 * UNIT).await;
    mw.let_it_stand().await;
    let now = mw.w.f.now().await;
    let (b, value) = (mw.w.basket().await, mw.w.value().await);
    let window_left = value / 20 - b.redeemed_in_window(now);
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    assert_eq!(plan.spend, window_left, "the cap binds");
    let ix = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[ix], &[]).await.unwrap();
    assert!(mw.market_price().await < plan.trigger_e12);

    // The window is spent: no more buy-backs, and no sleeve redemptions either.
    let again = mw.buyback_ix(u64::MAX).await;
    mw.w.f.expect_rejected(&[again], &[], SluiceError::NothingToProcess, &mw.watched()).await;
    let redeem = mw.w.bob_redeem_ix(100 * UNIT, 0).await;
    let bob = mw.w.bob.wallet.insecure_clone();
    mw.w.f.expect_rejected(&[redeem], &[&bob], SluiceError::RedeemWindowExceeded, &mw.watched()).await;

    // A day later the window has rolled; with a floor of 4 % the floor binds now.
    mw.w.f.chain.advance_clock(DAY + 3_600).await.unwrap();
    mw.w.f.refresh().await;
    let issuer = mw.w.f.issuer.insecure_clone();
    let strict = BasketParams { sleeve_floor_bps: 400, ..BasketParams::DEFAULT };
    mw.w.f.chain.send(&[ix::set_basket_params(&issuer.pubkey(), &mw.w.b, strict)], &[&issuer]).await.unwrap();
    let (b, value) = (mw.w.basket().await, mw.w.value().await);
    let room = sluice::instructions::sleeve_room_above_floor(b.sleeve_balance, value, 400);
    assert!(room > 0 && room < value / 20, "room {room} of {value}, sleeve {}", b.sleeve_balance);
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    assert_eq!(plan.spend, room, "the floor binds");
    let ix = mw.buyback_ix(u64::MAX).await;
    mw.w.f.chain.send(&[ix], &[]).await.unwrap();
    let (b, value) = (mw.w.basket().await, mw.w.value().await);
    assert!(sleeve_above_floor(b.sleeve_balance, value, 400));
    // Nothing is left above the floor (up to one unit of rounding).
    assert!(sluice::instructions::sleeve_room_above_floor(b.sleeve_balance, value, 400) <= 1);
}

/// The keeper's pass (`sluice_sdk::keeper::tend_basket`) finds the market under the trigger
/// and buys back with the plan's spend; at the basket price it sends nothing.
#[tokio::test]
async fn the_keeper_buys_back_when_the_market_trades_under_the_trigger() {
    let mut mw = market_world(10).await;
    mw.open(100_000 * UNIT).await;
    let keeper = mw.keeper.0.insecure_clone();
    let quiet = sluice_sdk::keeper::tend_basket(&mut mw.w.f.chain, &keeper, &mw.w.b.basket).await.unwrap();
    assert_eq!(quiet.bought_back, 0);
    mw.bob_swap(false, 8_000 * UNIT).await;
    mw.let_it_stand().await;
    let plan = mw.buyback_plan(u64::MAX).await.unwrap();
    let (supply, sleeve) = (mw.w.basket().await.supply, mw.w.basket().await.sleeve_balance);
    let report = sluice_sdk::keeper::tend_basket(&mut mw.w.f.chain, &keeper, &mw.w.b.basket).await.unwrap();
    assert_eq!(report.bought_back, plan.spend);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let b = mw.w.basket().await;
    assert_eq!((b.supply, b.sleeve_balance), (supply - plan.quote.amount_out, sleeve - plan.spend));
}
