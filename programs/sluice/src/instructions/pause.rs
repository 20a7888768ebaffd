//! Specification: `pause` / `unpause`
//! - Guardian only (`NotGuardian`). A paused pool refuses deposits and new fundings;
//!   repricing, repayments and write-downs continue, since they protect holders.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::PauseChanged;
use crate::state::*;

#[derive(Accounts)]
pub struct SetPaused<'info> {
    pub guardian: Signer<'info>,
    #[account(mut, has_one = guardian @ SluiceError::NotGuardian)]
    pub pool: Box<Account<'info, Pool>>,
}

impl SetPaused<'_> {
    pub fn set_paused(ctx: Context<Self>, paused: bool) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        pool.paused = paused;
        pool.invariant()?;
        emit!(PauseChanged { pool: pool.key(), paused });
        Ok(())
    }
}
