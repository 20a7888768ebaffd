pub mod book;
pub mod member;
pub mod oracle;
pub mod pool;
pub mod receivable;

pub use book::*;
pub use member::*;
pub use oracle::*;
pub use pool::*;
pub use receivable::*;
