//! Decoding of Sluice and SPL Token accounts from raw account data.

use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::{AccountDeserialize, Discriminator};
use anchor_spl::token::spl_token;
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

pub fn token_account(data: &[u8]) -> Result<spl_token::state::Account, DecodeError> {
    spl_token::state::Account::unpack(data).map_err(|_| DecodeError::WrongType("token account"))
}

pub fn mint(data: &[u8]) -> Result<spl_token::state::Mint, DecodeError> {
    spl_token::state::Mint::unpack(data).map_err(|_| DecodeError::WrongType("mint"))
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
