//! Compliant tranche tokens on a real bank: Token-2022 tranche mints with metadata, holdings
//! only by members in permissioned pools (frozen-by-default accounts, `thaw_holder`,
//! `freeze_holder`, the lapsed holder's one exit), and base mints of either token program with
//! the extensions that would break the books refused by name.
#![allow(deprecated)]

use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022;
use sluice::instructions::{AddTrancheArgs, CreatePoolArgs, RedeemInstantArgs, SwapArgs, TrancheMetadata};
use sluice::state::MAX_PUBLISHERS;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{self, PoolKeys};
use sluice_sdk::state::{self as decode, ExtensionType};
use sluice_sdk::{client, pda, Pubkey};
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;
use spl_token_2022::extension::{BaseStateWithExtensions, StateWithExtensions};

const DAY: i64 = 86_400;

fn member_record(f: &Fixture, wallet: &Pubkey) -> Pubkey {
    pda::member(&f.keys.pool, wallet)
}

async fn mint_state(f: &mut Fixture, mint: &Pubkey) -> (spl_token_2022::state::Mint, Vec<ExtensionType>) {
    let data = f.chain.account(mint).await.unwrap().expect("mint").data;
    let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data).unwrap();
    (state.base, state.get_extension_types().unwrap())
}

#[tokio::test]
async fn tranche_mints_carry_metadata_and_only_permissioned_ones_freeze() {
    let mut open = Fixture::new(false).await;
    let mut closed = Fixture::new(true).await;
    for (f, permissioned) in [(&mut open, false), (&mut closed, true)] {
        for i in 0..3u8 {
            let mint = f.keys.tranche_mint(i);
            let owner = f.chain.account(&mint).await.unwrap().unwrap().owner;
            assert_eq!(owner, ix::TOKEN_2022);
            assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), tranche_metadata(i));
            let (base, extensions) = mint_state(f, &mint).await;
            assert_eq!(base.mint_authority, Some(f.keys.pool).into());
            assert!(extensions.contains(&ExtensionType::MetadataPointer));
            assert!(extensions.contains(&ExtensionType::TokenMetadata));
            assert_eq!(extensions.contains(&ExtensionType::DefaultAccountState), permissioned);
            let freeze: Option<Pubkey> = base.freeze_authority.into();
            assert_eq!(freeze, permissioned.then_some(f.keys.pool));
        }
        // A new holder's account starts frozen only in the permissioned pool.
        let inv = f.investor(UNIT, false).await;
        assert_eq!(client::is_frozen(&mut f.chain, &inv.tranches[0]).await.unwrap(), permissioned);
    }
}

#[tokio::test]
async fn the_issuer_rewrites_metadata_within_bounds() {
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.insecure_clone();
    let mint = f.keys.tranche_mint(SENIOR);
    let longer = TrancheMetadata {
        name: "Harbor Trade Receivables 2027-A Senior Notes (amortising)".into(),
        symbol: "HTR27AS".into(),
        uri: "https://harbor.example/programmes/2027-a/tranches/senior/metadata.json".into(),
    };
    f.chain
        .send(&[ix::set_tranche_metadata(&issuer.pubkey(), &f.keys, SENIOR, longer.clone())], &[&issuer])
        .await
        .unwrap();
    assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), longer);
    // Shorter again: the account keeps its rent, the text shrinks.
    let short = TrancheMetadata { name: "HT-A Senior".into(), symbol: "HTAS".into(), uri: String::new() };
    f.chain
        .send(&[ix::set_tranche_metadata(&issuer.pubkey(), &f.keys, SENIOR, short.clone())], &[&issuer])
        .await
        .unwrap();
    assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), short);

    let mallory = f.investor(0, false).await;
    let theirs = ix::set_tranche_metadata(&mallory.wallet.pubkey(), &f.keys, SENIOR, longer.clone());
    f.expect_rejected(&[theirs], &[&mallory.wallet], SluiceError::NotAuthority, &[mint]).await;
    for bad in [
        TrancheMetadata { name: String::new(), ..short.clone() },
        TrancheMetadata { name: "n".repeat(65), ..short.clone() },
        TrancheMetadata { symbol: String::new(), ..short.clone() },
        TrancheMetadata { symbol: "S".repeat(17), ..short.clone() },
        TrancheMetadata { uri: "u".repeat(201), ..short.clone() },
    ] {
        let ixn = ix::set_tranche_metadata(&issuer.pubkey(), &f.keys, SENIOR, bad);
        f.expect_rejected(&[ixn], &[&issuer], SluiceError::InvalidMetadata, &[mint]).await;
    }
    // Another tranche's mint under this index.
    let mut wrong = ix::set_tranche_metadata(&issuer.pubkey(), &f.keys, SENIOR, short.clone());
    wrong.accounts[2].pubkey = f.keys.tranche_mint(JUNIOR);
    f.expect_rejected(&[wrong], &[&issuer], SluiceError::WrongAccount, &[mint]).await;
    // A tranche added with bad metadata is refused before anything is created.
    let keys = f.another_pool(2).await;
    let bad = AddTrancheArgs {
        coupon_bps: 0,
        min_subordination_bps: 0,
        metadata: TrancheMetadata { symbol: String::new(), ..tranche_metadata(0) },
    };
    let add = ix::add_tranche(&issuer.pubkey(), &keys, 0, bad);
    f.expect_rejected(&[add], &[&issuer], SluiceError::InvalidMetadata, &[keys.pool, keys.tranche_mint(0)]).await;
}

#[tokio::test]
async fn a_donation_to_the_mint_address_does_not_block_a_tranche() {
    let mut f = Fixture::new(true).await;
    let issuer = f.issuer.insecure_clone();
    let keys = f.another_pool(2).await;
    let mint = keys.tranche_mint(0);
    let payer = f.chain.payer().pubkey();
    f.chain.send(&[system_instruction::transfer(&payer, &mint, 1_000_000)], &[]).await.unwrap();
    let args = AddTrancheArgs { coupon_bps: 0, min_subordination_bps: 0, metadata: tranche_metadata(0) };
    f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, 0, args)], &[&issuer]).await.unwrap();
    assert_eq!(client::mint_metadata(&mut f.chain, &mint).await.unwrap(), tranche_metadata(0));
}

#[tokio::test]
async fn only_members_hold_tranche_tokens_in_a_permissioned_pool() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(1_000_000 * UNIT, true).await;
    f.seed_deposits(&alice, 300_000 * UNIT, 200_000 * UNIT, 400_000 * UNIT).await;
    let a = alice.wallet.insecure_clone();
    let outsider = f.investor(0, false).await;

    // A member's transfer to a non-member's account fails: that account is frozen.
    let give = ix::token::transfer(&ix::TOKEN_2022, &alice.tranches[0], &outsider.tranches[0], &a.pubkey(), UNIT);
    assert!(f.chain.send(std::slice::from_ref(&give), &[&a]).await.is_err());
    assert_eq!(f.balance(&outsider.tranches[0]).await, 0);
    // The non-member cannot thaw it: not with no record, a missing one or someone else's.
    let o = outsider.wallet.pubkey();
    let thaw = ix::thaw_holder(&o, &f.keys.pool, SENIOR, &outsider.tranches[0], &o);
    f.expect_rejected(
        std::slice::from_ref(&thaw),
        &[&outsider.wallet],
        SluiceError::NotMember,
        &[outsider.tranches[0]],
    )
    .await;
    let mut borrowed = thaw.clone();
    borrowed.accounts[4].pubkey = member_record(&f, &a.pubkey());
    f.expect_rejected(&[borrowed], &[&outsider.wallet], SluiceError::NotMember, &[outsider.tranches[0]]).await;
    // A thawed account is not thawed twice; an unknown tranche's mint is refused.
    let again = ix::thaw_holder(&o, &f.keys.pool, SENIOR, &alice.tranches[0], &a.pubkey());
    f.expect_rejected(&[again], &[&outsider.wallet], SluiceError::HolderNotFrozen, &[]).await;
    let mut mint = thaw.clone();
    mint.accounts[2].pubkey = f.keys.tranche_mint(JUNIOR);
    f.expect_rejected(&[mint], &[&outsider.wallet], SluiceError::WrongAccount, &[]).await;
    // An expired member cannot thaw either.
    let now = f.now().await;
    f.set_member(&o, now + 10).await.unwrap();
    f.chain.advance_clock(20).await.unwrap();
    f.expect_rejected(std::slice::from_ref(&thaw), &[&outsider.wallet], SluiceError::MembershipExpired, &[]).await;

    // Admitted, the holder thaws its own account and receives.
    let now = f.now().await;
    f.set_member(&o, now + 365 * DAY).await.unwrap();
    // Until then a deposit into the frozen account is refused by name, changing nothing.
    let early = f.deposit_ix(&outsider, SENIOR, UNIT, 0);
    f.expect_rejected(&[early], &[&outsider.wallet], SluiceError::TrancheAccountFrozen, &[outsider.base]).await;
    f.chain.send(std::slice::from_ref(&thaw), &[&outsider.wallet]).await.unwrap();
    assert!(!client::is_frozen(&mut f.chain, &outsider.tranches[0]).await.unwrap());
    f.chain.send(&[give], &[&a]).await.unwrap();
    assert_eq!(f.balance(&outsider.tranches[0]).await, UNIT);

    // An account whose owner could be changed (no ImmutableOwner) is never thawed: its
    // member could hand it, tokens and all, to anyone.
    let plain = Keypair::new();
    let lamports = f.chain.rent_exempt_minimum(165).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let mint = f.keys.tranche_mint(SENIOR);
    let create = [
        system_instruction::create_account(&payer, &plain.pubkey(), lamports, 165, &ix::TOKEN_2022),
        spl_token_2022::instruction::initialize_account3(&ix::TOKEN_2022, &plain.pubkey(), &mint, &o).unwrap(),
    ];
    f.chain.send(&create, &[&plain]).await.unwrap();
    let thaw_plain = ix::thaw_holder(&o, &f.keys.pool, SENIOR, &plain.pubkey(), &o);
    f.expect_rejected(&[thaw_plain], &[&outsider.wallet], SluiceError::HolderOwnerMutable, &[plain.pubkey()]).await;

    // A permissionless pool has nothing to thaw.
    let mut open = Fixture::new(false).await;
    let bob = open.investor(0, false).await;
    let b = bob.wallet.pubkey();
    let thaw = ix::thaw_holder(&b, &open.keys.pool, SENIOR, &bob.tranches[0], &b);
    open.expect_rejected(&[thaw], &[&bob.wallet], SluiceError::NotPermissioned, &[]).await;
    // Nor can a pool change its mind once its mints exist.
    let issuer = open.issuer.insecure_clone();
    let flip = ix::update_params(&issuer.pubkey(), &open.keys.pool, default_params(true));
    open.expect_rejected(&[flip], &[&issuer], SluiceError::PermissionedFixed, &[]).await;
}

/// The rule for a lapsed holder (see docs/accounts.md): once frozen, its tranche tokens move
/// only into the pool's redemption — never to another wallet, a market or a basket — and
/// the base is paid only to an account the holder owns.
#[tokio::test]
async fn a_revoked_holder_is_frozen_and_can_only_redeem_to_itself() {
    let (mut f, alice, q) = {
        let mut f = Fixture::new(true).await;
        let alice = f.investor(20_000_000 * UNIT, true).await;
        f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
        let q = f.init_redemption().await;
        (f, alice, q)
    };
    let bob = f.investor(1_000_000 * UNIT, true).await;
    f.deposit(&bob, SENIOR, 100_000 * UNIT).await.unwrap();
    let issuer = f.issuer.insecure_clone();
    let (b, keeper) = (bob.wallet.insecure_clone(), f.keeper().await);
    let k = keeper.0.pubkey();

    // A live member is not frozen by anyone; the record's address must be passed.
    let freeze = ix::freeze_holder(&k, &f.keys.pool, SENIOR, &bob.tranches[0], &b.pubkey());
    f.expect_rejected(std::slice::from_ref(&freeze), &[&keeper.0], SluiceError::HolderStillMember, &[bob.tranches[0]])
        .await;
    let mut hidden = freeze.clone();
    hidden.accounts[4].pubkey = sluice::ID; // "no member account"
    f.expect_rejected(&[hidden], &[&keeper.0], SluiceError::WrongAccount, &[bob.tranches[0]]).await;
    let mut elsewhere = freeze.clone();
    elsewhere.accounts[4].pubkey = member_record(&f, &Keypair::new().pubkey());
    f.expect_rejected(&[elsewhere], &[&keeper.0], SluiceError::WrongAccount, &[bob.tranches[0]]).await;
    // The pool's own accounts are never frozen; neither is the issuer's.
    let escrow = ix::freeze_holder(&k, &f.keys.pool, SENIOR, &q[0].escrow, &f.keys.pool);
    f.expect_rejected(&[escrow], &[&keeper.0], SluiceError::PoolAccountNotFreezable, &[q[0].escrow]).await;
    let issuer_tokens =
        client::create_token_account(&mut f.chain, &f.keys.tranche_mint(SENIOR), &issuer.pubkey()).await.unwrap();
    let thaw_issuer = ix::thaw_holder(&k, &f.keys.pool, SENIOR, &issuer_tokens, &issuer.pubkey());
    f.chain.send(&[thaw_issuer], &[&keeper.0]).await.unwrap();
    let freeze_issuer = ix::freeze_holder(&k, &f.keys.pool, SENIOR, &issuer_tokens, &issuer.pubkey());
    f.expect_rejected(&[freeze_issuer], &[&keeper.0], SluiceError::HolderStillMember, &[issuer_tokens]).await;

    // Revoked and frozen in one transaction.
    let revoke = ix::revoke_member(&issuer.pubkey(), &f.keys.pool, &b.pubkey());
    f.chain.send(&[revoke, freeze.clone()], &[&issuer, &keeper.0]).await.unwrap();
    assert!(client::is_frozen(&mut f.chain, &bob.tranches[0]).await.unwrap());
    f.expect_rejected(&[freeze], &[&keeper.0], SluiceError::HolderAlreadyFrozen, &[]).await;
    // No further transfers, to a member or anyone.
    let give = ix::token::transfer(&ix::TOKEN_2022, &bob.tranches[0], &alice.tranches[0], &b.pubkey(), UNIT);
    assert!(f.chain.send(&[give], &[&b]).await.is_err());
    // Nor can Bob thaw himself back.
    let thaw = ix::thaw_holder(&b.pubkey(), &f.keys.pool, SENIOR, &bob.tranches[0], &b.pubkey());
    f.expect_rejected(&[thaw], &[&b], SluiceError::NotMember, &[bob.tranches[0]]).await;

    // His exit: a redemption request from the frozen account, which stays frozen.
    let id = f.request(&bob, &q[0], 50_000 * UNIT).await.unwrap();
    assert!(client::is_frozen(&mut f.chain, &bob.tranches[0]).await.unwrap());
    assert_eq!(f.balance(&bob.tranches[0]).await, 50_000 * UNIT);
    // An instant exit burns from the frozen account too, paying only Bob's own base account.
    let keys = f.keys;
    let redeem = |to: &Pubkey| {
        ix::redeem_instant(
            &bob.wallet.pubkey(),
            &keys,
            &bob.tranches[0],
            to,
            None,
            RedeemInstantArgs { tranche: SENIOR, tokens: UNIT, min_out: 0 },
        )
    };
    let to_alice = redeem(&alice.base);
    f.expect_rejected(&[to_alice], &[&b], SluiceError::WrongAccount, &[bob.tranches[0], alice.base]).await;
    let before = f.balance(&bob.base).await;
    let own = redeem(&bob.base);
    f.chain.send(&[own], &[&b]).await.unwrap();
    assert!(f.balance(&bob.base).await > before);
    assert!(client::is_frozen(&mut f.chain, &bob.tranches[0]).await.unwrap());

    // The batch pays the request; the claim goes only to an account Bob owns.
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let claimable = f.queued(&q[0], id).await.claimable;
    assert!(claimable > 0);
    let elsewhere = ix::claim(&b.pubkey(), &f.keys, &q[0], id, &alice.base);
    f.expect_rejected(&[elsewhere], &[&b], SluiceError::WrongAccount, &[alice.base]).await;
    let before = f.balance(&bob.base).await;
    f.chain.send(&[ix::claim(&b.pubkey(), &f.keys, &q[0], id, &bob.base)], &[&b]).await.unwrap();
    assert_eq!(f.balance(&bob.base).await - before, claimable);

    // A cancel returns the rest into the frozen account, which stays frozen.
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    let remaining = f.queued(&q[0], id).await.remaining;
    let held = f.balance(&bob.tranches[0]).await;
    f.cancel(&bob, &q[0], id).await.unwrap();
    assert_eq!(f.balance(&bob.tranches[0]).await, held + remaining);
    assert!(client::is_frozen(&mut f.chain, &bob.tranches[0]).await.unwrap());

    // An expired (not revoked) membership is frozen the same way.
    let carol = f.investor(100_000 * UNIT, true).await;
    f.deposit(&carol, JUNIOR, 10_000 * UNIT).await.unwrap();
    let now = f.now().await;
    f.set_member(&carol.wallet.pubkey(), now + 5).await.unwrap();
    f.chain.advance_clock(10).await.unwrap();
    let c = carol.wallet.pubkey();
    f.chain.send(&[ix::freeze_holder(&k, &f.keys.pool, JUNIOR, &carol.tranches[2], &c)], &[&keeper.0]).await.unwrap();
    assert!(client::is_frozen(&mut f.chain, &carol.tranches[2]).await.unwrap());
}

/// A classic or Token-2022 mint with `extensions` set up by `init` before the mint itself.
async fn extension_mint(
    f: &mut Fixture,
    extensions: &[ExtensionType],
    init: impl FnOnce(&Pubkey) -> Vec<Instruction>,
    freeze_authority: bool,
) -> Pubkey {
    let mint = Keypair::new();
    let space = ix::token::mint_len(extensions);
    let lamports = f.chain.rent_exempt_minimum(space).await.unwrap();
    let payer = f.chain.payer().pubkey();
    let authority = f.issuer.pubkey();
    let mut ixs =
        vec![system_instruction::create_account(&payer, &mint.pubkey(), lamports, space as u64, &ix::TOKEN_2022)];
    ixs.extend(init(&mint.pubkey()));
    let freeze = freeze_authority.then_some(&authority);
    ixs.push(
        spl_token_2022::instruction::initialize_mint2(&ix::TOKEN_2022, &mint.pubkey(), &authority, freeze, 6).unwrap(),
    );
    f.chain.send(&ixs, &[&mint]).await.unwrap();
    mint.pubkey()
}

async fn create_pool_on(
    f: &mut Fixture,
    base_mint: &Pubkey,
    pool_id: u64,
) -> Result<PoolKeys, sluice_sdk::chain::ChainError> {
    let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
    publishers[0] = f.publisher.pubkey();
    let args = CreatePoolArgs { pool_id, guardian: f.guardian.pubkey(), publishers, params: default_params(false) };
    let issuer = f.issuer.insecure_clone();
    client::create_pool(&mut f.chain, &issuer, base_mint, args).await
}

#[tokio::test]
async fn base_mints_with_extensions_that_break_the_books_are_refused_by_name() {
    use spl_token_2022::extension::{default_account_state, transfer_fee, transfer_hook};
    use spl_token_2022::state::AccountState;
    let mut f = Fixture::new(false).await;
    let issuer = f.issuer.pubkey();
    let p = ix::TOKEN_2022;
    let some_program = Pubkey::new_unique();
    type Init = Box<dyn FnOnce(&Pubkey) -> Vec<Instruction>>;
    let cases: Vec<(&str, ExtensionType, Init, bool, SluiceError)> = vec![
        (
            "transfer fee",
            ExtensionType::TransferFeeConfig,
            Box::new(move |m| {
                vec![transfer_fee::instruction::initialize_transfer_fee_config(&p, m, Some(&issuer), None, 10, 1_000)
                    .unwrap()]
            }),
            false,
            SluiceError::BaseMintTransferFee,
        ),
        (
            "zero transfer fee, but an authority that can raise it",
            ExtensionType::TransferFeeConfig,
            Box::new(move |m| {
                vec![transfer_fee::instruction::initialize_transfer_fee_config(&p, m, Some(&issuer), None, 0, 0)
                    .unwrap()]
            }),
            false,
            SluiceError::BaseMintTransferFee,
        ),
        (
            "transfer hook",
            ExtensionType::TransferHook,
            Box::new(move |m| vec![transfer_hook::instruction::initialize(&p, m, None, Some(some_program)).unwrap()]),
            false,
            SluiceError::BaseMintTransferHook,
        ),
        (
            "confidential transfers",
            ExtensionType::ConfidentialTransferMint,
            Box::new(move |m| {
                vec![spl_token_2022::extension::confidential_transfer::instruction::initialize_mint(
                    &p,
                    m,
                    Some(issuer),
                    true,
                    None,
                )
                .unwrap()]
            }),
            false,
            SluiceError::BaseMintConfidential,
        ),
        (
            "non-transferable",
            ExtensionType::NonTransferable,
            Box::new(move |m| vec![spl_token_2022::instruction::initialize_non_transferable_mint(&p, m).unwrap()]),
            false,
            SluiceError::BaseMintNonTransferable,
        ),
        (
            "permanent delegate",
            ExtensionType::PermanentDelegate,
            Box::new(
                move |m| vec![spl_token_2022::instruction::initialize_permanent_delegate(&p, m, &issuer).unwrap()],
            ),
            false,
            SluiceError::BaseMintPermanentDelegate,
        ),
        (
            "default-frozen accounts",
            ExtensionType::DefaultAccountState,
            Box::new(move |m| {
                vec![default_account_state::instruction::initialize_default_account_state(&p, m, &AccountState::Frozen)
                    .unwrap()]
            }),
            true,
            SluiceError::BaseMintDefaultFrozen,
        ),
    ];
    for (n, (what, extension, init, freeze, expected)) in cases.into_iter().enumerate() {
        let mint = extension_mint(&mut f, &[extension], init, freeze).await;
        let result = create_pool_on(&mut f, &mint, 100 + n as u64).await;
        match result {
            Err(e) if e.is(expected) => {}
            other => panic!("{what}: expected {expected:?}, got {other:?}"),
        }
        let pool = pda::pool(&f.issuer.pubkey(), 100 + n as u64);
        assert!(f.chain.account(&pool).await.unwrap().is_none(), "{what}: no pool is left behind");
    }

    // Dormant extensions nobody can switch on, and harmless ones, are accepted.
    let dormant = extension_mint(
        &mut f,
        &[ExtensionType::TransferFeeConfig, ExtensionType::MintCloseAuthority],
        move |m| {
            vec![
                transfer_fee::instruction::initialize_transfer_fee_config(&p, m, None, None, 0, 0).unwrap(),
                spl_token_2022::instruction::initialize_mint_close_authority(&p, m, Some(&issuer)).unwrap(),
            ]
        },
        false,
    )
    .await;
    let keys = create_pool_on(&mut f, &dormant, 200).await.unwrap();
    assert_eq!(keys.base_token_program, ix::TOKEN_2022);
    assert_eq!(client::pool(&mut f.chain, &keys.pool).await.unwrap().base_token_program, ix::TOKEN_2022);
}

#[tokio::test]
async fn a_pool_on_a_token_2022_stablecoin_runs_its_whole_life() {
    let mut f = Fixture::with_base_program(true, ix::TOKEN_2022).await;
    let keys = f.keys;
    assert_eq!(f.keys.base_token_program, ix::TOKEN_2022);
    assert_eq!(f.pool().await.base_token_program, ix::TOKEN_2022);
    let alice = f.investor(20_000_000 * UNIT, true).await;
    let base_owner = f.chain.account(&alice.base).await.unwrap().unwrap().owner;
    assert_eq!(base_owner, ix::TOKEN_2022);
    // Deposit.
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    assert_eq!(f.balance(&keys.vault).await, 10_000_000 * UNIT);
    assert_eq!(f.balance(&alice.tranches[0]).await, 5_000_000 * UNIT);
    // Fund a receivable out of the Token-2022 vault, reprice a day later.
    let nav = f.pool().await.nav;
    let borrower = f.borrower_base;
    f.add_receivable(1_000_000 * UNIT, 1_000_000 * UNIT, 60, 0).await.unwrap();
    assert_eq!(f.balance(&borrower).await, 1_000_000 * UNIT);
    f.chain.advance_clock(DAY).await.unwrap();
    f.refresh().await;
    let pool = f.pool().await;
    assert!(!pool.nav_dirty && pool.nav != nav && pool.nav_time == f.now().await, "{} -> {}", nav, pool.nav);
    // The wrong program for the base is refused by name.
    let mut wrong = f.deposit_ix(&alice, SENIOR, UNIT, 0);
    let at = wrong.accounts.iter().position(|m| m.pubkey == ix::TOKEN_2022 && !m.is_writable).unwrap();
    let last = wrong.accounts.iter().rposition(|m| m.pubkey == ix::TOKEN_2022).unwrap();
    assert_ne!(at, last, "deposit names both programs");
    wrong.accounts[last].pubkey = ix::SPL_TOKEN;
    f.expect_rejected(&[wrong], &[&alice.wallet], SluiceError::WrongTokenProgram, &[alice.base]).await;
    // Redeem at once.
    let before = f.balance(&alice.base).await;
    let redeem = instant(&f, &alice, SENIOR, 1_000 * UNIT);
    f.chain.send(&[redeem], &[&alice.wallet]).await.unwrap();
    assert!(f.balance(&alice.base).await > before);
    // Queue, batch, claim.
    let q = f.init_redemption().await;
    let keeper = f.keeper().await;
    let id = f.request(&alice, &q[0], 5_000 * UNIT).await.unwrap();
    f.crank(&keeper, &q[0], 256).await.unwrap();
    let claimable = f.queued(&q[0], id).await.claimable;
    assert!(claimable > 4_900 * UNIT, "{claimable}");
    let before = f.balance(&alice.base).await;
    let claim = ix::claim(&alice.wallet.pubkey(), &f.keys, &q[0], id, &alice.base);
    f.chain.send(&[claim], &[&alice.wallet]).await.unwrap();
    assert_eq!(f.balance(&alice.base).await - before, claimable);
    // Swap on the tranche's market.
    let (m, t) = f.create_market(&alice, SENIOR).await;
    assert!(!client::is_frozen(&mut f.chain, &m.tranche_vault).await.unwrap(), "the market's vault is thawed");
    let w = alice.wallet.insecure_clone();
    f.chain.send(&[ix::add_liquidity(&f.keys, &m, &t, 0, 100_000 * UNIT, 100_000 * UNIT)], &[&w]).await.unwrap();
    let now = f.now().await;
    let tokens_before = f.balance(&alice.tranches[0]).await;
    let swap = SwapArgs { buy_tranche: true, amount_in: 1_000 * UNIT, min_out: 900 * UNIT, deadline: now + 60 };
    f.chain.send(&[ix::swap(&f.keys, &m, &t, swap)], &[&w]).await.unwrap();
    assert!(f.balance(&alice.tranches[0]).await > tokens_before);
    let pool = f.pool().await;
    pool.invariant().unwrap();
    assert_eq!(
        decode::token_account(&f.chain.account(&f.keys.vault).await.unwrap().unwrap().data).unwrap().amount,
        f.balance(&keys.vault).await
    );
}
