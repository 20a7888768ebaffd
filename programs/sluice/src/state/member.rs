use anchor_lang::prelude::*;

use crate::error::SluiceError;

/// KYC record: `wallet` may deposit into a permissioned pool until `expires_at`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Member {
    pub pool: Pubkey,
    pub wallet: Pubkey,
    pub expires_at: i64,
    pub bump: u8,
}

impl Member {
    pub const SEED: &'static [u8] = b"member";

    /// In a permissioned pool, `info` must be `wallet`'s live member record (`NotMember`,
    /// `MembershipExpired`). Checked by hand so a missing record reads as `NotMember`.
    pub fn require_live(
        permissioned: bool,
        pool: &Pubkey,
        info: Option<&AccountInfo>,
        wallet: &Pubkey,
        now: i64,
    ) -> Result<()> {
        if !permissioned {
            return Ok(());
        }
        let info = info.ok_or(SluiceError::NotMember)?;
        require!(*info.owner == crate::ID, SluiceError::NotMember);
        let member = Member::try_deserialize(&mut &info.try_borrow_data()?[..]).map_err(|_| SluiceError::NotMember)?;
        require!(member.pool == *pool && member.wallet == *wallet, SluiceError::NotMember);
        // One address derivation with the stored bump, not a search: the record is the PDA.
        let expected =
            Pubkey::create_program_address(&[Self::SEED, pool.as_ref(), wallet.as_ref(), &[member.bump]], &crate::ID)
                .map_err(|_| SluiceError::NotMember)?;
        require!(info.key() == expected, SluiceError::NotMember);
        require!(member.is_live(now), SluiceError::MembershipExpired);
        Ok(())
    }

    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}
