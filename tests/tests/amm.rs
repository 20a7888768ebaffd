//! The per-tranche market on a real bank: liquidity in and out, swaps both ways with the
//! fee split and the time-weighted price, and every refusal.
#![allow(deprecated)]

use sluice::instructions::SwapArgs;
use sluice::math::amm::MIN_LIQUIDITY;
use sluice::state::AmmParams;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::client;
use sluice_sdk::ix::{self, AmmKeys, Trader};
use sluice_tests::*;
use solana_signer::Signer;

/// A permissioned pool whose senior tranche has a market; Alice holds senior tokens and
/// base tokens, and an LP account.
async fn market() -> (Fixture, Investor, AmmKeys, Trader) {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(20_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let (m, t) = f.create_market(&alice, SENIOR).await;
    (f, alice, m, t)
}

fn swap(buy_tranche: bool, amount_in: u64, min_out: u64, deadline: i64) -> SwapArgs {
    SwapArgs { buy_tranche, amount_in, min_out, deadline }
}

#[tokio::test]
async fn liquidity_and_swaps_keep_k_and_split_fees() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    // Empty market: nothing to trade against.
    let now = f.now().await;
    f.expect_rejected(&[ix::swap(&f.keys, &m, &t, swap(true, UNIT, 0, now + 60))], &[&w], SluiceError::EmptyAmm, &[])
        .await;

    // First deposit: 1M tokens and 1M base → √(10¹²·10¹²) − 1,000 LP.
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert_eq!(amm.lp_supply, 1_000_000 * UNIT);
    assert_eq!(f.balance(&t.lp_account.unwrap()).await, 1_000_000 * UNIT - MIN_LIQUIDITY);

    // Buy tranche tokens with 10,000 base: price 1.0 at NAV 1.0, small move → base fee 0.3 %
    // plus a band fee for the ~2 % move.
    let before = (f.balance(&m.tranche_vault).await, f.balance(&m.base_vault).await);
    let got_before = f.balance(&alice.tranches[0]).await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(true, 10_000 * UNIT, 9_000 * UNIT, now + 60))], &[&w]).await.unwrap();
    let got = f.balance(&alice.tranches[0]).await - got_before;
    assert!(got > 9_800 * UNIT && got < 9_900 * UNIT, "{got}");
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    let after = (f.balance(&m.tranche_vault).await, f.balance(&m.base_vault).await);
    let k = |x: u64, y: u64| x as u128 * y as u128;
    assert!(k(after.0, after.1 - amm.set_aside_base()) >= k(before.0, before.1));
    // 30 % of the fee left the curve: 20 % for the reserve, 10 % for the protocol.
    assert!(amm.reserve_fees_base > 0);
    assert!(amm.reserve_fees_base.abs_diff(2 * amm.protocol_fees_base) <= 1, "{amm:?}");

    // Time-weighted price: an hour at the post-trade price accumulates into the next reading.
    let p = amm.twap.last_price_e12;
    f.chain.advance_clock(3_600).await.unwrap();
    let now = f.now().await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(false, 1_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    let later = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert_eq!(later.twap.price_cumulative - amm.twap.price_cumulative, p as u128 * 3_600);

    // Withdraw everything Alice owns: the locked 1,000 LP stay.
    let mine = f.balance(&t.lp_account.unwrap()).await;
    f.chain.send(&[ix::remove_liquidity(&f.keys, &m, &t, mine, 0, 0)], &[&w]).await.unwrap();
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert_eq!(amm.lp_supply, MIN_LIQUIDITY);
    assert!(f.balance(&m.tranche_vault).await > 0 && f.balance(&m.base_vault).await > amm.set_aside_base());
}

#[tokio::test]
async fn trades_are_refused_with_named_errors() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    let now = f.now().await;
    let reject = |args: SwapArgs| ix::swap(&f.keys, &m, &t, args);
    let cases = [
        (reject(swap(true, 10_000 * UNIT, 10_000 * UNIT, now + 60)), SluiceError::SlippageExceeded),
        (reject(swap(true, 10_000 * UNIT, 0, now - 1)), SluiceError::DeadlinePassed),
        (reject(swap(true, 0, 0, now + 60)), SluiceError::ZeroAmount),
    ];
    for (ix, err) in cases {
        f.expect_rejected(&[ix], &[&w], err, &[alice.base, alice.tranches[0]]).await;
    }
    // Not a member.
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let stranger = Trader {
        user: bob.wallet.pubkey(),
        tranche_account: bob.tranches[0],
        base_account: bob.base,
        lp_account: None,
        member: None,
    };
    let ix = ix::swap(&f.keys, &m, &stranger, swap(true, 1_000 * UNIT, 0, now + 60));
    f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::NotMember, &[bob.base]).await;
    // Someone else's token account.
    let wrong = Trader { base_account: bob.base, ..t };
    let ix = ix::swap(&f.keys, &m, &wrong, swap(true, 1_000 * UNIT, 0, now + 60));
    f.expect_rejected(&[ix], &[&w], SluiceError::WrongAccount, &[bob.base]).await;
    // Removing more LP than exists, and asking too much back.
    let lp = f.balance(&t.lp_account.unwrap()).await;
    let ix = ix::remove_liquidity(&f.keys, &m, &t, lp, 1_000_000 * UNIT, 0);
    f.expect_rejected(&[ix], &[&w], SluiceError::SlippageExceeded, &[]).await;
    let ix = ix::add_liquidity(&f.keys, &m, &t, 1_000 * UNIT, UNIT, UNIT);
    f.expect_rejected(&[ix], &[&w], SluiceError::SlippageExceeded, &[]).await;
    for ix in [ix::add_liquidity(&f.keys, &m, &t, 0, UNIT, UNIT), ix::remove_liquidity(&f.keys, &m, &t, 0, 0, 0)] {
        f.expect_rejected(&[ix], &[&w], SluiceError::ZeroAmount, &[]).await;
    }
    // Liquidity needs membership too.
    let bob_lp = client::create_token_account(&mut f.chain, &m.lp_mint, &bob.wallet.pubkey()).await.unwrap();
    let outsider = Trader { lp_account: Some(bob_lp), ..stranger };
    let ix = ix::add_liquidity(&f.keys, &m, &outsider, UNIT, UNIT, UNIT);
    f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::NotMember, &[]).await;
    // Only the issuer opens a market.
    let m2 = AmmKeys::new(&f.keys, JUNIOR);
    let ix = ix::create_amm(&bob.wallet.pubkey(), &f.keys, &m2, AmmParams::RECOMMENDED);
    f.expect_rejected(&[ix], &[&bob.wallet], SluiceError::NotAuthority, &[]).await;
}

#[tokio::test]
async fn in_crisis_trades_must_stay_near_nav() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let now = f.now().await;
    // Dumping 100,000 tokens moves the price ~18 % below NAV: outside the 5 % band.
    let dump = ix::swap(&f.keys, &m, &t, swap(false, 100_000 * UNIT, 0, now + 60));
    f.expect_rejected(&[dump], &[&w], SluiceError::CrisisBandExceeded, &[]).await;
    // A small sale stays inside the band, and pays the Crisis surcharge.
    let before = f.balance(&alice.base).await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(false, 1_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    let got = f.balance(&alice.base).await - before;
    // Base 0.30 % + surcharge 0.50 % (+ a tiny band fee): under 992 for 1,000 at ~1.0.
    assert!(got < 992 * UNIT && got > 985 * UNIT, "{got}");
}

#[tokio::test]
async fn reserve_buybacks_lift_a_discounted_price_back_to_the_trigger() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    f.init_redemption().await;
    f.init_reserve(150_000 * UNIT).await;
    // Price at NAV: nothing to do.
    f.expect_rejected(&[ix::reserve_buyback(&f.keys, &m)], &[], SluiceError::NothingToProcess, &[]).await;
    // A forced seller dumps 100,000 tokens: the price falls ~17 % under NAV.
    let now = f.now().await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(false, 100_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    let nav_price = f.pool().await.tranches[0].price_e12;
    let low = client::amm(&mut f.chain, &m.amm).await.unwrap().twap.last_price_e12;
    assert!(low < nav_price / 100 * 85);
    // The reserve acts on the time-weighted price: a price of one moment is not bought on.
    f.expect_rejected(&[ix::reserve_buyback(&f.keys, &m)], &[], SluiceError::NothingToProcess, &[]).await;
    f.chain.advance_clock(3_600).await.unwrap();
    f.publish(800).await.unwrap();
    f.reprice().await.unwrap();

    // The reserve may spend 25 % of itself a day: 37,500. Not enough to reach 97 % of NAV.
    f.chain.send(&[ix::reserve_buyback(&f.keys, &m)], &[]).await.unwrap();
    let pool = f.pool().await;
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert_eq!(pool.reserve_balance, 150_000 * UNIT - 37_500 * UNIT);
    assert_eq!(pool.buyback_spent, 37_500 * UNIT);
    assert!(amm.twap.last_price_e12 > low && amm.twap.last_price_e12 < nav_price / 100 * 97);
    assert_eq!(f.balance(&sluice_sdk::pda::escrow(&f.keys.pool, 0)).await, pool.tranches[0].reserve_tokens);
    assert!(pool.tranches[0].reserve_tokens > 30_000 * UNIT);
    // Budget spent for today.
    f.expect_rejected(&[ix::reserve_buyback(&f.keys, &m)], &[], SluiceError::NothingToProcess, &[]).await;

    // Each day brings a fresh budget; within days the price is back at the trigger, 3 %
    // under NAV (and then follows NAV as the coupon accrues).
    for day in 1..=6 {
        f.chain.advance_clock(86_400).await.unwrap();
        f.publish(800).await.unwrap();
        f.reprice().await.unwrap();
        f.chain.send(&[ix::reserve_buyback(&f.keys, &m)], &[]).await.unwrap();
        let target = f.pool().await.tranches[0].price_e12 / 100 * 97;
        let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
        // A buy-back on a new day opens a new volume window, as any trade does.
        assert_eq!(amm.window_start, f.now().await);
        assert_eq!(amm.window_volume, f.pool().await.buyback_spent);
        let price = amm.twap.last_price_e12;
        assert!(price <= target + target / 1_000, "day {day}: overshot {price} vs {target}");
        if price.abs_diff(target) <= target / 1_000 {
            // At the trigger: nothing more to buy until NAV moves.
            f.expect_rejected(&[ix::reserve_buyback(&f.keys, &m)], &[], SluiceError::NothingToProcess, &[]).await;
            return;
        }
    }
    panic!("the price never came back to the trigger");
}

#[tokio::test]
async fn a_deep_market_discount_signals_stress() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    let with_market = ix::update_stage(&f.keys.pool, Some(m.amm));
    f.expect_rejected(std::slice::from_ref(&with_market), &[], SluiceError::StageUnchanged, &[]).await;
    let now = f.now().await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(false, 100_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    // A price of one moment is no signal: the time-weighted price must have an hour behind it.
    f.expect_rejected(std::slice::from_ref(&with_market), &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.advance_clock(3_600).await.unwrap();
    // The queue is empty and cash plentiful: only the market's ~17 % discount says stress.
    f.expect_rejected(&[ix::update_stage(&f.keys.pool, None)], &[], SluiceError::StageUnchanged, &[]).await;
    f.chain.send(std::slice::from_ref(&with_market), &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, sluice::state::Stage::Stress);
    // Buyers close the gap to under half the threshold; after the minimum stay, Normal.
    let now = f.now().await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(true, 85_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    f.chain.advance_clock(3 * 86_400).await.unwrap();
    f.chain.send(&[with_market], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, sluice::state::Stage::Normal);
}

#[tokio::test]
async fn fee_shares_are_swept_to_the_reserve_and_the_protocol() {
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    f.init_redemption().await;
    f.init_reserve(0).await;
    let now = f.now().await;
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(true, 50_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap(false, 20_000 * UNIT, 0, now + 60))], &[&w]).await.unwrap();
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert!(amm.reserve_fees_base > 0 && amm.reserve_fees_tranche > 0);

    let issuer = f.issuer.pubkey();
    let proto_base = client::create_token_account(&mut f.chain, &f.keys.base_mint, &issuer).await.unwrap();
    let proto_tranche = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(0), &issuer).await.unwrap();
    if f.pool().await.params.permissioned {
        // The pool authority counts as admitted: anyone thaws its account.
        let thaw = ix::thaw_holder(&issuer, &f.keys.pool, 0, &proto_tranche, &issuer);
        let signer = f.issuer.insecure_clone();
        f.chain.send(&[thaw], &[&signer]).await.unwrap();
    }
    // The protocol's share goes only to the pool authority.
    let wrong = ix::sweep_market_fees(&f.keys, &m, &alice.base, &proto_tranche);
    f.expect_rejected(&[wrong], &[], SluiceError::WrongAccount, &[alice.base]).await;

    let sweep = ix::sweep_market_fees(&f.keys, &m, &proto_base, &proto_tranche);
    f.chain.send(std::slice::from_ref(&sweep), &[]).await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.reserve_balance, amm.reserve_fees_base);
    assert_eq!(pool.tranches[0].reserve_tokens, amm.reserve_fees_tranche);
    assert_eq!(f.balance(&f.reserve.unwrap()).await, amm.reserve_fees_base);
    assert_eq!(f.balance(&proto_base).await, amm.protocol_fees_base);
    assert_eq!(f.balance(&proto_tranche).await, amm.protocol_fees_tranche);
    let swept = client::amm(&mut f.chain, &m.amm).await.unwrap();
    assert_eq!((swept.set_aside_base(), swept.set_aside_tranche()), (0, 0));
    f.expect_rejected(&[sweep], &[], SluiceError::NothingToProcess, &[]).await;
}

/// The wallet's best exit (`preview::plan_exit`) is what the program then pays: the door takes
/// exactly the planned tokens (one more token is refused), the market pays the quote and its
/// last token lands within the holder's tolerance (a little more would not), and the rest
/// queues.
#[tokio::test]
async fn the_best_exit_is_what_the_program_pays() {
    use sluice_sdk::preview::{self, ExitMarket};
    let (mut f, alice, m, t) = market().await;
    let w = alice.wallet.insecure_clone();
    let queues = f.init_redemption().await;
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    f.reprice().await.unwrap();
    let (pool, amm) = (f.pool().await, client::amm(&mut f.chain, &m.amm).await.unwrap());
    let (tv, bv) = (f.balance(&m.tranche_vault).await, f.balance(&m.base_vault).await);
    let now = f.now().await;
    let tokens = 200_000 * UNIT;
    let max_discount_bps = 100;
    let market = ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
    let plan = preview::plan_exit(&pool, Some(market), 0, SENIOR, tokens, u64::MAX, now, max_discount_bps);
    assert_eq!(plan.instant_tokens + plan.market_tokens + plan.queued_tokens, tokens);
    assert!(plan.instant_tokens > 0 && plan.market_tokens > 0 && plan.queued_tokens > 0, "{plan:?}");

    // The door: a token more than planned is over the holder's threshold.
    let over = instant(&f, &alice, SENIOR, plan.instant_tokens + UNIT);
    f.expect_rejected(&[over], &[&w], SluiceError::InstantTooLarge, &[alice.base]).await;
    let base_before = f.balance(&alice.base).await;
    f.chain.send(&[instant(&f, &alice, SENIOR, plan.instant_tokens)], &[&w]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base_before, plan.instant_out);

    // The market: the planned sale lands within the tolerance; 1 % more would not.
    let floor = pool.tranches[0].price_e12 as u128 * (10_000 - max_discount_bps as u128);
    let net = |q: sluice::math::amm::Quote| q.price_e12 as u128 * (10_000 - q.fee_bps as u128);
    let planned = preview::swap_quote(&pool, &amm, tv, bv, false, plan.market_tokens).unwrap();
    let more = preview::swap_quote(&pool, &amm, tv, bv, false, plan.market_tokens * 101 / 100).unwrap();
    assert!(net(planned) >= floor && net(more) < floor);
    let base_before = f.balance(&alice.base).await;
    let sale = swap(false, plan.market_tokens, plan.market_out, now + 60);
    f.chain.send(&[ix::swap(&f.keys, &m, &t, sale)], &[&w]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base_before, plan.market_out);

    // The queue takes the rest.
    let id = f.request(&alice, &queues[0], plan.queued_tokens).await.unwrap();
    let queue = client::queue(&mut f.chain, &queues[0].queue).await.unwrap();
    let r = queue.requests[(id % sluice::state::QUEUE_CAPACITY as u64) as usize];
    assert_eq!(r.original, plan.queued_tokens);

    // Without a market the door and the queue split it.
    let now = f.now().await;
    let pool = f.pool().await;
    let door_only = preview::plan_exit(&pool, None, 0, SENIOR, tokens, u64::MAX, now, max_discount_bps);
    assert_eq!((door_only.market_tokens, door_only.instant_tokens + door_only.queued_tokens), (0, tokens));
    let mut paused = pool;
    paused.paused = true;
    let plan = preview::plan_exit(&paused, Some(market), 0, SENIOR, tokens, u64::MAX, now, max_discount_bps);
    // Paused: no door and no queue; the market between members stays open.
    assert_eq!((plan.instant_tokens, plan.queued_tokens), (0, 0));
    assert_eq!(plan.market_tokens + plan.unplaced_tokens, tokens);
}
