//! Instruction builders. Each takes the few keys that identify the accounts and derives the
//! rest, so a caller cannot pair a pool with another pool's vault by mistake.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::{system_instruction, system_program};
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use sluice::accounts as acc;
use sluice::instruction as data;
use sluice::instructions::*;
use sluice::state::{Book, RedemptionQueue};

use crate::pda;

/// Token-2022: the program of every mint Sluice makes (tranches, basket tokens, LP tokens).
pub const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;
/// Classic SPL Token, the usual program of a base mint.
pub const SPL_TOKEN: Pubkey = spl_token::ID;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: sluice::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// Identifies one pool and the accounts that hang off it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    pub pool: Pubkey,
    pub base_mint: Pubkey,
    /// The base mint's token program (classic SPL Token or Token-2022).
    pub base_token_program: Pubkey,
    pub book: Pubkey,
    pub vault: Pubkey,
    pub oracle: Pubkey,
}

impl PoolKeys {
    /// The keys of a pool whose base mint belongs to `base_token_program`.
    pub fn new(
        creator: &Pubkey,
        pool_id: u64,
        base_mint: Pubkey,
        base_token_program: Pubkey,
        book: Pubkey,
    ) -> PoolKeys {
        let pool = pda::pool(creator, pool_id);
        PoolKeys { pool, base_mint, base_token_program, book, vault: pda::vault(&pool), oracle: pda::oracle(&pool) }
    }

    /// The keys of a pool as read from its account.
    pub fn of(pool: &sluice::state::Pool) -> PoolKeys {
        PoolKeys::new(&pool.creator, pool.pool_id, pool.base_mint, pool.base_token_program, pool.book)
    }

    pub fn tranche_mint(&self, index: u8) -> Pubkey {
        pda::tranche_mint(&self.pool, index)
    }
}

/// Allocates the zeroed, program-owned book account; must precede `create_pool` in the
/// same transaction, signed by the `book` keypair.
pub fn allocate_book(payer: &Pubkey, book: &Pubkey, lamports: u64) -> Instruction {
    system_instruction::create_account(payer, book, lamports, Book::SPACE as u64, &sluice::ID)
}

pub fn create_pool(authority: &Pubkey, keys: &PoolKeys, args: CreatePoolArgs) -> Instruction {
    build(
        acc::CreatePool {
            authority: *authority,
            pool: keys.pool,
            base_mint: keys.base_mint,
            vault: keys.vault,
            book: keys.book,
            oracle: keys.oracle,
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
        },
        data::CreatePool { args },
    )
}

pub fn add_tranche(authority: &Pubkey, keys: &PoolKeys, index: u8, args: AddTrancheArgs) -> Instruction {
    build(
        acc::AddTranche {
            authority: *authority,
            pool: keys.pool,
            base_mint: keys.base_mint,
            tranche_mint: keys.tranche_mint(index),
            token_program: TOKEN_2022,
            system_program: system_program::ID,
        },
        data::AddTranche { args },
    )
}

pub fn set_member(authority: &Pubkey, pool: &Pubkey, wallet: &Pubkey, expires_at: i64) -> Instruction {
    build(
        acc::SetMember {
            authority: *authority,
            pool: *pool,
            member: pda::member(pool, wallet),
            system_program: system_program::ID,
        },
        data::SetMember { args: SetMemberArgs { wallet: *wallet, expires_at } },
    )
}

pub fn revoke_member(authority: &Pubkey, pool: &Pubkey, wallet: &Pubkey) -> Instruction {
    build(
        acc::RevokeMember { authority: *authority, pool: *pool, member: pda::member(pool, wallet) },
        data::RevokeMember {},
    )
}

pub fn set_tranche_metadata(
    authority: &Pubkey,
    keys: &PoolKeys,
    tranche: u8,
    metadata: TrancheMetadata,
) -> Instruction {
    build(
        acc::SetTrancheMetadata {
            authority: *authority,
            pool: keys.pool,
            tranche_mint: keys.tranche_mint(tranche),
            token_program: TOKEN_2022,
            system_program: system_program::ID,
        },
        data::SetTrancheMetadata { tranche, metadata },
    )
}

fn holder_account(
    caller: &Pubkey,
    pool: &Pubkey,
    tranche: u8,
    account: &Pubkey,
    owner: &Pubkey,
) -> acc::SetHolderAccount {
    acc::SetHolderAccount {
        caller: *caller,
        pool: *pool,
        tranche_mint: pda::tranche_mint(pool, tranche),
        holder_tokens: *account,
        member: Some(pda::member(pool, owner)),
        token_program: TOKEN_2022,
    }
}

/// Thaws `account` (of tranche `tranche`, owned by `owner`) in a permissioned pool; anyone
/// may send it once `owner` is a live member.
pub fn thaw_holder(caller: &Pubkey, pool: &Pubkey, tranche: u8, account: &Pubkey, owner: &Pubkey) -> Instruction {
    build(holder_account(caller, pool, tranche, account, owner), data::ThawHolder { tranche })
}

/// Freezes `account` once `owner`'s membership has lapsed; anyone may send it (keepers do).
pub fn freeze_holder(caller: &Pubkey, pool: &Pubkey, tranche: u8, account: &Pubkey, owner: &Pubkey) -> Instruction {
    build(holder_account(caller, pool, tranche, account, owner), data::FreezeHolder { tranche })
}

pub fn publish_rates(publisher: &Pubkey, keys: &PoolKeys, args: PublishRatesArgs) -> Instruction {
    build(
        acc::PublishRates { publisher: *publisher, pool: keys.pool, oracle: keys.oracle },
        data::PublishRates { args },
    )
}

pub fn propose_publisher(authority: &Pubkey, keys: &PoolKeys, publisher: &Pubkey) -> Instruction {
    build(
        acc::ProposePublisher { authority: *authority, pool: keys.pool, oracle: keys.oracle },
        data::ProposePublisher { publisher: *publisher },
    )
}

pub fn accept_publisher(publisher: &Pubkey, keys: &PoolKeys) -> Instruction {
    build(
        acc::AcceptPublisher { publisher: *publisher, pool: keys.pool, oracle: keys.oracle },
        data::AcceptPublisher {},
    )
}

/// `signer`: the pool authority or the guardian.
pub fn remove_publisher(signer: &Pubkey, keys: &PoolKeys, publisher: &Pubkey) -> Instruction {
    build(
        acc::RemovePublisher { signer: *signer, pool: keys.pool, oracle: keys.oracle },
        data::RemovePublisher { publisher: *publisher },
    )
}

pub fn add_receivable(
    authority: &Pubkey,
    keys: &PoolKeys,
    index: u64,
    borrower_account: &Pubkey,
    args: AddReceivableArgs,
) -> Instruction {
    build(
        acc::AddReceivable {
            authority: *authority,
            pool: keys.pool,
            book: keys.book,
            receivable: pda::receivable(&keys.pool, index),
            base_mint: keys.base_mint,
            vault: keys.vault,
            borrower_account: *borrower_account,
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
        },
        data::AddReceivable { args },
    )
}

pub fn record_repayment(authority: &Pubkey, keys: &PoolKeys, index: u64, source: &Pubkey, amount: u64) -> Instruction {
    build(
        acc::RecordRepayment {
            authority: *authority,
            pool: keys.pool,
            book: keys.book,
            receivable: pda::receivable(&keys.pool, index),
            base_mint: keys.base_mint,
            vault: keys.vault,
            source: *source,
            base_token_program: keys.base_token_program,
        },
        data::RecordRepayment { args: RecordRepaymentArgs { amount } },
    )
}

pub fn write_down(authority: &Pubkey, keys: &PoolKeys, index: u64, expected_recovery: u64) -> Instruction {
    build(
        acc::WriteDown {
            authority: *authority,
            pool: keys.pool,
            book: keys.book,
            receivable: pda::receivable(&keys.pool, index),
        },
        data::WriteDown { args: WriteDownArgs { expected_recovery } },
    )
}

pub fn write_down_overdue(keys: &PoolKeys, index: u64) -> Instruction {
    build(
        acc::WriteDownOverdue { pool: keys.pool, book: keys.book, receivable: pda::receivable(&keys.pool, index) },
        data::WriteDownOverdue {},
    )
}

pub fn reprice(keys: &PoolKeys) -> Instruction {
    build(acc::Reprice { pool: keys.pool, book: keys.book, oracle: keys.oracle, vault: keys.vault }, data::Reprice {})
}

/// Deposit into tranche `args.tranche`. Pass `member` for a permissioned pool, and
/// `reserve` (the reserve vault) while the reserve holds tokens of this tranche: they are
/// sold first, from the tranche escrow.
pub fn deposit(
    depositor: &Pubkey,
    keys: &PoolKeys,
    depositor_base: &Pubkey,
    depositor_tranche: &Pubkey,
    member: Option<Pubkey>,
    reserve: Option<Pubkey>,
    args: DepositArgs,
) -> Instruction {
    build(
        acc::Deposit {
            depositor: *depositor,
            pool: keys.pool,
            base_mint: keys.base_mint,
            vault: keys.vault,
            tranche_mint: keys.tranche_mint(args.tranche),
            depositor_base: *depositor_base,
            depositor_tranche: *depositor_tranche,
            member,
            escrow: reserve.map(|_| pda::escrow(&keys.pool, args.tranche)),
            reserve_vault: reserve,
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
        },
        data::Deposit { args },
    )
}

pub fn update_params(authority: &Pubkey, pool: &Pubkey, params: sluice::state::PoolParams) -> Instruction {
    build(
        acc::UpdateParams { authority: *authority, pool: *pool },
        data::UpdateParams { args: UpdateParamsArgs { params } },
    )
}

pub fn propose_authority(authority: &Pubkey, pool: &Pubkey, new_authority: &Pubkey) -> Instruction {
    build(
        acc::ProposeAuthority { authority: *authority, pool: *pool },
        data::ProposeAuthority { args: ProposeAuthorityArgs { new_authority: *new_authority } },
    )
}

pub fn accept_authority(new_authority: &Pubkey, pool: &Pubkey) -> Instruction {
    build(acc::AcceptAuthority { new_authority: *new_authority, pool: *pool }, data::AcceptAuthority {})
}

pub fn pause(guardian: &Pubkey, pool: &Pubkey) -> Instruction {
    build(acc::SetPaused { guardian: *guardian, pool: *pool }, data::Pause {})
}

pub fn unpause(guardian: &Pubkey, pool: &Pubkey) -> Instruction {
    build(acc::SetPaused { guardian: *guardian, pool: *pool }, data::Unpause {})
}

/// Allocates a zeroed, program-owned redemption queue; must precede `init_redemption` in
/// the same transaction, signed by the `queue` keypair.
pub fn allocate_queue(payer: &Pubkey, queue: &Pubkey, lamports: u64) -> Instruction {
    system_instruction::create_account(payer, queue, lamports, RedemptionQueue::SPACE as u64, &sluice::ID)
}

pub fn init_redemption(authority: &Pubkey, keys: &PoolKeys, tranche: u8, queue: &Pubkey) -> Instruction {
    build(
        acc::InitRedemption {
            authority: *authority,
            pool: keys.pool,
            tranche_mint: keys.tranche_mint(tranche),
            escrow: pda::escrow(&keys.pool, tranche),
            queue: *queue,
            token_program: TOKEN_2022,
            system_program: system_program::ID,
        },
        data::InitRedemption { tranche },
    )
}

/// The accounts every queue instruction of one tranche shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueKeys {
    pub queue: Pubkey,
    pub escrow: Pubkey,
    pub tranche_mint: Pubkey,
    pub tranche: u8,
}

impl QueueKeys {
    pub fn new(keys: &PoolKeys, tranche: u8, queue: Pubkey) -> QueueKeys {
        QueueKeys { queue, escrow: pda::escrow(&keys.pool, tranche), tranche_mint: keys.tranche_mint(tranche), tranche }
    }
}

fn request_accounts(owner: &Pubkey, keys: &PoolKeys, q: &QueueKeys, owner_tokens: &Pubkey) -> acc::RequestRedemption {
    acc::RequestRedemption {
        owner: *owner,
        pool: keys.pool,
        queue: q.queue,
        escrow: q.escrow,
        tranche_mint: q.tranche_mint,
        owner_tokens: *owner_tokens,
        holder: pda::holder(&keys.pool, q.tranche, owner),
        token_program: TOKEN_2022,
        system_program: system_program::ID,
    }
}

pub fn request_redemption(
    owner: &Pubkey,
    keys: &PoolKeys,
    q: &QueueKeys,
    owner_tokens: &Pubkey,
    tokens: u64,
) -> Instruction {
    build(request_accounts(owner, keys, q, owner_tokens), data::RequestRedemption { tranche: q.tranche, tokens })
}

pub fn cancel_redemption(
    owner: &Pubkey,
    keys: &PoolKeys,
    q: &QueueKeys,
    owner_tokens: &Pubkey,
    id: u64,
) -> Instruction {
    build(request_accounts(owner, keys, q, owner_tokens), data::CancelRedemption { tranche: q.tranche, id })
}

/// `reserve`: the pool's reserve vault once `init_reserve` has run (it takes a fee share).
pub fn redeem_instant(
    holder: &Pubkey,
    keys: &PoolKeys,
    holder_tokens: &Pubkey,
    holder_base: &Pubkey,
    reserve: Option<Pubkey>,
    args: RedeemInstantArgs,
) -> Instruction {
    build(
        acc::RedeemInstant {
            holder: *holder,
            pool: keys.pool,
            base_mint: keys.base_mint,
            vault: keys.vault,
            tranche_mint: keys.tranche_mint(args.tranche),
            holder_tokens: *holder_tokens,
            holder_base: *holder_base,
            reserve_vault: reserve,
            holder_record: pda::holder(&keys.pool, args.tranche, holder),
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
        },
        data::RedeemInstant { args },
    )
}

/// `reserve`: the pool's reserve vault once `init_reserve` has run (it buys in Stress).
pub fn process_batch(
    cranker: &Pubkey,
    cranker_base: &Pubkey,
    keys: &PoolKeys,
    q: &QueueKeys,
    reserve: Option<Pubkey>,
    max_requests: u16,
) -> Instruction {
    build(
        acc::ProcessBatch {
            cranker: *cranker,
            cranker_base: *cranker_base,
            pool: keys.pool,
            queue: q.queue,
            escrow: q.escrow,
            tranche_mint: q.tranche_mint,
            base_mint: keys.base_mint,
            vault: keys.vault,
            reserve_vault: reserve,
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
        },
        data::ProcessBatch { tranche: q.tranche, max_requests },
    )
}

fn claim_accounts(caller: &Pubkey, keys: &PoolKeys, q: &QueueKeys, destination: &Pubkey) -> acc::Claim {
    acc::Claim {
        caller: *caller,
        pool: keys.pool,
        queue: q.queue,
        base_mint: keys.base_mint,
        vault: keys.vault,
        destination: *destination,
        base_token_program: keys.base_token_program,
    }
}

pub fn claim(owner: &Pubkey, keys: &PoolKeys, q: &QueueKeys, id: u64, destination: &Pubkey) -> Instruction {
    build(claim_accounts(owner, keys, q, destination), data::Claim { tranche: q.tranche, id })
}

/// Moves the unclaimed value of the queue's front request `id` into a parked record
/// (`payer` pays its rent and gets it back when the owner claims).
pub fn park_claim(payer: &Pubkey, keys: &PoolKeys, q: &QueueKeys, id: u64) -> Instruction {
    build(
        acc::ParkClaim {
            payer: *payer,
            pool: keys.pool,
            queue: q.queue,
            parked: pda::parked(&keys.pool, q.tranche, id),
            system_program: system_program::ID,
        },
        data::ParkClaim { tranche: q.tranche, id },
    )
}

/// The owner takes a parked claim to `destination`; `payer` is who parked it.
pub fn claim_parked(
    owner: &Pubkey,
    keys: &PoolKeys,
    tranche: u8,
    id: u64,
    payer: &Pubkey,
    destination: &Pubkey,
) -> Instruction {
    build(
        acc::ClaimParked {
            owner: *owner,
            pool: keys.pool,
            parked: pda::parked(&keys.pool, tranche, id),
            payer: *payer,
            base_mint: keys.base_mint,
            vault: keys.vault,
            destination: *destination,
            base_token_program: keys.base_token_program,
        },
        data::ClaimParked { tranche, id },
    )
}

/// Pushes claims of `(id, destination)` pairs. `any_base_account` fills the unused
/// single-claim slot: any base-token account will do.
pub fn push_claims(
    keeper: &Pubkey,
    keys: &PoolKeys,
    q: &QueueKeys,
    any_base_account: &Pubkey,
    pairs: &[(u64, Pubkey)],
) -> Instruction {
    let mut ix = build(
        claim_accounts(keeper, keys, q, any_base_account),
        data::PushClaims { tranche: q.tranche, ids: pairs.iter().map(|p| p.0).collect() },
    );
    ix.accounts.extend(pairs.iter().map(|p| anchor_lang::prelude::AccountMeta::new(p.1, false)));
    ix
}

pub fn init_reserve(authority: &Pubkey, keys: &PoolKeys) -> Instruction {
    build(
        acc::InitReserve {
            authority: *authority,
            pool: keys.pool,
            base_mint: keys.base_mint,
            reserve_vault: pda::reserve(&keys.pool),
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
        },
        data::InitReserve {},
    )
}

fn move_reserve(authority: &Pubkey, keys: &PoolKeys, issuer_base: &Pubkey) -> acc::MoveReserve {
    acc::MoveReserve {
        authority: *authority,
        pool: keys.pool,
        base_mint: keys.base_mint,
        reserve_vault: pda::reserve(&keys.pool),
        issuer_base: *issuer_base,
        base_token_program: keys.base_token_program,
    }
}

pub fn fund_reserve(authority: &Pubkey, keys: &PoolKeys, issuer_base: &Pubkey, amount: u64) -> Instruction {
    build(move_reserve(authority, keys, issuer_base), data::FundReserve { amount })
}

pub fn withdraw_reserve(authority: &Pubkey, keys: &PoolKeys, issuer_base: &Pubkey, amount: u64) -> Instruction {
    build(move_reserve(authority, keys, issuer_base), data::WithdrawReserve { amount })
}

pub fn recycle_reserve(keys: &PoolKeys, q: &QueueKeys) -> Instruction {
    build(
        acc::RecycleReserve {
            pool: keys.pool,
            base_mint: keys.base_mint,
            vault: keys.vault,
            reserve_vault: pda::reserve(&keys.pool),
            escrow: q.escrow,
            tranche_mint: q.tranche_mint,
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
        },
        data::RecycleReserve { tranche: q.tranche },
    )
}

/// A tranche's market and its accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmmKeys {
    pub amm: Pubkey,
    pub lp_mint: Pubkey,
    pub tranche_vault: Pubkey,
    pub base_vault: Pubkey,
    pub tranche: u8,
}

impl AmmKeys {
    pub fn new(keys: &PoolKeys, tranche: u8) -> AmmKeys {
        let amm = pda::amm(&keys.pool, tranche);
        let (lp_mint, tranche_vault, base_vault) = pda::amm_accounts(&amm);
        AmmKeys { amm, lp_mint, tranche_vault, base_vault, tranche }
    }
}

pub fn create_amm(authority: &Pubkey, keys: &PoolKeys, m: &AmmKeys, params: sluice::state::AmmParams) -> Instruction {
    build(
        acc::CreateAmm {
            authority: *authority,
            pool: keys.pool,
            amm: m.amm,
            base_mint: keys.base_mint,
            tranche_mint: keys.tranche_mint(m.tranche),
            lp_mint: m.lp_mint,
            tranche_vault: m.tranche_vault,
            base_vault: m.base_vault,
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
        },
        data::CreateAmm { tranche: m.tranche, params },
    )
}

/// The user's side of a trade: token accounts, LP account (liquidity only), member record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trader {
    pub user: Pubkey,
    pub tranche_account: Pubkey,
    pub base_account: Pubkey,
    pub lp_account: Option<Pubkey>,
    pub member: Option<Pubkey>,
}

fn trade_accounts(keys: &PoolKeys, m: &AmmKeys, t: &Trader) -> acc::Trade {
    acc::Trade {
        user: t.user,
        pool: keys.pool,
        amm: m.amm,
        base_mint: keys.base_mint,
        tranche_mint: keys.tranche_mint(m.tranche),
        lp_mint: m.lp_mint,
        tranche_vault: m.tranche_vault,
        base_vault: m.base_vault,
        user_tranche: t.tranche_account,
        user_base: t.base_account,
        user_lp: t.lp_account,
        member: t.member,
        token_program: TOKEN_2022,
        base_token_program: keys.base_token_program,
    }
}

pub fn add_liquidity(
    keys: &PoolKeys,
    m: &AmmKeys,
    t: &Trader,
    lp: u64,
    max_tranche: u64,
    max_base: u64,
) -> Instruction {
    build(trade_accounts(keys, m, t), data::AddLiquidity { lp, max_tranche, max_base })
}

pub fn remove_liquidity(
    keys: &PoolKeys,
    m: &AmmKeys,
    t: &Trader,
    lp: u64,
    min_tranche: u64,
    min_base: u64,
) -> Instruction {
    build(trade_accounts(keys, m, t), data::RemoveLiquidity { lp, min_tranche, min_base })
}

pub fn swap(keys: &PoolKeys, m: &AmmKeys, t: &Trader, args: SwapArgs) -> Instruction {
    build(trade_accounts(keys, m, t), data::Swap { args })
}

fn market_reserve(keys: &PoolKeys, m: &AmmKeys, protocol: Option<(Pubkey, Pubkey)>) -> acc::MarketReserve {
    acc::MarketReserve {
        pool: keys.pool,
        amm: m.amm,
        base_mint: keys.base_mint,
        tranche_mint: keys.tranche_mint(m.tranche),
        tranche_vault: m.tranche_vault,
        base_vault: m.base_vault,
        reserve_vault: pda::reserve(&keys.pool),
        escrow: pda::escrow(&keys.pool, m.tranche),
        protocol_base: protocol.map(|p| p.0),
        protocol_tranche: protocol.map(|p| p.1),
        token_program: TOKEN_2022,
        base_token_program: keys.base_token_program,
    }
}

pub fn reserve_buyback(keys: &PoolKeys, m: &AmmKeys) -> Instruction {
    build(market_reserve(keys, m, None), data::ReserveBuyback {})
}

/// `protocol_base`, `protocol_tranche`: token accounts of the pool authority.
pub fn sweep_market_fees(
    keys: &PoolKeys,
    m: &AmmKeys,
    protocol_base: &Pubkey,
    protocol_tranche: &Pubkey,
) -> Instruction {
    build(market_reserve(keys, m, Some((*protocol_base, *protocol_tranche))), data::SweepMarketFees {})
}

/// `amm`: a market of the pool whose discount to NAV should count (optional).
/// `amm`: a market of the pool whose discount to NAV should count (optional).
pub fn update_stage(pool: &Pubkey, amm: Option<Pubkey>) -> Instruction {
    build(acc::UpdateStage { pool: *pool, amm }, data::UpdateStage {})
}

/// `update_stage` with every market in `amms` (the first as the `amm` account, the rest as
/// remaining accounts): leaving Stress needs all of the pool's markets.
pub fn update_stage_with_markets(pool: &Pubkey, amms: &[Pubkey]) -> Instruction {
    let mut ix = update_stage(pool, amms.first().copied());
    ix.accounts.extend(amms.iter().skip(1).map(|a| anchor_lang::prelude::AccountMeta::new_readonly(*a, false)));
    ix
}

pub fn force_crisis(guardian: &Pubkey, pool: &Pubkey) -> Instruction {
    build(acc::ForceCrisis { guardian: *guardian, pool: *pool }, data::ForceCrisis {})
}

/// Token helpers the pool's users need: mints, token accounts, minting, transfers. Each
/// takes the token program of the mint it touches: `TOKEN_2022` for Sluice's own mints, the
/// pool's `base_token_program` for the base.
pub mod token {
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
    use anchor_spl::token_2022::spl_token_2022::instruction as spl;
    use anchor_spl::token_2022::spl_token_2022::state::{Account, Mint};

    pub const MINT_LEN: usize = 82;
    pub const ACCOUNT_LEN: usize = 165;

    /// Bytes a token account of a mint with `mint_extensions` needs. Token-2022 accounts
    /// get ImmutableOwner too (`create_account` adds it): a permissioned pool thaws only
    /// accounts whose owner cannot be changed.
    pub fn account_len(program: &Pubkey, mint_extensions: &[ExtensionType]) -> usize {
        if *program == SPL_TOKEN {
            return ACCOUNT_LEN;
        }
        let mut extensions = ExtensionType::get_required_init_account_extensions(mint_extensions);
        if !extensions.contains(&ExtensionType::ImmutableOwner) {
            extensions.push(ExtensionType::ImmutableOwner);
        }
        ExtensionType::try_calculate_account_len::<Account>(&extensions).expect("known extensions")
    }

    /// Bytes a mint with `extensions` (initialized before the mint itself) needs.
    pub fn mint_len(extensions: &[ExtensionType]) -> usize {
        if extensions.is_empty() {
            return MINT_LEN;
        }
        ExtensionType::try_calculate_account_len::<Mint>(extensions).expect("known extensions")
    }

    pub fn create_mint(
        program: &Pubkey,
        payer: &Pubkey,
        mint: &Pubkey,
        authority: &Pubkey,
        decimals: u8,
        lamports: u64,
    ) -> [Instruction; 2] {
        [
            system_instruction::create_account(payer, mint, lamports, MINT_LEN as u64, program),
            spl::initialize_mint2(program, mint, authority, None, decimals).expect("valid mint ix"),
        ]
    }

    /// Creates a token account of `space` bytes (see `account_len`); under Token-2022 its
    /// owner is made immutable first.
    pub fn create_account(
        program: &Pubkey,
        payer: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        owner: &Pubkey,
        space: usize,
        lamports: u64,
    ) -> Vec<Instruction> {
        let mut ixs = vec![system_instruction::create_account(payer, account, lamports, space as u64, program)];
        if *program == TOKEN_2022 {
            ixs.push(spl::initialize_immutable_owner(program, account).expect("valid immutable-owner ix"));
        }
        ixs.push(spl::initialize_account3(program, account, mint, owner).expect("valid account ix"));
        ixs
    }

    pub fn mint_to(program: &Pubkey, mint: &Pubkey, to: &Pubkey, authority: &Pubkey, amount: u64) -> Instruction {
        spl::mint_to(program, mint, to, authority, &[], amount).expect("valid mint_to ix")
    }

    /// A plain transfer between two accounts of one mint, signed by the source's owner
    /// (Sluice's mints and classic mints take it; a Token-2022 base may need `transfer_checked`).
    pub fn transfer(program: &Pubkey, from: &Pubkey, to: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
        #[allow(deprecated)]
        spl::transfer(program, from, to, owner, &[], amount).expect("valid transfer ix")
    }

    /// A transfer that names the mint and its decimals, as Token-2022 prefers.
    #[allow(clippy::too_many_arguments)]
    pub fn transfer_checked(
        program: &Pubkey,
        from: &Pubkey,
        mint: &Pubkey,
        to: &Pubkey,
        owner: &Pubkey,
        amount: u64,
        decimals: u8,
    ) -> Instruction {
        spl::transfer_checked(program, from, mint, to, owner, &[], amount, decimals).expect("valid transfer ix")
    }

    /// A wallet's associated token account for `mint` under `program`.
    pub fn associated(program: &Pubkey, wallet: &Pubkey, mint: &Pubkey) -> Pubkey {
        anchor_spl::associated_token::get_associated_token_address_with_program_id(wallet, mint, program)
    }

    /// Creates `wallet`'s associated token account for `mint` unless it exists.
    pub fn create_associated(program: &Pubkey, payer: &Pubkey, wallet: &Pubkey, mint: &Pubkey) -> Instruction {
        anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            payer, wallet, mint, program,
        )
    }

    /// A classic SPL mint at an address derived from `base` and `seed`, so a re-run finds it.
    pub fn create_mint_with_seed(
        program: &Pubkey,
        payer: &Pubkey,
        base: &Pubkey,
        seed: &str,
        authority: &Pubkey,
        decimals: u8,
        lamports: u64,
    ) -> (Pubkey, [Instruction; 2]) {
        let mint = Pubkey::create_with_seed(base, seed, program).expect("seed within 32 bytes");
        let ixs = [
            system_instruction::create_account_with_seed(payer, &mint, base, seed, lamports, MINT_LEN as u64, program),
            spl::initialize_mint2(program, &mint, authority, None, decimals).expect("valid mint ix"),
        ];
        (mint, ixs)
    }
}

/// Addresses of a value-anchored basket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketKeys {
    pub basket: Pubkey,
    pub mint: Pubkey,
    pub sleeve: Pubkey,
    pub base_mint: Pubkey,
    /// The base mint's token program (the basket's own mint is Token-2022).
    pub base_token_program: Pubkey,
}

impl BasketKeys {
    pub fn new(creator: &Pubkey, basket_id: u64, base_mint: Pubkey, base_token_program: Pubkey) -> BasketKeys {
        let basket = pda::basket(creator, basket_id);
        let (mint, sleeve) = (pda::basket_mint(&basket), pda::basket_sleeve(&basket));
        BasketKeys { basket, mint, sleeve, base_mint, base_token_program }
    }
}

pub fn create_basket(authority: &Pubkey, b: &BasketKeys, args: sluice::instructions::CreateBasketArgs) -> Instruction {
    build(
        acc::CreateBasket {
            authority: *authority,
            basket: b.basket,
            base_mint: b.base_mint,
            basket_mint: b.mint,
            sleeve: b.sleeve,
            token_program: TOKEN_2022,
            base_token_program: b.base_token_program,
            system_program: system_program::ID,
        },
        data::CreateBasket { args },
    )
}

/// Admits tranche `tranche` of the pool `keys` to the basket.
pub fn add_constituent(
    authority: &Pubkey,
    b: &BasketKeys,
    keys: &PoolKeys,
    tranche: u8,
    args: sluice::instructions::ConstituentArgs,
) -> Instruction {
    let mint = keys.tranche_mint(tranche);
    build(
        acc::AddConstituent {
            authority: *authority,
            basket: b.basket,
            pool: keys.pool,
            tranche_mint: mint,
            vault: pda::basket_vault(&b.basket, &mint),
            token_program: TOKEN_2022,
            system_program: system_program::ID,
        },
        data::AddConstituent { tranche, args },
    )
}

pub fn update_constituent(
    authority: &Pubkey,
    b: &BasketKeys,
    pool: &Pubkey,
    index: u8,
    args: sluice::instructions::ConstituentArgs,
) -> Instruction {
    build(
        acc::UpdateConstituent { authority: *authority, basket: b.basket, pool: *pool },
        data::UpdateConstituent { index, args },
    )
}

pub fn set_basket_paused(guardian: &Pubkey, b: &BasketKeys, paused: bool) -> Instruction {
    build(acc::SetBasketPaused { guardian: *guardian, basket: b.basket }, data::SetBasketPaused { paused })
}

/// `priced`: every constituent's pool in the basket's order, then the queue of each open
/// basket request (`BasketView::priced_accounts`): they price the basket.
#[allow(clippy::too_many_arguments)]
pub fn exchange_in(
    holder: &Pubkey,
    b: &BasketKeys,
    tranche_mint: &Pubkey,
    holder_tranche: &Pubkey,
    holder_basket: &Pubkey,
    member: Option<Pubkey>,
    priced: &[Pubkey],
    args: sluice::instructions::ExchangeInArgs,
) -> Instruction {
    let mut ix = build(
        acc::ExchangeIn {
            holder: *holder,
            basket: b.basket,
            mint: b.mint,
            tranche_mint: *tranche_mint,
            vault: pda::basket_vault(&b.basket, tranche_mint),
            holder_tranche: *holder_tranche,
            holder_basket: *holder_basket,
            member,
            token_program: TOKEN_2022,
        },
        data::ExchangeIn { args },
    );
    ix.accounts.extend(priced.iter().map(|p| anchor_lang::prelude::AccountMeta::new_readonly(*p, false)));
    ix
}

/// The accounts both basket exits share (`exchange_out`, `redeem_basket`).
fn basket_exit(holder: &Pubkey, b: &BasketKeys, holder_basket: &Pubkey, holder_base: &Pubkey) -> acc::BasketExit {
    acc::BasketExit {
        holder: *holder,
        basket: b.basket,
        mint: b.mint,
        holder_basket: *holder_basket,
        sleeve: b.sleeve,
        base_mint: b.base_mint,
        holder_base: *holder_base,
        token_program: TOKEN_2022,
        base_token_program: b.base_token_program,
    }
}

/// `slices`: for each constituent in the basket's order, (its mint, the destination);
/// `open_queues`: the queue of each open basket request (`BasketView::open_queues`).
pub fn exchange_out(
    holder: &Pubkey,
    b: &BasketKeys,
    holder_basket: &Pubkey,
    holder_base: &Pubkey,
    slices: &[(Pubkey, Pubkey)],
    open_queues: &[Pubkey],
    args: sluice::instructions::ExchangeOutArgs,
) -> Instruction {
    let mut ix = build(basket_exit(holder, b, holder_basket, holder_base), data::ExchangeOut { args });
    for (mint, to) in slices {
        ix.accounts.extend([
            anchor_lang::prelude::AccountMeta::new(pda::basket_vault(&b.basket, mint), false),
            anchor_lang::prelude::AccountMeta::new_readonly(*mint, false),
            anchor_lang::prelude::AccountMeta::new(*to, false),
        ]);
    }
    ix.accounts.extend(open_queues.iter().map(|q| anchor_lang::prelude::AccountMeta::new_readonly(*q, false)));
    ix
}

/// Sleeve redemption; `priced` as for `exchange_in`.
pub fn redeem_basket(
    holder: &Pubkey,
    b: &BasketKeys,
    holder_basket: &Pubkey,
    holder_base: &Pubkey,
    priced: &[Pubkey],
    args: sluice::instructions::RedeemBasketArgs,
) -> Instruction {
    let mut ix = build(basket_exit(holder, b, holder_basket, holder_base), data::RedeemBasket { args });
    ix.accounts.extend(priced.iter().map(|p| anchor_lang::prelude::AccountMeta::new_readonly(*p, false)));
    ix
}

/// One `rebalance` crank on constituent `index` of the basket `view`, whose pool is `pool`
/// (as read); the basket's member record goes along where the pool is permissioned and the
/// reserve vault where the pool has one (a deposit may need it).
pub fn rebalance(cranker: &Pubkey, b: &BasketKeys, view: &crate::client::BasketView, index: u8) -> Instruction {
    rebalance_with(cranker, b, view, index, false)
}

/// `rebalance` that only collects constituent `index`'s paid request into the sleeve.
pub fn collect(cranker: &Pubkey, b: &BasketKeys, view: &crate::client::BasketView, index: u8) -> Instruction {
    rebalance_with(cranker, b, view, index, true)
}

/// What a client bundles before an exit in kind: a collection of every request with
/// something to collect (each built against the view as the ones before it leave it), and
/// the view after them, which prices and routes the exit.
pub fn collect_all(
    cranker: &Pubkey,
    b: &BasketKeys,
    view: &crate::client::BasketView,
) -> (Vec<Instruction>, crate::client::BasketView) {
    let mut now = view.clone();
    let mut ixs = Vec::new();
    for index in sluice::instructions::collectable(&view.basket, &view.flights) {
        ixs.push(collect(cranker, b, &now, index));
        now = now.collected(index);
    }
    (ixs, now)
}

fn rebalance_with(
    cranker: &Pubkey,
    b: &BasketKeys,
    view: &crate::client::BasketView,
    index: u8,
    collect_only: bool,
) -> Instruction {
    let c = view.basket.constituents[index as usize];
    let pool = &view.pools[index as usize];
    let keys = PoolKeys::of(pool);
    let tranche = c.tranche;
    let mint = keys.tranche_mint(tranche);
    let member = pool.params.permissioned.then(|| pda::member(&keys.pool, &b.basket));
    let reserve = (pool.reserve_vault != Pubkey::default()).then_some(pool.reserve_vault);
    let priced = view.priced_accounts();
    let mut ix = build(
        acc::Rebalance {
            cranker: *cranker,
            basket: b.basket,
            sleeve: b.sleeve,
            base_mint: b.base_mint,
            pool: keys.pool,
            pool_vault: keys.vault,
            queue: pool.tranches[tranche as usize].queue,
            escrow: pda::escrow(&keys.pool, tranche),
            tranche_mint: mint,
            vault: pda::basket_vault(&b.basket, &mint),
            holder_record: pda::holder(&keys.pool, tranche, &b.basket),
            member,
            reserve_vault: reserve,
            token_program: TOKEN_2022,
            base_token_program: keys.base_token_program,
            system_program: system_program::ID,
            sluice_program: sluice::ID,
        },
        data::Rebalance { index, collect_only },
    );
    // Pricing reads them; the pool itself is already writable above.
    ix.accounts.extend(priced.iter().map(|p| anchor_lang::prelude::AccountMeta::new_readonly(*p, false)));
    ix
}

pub fn set_basket_params(authority: &Pubkey, b: &BasketKeys, params: sluice::state::BasketParams) -> Instruction {
    build(acc::SetBasketParams { authority: *authority, basket: b.basket }, data::SetBasketParams { params })
}

pub fn propose_basket_authority(authority: &Pubkey, b: &BasketKeys, new_authority: Pubkey) -> Instruction {
    build(
        acc::ProposeBasketAuthority { authority: *authority, basket: b.basket },
        data::ProposeBasketAuthority { new_authority },
    )
}

pub fn accept_basket_authority(new_authority: &Pubkey, b: &BasketKeys) -> Instruction {
    build(
        acc::AcceptBasketAuthority { new_authority: *new_authority, basket: b.basket },
        data::AcceptBasketAuthority {},
    )
}

/// A basket's market and its accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketMarketKeys {
    pub market: Pubkey,
    pub lp_mint: Pubkey,
    pub token_vault: Pubkey,
    pub base_vault: Pubkey,
}

impl BasketMarketKeys {
    pub fn new(b: &BasketKeys) -> BasketMarketKeys {
        let market = pda::basket_market(&b.basket);
        let (lp_mint, token_vault, base_vault) = pda::basket_market_accounts(&market);
        BasketMarketKeys { market, lp_mint, token_vault, base_vault }
    }
}

pub fn create_basket_market(
    authority: &Pubkey,
    b: &BasketKeys,
    m: &BasketMarketKeys,
    params: sluice::state::BasketMarketParams,
) -> Instruction {
    build(
        acc::CreateBasketMarket {
            authority: *authority,
            basket: b.basket,
            market: m.market,
            base_mint: b.base_mint,
            mint: b.mint,
            lp_mint: m.lp_mint,
            token_vault: m.token_vault,
            base_vault: m.base_vault,
            token_program: TOKEN_2022,
            base_token_program: b.base_token_program,
            system_program: system_program::ID,
        },
        data::CreateBasketMarket { params },
    )
}

/// The user's side of a basket-market trade: basket-token and base-token accounts, and the
/// LP account (liquidity changes only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketTrader {
    pub user: Pubkey,
    pub token_account: Pubkey,
    pub base_account: Pubkey,
    pub lp_account: Option<Pubkey>,
}

fn basket_trade(b: &BasketKeys, m: &BasketMarketKeys, t: &BasketTrader) -> acc::BasketTrade {
    acc::BasketTrade {
        user: t.user,
        basket: b.basket,
        market: m.market,
        mint: b.mint,
        base_mint: b.base_mint,
        lp_mint: m.lp_mint,
        token_vault: m.token_vault,
        base_vault: m.base_vault,
        user_tokens: t.token_account,
        user_base: t.base_account,
        user_lp: t.lp_account,
        token_program: TOKEN_2022,
        base_token_program: b.base_token_program,
    }
}

pub fn add_basket_liquidity(
    b: &BasketKeys,
    m: &BasketMarketKeys,
    t: &BasketTrader,
    lp: u64,
    max_tokens: u64,
    max_base: u64,
) -> Instruction {
    build(basket_trade(b, m, t), data::AddBasketLiquidity { lp, max_tokens, max_base })
}

pub fn remove_basket_liquidity(
    b: &BasketKeys,
    m: &BasketMarketKeys,
    t: &BasketTrader,
    lp: u64,
    min_tokens: u64,
    min_base: u64,
) -> Instruction {
    build(basket_trade(b, m, t), data::RemoveBasketLiquidity { lp, min_tokens, min_base })
}

/// `priced`: as for `exchange_in` (`BasketView::priced_accounts`): they price the basket.
pub fn swap_basket(
    b: &BasketKeys,
    m: &BasketMarketKeys,
    t: &BasketTrader,
    priced: &[Pubkey],
    args: sluice::instructions::BasketSwapArgs,
) -> Instruction {
    let mut ix = build(basket_trade(b, m, t), data::SwapBasket { args });
    ix.accounts.extend(priced.iter().map(|p| anchor_lang::prelude::AccountMeta::new_readonly(*p, false)));
    ix
}

/// The permissionless buy-back crank; `priced` as for `swap_basket`.
pub fn basket_buyback(b: &BasketKeys, m: &BasketMarketKeys, priced: &[Pubkey], max_base: u64) -> Instruction {
    let mut ix = build(
        acc::BasketBuyback {
            basket: b.basket,
            market: m.market,
            mint: b.mint,
            base_mint: b.base_mint,
            sleeve: b.sleeve,
            token_vault: m.token_vault,
            base_vault: m.base_vault,
            token_program: TOKEN_2022,
            base_token_program: b.base_token_program,
        },
        data::BasketBuyback { max_base },
    );
    ix.accounts.extend(priced.iter().map(|p| anchor_lang::prelude::AccountMeta::new_readonly(*p, false)));
    ix
}
