//! Specification: `claim` / `push_claims`
//! - `claim(tranche, id)`: the request's owner (`NotRequestOwner`) pulls its claimable
//!   value to any base-token account it names — in a permissioned pool only to one it owns
//!   (`WrongAccount`), so value leaves a member's redemption only to that member. Nothing claimable: `NothingToClaim`.
//! - `push_claims(tranche, ids)`: anyone (a keeper) pays out up to 24 requests; the
//!   remaining accounts hold one destination per id. A destination that is missing, closed,
//!   frozen, of another mint or not owned by the request's owner is skipped, never failing
//!   the others; its value stays claimable. Pull-only requests (a basket's) are skipped. `NothingToClaim` if nothing was paid.
//! - Finished requests leave the front of the queue.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

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
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Destination for `claim`; ignored by `push_claims`.
    #[account(
        mut,
        constraint = destination.mint == base_mint.key() @ SluiceError::WrongAccount,
        constraint = pool.may_pay(&destination.owner, &caller.key()) @ SluiceError::WrongAccount,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The base mint's token program (classic SPL Token or Token-2022).
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl<'info> Claim<'info> {
    fn pay(&self, to: AccountInfo<'info>, amount: u64) -> Result<()> {
        token_moves::pool_transfer(&self.pool, self.base_token_program.key(), &self.vault, &self.base_mint, to, amount)
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
        crate::events::emit(Claimed { pool: a.pool.key(), tranche, id, amount, pushed: false });
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
            if !payable(dest, &a.pool.base_token_program, &a.base_mint.key(), &owner) {
                continue;
            }
            let (_, amount) = a.take_claimable(tranche, *id, None)?;
            a.pay(dest.clone(), amount)?;
            paid_any = true;
            crate::events::emit(Claimed { pool: a.pool.key(), tranche, id: *id, amount, pushed: true });
        }
        require!(paid_any, SluiceError::NothingToClaim);
        a.vault.reload()?;
        a.pool.invariant()?;
        a.pool.check_cash(a.vault.amount)
    }
}

/// A live, unfrozen token account of `mint` owned by `owner` that takes transfers without a
/// memo: a transfer to it cannot fail. Token-2022 accounts are read with their extensions.
fn payable(info: &AccountInfo, token_program: &Pubkey, mint: &Pubkey, owner: &Pubkey) -> bool {
    use anchor_spl::token_2022::spl_token_2022::extension::{memo_transfer, StateWithExtensions};
    use anchor_spl::token_2022::spl_token_2022::state::{Account, AccountState};
    if info.owner != token_program || !info.is_writable {
        return false;
    }
    let Ok(data) = info.try_borrow_data() else { return false };
    // The classic layout is the prefix of a Token-2022 account, so one parser reads both.
    match StateWithExtensions::<Account>::unpack(&data) {
        Ok(acc) => {
            acc.base.mint == *mint
                && acc.base.owner == *owner
                && acc.base.state == AccountState::Initialized
                && !memo_transfer::memo_required(&acc)
        }
        Err(_) => false,
    }
}
