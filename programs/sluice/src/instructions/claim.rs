//! Specification: `claim` / `push_claims`
//! - `claim(tranche, id)`: the request's owner (`NotRequestOwner`) pulls its claimable
//!   value to any base-token account it names. Nothing claimable: `NothingToClaim`.
//! - `push_claims(tranche, ids)`: anyone (a keeper) pays out up to 24 requests; the
//!   remaining accounts hold one destination per id. A destination that is missing, closed,
//!   frozen, of another mint or not owned by the request's owner is skipped, never failing
//!   the others; its value stays claimable. Pull-only requests (a basket's) are skipped. `NothingToClaim` if nothing was paid.
//! - Finished requests leave the front of the queue.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{spl_token, Mint, Token, TokenAccount};

use super::request_redemption::tranche_of;
use super::token_moves;
use crate::error::SluiceError;
use crate::events::Claimed;
use crate::state::*;

/// Most ids one `push_claims` pays (keeps the transaction inside its account limit).
pub const MAX_PUSH: usize = 24;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct Claim<'info> {
    pub caller: Signer<'info>,
    #[account(mut, has_one = vault @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, constraint = queue.key() == tranche_of(&pool, tranche)?.queue @ SluiceError::WrongAccount)]
    pub queue: AccountLoader<'info, RedemptionQueue>,
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
    /// Destination for `claim`; ignored by `push_claims`.
    #[account(mut, constraint = destination.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

impl<'info> Claim<'info> {
    fn pay(&self, to: AccountInfo<'info>, amount: u64) -> Result<()> {
        token_moves::pool_transfer(&self.pool, &self.token_program, &self.vault, &self.base_mint, to, amount)
    }

    /// Zeroes the request's claimable value and books it out of the pool.
    fn take_claimable(&mut self, tranche: u8, id: u64, owner: Option<Pubkey>) -> Result<(Pubkey, u64)> {
        let t = &mut self.pool.tranches[tranche as usize];
        let mut queue = self.queue.load_mut()?;
        let r = queue.get_mut(t, id)?;
        if let Some(owner) = owner {
            require!(r.owner == owner, SluiceError::NotRequestOwner);
        }
        let (who, amount) = (r.owner, r.claimable);
        r.claimable = 0;
        queue.pop_done(t, 16);
        self.pool.claimable -= amount;
        Ok((who, amount))
    }

    pub fn claim(ctx: Context<Self>, tranche: u8, id: u64) -> Result<()> {
        let a = ctx.accounts;
        tranche_of(&a.pool, tranche)?;
        let (_, amount) = a.take_claimable(tranche, id, Some(a.caller.key()))?;
        require!(amount > 0, SluiceError::NothingToClaim);
        a.pay(a.destination.to_account_info(), amount)?;
        a.vault.reload()?;
        a.pool.invariant()?;
        a.pool.check_cash(a.vault.amount)?;
        emit!(Claimed { pool: a.pool.key(), tranche, id, amount, pushed: false });
        Ok(())
    }

    pub fn push_claims(ctx: Context<'info, Self>, tranche: u8, ids: Vec<u64>) -> Result<()> {
        let a = ctx.accounts;
        tranche_of(&a.pool, tranche)?;
        require!(ids.len() <= MAX_PUSH && ids.len() == ctx.remaining_accounts.len(), SluiceError::InvalidParams);
        let mut paid_any = false;
        for (id, dest) in ids.iter().zip(ctx.remaining_accounts) {
            let owner = {
                let t = &a.pool.tranches[tranche as usize];
                match a.queue.load()?.get(t, *id) {
                    Ok(r) if r.claimable > 0 && r.pull_only == 0 => r.owner,
                    _ => continue,
                }
            };
            if !payable(dest, &a.base_mint.key(), &owner) {
                continue;
            }
            let (_, amount) = a.take_claimable(tranche, *id, None)?;
            a.pay(dest.clone(), amount)?;
            paid_any = true;
            emit!(Claimed { pool: a.pool.key(), tranche, id: *id, amount, pushed: true });
        }
        require!(paid_any, SluiceError::NothingToClaim);
        a.vault.reload()?;
        a.pool.invariant()?;
        a.pool.check_cash(a.vault.amount)
    }
}

/// A live, unfrozen token account of `mint` owned by `owner`: a transfer to it cannot fail.
fn payable(info: &AccountInfo, mint: &Pubkey, owner: &Pubkey) -> bool {
    if info.owner != &spl_token::ID || !info.is_writable {
        return false;
    }
    let Ok(data) = info.try_borrow_data() else { return false };
    match spl_token::state::Account::unpack(&data) {
        Ok(acc) => acc.mint == *mint && acc.owner == *owner && acc.state == spl_token::state::AccountState::Initialized,
        Err(_) => false,
    }
}
