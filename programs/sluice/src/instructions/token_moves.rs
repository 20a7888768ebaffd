//! The token moves Sluice makes, in one place: those the pool PDA signs (its vault,
//! escrows and reserve; its tranche mints) and those a user signs.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, Mint, MintTo, Token, TokenAccount, TransferChecked};

use crate::state::Pool;

/// Moves `amount` out of a pool-owned token account.
pub fn pool_transfer<'info>(
    pool: &Account<'info, Pool>,
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::transfer_checked(
            CpiContext::new_with_signer(
                token_program.key(),
                TransferChecked {
                    from: from.to_account_info(),
                    mint: mint.to_account_info(),
                    to,
                    authority: pool.to_account_info(),
                },
                signer,
            ),
            amount,
            mint.decimals,
        )
    })
}

/// Burns tranche tokens held in a pool-owned escrow.
pub fn pool_burn<'info>(
    pool: &Account<'info, Pool>,
    token_program: &Program<'info, Token>,
    mint: &Account<'info, Mint>,
    from: &Account<'info, TokenAccount>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::burn(
            CpiContext::new_with_signer(
                token_program.key(),
                Burn { mint: mint.to_account_info(), from: from.to_account_info(), authority: pool.to_account_info() },
                signer,
            ),
            amount,
        )
    })
}

/// Mints tranche tokens; the pool is every tranche mint's authority.
pub fn pool_mint<'info>(
    pool: &Account<'info, Pool>,
    token_program: &Program<'info, Token>,
    mint: &Account<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::mint_to(
            CpiContext::new_with_signer(
                token_program.key(),
                MintTo { mint: mint.to_account_info(), to, authority: pool.to_account_info() },
                signer,
            ),
            amount,
        )
    })
}

/// Moves `amount` out of an account `authority` owns and has signed for.
pub fn user_transfer<'info>(
    token_program: &Program<'info, Token>,
    authority: AccountInfo<'info>,
    from: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    token::transfer_checked(
        CpiContext::new(
            token_program.key(),
            TransferChecked { from: from.to_account_info(), mint: mint.to_account_info(), to, authority },
        ),
        amount,
        mint.decimals,
    )
}
