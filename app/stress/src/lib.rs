//! Sluice's stress lab: runs a pool through a scenario — exits, defaults, repayments, oracle
//! moves, market trades, keepers that may go missing — on the embedded bank, every action a
//! real transaction, and measures the exit against the pool's liquidity limit
//! (`docs/stress.md`).

pub mod engine;
pub mod measure;
pub mod output;
pub mod report;
pub mod scenario;
