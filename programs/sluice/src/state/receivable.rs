use anchor_lang::prelude::*;

use crate::error::SluiceError;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ReceivableStatus {
    /// In the book, valued by the DCF.
    Performing,
    /// Outstanding reached zero.
    Repaid,
    /// Out of the book, carried at `carried_value`.
    WrittenDown,
}

/// One financed invoice or loan.
#[account]
#[derive(InitSpace, Debug)]
pub struct Receivable {
    pub pool: Pubkey,
    pub index: u64,
    /// Token account the funding was paid to.
    pub borrower_account: Pubkey,
    pub face_value: u64,
    pub outstanding: u64,
    /// Base units drawn from the vault to fund it.
    pub funded: u64,
    pub due_ts: i64,
    pub risk_class: u8,
    pub status: ReceivableStatus,
    /// Haircut applied by the last write-down, bps of outstanding.
    pub haircut_bps: u16,
    /// Value carried in the book's impaired sum while written down.
    pub carried_value: u64,
    /// Hash of the off-chain document, to match the record to the paper.
    pub document_hash: [u8; 32],
    pub created_ts: i64,
    pub bump: u8,
}

impl Receivable {
    pub const SEED: &'static [u8] = b"receivable";

    pub fn invariant(&self) -> Result<()> {
        require!(self.outstanding <= self.face_value, SluiceError::InvariantViolated);
        require!(self.carried_value <= self.outstanding, SluiceError::InvariantViolated);
        match self.status {
            ReceivableStatus::Performing => {
                require!(self.outstanding > 0 && self.carried_value == 0, SluiceError::InvariantViolated)
            }
            ReceivableStatus::Repaid => require!(self.outstanding == 0, SluiceError::InvariantViolated),
            ReceivableStatus::WrittenDown => {}
        }
        Ok(())
    }
}
