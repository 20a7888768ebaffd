use anchor_lang::prelude::*;

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

    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}
