//! Which mints Sluice accepts and how it makes its own.
//!
//! - A base mint may belong to classic SPL Token or to Token-2022. A Token-2022 base is refused
//!   (`check_base_mint`) when an extension could make a transfer move a different amount than
//!   the books record, run foreign code, or let someone else move or hide the pool's cash —
//!   including dormant extensions whose authority could switch them on later.
//! - Tranche mints are Token-2022 with a metadata pointer to themselves and token metadata
//!   (name, symbol, URI) whose update authority is the pool. In a permissioned pool they also
//!   carry `DefaultAccountState = Frozen` with the pool as freeze authority: a new account
//!   holds nothing transferable until `thaw_holder` finds its owner a live member.

use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token_2022::spl_token_2022::extension::{
    default_account_state::DefaultAccountState, permanent_delegate::PermanentDelegate, transfer_fee::TransferFeeConfig,
    transfer_hook::TransferHook, BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::{AccountState, Mint};
use anchor_spl::token_interface::spl_token_metadata_interface::state::TokenMetadata;
use anchor_spl::token_interface::{
    self as token, default_account_state_initialize, metadata_pointer_initialize, token_metadata_initialize,
    DefaultAccountStateInitialize, InitializeMint2, MetadataPointerInitialize, TokenMetadataInitialize,
};

use crate::error::SluiceError;
use crate::state::Pool;

pub const MAX_NAME_LEN: usize = 64;
pub const MAX_SYMBOL_LEN: usize = 16;
pub const MAX_URI_LEN: usize = 200;

/// Refuses a Token-2022 base mint whose extensions would break the pool's accounting, each
/// with its own error. Classic SPL mints have no extensions and always pass.
pub fn check_base_mint(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<Mint>::unpack(&data)?;
    for extension in state.get_extension_types()? {
        match extension {
            ExtensionType::TransferFeeConfig => {
                let fee = state.get_extension::<TransferFeeConfig>()?;
                let authority: Option<Pubkey> = fee.transfer_fee_config_authority.into();
                let charges = u16::from(fee.older_transfer_fee.transfer_fee_basis_points) > 0
                    || u16::from(fee.newer_transfer_fee.transfer_fee_basis_points) > 0;
                require!(authority.is_none() && !charges, SluiceError::BaseMintTransferFee);
            }
            ExtensionType::TransferHook => {
                let hook = state.get_extension::<TransferHook>()?;
                let authority: Option<Pubkey> = hook.authority.into();
                let program: Option<Pubkey> = hook.program_id.into();
                require!(authority.is_none() && program.is_none(), SluiceError::BaseMintTransferHook);
            }
            ExtensionType::ConfidentialTransferMint
            | ExtensionType::ConfidentialTransferFeeConfig
            | ExtensionType::ConfidentialMintBurn => return err!(SluiceError::BaseMintConfidential),
            ExtensionType::NonTransferable => return err!(SluiceError::BaseMintNonTransferable),
            ExtensionType::PermanentDelegate => {
                let delegate: Option<Pubkey> = state.get_extension::<PermanentDelegate>()?.delegate.into();
                require!(delegate.is_none(), SluiceError::BaseMintPermanentDelegate);
            }
            ExtensionType::DefaultAccountState => {
                let default = state.get_extension::<DefaultAccountState>()?;
                require!(default.state != AccountState::Frozen as u8, SluiceError::BaseMintDefaultFrozen);
            }
            // Metadata, pointers, groups, close authority, interest-bearing and scaled UI
            // amounts, pausable: none changes what a transfer moves or who may move it (a
            // pausable mint stops transfers as a classic freeze authority can).
            _ => {}
        }
    }
    Ok(())
}

/// Tranche token metadata as `add_tranche` and `set_tranche_metadata` take it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct TrancheMetadata {
    /// What wallets show, e.g. "Harbor Trade 2027-A Senior".
    pub name: String,
    pub symbol: String,
    /// Off-chain JSON (image, description); may be empty.
    pub uri: String,
}

impl TrancheMetadata {
    pub fn validate(&self) -> Result<()> {
        require!(
            (1..=MAX_NAME_LEN).contains(&self.name.len())
                && (1..=MAX_SYMBOL_LEN).contains(&self.symbol.len())
                && self.uri.len() <= MAX_URI_LEN,
            SluiceError::InvalidMetadata
        );
        Ok(())
    }

    /// Bytes the token-metadata TLV entry takes in the mint.
    pub fn tlv_len(&self, pool: &Pubkey, mint: &Pubkey) -> Result<usize> {
        let metadata = TokenMetadata {
            update_authority: Some(*pool).try_into().map_err(|_| SluiceError::InvalidMetadata)?,
            mint: *mint,
            name: self.name.clone(),
            symbol: self.symbol.clone(),
            uri: self.uri.clone(),
            additional_metadata: vec![],
        };
        Ok(metadata.tlv_size_of().map_err(|_| SluiceError::InvalidMetadata)?)
    }
}

/// The accounts `create_tranche_mint` uses.
pub struct NewTrancheMint<'a, 'info> {
    pub payer: &'a AccountInfo<'info>,
    pub pool: &'a Account<'info, Pool>,
    pub mint: &'a AccountInfo<'info>,
    /// The mint PDA's own seeds, with bump: it signs its creation.
    pub mint_seeds: &'a [&'a [u8]],
    pub token_program: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
}

/// Creates a tranche mint under Token-2022: metadata pointer (to itself), then — in a
/// permissioned pool — frozen-by-default with the pool as freeze authority, then the mint
/// (pool as mint authority), then its metadata (pool as update authority). Rent for the
/// metadata is paid up front, as Token-2022 grows the account when it writes it.
pub fn create_tranche_mint(a: NewTrancheMint, decimals: u8, metadata: &TrancheMetadata) -> Result<()> {
    let permissioned = a.pool.params.permissioned;
    let mut extensions = vec![ExtensionType::MetadataPointer];
    if permissioned {
        extensions.push(ExtensionType::DefaultAccountState);
    }
    let space = ExtensionType::try_calculate_account_len::<Mint>(&extensions)?;
    let full = space + metadata.tlv_len(&a.pool.key(), a.mint.key)?;
    let lamports = Rent::get()?.minimum_balance(full);
    create_pda(&a, space, lamports)?;

    let program = a.token_program.key();
    metadata_pointer_initialize(
        CpiContext::new(
            program,
            MetadataPointerInitialize { token_program_id: a.token_program.clone(), mint: a.mint.clone() },
        ),
        Some(a.pool.key()),
        Some(a.mint.key()),
    )?;
    if permissioned {
        default_account_state_initialize(
            CpiContext::new(
                program,
                DefaultAccountStateInitialize { token_program_id: a.token_program.clone(), mint: a.mint.clone() },
            ),
            &AccountState::Frozen,
        )?;
    }
    let freeze_authority = if permissioned { Some(a.pool.key()) } else { None };
    token::initialize_mint2(
        CpiContext::new(program, InitializeMint2 { mint: a.mint.clone() }),
        decimals,
        &a.pool.key(),
        freeze_authority.as_ref(),
    )?;
    a.pool.with_signer(|signer| {
        token_metadata_initialize(
            CpiContext::new_with_signer(
                program,
                TokenMetadataInitialize {
                    program_id: a.token_program.clone(),
                    metadata: a.mint.clone(),
                    update_authority: a.pool.to_account_info(),
                    mint_authority: a.pool.to_account_info(),
                    mint: a.mint.clone(),
                },
                signer,
            ),
            metadata.name.clone(),
            metadata.symbol.clone(),
            metadata.uri.clone(),
        )
    })
}

/// Creates the mint PDA owned by Token-2022. Lamports sent to the address beforehand do not
/// block it: such an account is topped up, allocated and assigned instead of created.
fn create_pda(a: &NewTrancheMint, space: usize, lamports: u64) -> Result<()> {
    let program = a.system_program.key();
    let signer: &[&[&[u8]]] = &[a.mint_seeds];
    let held = a.mint.lamports();
    if held == 0 {
        return system_program::create_account(
            CpiContext::new_with_signer(
                program,
                system_program::CreateAccount { from: a.payer.clone(), to: a.mint.clone() },
                signer,
            ),
            lamports,
            space as u64,
            &anchor_spl::token_2022::ID,
        );
    }
    require!(a.mint.owner == &system_program::ID && a.mint.data_is_empty(), SluiceError::WrongAccount);
    if held < lamports {
        system_program::transfer(
            CpiContext::new(program, system_program::Transfer { from: a.payer.clone(), to: a.mint.clone() }),
            lamports - held,
        )?;
    }
    system_program::allocate(
        CpiContext::new_with_signer(program, system_program::Allocate { account_to_allocate: a.mint.clone() }, signer),
        space as u64,
    )?;
    system_program::assign(
        CpiContext::new_with_signer(program, system_program::Assign { account_to_assign: a.mint.clone() }, signer),
        &anchor_spl::token_2022::ID,
    )
}

/// Tops `mint` up to the rent its metadata needs after an update to `metadata`.
pub fn fund_metadata<'info>(
    payer: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    pool: &Pubkey,
    old: &TrancheMetadata,
    new: &TrancheMetadata,
) -> Result<()> {
    let grows = new.tlv_len(pool, mint.key)?.saturating_sub(old.tlv_len(pool, mint.key)?);
    let needed = Rent::get()?.minimum_balance(mint.data_len() + grows);
    if mint.lamports() < needed {
        system_program::transfer(
            CpiContext::new(system_program.key(), system_program::Transfer { from: payer.clone(), to: mint.clone() }),
            needed - mint.lamports(),
        )?;
    }
    Ok(())
}

/// The metadata a tranche mint holds now.
pub fn read_metadata(mint: &AccountInfo) -> Result<TrancheMetadata> {
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<Mint>::unpack(&data)?;
    let metadata = state.get_variable_len_extension::<TokenMetadata>()?;
    Ok(TrancheMetadata { name: metadata.name, symbol: metadata.symbol, uri: metadata.uri })
}
