//! Specification: `create_pool`
//! - Signer `authority` pays for and becomes the issuer authority of a new pool at
//!   PDA `["pool", authority, pool_id]`, with a vault token account `["vault", pool]`
//!   for `base_mint`, a rate oracle `["oracle", pool]`, and the pre-allocated, zeroed
//!   book account (created by the client in the same transaction).
//! - `params` must pass `PoolParams::validate`; otherwise `InvalidParams`.
//! - `base_mint` may belong to classic SPL Token or Token-2022; `base_token_program` must be
//!   its program (the token program itself refuses a mismatch while creating the vault,
//!   before any check of ours). A Token-2022 mint whose extensions would break the books is
//!   refused with the extension's own error (`mints::check_base_mint`).
//! - The pool starts Normal, unpaused, with no tranches, no cash and a dirty NAV.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::mints;
use crate::error::SluiceError;
use crate::events::PoolCreated;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreatePoolArgs {
    pub pool_id: u64,
    pub guardian: Pubkey,
    pub publishers: [Pubkey; MAX_PUBLISHERS],
    pub params: PoolParams,
}

#[derive(Accounts)]
#[instruction(args: CreatePoolArgs)]
pub struct CreatePool<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        init,
        payer = authority,
        space = 8 + Pool::INIT_SPACE,
        seeds = [Pool::SEED, authority.key().as_ref(), &args.pool_id.to_le_bytes()],
        bump
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = authority,
        seeds = [b"vault", pool.key().as_ref()],
        bump,
        token::mint = base_mint,
        token::authority = pool,
        token::token_program = base_token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(zero)]
    pub book: AccountLoader<'info, Book>,
    #[account(
        init,
        payer = authority,
        space = 8 + RateOracle::INIT_SPACE,
        seeds = [RateOracle::SEED, pool.key().as_ref()],
        bump
    )]
    pub oracle: Box<Account<'info, RateOracle>>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl CreatePool<'_> {
    fn validate(&self, args: &CreatePoolArgs) -> Result<()> {
        mints::check_base_mint(&self.base_mint.to_account_info())?;
        args.params.validate()
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn create_pool(ctx: Context<Self>, args: CreatePoolArgs) -> Result<()> {
        let accounts = ctx.accounts;
        let pool_key = accounts.pool.key();

        let mut book = accounts.book.load_init()?;
        book.pool = pool_key;
        book.invariant(None)?;
        drop(book);

        let oracle = &mut accounts.oracle;
        oracle.pool = pool_key;
        oracle.publishers = args.publishers;
        oracle.bump = ctx.bumps.oracle;
        oracle.invariant()?;

        let pool = &mut accounts.pool;
        pool.set_inner(Pool {
            creator: accounts.authority.key(),
            pool_id: args.pool_id,
            authority: accounts.authority.key(),
            pending_authority: Pubkey::default(),
            guardian: args.guardian,
            base_mint: accounts.base_mint.key(),
            base_token_program: accounts.base_token_program.key(),
            vault: accounts.vault.key(),
            book: accounts.book.key(),
            oracle: accounts.oracle.key(),
            stage: Stage::Normal,
            paused: false,
            params: args.params,
            cash: 0,
            nav: 0,
            nav_time: 0,
            nav_dirty: true,
            tranche_count: 0,
            tranches: [Tranche::default(); MAX_TRANCHES],
            receivable_count: 0,
            bump: ctx.bumps.pool,
            vault_bump: ctx.bumps.vault,
            claimable: 0,
            fee_pot: 0,
            window_start: 0,
            window_paid: 0,
            // 0: the pool has never changed stage, so its first move is not held back.
            stage_since: 0,
            realized_budget: 0,
            batch: BatchState::default(),
            reserve_vault: Pubkey::default(),
            reserve_balance: 0,
            buyback_window_start: 0,
            buyback_budget: 0,
            buyback_spent: 0,
            market_mask: 0,
        });
        pool.invariant()?;
        pool.check_cash(accounts.vault.amount)?;

        crate::events::emit(PoolCreated { pool: pool_key, authority: pool.authority, base_mint: pool.base_mint });
        Ok(())
    }
}
