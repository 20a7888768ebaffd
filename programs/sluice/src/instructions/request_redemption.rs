//! Specification: `request_redemption` / `cancel_redemption`
//! - `request_redemption(tranche, tokens)`: the holder's tokens move into the tranche's
//!   escrow and a request joins the back of its FIFO queue. Refused: zero or below the
//!   minimum request unless it is the holder's whole balance (`BelowMinimumRequest`), a
//!   tranche without redemption set up (`RedemptionNotReady`), a full queue (`QueueFull`).
//!   A request worth more than the instant threshold is paid at most 1/N of its size per
//!   batch (N = `installments`).
//! - `cancel_redemption(tranche, id)`: the owner (`NotRequestOwner`) takes back every token
//!   not yet redeemed (`NothingToCancel` if none); value already paid stays claimable.

use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::{RedemptionCancelled, RedemptionRequested};
use crate::math::allocation::value_of;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct RequestRedemption<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, constraint = queue.key() == tranche_of(&pool, tranche)?.queue @ SluiceError::WrongAccount)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    #[account(mut, constraint = escrow.key() == tranche_of(&pool, tranche)?.escrow @ SluiceError::WrongAccount)]
    pub escrow: Box<Account<'info, TokenAccount>>,
    #[account(constraint = tranche_mint.key() == tranche_of(&pool, tranche)?.mint @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<Account<'info, Mint>>,
    /// The owner's tranche tokens: where they come from, and where a cancel returns them.
    #[account(
        mut,
        constraint = owner_tokens.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = owner_tokens.owner == owner.key() @ SluiceError::WrongAccount,
    )]
    pub owner_tokens: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// The tranche record, if it exists and has redemption set up.
pub fn tranche_of(pool: &Pool, tranche: u8) -> Result<Tranche> {
    let t = pool.active_tranches().get(tranche as usize).copied().ok_or(SluiceError::UnknownTranche)?;
    require!(t.queue != Pubkey::default(), SluiceError::RedemptionNotReady);
    Ok(t)
}

impl RequestRedemption<'_> {
    fn validate(&self, tranche: u8, tokens: u64) -> Result<()> {
        tranche_of(&self.pool, tranche)?;
        let whole_balance = tokens == self.owner_tokens.amount;
        require!(
            tokens > 0 && (tokens >= self.pool.params.redemption.min_request || whole_balance),
            SluiceError::BelowMinimumRequest
        );
        Ok(())
    }

    #[access_control(ctx.accounts.validate(tranche, tokens))]
    pub fn request_redemption(ctx: Context<Self>, tranche: u8, tokens: u64) -> Result<()> {
        let a = ctx.accounts;
        token_moves::user_transfer(
            &a.token_program,
            a.owner.to_account_info(),
            &a.owner_tokens,
            &a.tranche_mint,
            a.escrow.to_account_info(),
            tokens,
        )?;

        let pool = &mut a.pool;
        let params = pool.params.redemption;
        let t = &mut pool.tranches[tranche as usize];
        let large = value_of(tokens, t.value, t.supply) > params.instant_threshold;
        let installment = if large { tokens.div_ceil(params.installments as u64) } else { tokens };
        let request = Request { owner: a.owner.key(), original: tokens, remaining: tokens, claimable: 0, installment };
        let id = a.queue.load_mut()?.push(t, request)?;
        t.queued_tokens += tokens;
        t.demand_tokens += request.allowed();
        pool.invariant()?;
        a.escrow.reload()?;
        pool.check_escrow(tranche as usize, a.escrow.amount)?;
        emit!(RedemptionRequested { pool: pool.key(), tranche, id, owner: a.owner.key(), tokens, installment });
        Ok(())
    }

    pub fn cancel_redemption(ctx: Context<Self>, tranche: u8, id: u64) -> Result<()> {
        let a = ctx.accounts;
        tranche_of(&a.pool, tranche)?;
        let pool_key = a.pool.key();
        let t = &mut a.pool.tranches[tranche as usize];
        let mut queue = a.queue.load_mut()?;
        let r = queue.get_mut(t, id)?;
        require!(r.owner == a.owner.key(), SluiceError::NotRequestOwner);
        let returned = r.remaining;
        require!(returned > 0, SluiceError::NothingToCancel);
        t.demand_tokens -= r.allowed();
        t.queued_tokens -= returned;
        r.remaining = 0;
        queue.pop_done(t, 16);
        drop(queue);

        token_moves::pool_transfer(
            &a.pool,
            &a.token_program,
            &a.escrow,
            &a.tranche_mint,
            a.owner_tokens.to_account_info(),
            returned,
        )?;
        a.pool.invariant()?;
        a.escrow.reload()?;
        a.pool.check_escrow(tranche as usize, a.escrow.amount)?;
        emit!(RedemptionCancelled { pool: pool_key, tranche, id, tokens_returned: returned });
        Ok(())
    }
}
