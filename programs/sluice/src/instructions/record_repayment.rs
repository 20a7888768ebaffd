//! Specification: `record_repayment`
//! - Pool authority (the servicer) only (`NotAuthority`); pays `amount` from its own
//!   token account into the vault.
//! - `0 < amount ≤ outstanding` (`ZeroAmount`, `RepaymentExceedsOutstanding`); a repaid
//!   receivable takes nothing more (`ReceivableClosed`).
//! - Performing: the amount leaves the book. Written down: the carried value falls by
//!   `min(amount, carried)`, so a recovery only counts once the cash is in.
//! - Outstanding zero → `Repaid`. Cash rises; the NAV is marked dirty.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::RepaymentRecorded;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RecordRepaymentArgs {
    pub amount: u64,
}

#[derive(Accounts)]
pub struct RecordRepayment<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        has_one = authority @ SluiceError::NotAuthority,
        has_one = vault @ SluiceError::WrongAccount,
        has_one = book @ SluiceError::WrongAccount,
        has_one = base_mint @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub book: AccountLoader<'info, Book>,
    #[account(mut, has_one = pool @ SluiceError::WrongAccount)]
    pub receivable: Box<Account<'info, Receivable>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = source.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The base mint's token program (classic SPL Token or Token-2022).
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl RecordRepayment<'_> {
    fn validate(&self, args: &RecordRepaymentArgs) -> Result<()> {
        require!(args.amount > 0, SluiceError::ZeroAmount);
        require!(self.receivable.status != ReceivableStatus::Repaid, SluiceError::ReceivableClosed);
        require!(args.amount <= self.receivable.outstanding, SluiceError::RepaymentExceedsOutstanding);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn record_repayment(ctx: Context<Self>, args: RecordRepaymentArgs) -> Result<()> {
        let a = ctx.accounts;
        token_moves::user_transfer(
            a.base_token_program.key(),
            a.authority.to_account_info(),
            &a.source,
            &a.base_mint,
            a.vault.to_account_info(),
            args.amount,
        )?;

        let r = &mut a.receivable;
        r.outstanding -= args.amount;
        let mut book = a.book.load_mut()?;
        let touched = match r.status {
            ReceivableStatus::Performing => {
                Some(book.reduce_performing(r.risk_class, r.due_ts, args.amount, r.outstanding == 0)?)
            }
            ReceivableStatus::WrittenDown => {
                let released = args.amount.min(r.carried_value);
                r.carried_value -= released;
                book.impaired_value = book.impaired_value.checked_sub(released).ok_or(SluiceError::BookMismatch)?;
                None
            }
            ReceivableStatus::Repaid => unreachable!("refused by validate"),
        };
        if r.outstanding == 0 {
            r.status = ReceivableStatus::Repaid;
            r.carried_value = 0;
        }
        r.invariant()?;
        book.invariant(touched)?;
        drop(book);

        let pool = &mut a.pool;
        pool.cash = pool.cash.checked_add(args.amount).ok_or(SluiceError::MathOverflow)?;
        if pool.stage == Stage::Crisis {
            // In Crisis, batches pay only out of cash that repayments actually bring in.
            pool.realized_budget = pool.realized_budget.saturating_add(args.amount);
        }
        pool.nav_dirty = true;
        a.vault.reload()?;
        pool.invariant()?;
        pool.check_cash(a.vault.amount)?;

        crate::events::emit(RepaymentRecorded {
            pool: pool.key(),
            index: r.index,
            amount: args.amount,
            outstanding: r.outstanding,
        });
        Ok(())
    }
}
