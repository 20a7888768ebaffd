//! Adversarial review of two changes: the instant door's checks as one pure function
//! (`plan_instant`, which `redeem_instant` validates with and `sluice_sdk::preview::{instant_exit,
//! instant_capacity, plan_exit}` plan with), and events written through `sluice::events::emit`
//! (natively a marked `Program log:` line that `validator_logs` turns into `Program data:`).
//!
//! Each test says what it tries. A test that shows a defect asserts the correct behaviour and
//! is `#[ignore = "DEFECT: …"]`; every other test passes and asserts what could fail.
#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_error::ProgramError;
use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::Engine;
use sluice::events::*;
use sluice::instructions::{instant_payout, SwapArgs, TrancheMetadata};
use sluice::math::allocation::value_of;
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{AmmParams, Pool, Stage};
use sluice_sdk::chain::{validator_logs, Chain, ChainError};
use sluice_sdk::ix::{self, AmmKeys, Trader};
use sluice_sdk::preview::{self, ExitMarket, ExitPlan};
use sluice_sdk::{client, pda};
use sluice_tests::basket::*;
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = SECONDS_PER_DAY;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The custom error code an Anchor error converts to (what the transaction reports).
fn code_of(e: anchor_lang::error::Error) -> u32 {
    match ProgramError::from(e) {
        ProgramError::Custom(code) => code,
        other => panic!("not a custom error: {other:?}"),
    }
}

/// The holder's instant use in its current window, as the SDK reads it.
async fn used(f: &mut Fixture, inv: &Investor, tranche: u8) -> u64 {
    let now = f.now().await;
    client::instant_used(&mut f.chain, &f.keys.pool, tranche, &inv.wallet.pubkey(), now).await.unwrap()
}

/// What the SDK says the door takes of `most` tokens now, checked against the program at the
/// boundary: one token unit more is refused with exactly the error `instant_exit` predicts
/// (and changes nothing), and the capacity itself is paid exactly `value − fee` (with
/// `min_out` at that amount). Returns the capacity.
async fn door_agrees(f: &mut Fixture, inv: &Investor, tranche: u8, most: u64) -> u64 {
    let now = f.now().await;
    let pool = f.pool().await;
    let used_today = used(f, inv, tranche).await;
    let cap = preview::instant_capacity(&pool, used_today, tranche, most, now);
    if cap < most {
        let predicted = preview::instant_exit(&pool, used_today, tranche, cap + 1, now).unwrap_err();
        let code = code_of(predicted);
        let watch =
            [inv.base, inv.tranches[tranche as usize], pda::holder(&f.keys.pool, tranche, &inv.wallet.pubkey())];
        let before = f.snapshot(&watch).await;
        let result = f.chain.send(&[instant(f, inv, tranche, cap + 1)], &[&inv.wallet]).await;
        assert_eq!(result, Err(ChainError::Program { instruction: 0, code }), "cap {cap}: one unit more");
        assert_eq!(before, f.snapshot(&watch).await, "a refused exit changed state");
    }
    if cap > 0 {
        let (value, fee) = preview::instant_exit(&pool, used_today, tranche, cap, now).unwrap();
        let base = f.balance(&inv.base).await;
        let vault_key = f.keys.vault;
        let vault = f.balance(&vault_key).await;
        let ix = instant_with_min(f, inv, tranche, cap, value - fee);
        f.chain.send(&[ix], &[&inv.wallet]).await.unwrap();
        assert_eq!(f.balance(&inv.base).await - base, value - fee, "the door pays value − fee");
        let left_vault = vault - f.balance(&vault_key).await;
        assert!(left_vault <= value && left_vault >= value - fee, "vault paid {left_vault} for value {value}");
        assert_eq!(used(f, inv, tranche).await, used_today + value, "the holder record counts the value");
    }
    cap
}

/// A new day's fresh NAV at `at` (a clock move forward).
async fn refresh_at(f: &mut Fixture, at: i64) {
    f.chain.set_clock(at).await.unwrap();
    f.refresh().await;
}

/// Parameters where only the limit under test binds.
async fn open_door(f: &mut Fixture) {
    f.change_params(|p| {
        p.redemption.instant_threshold = u64::MAX;
        p.redemption.instant_window_cap_bps = 10_000;
    })
    .await;
}

/// Locks cash in a 20-day receivable so that about `above` stays above the 2 % floor.
async fn leave_above_floor(f: &mut Fixture, above: u64) {
    let pool = f.pool().await;
    let lock = pool.cash - pool.nav / 50 - above;
    f.add_receivable(lock, lock, 20, 0).await.unwrap();
    f.reprice().await.unwrap();
}

/// Every event Sluice can emit, by discriminator.
fn event_name(bytes: &[u8]) -> &'static str {
    macro_rules! names {
        ($($e:ident),* $(,)?) => {
            $(if bytes.starts_with($e::DISCRIMINATOR) { return stringify!($e); })*
        };
    }
    names!(
        PoolCreated,
        TrancheAdded,
        TrancheMetadataSet,
        HolderAccountSet,
        MemberSet,
        RatesPublished,
        ReceivableAdded,
        RepaymentRecorded,
        WrittenDown,
        Repriced,
        Deposited,
        ParamsUpdated,
        AuthorityTransferred,
        PauseChanged,
        RedemptionRequested,
        RedemptionCancelled,
        InstantRedeemed,
        BatchProcessed,
        Claimed,
        StageChanged,
        ReserveAttested,
        Swapped,
        LiquidityChanged,
        PublishersChanged,
        BasketAttested,
        BasketRedeemed,
        BasketRebalanced,
        BasketSwapped,
        BasketBoughtBack,
    );
    "unknown"
}

/// One `Program data:` line: its bytes, the program running when it was written (`None`
/// outside any invocation), and how many Sluice frames were open.
#[derive(Clone, Debug)]
struct DataLine {
    bytes: Vec<u8>,
    program: Option<String>,
    sluice_depth: usize,
}

/// The `Program data:` lines of a transaction, with the invocation they were written in, as
/// Anchor's `EventParser` and the JS client's `parseSluiceEvents` follow it.
fn data_lines(logs: &[String]) -> Vec<DataLine> {
    let sluice = sluice::ID.to_string();
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in logs {
        let words: Vec<&str> = line.split(' ').collect();
        if words.len() >= 3 && words[0] == "Program" && words[2] == "invoke" {
            stack.push(words[1].to_string());
        } else if words.len() >= 3 && words[0] == "Program" && (words[2] == "success" || words[2] == "failed:") {
            stack.pop();
        } else if let Some(b64) = line.strip_prefix("Program data: ") {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                let sluice_depth = stack.iter().filter(|p| **p == sluice).count();
                out.push(DataLine { bytes, program: stack.last().cloned(), sluice_depth });
            }
        }
    }
    out
}

/// Names of the Sluice events written while Sluice ran, in order.
fn sluice_events(logs: &[String]) -> Vec<&'static str> {
    let sluice = sluice::ID.to_string();
    data_lines(logs).iter().filter(|d| d.program.as_deref() == Some(&sluice)).map(|d| event_name(&d.bytes)).collect()
}

/// Count of `name` in `events`.
fn count(events: &[&str], name: &str) -> usize {
    events.iter().filter(|e| **e == name).count()
}

/// Decodes every Sluice-written event of type `E`.
fn decode<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    let sluice = sluice::ID.to_string();
    data_lines(logs)
        .into_iter()
        .filter(|d| d.program.as_deref() == Some(&sluice) && d.bytes.starts_with(E::DISCRIMINATOR))
        .map(|d| E::deserialize(&mut &d.bytes[E::DISCRIMINATOR.len()..]).expect("an event body"))
        .collect()
}

/// The `AnchorError occurred.` lines of a transaction.
fn anchor_error_lines(logs: &[String]) -> Vec<&String> {
    logs.iter().filter(|l| l.starts_with("Program log: AnchorError")).collect()
}

/// Sends with logs; the outcome and the logs.
async fn logged(f: &mut Fixture, ixs: &[Instruction], signers: &[&Keypair]) -> (Result<(), ChainError>, Vec<String>) {
    f.chain.send_with_logs(ixs, signers).await.unwrap()
}

/// The permissioned pool of `amm.rs` whose senior tranche has a market with 1M/1M of
/// liquidity from Alice; the clock moved `hours` so the prices are not round.
async fn market(hours: i64) -> (Fixture, Investor, AmmKeys, Trader, Vec<QueueKeys>) {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(20_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let (m, t) = f.create_market(&alice, SENIOR).await;
    let queues = f.init_redemption().await;
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 1_000_000 * UNIT, 1_000_000 * UNIT)], &[&w]).await.unwrap();
    if hours > 0 {
        let now = f.now().await;
        refresh_at(&mut f, now + hours * 3_600).await;
    } else {
        f.reprice().await.unwrap();
    }
    (f, alice, m, t, queues)
}

async fn exit_market(f: &mut Fixture, m: &AmmKeys) -> (sluice::state::Amm, u64, u64) {
    let amm = client::amm(&mut f.chain, &m.amm).await.unwrap();
    (amm, f.balance(&m.tranche_vault).await, f.balance(&m.base_vault).await)
}

fn sell(amount_in: u64, min_out: u64, deadline: i64) -> SwapArgs {
    SwapArgs { buy_tranche: false, amount_in, min_out, deadline }
}

// ---------------------------------------------------------------------------------------
// 1. The instant door: what the SDK promises vs what the program pays
// ---------------------------------------------------------------------------------------

/// Attack (a, b): the per-holder 24 h threshold across several calls. After each exit the
/// SDK's capacity (from the holder record) must be exactly what the program still takes: a
/// unit more is refused `InstantTooLarge`, the capacity itself is paid.
#[tokio::test]
async fn the_holder_threshold_across_calls_is_what_capacity_says() {
    let (mut f, alice, _) = pool_with_queues().await;
    let threshold = f.pool().await.params.redemption.instant_threshold;
    // Two exits of 4,000 by hand, then whatever the SDK says is left.
    for _ in 0..2 {
        let got = door_agrees(&mut f, &alice, SENIOR, 4_000 * UNIT).await;
        assert_eq!(got, 4_000 * UNIT);
    }
    let (pool, now) = (f.pool().await, f.now().await);
    let err = preview::instant_exit(&pool, 8_000 * UNIT, SENIOR, 2_000 * UNIT + 1, now).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::InstantTooLarge));
    let rest = door_agrees(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    assert_eq!(rest, 2_000 * UNIT, "price 1.0: 10,000 − 8,000 left");
    assert_eq!(used(&mut f, &alice, SENIOR).await, threshold);
    // Nothing left: the SDK says 0 and the program refuses a single unit.
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await, 0);
    let now = f.now().await;
    let plan = preview::plan_exit(&f.pool().await, None, threshold, SENIOR, 5 * UNIT, u64::MAX, now, 100);
    assert_eq!((plan.instant_tokens, plan.queued_tokens), (0, 5 * UNIT));
}

/// Attack (a, b): the window boundary. The holder's window starts at its first exit `T`; at
/// `T + 24 h − 1 s` the SDK must still count the use and the program still refuse; at
/// `T + 24 h` both start afresh. (The window is fixed, not rolling: a holder takes the
/// threshold just before the boundary and again at it — twice the threshold within a
/// second. Shown here as the rule the code implements; see the report.)
#[tokio::test]
async fn the_window_boundary_is_where_capacity_says() {
    let (mut f, alice, _) = pool_with_queues().await;
    let threshold = f.pool().await.params.redemption.instant_threshold;
    let t0 = f.now().await;
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, UNIT).await, UNIT);
    // One second before the window ends: fresh NAV, the rest of the threshold.
    refresh_at(&mut f, t0 + DAY - 1).await;
    assert_eq!(used(&mut f, &alice, SENIOR).await, UNIT);
    let late = door_agrees(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    assert!(late > 9_990 * UNIT, "{late}");
    let taken = used(&mut f, &alice, SENIOR).await;
    assert!(taken <= threshold && threshold - taken <= 1, "{taken}");
    // At the boundary: a whole new threshold.
    refresh_at(&mut f, t0 + DAY).await;
    assert_eq!(used(&mut f, &alice, SENIOR).await, 0);
    let fresh = door_agrees(&mut f, &alice, SENIOR, 1_000_000 * UNIT).await;
    assert!(fresh > 9_990 * UNIT, "{fresh}");
    // Within one second the holder took (threshold − 1 unit) + threshold of value.
    let again = used(&mut f, &alice, SENIOR).await;
    assert!(again <= threshold && threshold - again <= 1, "{again}");
}

/// Attack (a): the pool-wide 24 h window cap. Three holders share a cap of 25 bps of NAV:
/// the third gets exactly what the SDK says is left of it (`InstantCapReached` a unit
/// beyond), computed on the NAV the earlier exits left.
#[tokio::test]
async fn the_pool_window_cap_is_what_capacity_says() {
    let (mut f, alice, _) = pool_with_queues().await;
    f.change_params(|p| p.redemption.instant_window_cap_bps = 25).await;
    let bob = f.investor(50_000 * UNIT, false).await;
    let carol = f.investor(50_000 * UNIT, false).await;
    for h in [&bob, &carol] {
        f.deposit(h, SENIOR, 20_000 * UNIT).await.unwrap();
    }
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, 10_000 * UNIT).await, 10_000 * UNIT);
    assert_eq!(door_agrees(&mut f, &bob, SENIOR, 10_000 * UNIT).await, 10_000 * UNIT);
    let pool = f.pool().await;
    let cap = pool.nav as u128 * 25 / 10_000;
    let left = cap as u64 - pool.window_paid;
    let err = preview::instant_exit(&pool, 0, SENIOR, left + 1, f.now().await).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::InstantCapReached));
    let third = door_agrees(&mut f, &carol, SENIOR, 10_000 * UNIT).await;
    assert_eq!(third, left, "price 1.0: the tokens left under the cap");
    assert!(third < 10_000 * UNIT);
    // The cap is spent: Carol, under her own threshold, gets nothing more.
    assert_eq!(door_agrees(&mut f, &carol, SENIOR, 10_000 * UNIT).await, 0);
}

/// Attack (a): the cash floor with an open batch. Cash a batch granted and did not pay yet
/// counts as spent: the SDK's capacity must stop exactly where the program does
/// (`CashFloorReached`), and the batch must still pay in full afterwards.
#[tokio::test]
async fn the_cash_floor_with_an_open_batch_is_what_capacity_says() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    open_door(&mut f).await;
    leave_above_floor(&mut f, 50_000 * UNIT).await;
    let id = f.request(&alice, &q[0], 40_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[1], 1).await.unwrap(); // opens the batch; the senior part waits
    let pool = f.pool().await;
    assert!(pool.batch.open && pool.batch.granted[0] == 40_000 * UNIT);
    let now = f.now().await;
    let err = preview::instant_exit(&pool, 0, MEZZANINE, 1_000_000 * UNIT, now).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::CashFloorReached));
    let got = door_agrees(&mut f, &alice, MEZZANINE, 1_000_000 * UNIT).await;
    assert!(got > 0 && got < 11_000 * UNIT, "{got}");
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let r = f.queued(&q[0], id).await;
    assert_eq!(r.remaining, 0, "the batch still paid in full");
    assert!(!f.pool().await.batch.open);
}

/// Attack (a): subordination for junior exits beside an open batch's junior grant. The SDK
/// must stop exactly where the program does (`SubordinationBreached`); the batch then pays
/// its whole grant and the mezzanine keeps its 10 %.
#[tokio::test]
async fn junior_subordination_with_an_open_batch_is_what_capacity_says() {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    open_door(&mut f).await;
    f.request(&alice, &q[2], 2_200_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 1).await.unwrap();
    let pool = f.pool().await;
    assert!(pool.batch.open && pool.batch.granted[JUNIOR as usize] == 2_200_000 * UNIT);
    let now = f.now().await;
    let err = preview::instant_exit(&pool, 0, JUNIOR, 100_000 * UNIT, now).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::SubordinationBreached));
    let got = door_agrees(&mut f, &alice, JUNIOR, 1_000_000 * UNIT).await;
    // 3M − 2.2M − x ≥ 0.1 · (10M − 2.2M − x)  →  x ≤ 22,222.2…
    assert!(got > 22_000 * UNIT && got <= 22_223 * UNIT, "{got}");
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let pool = f.pool().await;
    assert!(!pool.batch.open);
    assert_eq!(pool.batch.redeemed[JUNIOR as usize], 2_200_000 * UNIT);
    assert!(pool.tranches[2].value as u128 * 10_000 >= 1_000 * pool.nav as u128);
}

/// Builds the state where an open batch's junior grant no longer fits the mezzanine's
/// subordination (a 100,000 loss after it opened). Returns the fixture, Alice and the queues.
async fn junior_grant_that_no_longer_fits() -> (Fixture, Investor, Vec<QueueKeys>, (Keypair, Pubkey)) {
    let (mut f, alice, q) = pool_with_queues().await;
    let keeper = f.keeper().await;
    open_door(&mut f).await;
    f.request(&alice, &q[2], 2_200_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 1).await.unwrap();
    let idx = f.add_receivable(100_000 * UNIT, 100_000 * UNIT, 200, 0).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, idx, 0)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    assert!(f.pool().await.batch.open);
    (f, alice, q, keeper)
}

/// Attack (a): a senior exit while the open batch's junior grant no longer fits (a loss
/// after the batch opened). A senior exit only lowers NAV with the tranches below it
/// unchanged: it can break no subordination, and the spec refuses only "a junior exit that
/// breaks a senior tranche's subordination once the open batch's grants are paid too". The
/// SDK and the program agree — both refuse it, `SubordinationBreached` — until someone
/// cranks the junior queue and the junior part lapses (or the exit is large enough to make
/// room for the grant, next tests).
#[tokio::test]
#[ignore = "DEFECT: plan_instant refuses a senior exit (SubordinationBreached) when an open batch's junior grant no longer fits"]
async fn a_senior_exit_is_not_blocked_by_a_junior_grant_that_no_longer_fits() {
    let (mut f, alice, _q, _keeper) = junior_grant_that_no_longer_fits().await;
    let now = f.now().await;
    let pool = f.pool().await;
    // The senior exit improves every subordination: it must be allowed.
    assert_eq!(preview::instant_exit(&pool, 0, SENIOR, 1_000 * UNIT, now).map(|_| ()), Ok(()));
    f.chain.send(&[instant(&f, &alice, SENIOR, 1_000 * UNIT)], &[&alice.wallet]).await.unwrap();
}

/// Attack (a): the same root cause makes `plan_instant` non-monotone in the tokens, which
/// `instant_capacity`'s binary search assumes it is ("true for small amounts, false from some
/// point on"). A senior exit of 40,000 or more lowers NAV enough for the stale junior grant
/// to fit and is accepted; smaller ones are refused. With a 50,000 threshold the program
/// takes 45,000, but the search (from 1,000,000) probes only refused amounts and says 0.
#[tokio::test]
#[ignore = "DEFECT: instant_capacity says 0 while the program accepts a 45,000 senior exit (plan_instant not monotone beside a stale grant)"]
async fn capacity_finds_what_the_program_accepts_beside_a_stale_grant() {
    let (mut f, alice, _q, _keeper) = junior_grant_that_no_longer_fits().await;
    f.change_params(|p| {
        p.redemption.instant_threshold = 50_000 * UNIT;
        p.redemption.instant_window_cap_bps = 10_000;
    })
    .await;
    let (pool, now) = (f.pool().await, f.now().await);
    let cap = preview::instant_capacity(&pool, 0, SENIOR, 1_000_000 * UNIT, now);
    f.chain.send(&[instant(&f, &alice, SENIOR, 45_000 * UNIT)], &[&alice.wallet]).await.unwrap();
    assert!(cap >= 45_000 * UNIT, "capacity {cap}, but the program took 45,000");
}

/// The same state, pinned as the program and the SDK behave today: a 1,000 senior exit is
/// refused `SubordinationBreached` while a 45,000 one is accepted; the SDK's capacity from
/// 1,000,000 (50,000 threshold) is 0; and a junior crank that lapses the junior part reopens
/// the door to small exits.
#[tokio::test]
async fn a_stale_junior_grant_makes_the_senior_door_non_monotone_until_cranked() {
    let (mut f, alice, q, keeper) = junior_grant_that_no_longer_fits().await;
    f.change_params(|p| {
        p.redemption.instant_threshold = 50_000 * UNIT;
        p.redemption.instant_window_cap_bps = 10_000;
    })
    .await;
    let (pool, now) = (f.pool().await, f.now().await);
    let err = preview::instant_exit(&pool, 0, SENIOR, 1_000 * UNIT, now).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::SubordinationBreached));
    assert!(preview::instant_exit(&pool, 0, SENIOR, 45_000 * UNIT, now).is_ok());
    assert_eq!(preview::instant_capacity(&pool, 0, SENIOR, 1_000_000 * UNIT, now), 0);
    f.expect_rejected(
        &[instant(&f, &alice, SENIOR, 1_000 * UNIT)],
        &[&alice.wallet],
        SluiceError::SubordinationBreached,
        &[alice.base],
    )
    .await;
    // The junior part lapses on its next crank; the senior door opens again to small exits.
    f.crank(&keeper, &q[2], 256).await.unwrap();
    let pool = f.pool().await;
    assert!(!pool.batch.open);
    assert_eq!(pool.batch.redeemed[JUNIOR as usize], 0, "the junior part lapsed");
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, 1_000 * UNIT).await, 1_000 * UNIT);
}

/// Attack (a): a paused pool, a stale NAV (too old, and from yesterday), Stress and Crisis.
/// The SDK must promise nothing at the door and name the program's error.
#[tokio::test]
async fn paused_stale_stressed_and_crisis_pools_promise_nothing_at_the_door() {
    let (mut f, alice, q) = pool_with_queues().await;
    let g = f.guardian.insecure_clone();
    let check = |pool: &Pool, now: i64, expected: SluiceError| {
        assert_eq!(preview::instant_capacity(pool, 0, SENIOR, 1_000 * UNIT, now), 0, "{expected:?}");
        let plan = preview::plan_exit(pool, None, 0, SENIOR, 1_000 * UNIT, u64::MAX, now, 100);
        assert_eq!(plan.instant_tokens, 0, "{expected:?}");
        let err = preview::instant_exit(pool, 0, SENIOR, UNIT, now).unwrap_err();
        assert_eq!(code_of(err), u32::from(expected));
    };
    // Paused.
    f.chain.send(&[ix::pause(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let (pool, now) = (f.pool().await, f.now().await);
    check(&pool, now, SluiceError::PoolPaused);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, UNIT)], &[&alice.wallet], SluiceError::PoolPaused, &[]).await;
    f.chain.send(&[ix::unpause(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    // Too old by one second.
    let nav_time = f.pool().await.nav_time;
    f.chain.set_clock(nav_time + 601).await.unwrap();
    let (pool, now) = (f.pool().await, f.now().await);
    check(&pool, now, SluiceError::NavStale);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, UNIT)], &[&alice.wallet], SluiceError::NavStale, &[]).await;
    // At the age limit exactly, still fresh.
    f.refresh().await;
    let nav_time = f.pool().await.nav_time;
    f.chain.set_clock(nav_time + 600).await.unwrap();
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, UNIT).await, UNIT);
    // A NAV from before UTC midnight is stale though young.
    let midnight = (nav_time.div_euclid(DAY) + 1) * DAY;
    f.chain.set_clock(midnight - 10).await.unwrap();
    f.refresh().await;
    f.chain.set_clock(midnight).await.unwrap();
    let (pool, now) = (f.pool().await, f.now().await);
    check(&pool, now, SluiceError::NavStale);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, UNIT)], &[&alice.wallet], SluiceError::NavStale, &[]).await;
    f.refresh().await;
    // Stress: queued value above 10 % of NAV.
    f.request(&alice, &q[2], 1_100_000 * UNIT).await.unwrap();
    f.chain.send(&[ix::update_stage(&f.keys.pool, None)], &[]).await.unwrap();
    let (pool, now) = (f.pool().await, f.now().await);
    assert_eq!(pool.stage, Stage::Stress);
    check(&pool, now, SluiceError::WrongStage);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, UNIT)], &[&alice.wallet], SluiceError::WrongStage, &[]).await;
    // Crisis.
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let (pool, now) = (f.pool().await, f.now().await);
    assert_eq!(pool.stage, Stage::Crisis);
    check(&pool, now, SluiceError::WrongStage);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, UNIT)], &[&alice.wallet], SluiceError::WrongStage, &[]).await;
}

/// Attack (b): split the door inside one transaction. Four exits of 3,000 in one
/// transaction: the fourth crosses the threshold and the whole transaction is refused,
/// nothing paid; three of 3,000 and one of 1,000 reach it exactly; not a unit more.
#[tokio::test]
async fn splitting_the_door_inside_one_transaction_stops_at_the_threshold() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    let four: Vec<_> = (0..4).map(|_| instant(&f, &alice, SENIOR, 3_000 * UNIT)).collect();
    let before = f.snapshot(&[alice.base, alice.tranches[0]]).await;
    let result = f.chain.send(&four, &[&w]).await;
    assert_eq!(result, Err(ChainError::Program { instruction: 3, code: u32::from(SluiceError::InstantTooLarge) }));
    assert_eq!(before, f.snapshot(&[alice.base, alice.tranches[0]]).await);
    let mut exact: Vec<_> = (0..3).map(|_| instant(&f, &alice, SENIOR, 3_000 * UNIT)).collect();
    exact.push(instant(&f, &alice, SENIOR, 1_000 * UNIT));
    let base = f.balance(&alice.base).await;
    f.chain.send(&exact, &[&w]).await.unwrap();
    // Four fees each rounded up: 15 + 15 + 15 + 5.
    assert_eq!(f.balance(&alice.base).await - base, 10_000 * UNIT - 50 * UNIT);
    assert_eq!(used(&mut f, &alice, SENIOR).await, 10_000 * UNIT);
    f.expect_rejected(&[instant(&f, &alice, SENIOR, 1)], &[&w], SluiceError::InstantTooLarge, &[]).await;
}

/// Attack (b): split across token accounts, and across tranches. The record is per wallet,
/// so a second token account of the same wallet gets nothing more. It is per tranche too:
/// the same wallet takes a whole threshold from each tranche it holds on the same day (the
/// documented rule: "a holder's instant exits of this tranche"), and the pool's window cap
/// is shared by all of them.
#[tokio::test]
async fn splitting_across_accounts_gains_nothing_and_across_tranches_is_per_tranche() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    assert_eq!(door_agrees(&mut f, &alice, SENIOR, 10_000 * UNIT).await, 10_000 * UNIT);
    // A second senior account of Alice's, funded from her first.
    let second = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &w.pubkey()).await.unwrap();
    let mv = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &ix::TOKEN_2022,
        &alice.tranches[0],
        &f.keys.tranche_mint(SENIOR),
        &second,
        &w.pubkey(),
        &[],
        1_000 * UNIT,
        6,
    )
    .unwrap();
    f.chain.send(&[mv], &[&w]).await.unwrap();
    let other = Investor {
        wallet: w.insecure_clone(),
        base: alice.base,
        tranches: [second, alice.tranches[1], alice.tranches[2]],
    };
    f.expect_rejected(&[instant(&f, &other, SENIOR, UNIT)], &[&w], SluiceError::InstantTooLarge, &[second]).await;
    // Per tranche: a whole threshold again from the mezzanine and the junior.
    assert_eq!(door_agrees(&mut f, &alice, MEZZANINE, 10_000 * UNIT).await, 10_000 * UNIT);
    assert_eq!(door_agrees(&mut f, &alice, JUNIOR, 10_000 * UNIT).await, 10_000 * UNIT);
    assert_eq!(f.pool().await.window_paid, 30_000 * UNIT);
}

/// Attack (c): `min_out`. The exact payout is accepted; one unit more is refused
/// `PayoutBelowMinimum` and changes nothing — also for a dust exit that pays 0.
#[tokio::test]
async fn min_out_is_exact() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    let pool = f.pool().await;
    for tokens in [1u64, 199, 200, 201, 3_333_333, 9_999 * UNIT] {
        let (value, fee) = instant_payout(&pool, 0, tokens);
        let too_much = instant_with_min(&f, &alice, SENIOR, tokens, value - fee + 1);
        f.expect_rejected(&[too_much], &[&w], SluiceError::PayoutBelowMinimum, &[alice.base, alice.tranches[0]]).await;
    }
    let pool = f.pool().await;
    let (value, fee) = instant_payout(&pool, 0, 5_000 * UNIT);
    let base = f.balance(&alice.base).await;
    f.chain.send(&[instant_with_min(&f, &alice, SENIOR, 5_000 * UNIT, value - fee)], &[&w]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, value - fee);
}

/// Attack (e): rounding. After a day's accrual the senior price is above 1 and the junior's
/// below: dust exits of 1, 2, … units. The pool never pays more than `value − fee` (value
/// floored, fee rounded up), the fee splits into the reserve's floored share and the pot, NAV
/// falls by the value, and many small exits pay no more than one exit of their sum.
#[tokio::test]
async fn dust_exits_never_pay_more_than_value_less_fee() {
    let (mut f, alice, _) = pool_with_queues().await;
    f.init_reserve(0).await;
    let now = f.now().await;
    refresh_at(&mut f, now + DAY).await;
    let w = alice.wallet.insecure_clone();
    let pool = f.pool().await;
    assert!(pool.tranches[0].price_e12 > 1_000_000_000_000 && pool.tranches[2].price_e12 < 1_000_000_000_000);
    let reserve = f.reserve.unwrap();
    let vault_key = f.keys.vault;
    for tranche in [SENIOR, JUNIOR] {
        for tokens in [1u64, 2, 3, 199, 200, 201, 10_001, 1_234_567] {
            let pool = f.pool().await;
            let t = pool.tranches[tranche as usize];
            let value = value_of(tokens, t.value, t.supply);
            let fee = (value as u128 * 50).div_ceil(10_000) as u64;
            let share = fee * 5_000 / 10_000;
            assert_eq!(preview::instant_exit(&pool, 0, tranche, tokens, f.now().await).unwrap(), (value, fee));
            let (base, vault, res) =
                (f.balance(&alice.base).await, f.balance(&vault_key).await, f.balance(&reserve).await);
            f.chain.send(&[instant(&f, &alice, tranche, tokens)], &[&w]).await.unwrap();
            let after = f.pool().await;
            assert_eq!(f.balance(&alice.base).await - base, value - fee, "{tranche}/{tokens}");
            assert_eq!(vault - f.balance(&vault_key).await, value - fee + share);
            assert_eq!(f.balance(&reserve).await - res, share);
            assert_eq!(after.fee_pot - pool.fee_pot, fee - share);
            assert_eq!((pool.nav - after.nav, pool.cash - after.cash), (value, value));
            assert_eq!(pool.tranches[tranche as usize].supply - after.tranches[tranche as usize].supply, tokens);
            // Those who stay never lose a unit of value per token.
            let (b, a) = (pool.tranches[tranche as usize], after.tranches[tranche as usize]);
            assert!(a.value as u128 * b.supply as u128 >= b.value as u128 * a.supply as u128, "{tranche}/{tokens}");
        }
    }
    // A one-unit junior exit is worth 0 (price below 1): the loop's first junior exit burned
    // the unit and paid nothing; a one-unit senior exit is worth 1 and its fee 1.
    let pool = f.pool().await;
    assert_eq!((instant_payout(&pool, 2, 1), instant_payout(&pool, 0, 1)), ((0, 0), (1, 1)));
    // Ten exits of 201 pay no more than one of 2,010.
    let split: u64 = (0..10)
        .map(|_| {
            let (v, fee) = instant_payout(&pool, 0, 201);
            v - fee
        })
        .sum();
    let (v, fee) = instant_payout(&pool, 0, 2_010);
    assert!(split <= v - fee, "{split} > {}", v - fee);
    f.pool().await.invariant().unwrap();
}

/// Attack (e): tokens whose value is 0 — the junior wiped out by a write-down. The SDK and
/// the program agree: no instant exit (the program names it `SubordinationBreached`, as the
/// allocation gives a worthless tranche nothing), capacity 0, and the plan queues.
#[tokio::test]
async fn worthless_tokens_get_nothing_at_the_door() {
    let (mut f, alice, _) = pool_with_queues().await;
    let idx = f.add_receivable(3_500_000 * UNIT, 3_500_000 * UNIT, 200, 0).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    f.chain.send(&[ix::write_down(&issuer.pubkey(), &f.keys, idx, 0)], &[&issuer]).await.unwrap();
    f.reprice().await.unwrap();
    let pool = f.pool().await;
    assert_eq!(pool.tranches[2].value, 0);
    let now = f.now().await;
    assert_eq!(preview::instant_capacity(&pool, 0, JUNIOR, 1_000 * UNIT, now), 0);
    let err = preview::instant_exit(&pool, 0, JUNIOR, 1_000 * UNIT, now).unwrap_err();
    assert_eq!(code_of(err), u32::from(SluiceError::SubordinationBreached));
    f.expect_rejected(
        &[instant(&f, &alice, JUNIOR, 1_000 * UNIT)],
        &[&alice.wallet],
        SluiceError::SubordinationBreached,
        &[alice.tranches[2]],
    )
    .await;
    let plan = preview::plan_exit(&pool, None, 0, JUNIOR, 1_000 * UNIT, u64::MAX, now, 100);
    assert_eq!((plan.instant_tokens, plan.queued_tokens, plan.queued_value), (0, 1_000 * UNIT, 0));
}

// ---------------------------------------------------------------------------------------
// 2. The best exit: the market and the queue parts
// ---------------------------------------------------------------------------------------

/// Executes `plan` for `inv` in one transaction: the door, the sale with `min_out` at the
/// planned payout, the request for the rest.
#[allow(clippy::too_many_arguments)]
fn plan_ixs(
    f: &Fixture,
    inv: &Investor,
    m: &AmmKeys,
    t: &Trader,
    q: &QueueKeys,
    plan: &ExitPlan,
    tranche: u8,
    now: i64,
) -> Vec<Instruction> {
    let mut ixs = Vec::new();
    if plan.instant_tokens > 0 {
        ixs.push(instant_with_min(f, inv, tranche, plan.instant_tokens, plan.instant_out));
    }
    if plan.market_tokens > 0 {
        ixs.push(ix::swap(&f.keys, m, t, sell(plan.market_tokens, plan.market_out, now + 60)));
    }
    if plan.queued_tokens > 0 {
        ixs.push(ix::request_redemption(
            &inv.wallet.pubkey(),
            &f.keys,
            q,
            &inv.tranches[tranche as usize],
            plan.queued_tokens,
        ));
    }
    ixs
}

/// Attack (d): the planned sale right after the planned door exit, in the same transaction,
/// with `min_out` at the planned payout and the prices not round (30 hours of accrual, so
/// the door's floored value could move the NAV price the sale's band fee is set against).
/// For a range of tolerances, the sale quoted on the pool the door leaves must pay what the
/// plan says; then the whole plan — door, sale, request — executes in one transaction and
/// pays exactly the plan.
#[tokio::test]
async fn the_planned_sale_executes_right_after_the_planned_door() {
    let (mut f, alice, m, t, queues) = market(30).await;
    let (amm, tv, bv) = exit_market(&mut f, &m).await;
    let pool = f.pool().await;
    let now = f.now().await;
    let mk = ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
    let mut sales = 0;
    for max_discount_bps in (20..400).step_by(7) {
        let plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 300_000 * UNIT, u64::MAX, now, max_discount_bps);
        assert!(plan.instant_tokens > 0, "{plan:?}");
        if plan.market_tokens == 0 {
            continue;
        }
        sales += 1;
        let mut after = pool.clone();
        let (value, _) = instant_payout(&pool, 0, plan.instant_tokens);
        after.cash -= value;
        after.retire_tokens(0, plan.instant_tokens, value).unwrap();
        let q = preview::swap_quote(&after, &amm, tv, bv, false, plan.market_tokens).unwrap();
        assert!(
            q.amount_out >= plan.market_out,
            "tolerance {max_discount_bps}: {} < {}",
            q.amount_out,
            plan.market_out
        );
    }
    assert!(sales > 40, "{sales}");
    let plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 300_000 * UNIT, u64::MAX, now, 150);
    let base = f.balance(&alice.base).await;
    let ixs = plan_ixs(&f, &alice, &m, &t, &queues[0], &plan, SENIOR, now);
    assert_eq!(ixs.len(), 3);
    f.chain.send(&ixs, &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, plan.instant_out + plan.market_out);
    let id = f.pool().await.tranches[0].queue_tail - 1;
    let r = f.queued(&queues[0], id).await;
    assert_eq!(r.original, plan.queued_tokens);
}

/// Attack (d): in Crisis the door is shut and the market takes only what lands inside the
/// band. With no tolerance of its own (10,000 bps), the plan's sale is the band's edge:
/// one unit more is refused `CrisisBandExceeded`, the planned sale pays the plan.
#[tokio::test]
async fn in_crisis_the_planned_sale_is_the_bands_edge() {
    let (mut f, alice, m, t, queues) = market(0).await;
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::force_crisis(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let (amm, tv, bv) = exit_market(&mut f, &m).await;
    let pool = f.pool().await;
    let now = f.now().await;
    let mk = ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
    let plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 300_000 * UNIT, u64::MAX, now, 10_000);
    assert_eq!(plan.instant_tokens, 0);
    assert!(plan.market_tokens > 0 && plan.queued_tokens > 0, "{plan:?}");
    let over = ix::swap(&f.keys, &m, &t, sell(plan.market_tokens + 1, 0, now + 60));
    f.expect_rejected(&[over], &[&alice.wallet], SluiceError::CrisisBandExceeded, &[alice.base]).await;
    let base = f.balance(&alice.base).await;
    let ixs = plan_ixs(&f, &alice, &m, &t, &queues[0], &plan, SENIOR, now);
    f.chain.send(&ixs, &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, plan.market_out);
}

/// Attack (d): a holder whose membership lapsed. The door still pays a lapsed holder (by the
/// spec) but `swap` needs a live member, and `plan_exit` cannot know membership: given the
/// market it plans a sale the program refuses (`MembershipExpired`). Its contract is that the
/// caller passes the market only to a holder who may trade — `sluice exit` checks the member
/// record first (`app/cli/tests/wallet.rs`).
#[tokio::test]
async fn a_lapsed_members_plan_sells_where_the_market_refuses() {
    let (mut f, _alice, m, _t, _queues) = market(0).await;
    let carol = f.investor(100_000 * UNIT, true).await;
    f.deposit(&carol, SENIOR, 50_000 * UNIT).await.unwrap();
    let now = f.now().await;
    f.set_member(&carol.wallet.pubkey(), now + 60).await.unwrap();
    refresh_at(&mut f, now + 120).await;
    let (amm, tv, bv) = exit_market(&mut f, &m).await;
    let (pool, now) = (f.pool().await, f.now().await);
    let mk = ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
    let plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 50_000 * UNIT, u64::MAX, now, 100);
    assert!(plan.instant_tokens > 0 && plan.market_tokens > 0, "{plan:?}");
    let w = carol.wallet.insecure_clone();
    f.chain.send(&[instant_with_min(&f, &carol, SENIOR, plan.instant_tokens, plan.instant_out)], &[&w]).await.unwrap();
    let t = Trader {
        user: carol.wallet.pubkey(),
        tranche_account: carol.tranches[0],
        base_account: carol.base,
        lp_account: None,
        member: Some(pda::member(&f.keys.pool, &carol.wallet.pubkey())),
    };
    let sale = ix::swap(&f.keys, &m, &t, sell(plan.market_tokens, plan.market_out, now + 60));
    f.expect_rejected(&[sale], &[&w], SluiceError::MembershipExpired, &[carol.base]).await;
}

/// Attack (d/a): a paused pool. The pause stops exits through the pool — the door and the
/// queue (`request_redemption` refuses `PoolPaused`) — but not trades between members: the
/// plan sells what an open pool's plan would on the market, queues nothing and leaves the rest
/// unplaced; the whole plan executes.
#[tokio::test]
async fn a_paused_pools_plan_sells_on_the_market_and_queues_nothing() {
    let (mut f, alice, m, t, queues) = market(0).await;
    let (amm, tv, bv) = exit_market(&mut f, &m).await;
    let (pool, now) = (f.pool().await, f.now().await);
    let mk = ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
    let open_plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 200_000 * UNIT, u64::MAX, now, 100);
    let g = f.guardian.insecure_clone();
    f.chain.send(&[ix::pause(&g.pubkey(), &f.keys.pool)], &[&g]).await.unwrap();
    let pool = f.pool().await;
    let plan = preview::plan_exit(&pool, Some(mk), 0, SENIOR, 200_000 * UNIT, u64::MAX, now, 100);
    assert_eq!((plan.instant_tokens, plan.queued_tokens), (0, 0), "{plan:?}");
    assert!(plan.market_tokens > 0 && plan.market_tokens + plan.unplaced_tokens == 200_000 * UNIT, "{plan:?}");
    let w = alice.wallet.insecure_clone();
    // What it leaves unplaced the queue would indeed refuse.
    let request = ix::request_redemption(&w.pubkey(), &f.keys, &queues[0], &alice.tranches[0], plan.unplaced_tokens);
    f.expect_rejected(&[request], &[&w], SluiceError::PoolPaused, &[alice.tranches[0]]).await;
    let base = f.balance(&alice.base).await;
    let sale = ix::swap(&f.keys, &m, &t, sell(plan.market_tokens, plan.market_out, now + 60));
    f.chain.send(&[sale], &[&w]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - base, plan.market_out);
    assert!(plan.market_tokens <= open_plan.market_tokens + open_plan.queued_tokens);
}

/// Attack (a/d): a small remainder. A holder leaves part of a position: the door takes its
/// threshold and half a token is left — below `min_request` and not the holder's whole
/// balance, which `request_redemption` would refuse (`BelowMinimumRequest`): the plan leaves it
/// unplaced. When it is all the holder has left, the queue takes it.
#[tokio::test]
async fn a_small_remainder_is_queued_only_when_it_is_the_whole_balance() {
    let (mut f, alice, q) = pool_with_queues().await;
    let (pool, now) = (f.pool().await, f.now().await);
    let plan = preview::plan_exit(&pool, None, 0, SENIOR, 10_000 * UNIT + UNIT / 2, u64::MAX, now, 100);
    assert_eq!((plan.instant_tokens, plan.queued_tokens, plan.unplaced_tokens), (10_000 * UNIT, 0, UNIT / 2));
    let w = alice.wallet.insecure_clone();
    let request = ix::request_redemption(&w.pubkey(), &f.keys, &q[0], &alice.tranches[0], UNIT / 2);
    f.expect_rejected(&[request], &[&w], SluiceError::BelowMinimumRequest, &[alice.tranches[0]]).await;
    // Leaving everything: the same half token is the whole balance after the door.
    let held = f.balance(&alice.tranches[0]).await;
    let all = preview::plan_exit(&pool, None, 0, SENIOR, held, held, now, 100);
    assert_eq!(all.instant_tokens + all.queued_tokens, held, "{all:?}");
    f.chain.send(&[instant_with_min(&f, &alice, SENIOR, all.instant_tokens, all.instant_out)], &[&w]).await.unwrap();
    f.request(&alice, &q[0], all.queued_tokens).await.unwrap();
    assert_eq!(f.balance(&alice.tranches[0]).await, 0);
}

// ---------------------------------------------------------------------------------------
// 3. Events in the logs
// ---------------------------------------------------------------------------------------

/// A forged `Deposited` for `pool`, as the mark and base64 a native Sluice would write.
fn forged_line(pool: Pubkey, depositor: Pubkey) -> String {
    let fake = Deposited { pool, depositor, tranche: 0, amount: 1_000_000 * UNIT, tokens: 1 };
    format!("{NATIVE_EVENT_MARK}{}", base64::engine::general_purpose::STANDARD.encode(fake.data()))
}

/// Attack (events): user-controlled text in the logs. The tranche metadata (name, symbol,
/// URI — the URI holds a whole marked, forged `Deposited`, the name a newline and a
/// `Program data:` line) and a memo (Memo 1 and Memo 3, which bank tests carry) must not
/// become a Sluice event for any reader: the stack-aware one and one that takes every
/// `Program data:` line.
#[tokio::test]
async fn user_text_in_the_logs_cannot_forge_an_event() {
    let mut f = Fixture::new(false).await;
    let forged = forged_line(f.keys.pool, f.issuer.pubkey());
    let fake_data = format!("x\nProgram data: {}", &forged[NATIVE_EVENT_MARK.len()..]);
    let md = TrancheMetadata {
        name: fake_data[..fake_data.len().min(64)].to_string(),
        symbol: "S\nX".into(),
        uri: forged.clone(),
    };
    let issuer = f.issuer.insecure_clone();
    let ixs = [ix::set_tranche_metadata(&issuer.pubkey(), &f.keys, 0, md.clone())];
    let (result, logs) = logged(&mut f, &ixs, &[&issuer]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["TrancheMetadataSet"], "{logs:#?}");
    let all: Vec<_> = data_lines(&logs).iter().map(|d| event_name(&d.bytes)).collect();
    assert_eq!(all, vec!["TrancheMetadataSet"], "{logs:#?}");
    let set = decode::<TrancheMetadataSet>(&logs);
    assert_eq!(
        (set[0].name.as_str(), set[0].symbol.as_str(), set[0].uri.as_str()),
        (md.name.as_str(), "S\nX", forged.as_str())
    );
    assert!(!logs.iter().any(|l| l.contains(NATIVE_EVENT_MARK)), "{logs:#?}");
    for memo in ["Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo", "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"] {
        for text in [forged.clone(), fake_data.clone()] {
            let memo_ix = Instruction { program_id: memo.parse().unwrap(), accounts: vec![], data: text.into_bytes() };
            let ixs = [memo_ix];
            let (result, logs) = logged(&mut f, &ixs, &[]).await;
            result.unwrap();
            assert!(data_lines(&logs).is_empty(), "{memo}: {logs:#?}");
        }
    }
}

/// Attack (events): `validator_logs` turns a marked line into `Program data:` whichever
/// program wrote it. On a validator another program's `Program log: sluice-native-event: …`
/// stays a log line; here it becomes a data line that any reader taking every data line (or
/// logs cut to data lines, which the JS client accepts) decodes as Sluice's. No program a
/// bank test carries writes such a line (previous test), but any program deployed on `sluice
/// localnet` that logs a chosen string does.
#[test]
fn only_sluices_marked_lines_become_program_data() {
    let other = "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo";
    let logs = vec![
        format!("Program {other} invoke [1]"),
        format!("Program log: {}", forged_line(Pubkey::new_unique(), Pubkey::new_unique())),
        format!("Program {other} success"),
    ];
    assert_eq!(validator_logs(logs.clone()), logs);
}

/// Attack (events): every state change once, on the pool side, including the CPI-heavy
/// ones — an instant exit paying the reserve its share, a queued request, each chunk of a
/// batch, a claim, a swap, a reserve buy-back — each decoded event matching the state.
#[tokio::test]
async fn pool_instructions_emit_each_event_once() {
    let (mut f, alice, m, t, queues) = market(0).await;
    f.init_reserve(150_000 * UNIT).await;
    let w = alice.wallet.insecure_clone();
    let keeper = f.keeper().await;

    // Instant exit, with the reserve's share: one InstantRedeemed, one ReserveAttested.
    let ixs = [instant(&f, &alice, SENIOR, 4_000 * UNIT)];
    let (result, logs) = logged(&mut f, &ixs, &[&w]).await;
    result.unwrap();
    let names = sluice_events(&logs);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!((count(&names, "InstantRedeemed"), count(&names, "ReserveAttested")), (1, 1));
    let e = &decode::<InstantRedeemed>(&logs)[0];
    assert_eq!((e.tokens, e.value, e.fee, e.holder), (4_000 * UNIT, 4_000 * UNIT, 20 * UNIT, w.pubkey()));
    assert_eq!(decode::<ReserveAttested>(&logs)[0].balance, f.pool().await.reserve_balance);
    assert_eq!(logs.iter().filter(|l| *l == "Program log: Instruction: RedeemInstant").count(), 1);

    // Two requests, then a batch in two chunks: one BatchProcessed per call.
    let bob = f.investor(100_000 * UNIT, true).await;
    f.deposit(&bob, SENIOR, 50_000 * UNIT).await.unwrap();
    let ida = f.request(&alice, &queues[0], 3_000 * UNIT).await.unwrap();
    let rq = ix::request_redemption(&bob.wallet.pubkey(), &f.keys, &queues[0], &bob.tranches[0], 2_000 * UNIT);
    let ixs = [rq];
    let (result, logs) = logged(&mut f, &ixs, &[&bob.wallet]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["RedemptionRequested"]);
    for (chunk, complete) in [(1u16, false), (1, true)] {
        let ixs = [f.crank_ix(&keeper, &queues[0], chunk)];
        let (result, logs) = logged(&mut f, &ixs, &[&keeper.0]).await;
        result.unwrap();
        assert_eq!(sluice_events(&logs), vec!["BatchProcessed"], "{logs:#?}");
        let b = &decode::<BatchProcessed>(&logs)[0];
        assert_eq!((b.requests_processed, b.batch_complete), (1, complete));
    }
    // A claim: one Claimed with the amount paid.
    let claim = ix::claim(&w.pubkey(), &f.keys, &queues[0], ida, &alice.base);
    let base = f.balance(&alice.base).await;
    let ixs = [claim];
    let (result, logs) = logged(&mut f, &ixs, &[&w]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["Claimed"]);
    assert_eq!(decode::<Claimed>(&logs)[0].amount, f.balance(&alice.base).await - base);

    // A dump, then (an hour later) the reserve's buy-back: one Swapped, one ReserveAttested.
    let now = f.now().await;
    let ixs = [ix::swap(&f.keys, &m, &t, sell(100_000 * UNIT, 0, now + 60))];
    let (result, logs) = logged(&mut f, &ixs, &[&w]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["Swapped"]);
    refresh_at(&mut f, now + 3_600).await;
    let reserve_before = f.pool().await.reserve_balance;
    let ixs = [ix::reserve_buyback(&f.keys, &m)];
    let (result, logs) = logged(&mut f, &ixs, &[]).await;
    result.unwrap();
    let names = sluice_events(&logs);
    assert_eq!((names.len(), count(&names, "Swapped"), count(&names, "ReserveAttested")), (2, 1, 1), "{names:?}");
    let s = &decode::<Swapped>(&logs)[0];
    assert_eq!(s.amount_in, reserve_before - f.pool().await.reserve_balance);
    assert_eq!(decode::<ReserveAttested>(&logs)[0].balance, f.pool().await.reserve_balance);
}

/// Attack (events): the basket's CPI-heavy instructions. An exchange in and out emit one
/// `BasketAttested` each; a rebalance that places a request through Sluice's own
/// `request_redemption` (a self-CPI) emits that instruction's `RedemptionRequested` once,
/// inside the nested Sluice invocation, and its own `BasketAttested` and `BasketRebalanced`
/// once each.
#[tokio::test]
async fn basket_instructions_emit_each_event_once() {
    let (mut w, queues, keeper) = sleeve_world().await;
    let bob = w.bob.wallet.insecure_clone();
    let ex = w.exchange_in(&w.bob, &w.bob_basket, 0, 200_000 * UNIT);
    let ixs = [ex];
    let (result, logs) = logged(&mut w.f, &ixs, &[&bob]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["BasketAttested"], "{logs:#?}");
    let attested = &decode::<BasketAttested>(&logs)[0];
    assert_eq!(attested.supply, w.basket().await.supply);
    let ex = w.exchange_in(&w.bob, &w.bob_basket, 1, 50_000 * UNIT);
    w.f.chain.send(&[ex], &[&bob]).await.unwrap();

    // Exchange out: one BasketAttested.
    let out = w.exchange_out(&w.bob, &w.bob_basket, 1_000 * UNIT);
    let ixs = [out];
    let (result, logs) = logged(&mut w.f, &ixs, &[&bob]).await;
    result.unwrap();
    assert_eq!(sluice_events(&logs), vec!["BasketAttested"], "{logs:#?}");

    // Rebalance: the basket asks the senior queue through a self-CPI.
    let ix = w.rebalance_ix(&keeper.0.pubkey(), 0).await;
    let ixs = [ix];
    let (result, logs) = logged(&mut w.f, &ixs, &[&keeper.0]).await;
    result.unwrap();
    let lines = data_lines(&logs);
    let sluice = sluice::ID.to_string();
    assert!(lines.iter().all(|d| d.program.as_deref() == Some(&sluice)), "{logs:#?}");
    let names: Vec<_> = lines.iter().map(|d| (event_name(&d.bytes), d.sluice_depth)).collect();
    let inner: Vec<_> =
        names.iter().filter(|(_, depth)| *depth > names.iter().map(|(_, d)| *d).min().unwrap()).collect();
    assert_eq!(inner.len(), 1, "{names:?}");
    assert_eq!(inner[0].0, "RedemptionRequested");
    let all: Vec<_> = names.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        (all.len(), count(&all, "BasketAttested"), count(&all, "BasketRebalanced"), count(&all, "RedemptionRequested")),
        (3, 1, 1, 1),
        "{all:?}"
    );
    let request = &decode::<RedemptionRequested>(&logs)[0];
    let c = w.basket().await.constituents[0];
    assert_eq!((request.owner, request.id), (w.b.basket, c.request_id));
    assert_eq!(logs.iter().filter(|l| *l == "Program log: Instruction: Rebalance").count(), 1);
    assert_eq!(logs.iter().filter(|l| *l == "Program log: Instruction: RequestRedemption").count(), 1);
    let _ = queues;
}

/// Attack (events): refusals. A refused instruction writes no event and one `AnchorError`
/// line with its own code; an error from a token-program CPI (insufficient funds) or from the
/// system program (a holder without lamports for its record's rent) is passed through with
/// that program's code and no `AnchorError` line claiming it as Sluice's or Anchor's.
#[tokio::test]
async fn refusals_leave_no_event_and_name_only_their_own_errors() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    // Sluice's own refusal.
    let ixs = [instant(&f, &alice, SENIOR, 10_001 * UNIT)];
    let (result, logs) = logged(&mut f, &ixs, &[&w]).await;
    assert_sluice_err(result, SluiceError::InstantTooLarge);
    assert!(data_lines(&logs).is_empty(), "{logs:#?}");
    let lines = anchor_error_lines(&logs);
    assert_eq!(lines.len(), 1, "{logs:#?}");
    assert!(lines[0].contains(&format!("Error Number: {}.", u32::from(SluiceError::InstantTooLarge))));

    // SPL Token: a deposit of more than the depositor has.
    let poor = f.investor(10 * UNIT, false).await;
    let ixs = [f.deposit_ix(&poor, JUNIOR, 20 * UNIT, 0)];
    let (result, logs) = logged(&mut f, &ixs, &[&poor.wallet]).await;
    assert_eq!(result, Err(ChainError::Program { instruction: 0, code: 1 }));
    assert!(anchor_error_lines(&logs).is_empty(), "{logs:#?}");
    assert!(logs.iter().any(|l| l == "Program log: Error: insufficient funds"), "{logs:#?}");
    assert!(data_lines(&logs).is_empty());

    // System program: a holder with tokens but no lamports for its holder record.
    let broke = Keypair::new();
    let inv = f.investor(10_000 * UNIT, false).await;
    f.deposit(&inv, SENIOR, 1_000 * UNIT).await.unwrap();
    let broke_base = client::create_token_account(&mut f.chain, &f.keys.base_mint, &broke.pubkey()).await.unwrap();
    let broke_t =
        client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &broke.pubkey()).await.unwrap();
    let mv = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        &ix::TOKEN_2022,
        &inv.tranches[0],
        &f.keys.tranche_mint(SENIOR),
        &broke_t,
        &inv.wallet.pubkey(),
        &[],
        500 * UNIT,
        6,
    )
    .unwrap();
    f.chain.send(&[mv], &[&inv.wallet]).await.unwrap();
    let broke_inv =
        Investor { wallet: broke.insecure_clone(), base: broke_base, tranches: [broke_t, broke_t, broke_t] };
    let ixs = [instant(&f, &broke_inv, SENIOR, 100 * UNIT)];
    let (result, logs) = logged(&mut f, &ixs, &[&broke]).await;
    let err = result.unwrap_err();
    assert!(err.sluice_code().is_none(), "{err:?}: {logs:#?}");
    assert!(anchor_error_lines(&logs).is_empty(), "{err:?}: {logs:#?}");
    assert!(data_lines(&logs).is_empty());
}

/// Attack (events): a transaction refused in its second instruction. Its logs still hold the
/// first instruction's `Deposited` line — as a validator's logs of a failed transaction would —
/// though the deposit rolled back: a reader must check the transaction's error. Pinned here
/// so a client that does not is known to be wrong; the refused instruction itself writes
/// nothing.
#[tokio::test]
async fn a_failed_transaction_keeps_the_lines_of_its_earlier_instructions() {
    let (mut f, alice, _) = pool_with_queues().await;
    let w = alice.wallet.insecure_clone();
    let supply = f.pool().await.tranches[2].supply;
    let ixs = [f.deposit_ix(&alice, JUNIOR, 1_000 * UNIT, 0), instant(&f, &alice, SENIOR, 10_001 * UNIT)];
    let (result, logs) = logged(&mut f, &ixs, &[&w]).await;
    assert_eq!(result, Err(ChainError::Program { instruction: 1, code: u32::from(SluiceError::InstantTooLarge) }));
    assert_eq!(sluice_events(&logs), vec!["Deposited"], "{logs:#?}");
    assert_eq!(f.pool().await.tranches[2].supply, supply, "the deposit rolled back");
}

/// Attack (events): set-up instructions that change state and emit nothing — opening a
/// market, setting up a tranche's redemption queue, proposing an authority or a publisher,
/// creating a basket. docs/events.md lists them: an indexer reads those accounts instead.
#[tokio::test]
async fn these_state_changes_emit_nothing() {
    let silent = silent_state_changes().await;
    assert_eq!(
        silent,
        vec!["create_amm", "init_redemption", "propose_authority", "propose_publisher", "create_basket"]
    );
}

async fn silent_state_changes() -> Vec<&'static str> {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let mut silent = Vec::new();
    let m = AmmKeys::new(&f.keys, JUNIOR);
    let create = ix::create_amm(&issuer.pubkey(), &f.keys, &m, AmmParams::RECOMMENDED);
    let queue = Keypair::new();
    let lamports = f.chain.rent_exempt_minimum(sluice::state::RedemptionQueue::SPACE).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let init = [
        ix::allocate_queue(&payer, &queue.pubkey(), lamports),
        ix::init_redemption(&issuer.pubkey(), &f.keys, 0, &queue.pubkey()),
    ];
    let successor = Keypair::new();
    let b = ix::BasketKeys::new(&issuer.pubkey(), 7, f.keys.base_mint, f.keys.base_token_program);
    let basket = ix::create_basket(
        &issuer.pubkey(),
        &b,
        sluice::instructions::CreateBasketArgs {
            basket_id: 7,
            guardian: f.guardian.pubkey(),
            params: sluice::state::BasketParams::DEFAULT,
        },
    );
    let cases: Vec<(&'static str, Vec<Instruction>, Vec<&Keypair>)> = vec![
        ("create_amm", vec![create], vec![&issuer]),
        ("init_redemption", init.to_vec(), vec![&issuer, &queue]),
        (
            "propose_authority",
            vec![ix::propose_authority(&issuer.pubkey(), &f.keys.pool, &successor.pubkey())],
            vec![&issuer],
        ),
        (
            "propose_publisher",
            vec![ix::propose_publisher(&issuer.pubkey(), &f.keys, &successor.pubkey())],
            vec![&issuer],
        ),
        ("create_basket", vec![basket], vec![&issuer]),
    ];
    for (name, ixs, signers) in cases {
        let before = f.snapshot(&[m.amm, queue.pubkey(), b.basket]).await;
        let (result, logs) = f.chain.send_with_logs(&ixs, &signers).await.unwrap();
        result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_ne!(before, f.snapshot(&[m.amm, queue.pubkey(), b.basket]).await, "{name} changed nothing");
        if sluice_events(&logs).is_empty() {
            silent.push(name);
        }
    }
    silent
}

/// A transaction of `memos` one-byte Memo 3 instructions (each writes ~220 bytes of runtime
/// log lines), then `ix`.
fn after_memos(memos: usize, ix: Instruction) -> Vec<Instruction> {
    let memo: Pubkey = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr".parse().unwrap();
    let mut ixs: Vec<_> =
        (0..memos).map(|_| Instruction { program_id: memo, accounts: vec![], data: b"x".to_vec() }).collect();
    ixs.push(ix);
    ixs
}

/// Attack (events): hide one's own state change from log readers on a validator. A
/// validator's log collector keeps 10,000 bytes per transaction (`solana-svm-log-collector`'s
/// `LOG_MESSAGES_BYTES_LIMIT`; every line past it is dropped for one `Log truncated`),
/// counted over all its instructions. A depositor who puts 60 one-byte memo instructions
/// first (4 bytes each in the transaction) pushes the `Deposited` line past that limit: the
/// deposit happens and, on a validator, no reader of the logs sees it. The bank here cannot
/// show the loss — `process_transaction_with_metadata` records up to 1,000,000 bytes, so
/// `send_with_logs` keeps lines a validator drops — so this pins where the line lands.
/// (`docs/events.md` chose logs over `emit_cpi!` because Sluice's own events are small; the
/// other instructions of the same transaction count too.)
#[tokio::test]
async fn a_padded_transaction_pushes_its_event_past_a_validators_log_limit() {
    const VALIDATOR_LOG_LIMIT: usize = 10_000;
    let mut f = Fixture::new(false).await;
    let alice = f.investor(1_000 * UNIT, false).await;
    f.reprice().await.unwrap();
    let ixs = after_memos(60, f.deposit_ix(&alice, JUNIOR, 250 * UNIT, 0));
    let (result, logs) = logged(&mut f, &ixs, &[&alice.wallet]).await;
    result.unwrap();
    assert_eq!(f.balance(&alice.tranches[JUNIOR as usize]).await, 250 * UNIT, "the deposit happened");
    assert_eq!(decode::<Deposited>(&logs).len(), 1, "the bank keeps the line");
    // Bytes written up to and including the event line: past what a validator keeps.
    let mut written = 0;
    let mut at = None;
    for line in &logs {
        written += line.len();
        if line.starts_with("Program data: ") {
            at = Some(written);
        }
    }
    let at = at.expect("the event line");
    assert!(at > VALIDATOR_LOG_LIMIT, "the event ends at byte {at}");
    // Without the padding it is well inside.
    let ixs = after_memos(0, f.deposit_ix(&alice, JUNIOR, 250 * UNIT, 0));
    let (result, logs) = logged(&mut f, &ixs, &[&alice.wallet]).await;
    result.unwrap();
    assert!(logs.iter().map(String::len).sum::<usize>() < VALIDATOR_LOG_LIMIT / 4);
}
