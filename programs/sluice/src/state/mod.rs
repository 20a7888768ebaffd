pub mod amm;
pub mod basket;
pub mod book;
pub mod holder;
pub mod member;
pub mod oracle;
pub mod parked;
pub mod pool;
pub mod queue;
pub mod receivable;

pub use amm::*;
pub use basket::*;
pub use book::*;
pub use holder::*;
pub use member::*;
pub use oracle::*;
pub use parked::*;
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
        let sizes = [
            8 + Pool::INIT_SPACE,
            8 + RateOracle::INIT_SPACE,
            8 + Receivable::INIT_SPACE,
            8 + Member::INIT_SPACE,
            8 + HolderRecord::INIT_SPACE,
            8 + Basket::INIT_SPACE,
            8 + BasketMarket::INIT_SPACE,
        ];
        assert_eq!(sizes, [1_362, 601, 165, 81, 172, 1_393, 249]);
        assert_eq!(std::mem::size_of::<BookCell>(), 280);
        assert_eq!(Book::SPACE, 8 + 32 + 24 + BOOK_CELLS * 280);
        assert_eq!(std::mem::size_of::<Request>(), 80);
        assert_eq!(RedemptionQueue::SPACE, 8 + 40 + QUEUE_CAPACITY * 80);
    }
}
