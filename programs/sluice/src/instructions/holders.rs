//! Specification: `thaw_holder` / `freeze_holder` (permissioned pools only, `NotPermissioned`)
//! - A permissioned pool's tranche mints are frozen-by-default with the pool PDA as freeze
//!   authority, so a tranche token account can receive or send only once thawed. Both
//!   instructions are permissionless: membership decides, not the caller.
//! - `thaw_holder(tranche)`: thaws `holder_tokens` (an account of the tranche's mint,
//!   `WrongAccount`) when its owner is the pool authority or has a live member record of
//!   this pool (`NotMember`, `MembershipExpired`); `HolderNotFrozen` if it is not frozen;
//!   `HolderOwnerMutable` unless the account's owner can never change (ImmutableOwner, as
//!   every associated token account has, or a basket's vault) — else a member could hand a
//!   thawed account to anyone.
//! - `freeze_holder(tranche)`: freezes `holder_tokens` when its owner is neither the pool
//!   authority nor has a live member record — revoked (closed) or expired
//!   (`HolderStillMember` otherwise);
//!   `HolderAlreadyFrozen` if it is frozen. The pool's own accounts (escrows, reserve, market
//!   vaults) are never frozen (`PoolAccountNotFreezable`). Keepers crank it for lapsed members;
//!   an issuer revoking a member adds it to the same transaction.
//! - A frozen holder keeps one exit: `request_redemption` / `redeem_instant` move its tokens
//!   to the pool even from a frozen account, and the base is paid only to the owner (see
//!   `docs/accounts.md`, "Permissioned tranche tokens").

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::immutable_owner::ImmutableOwner;
use anchor_spl::token_2022::spl_token_2022::extension::{BaseStateWithExtensions, StateWithExtensions};
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::HolderAccountSet;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct SetHolderAccount<'info> {
    pub caller: Signer<'info>,
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        constraint = pool.active_tranches().get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key()) @ SluiceError::WrongAccount,
    )]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, constraint = holder_tokens.mint == tranche_mint.key() @ SluiceError::WrongAccount)]
    pub holder_tokens: Box<InterfaceAccount<'info, TokenAccount>>,
    /// `["member", pool, holder_tokens.owner]`. `thaw_holder` needs it live; `freeze_holder`
    /// needs this address even when the record is closed (then the owner is not a member).
    /// CHECK: address, owner and contents are verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token2022>,
}

impl<'info> SetHolderAccount<'info> {
    /// The owner may hold: the pool authority (the issuer, who admits everyone else) or a
    /// live member.
    fn membership(&self) -> Result<()> {
        if self.holder_tokens.owner == self.pool.authority {
            return Ok(());
        }
        let now = Clock::get()?.unix_timestamp;
        let member = self.member.as_ref().map(|m| m.to_account_info());
        Member::require_live(true, &self.pool.key(), member.as_ref(), &self.holder_tokens.owner, now)
    }

    fn validate_thaw(&self) -> Result<()> {
        require!(self.pool.params.permissioned, SluiceError::NotPermissioned);
        require!(self.holder_tokens.is_frozen(), SluiceError::HolderNotFrozen);
        self.membership()?;
        require!(self.owner_is_fixed()?, SluiceError::HolderOwnerMutable);
        Ok(())
    }

    /// Whether the account's owner can never change: it carries ImmutableOwner, or it is a
    /// basket's vault (its owner, the basket PDA, signs only what Sluice makes it sign).
    /// Without this a member could hand a thawed account, tokens and all, to a non-member
    /// with `SetAuthority(AccountOwner)`.
    fn owner_is_fixed(&self) -> Result<bool> {
        let info = self.holder_tokens.to_account_info();
        let data = info.try_borrow_data()?;
        let state = StateWithExtensions::<spl_token_2022::state::Account>::unpack(&data)?;
        if state.get_extension::<ImmutableOwner>().is_ok() {
            return Ok(true);
        }
        let (vault, _) = Pubkey::find_program_address(
            &[b"basket_vault", self.holder_tokens.owner.as_ref(), self.tranche_mint.key().as_ref()],
            &crate::ID,
        );
        Ok(vault == self.holder_tokens.key())
    }

    fn validate_freeze(&self) -> Result<()> {
        require!(self.pool.params.permissioned, SluiceError::NotPermissioned);
        require!(self.holder_tokens.owner != self.pool.key(), SluiceError::PoolAccountNotFreezable);
        require!(!self.holder_tokens.is_frozen(), SluiceError::HolderAlreadyFrozen);
        // The record's own address must be passed, so that leaving it out or passing
        // another account cannot make a live member look lapsed.
        let (record, _) = Pubkey::find_program_address(
            &[Member::SEED, self.pool.key().as_ref(), self.holder_tokens.owner.as_ref()],
            &crate::ID,
        );
        require!(self.member.as_ref().map(|m| m.key()) == Some(record), SluiceError::WrongAccount);
        match self.membership() {
            Ok(()) => err!(SluiceError::HolderStillMember),
            Err(_) => Ok(()),
        }
    }

    /// Freezes or thaws the holder's account and records it.
    fn set_frozen(&self, tranche: u8, frozen: bool) -> Result<()> {
        token_moves::pool_set_frozen(
            &self.pool,
            self.token_program.key(),
            self.holder_tokens.to_account_info(),
            self.tranche_mint.to_account_info(),
            frozen,
        )?;
        crate::events::emit(HolderAccountSet {
            pool: self.pool.key(),
            tranche,
            account: self.holder_tokens.key(),
            owner: self.holder_tokens.owner,
            frozen,
        });
        Ok(())
    }

    #[access_control(ctx.accounts.validate_thaw())]
    pub fn thaw_holder(ctx: Context<Self>, tranche: u8) -> Result<()> {
        ctx.accounts.set_frozen(tranche, false)
    }

    #[access_control(ctx.accounts.validate_freeze())]
    pub fn freeze_holder(ctx: Context<Self>, tranche: u8) -> Result<()> {
        ctx.accounts.set_frozen(tranche, true)
    }
}
