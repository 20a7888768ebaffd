//! Specification: the buy-back reserve
//! - `init_reserve`: pool authority (`NotAuthority`) creates the reserve's base-token
//!   account `["reserve", pool]` (authority: the pool). Once only.
//! - `fund_reserve(amount)`: the issuer adds base tokens (`ZeroAmount` for none).
//! - `withdraw_reserve(amount)`: the issuer takes back only unpaused (`PoolPaused`), only in Normal (`WrongStage`) and
//!   only what is above the target, `reserve_target_bps` of NAV (`ReserveBelowTarget`).
//! - `recycle_reserve(tranche)` (anyone, Normal only, not while paused): the pool redeems
//!   the tokens the reserve bought, at NAV, out of cash above the floor that no open batch
//!   has granted, paying the reserve back. Nothing held or no cash to spare: `NothingToProcess`.
//! - Every change emits `ReserveAttested` (balance, tokens held, target).
//!   The reserve's buying happens in `process_batch` (Stress and Crisis).

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::request_redemption::tranche_of;
use super::token_moves;
use crate::error::SluiceError;
use crate::events::ReserveAttested;
use crate::math::allocation::{allocate, value_of};
use crate::state::*;

/// Emits the reserve's proof-of-reserve figures.
pub fn attest(key: Pubkey, pool: &Pool, now: i64) {
    crate::events::emit(ReserveAttested {
        pool: key,
        balance: pool.reserve_balance,
        tokens_held: pool.tranches.map(|t| t.reserve_tokens),
        target: pool.reserve_target(),
        timestamp: now,
    });
}

#[derive(Accounts)]
pub struct InitReserve<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = authority,
        seeds = [b"reserve", pool.key().as_ref()],
        bump,
        token::mint = base_mint,
        token::authority = pool,
        token::token_program = base_token_program,
    )]
    pub reserve_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl InitReserve<'_> {
    pub fn init_reserve(ctx: Context<Self>) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        pool.reserve_vault = ctx.accounts.reserve_vault.key();
        pool.invariant()?;
        attest(pool.key(), pool, Clock::get()?.unix_timestamp);
        Ok(())
    }
}

#[derive(Accounts)]
pub struct MoveReserve<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        has_one = authority @ SluiceError::NotAuthority,
        has_one = base_mint @ SluiceError::WrongAccount,
        has_one = reserve_vault @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub reserve_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The issuer's base-token account: source of funding, destination of withdrawals.
    #[account(mut, constraint = issuer_base.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub issuer_base: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl MoveReserve<'_> {
    pub fn fund_reserve(ctx: Context<Self>, amount: u64) -> Result<()> {
        require!(amount > 0, SluiceError::ZeroAmount);
        let a = ctx.accounts;
        token_moves::user_transfer(
            a.base_token_program.key(),
            a.authority.to_account_info(),
            &a.issuer_base,
            &a.base_mint,
            a.reserve_vault.to_account_info(),
            amount,
        )?;
        a.pool.reserve_balance = a.pool.reserve_balance.checked_add(amount).ok_or(SluiceError::MathOverflow)?;
        a.finish()
    }

    pub fn withdraw_reserve(ctx: Context<Self>, amount: u64) -> Result<()> {
        let a = ctx.accounts;
        require!(amount > 0, SluiceError::ZeroAmount);
        require!(!a.pool.paused, SluiceError::PoolPaused);
        require!(a.pool.stage == Stage::Normal, SluiceError::WrongStage);
        let committed = a.pool.reserve_target().saturating_add(a.pool.batch_reserved_reserve());
        let spare = a.pool.reserve_balance.saturating_sub(committed);
        require!(amount <= spare, SluiceError::ReserveBelowTarget);
        token_moves::pool_transfer(
            &a.pool,
            a.base_token_program.key(),
            &a.reserve_vault,
            &a.base_mint,
            a.issuer_base.to_account_info(),
            amount,
        )?;
        a.pool.reserve_balance -= amount;
        a.finish()
    }

    fn finish(&mut self) -> Result<()> {
        self.reserve_vault.reload()?;
        require!(self.reserve_vault.amount >= self.pool.reserve_balance, SluiceError::InvariantViolated);
        self.pool.invariant()?;
        attest(self.pool.key(), &self.pool, Clock::get()?.unix_timestamp);
        Ok(())
    }
}

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct RecycleReserve<'info> {
    #[account(
        mut,
        has_one = vault @ SluiceError::WrongAccount,
        has_one = base_mint @ SluiceError::WrongAccount,
        has_one = reserve_vault @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub reserve_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = escrow.key() == tranche_of(&pool, tranche)?.escrow @ SluiceError::WrongAccount)]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = tranche_mint.key() == tranche_of(&pool, tranche)?.mint @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl RecycleReserve<'_> {
    pub fn recycle_reserve(ctx: Context<Self>, tranche: u8) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let i = tranche as usize;
        require!(!a.pool.paused, SluiceError::PoolPaused);
        require!(a.pool.stage == Stage::Normal, SluiceError::WrongStage);
        require!(a.pool.nav_is_fresh(now), SluiceError::NavStale);
        let t = a.pool.tranches[i];
        // As much as cash above the floor and every senior's subordination allow.
        let sides = a.pool.redemption_sides(|j, t| if j == i { t.reserve_tokens } else { 0 });
        let budget = a.pool.free_cash();
        let tokens = allocate(budget, a.pool.nav, &sides).tokens[i];
        let value = value_of(tokens, t.value, t.supply);
        require!(tokens > 0 && value > 0, SluiceError::NothingToProcess);

        token_moves::pool_burn(&a.pool, a.token_program.key(), &a.tranche_mint, &a.escrow, tokens)?;
        token_moves::pool_transfer(
            &a.pool,
            a.base_token_program.key(),
            &a.vault,
            &a.base_mint,
            a.reserve_vault.to_account_info(),
            value,
        )?;
        let pool = &mut a.pool;
        pool.tranches[i].reserve_tokens -= tokens;
        pool.cash -= value;
        pool.reserve_balance += value;
        pool.retire_tokens(i, tokens, value)?;
        a.vault.reload()?;
        a.escrow.reload()?;
        a.tranche_mint.reload()?;
        pool.check_escrow(i, a.escrow.amount)?;
        require!(a.tranche_mint.supply == pool.tranches[i].supply, SluiceError::InvariantViolated);
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;
        attest(pool.key(), pool, now);
        Ok(())
    }
}
