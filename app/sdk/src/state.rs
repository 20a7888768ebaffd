//! Decoding of Sluice and SPL Token accounts from raw account data.

use anchor_lang::{AccountDeserialize, Discriminator};
pub use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
use anchor_spl::token_2022::spl_token_2022::extension::{BaseStateWithExtensions, StateWithExtensions};
pub use anchor_spl::token_2022::spl_token_2022::state::{Account as TokenAccount, AccountState, Mint};
use anchor_spl::token_interface::spl_token_metadata_interface::state::TokenMetadata;
use sluice::instructions::TrancheMetadata;
use sluice::state::{Book, Member, Pool, RateOracle, Receivable, RedemptionQueue};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("account data is not a {0}")]
    WrongType(&'static str),
}

fn anchor<T: AccountDeserialize>(data: &[u8], name: &'static str) -> Result<T, DecodeError> {
    T::try_deserialize(&mut &data[..]).map_err(|_| DecodeError::WrongType(name))
}

pub fn pool(data: &[u8]) -> Result<Pool, DecodeError> {
    anchor(data, "Pool")
}

pub fn oracle(data: &[u8]) -> Result<RateOracle, DecodeError> {
    anchor(data, "RateOracle")
}

pub fn receivable(data: &[u8]) -> Result<Receivable, DecodeError> {
    anchor(data, "Receivable")
}

pub fn amm(data: &[u8]) -> Result<sluice::state::Amm, DecodeError> {
    anchor(data, "Amm")
}

pub fn basket(data: &[u8]) -> Result<sluice::state::Basket, DecodeError> {
    anchor(data, "Basket")
}

pub fn basket_market(data: &[u8]) -> Result<sluice::state::BasketMarket, DecodeError> {
    anchor(data, "BasketMarket")
}

pub fn member(data: &[u8]) -> Result<Member, DecodeError> {
    anchor(data, "Member")
}

/// Copies a zero-copy account body into a heap value. Account data carries no alignment
/// guarantee, and these bodies (up to 655 KB) are too large to copy through the stack.
fn boxed_copy<T: bytemuck::Pod>(bytes: &[u8]) -> Box<T> {
    let mut value: Box<T> = bytemuck::zeroed_box();
    bytemuck::bytes_of_mut(&mut *value).copy_from_slice(bytes);
    value
}

/// A zero-copy redemption queue, copied out of the account data.
pub fn queue(data: &[u8]) -> Result<Box<RedemptionQueue>, DecodeError> {
    if data.len() != RedemptionQueue::SPACE || data[..8] != *RedemptionQueue::DISCRIMINATOR {
        return Err(DecodeError::WrongType("RedemptionQueue"));
    }
    Ok(boxed_copy(&data[8..]))
}

/// The zero-copy book, copied out of the account data.
pub fn book(data: &[u8]) -> Result<Box<Book>, DecodeError> {
    if data.len() != Book::SPACE || data[..8] != *Book::DISCRIMINATOR {
        return Err(DecodeError::WrongType("Book"));
    }
    Ok(boxed_copy(&data[8..]))
}

/// A token account of either token program (Token-2022 accounts may carry extensions).
pub fn token_account(data: &[u8]) -> Result<TokenAccount, DecodeError> {
    StateWithExtensions::<TokenAccount>::unpack(data)
        .map(|s| s.base)
        .map_err(|_| DecodeError::WrongType("token account"))
}

/// A mint of either token program.
pub fn mint(data: &[u8]) -> Result<Mint, DecodeError> {
    StateWithExtensions::<Mint>::unpack(data).map(|s| s.base).map_err(|_| DecodeError::WrongType("mint"))
}

/// The token metadata (name, symbol, URI) a Token-2022 mint holds in itself.
pub fn mint_metadata(data: &[u8]) -> Result<TrancheMetadata, DecodeError> {
    let state = StateWithExtensions::<Mint>::unpack(data).map_err(|_| DecodeError::WrongType("mint"))?;
    let m =
        state.get_variable_len_extension::<TokenMetadata>().map_err(|_| DecodeError::WrongType("token metadata"))?;
    Ok(TrancheMetadata { name: m.name, symbol: m.symbol, uri: m.uri })
}

/// The extensions a Token-2022 mint carries (none for a classic mint).
pub fn mint_extensions(data: &[u8]) -> Result<Vec<ExtensionType>, DecodeError> {
    if data.len() <= 82 {
        return Ok(vec![]);
    }
    let state = StateWithExtensions::<Mint>::unpack(data).map_err(|_| DecodeError::WrongType("mint"))?;
    state.get_extension_types().map_err(|_| DecodeError::WrongType("mint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Account bytes at any alignment decode (a misaligned view must not fail).
    #[test]
    fn zero_copy_accounts_decode_from_unaligned_bytes() {
        let mut raw = vec![0u8; Book::SPACE + 1];
        raw[1..9].copy_from_slice(Book::DISCRIMINATOR);
        raw[9 + 32..9 + 40].copy_from_slice(&77u64.to_le_bytes()); // performing_outstanding
        let book = super::book(&raw[1..]).unwrap();
        assert_eq!(book.performing_outstanding, 77);
        // The same bytes shifted by one are not a book.
        assert!(matches!(super::book(&raw[..Book::SPACE]), Err(DecodeError::WrongType("Book"))));
    }
}
