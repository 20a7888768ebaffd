//! Adversarial review of compliant tranche tokens (issue 10): Token-2022 tranche, basket and
//! LP mints, frozen-by-default accounts in permissioned pools (`thaw_holder` /
//! `freeze_holder`), the lapsed holder's exit, base mints of either token program and
//! `push_claims` over Token-2022 accounts. Every attack goes through the public interface;
//! each test names the attack and the safe outcome it must meet. A test marked
//! `#[ignore = "HOLE: ..."]` documents an attack that succeeds today (see the review report).
#![allow(deprecated)]

use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_interface::spl_token_metadata_interface;
use sluice::instructions::{
    AddTrancheArgs, CreateBasketArgs, CreatePoolArgs, DepositArgs, ExchangeInArgs, RedeemInstantArgs, SwapArgs,
    TrancheMetadata,
};
use sluice::state::{AmmParams, BasketMarketParams, BasketParams, MAX_PUBLISHERS};
use sluice_sdk::chain::{Chain, ChainError, DevChain};
use sluice_sdk::ix::{self, AmmKeys, BasketKeys, BasketMarketKeys, PoolKeys, QueueKeys, Trader};
use sluice_sdk::{client, pda, Pubkey};
use sluice_tests::basket::*;
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;
use spl_token_2022::error::TokenError;
use spl_token_2022::extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions};
use spl_token_2022::instruction::AuthorityType;
use spl_token_2022::state::AccountState;
use spl_token_metadata_interface::error::TokenMetadataError;

const DAY: i64 = 86_400;
const T22: Pubkey = ix::TOKEN_2022;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Sends `ixs` and expects Token-2022 to refuse a move from or to a frozen account
/// (`AccountFrozen`), with `watched` unchanged.
async fn expect_refused_frozen(f: &mut Fixture, ixs: &[Instruction], signers: &[&Keypair], watched: &[Pubkey]) {
    expect_refused(f, ixs, signers, Refused::Token(TokenError::AccountFrozen as u32), watched).await
}

/// Creating an account of the base mint under the other token program: the token program
/// refuses the mint.
const WRONG_PROGRAM_ID: Refused = Refused::Runtime("incorrect program id");

/// How a token program, Anchor or the runtime refuses — not one of Sluice's own errors.
#[derive(Clone, Copy, Debug)]
enum Refused {
    /// A Token-2022 error, by its code (`TokenError::X as u32`).
    Token(u32),
    /// A token-metadata interface error, by its code.
    Metadata(u32),
    /// Anchor's own account checks (e.g. 2006, a seeds constraint).
    Anchor(u32),
    /// A runtime or CPI failure without a custom code, by its message.
    Runtime(&'static str),
}

/// Sends `ixs`, expects the refusal `expected`, and checks that `watched` is byte-for-byte
/// unchanged.
async fn expect_refused(
    f: &mut Fixture,
    ixs: &[Instruction],
    signers: &[&Keypair],
    expected: Refused,
    watched: &[Pubkey],
) {
    let before = f.snapshot(watched).await;
    let err = f.chain.send(ixs, signers).await.expect_err("expected a rejection");
    let code = match &err {
        ChainError::Program { code, .. } => Some(*code),
        _ => None,
    };
    let matches = match expected {
        Refused::Token(c) => code == Some(c),
        Refused::Metadata(c) => code == Some(c),
        Refused::Anchor(c) => code == Some(c),
        Refused::Runtime(text) => matches!(&err, ChainError::Transaction(m) if m.contains(text)),
    };
    assert!(matches, "expected {expected:?}, got {err:?}");
    assert_eq!(before, f.snapshot(watched).await, "state changed after a rejection ({err:?})");
}

/// The keypairs among `all` that `ixn` needs as signers.
fn signers_of<'a>(ixn: &Instruction, all: &[&'a Keypair]) -> Vec<&'a Keypair> {
    all.iter().copied().filter(|k| ixn.accounts.iter().any(|m| m.is_signer && m.pubkey == k.pubkey())).collect()
}

/// A permissioned pool with redemption set up: Alice (member) holds junior 3M, mezzanine 2M
/// and senior 5M; Bob (member) holds 100,000 senior.
async fn member_pool() -> (Fixture, Investor, Investor, Vec<QueueKeys>) {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(20_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let q = f.init_redemption().await;
    let bob = f.investor(1_000_000 * UNIT, true).await;
    f.deposit(&bob, SENIOR, 100_000 * UNIT).await.unwrap();
    (f, alice, bob, q)
}

/// A second pool of the fixture's issuer, permissioned, with one tranche (its mint frozen by
/// default): made permissioned before its first tranche, which `update_params` allows.
async fn second_permissioned_pool(f: &mut Fixture, pool_id: u64) -> PoolKeys {
    let keys = f.another_pool(pool_id).await;
    let issuer = f.issuer.insecure_clone();
    let flip = ix::update_params(&issuer.pubkey(), &keys.pool, default_params(true));
    let args = AddTrancheArgs { coupon_bps: 0, min_subordination_bps: 0, metadata: tranche_metadata(0) };
    let add = ix::add_tranche(&issuer.pubkey(), &keys, 0, args);
    f.chain.send(&[flip, add], &[&issuer]).await.unwrap();
    keys
}

/// Token-2022 `SetAuthority(AccountOwner)`: hands the token account itself to `new_owner`.
fn set_owner(account: &Pubkey, new_owner: &Pubkey, owner: &Pubkey) -> Instruction {
    spl_token_2022::instruction::set_authority(&T22, account, Some(new_owner), AuthorityType::AccountOwner, owner, &[])
        .unwrap()
}

/// A plain transfer of Sluice tranche tokens signed by `authority` (owner or delegate).
fn move_tokens(from: &Pubkey, to: &Pubkey, authority: &Pubkey, amount: u64) -> Instruction {
    ix::token::transfer(&T22, from, to, authority, amount)
}

async fn token_state(f: &mut Fixture, account: &Pubkey) -> spl_token_2022::state::Account {
    let data = f.chain.account(account).await.unwrap().expect("token account").data;
    StateWithExtensions::<spl_token_2022::state::Account>::unpack(&data).unwrap().base
}

async fn mint_state(f: &mut Fixture, mint: &Pubkey) -> (Pubkey, spl_token_2022::state::Mint, Vec<ExtensionType>) {
    let account = f.chain.account(mint).await.unwrap().expect("mint");
    let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&account.data).unwrap();
    (account.owner, state.base, state.get_extension_types().unwrap())
}

async fn frozen(f: &mut Fixture, account: &Pubkey) -> bool {
    client::is_frozen(&mut f.chain, account).await.unwrap()
}

async fn lamports(f: &mut Fixture, account: &Pubkey) -> u64 {
    f.chain.account(account).await.unwrap().map_or(0, |a| a.lamports)
}

/// Revokes `inv`'s membership and freezes its tranche account `tranche` in one transaction.
async fn revoke_and_freeze(f: &mut Fixture, inv: &Investor, tranche: u8) {
    let issuer = f.issuer.insecure_clone();
    let w = inv.wallet.pubkey();
    let revoke = ix::revoke_member(&issuer.pubkey(), &f.keys.pool, &w);
    let freeze = ix::freeze_holder(&issuer.pubkey(), &f.keys.pool, tranche, &inv.tranches[tranche as usize], &w);
    f.chain.send(&[revoke, freeze], &[&issuer]).await.unwrap();
}

/// A senior market with 100,000 / 100,000 of Alice's liquidity; returns its keys and
/// Alice's trader accounts (with an LP account).
async fn senior_market(f: &mut Fixture, alice: &Investor) -> (AmmKeys, Trader) {
    let (m, t) = f.create_market(alice, SENIOR).await;
    let add = ix::add_liquidity(&f.keys, &m, &t, 0, 100_000 * UNIT, 100_000 * UNIT);
    f.chain.send(&[add], &[&alice.wallet]).await.unwrap();
    (m, t)
}

/// Switches the fixture to a new pool (id `pool_id`) of its issuer on `base_mint`, with the
/// fixture's three tranches, rates, and issuer and borrower accounts of that mint.
async fn switch_to_pool_on(f: &mut Fixture, base_mint: &Pubkey, pool_id: u64, permissioned: bool) {
    let issuer = f.issuer.insecure_clone();
    let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
    publishers[0] = f.publisher.pubkey();
    let args =
        CreatePoolArgs { pool_id, guardian: f.guardian.pubkey(), publishers, params: default_params(permissioned) };
    let keys = client::create_pool(&mut f.chain, &issuer, base_mint, args).await.unwrap();
    for (i, (coupon_bps, min_subordination_bps)) in [(800, 2_000), (1_200, 1_000), (0, 0)].into_iter().enumerate() {
        let args = AddTrancheArgs { coupon_bps, min_subordination_bps, metadata: tranche_metadata(i as u8) };
        f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args)], &[&issuer]).await.unwrap();
    }
    f.keys = keys;
    f.sequence = 0;
    f.reserve = None;
    f.redemption_ready = [false; 3];
    f.publish(800).await.unwrap();
    f.issuer_base = client::create_token_account(&mut f.chain, base_mint, &issuer.pubkey()).await.unwrap();
    client::mint_to(&mut f.chain, base_mint, &f.issuer_base, &issuer, 10_000_000 * UNIT).await.unwrap();
    f.borrower_base = client::create_token_account(&mut f.chain, base_mint, &Keypair::new().pubkey()).await.unwrap();
}

/// A Token-2022 base mint without extensions whose freeze authority is the issuer (as a
/// regulated stablecoin's is).
async fn token_2022_mint_with_freeze_authority(f: &mut Fixture) -> Pubkey {
    let mint = Keypair::new();
    let lamports = f.chain.rent_exempt_minimum(ix::token::MINT_LEN).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let authority = f.issuer.pubkey();
    let ixs = [
        system_instruction::create_account(&payer, &mint.pubkey(), lamports, ix::token::MINT_LEN as u64, &T22),
        spl_token_2022::instruction::initialize_mint2(&T22, &mint.pubkey(), &authority, Some(&authority), 6).unwrap(),
    ];
    f.chain.send(&ixs, &[&mint]).await.unwrap();
    mint.pubkey()
}

/// A Token-2022 token account of `mint` owned by `owner` with room for `extensions`.
async fn token_2022_account(f: &mut Fixture, mint: &Pubkey, owner: &Pubkey, extensions: &[ExtensionType]) -> Pubkey {
    let account = Keypair::new();
    // `create_account` makes every Token-2022 account's owner immutable.
    let mut extensions = extensions.to_vec();
    if !extensions.contains(&ExtensionType::ImmutableOwner) {
        extensions.push(ExtensionType::ImmutableOwner);
    }
    let space = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Account>(&extensions).unwrap();
    let lamports = f.chain.rent_exempt_minimum(space).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let ixs = ix::token::create_account(&T22, &payer, &account.pubkey(), mint, owner, space, lamports);
    f.chain.send(&ixs, &[&account]).await.unwrap();
    account.pubkey()
}

// ---------------------------------------------------------------------------------------
// Handing over a thawed account
// ---------------------------------------------------------------------------------------

/// Attack: Alice, a member, does not transfer her tranche tokens — she hands over the thawed
/// account itself with Token-2022 `SetAuthority(AccountOwner)` to a wallet the issuer never
/// admitted, which would then receive from members, redeem and claim (found in review: the
/// fix is below). Safe: `thaw_holder` thaws only accounts whose owner cannot change
/// (ImmutableOwner, which `client::create_token_account` and every associated token account
/// add, or a basket's vault), so the hand-over fails and the outsider is never paid.
#[tokio::test]
async fn a_member_cannot_hand_a_thawed_account_to_an_outsider() {
    let (mut f, alice, _bob, q) = member_pool().await;
    let outsider = f.investor(0, false).await;
    let (a, o) = (alice.wallet.insecure_clone(), outsider.wallet.insecure_clone());
    let account = alice.tranches[0];
    let handed = f.chain.send(&[set_owner(&account, &o.pubkey(), &a.pubkey())], &[&a]).await.is_ok();
    if handed {
        // What the outsider now has: a thawed account of 5,000,000 senior tokens in its name.
        let state = token_state(&mut f, &account).await;
        assert_eq!(state.owner, o.pubkey());
        assert_eq!(state.state, AccountState::Initialized, "the handed-over account is still thawed");
        // It redeems 1,000 of them and claims the base to itself.
        let id = f.pool().await.tranches[0].queue_tail;
        let request = ix::request_redemption(&o.pubkey(), &f.keys, &q[0], &account, 1_000 * UNIT);
        let requested = f.chain.send(&[request], &[&o]).await;
        if requested.is_ok() {
            let keeper = f.keeper().await;
            f.crank(&keeper, &q[0], 256).await.unwrap();
            let claim = ix::claim(&o.pubkey(), &f.keys, &q[0], id, &outsider.base);
            let _ = f.chain.send(&[claim], &[&o]).await;
        }
        // A keeper freezes the account (its owner is no member) — and the lapsed holder's
        // exit still pays the outsider at once.
        let freeze = ix::freeze_holder(&a.pubkey(), &f.keys.pool, SENIOR, &account, &o.pubkey());
        if f.chain.send(&[freeze], &[&a]).await.is_ok() {
            let args = RedeemInstantArgs { tranche: SENIOR, tokens: 1_000 * UNIT, min_out: 0 };
            let exit = ix::redeem_instant(&o.pubkey(), &f.keys, &account, &outsider.base, None, args);
            let _ = f.chain.send(&[exit], &[&o]).await;
        }
    }
    let paid = f.balance(&outsider.base).await;
    assert_eq!(paid, 0, "a wallet the issuer never admitted was paid {paid} by the pool");
    assert!(
        !handed || frozen(&mut f, &account).await,
        "a wallet the issuer never admitted owns a thawed tranche account"
    );
}

/// Attack: the same handover of an associated token account (what wallets use), and of a
/// plain account without ImmutableOwner. Safe: an associated account carries ImmutableOwner,
/// so `SetAuthority(AccountOwner)` fails (`ImmutableOwner`) and nothing changes; a plain
/// account is never thawed (`HolderOwnerMutable`), so whoever it is handed to holds a frozen
/// account.
#[tokio::test]
async fn an_associated_account_cannot_change_hands_and_a_handed_over_one_is_frozen_by_anyone() {
    let (mut f, alice, _bob, _q) = member_pool().await;
    let outsider = f.investor(0, false).await;
    let (a, o) = (alice.wallet.insecure_clone(), outsider.wallet.pubkey());
    let pool = f.pool().await;
    let payer = f.chain.payer().pubkey();
    let (ata, setup) = client::tranche_account(&mut f.chain, &payer, &pool, SENIOR, &a.pubkey()).await.unwrap();
    f.chain.send(&setup, &[]).await.unwrap();
    assert!(!frozen(&mut f, &ata).await, "a member's associated account is thawed");
    f.chain.send(&[move_tokens(&alice.tranches[0], &ata, &a.pubkey(), 1_000 * UNIT)], &[&a]).await.unwrap();
    let handover = set_owner(&ata, &o, &a.pubkey());
    expect_refused(&mut f, &[handover], &[&a], Refused::Token(TokenError::ImmutableOwner as u32), &[ata]).await;
    assert_eq!(token_state(&mut f, &ata).await.owner, a.pubkey());

    // A plain account (no ImmutableOwner) is never thawed (compliance.rs refuses it by name),
    // so it cannot be handed over thawed either.
    let mint = f.keys.tranche_mint(MEZZANINE);
    let plain = Keypair::new();
    let lamports = f.chain.rent_exempt_minimum(165).await.unwrap();
    let create = [
        system_instruction::create_account(&payer, &plain.pubkey(), lamports, 165, &T22),
        spl_token_2022::instruction::initialize_account3(&T22, &plain.pubkey(), &mint, &a.pubkey()).unwrap(),
    ];
    f.chain.send(&create, &[&plain]).await.unwrap();
    let thaw = ix::thaw_holder(&a.pubkey(), &f.keys.pool, MEZZANINE, &plain.pubkey(), &a.pubkey());
    f.expect_rejected(&[thaw], &[&a], SluiceError::HolderOwnerMutable, &[plain.pubkey()]).await;
    // Frozen, Token-2022 does not even let it change hands.
    let handover = set_owner(&plain.pubkey(), &o, &a.pubkey());
    let refusal = Refused::Token(TokenError::AccountFrozen as u32);
    expect_refused(&mut f, &[handover], &[&a], refusal, &[plain.pubkey()]).await;
}

// ---------------------------------------------------------------------------------------
// freeze_holder / thaw_holder
// ---------------------------------------------------------------------------------------

/// Attack: freeze a live member's account by passing records that exist but are not its
/// record in this pool: the same wallet's record in another permissioned pool, the pool
/// account or a queue in the record's place; or name another pool (with its own mint or
/// this pool's mint) so that the member's record is looked up there; or a tranche index that
/// does not match the mint. Safe: `WrongAccount` each time; the account stays thawed.
#[tokio::test]
async fn a_live_member_cannot_be_frozen_through_another_pool_or_record() {
    let (mut f, _alice, bob, q) = member_pool().await;
    let other = second_permissioned_pool(&mut f, 2).await;
    let issuer = f.issuer.insecure_clone();
    let (b, k) = (bob.wallet.pubkey(), Keypair::new());
    f.chain.airdrop(&k.pubkey(), 1_000_000_000).await.unwrap();
    // Bob is a member of both pools.
    let expires = f.now().await + 365 * DAY;
    f.chain.send(&[ix::set_member(&issuer.pubkey(), &other.pool, &b, expires)], &[&issuer]).await.unwrap();
    let account = bob.tranches[0];
    let freeze = ix::freeze_holder(&k.pubkey(), &f.keys.pool, SENIOR, &account, &b);
    for record in [pda::member(&other.pool, &b), f.keys.pool, q[0].queue, pda::member(&f.keys.pool, &k.pubkey())] {
        let mut attempt = freeze.clone();
        attempt.accounts[4].pubkey = record;
        f.expect_rejected(&[attempt], &[&k], SluiceError::WrongAccount, &[account]).await;
    }
    // Through the other pool: its own mint (Bob's account is of another mint), or this
    // pool's mint (not one of its tranches).
    let through_other = ix::freeze_holder(&k.pubkey(), &other.pool, 0, &account, &b);
    f.expect_rejected(std::slice::from_ref(&through_other), &[&k], SluiceError::WrongAccount, &[account]).await;
    let mut with_our_mint = through_other.clone();
    with_our_mint.accounts[2].pubkey = f.keys.tranche_mint(SENIOR);
    f.expect_rejected(&[with_our_mint], &[&k], SluiceError::WrongAccount, &[account]).await;
    // Index and mint that disagree.
    let mut mismatched = freeze.clone();
    mismatched.data = ix::freeze_holder(&k.pubkey(), &f.keys.pool, JUNIOR, &account, &b).data;
    f.expect_rejected(&[mismatched], &[&k], SluiceError::WrongAccount, &[account]).await;
    // Bob's record in the other pool lapses: still a member here, still not frozen.
    f.chain.send(&[ix::revoke_member(&issuer.pubkey(), &other.pool, &b)], &[&issuer]).await.unwrap();
    f.expect_rejected(&[freeze], &[&k], SluiceError::HolderStillMember, &[account]).await;
    assert!(!frozen(&mut f, &account).await);
}

/// Attack: wedge the pool or a basket by freezing accounts they hold tranche tokens in: the
/// market's tranche vault, a member basket's vault, the escrow under another tranche's
/// index, or a base-token account of the pool (its vault, the reserve, the market's base
/// vault) named as a holder account. Safe: the pool's own accounts are never frozen
/// (`PoolAccountNotFreezable`), a member basket is a member (`HolderStillMember`), base
/// accounts are not accounts of the tranche mint (`WrongAccount`); trading and exchanges go
/// on.
#[tokio::test]
async fn the_pool_s_market_vault_reserve_and_a_member_basket_cannot_be_frozen() {
    let mut w = basket_world_in(true).await;
    let alice = w.f.investor(1_000_000 * UNIT, true).await;
    w.f.deposit(&alice, SENIOR, 300_000 * UNIT).await.unwrap();
    let q = w.f.init_redemption().await;
    w.f.init_reserve(10_000 * UNIT).await;
    let (m, t) = senior_market(&mut w.f, &alice).await;
    let k = Keypair::new();
    w.f.chain.airdrop(&k.pubkey(), 1_000_000_000).await.unwrap();
    let (pool, kp) = (w.f.keys.pool, k.pubkey());

    let amm_vault = ix::freeze_holder(&kp, &pool, SENIOR, &m.tranche_vault, &pool);
    w.f.expect_rejected(&[amm_vault], &[&k], SluiceError::PoolAccountNotFreezable, &[m.tranche_vault]).await;
    let escrow = ix::freeze_holder(&kp, &pool, JUNIOR, &q[2].escrow, &pool);
    w.f.expect_rejected(&[escrow], &[&k], SluiceError::PoolAccountNotFreezable, &[q[2].escrow]).await;
    for t in [SENIOR, JUNIOR] {
        let vault = w.vault(t);
        let basket_vault = ix::freeze_holder(&kp, &pool, t, &vault, &w.b.basket);
        w.f.expect_rejected(&[basket_vault], &[&k], SluiceError::HolderStillMember, &[vault]).await;
    }
    let reserve = w.f.reserve.unwrap();
    for base_account in [w.f.keys.vault, reserve, m.base_vault] {
        let attempt = ix::freeze_holder(&kp, &pool, SENIOR, &base_account, &pool);
        w.f.expect_rejected(&[attempt], &[&k], SluiceError::WrongAccount, &[base_account]).await;
    }
    // Everything still moves: a swap and an exchange into the basket.
    let now = w.f.now().await;
    let swap = SwapArgs { buy_tranche: true, amount_in: 100 * UNIT, min_out: 1, deadline: now + 60 };
    w.f.chain.send(&[ix::swap(&w.f.keys, &m, &t, swap)], &[&alice.wallet]).await.unwrap();
    let bob = w.bob.wallet.insecure_clone();
    let exchange = w.exchange_in(&w.bob, &w.bob_basket, 0, 1_000 * UNIT);
    w.f.chain.send(&[exchange], &[&bob]).await.unwrap();
}

/// Attack: thaw with what is not the owner's live record of this pool: the same wallet's
/// live record in another pool; this pool's record of a member for an account of another
/// pool's mint (named with that pool's mint or with this pool's); an account a stranger
/// opened in the pool PDA's name (to make a pool-owned account the pool does not account
/// for); a record expiring at this very second. Safe: `NotMember` / `WrongAccount` /
/// `MembershipExpired`; nothing thaws. A record that expires now no longer protects its
/// account from `freeze_holder`.
#[tokio::test]
async fn a_thaw_needs_the_owner_s_live_record_of_this_pool_for_this_pool_s_mint() {
    let (mut f, alice, _bob, _q) = member_pool().await;
    let other = second_permissioned_pool(&mut f, 2).await;
    let issuer = f.issuer.insecure_clone();
    let expires = f.now().await + 365 * DAY;
    // Olga is a member of the other pool only.
    let olga = f.investor(0, false).await;
    let o = olga.wallet.pubkey();
    f.chain.send(&[ix::set_member(&issuer.pubkey(), &other.pool, &o, expires)], &[&issuer]).await.unwrap();
    let mut thaw = ix::thaw_holder(&o, &f.keys.pool, SENIOR, &olga.tranches[0], &o);
    thaw.accounts[4].pubkey = pda::member(&other.pool, &o);
    f.expect_rejected(&[thaw], &[&olga.wallet], SluiceError::NotMember, &[olga.tranches[0]]).await;
    assert!(frozen(&mut f, &olga.tranches[0]).await);

    // Alice (member here, not there) and her account of the other pool's mint.
    let a = alice.wallet.pubkey();
    let foreign = client::create_token_account(&mut f.chain, &other.tranche_mint(0), &a).await.unwrap();
    let mut named_theirs = ix::thaw_holder(&a, &f.keys.pool, SENIOR, &foreign, &a);
    named_theirs.accounts[2].pubkey = other.tranche_mint(0);
    f.expect_rejected(&[named_theirs], &[&alice.wallet], SluiceError::WrongAccount, &[foreign]).await;
    let named_ours = ix::thaw_holder(&a, &f.keys.pool, SENIOR, &foreign, &a);
    f.expect_rejected(&[named_ours], &[&alice.wallet], SluiceError::WrongAccount, &[foreign]).await;
    let there = ix::thaw_holder(&a, &other.pool, 0, &foreign, &a);
    f.expect_rejected(&[there], &[&alice.wallet], SluiceError::NotMember, &[foreign]).await;
    assert!(frozen(&mut f, &foreign).await);

    // An account opened in the pool's name stays frozen and takes no deposit.
    let squat = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &f.keys.pool).await.unwrap();
    let thaw_squat = ix::thaw_holder(&a, &f.keys.pool, SENIOR, &squat, &f.keys.pool);
    f.expect_rejected(&[thaw_squat], &[&alice.wallet], SluiceError::NotMember, &[squat]).await;
    let into_squat = ix::deposit(
        &a,
        &f.keys,
        &alice.base,
        &squat,
        Some(pda::member(&f.keys.pool, &a)),
        None,
        DepositArgs { tranche: SENIOR, amount: UNIT, min_tokens_out: 0 },
    );
    f.expect_rejected(&[into_squat], &[&alice.wallet], SluiceError::WrongAccount, &[squat]).await;

    // A record that expires at this second: no thaw, and its thawed account can be frozen.
    let carol = f.investor(0, true).await;
    let c = carol.wallet.pubkey();
    let now = f.now().await;
    f.set_member(&c, now + 1).await.unwrap();
    f.chain.advance_clock(1).await.unwrap();
    assert_eq!(f.now().await, now + 1);
    let fresh = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(JUNIOR), &c).await.unwrap();
    let thaw = ix::thaw_holder(&c, &f.keys.pool, JUNIOR, &fresh, &c);
    f.expect_rejected(&[thaw], &[&carol.wallet], SluiceError::MembershipExpired, &[fresh]).await;
    let freeze = ix::freeze_holder(&c, &f.keys.pool, SENIOR, &carol.tranches[0], &c);
    f.chain.send(&[freeze], &[&carol.wallet]).await.unwrap();
    assert!(frozen(&mut f, &carol.tranches[0]).await);
}

/// Attack: the issuer hands the pool to a new authority and keeps its thawed tranche
/// account; or a permissioned pool switches to permissionless after its mints exist to get
/// rid of the freezes. Safe: the exemption follows the authority (the old issuer's account
/// is frozen by anyone, the new authority thaws its own); `PermissionedFixed`.
#[tokio::test]
async fn the_holder_exemption_follows_the_authority_and_permissioning_is_fixed() {
    let (mut f, _alice, _bob, _q) = member_pool().await;
    let issuer = f.issuer.insecure_clone();
    let i = issuer.pubkey();
    let old = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &i).await.unwrap();
    f.chain.send(&[ix::thaw_holder(&i, &f.keys.pool, SENIOR, &old, &i)], &[&issuer]).await.unwrap();
    let keeper = f.keeper().await;
    let freeze_old = ix::freeze_holder(&keeper.0.pubkey(), &f.keys.pool, SENIOR, &old, &i);
    f.expect_rejected(std::slice::from_ref(&freeze_old), &[&keeper.0], SluiceError::HolderStillMember, &[old]).await;

    let unflip = ix::update_params(&i, &f.keys.pool, default_params(false));
    f.expect_rejected(&[unflip], &[&issuer], SluiceError::PermissionedFixed, &[]).await;

    let heir = Keypair::new();
    f.chain.airdrop(&heir.pubkey(), 1_000_000_000).await.unwrap();
    let h = heir.pubkey();
    // Proposed is not yet the authority.
    f.chain.send(&[ix::propose_authority(&i, &f.keys.pool, &h)], &[&issuer]).await.unwrap();
    let heirs = client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &h).await.unwrap();
    let thaw_heir = ix::thaw_holder(&h, &f.keys.pool, SENIOR, &heirs, &h);
    f.expect_rejected(std::slice::from_ref(&thaw_heir), &[&heir], SluiceError::NotMember, &[heirs]).await;
    f.chain.send(&[ix::accept_authority(&h, &f.keys.pool)], &[&heir]).await.unwrap();
    f.chain.send(&[thaw_heir], &[&heir]).await.unwrap();
    f.chain.send(&[freeze_old], &[&keeper.0]).await.unwrap();
    assert!(frozen(&mut f, &old).await && !frozen(&mut f, &heirs).await);
}

// ---------------------------------------------------------------------------------------
// The lapsed holder's exit
// ---------------------------------------------------------------------------------------

/// Attack: Bob, revoked and frozen, uses the thaw his redemption needs to move tokens
/// elsewhere in the same transaction — a transfer after `request_redemption`,
/// `redeem_instant` or `cancel_redemption`; a transfer by a delegate he approved while
/// still a member; a thaw of his own after the request — or acts through the delegate as
/// if it were the owner, approves a new delegate, hands the frozen account to someone else,
/// requests dust below the minimum or more than he holds (so the move fails after the
/// thaw). Safe: every such transaction fails as a whole and
/// changes nothing; the account is frozen after each exit (down to a dust remainder, which
/// may leave as his whole balance); the delegate can never move the tokens.
#[tokio::test]
async fn a_lapsed_holder_cannot_use_the_redemption_thaw_to_move_tokens_elsewhere() {
    let (mut f, alice, bob, q) = member_pool().await;
    let (b, mallory) = (bob.wallet.insecure_clone(), Keypair::new());
    f.chain.airdrop(&mallory.pubkey(), 1_000_000_000).await.unwrap();
    let (mine, theirs) = (bob.tranches[0], alice.tranches[0]);
    let approve =
        spl_token_2022::instruction::approve(&T22, &mine, &mallory.pubkey(), &b.pubkey(), &[], 50_000 * UNIT).unwrap();
    f.chain.send(&[approve], &[&b]).await.unwrap();
    revoke_and_freeze(&mut f, &bob, SENIOR).await;
    let watched = [mine, theirs, q[0].escrow, q[0].queue];
    let request = ix::request_redemption(&b.pubkey(), &f.keys, &q[0], &mine, 1_000 * UNIT);
    let instant = instant(&f, &bob, SENIOR, 1_000 * UNIT);
    let by_bob = move_tokens(&mine, &theirs, &b.pubkey(), UNIT);
    let by_delegate = move_tokens(&mine, &theirs, &mallory.pubkey(), UNIT);

    expect_refused_frozen(&mut f, &[request.clone(), by_bob.clone()], &[&b], &watched).await;
    expect_refused_frozen(&mut f, &[request.clone(), by_delegate.clone()], &[&b, &mallory], &watched).await;
    expect_refused_frozen(&mut f, &[instant.clone(), by_bob.clone()], &[&b], &watched).await;
    expect_refused_frozen(&mut f, &[instant, by_delegate.clone()], &[&b, &mallory], &watched).await;
    expect_refused_frozen(&mut f, std::slice::from_ref(&by_delegate), &[&mallory], &watched).await;
    let thaw = ix::thaw_holder(&b.pubkey(), &f.keys.pool, SENIOR, &mine, &b.pubkey());
    f.expect_rejected(&[request.clone(), thaw], &[&b], SluiceError::NotMember, &watched).await;
    // The delegate posing as the owner of Bob's account.
    let posing = ix::request_redemption(&mallory.pubkey(), &f.keys, &q[0], &mine, 1_000 * UNIT);
    f.expect_rejected(&[posing], &[&mallory], SluiceError::WrongAccount, &watched).await;
    // A new delegate, or the account itself, for someone else: Token-2022 refuses (frozen).
    let approve_again =
        spl_token_2022::instruction::approve(&T22, &mine, &alice.wallet.pubkey(), &b.pubkey(), &[], UNIT).unwrap();
    expect_refused_frozen(&mut f, &[approve_again], &[&b], &watched).await;
    expect_refused_frozen(&mut f, &[set_owner(&mine, &alice.wallet.pubkey(), &b.pubkey())], &[&b], &watched).await;
    // Dust below the minimum request is refused (it is not his whole balance); more than he
    // holds fails inside the thawed move, and the thaw goes with it.
    let dust = ix::request_redemption(&b.pubkey(), &f.keys, &q[0], &mine, 1);
    f.expect_rejected(&[dust], &[&b], SluiceError::BelowMinimumRequest, &watched).await;
    let held = f.balance(&mine).await;
    let too_much = ix::request_redemption(&b.pubkey(), &f.keys, &q[0], &mine, held + 1);
    expect_refused(&mut f, &[too_much], &[&b], Refused::Token(TokenError::InsufficientFunds as u32), &watched).await;
    assert!(frozen(&mut f, &mine).await);

    // The exit itself works and leaves the account frozen, the delegate still powerless.
    let id = f.pool().await.tranches[0].queue_tail;
    f.chain.send(&[request], &[&b]).await.unwrap();
    assert!(frozen(&mut f, &mine).await);
    expect_refused_frozen(&mut f, &[by_delegate], &[&mallory], &watched).await;
    // A cancel (after the lock) returns the tokens; a transfer in the same transaction fails.
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    let cancel = ix::cancel_redemption(&b.pubkey(), &f.keys, &q[0], &mine, id);
    expect_refused_frozen(&mut f, &[cancel.clone(), by_bob], &[&b], &watched).await;
    let held = f.balance(&mine).await;
    f.chain.send(&[cancel], &[&b]).await.unwrap();
    assert_eq!(f.balance(&mine).await, held + 1_000 * UNIT);
    assert!(frozen(&mut f, &mine).await);
    // All but five units leave; the dust left (his whole balance, below the minimum) may
    // leave too. The account ends empty and frozen.
    let rest = f.balance(&mine).await;
    f.chain.send(&[ix::request_redemption(&b.pubkey(), &f.keys, &q[0], &mine, rest - 5)], &[&b]).await.unwrap();
    assert!(frozen(&mut f, &mine).await);
    f.chain.send(&[ix::request_redemption(&b.pubkey(), &f.keys, &q[0], &mine, 5)], &[&b]).await.unwrap();
    assert_eq!(f.balance(&mine).await, 0);
    assert!(frozen(&mut f, &mine).await);
}

/// Attack: a lapsed holder's redemption value is pushed by a keeper (or the holder) to a
/// base account somebody else owns, or parked and then claimed to somebody else's account,
/// or with the wrong base program. Safe: `push_claims` skips a destination the request's
/// owner does not own (`NothingToClaim`, the value stays claimable); `claim_parked` refuses
/// it (`WrongAccount`) and the wrong program (`WrongTokenProgram`); both pay the holder's
/// own account.
#[tokio::test]
async fn a_lapsed_holder_s_pushed_and_parked_value_reaches_only_its_own_account() {
    let (mut f, alice, bob, q) = member_pool().await;
    let b = bob.wallet.insecure_clone();
    revoke_and_freeze(&mut f, &bob, SENIOR).await;
    let first = f.request(&bob, &q[0], 1_000 * UNIT).await.unwrap();
    let second = f.request(&bob, &q[0], 1_000 * UNIT).await.unwrap();
    let keeper = f.keeper().await;
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let owed = f.queued(&q[0], first).await.claimable;
    assert!(owed > 0);
    let (k, keys) = (keeper.0.insecure_clone(), f.keys);
    let push = |dest: Pubkey| ix::push_claims(&k.pubkey(), &keys, &q[0], &keeper.1, &[(first, dest)]);
    for dest in [alice.base, keeper.1, keys.vault] {
        let p = push(dest);
        f.expect_rejected(&[p], &[&k], SluiceError::NothingToClaim, &[dest, bob.base]).await;
    }
    let before = f.balance(&bob.base).await;
    let p = push(bob.base);
    f.chain.send(&[p], &[&k]).await.unwrap();
    assert_eq!(f.balance(&bob.base).await - before, owed);

    // Thirty days on, the second request is parked.
    f.chain.advance_clock(31 * DAY).await.unwrap();
    let payer = f.chain.payer().insecure_clone();
    f.chain.send(&[ix::park_claim(&payer.pubkey(), &f.keys, &q[0], second)], &[]).await.unwrap();
    let parked = pda::parked(&f.keys.pool, SENIOR, second);
    let claim =
        |keys: &PoolKeys, dest: &Pubkey| ix::claim_parked(&b.pubkey(), keys, SENIOR, second, &payer.pubkey(), dest);
    let to_alice = claim(&f.keys, &alice.base);
    f.expect_rejected(&[to_alice], &[&b], SluiceError::WrongAccount, &[parked, alice.base]).await;
    let wrong_program = claim(&PoolKeys { base_token_program: T22, ..f.keys }, &bob.base);
    f.expect_rejected(&[wrong_program], &[&b], SluiceError::WrongTokenProgram, &[parked, bob.base]).await;
    let before = f.balance(&bob.base).await;
    f.chain.send(&[claim(&f.keys, &bob.base)], &[&b]).await.unwrap();
    assert!(f.balance(&bob.base).await > before);
    assert!(frozen(&mut f, &bob.tranches[0]).await);
}

// ---------------------------------------------------------------------------------------
// Non-members and the paths that hand out tranche tokens
// ---------------------------------------------------------------------------------------

/// Attack: get tranche tokens to a non-member without a transfer: a member deposits with
/// the outsider's account as `depositor_tranche`; the outsider buys on the market or takes
/// LP tokens a member sends it (the LP mint is freely transferable) and removes liquidity;
/// a member whose record expired but whose account is not frozen yet trades, adds
/// liquidity or deposits before the keeper comes. Safe: a deposit into the outsider's
/// frozen account is refused (`TrancheAccountFrozen`); the outsider trades and removes
/// liquidity with no record of its own (`NotMember`), so its LP tokens redeem nothing; the expired member is refused
/// everywhere (`MembershipExpired`) and can only move tokens to thawed accounts — members'.
#[tokio::test]
async fn a_non_member_gets_no_tranche_tokens_through_deposit_market_or_lp() {
    let (mut f, alice, _bob, _q) = member_pool().await;
    let (m, t) = senior_market(&mut f, &alice).await;
    let outsider = f.investor(1_000_000 * UNIT, false).await;
    let (a, o) = (alice.wallet.insecure_clone(), outsider.wallet.insecure_clone());
    let deposit_for = ix::deposit(
        &a.pubkey(),
        &f.keys,
        &alice.base,
        &outsider.tranches[0],
        Some(pda::member(&f.keys.pool, &a.pubkey())),
        None,
        DepositArgs { tranche: SENIOR, amount: 1_000 * UNIT, min_tokens_out: 0 },
    );
    let watched = [outsider.tranches[0], alice.base, m.tranche_vault, m.base_vault, m.amm];
    f.expect_rejected(&[deposit_for], &[&a], SluiceError::TrancheAccountFrozen, &watched).await;

    let now = f.now().await;
    let buy = SwapArgs { buy_tranche: true, amount_in: 100 * UNIT, min_out: 1, deadline: now + 600 };
    let lp = client::create_token_account(&mut f.chain, &m.lp_mint, &o.pubkey()).await.unwrap();
    let mut ot = Trader {
        user: o.pubkey(),
        tranche_account: outsider.tranches[0],
        base_account: outsider.base,
        lp_account: Some(lp),
        member: None,
    };
    for member in [None, Some(pda::member(&f.keys.pool, &o.pubkey())), t.member] {
        ot.member = member;
        let swap = ix::swap(&f.keys, &m, &ot, buy.clone());
        f.expect_rejected(&[swap], &[&o], SluiceError::NotMember, &watched).await;
    }
    // With Alice's thawed account and record instead: neither is the outsider's.
    let posing = Trader { tranche_account: alice.tranches[0], ..ot };
    f.expect_rejected(&[ix::swap(&f.keys, &m, &posing, buy.clone())], &[&o], SluiceError::WrongAccount, &watched).await;
    // LP tokens travel (no freeze authority on the LP mint) but redeem nothing for it.
    let (_, lp_mint, lp_extensions) = mint_state(&mut f, &m.lp_mint).await;
    assert_eq!(Option::<Pubkey>::from(lp_mint.freeze_authority), None);
    assert!(!lp_extensions.contains(&ExtensionType::DefaultAccountState));
    f.chain.send(&[move_tokens(&t.lp_account.unwrap(), &lp, &a.pubkey(), 1_000 * UNIT)], &[&a]).await.unwrap();
    let remove = ix::remove_liquidity(&f.keys, &m, &ot, 1_000 * UNIT, 0, 0);
    f.expect_rejected(&[remove], &[&o], SluiceError::NotMember, &[lp, outsider.tranches[0], m.amm]).await;

    // Carol's record expires; her accounts are still thawed (no keeper yet).
    let carol = f.investor(1_000_000 * UNIT, true).await;
    f.deposit(&carol, SENIOR, 10_000 * UNIT).await.unwrap();
    let c = carol.wallet.insecure_clone();
    let now = f.now().await;
    f.set_member(&c.pubkey(), now + 5).await.unwrap();
    f.chain.advance_clock(10).await.unwrap();
    f.refresh().await;
    assert!(!frozen(&mut f, &carol.tranches[0]).await);
    let clp = client::create_token_account(&mut f.chain, &m.lp_mint, &c.pubkey()).await.unwrap();
    let ct = Trader {
        user: c.pubkey(),
        tranche_account: carol.tranches[0],
        base_account: carol.base,
        lp_account: Some(clp),
        member: Some(pda::member(&f.keys.pool, &c.pubkey())),
    };
    let now = f.now().await;
    let sell = SwapArgs { buy_tranche: false, amount_in: 100 * UNIT, min_out: 1, deadline: now + 600 };
    let watched = [carol.tranches[0], carol.base, m.amm, m.tranche_vault];
    for refused in [
        ix::swap(&f.keys, &m, &ct, sell),
        ix::swap(&f.keys, &m, &ct, SwapArgs { buy_tranche: true, ..buy }),
        ix::add_liquidity(&f.keys, &m, &ct, 100 * UNIT, 1_000 * UNIT, 1_000 * UNIT),
        f.deposit_ix(&carol, SENIOR, 1_000 * UNIT, 0),
    ] {
        f.expect_rejected(&[refused], &[&c], SluiceError::MembershipExpired, &watched).await;
    }
    let to_outsider = move_tokens(&carol.tranches[0], &outsider.tranches[0], &c.pubkey(), UNIT);
    expect_refused_frozen(&mut f, &[to_outsider], &[&c], &[carol.tranches[0], outsider.tranches[0]]).await;
}

/// Attack: reach a permissioned tranche through a basket: a basket the issuer never
/// admitted takes tranche tokens in; a non-member holding basket tokens (the basket mint is
/// freely transferable) takes its in-kind slice of tranche tokens out to its own accounts.
/// Safe: an unadmitted basket's vault starts frozen and cannot be thawed (`NotMember`), so
/// the exchange in fails; the in-kind slice cannot go to a frozen account
/// (`TrancheAccountFrozen`). (The admitted basket's token is freely transferable and
/// `redeem_basket` pays base to any holder: admitting a basket admits its holders'
/// exposure — see the report. Revoking it freezes its vaults and stops in-kind exits.)
#[tokio::test]
async fn a_basket_reaches_a_permissioned_tranche_only_as_an_admitted_member() {
    let mut w = basket_world_in(true).await;
    let issuer = w.f.issuer.insecure_clone();
    let bob = w.bob.wallet.insecure_clone();
    w.f.chain.send(&[w.exchange_in(&w.bob, &w.bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();

    // A second basket, never admitted.
    let b2 = BasketKeys::new(&issuer.pubkey(), 2, w.f.keys.base_mint, w.f.keys.base_token_program);
    let args = CreateBasketArgs { basket_id: 2, guardian: w.f.guardian.pubkey(), params: BasketParams::DEFAULT };
    let create = ix::create_basket(&issuer.pubkey(), &b2, args);
    let add = ix::add_constituent(&issuer.pubkey(), &b2, &w.f.keys, SENIOR, SENIOR_TERMS);
    w.f.chain.send(&[create, add], &[&issuer]).await.unwrap();
    let vault2 = pda::basket_vault(&b2.basket, &w.f.keys.tranche_mint(SENIOR));
    assert!(frozen(&mut w.f, &vault2).await);
    let thaw = ix::thaw_holder(&issuer.pubkey(), &w.f.keys.pool, SENIOR, &vault2, &b2.basket);
    w.f.expect_rejected(&[thaw], &[&issuer], SluiceError::NotMember, &[vault2]).await;
    let bob_b2 = client::create_token_account(&mut w.f.chain, &b2.mint, &bob.pubkey()).await.unwrap();
    let into_b2 = ix::exchange_in(
        &bob.pubkey(),
        &b2,
        &w.f.keys.tranche_mint(SENIOR),
        &w.bob.tranches[0],
        &bob_b2,
        Some(pda::member(&w.f.keys.pool, &bob.pubkey())),
        &[w.f.keys.pool],
        ExchangeInArgs { index: 0, tokens: 1_000 * UNIT, min_out: 0 },
    );
    expect_refused_frozen(&mut w.f, &[into_b2], &[&bob], &[vault2, bob_b2, w.bob.tranches[0], b2.basket]).await;

    // An outsider with basket tokens takes its slice out only to thawed (members') accounts.
    let outsider = w.f.investor(0, false).await;
    let o = outsider.wallet.insecure_clone();
    let (_, basket_mint, extensions) = mint_state(&mut w.f, &w.b.mint).await;
    assert_eq!(Option::<Pubkey>::from(basket_mint.freeze_authority), None);
    assert!(!extensions.contains(&ExtensionType::DefaultAccountState));
    let theirs = client::create_token_account(&mut w.f.chain, &w.b.mint, &o.pubkey()).await.unwrap();
    w.f.chain.send(&[move_tokens(&w.bob_basket, &theirs, &bob.pubkey(), 1_000 * UNIT)], &[&bob]).await.unwrap();
    let out = w.exchange_out(&outsider, &theirs, 1_000 * UNIT);
    let watched = [theirs, w.b.basket, w.vault(SENIOR), w.vault(JUNIOR), outsider.tranches[0], outsider.tranches[2]];
    w.f.expect_rejected(&[out], &[&o], SluiceError::TrancheAccountFrozen, &watched).await;

    // The issuer revokes the basket: anyone may then freeze its vaults, and in-kind exits
    // stop for every basket holder (the vault cannot pay out) until it is admitted again.
    w.f.chain.send(&[ix::revoke_member(&issuer.pubkey(), &w.f.keys.pool, &w.b.basket)], &[&issuer]).await.unwrap();
    let vault = w.vault(SENIOR);
    let freeze = ix::freeze_holder(&o.pubkey(), &w.f.keys.pool, SENIOR, &vault, &w.b.basket);
    w.f.chain.send(&[freeze], &[&o]).await.unwrap();
    let out = w.exchange_out(&w.bob, &w.bob_basket, 1_000 * UNIT);
    let watched = w.watched();
    expect_refused_frozen(&mut w.f, &[out], &[&bob], &watched).await;
}

// ---------------------------------------------------------------------------------------
// Sluice's mints outside Sluice
// ---------------------------------------------------------------------------------------

/// Attack: use Token-2022 directly on Sluice's mints: the issuer (or anyone) renames a
/// tranche through the token-metadata interface, moves its update authority, repoints the
/// metadata pointer, mints tranche tokens, freezes or thaws holders directly, turns the
/// frozen default off (every new account would then take tokens), takes the mint or
/// freeze authority, withdraws the mint's excess lamports, gives a permissionless pool's
/// mint a freeze authority. Safe: the pool PDA holds every
/// authority of a tranche mint (and only Sluice signs for it), a permissionless mint has no
/// freeze authority at all (`freeze_holder` answers `NotPermissioned`), and the basket,
/// market-LP and basket-market-LP mints have no freeze authority and no frozen default.
#[tokio::test]
async fn sluice_mints_cannot_be_renamed_minted_or_frozen_outside_sluice() {
    use spl_token_metadata_interface::instruction as meta;
    use spl_token_metadata_interface::state::Field;
    let mut w = basket_world_in(true).await;
    let issuer = w.f.issuer.insecure_clone();
    let i = issuer.pubkey();
    let mint = w.f.keys.tranche_mint(SENIOR);
    let outsider = w.f.investor(0, false).await;
    let watched = [mint, outsider.tranches[0], w.bob.tranches[0]];
    let not_updater = Refused::Metadata(TokenMetadataError::IncorrectUpdateAuthority as u32);
    let not_authority = Refused::Token(TokenError::OwnerMismatch as u32);
    let attempts = [
        (meta::update_field(&T22, &mint, &i, Field::Name, "Renamed".into()), not_updater),
        (meta::update_field(&T22, &mint, &i, Field::Key("issuer".into()), "mine".into()), not_updater),
        (meta::update_authority(&T22, &mint, &i, Some(i).try_into().unwrap()), not_updater),
        (
            spl_token_2022::extension::metadata_pointer::instruction::update(&T22, &mint, &i, &[], Some(i)).unwrap(),
            not_authority,
        ),
        (ix::token::mint_to(&T22, &mint, &w.bob.tranches[0], &i, UNIT), not_authority),
        (
            spl_token_2022::instruction::thaw_account(&T22, &outsider.tranches[0], &mint, &i, &[]).unwrap(),
            not_authority,
        ),
        (spl_token_2022::instruction::freeze_account(&T22, &w.bob.tranches[0], &mint, &i, &[]).unwrap(), not_authority),
        (
            spl_token_2022::extension::default_account_state::instruction::update_default_account_state(
                &T22,
                &mint,
                &i,
                &[],
                &AccountState::Initialized,
            )
            .unwrap(),
            not_authority,
        ),
        (
            spl_token_2022::instruction::set_authority(&T22, &mint, Some(&i), AuthorityType::FreezeAccount, &i, &[])
                .unwrap(),
            not_authority,
        ),
        (
            spl_token_2022::instruction::set_authority(&T22, &mint, Some(&i), AuthorityType::MintTokens, &i, &[])
                .unwrap(),
            not_authority,
        ),
        (spl_token_2022::instruction::withdraw_excess_lamports(&T22, &mint, &i, &i, &[]).unwrap(), not_authority),
    ];
    for (attempt, refusal) in attempts {
        expect_refused(&mut w.f, &[attempt], &[&issuer], refusal, &watched).await;
    }
    assert_eq!(client::mint_metadata(&mut w.f.chain, &mint).await.unwrap(), tranche_metadata(SENIOR));

    // The basket's mint, its market's LP mint and the tranche market's LP mint.
    let alice = w.f.investor(1_000_000 * UNIT, true).await;
    w.f.deposit(&alice, SENIOR, 300_000 * UNIT).await.unwrap();
    let (m, _) = senior_market(&mut w.f, &alice).await;
    let bm = BasketMarketKeys::new(&w.b);
    let create = ix::create_basket_market(&i, &w.b, &bm, BasketMarketParams::RECOMMENDED);
    w.f.chain.send(&[create], &[&issuer]).await.unwrap();
    for (what, mint, authority) in [
        ("basket", w.b.mint, w.b.basket),
        ("basket LP", bm.lp_mint, w.b.basket),
        ("market LP", m.lp_mint, w.f.keys.pool),
    ] {
        let (owner, state, extensions) = mint_state(&mut w.f, &mint).await;
        assert_eq!(owner, T22, "{what}");
        assert_eq!(Option::<Pubkey>::from(state.mint_authority), Some(authority), "{what}");
        assert_eq!(Option::<Pubkey>::from(state.freeze_authority), None, "{what}");
        assert!(!extensions.contains(&ExtensionType::DefaultAccountState), "{what}");
    }

    // A permissionless pool's tranche mint has no freeze authority to use.
    let mut open = Fixture::new(false).await;
    let carol = open.investor(100_000 * UNIT, false).await;
    open.reprice().await.unwrap();
    open.deposit(&carol, JUNIOR, 10_000 * UNIT).await.unwrap();
    let mint = open.keys.tranche_mint(JUNIOR);
    let (_, state, _) = mint_state(&mut open, &mint).await;
    assert_eq!(Option::<Pubkey>::from(state.freeze_authority), None);
    let issuer = open.issuer.insecure_clone();
    let freeze =
        spl_token_2022::instruction::freeze_account(&T22, &carol.tranches[2], &mint, &issuer.pubkey(), &[]).unwrap();
    let give = spl_token_2022::instruction::set_authority(
        &T22,
        &mint,
        Some(&issuer.pubkey()),
        AuthorityType::FreezeAccount,
        &issuer.pubkey(),
        &[],
    )
    .unwrap();
    for attempt in [freeze, give] {
        let refusal = Refused::Token(TokenError::MintCannotFreeze as u32);
        expect_refused(&mut open, &[attempt], &[&issuer], refusal, &[mint, carol.tranches[2]]).await;
    }
    let k = carol.wallet.pubkey();
    let freeze_holder = ix::freeze_holder(&k, &open.keys.pool, JUNIOR, &carol.tranches[2], &k);
    open.expect_rejected(&[freeze_holder], &[&carol.wallet], SluiceError::NotPermissioned, &[carol.tranches[2]]).await;
}

/// Attack: drain or break a tranche mint's rent with metadata rewrites — grow to the
/// largest text, shrink, grow again, many times, rewrite with the same text, trade length
/// between fields so that one write grows the account before the next shrinks it — and aim the
/// rewrite at another pool's tranche mint or at a tranche that does not exist. Safe: after
/// every rewrite the mint is rent-exempt for its size, the authority pays exactly the
/// top-up (nothing when the account already holds enough), a no-op changes nothing; a
/// foreign mint or unknown index is refused (`WrongAccount`).
#[tokio::test]
async fn metadata_rewrites_keep_the_mint_rent_exempt_at_the_authority_s_cost() {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let i = issuer.pubkey();
    let mint = f.keys.tranche_mint(SENIOR);
    let short = TrancheMetadata { name: "S".into(), symbol: "S".into(), uri: String::new() };
    let long = TrancheMetadata { name: "N".repeat(64), symbol: "Y".repeat(16), uri: "u".repeat(200) };
    let mid = TrancheMetadata { name: "N".repeat(30), symbol: "Y".repeat(8), uri: "u".repeat(90) };
    // Two texts of one size whose fields trade lengths: the first field written grows the
    // account before the second shrinks it, with no top-up.
    let lopsided = TrancheMetadata { name: "N".into(), symbol: "Y".repeat(16), uri: "u".repeat(200) };
    let flipped = TrancheMetadata { name: "N".repeat(16), symbol: "Y".into(), uri: "u".repeat(200) };
    let plan = [
        short.clone(),
        long.clone(),
        short.clone(),
        mid,
        long.clone(),
        long.clone(),
        lopsided.clone(),
        flipped,
        lopsided,
        short,
        long,
    ];
    let mut most = lamports(&mut f, &mint).await;
    for (n, metadata) in plan.into_iter().enumerate() {
        let (mint_before, issuer_before) = (lamports(&mut f, &mint).await, lamports(&mut f, &i).await);
        let data_before = f.chain.account(&mint).await.unwrap().unwrap().data;
        let same = client::mint_metadata(&mut f.chain, &mint).await.unwrap() == metadata;
        f.chain.send(&[ix::set_tranche_metadata(&i, &f.keys, SENIOR, metadata.clone())], &[&issuer]).await.unwrap();
        let account = f.chain.account(&mint).await.unwrap().unwrap();
        let rent = f.chain.rent_exempt_minimum(account.data.len()).await.unwrap();
        assert!(account.lamports >= rent, "rewrite {n}: mint below rent");
        assert_eq!(account.lamports, mint_before.max(rent), "rewrite {n}: the top-up is exact");
        assert_eq!(issuer_before - lamports(&mut f, &i).await, account.lamports - mint_before, "rewrite {n}");
        assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), metadata, "rewrite {n}");
        if same {
            assert_eq!(account.data, data_before, "rewrite {n}: a no-op changes nothing");
        }
        most = most.max(account.lamports);
    }
    assert_eq!(lamports(&mut f, &mint).await, most, "the mint never loses lamports");

    let other = second_permissioned_pool(&mut f, 2).await;
    let mut foreign = ix::set_tranche_metadata(&i, &f.keys, SENIOR, tranche_metadata(0));
    foreign.accounts[2].pubkey = other.tranche_mint(0);
    f.expect_rejected(&[foreign], &[&issuer], SluiceError::WrongAccount, &[other.tranche_mint(0)]).await;
    let unknown = ix::set_tranche_metadata(&i, &f.keys, 3, tranche_metadata(0));
    f.expect_rejected(&[unknown], &[&issuer], SluiceError::WrongAccount, &[]).await;
}

/// Attack: squat a permissioned pool's next tranche mint address with more lamports than
/// its rent (or the least a donation can be), or pass the address of a later index than the next
/// tranche's. Safe: the tranche is created anyway with every extension (metadata, frozen
/// default, the pool as freeze authority), rent-exempt; a later index's address is refused
/// (seeds) and nothing is created.
#[tokio::test]
async fn a_squatted_mint_address_still_makes_a_full_permissioned_tranche() {
    let mut f = Fixture::new(true).await;
    let issuer = f.issuer.insecure_clone();
    let keys = f.another_pool(2).await;
    let flip = ix::update_params(&issuer.pubkey(), &keys.pool, default_params(true));
    f.chain.send(&[flip], &[&issuer]).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let (first, second) = (keys.tranche_mint(0), keys.tranche_mint(1));
    // The least a donation can be is the rent of an empty account.
    let least = f.chain.rent_exempt_minimum(0).await.unwrap();
    let donations = [
        system_instruction::transfer(&payer, &first, 5_000_000_000),
        system_instruction::transfer(&payer, &second, least),
    ];
    f.chain.send(&donations, &[]).await.unwrap();
    // A later index's address in the next tranche's place.
    let args = |i: u8| AddTrancheArgs { coupon_bps: 0, min_subordination_bps: 0, metadata: tranche_metadata(i) };
    let mut skip = ix::add_tranche(&issuer.pubkey(), &keys, 0, args(0));
    for meta in skip.accounts.iter_mut().filter(|m| m.pubkey == first) {
        meta.pubkey = keys.tranche_mint(2);
    }
    let watched = [keys.pool, first, keys.tranche_mint(2)];
    expect_refused(&mut f, &[skip], &[&issuer], Refused::Anchor(2006), &watched).await;
    for (i, mint) in [(0u8, first), (1, second)] {
        f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, i, args(i))], &[&issuer]).await.unwrap();
        let (owner, state, extensions) = mint_state(&mut f, &mint).await;
        assert_eq!(owner, T22);
        assert_eq!(Option::<Pubkey>::from(state.freeze_authority), Some(keys.pool));
        assert_eq!(Option::<Pubkey>::from(state.mint_authority), Some(keys.pool));
        for e in [ExtensionType::MetadataPointer, ExtensionType::TokenMetadata, ExtensionType::DefaultAccountState] {
            assert!(extensions.contains(&e), "tranche {i}: {e:?}");
        }
        assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), tranche_metadata(i));
        let account = f.chain.account(&mint).await.unwrap().unwrap();
        assert!(account.lamports >= f.chain.rent_exempt_minimum(account.data.len()).await.unwrap());
        let holder = client::create_token_account(&mut f.chain, &mint, &Keypair::new().pubkey()).await.unwrap();
        assert!(frozen(&mut f, &holder).await, "tranche {i}: new accounts start frozen");
    }
    assert_eq!(lamports(&mut f, &first).await, 5_000_000_000, "the squatter's lamports are simply kept");
}

// ---------------------------------------------------------------------------------------
// Base mints of either program
// ---------------------------------------------------------------------------------------

/// Attack: a keeper pushes a batch of claims on a Token-2022 stablecoin (with a freeze
/// authority, as regulated ones have) in which some destinations cannot take the transfer
/// — one requires memos, one is frozen by the stablecoin's issuer, one is passed read-only,
/// one belongs to the classic program, one is a CPI-guarded account (which may receive) —
/// to make the whole batch fail and hold the queue. Safe: the memo-required, frozen,
/// read-only and classic destinations are skipped and stay claimable; the CPI-guarded and
/// the plain ones are paid in the same push.
#[tokio::test]
async fn push_claims_skips_token_2022_destinations_that_cannot_receive_and_pays_the_rest() {
    let mut f = Fixture::new(false).await;
    let base = token_2022_mint_with_freeze_authority(&mut f).await;
    switch_to_pool_on(&mut f, &base, 7, false).await;
    assert_eq!(f.pool().await.base_token_program, T22);
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let q = f.init_redemption().await;
    let mut holders = Vec::new();
    for _ in 0..6 {
        let inv = f.investor(10_000 * UNIT, false).await;
        f.deposit(&inv, SENIOR, 5_000 * UNIT).await.unwrap();
        let id = f.request(&inv, &q[0], 1_000 * UNIT).await.unwrap();
        holders.push((inv, id));
    }
    let keeper = f.keeper().await;
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    let mut dests = Vec::new();
    // 0: memo required.
    let w0 = holders[0].0.wallet.insecure_clone();
    let memo = token_2022_account(&mut f, &base, &w0.pubkey(), &[ExtensionType::MemoTransfer]).await;
    let enable = spl_token_2022::extension::memo_transfer::instruction::enable_required_transfer_memos(
        &T22,
        &memo,
        &w0.pubkey(),
        &[],
    )
    .unwrap();
    f.chain.send(&[enable], &[&w0]).await.unwrap();
    dests.push(memo);
    // 1: CPI guard enabled (receiving is allowed).
    let w1 = holders[1].0.wallet.insecure_clone();
    let guarded = token_2022_account(&mut f, &base, &w1.pubkey(), &[ExtensionType::CpiGuard]).await;
    let enable =
        spl_token_2022::extension::cpi_guard::instruction::enable_cpi_guard(&T22, &guarded, &w1.pubkey(), &[]).unwrap();
    f.chain.send(&[enable], &[&w1]).await.unwrap();
    dests.push(guarded);
    // 2: frozen by the stablecoin's freeze authority.
    let frozen_base = holders[2].0.base;
    let freeze = spl_token_2022::instruction::freeze_account(&T22, &frozen_base, &base, &issuer.pubkey(), &[]).unwrap();
    f.chain.send(&[freeze], &[&issuer]).await.unwrap();
    dests.push(frozen_base);
    // 3: read-only; 4: a classic account (another mint, another program); 5: plain.
    dests.push(holders[3].0.base);
    let classic = client::create_mint(&mut f.chain, &issuer.pubkey(), 6).await.unwrap();
    dests.push(client::create_token_account(&mut f.chain, &classic, &holders[4].0.wallet.pubkey()).await.unwrap());
    dests.push(holders[5].0.base);

    let pairs: Vec<(u64, Pubkey)> = holders.iter().map(|h| h.1).zip(dests.iter().copied()).collect();
    let mut push = ix::push_claims(&keeper.0.pubkey(), &f.keys, &q[0], &keeper.1, &pairs);
    let n = push.accounts.len();
    push.accounts[n - 3].is_writable = false;
    let owed: Vec<u64> = {
        let mut v = Vec::new();
        for h in &holders {
            v.push(f.queued(&q[0], h.1).await.claimable);
        }
        v
    };
    assert!(owed.iter().all(|o| *o > 0));
    let mut before = Vec::new();
    for d in &dests {
        before.push(f.balance(d).await);
    }
    f.chain.send(&[push], &[&keeper.0]).await.unwrap();
    for (j, (d, h)) in dests.iter().zip(&holders).enumerate() {
        let paid = f.balance(d).await - before[j];
        let left = f.queued(&q[0], h.1).await.claimable;
        if j == 1 || j == 5 {
            assert_eq!((paid, left), (owed[j], 0), "destination {j} is paid");
        } else {
            assert_eq!((paid, left), (0, owed[j]), "destination {j} is skipped");
        }
    }
    f.pool().await.invariant().unwrap();
}

/// The base-moving instructions of a fixture pool, built with `keys` (whose base program
/// may be the wrong one), in the state `wrong_base_program_world` sets up.
fn base_moves(f: &Fixture, keys: &PoolKeys, world: &BaseWorld) -> Vec<(&'static str, Instruction)> {
    let (alice, q, m, t) = (&world.alice, &world.q, &world.m, &world.t);
    let a = alice.wallet.pubkey();
    let i = f.issuer.pubkey();
    let reserve = Some(pda::reserve(&keys.pool));
    let swap = SwapArgs { buy_tranche: true, amount_in: UNIT, min_out: 0, deadline: i64::MAX };
    vec![
        (
            "deposit",
            ix::deposit(
                &a,
                keys,
                &alice.base,
                &alice.tranches[0],
                None,
                None,
                DepositArgs { tranche: SENIOR, amount: UNIT, min_tokens_out: 0 },
            ),
        ),
        (
            "redeem_instant",
            ix::redeem_instant(
                &a,
                keys,
                &alice.tranches[0],
                &alice.base,
                reserve,
                RedeemInstantArgs { tranche: SENIOR, tokens: UNIT, min_out: 0 },
            ),
        ),
        ("claim", ix::claim(&a, keys, &q[0], 0, &alice.base)),
        ("push_claims", ix::push_claims(&a, keys, &q[0], &alice.base, &[(0, alice.base)])),
        ("process_batch", ix::process_batch(&a, &alice.base, keys, &q[0], reserve, 16)),
        ("record_repayment", ix::record_repayment(&i, keys, 0, &f.issuer_base, UNIT)),
        ("fund_reserve", ix::fund_reserve(&i, keys, &f.issuer_base, UNIT)),
        ("withdraw_reserve", ix::withdraw_reserve(&i, keys, &f.issuer_base, UNIT)),
        ("recycle_reserve", ix::recycle_reserve(keys, &q[0])),
        ("add_liquidity", ix::add_liquidity(keys, m, t, UNIT, 10 * UNIT, 10 * UNIT)),
        ("remove_liquidity", ix::remove_liquidity(keys, m, t, UNIT, 0, 0)),
        ("swap", ix::swap(keys, m, t, swap)),
        ("reserve_buyback", ix::reserve_buyback(keys, m)),
        ("sweep_market_fees", ix::sweep_market_fees(keys, m, &f.issuer_base, &world.issuer_tranche)),
    ]
}

/// A pool with every base-moving path live (see `wrong_base_program_world`).
struct BaseWorld {
    alice: Investor,
    q: Vec<QueueKeys>,
    m: AmmKeys,
    t: Trader,
    /// The issuer's senior account, where a market sweep sends the protocol's tokens.
    issuer_tranche: Pubkey,
}

/// A permissionless pool on a base of `program` with every base-moving path live: Alice's
/// deposits, queues, a reserve, a receivable, a senior market with liquidity.
async fn wrong_base_program_world(program: Pubkey) -> (Fixture, BaseWorld) {
    let mut f = Fixture::with_base_program(false, program).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let q = f.init_redemption().await;
    f.init_reserve(10_000 * UNIT).await;
    f.add_receivable(100_000 * UNIT, 100_000 * UNIT, 60, 0).await.unwrap();
    f.reprice().await.unwrap();
    let (m, t) = senior_market(&mut f, &alice).await;
    let issuer = f.issuer.pubkey();
    let issuer_tranche =
        client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &issuer).await.unwrap();
    (f, BaseWorld { alice, q, m, t, issuer_tranche })
}

/// Attack: call every base-moving instruction of a classic-SPL pool with Token-2022 as the
/// base program, and of a Token-2022 pool with classic SPL Token — hoping a token program
/// that does not own the accounts, or a check made against the wrong program, lets a move
/// through. Also create a pool, a reserve, a market or a basket on a base mint with the
/// other program. Safe: each move is refused with `WrongTokenProgram` and nothing changes;
/// each creation is refused by the token program itself (the base mint is not its own:
/// "incorrect program id") before Sluice's check, and nothing is created.
#[tokio::test]
async fn every_base_move_takes_only_the_pool_s_base_program() {
    for (program, wrong) in [(ix::SPL_TOKEN, T22), (T22, ix::SPL_TOKEN)] {
        let (mut f, world) = wrong_base_program_world(program).await;
        let bad = PoolKeys { base_token_program: wrong, ..f.keys };
        let i = f.issuer.insecure_clone();
        let a = world.alice.wallet.insecure_clone();
        let watched = [
            world.alice.base,
            world.alice.tranches[0],
            f.issuer_base,
            pda::reserve(&f.keys.pool),
            world.m.amm,
            world.m.base_vault,
            world.q[0].queue,
        ];
        for (name, ixn) in base_moves(&f, &bad, &world) {
            let signers = signers_of(&ixn, &[&a, &i]);
            let before = f.snapshot(&watched).await;
            match f.chain.send(&[ixn], &signers).await {
                Err(e) if e.is(SluiceError::WrongTokenProgram) => {}
                other => panic!("{name} with {wrong} on a {program} pool: {other:?}"),
            }
            assert_eq!(before, f.snapshot(&watched).await, "{name}");
        }
        let index = f.pool().await.receivable_count;
        let due_ts = f.due_in_days(30).await;
        let args = sluice::instructions::AddReceivableArgs {
            face_value: UNIT,
            funded: UNIT,
            due_ts,
            risk_class: 0,
            document_hash: [7; 32],
        };
        let add = ix::add_receivable(&i.pubkey(), &bad, index, &f.borrower_base, args);
        let borrower = f.borrower_base;
        f.expect_rejected(&[add], &[&i], SluiceError::WrongTokenProgram, &[borrower]).await;

        // Creations that would make an account of the base under the other program.
        let keys2 = f.another_pool(5).await;
        let bad2 = PoolKeys { base_token_program: wrong, ..keys2 };
        let reserve2 = pda::reserve(&keys2.pool);
        let init = ix::init_reserve(&i.pubkey(), &bad2);
        expect_refused(&mut f, &[init], &[&i], WRONG_PROGRAM_ID, &[reserve2, keys2.pool]).await;
        let args = CreateBasketArgs { basket_id: 9, guardian: f.guardian.pubkey(), params: BasketParams::DEFAULT };
        let b = BasketKeys::new(&i.pubkey(), 9, f.keys.base_mint, wrong);
        let basket = ix::create_basket(&i.pubkey(), &b, args);
        expect_refused(&mut f, &[basket], &[&i], WRONG_PROGRAM_ID, &[b.basket, b.sleeve]).await;
        let m1 = AmmKeys::new(&f.keys, JUNIOR);
        let amm = ix::create_amm(&i.pubkey(), &bad, &m1, AmmParams::RECOMMENDED);
        expect_refused(&mut f, &[amm], &[&i], WRONG_PROGRAM_ID, &[m1.amm, m1.base_vault]).await;
        let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
        publishers[0] = f.publisher.pubkey();
        let args =
            CreatePoolArgs { pool_id: 6, guardian: f.guardian.pubkey(), publishers, params: default_params(false) };
        let book = Keypair::new();
        let keys6 = PoolKeys::new(&i.pubkey(), 6, f.keys.base_mint, wrong, book.pubkey());
        let lamports = f.chain.rent_exempt_minimum(sluice::state::Book::SPACE).await.unwrap();
        let payer = f.chain.payer().pubkey();
        let create = [ix::allocate_book(&payer, &book.pubkey(), lamports), ix::create_pool(&i.pubkey(), &keys6, args)];
        let watched = [keys6.pool, keys6.vault, book.pubkey()];
        expect_refused(&mut f, &create, &[&i, &book], WRONG_PROGRAM_ID, &watched).await;
    }
}

/// Attack: take base out of a basket on the other program: `redeem_basket` and
/// `exchange_out` with the wrong base program. Safe: `WrongTokenProgram`, nothing changes.
#[tokio::test]
async fn a_basket_exit_takes_only_its_base_program() {
    let mut w = basket_world().await;
    let bob = w.bob.wallet.insecure_clone();
    w.f.chain.send(&[w.exchange_in(&w.bob, &w.bob_basket, 0, 10_000 * UNIT)], &[&bob]).await.unwrap();
    let good = w.b;
    w.b.base_token_program = T22;
    let watched = w.watched();
    let redeem = w.bob_redeem_ix(UNIT, 0).await;
    w.f.expect_rejected(&[redeem], &[&bob], SluiceError::WrongTokenProgram, &watched).await;
    let out = w.exchange_out(&w.bob, &w.bob_basket, UNIT);
    w.f.expect_rejected(&[out], &[&bob], SluiceError::WrongTokenProgram, &watched).await;
    // With its own program the same exit goes through.
    w.b = good;
    let out = w.exchange_out(&w.bob, &w.bob_basket, UNIT);
    w.f.chain.send(&[out], &[&bob]).await.unwrap();
}
