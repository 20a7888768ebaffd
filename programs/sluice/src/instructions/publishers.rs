//! Specification: `propose_publisher` / `accept_publisher` / `remove_publisher`
//! - Rotation in two steps, like the authority itself, so a typo cannot install a key
//!   nobody holds: the pool authority proposes a key (`NotAuthority`); only that key can
//!   accept (`NotPendingPublisher`), taking the first empty slot (`InvalidParams` when all
//!   are taken or it already publishes).
//! - `remove_publisher(key)`: the pool authority or the guardian (`NotAuthority`) removes a
//!   compromised publisher at once, and withdraws a proposal pending for that key
//!   (`UnknownPublisher` if it is neither). Removing is always safe: stale rates stop
//!   repricing, they never misprice. A key that already publishes cannot be proposed.

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::events::PublishersChanged;
use crate::state::*;

#[derive(Accounts)]
pub struct ProposePublisher<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority, has_one = oracle @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, RateOracle>>,
}

impl ProposePublisher<'_> {
    pub fn propose_publisher(ctx: Context<Self>, publisher: Pubkey) -> Result<()> {
        let oracle = &mut ctx.accounts.oracle;
        require!(!oracle.is_publisher(&publisher), SluiceError::InvalidParams);
        oracle.pending_publisher = publisher;
        oracle.invariant()
    }
}

#[derive(Accounts)]
pub struct AcceptPublisher<'info> {
    pub publisher: Signer<'info>,
    #[account(has_one = oracle @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, RateOracle>>,
}

impl AcceptPublisher<'_> {
    pub fn accept_publisher(ctx: Context<Self>) -> Result<()> {
        let key = ctx.accounts.publisher.key();
        let oracle = &mut ctx.accounts.oracle;
        require!(oracle.pending_publisher != Pubkey::default(), SluiceError::NotPendingPublisher);
        require!(oracle.pending_publisher == key, SluiceError::NotPendingPublisher);
        require!(!oracle.is_publisher(&key), SluiceError::InvalidParams);
        let slot = oracle.publishers.iter().position(|p| *p == Pubkey::default()).ok_or(SluiceError::InvalidParams)?;
        oracle.publishers[slot] = key;
        oracle.pending_publisher = Pubkey::default();
        oracle.invariant()?;
        crate::events::emit(PublishersChanged { pool: ctx.accounts.pool.key(), publishers: oracle.publishers });
        Ok(())
    }
}

#[derive(Accounts)]
pub struct RemovePublisher<'info> {
    /// The pool authority or the guardian.
    pub signer: Signer<'info>,
    #[account(has_one = oracle @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, RateOracle>>,
}

impl RemovePublisher<'_> {
    fn validate(&self) -> Result<()> {
        let who = self.signer.key();
        require!(who == self.pool.authority || who == self.pool.guardian, SluiceError::NotAuthority);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn remove_publisher(ctx: Context<Self>, publisher: Pubkey) -> Result<()> {
        let oracle = &mut ctx.accounts.oracle;
        require!(publisher != Pubkey::default(), SluiceError::UnknownPublisher);
        let slot = oracle.publishers.iter().position(|p| *p == publisher);
        let pending = oracle.pending_publisher == publisher;
        require!(slot.is_some() || pending, SluiceError::UnknownPublisher);
        // A removed key must not come back through a proposal still pending for it.
        if pending {
            oracle.pending_publisher = Pubkey::default();
        }
        if let Some(slot) = slot {
            oracle.publishers[slot] = Pubkey::default();
        }
        oracle.invariant()?;
        crate::events::emit(PublishersChanged { pool: ctx.accounts.pool.key(), publishers: oracle.publishers });
        Ok(())
    }
}
