//! Specification: `init_redemption`
//! - Pool authority only (`NotAuthority`). Sets up redemption for tranche `tranche`: the
//!   token escrow `["escrow", pool, tranche]` (authority: the pool) and the client-allocated,
//!   zeroed queue account (`RedemptionQueue::SPACE` bytes, owned by Sluice).
//! - Unknown tranche (`UnknownTranche`); a tranche already set up (`AlreadySetUp`).

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount};

use super::token_moves;
use crate::error::SluiceError;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct InitRedemption<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(constraint = pool.tranches.get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key()) @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    /// `init_if_needed` so that a repeat reaches `validate` and reads as `AlreadySetUp`.
    #[account(
        init_if_needed,
        payer = authority,
        seeds = [b"escrow", pool.key().as_ref(), &[tranche]],
        bump,
        token::mint = tranche_mint,
        token::authority = pool,
    )]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(zero)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    pub token_program: Program<'info, Token2022>,
    pub system_program: Program<'info, System>,
}

impl InitRedemption<'_> {
    fn validate(&self, tranche: u8) -> Result<()> {
        require!(tranche < self.pool.tranche_count, SluiceError::UnknownTranche);
        require!(self.pool.tranches[tranche as usize].queue == Pubkey::default(), SluiceError::AlreadySetUp);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(tranche))]
    pub fn init_redemption(ctx: Context<Self>, tranche: u8) -> Result<()> {
        let a = ctx.accounts;
        let mut queue = a.queue.load_init()?;
        queue.pool = a.pool.key();
        queue.tranche = tranche;
        drop(queue);
        let t = &mut a.pool.tranches[tranche as usize];
        t.queue = a.queue.key();
        t.escrow = a.escrow.key();
        token_moves::thaw_pool_account(&a.pool, a.token_program.key(), &a.escrow, &a.tranche_mint)?;
        a.pool.invariant()
    }
}
