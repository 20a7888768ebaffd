//! Specification: `set_tranche_metadata`
//! - Pool authority only (`NotAuthority`); the mint passed must be the mint of an existing
//!   tranche `tranche` (`WrongAccount` for an unknown index or another mint).
//! - Rewrites the name, symbol and URI wallets show for the tranche token (`InvalidMetadata`
//!   beyond the lengths in `mints`). The pool PDA is the metadata's update authority, so only
//!   this instruction can change it; the authority pays any extra rent a longer text needs.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::spl_token_metadata_interface::state::Field;
use anchor_spl::token_interface::{token_metadata_update_field, TokenMetadataUpdateField};

use super::mints::{self, TrancheMetadata};
use crate::error::SluiceError;
use crate::events::TrancheMetadataSet;
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct SetTrancheMetadata<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority)]
    pub pool: Box<Account<'info, Pool>>,
    /// CHECK: must be the tranche's mint; Token-2022 checks the rest.
    #[account(
        mut,
        constraint = pool.active_tranches().get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key()) @ SluiceError::WrongAccount,
    )]
    pub tranche_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token2022>,
    pub system_program: Program<'info, System>,
}

impl SetTrancheMetadata<'_> {
    fn validate(&self, tranche: u8, metadata: &TrancheMetadata) -> Result<()> {
        require!((tranche as usize) < self.pool.active_tranches().len(), SluiceError::UnknownTranche);
        metadata.validate()
    }

    #[access_control(ctx.accounts.validate(tranche, &metadata))]
    pub fn set_tranche_metadata(ctx: Context<Self>, tranche: u8, metadata: TrancheMetadata) -> Result<()> {
        let a = ctx.accounts;
        let mint = a.tranche_mint.to_account_info();
        let old = mints::read_metadata(&mint)?;
        mints::fund_metadata(
            &a.authority.to_account_info(),
            &mint,
            &a.system_program.to_account_info(),
            &a.pool.key(),
            &old,
            &metadata,
        )?;
        let changes = [
            (Field::Name, &old.name, &metadata.name),
            (Field::Symbol, &old.symbol, &metadata.symbol),
            (Field::Uri, &old.uri, &metadata.uri),
        ];
        for (field, before, after) in changes {
            if before == after {
                continue;
            }
            a.pool.with_signer(|signer| {
                token_metadata_update_field(
                    CpiContext::new_with_signer(
                        a.token_program.key(),
                        TokenMetadataUpdateField {
                            program_id: a.token_program.to_account_info(),
                            metadata: mint.clone(),
                            update_authority: a.pool.to_account_info(),
                        },
                        signer,
                    ),
                    field,
                    after.clone(),
                )
            })?;
        }
        crate::events::emit(TrancheMetadataSet {
            pool: a.pool.key(),
            tranche,
            mint: mint.key(),
            name: metadata.name,
            symbol: metadata.symbol,
            uri: metadata.uri,
        });
        Ok(())
    }
}
