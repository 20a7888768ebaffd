//! Specification: `add_tranche`
//! - Pool authority only (`NotAuthority`). Appends a tranche below the existing ones: the
//!   first added is the most senior, the last is junior and takes the residual.
//! - Refused once any tranche has tokens out (`TranchesFrozen`), beyond three tranches
//!   (`TooManyTranches`), or with a coupon above 50 % / subordination above 100 %
//!   (`InvalidParams`).
//! - Creates the tranche mint `["tranche_mint", pool, index]` with the base mint's
//!   decimals and the pool PDA as mint authority.

use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::error::SluiceError;
use crate::events::TrancheAdded;
use crate::math::tokens::price_e12;
use crate::state::*;

pub const MAX_COUPON_BPS: u16 = 5_000;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AddTrancheArgs {
    pub coupon_bps: u16,
    pub min_subordination_bps: u16,
}

#[derive(Accounts)]
pub struct AddTranche<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = authority,
        seeds = [b"tranche_mint", pool.key().as_ref(), &[pool.tranche_count]],
        bump,
        mint::decimals = base_mint.decimals,
        mint::authority = pool,
    )]
    pub tranche_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl AddTranche<'_> {
    fn validate(&self, args: &AddTrancheArgs) -> Result<()> {
        require!((self.pool.tranche_count as usize) < MAX_TRANCHES, SluiceError::TooManyTranches);
        require!(!self.pool.has_deposits(), SluiceError::TranchesFrozen);
        require!(
            args.coupon_bps <= MAX_COUPON_BPS && args.min_subordination_bps as u32 <= crate::math::time::BPS,
            SluiceError::InvalidParams
        );
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn add_tranche(ctx: Context<Self>, args: AddTrancheArgs) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        let index = pool.tranche_count;
        pool.tranches[index as usize] = Tranche {
            mint: ctx.accounts.tranche_mint.key(),
            coupon_bps: args.coupon_bps,
            min_subordination_bps: args.min_subordination_bps,
            price_e12: price_e12(0, 0),
            ..Tranche::default()
        };
        pool.tranche_count += 1;
        pool.invariant()?;
        emit!(TrancheAdded {
            pool: pool.key(),
            index,
            mint: ctx.accounts.tranche_mint.key(),
            coupon_bps: args.coupon_bps,
        });
        Ok(())
    }
}
