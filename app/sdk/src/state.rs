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

pub fn member(data: &[u8]) -> Result<Member, DecodeError> {
    anchor(data, "Member")
}

/// A zero-copy redemption queue, copied out of the account data.
pub fn queue(data: &[u8]) -> Result<Box<RedemptionQueue>, DecodeError> {
    if data.len() != RedemptionQueue::SPACE || data[..8] != *RedemptionQueue::DISCRIMINATOR {
        return Err(DecodeError::WrongType("RedemptionQueue"));
    }
    let q: &RedemptionQueue =
        bytemuck::try_from_bytes(&data[8..]).map_err(|_| DecodeError::WrongType("RedemptionQueue"))?;
    Ok(Box::new(*q))
}

/// The zero-copy book, copied out of the account data.
pub fn book(data: &[u8]) -> Result<Box<Book>, DecodeError> {
    if data.len() != Book::SPACE || data[..8] != *Book::DISCRIMINATOR {
        return Err(DecodeError::WrongType("Book"));
    }
    let book: &Book = bytemuck::try_from_bytes(&data[8..]).map_err(|_| DecodeError::WrongType("Book"))?;
    Ok(Box::new(*book))
}

pub fn token_account(data: &[u8]) -> Result<spl_token::state::Account, DecodeError> {
    spl_token::state::Account::unpack(data).map_err(|_| DecodeError::WrongType("token account"))
}

pub fn mint(data: &[u8]) -> Result<spl_token::state::Mint, DecodeError> {
    spl_token::state::Mint::unpack(data).map_err(|_| DecodeError::WrongType("mint"))
}
