//! Specification: `redeem_instant` (Stage A, Normal only)
//! - Burns the holder's tokens and pays at once at the fresh NAV price minus the instant
//!   fee (fee rounded up, payout down). `reserve_fee_share_bps` of the fee goes to the
//!   buy-back reserve, the rest to the pool's fee pot (keeper tips).
//! - Refused: paused pool (`PoolPaused`); outside Normal (`WrongStage`); NAV dirty or old (`NavStale`); zero tokens
//!   (`ZeroAmount`); value above the instant threshold — per holder and 24 h window, not
//!   per call, so one holder cannot take the pool's whole window cap in many small exits
//!   (`InstantTooLarge`); beyond the
//!   24 h window cap (`InstantCapReached`); cash would fall below the floor
//!   (`CashFloorReached`) — cash an open batch has granted and not yet paid counts as
//!   spent; a junior exit that breaks a senior tranche's subordination once the open
//!   batch's grants are paid too (`SubordinationBreached`); payout below `min_out`
//!   (`PayoutBelowMinimum`).
//! - A lapsed holder's frozen account (permissioned pool) still redeems: the pool thaws it
//!   for the burn and freezes it again; base goes to `holder_base`, which the holder owns.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self as token, Burn, Mint, TokenAccount, TokenInterface};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::InstantRedeemed;
use crate::math::allocation::{allocate, value_of};
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RedeemInstantArgs {
    pub tranche: u8,
    pub tokens: u64,
    pub min_out: u64,
}

#[derive(Accounts)]
#[instruction(args: RedeemInstantArgs)]
pub struct RedeemInstant<'info> {
    #[account(mut)]
    pub holder: Signer<'info>,
    #[account(mut, has_one = vault @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = pool.active_tranches().get(args.tranche as usize).map(|t| t.mint) == Some(tranche_mint.key())
            @ SluiceError::WrongAccount
    )]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mut,
        constraint = holder_tokens.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = holder_tokens.owner == holder.key() @ SluiceError::WrongAccount,
    )]
    pub holder_tokens: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Where the base goes; in a permissioned pool an account the holder owns.
    #[account(
        mut,
        constraint = holder_base.mint == base_mint.key() @ SluiceError::WrongAccount,
        constraint = pool.may_pay(&holder_base.owner, &holder.key()) @ SluiceError::WrongAccount,
    )]
    pub holder_base: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The buy-back reserve, which takes its share of the fee; required once it exists.
    #[account(mut, constraint = reserve_vault.key() == pool.reserve_vault @ SluiceError::WrongAccount)]
    pub reserve_vault: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    /// The holder's limits in this tranche: the instant threshold holds per holder and 24 h.
    #[account(
        init_if_needed,
        payer = holder,
        space = 8 + HolderRecord::INIT_SPACE,
        seeds = [HolderRecord::SEED, pool.key().as_ref(), &[args.tranche], holder.key().as_ref()],
        bump,
    )]
    pub holder_record: Box<Account<'info, HolderRecord>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Value of `tokens` of tranche `i` at the stored NAV (floored) and the instant fee on it
/// (rounded up): the holder receives `value − fee`. Both round in the pool's favour.
pub fn instant_payout(pool: &Pool, i: usize, tokens: u64) -> (u64, u64) {
    let t = pool.tranches[i];
    let value = value_of(tokens, t.value, t.supply);
    let fee = (value as u128 * pool.params.redemption.instant_fee_bps as u128).div_ceil(BPS as u128) as u64;
    (value, fee)
}

/// The instant exit of `tokens` of `tranche` the program would pay at `now` to a holder who
/// has taken `used_today` through the door in its current 24 h window: (value, fee), or the
/// error `redeem_instant` would give (every limit but `min_out`). Clients plan with it.
pub fn plan_instant(pool: &Pool, used_today: u64, tranche: u8, tokens: u64, now: i64) -> Result<(u64, u64)> {
    let p = pool.params.redemption;
    require!(!pool.paused, SluiceError::PoolPaused);
    require!(pool.stage == Stage::Normal, SluiceError::WrongStage);
    require!(pool.nav_is_fresh(now), SluiceError::NavStale);
    require!(tranche < pool.tranche_count, SluiceError::UnknownTranche);
    require!(tokens > 0, SluiceError::ZeroAmount);
    let i = tranche as usize;
    let (value, fee) = instant_payout(pool, i, tokens);
    require!(used_today as u128 + value as u128 <= p.instant_threshold as u128, SluiceError::InstantTooLarge);
    let window_paid = if now >= pool.window_start + SECONDS_PER_DAY { 0 } else { pool.window_paid };
    let cap = pool.nav as u128 * p.instant_window_cap_bps as u128 / BPS as u128;
    require!(window_paid as u128 + value as u128 <= cap, SluiceError::InstantCapReached);
    require!(value <= pool.free_cash(), SluiceError::CashFloorReached);
    // The open batch's unpaid grants and this exit must fit every subordination together.
    let pending = |j: usize| if pool.batch.open { pool.batch.granted[j] } else { 0 };
    let sides = pool.redemption_sides(|j, _| pending(j) + if j == i { tokens } else { 0 });
    let fits = allocate(u64::MAX, pool.nav, &sides);
    require!((0..sides.len()).all(|j| fits.tokens[j] == sides[j].demand_tokens), SluiceError::SubordinationBreached);
    Ok((value, fee))
}

impl RedeemInstant<'_> {
    /// Checks every limit; returns (value, fee).
    fn validate(&self, args: &RedeemInstantArgs) -> Result<(u64, u64)> {
        let now = Clock::get()?.unix_timestamp;
        let used = self.holder_record.instant_used(now);
        let (value, fee) = plan_instant(&self.pool, used, args.tranche, args.tokens, now)?;
        require!(value - fee >= args.min_out, SluiceError::PayoutBelowMinimum);
        Ok((value, fee))
    }

    pub fn redeem_instant(ctx: Context<Self>, args: RedeemInstantArgs) -> Result<()> {
        let (value, fee) = ctx.accounts.validate(&args)?;
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        token_moves::while_thawed(&a.pool, a.token_program.key(), &a.holder_tokens, &a.tranche_mint, || {
            token::burn(
                CpiContext::new(
                    a.token_program.key(),
                    Burn {
                        mint: a.tranche_mint.to_account_info(),
                        from: a.holder_tokens.to_account_info(),
                        authority: a.holder.to_account_info(),
                    },
                ),
                args.tokens,
            )
        })?;
        token_moves::pool_transfer(
            &a.pool,
            a.base_token_program.key(),
            &a.vault,
            &a.base_mint,
            a.holder_base.to_account_info(),
            value - fee,
        )?;

        let p = a.pool.params.redemption;
        let to_reserve = if a.pool.reserve_vault == Pubkey::default() {
            0
        } else {
            let reserve = a.reserve_vault.as_ref().ok_or(SluiceError::WrongAccount)?;
            let share = (fee as u128 * p.reserve_fee_share_bps as u128 / BPS as u128) as u64;
            if share > 0 {
                token_moves::pool_transfer(
                    &a.pool,
                    a.base_token_program.key(),
                    &a.vault,
                    &a.base_mint,
                    reserve.to_account_info(),
                    share,
                )?;
            }
            share
        };

        let record = &mut a.holder_record;
        record.bind(a.pool.key(), a.holder.key(), args.tranche, ctx.bumps.holder_record)?;
        if record.instant_used(now) == 0 {
            record.instant_window_start = now;
            record.instant_window_value = 0;
        }
        record.instant_window_value += value;
        record.invariant()?;

        let pool = &mut a.pool;
        pool.reserve_balance += to_reserve;
        if now >= pool.window_start + SECONDS_PER_DAY {
            pool.window_start = now;
            pool.window_paid = 0;
        }
        pool.window_paid += value;
        pool.cash -= value;
        pool.fee_pot += fee - to_reserve;
        pool.retire_tokens(args.tranche as usize, args.tokens, value)?;
        a.vault.reload()?;
        a.tranche_mint.reload()?;
        require!(a.tranche_mint.supply == pool.tranches[args.tranche as usize].supply, SluiceError::InvariantViolated);
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;
        if to_reserve > 0 {
            super::reserve::attest(pool.key(), pool, now);
        }
        crate::events::emit(InstantRedeemed {
            pool: pool.key(),
            tranche: args.tranche,
            holder: a.holder.key(),
            tokens: args.tokens,
            value,
            fee,
        });
        Ok(())
    }
}
