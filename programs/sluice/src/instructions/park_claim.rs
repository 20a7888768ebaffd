//! Specification: `park_claim(tranche, id)` (anyone) and `claim_parked(tranche, id)` (owner)
//! - A request whose tokens are all redeemed but whose value its owner never claims (and
//!   which `push_claims` cannot pay: no account, closed, frozen) would hold the front of
//!   the queue forever, and the queue would fill behind it. `park_claim` moves the value of
//!   such a request out of the queue into a `ParkedClaim` record that the caller pays rent
//!   for, so the queue moves on. Only the queue's front request (`RequestNotFound`
//!   otherwise), fully redeemed and unclaimed (`NothingToClaim`), and at least
//!   `PARK_AFTER_SECS` (30 days) after it was made (`NothingToProcess`). A pull-only
//!   request (a basket's) is refused (`PullOnlyRequest`): anyone can crank the basket's
//!   `rebalance`, which collects it into the sleeve and frees the front.
//! - The value stays owed: it is still in the vault and in `Pool::claimable`.
//! - `claim_parked`: the owner (`NotRequestOwner`) takes the value to any base-token account
//!   it names; the record closes and its rent returns to whoever parked it.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::request_redemption::tranche_of;
use super::token_moves;
use crate::error::SluiceError;
use crate::events::Claimed;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8, id: u64)]
pub struct ParkClaim<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, constraint = queue.key() == tranche_of(&pool, tranche)?.queue @ SluiceError::WrongAccount)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    #[account(
        init,
        payer = payer,
        space = 8 + ParkedClaim::INIT_SPACE,
        seeds = [ParkedClaim::SEED, pool.key().as_ref(), &[tranche], &id.to_le_bytes()],
        bump,
    )]
    pub parked: Box<Account<'info, ParkedClaim>>,
    pub system_program: Program<'info, System>,
}

impl ParkClaim<'_> {
    pub fn park_claim(ctx: Context<Self>, tranche: u8, id: u64) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let i = tranche as usize;
        let pool_key = a.pool.key();
        let pool: &mut Pool = &mut a.pool;
        require!(id == pool.tranches[i].queue_head, SluiceError::RequestNotFound);
        let mut queue = a.queue.load_mut()?;
        let r = queue.get_mut(&pool.tranches[i], id)?;
        require!(r.remaining == 0 && r.claimable > 0, SluiceError::NothingToClaim);
        require!(r.pull_only == 0, SluiceError::PullOnlyRequest);
        require!(now >= r.requested_at.saturating_add(PARK_AFTER_SECS), SluiceError::NothingToProcess);
        a.parked.set_inner(ParkedClaim {
            pool: pool_key,
            tranche,
            id,
            owner: r.owner,
            amount: r.claimable,
            payer: a.payer.key(),
            bump: ctx.bumps.parked,
        });
        r.claimable = 0;
        queue.pop_done(&mut pool.tranches[i], 32);
        drop(queue);
        pool.invariant()
    }
}

#[derive(Accounts)]
#[instruction(tranche: u8, id: u64)]
pub struct ClaimParked<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = vault @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        close = payer,
        seeds = [ParkedClaim::SEED, pool.key().as_ref(), &[tranche], &id.to_le_bytes()],
        bump = parked.bump,
        has_one = owner @ SluiceError::NotRequestOwner,
        has_one = payer @ SluiceError::WrongAccount,
    )]
    pub parked: Box<Account<'info, ParkedClaim>>,
    /// CHECK: receives the record's rent; must be the recorded payer (`has_one`).
    #[account(mut)]
    pub payer: UncheckedAccount<'info>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = destination.mint == base_mint.key() @ SluiceError::WrongAccount,
        constraint = pool.may_pay(&destination.owner, &owner.key()) @ SluiceError::WrongAccount,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The base mint's token program (classic SPL Token or Token-2022).
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl ClaimParked<'_> {
    pub fn claim_parked(ctx: Context<Self>, tranche: u8, id: u64) -> Result<()> {
        let a = ctx.accounts;
        let amount = a.parked.amount;
        token_moves::pool_transfer(
            &a.pool,
            a.base_token_program.key(),
            &a.vault,
            &a.base_mint,
            a.destination.to_account_info(),
            amount,
        )?;
        a.pool.claimable = a.pool.claimable.checked_sub(amount).ok_or(SluiceError::InvariantViolated)?;
        a.vault.reload()?;
        a.pool.invariant()?;
        a.pool.check_cash(a.vault.amount)?;
        crate::events::emit(Claimed { pool: a.pool.key(), tranche, id, amount, pushed: false });
        Ok(())
    }
}
