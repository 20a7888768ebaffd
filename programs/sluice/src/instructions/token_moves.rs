//! The token moves Sluice makes, in one place: those the pool PDA signs (its vault,
//! escrows and reserve; its tranche mints) and those a user signs. Each takes the token
//! program of the mint it moves: base tokens move under the base mint's program (classic
//! SPL Token or Token-2022), Sluice's own mints are all Token-2022.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{
    self as token, Burn, FreezeAccount, Mint, MintTo, ThawAccount, TokenAccount, TransferChecked,
};

use crate::state::Pool;

/// Moves `amount` out of a pool-owned token account.
pub fn pool_transfer<'info>(
    pool: &Account<'info, Pool>,
    token_program: Pubkey,
    from: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::transfer_checked(
            CpiContext::new_with_signer(
                token_program,
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
    token_program: Pubkey,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::burn(
            CpiContext::new_with_signer(
                token_program,
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
    token_program: Pubkey,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    pool.with_signer(|signer| {
        token::mint_to(
            CpiContext::new_with_signer(
                token_program,
                MintTo { mint: mint.to_account_info(), to, authority: pool.to_account_info() },
                signer,
            ),
            amount,
        )
    })
}

/// Moves `amount` out of an account `authority` owns and has signed for.
pub fn user_transfer<'info>(
    token_program: Pubkey,
    authority: AccountInfo<'info>,
    from: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    token::transfer_checked(
        CpiContext::new(
            token_program,
            TransferChecked { from: from.to_account_info(), mint: mint.to_account_info(), to, authority },
        ),
        amount,
        mint.decimals,
    )
}

/// Freezes (`frozen`) or thaws a token account of a mint the pool is freeze authority of
/// (permissioned tranches).
pub fn pool_set_frozen<'info>(
    pool: &Account<'info, Pool>,
    token_program: Pubkey,
    account: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    frozen: bool,
) -> Result<()> {
    let authority = pool.to_account_info();
    pool.with_signer(|signer| {
        if frozen {
            let accounts = FreezeAccount { account, mint, authority };
            token::freeze_account(CpiContext::new_with_signer(token_program, accounts, signer))
        } else {
            let accounts = ThawAccount { account, mint, authority };
            token::thaw_account(CpiContext::new_with_signer(token_program, accounts, signer))
        }
    })
}

/// Runs `f` with a permissioned tranche account thawed, if it is frozen, and freezes it
/// again after: the one way tokens leave (or return to) a lapsed holder's frozen account is
/// a redemption into the pool, which pays base only to the holder.
pub fn while_thawed<'info>(
    pool: &Account<'info, Pool>,
    token_program: Pubkey,
    account: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
    f: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let frozen = pool.params.permissioned && account.is_frozen();
    if frozen {
        pool_set_frozen(pool, token_program, account.to_account_info(), mint.to_account_info(), false)?;
    }
    f()?;
    if frozen {
        pool_set_frozen(pool, token_program, account.to_account_info(), mint.to_account_info(), true)?;
    }
    Ok(())
}

/// Thaws a token account the pool itself holds tranche tokens in (escrow, market vault) just
/// after its creation: in a permissioned pool it starts frozen like every other.
pub fn thaw_pool_account<'info>(
    pool: &Account<'info, Pool>,
    token_program: Pubkey,
    account: &InterfaceAccount<'info, TokenAccount>,
    mint: &InterfaceAccount<'info, Mint>,
) -> Result<()> {
    if account.is_frozen() {
        pool_set_frozen(pool, token_program, account.to_account_info(), mint.to_account_info(), false)?;
    }
    Ok(())
}
