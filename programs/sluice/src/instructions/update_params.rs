//! Specification: `update_params`
//! - Pool authority only (`NotAuthority`); the new parameters must pass
//!   `PoolParams::validate` (`InvalidParams`) and the cap may not fall below the current NAV.
//! - `permissioned` cannot change once the pool has a tranche (`PermissionedFixed`): a
//!   permissioned pool's tranche mints are made frozen-by-default with the pool as freeze
//!   authority, a permissionless pool's without either.
//! - Marks the NAV dirty, since the overdue schedule feeds the valuation.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::ParamsUpdated;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct UpdateParamsArgs {
    pub params: PoolParams,
}

#[derive(Accounts)]
pub struct UpdateParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
}

impl UpdateParams<'_> {
    fn validate(&self, args: &UpdateParamsArgs) -> Result<()> {
        args.params.validate()?;
        require!(args.params.pool_cap >= self.pool.nav, SluiceError::InvalidParams);
        require!(
            self.pool.tranche_count == 0 || args.params.permissioned == self.pool.params.permissioned,
            SluiceError::PermissionedFixed
        );
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_params(ctx: Context<Self>, args: UpdateParamsArgs) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        pool.params = args.params;
        pool.nav_dirty = true;
        pool.invariant()?;
        crate::events::emit(ParamsUpdated { pool: pool.key() });
        Ok(())
    }
}
