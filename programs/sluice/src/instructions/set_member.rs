//! Specification: `set_member` / `revoke_member`
//! - Pool authority only (`NotAuthority`).
//! - `set_member` creates or updates `["member", pool, wallet]` with an expiry in the
//!   future (`InvalidParams` otherwise). `revoke_member` closes it, refunding the authority.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::MemberSet;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct SetMemberArgs {
    pub wallet: Pubkey,
    pub expires_at: i64,
}

#[derive(Accounts)]
#[instruction(args: SetMemberArgs)]
pub struct SetMember<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        init_if_needed,
        payer = authority,
        space = 8 + Member::INIT_SPACE,
        seeds = [Member::SEED, pool.key().as_ref(), args.wallet.as_ref()],
        bump
    )]
    pub member: Account<'info, Member>,
    pub system_program: Program<'info, System>,
}

impl SetMember<'_> {
    fn validate(&self, args: &SetMemberArgs) -> Result<()> {
        require!(args.expires_at > Clock::get()?.unix_timestamp, SluiceError::InvalidParams);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn set_member(ctx: Context<Self>, args: SetMemberArgs) -> Result<()> {
        let member = &mut ctx.accounts.member;
        member.pool = ctx.accounts.pool.key();
        member.wallet = args.wallet;
        member.expires_at = args.expires_at;
        member.bump = ctx.bumps.member;
        crate::events::emit(MemberSet { pool: member.pool, wallet: args.wallet, expires_at: args.expires_at });
        Ok(())
    }
}

#[derive(Accounts)]
pub struct RevokeMember<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        close = authority,
        has_one = pool @ SluiceError::WrongAccount,
        seeds = [Member::SEED, pool.key().as_ref(), member.wallet.as_ref()],
        bump = member.bump
    )]
    pub member: Account<'info, Member>,
}

impl RevokeMember<'_> {
    pub fn revoke_member(ctx: Context<Self>) -> Result<()> {
        crate::events::emit(MemberSet {
            pool: ctx.accounts.pool.key(),
            wallet: ctx.accounts.member.wallet,
            expires_at: 0,
        });
        Ok(())
    }
}
