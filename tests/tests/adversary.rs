//! Adversarial review of the hardened program: every attack is performed through the public
//! instructions on a real bank, and every test asserts the SAFE outcome. An attack the
//! program refuses is a passing regression test; an attack that succeeds is kept as a test
//! that fails until the program is fixed (see each test's doc comment).
#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use sluice::instructions::{market_signal, SwapArgs};
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{AmmParams, Stage, PARK_AFTER_SECS};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{self, AmmKeys, Trader};
use sluice_sdk::{client, pda};
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

struct Market {
    keys: AmmKeys,
    trader: Trader,
}

/// Opens a market (recommended parameters) for `tranche`, seeded by `inv` with `depth`
/// tranche tokens and `depth` base tokens (price 1.0).
async fn open_market(f: &mut Fixture, inv: &Investor, tranche: u8, depth: u64) -> Market {
    let keys = AmmKeys::new(&f.keys, tranche);
    let issuer = f.issuer.insecure_clone();
    f.chain
        .send(&[ix::create_amm(&issuer.pubkey(), &f.keys, &keys, AmmParams::RECOMMENDED)], &[&issuer])
        .await
        .unwrap();
    let lp = client::create_token_account(&mut f.chain, &keys.lp_mint, &inv.wallet.pubkey()).await.unwrap();
    let trader = Trader {
        user: inv.wallet.pubkey(),
        tranche_account: inv.tranches[tranche as usize],
        base_account: inv.base,
        lp_account: Some(lp),
        member: None,
    };
    f.chain.send(&[ix::add_liquidity(&f.keys, &keys, &trader, 0, depth, depth)], &[&inv.wallet]).await.unwrap();
    Market { keys, trader }
}

async fn swap_ix(f: &mut Fixture, m: &Market, buy_tranche: bool, amount_in: u64) -> Instruction {
    let deadline = f.now().await + 60;
    ix::swap(&f.keys, &m.keys, &m.trader, SwapArgs { buy_tranche, amount_in, min_out: 0, deadline })
}

// ---------------------------------------------------------------------------------------
// Attacks that SUCCEED today (these tests fail until the program is fixed)
// ---------------------------------------------------------------------------------------

/// Attack (stage signal suppression): a market holding a deep discount to NAV put the
/// pool in Stress; three days later the discount is still there, and `update_stage` with
/// the market correctly keeps Stress. Anyone then calls `update_stage` WITHOUT the market
/// account: `market_signal` is `None`, `market_calm` is true, and the pool drops to Normal,
/// where instant exits at NAV are open again while the market says NAV is overstated.
/// Safe outcome: the pool stays in Stress (`StageUnchanged`) whichever accounts are passed.
#[tokio::test]
async fn stress_from_a_market_discount_is_not_left_by_omitting_the_market() {
    let (mut f, alice, _q) = pool_with_queues().await;
    let m = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    f.chain.advance_clock(3 * DAY).await.unwrap();
    f.refresh().await;
    // Dump 100,000 (~17 % under NAV) and leave it there two hours: a real signal.
    let dump = swap_ix(&mut f, &m, false, 100_000 * UNIT).await;
    f.chain.send(&[dump], &[&alice.wallet]).await.unwrap();
    f.chain.advance_clock(7_200).await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, Some(m.keys.amm))], &[]).await.unwrap();
    assert_eq!(f.pool().await.stage, Stage::Stress);

    // Past the minimum stay; nobody traded, so the discount still holds.
    f.chain.advance_clock(3 * DAY + 60).await.unwrap();
    f.refresh().await;
    let now = f.now().await;
    let amm = client::amm(&mut f.chain, &m.keys.amm).await.unwrap();
    let signal = market_signal(&f.pool().await, &amm, now).expect("the market has history");
    assert!(signal.discount_bps >= signal.stress_bps, "still a stress-level discount: {signal:?}");
    let with_market = ix::update_stage(&f.keys.pool, Some(m.keys.amm));
    f.expect_rejected(&[with_market], &[], SluiceError::StageUnchanged, &[m.keys.amm]).await;

    // The attack: the same crank without the market account.
    let without_market = ix::update_stage(&f.keys.pool, None);
    f.expect_rejected(&[without_market], &[], SluiceError::StageUnchanged, &[]).await;
    assert_eq!(f.pool().await.stage, Stage::Stress);
}

/// Attack (reserve takes worthless tokens for nothing): the junior is written down to
/// zero; in Crisis the vault rightly grants it nothing ("its holders keep their tokens and
/// any recovery rather than burn them for zero"), but the reserve's plan uses
/// `tokens_within(gross, value = 0, ..) = u64::MAX` and "buys" the whole junior allowance
/// for 0 base units. The holder's 500,000 junior tokens move to the reserve, so any later
/// recovery of the written-down receivable goes to the reserve instead of the holder.
/// (In the fixture's pool the mezzanine's subordination is breached once the junior is
/// worthless, and that lapses the batch by accident; a pool whose seniors need no
/// subordination shows the attack.)
/// Safe outcome: the junior request keeps its tokens; the reserve owns no junior tokens.
#[tokio::test]
async fn the_reserve_does_not_take_worthless_tranche_tokens_for_nothing() {
    let (mut f, alice, q) = pool_without_subordination().await;
    let keeper = f.keeper().await;
    f.init_reserve(150_000 * UNIT).await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    let idx = f.add_receivable(4_000_000 * UNIT, 4_000_000 * UNIT, 200, 0).await.unwrap();
    f.reprice().await.unwrap();
    let id = f.request(&alice, &q[2], 500_000 * UNIT).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, idx, 400_000 * UNIT)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    assert_eq!(f.pool().await.tranches[2].value, 0, "the junior is worth nothing");
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();

    let reserve_before = f.pool().await.reserve_balance;
    let _ = f.crank(&keeper, &q[2], 256).await;
    let pool = f.pool().await;
    let r = f.queued(&q[2], id).await;
    assert_eq!(pool.reserve_balance, reserve_before, "the reserve paid nothing");
    assert_eq!(
        (r.remaining, pool.tranches[2].reserve_tokens),
        (500_000 * UNIT, 0),
        "the holder's junior tokens were taken by the reserve for 0 (claimable {})",
        r.claimable
    );
}

/// Attack (deposit spends an open batch's subordination headroom): the batch grants the
/// junior 2.2M of the 2.22M the mezzanine's 10 % subordination allows; after it opened (the
/// junior part still waiting), an attacker deposits 300,000 into the mezzanine — the deposit
/// checks subordination against today's values only, not against the batch's unpaid
/// grants (instant exits do). The junior fill would now breach the mezzanine's
/// subordination, so the whole batch lapses: no junior exit for another batch interval.
/// Repeatable every day for an instant-exit fee. Safe outcome: the deposit is refused
/// (`SubordinationBreached`) or the batch still pays the junior its 2.2M.
#[tokio::test]
async fn a_deposit_cannot_spend_the_headroom_an_open_batch_granted() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    let mallory = f.investor(1_000_000 * UNIT, false).await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    let id = f.request(&alice, &q[2], 2_200_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 1).await.unwrap(); // opens; the junior part waits
    assert_eq!(f.pool().await.batch.granted[JUNIOR as usize], 2_200_000 * UNIT);

    let deposit = f.deposit(&mallory, MEZZANINE, 300_000 * UNIT).await;
    if let Err(e) = &deposit {
        assert!(e.is(SluiceError::SubordinationBreached), "{e:?}");
    }
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let pool = f.pool().await;
    let r = f.queued(&q[2], id).await;
    assert_eq!(
        r.remaining,
        0,
        "junior paid {} of 2.2M; batch lapsed: {} (deposit accepted: {})",
        2_200_000 * UNIT - r.remaining,
        !pool.batch.open && pool.batch.redeemed[2] == 0,
        deposit.is_ok()
    );
}

/// Attack (one-second reprice lapses the whole batch): in a pool holding idle cash, every
/// reprice accrues the senior and mezzanine coupons and so lowers the junior's price by a
/// few raw units. After the keeper opens the batch (through the mezzanine queue, which has
/// no part in it), an attacker waits one second, calls the permissionless `reprice`, and
/// cranks the junior queue: the junior's price "fell", the batch lapses — and a lapse
/// closes every tranche's part, so the senior request, whose price did not fall at all,
/// is not paid either. The next batch may open only a batch interval (a day) later, and the
/// attack repeats. Safe outcome: the senior's part of the batch is still paid.
#[tokio::test]
async fn a_one_second_reprice_does_not_lapse_the_seniors_part_of_a_batch() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    let mallory = f.keeper().await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    let senior = f.request(&alice, &q[0], 100_000 * UNIT).await.unwrap();
    f.request(&alice, &q[2], 100_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[1], 1).await.unwrap(); // opens the batch; senior and junior wait
    let before = f.pool().await;
    assert!(before.batch.open && before.batch.granted[0] == 100_000 * UNIT);

    // The attacker: one second, one reprice, one crank.
    f.chain.advance_clock(1).await.unwrap();
    f.reprice().await.unwrap();
    let after_reprice = f.pool().await;
    assert!(after_reprice.tranches[2].value < before.tranches[2].value, "accrual lowered the junior");
    assert!(after_reprice.tranches[0].price_e12 >= before.tranches[0].price_e12, "the senior did not fall");
    let _ = f.crank(&mallory, &q[2], 256).await;

    let _ = f.crank(&keeper, &q[0], 256).await;
    let r = f.queued(&q[0], senior).await;
    assert_eq!(
        r.remaining,
        0,
        "senior request unpaid ({} of 100,000 tokens left); batch open: {}",
        r.remaining / UNIT,
        f.pool().await.batch.open
    );
}

/// Attack (reserve buy-back wedges a batch): in Crisis a batch plans the reserve's
/// purchases out of its balance at the opening (`reserve_batch_share_bps`, here the
/// allowed maximum of 100 %), but nothing reserves that money: the permissionless
/// `reserve_buyback` then spends a quarter of the reserve on a discounted market, and the
/// batch's fill tries to pay more than the reserve holds. `must_lapse` does not look at the
/// reserve, so every crank fails inside the token transfer (not a Sluice error) and the
/// batch can neither fill nor close. (With the recommended 25 % share the same happens when
/// batches run more often than the buy-back's 24 h budget window.)
/// Safe outcome: the crank succeeds (paying what the reserve can, or lapsing) and the batch
/// closes.
#[tokio::test]
async fn a_reserve_buyback_cannot_wedge_an_open_batch() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.init_reserve(150_000 * UNIT).await;
    f.change_params(|p| {
        p.redemption.instant_threshold = u64::MAX;
        p.redemption.reserve_batch_share_bps = 10_000;
    })
    .await;
    let m = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    let dump = swap_ix(&mut f, &m, false, 200_000 * UNIT).await;
    f.chain.send(&[dump], &[&alice.wallet]).await.unwrap();
    f.chain.advance_clock(3_600).await.unwrap();
    f.refresh().await;
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();

    let id = f.request(&alice, &q[0], 200_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[1], 1).await.unwrap(); // opens; the reserve's senior purchase waits
    let pool = f.pool().await;
    assert!(pool.batch.open && pool.batch.reserve_granted[0] > 100_000 * UNIT, "{:?}", pool.batch);

    // The buy-back may not spend what the open batch has planned: here that is all of it.
    let buyback = f.chain.send(&[ix::reserve_buyback(&f.keys, &m.keys)], &[]).await;
    assert!(buyback.is_ok() || buyback.as_ref().unwrap_err().is(SluiceError::NothingToProcess), "{buyback:?}");
    let spent = pool.reserve_balance - f.pool().await.reserve_balance;

    let result = f.crank(&keeper, &q[0], 256).await;
    let pool = f.pool().await;
    assert!(
        result.is_ok() && !pool.batch.open,
        "batch wedged after the buy-back spent {} of the reserve: {result:?}; request {} left",
        spent / UNIT,
        f.queued(&q[0], id).await.remaining / UNIT
    );
}

// ---------------------------------------------------------------------------------------
// Attacks the program refuses (regression tests)
// ---------------------------------------------------------------------------------------

/// Attack: crank with `max_requests` 0 (no work, still a tip?) or above the chunk bound.
/// Safe outcome: `InvalidParams`, nothing changes.
#[tokio::test]
async fn a_crank_outside_the_chunk_bounds_is_refused() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    f.request(&alice, &q[0], 1_000 * UNIT).await.unwrap();
    for max in [0u16, 257, u16::MAX] {
        let ix = f.crank_ix(&keeper, &q[0], max);
        f.expect_rejected(&[ix], &[&keeper.0], SluiceError::InvalidParams, &[keeper.1]).await;
    }
}

/// Attacks on `park_claim` / `claim_parked`: park a request that is not fully redeemed or
/// not the front; park the same id twice; claim it through the old `claim`; claim it with
/// the wrong rent receiver; claim it twice. Safe outcome: each refused, the value is paid
/// exactly once, to its owner.
#[tokio::test]
async fn parked_claims_cannot_be_doubled_redirected_or_parked_early() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    let mallory = f.keeper().await;
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    f.deposit(&bob, JUNIOR, 5_000 * UNIT).await.unwrap();
    let id = f.request(&alice, &q[2], 1_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let waiting = f.request(&bob, &q[2], 2_000 * UNIT).await.unwrap();
    let owed = f.queued(&q[2], id).await.claimable;
    assert_eq!(owed, 1_000 * UNIT);
    f.chain.advance_clock(PARK_AFTER_SECS).await.unwrap();

    // Bob's request is live, not redeemed: not the front, and not parkable.
    let early = ix::park_claim(&mallory.0.pubkey(), &f.keys, &q[2], waiting);
    f.expect_rejected(&[early], &[&mallory.0], SluiceError::RequestNotFound, &[]).await;
    f.chain.send(&[ix::park_claim(&mallory.0.pubkey(), &f.keys, &q[2], id)], &[&mallory.0]).await.unwrap();
    // Now Bob's request is the front, but it holds tokens: NothingToClaim.
    let live = ix::park_claim(&mallory.0.pubkey(), &f.keys, &q[2], waiting);
    f.expect_rejected(&[live], &[&mallory.0], SluiceError::NothingToClaim, &[]).await;
    // The same id again: the queue no longer holds it (and its record exists).
    let before = f.snapshot(&[]).await;
    let again = ix::park_claim(&keeper.0.pubkey(), &f.keys, &q[2], id);
    assert!(f.chain.send(&[again], &[&keeper.0]).await.is_err());
    assert_eq!(before, f.snapshot(&[]).await);
    // The old `claim` on the parked id finds nothing.
    let old = ix::claim(&alice.wallet.pubkey(), &f.keys, &q[2], id, &alice.base);
    f.expect_rejected(&[old], &[&alice.wallet], SluiceError::RequestNotFound, &[alice.base]).await;

    // Rent to someone other than who paid it.
    let parked = pda::parked(&f.keys.pool, JUNIOR, id);
    let wrong_payer =
        ix::claim_parked(&alice.wallet.pubkey(), &f.keys, JUNIOR, id, &alice.wallet.pubkey(), &alice.base);
    f.expect_rejected(&[wrong_payer], &[&alice.wallet], SluiceError::WrongAccount, &[parked, alice.base]).await;
    // A destination of another mint.
    let wrong_mint =
        ix::claim_parked(&alice.wallet.pubkey(), &f.keys, JUNIOR, id, &mallory.0.pubkey(), &alice.tranches[0]);
    f.expect_rejected(&[wrong_mint], &[&alice.wallet], SluiceError::WrongAccount, &[parked]).await;

    let base = f.balance(&alice.base).await;
    let take = ix::claim_parked(&alice.wallet.pubkey(), &f.keys, JUNIOR, id, &mallory.0.pubkey(), &alice.base);
    f.chain.send(std::slice::from_ref(&take), &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, owed);
    // Twice: the record is closed.
    let before = f.snapshot(&[alice.base]).await;
    f.chain.advance_clock(1).await.unwrap();
    assert!(f.chain.send(&[take], &[&alice.wallet]).await.is_err());
    assert_eq!(before, f.snapshot(&[alice.base]).await);
    assert_eq!(f.pool().await.claimable, 0);
}

/// Attacks on publisher rotation: accept without a proposal; accept as a key other than
/// the proposed one; propose a key that already publishes; a removed key accepting again;
/// removing a key twice; a stranger removing. Safe outcome: each refused, the publisher set
/// unchanged.
/// SUCCEEDS today for the re-join: a proposal of a key that already publishes fails to be
/// accepted (`InvalidParams`) but stays pending; once the guardian removes that key as
/// compromised, the key signs `accept_publisher` and is a publisher again. (Nor can the
/// guardian cancel any pending proposal: `remove_publisher` only knows current publishers.)
#[tokio::test]
async fn publisher_rotation_cannot_be_hijacked() {
    let (mut f, _alice, _q) = pool_with_queues().await;
    let issuer = f.issuer.insecure_clone();
    let guardian = f.guardian.insecure_clone();
    let publisher = f.publisher.insecure_clone();
    let mallory = Keypair::new();
    f.chain.airdrop(&mallory.pubkey(), 1_000_000_000).await.unwrap();
    let oracle = f.keys.oracle;

    let accept = ix::accept_publisher(&mallory.pubkey(), &f.keys);
    f.expect_rejected(std::slice::from_ref(&accept), &[&mallory], SluiceError::NotPendingPublisher, &[oracle]).await;
    let k2 = Keypair::new();
    let propose = ix::propose_publisher(&issuer.pubkey(), &f.keys, &k2.pubkey());
    f.chain.send(&[propose], &[&issuer]).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&accept), &[&mallory], SluiceError::NotPendingPublisher, &[oracle]).await;
    let stranger = ix::propose_publisher(&mallory.pubkey(), &f.keys, &mallory.pubkey());
    f.expect_rejected(&[stranger], &[&mallory], SluiceError::NotAuthority, &[oracle]).await;

    // A key that already publishes cannot be proposed, so no proposal of it can linger.
    let dup = ix::propose_publisher(&issuer.pubkey(), &f.keys, &publisher.pubkey());
    f.expect_rejected(&[dup], &[&issuer], SluiceError::InvalidParams, &[oracle]).await;

    // The guardian withdraws the pending proposal it does not trust …
    let withdraw = ix::remove_publisher(&guardian.pubkey(), &f.keys, &k2.pubkey());
    f.chain.send(&[withdraw], &[&guardian]).await.unwrap();
    let k2_accept = ix::accept_publisher(&k2.pubkey(), &f.keys);
    f.expect_rejected(&[k2_accept], &[&k2], SluiceError::NotPendingPublisher, &[oracle]).await;
    // … and removes the (compromised) publisher, which cannot come back on its own.
    let remove = ix::remove_publisher(&guardian.pubkey(), &f.keys, &publisher.pubkey());
    f.chain.send(std::slice::from_ref(&remove), &[&guardian]).await.unwrap();
    let rejoin = ix::accept_publisher(&publisher.pubkey(), &f.keys);
    let result = f.chain.send(&[rejoin], &[&publisher]).await;
    let o = f.oracle().await;
    assert!(
        result.is_err() && !o.is_publisher(&publisher.pubkey()),
        "a removed publisher re-joined through a stale proposal: {result:?}"
    );
    let twice = ix::remove_publisher(&guardian.pubkey(), &f.keys, &publisher.pubkey());
    f.expect_rejected(&[twice], &[&guardian], SluiceError::UnknownPublisher, &[oracle]).await;
    let by_stranger = ix::remove_publisher(&mallory.pubkey(), &f.keys, &Pubkey::default());
    f.expect_rejected(&[by_stranger], &[&mallory], SluiceError::NotAuthority, &[oracle]).await;
    let empty_slot = ix::remove_publisher(&guardian.pubkey(), &f.keys, &Pubkey::default());
    f.expect_rejected(&[empty_slot], &[&guardian], SluiceError::UnknownPublisher, &[oracle]).await;
}

/// Attack: arithmetic at the edges — a swap of `u64::MAX`, an instant exit of `u64::MAX`
/// tokens, a deposit of `u64::MAX`. Safe outcome: named errors, never a panic, nothing moves.
#[tokio::test]
async fn extreme_amounts_give_named_errors_not_panics() {
    let (mut f, alice, _q) = pool_with_queues().await;
    let m = open_market(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    let w = alice.wallet.insecure_clone();
    let watch = [m.keys.amm, m.keys.tranche_vault, m.keys.base_vault, alice.base, alice.tranches[0]];
    for buy in [true, false] {
        let s = swap_ix(&mut f, &m, buy, u64::MAX).await;
        f.expect_rejected(&[s], &[&w], SluiceError::EmptyAmm, &watch).await;
    }
    f.expect_rejected(&[instant(&f, &alice, SENIOR, u64::MAX)], &[&w], SluiceError::InstantTooLarge, &watch).await;
    let dep = f.deposit_ix(&alice, JUNIOR, u64::MAX, 0);
    f.expect_rejected(&[dep], &[&w], SluiceError::MathOverflow, &watch).await;
}

/// Attack: a deposit that mints into a pool-owned account (the tranche escrow), so the
/// minted tokens would count as queued or reserve tokens. Safe outcome: `WrongAccount`.
#[tokio::test]
async fn a_deposit_cannot_mint_into_the_escrow() {
    let (mut f, alice, q) = pool_with_queues().await;
    let mut target = Investor { wallet: alice.wallet.insecure_clone(), base: alice.base, tranches: alice.tranches };
    target.tranches[0] = q[0].escrow;
    let ix = f.deposit_ix(&target, SENIOR, 1_000 * UNIT, 0);
    f.expect_rejected(&[ix], &[&alice.wallet], SluiceError::WrongAccount, &[q[0].escrow]).await;
}

/// Attack: cancel a request after the open batch visited it (its share already taken),
/// hoping its allowance is withdrawn from the batch a second time and the grant left to the
/// others shrinks. Safe outcome: the later request is still paid its whole grant.
#[tokio::test]
async fn a_cancel_after_the_visit_does_not_shrink_the_others_grant() {
    let (mut f, alice, q) = pool_with_queues().await;
    let bob = f.investor(1_000_000 * UNIT, false).await;
    let keeper = f.keeper().await;
    f.deposit(&bob, SENIOR, 20_000 * UNIT).await.unwrap();
    f.change_params(|p| p.redemption.instant_threshold = u64::MAX).await;
    let first = f.request(&alice, &q[0], 5_000 * UNIT).await.unwrap();
    let second = f.request(&bob, &q[0], 5_000 * UNIT).await.unwrap();
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    f.crank(&keeper, &q[0], 1).await.unwrap(); // opens and visits `first` only
    assert_eq!(f.queued(&q[0], first).await.remaining, 0);
    // Nothing left to cancel for `first`; the batch's grant for `second` is intact.
    let cancel = ix::cancel_redemption(&alice.wallet.pubkey(), &f.keys, &q[0], &alice.tranches[0], first);
    f.expect_rejected(&[cancel], &[&alice.wallet], SluiceError::NothingToCancel, &[]).await;
    assert_eq!(f.pool().await.batch.granted[0], 5_000 * UNIT);
    f.crank(&keeper, &q[0], 256).await.unwrap();
    assert_eq!(f.queued(&q[0], second).await.remaining, 0);
}
