//! Specification: `deposit`
//! - Base tokens in from the depositor, tranche tokens out at the last NAV:
//!   `tokens = amount · supply / value`, floored (1:1 into an empty tranche).
//! - Refused: zero amount or zero tokens (`ZeroAmount`); paused pool (`PoolPaused`);
//!   unknown tranche (`UnknownTranche`); NAV dirty or older than `max_nav_age_secs`
//!   (`NavStale`); in a permissioned pool, no member account for the depositor
//!   (`NotMember`) or an expired one (`MembershipExpired`); a tranche with tokens but no
//!   value, or a senior or mezzanine tranche worth less than its claim (`TrancheImpaired`:
//!   a newcomer would share the recovery of a loss it did not bear); fewer tokens than `min_tokens_out` (`SlippageExceeded`);
//!   NAV above the cap (`PoolCapExceeded`); a non-junior tranche before the junior holds
//!   tokens (`JuniorNotFunded`); a non-junior tranche whose juniors would hold
//!   less than its minimum subordination share of NAV, or, while a batch is open, a deposit
//!   that would leave a tranche under it short once the batch's grants are paid
//!   (`SubordinationBreached`); a mint,
//!   vault or token account that is not the pool's (`WrongAccount`, Anchor constraints).
//! - A tranche with value but no tokens (the junior's residual after every holder left and
//!   NAV grew) is owned by nobody; nobody may buy it for less than it is worth. The first
//!   deposit into it first mints that value, at par, to the buy-back reserve (tokens in the
//!   escrow, as the reserve's), then proceeds at par: the depositor buys the reserve's
//!   tokens first, so the residual becomes reserve cash. Without a reserve: `UnownedValue`.
//! - Tokens the buy-back reserve holds in this tranche are sold first, at the same price:
//!   they move from the escrow and the reserve is paid its share (floored); only the rest is
//!   minted. The pool's part raises the tranche's value, claim and principal, NAV and cash.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::Deposited;
use crate::math::time::BPS;
use crate::math::tokens::{price_e12, tokens_for_deposit};
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DepositArgs {
    pub tranche: u8,
    pub amount: u64,
    pub min_tokens_out: u64,
}

#[derive(Accounts)]
#[instruction(args: DepositArgs)]
pub struct Deposit<'info> {
    pub depositor: Signer<'info>,
    #[account(
        mut,
        has_one = vault @ SluiceError::WrongAccount,
        has_one = base_mint @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mut,
        constraint = depositor_base.mint == base_mint.key() @ SluiceError::WrongAccount,
        constraint = depositor_base.owner == depositor.key() @ SluiceError::WrongAccount,
    )]
    pub depositor_base: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Where the tranche tokens go: any account of the tranche mint except the pool's own
    /// (escrow, market vaults), whose balances the pool accounts for.
    #[account(
        mut,
        constraint = depositor_tranche.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = depositor_tranche.owner != pool.key() @ SluiceError::WrongAccount,
    )]
    pub depositor_tranche: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Required when the pool is permissioned: `["member", pool, depositor]`. Checked by
    /// hand so that a missing or foreign record reads as `NotMember`, not a decoding error.
    /// CHECK: address, owner and contents are verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    /// Required while the buy-back reserve holds tokens of this tranche: they are sold
    /// first, from the tranche escrow, and the reserve is paid for them.
    #[account(mut, constraint = Some(escrow.key()) == pool.active_tranches().get(args.tranche as usize).map(|t| t.escrow) @ SluiceError::WrongAccount)]
    pub escrow: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    #[account(mut, constraint = reserve_vault.key() == pool.reserve_vault @ SluiceError::WrongAccount)]
    pub reserve_vault: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl Deposit<'_> {
    /// Mints the unowned value of tranche `i` (value, no tokens) at par to the buy-back
    /// reserve, into the escrow, so that the value has an owner before anyone buys in.
    fn orphan_to_reserve(&mut self, i: usize) -> Result<()> {
        let (escrow, _) = match (self.escrow.as_ref(), self.reserve_vault.as_ref()) {
            (Some(e), Some(r)) if self.pool.reserve_vault != Pubkey::default() => (e, r),
            _ => return err!(SluiceError::UnownedValue),
        };
        let orphan = self.pool.tranches[i].value;
        token_moves::pool_mint(
            &self.pool,
            self.token_program.key(),
            &self.tranche_mint,
            escrow.to_account_info(),
            orphan,
        )?;
        let t = &mut self.pool.tranches[i];
        t.supply = orphan;
        t.reserve_tokens = t.reserve_tokens.checked_add(orphan).ok_or(SluiceError::MathOverflow)?;
        t.price_e12 = price_e12(t.value, t.supply);
        Ok(())
    }

    /// The deposit tranche `i` keeps its minimum subordination with NAV at `nav_after`, and,
    /// while a batch is open, so does every tranche under it that has holders — counting the
    /// batch's unpaid grants as paid, so a deposit cannot spend headroom the batch granted.
    fn keeps_subordination(pool: &Pool, i: usize, nav_after: u64) -> bool {
        let n = pool.tranche_count as usize;
        let paid: Vec<u128> = (0..n).map(|j| pool.batch_pending_value(j) as u128).collect();
        let nav = (nav_after as u128).saturating_sub(paid.iter().sum());
        (i..n.saturating_sub(1)).all(|j| {
            let t = &pool.tranches[j];
            let checked = j == i || (pool.batch.open && t.supply > 0);
            let below: u128 = (j + 1..n).map(|m| (pool.tranches[m].value as u128).saturating_sub(paid[m])).sum();
            !checked || below * BPS as u128 >= t.min_subordination_bps as u128 * nav
        })
    }

    /// Checks everything that does not depend on the price; returns the tranche index.
    fn validate(&self, args: &DepositArgs) -> Result<()> {
        let pool = &self.pool;
        let now = Clock::get()?.unix_timestamp;
        require!(args.amount > 0, SluiceError::ZeroAmount);
        require!(!pool.paused, SluiceError::PoolPaused);
        require!(args.tranche < pool.tranche_count, SluiceError::UnknownTranche);
        require!(pool.tranches[args.tranche as usize].mint == self.tranche_mint.key(), SluiceError::WrongAccount);
        require!(pool.nav_is_fresh(now), SluiceError::NavStale);
        let member = self.member.as_ref().map(|m| m.to_account_info());
        Member::require_live(pool.params.permissioned, &pool.key(), member.as_ref(), &self.depositor.key(), now)?;
        require!(!self.depositor_tranche.is_frozen(), SluiceError::TrancheAccountFrozen);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn deposit(ctx: Context<Self>, args: DepositArgs) -> Result<()> {
        let a = ctx.accounts;
        let i = args.tranche as usize;
        let n = a.pool.tranche_count as usize;
        if a.pool.tranches[i].supply == 0 && a.pool.tranches[i].value > 0 {
            a.orphan_to_reserve(i)?;
        }
        let t = a.pool.tranches[i];

        let nav_after = a.pool.nav.checked_add(args.amount).ok_or(SluiceError::MathOverflow)?;
        require!(nav_after <= a.pool.params.pool_cap, SluiceError::PoolCapExceeded);
        require!(t.supply == 0 || t.value > 0, SluiceError::TrancheImpaired);
        require!(i + 1 == n || t.value >= t.claim, SluiceError::TrancheImpaired);
        let tokens = tokens_for_deposit(args.amount, t.value, t.supply).ok_or(SluiceError::MathOverflow)?;
        require!(tokens > 0, SluiceError::ZeroAmount);
        require!(tokens >= args.min_tokens_out, SluiceError::SlippageExceeded);
        if i + 1 < a.pool.tranche_count as usize {
            // Junior first: only the junior can hold value while it has no tokens (the
            // waterfall's residual), so funding it first means that value always has owners
            // and no deposit can mint into an empty tranche that is already worth something.
            let junior = a.pool.tranches[a.pool.tranche_count as usize - 1];
            require!(junior.supply > 0, SluiceError::JuniorNotFunded);
        }
        require!(Self::keeps_subordination(&a.pool, i, nav_after), SluiceError::SubordinationBreached);

        // Recycling: tokens the reserve bought in a stress are sold first, at the same NAV
        // price. The reserve's part of the payment is floored; the pool keeps the remainder.
        let from_reserve = tokens.min(t.reserve_tokens);
        let to_reserve = (args.amount as u128 * from_reserve as u128 / tokens as u128) as u64;
        let (minted, to_pool) = (tokens - from_reserve, args.amount - to_reserve);
        let pay = |to, amount: u64| {
            token_moves::user_transfer(
                a.base_token_program.key(),
                a.depositor.to_account_info(),
                &a.depositor_base,
                &a.base_mint,
                to,
                amount,
            )
        };
        if from_reserve > 0 {
            let escrow = a.escrow.as_ref().ok_or(SluiceError::WrongAccount)?;
            let reserve = a.reserve_vault.as_ref().ok_or(SluiceError::WrongAccount)?;
            token_moves::pool_transfer(
                &a.pool,
                a.token_program.key(),
                escrow,
                &a.tranche_mint,
                a.depositor_tranche.to_account_info(),
                from_reserve,
            )?;
            pay(reserve.to_account_info(), to_reserve)?;
        }
        pay(a.vault.to_account_info(), to_pool)?;
        if minted > 0 {
            token_moves::pool_mint(
                &a.pool,
                a.token_program.key(),
                &a.tranche_mint,
                a.depositor_tranche.to_account_info(),
                minted,
            )?;
        }

        let pool = &mut a.pool;
        pool.cash = pool.cash.checked_add(to_pool).ok_or(SluiceError::MathOverflow)?;
        pool.nav = pool.nav.checked_add(to_pool).ok_or(SluiceError::MathOverflow)?;
        pool.reserve_balance += to_reserve;
        let t = &mut pool.tranches[i];
        t.reserve_tokens -= from_reserve;
        t.value += to_pool;
        t.claim = t.claim.checked_add(to_pool).ok_or(SluiceError::MathOverflow)?;
        t.principal = t.principal.checked_add(to_pool).ok_or(SluiceError::MathOverflow)?;
        t.supply = t.supply.checked_add(minted).ok_or(SluiceError::MathOverflow)?;
        t.price_e12 = price_e12(t.value, t.supply);
        let supply = t.supply;

        a.vault.reload()?;
        a.tranche_mint.reload()?;
        if let Some(escrow) = a.escrow.as_mut() {
            escrow.reload()?;
            pool.check_escrow(i, escrow.amount)?;
        }
        require!(a.tranche_mint.supply == supply, SluiceError::InvariantViolated);
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;
        if to_reserve > 0 {
            super::reserve::attest(pool.key(), pool, Clock::get()?.unix_timestamp);
        }

        crate::events::emit(Deposited {
            pool: pool.key(),
            depositor: a.depositor.key(),
            tranche: args.tranche,
            amount: args.amount,
            tokens,
        });
        Ok(())
    }
}
