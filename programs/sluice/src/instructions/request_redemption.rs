//! Specification: `request_redemption` / `cancel_redemption`
//! - `request_redemption(tranche, tokens)`: the holder's tokens move into the tranche's
//!   escrow and a request joins the back of its FIFO queue. Refused: paused pool
//!   (`PoolPaused`), zero or below the
//!   minimum request unless it is the holder's whole balance (`BelowMinimumRequest`), a
//!   tranche without redemption set up (`RedemptionNotReady`), a full queue (`QueueFull`).
//!   Installments hold per holder, not per request: a holder whose requests in one batch
//!   interval are worth more than the instant threshold in total is *large* for that
//!   window, and each of its requests of the window is paid at most ⌈original / N⌉ per batch
//!   (N = `installments`) — the earlier small ones are converted when the total crosses the
//!   threshold, and a holder's ninth request of a window counts as large in any case. Ten
//!   requests of 10,000 are paid like one of 100,000. (Splitting across wallets is not
//!   stopped here; in permissioned pools every wallet is a known member.)
//! - In a permissioned pool a lapsed holder's frozen account still redeems: the pool thaws
//!   it for the move into escrow (or a cancel's return) and freezes it again.
//! - A request whose owner is a Sluice account (a basket, signing as its PDA) is
//!   pull-only: `push_claims` skips it and `park_claim` refuses it; the owner collects.
//! - `cancel_redemption(tranche, id)`: the owner (`NotRequestOwner`) takes back every token
//!   not yet redeemed (`NothingToCancel` if none); value already paid stays claimable. Not
//!   before the request has waited one batch interval (`CancelLocked`): a request counts
//!   toward the stage metrics, so it must be a real exit, not a signal withdrawn in the same
//!   transaction. Allowed while paused (holders can always take their tokens back). A
//!   request still waiting in an open batch takes its allowance out of the batch, whose
//!   grant the remaining requests share.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::{RedemptionCancelled, RedemptionRequested};
use crate::math::allocation::value_of;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct RequestRedemption<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, constraint = queue.key() == tranche_of(&pool, tranche)?.queue @ SluiceError::WrongAccount)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    #[account(mut, constraint = escrow.key() == tranche_of(&pool, tranche)?.escrow @ SluiceError::WrongAccount)]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(constraint = tranche_mint.key() == tranche_of(&pool, tranche)?.mint @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    /// The owner's tranche tokens: where they come from, and where a cancel returns them.
    #[account(
        mut,
        constraint = owner_tokens.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = owner_tokens.owner == owner.key() @ SluiceError::WrongAccount,
    )]
    pub owner_tokens: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The owner's limits in this tranche (created on first use, at the owner's expense).
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + HolderRecord::INIT_SPACE,
        seeds = [HolderRecord::SEED, pool.key().as_ref(), &[tranche], owner.key().as_ref()],
        bump,
    )]
    pub holder: Box<Account<'info, HolderRecord>>,
    pub token_program: Program<'info, Token2022>,
    pub system_program: Program<'info, System>,
}

/// The tranche record, if it exists and has redemption set up.
pub fn tranche_of(pool: &Pool, tranche: u8) -> Result<Tranche> {
    let t = pool.active_tranches().get(tranche as usize).copied().ok_or(SluiceError::UnknownTranche)?;
    require!(t.queue != Pubkey::default(), SluiceError::RedemptionNotReady);
    Ok(t)
}

impl RequestRedemption<'_> {
    fn validate(&self, tranche: u8, tokens: u64) -> Result<()> {
        require!(!self.pool.paused, SluiceError::PoolPaused);
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
        token_moves::while_thawed(&a.pool, a.token_program.key(), &a.owner_tokens, &a.tranche_mint, || {
            token_moves::user_transfer(
                a.token_program.key(),
                a.owner.to_account_info(),
                &a.owner_tokens,
                &a.tranche_mint,
                a.escrow.to_account_info(),
                tokens,
            )
        })?;

        let now = Clock::get()?.unix_timestamp;
        let pool_key = a.pool.key();
        let owner = a.owner.key();
        let i = tranche as usize;
        let pool: &mut Pool = &mut a.pool;
        let params = pool.params.redemption;
        let holder = &mut a.holder;
        holder.bind(pool_key, owner, tranche, ctx.bumps.holder)?;
        holder.roll_request_window(now, params.batch_interval_secs as i64);
        let t = pool.tranches[i];
        holder.window_value = holder.window_value.saturating_add(value_of(tokens, t.value, t.supply));
        let mut queue = a.queue.load_mut()?;
        let becomes_large = !holder.window_large
            && (holder.window_value > params.instant_threshold || holder.window_count as usize == WINDOW_REQUESTS);
        if becomes_large {
            holder.window_large = true;
            for id in holder.window_ids[..holder.window_count as usize].iter().copied() {
                Self::convert_to_installments(pool, &mut queue, i, id, &owner)?;
            }
        }
        let installment = if holder.window_large { tokens.div_ceil(params.installments as u64) } else { tokens };
        let pull_only = (a.owner.to_account_info().owner == &crate::ID) as u8;
        let request = Request {
            owner,
            original: tokens,
            remaining: tokens,
            claimable: 0,
            installment,
            requested_at: now,
            pull_only,
            _pad: [0; 7],
        };
        let t = &mut pool.tranches[i];
        let id = queue.push(t, request)?;
        drop(queue);
        t.queued_tokens += tokens;
        t.demand_tokens += request.allowed();
        if !holder.window_large {
            let slot = holder.window_count as usize;
            holder.window_ids[slot] = id;
            holder.window_count += 1;
        }
        holder.invariant()?;
        pool.invariant()?;
        a.escrow.reload()?;
        pool.check_escrow(tranche as usize, a.escrow.amount)?;
        crate::events::emit(RedemptionRequested { pool: pool_key, tranche, id, owner, tokens, installment });
        Ok(())
    }

    /// Pays request `id` (if still live and the holder's) in installments from now on: its
    /// allowance shrinks, in the tranche's demand and, if it waits in an open batch, there.
    fn convert_to_installments(
        pool: &mut Pool,
        queue: &mut RedemptionQueue,
        i: usize,
        id: u64,
        owner: &Pubkey,
    ) -> Result<()> {
        let n = pool.params.redemption.installments as u64;
        let Ok(r) = queue.get_mut(&pool.tranches[i], id) else { return Ok(()) };
        if r.owner != *owner {
            return Ok(());
        }
        let before = r.allowed();
        r.installment = r.installment.min(r.original.div_ceil(n));
        let cut = before - r.allowed();
        pool.tranches[i].demand_tokens -= cut;
        if pool.batch.pending(i, id) {
            pool.batch.withdraw_demand(i, cut);
        }
        Ok(())
    }

    pub fn cancel_redemption(ctx: Context<Self>, tranche: u8, id: u64) -> Result<()> {
        let a = ctx.accounts;
        tranche_of(&a.pool, tranche)?;
        let now = Clock::get()?.unix_timestamp;
        let pool_key = a.pool.key();
        let i = tranche as usize;
        let pool: &mut Pool = &mut a.pool;
        let lock = pool.params.redemption.batch_interval_secs as i64;
        let mut queue = a.queue.load_mut()?;
        let r = queue.get_mut(&pool.tranches[i], id)?;
        require!(r.owner == a.owner.key(), SluiceError::NotRequestOwner);
        let returned = r.remaining;
        require!(returned > 0, SluiceError::NothingToCancel);
        require!(now >= r.requested_at.saturating_add(lock), SluiceError::CancelLocked);
        let allowed = r.allowed();
        if pool.batch.pending(i, id) {
            pool.batch.withdraw_demand(i, allowed);
        }
        r.remaining = 0;
        let t = &mut pool.tranches[i];
        t.demand_tokens -= allowed;
        t.queued_tokens -= returned;
        queue.pop_done(t, 16);
        drop(queue);

        token_moves::while_thawed(&a.pool, a.token_program.key(), &a.owner_tokens, &a.tranche_mint, || {
            token_moves::pool_transfer(
                &a.pool,
                a.token_program.key(),
                &a.escrow,
                &a.tranche_mint,
                a.owner_tokens.to_account_info(),
                returned,
            )
        })?;
        a.pool.invariant()?;
        a.escrow.reload()?;
        a.pool.check_escrow(tranche as usize, a.escrow.amount)?;
        crate::events::emit(RedemptionCancelled { pool: pool_key, tranche, id, tokens_returned: returned });
        Ok(())
    }
}
