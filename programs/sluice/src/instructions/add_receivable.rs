//! Specification: `add_receivable`
//! - Pool authority only (`NotAuthority`); refused while paused (`PoolPaused`).
//! - Records receivable `["receivable", pool, index]` (index = pool's receivable count)
//!   and pays `funded` base units from the vault to the borrower's token account.
//! - `0 < funded ≤ face_value` (`ZeroAmount`, `FundingExceedsFace`); `funded ≤ cash` less
//!   what an open redemption batch has granted and not yet paid (`InsufficientCash`); risk class < 4 (`UnknownRiskClass`); due date a UTC midnight
//!   (`DueNotDayAligned`), after now and inside the
//!   book's 42-bucket horizon (`DueOutOfRange`); its book cell must not hold an older,
//!   unresolved maturity (`BucketOccupied`).
//! - Adds the face value to the book and marks the NAV dirty: the next deposit needs a
//!   reprice, because funding swapped cash for a receivable only the DCF can value.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::ReceivableAdded;
use crate::math::time::{bucket_of, MAX_RISK_CLASSES, NUM_BUCKETS, SECONDS_PER_DAY};
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AddReceivableArgs {
    pub face_value: u64,
    pub funded: u64,
    pub due_ts: i64,
    pub risk_class: u8,
    pub document_hash: [u8; 32],
}

#[derive(Accounts)]
pub struct AddReceivable<'info> {
    #[account(mut)]
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
    #[account(
        init,
        payer = authority,
        space = 8 + Receivable::INIT_SPACE,
        seeds = [Receivable::SEED, pool.key().as_ref(), &pool.receivable_count.to_le_bytes()],
        bump
    )]
    pub receivable: Box<Account<'info, Receivable>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = borrower_account.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub borrower_account: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The base mint's token program (classic SPL Token or Token-2022).
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl AddReceivable<'_> {
    fn validate(&self, args: &AddReceivableArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        require!(!self.pool.paused, SluiceError::PoolPaused);
        require!(args.funded > 0, SluiceError::ZeroAmount);
        require!(args.funded <= args.face_value, SluiceError::FundingExceedsFace);
        let spendable = self.pool.cash.saturating_sub(self.pool.batch_reserved_cash());
        require!(args.funded <= spendable, SluiceError::InsufficientCash);
        require!((args.risk_class as usize) < MAX_RISK_CLASSES, SluiceError::UnknownRiskClass);
        require!(args.due_ts.rem_euclid(SECONDS_PER_DAY) == 0, SluiceError::DueNotDayAligned);
        require!(
            args.due_ts > now && bucket_of(args.due_ts) < bucket_of(now) + NUM_BUCKETS as i64,
            SluiceError::DueOutOfRange
        );
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn add_receivable(ctx: Context<Self>, args: AddReceivableArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let accounts = ctx.accounts;
        let pool_key = accounts.pool.key();

        let mut book = accounts.book.load_mut()?;
        let cell = book.add_performing(args.risk_class, args.due_ts, args.face_value)?;
        book.invariant(Some(cell))?;
        drop(book);

        let index = accounts.pool.receivable_count;
        accounts.receivable.set_inner(Receivable {
            pool: pool_key,
            index,
            borrower_account: accounts.borrower_account.key(),
            face_value: args.face_value,
            outstanding: args.face_value,
            funded: args.funded,
            due_ts: args.due_ts,
            risk_class: args.risk_class,
            status: ReceivableStatus::Performing,
            haircut_bps: 0,
            carried_value: 0,
            document_hash: args.document_hash,
            created_ts: now,
            bump: ctx.bumps.receivable,
        });
        accounts.receivable.invariant()?;

        token_moves::pool_transfer(
            &accounts.pool,
            accounts.base_token_program.key(),
            &accounts.vault,
            &accounts.base_mint,
            accounts.borrower_account.to_account_info(),
            args.funded,
        )?;

        let pool = &mut accounts.pool;
        pool.cash -= args.funded;
        pool.receivable_count += 1;
        pool.nav_dirty = true;
        accounts.vault.reload()?;
        pool.invariant()?;
        pool.check_cash(accounts.vault.amount)?;

        crate::events::emit(ReceivableAdded {
            pool: pool_key,
            index,
            face_value: args.face_value,
            funded: args.funded,
            due_ts: args.due_ts,
            risk_class: args.risk_class,
            document_hash: args.document_hash,
        });
        Ok(())
    }
}
