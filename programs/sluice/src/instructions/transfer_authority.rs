//! Specification: `propose_authority` / `accept_authority`
//! - Two steps so a typo cannot orphan the pool: the authority proposes a key
//!   (`NotAuthority` for anyone else); only that key can accept (`NotPendingAuthority`),
//!   and only while a proposal stands (`NoPendingAuthority`).

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::AuthorityTransferred;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ProposeAuthorityArgs {
    pub new_authority: Pubkey,
}

#[derive(Accounts)]
pub struct ProposeAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
}

impl ProposeAuthority<'_> {
    pub fn propose_authority(ctx: Context<Self>, args: ProposeAuthorityArgs) -> Result<()> {
        ctx.accounts.pool.pending_authority = args.new_authority;
        ctx.accounts.pool.invariant()
    }
}

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
}

impl AcceptAuthority<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.pool.pending_authority != Pubkey::default(), SluiceError::NoPendingAuthority);
        require!(self.pool.pending_authority == self.new_authority.key(), SluiceError::NotPendingAuthority);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn accept_authority(ctx: Context<Self>) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        let from = pool.authority;
        pool.authority = pool.pending_authority;
        pool.pending_authority = Pubkey::default();
        pool.invariant()?;
        crate::events::emit(AuthorityTransferred { pool: pool.key(), from, to: pool.authority });
        Ok(())
    }
}
