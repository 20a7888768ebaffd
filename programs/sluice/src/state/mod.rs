pub mod amm;
pub mod book;
pub mod holder;
pub mod member;
pub mod oracle;
pub mod pool;
pub mod queue;
pub mod receivable;

pub use amm::*;
pub use book::*;
pub use holder::*;
pub use member::*;
pub use oracle::*;
pub use pool::*;
pub use queue::*;
pub use receivable::*;

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::Space;

    /// Account sizes are part of the deployed layout (`docs/accounts.md`); changing one
    /// must be a deliberate migration, not a side effect.
    #[test]
    fn account_sizes_are_pinned() {
        assert_eq!(8 + Pool::INIT_SPACE, 1_289);
        assert_eq!(8 + RateOracle::INIT_SPACE, 525);
        assert_eq!(8 + Receivable::INIT_SPACE, 165);
        assert_eq!(8 + Member::INIT_SPACE, 81);
        assert_eq!(std::mem::size_of::<BookCell>(), 280);
        assert_eq!(Book::SPACE, 8 + 32 + 24 + BOOK_CELLS * 280);
        assert_eq!(std::mem::size_of::<Request>(), 64);
        assert_eq!(RedemptionQueue::SPACE, 8 + 40 + QUEUE_CAPACITY * 64);
    }
}
