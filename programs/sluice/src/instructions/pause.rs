//! Specification: `pause` / `unpause`
//! - Guardian only (`NotGuardian`). Pause stops every movement of value priced at the NAV
//!   or at the reserve's expense, so a guardian who believes the NAV is wrong can hold it:
//!   deposits, fundings, instant exits, new requests, batch fills, reserve recycling,
//!   reserve buy-backs and reserve withdrawals are refused (`PoolPaused`).
//! - What continues: repricing, repayments and write-downs (they correct the NAV); cancels
//!   (holders take back their own tokens); claims of value already paid (fixed amounts, owed);
//!   market trades and liquidity between members (they do not move pool value); stage updates.

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
        crate::events::emit(PauseChanged { pool: pool.key(), paused });
        Ok(())
    }
}
