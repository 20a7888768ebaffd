//! Specification: `add_tranche`
//! - Pool authority only (`NotAuthority`). Appends a tranche below the existing ones: the
//!   first added is the most senior, the last is junior and takes the residual.
//! - Refused once any tranche has tokens out (`TranchesFrozen`), beyond three tranches
//!   (`TooManyTranches`), or with a coupon above 50 % / subordination above 100 %
//!   (`InvalidParams`).
//! - Creates the tranche mint `["tranche_mint", pool, index]` under Token-2022 with the base
//!   mint's decimals, the pool PDA as mint authority and the token metadata `args.metadata`
//!   (`InvalidMetadata` beyond the lengths in `mints`); in a permissioned pool the mint is
//!   frozen-by-default with the pool as freeze authority (see `mints::create_tranche_mint`).

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::Mint;

use super::mints::{self, NewTrancheMint, TrancheMetadata};

use crate::error::SluiceError;
use crate::events::TrancheAdded;
use crate::math::tokens::price_e12;
use crate::state::*;

pub const MAX_COUPON_BPS: u16 = 5_000;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AddTrancheArgs {
    pub coupon_bps: u16,
    pub min_subordination_bps: u16,
    pub metadata: TrancheMetadata,
}

#[derive(Accounts)]
pub struct AddTranche<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    /// Created here (see `mints::create_tranche_mint`).
    /// CHECK: the PDA address is checked by `seeds`; the account must still be empty.
    #[account(mut, seeds = [b"tranche_mint", pool.key().as_ref(), &[pool.tranche_count]], bump)]
    pub tranche_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token2022>,
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
        args.metadata.validate()
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn add_tranche(ctx: Context<Self>, args: AddTrancheArgs) -> Result<()> {
        let a = &ctx.accounts;
        let index = a.pool.tranche_count;
        let pool_key = a.pool.key();
        let bump = [ctx.bumps.tranche_mint];
        let seeds: [&[u8]; 4] = [b"tranche_mint", pool_key.as_ref(), &[index], &bump];
        mints::create_tranche_mint(
            NewTrancheMint {
                payer: &a.authority.to_account_info(),
                pool: &a.pool,
                mint: &a.tranche_mint.to_account_info(),
                mint_seeds: &seeds,
                token_program: &a.token_program.to_account_info(),
                system_program: &a.system_program.to_account_info(),
            },
            a.base_mint.decimals,
            &args.metadata,
        )?;
        let pool = &mut ctx.accounts.pool;
        pool.tranches[index as usize] = Tranche {
            mint: ctx.accounts.tranche_mint.key(),
            coupon_bps: args.coupon_bps,
            min_subordination_bps: args.min_subordination_bps,
            price_e12: price_e12(0, 0),
            ..Tranche::default()
        };
        pool.tranche_count += 1;
        pool.invariant()?;
        crate::events::emit(TrancheAdded {
            pool: pool.key(),
            index,
            mint: ctx.accounts.tranche_mint.key(),
            coupon_bps: args.coupon_bps,
        });
        Ok(())
    }
}
