//! Pure, overflow-checked integer math. Nothing here touches accounts.
pub mod allocation;
pub mod amm;
pub mod basket;
pub mod dcf;
pub mod fixed;
pub mod time;
pub mod tokens;
pub mod waterfall;
