//! The receivable book: the aggregate that `reprice` reads, so that its cost does not grow
//! with the number of receivables. Zero-copy and created by the client (it is larger than
//! the 10 KiB an inner instruction may allocate).

use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::time::*;

pub const BOOK_CELLS: usize = MAX_RISK_CLASSES * NUM_BUCKETS;

/// One (risk class, 28-day maturity bucket) cell. All sums are exact integers, so removing
/// a repayment subtracts exactly what adding it contributed.
#[zero_copy]
#[derive(Debug, PartialEq)]
pub struct BookCell {
    /// Absolute bucket index (`due / BUCKET_SECONDS`) the cell holds while `count > 0`.
    pub bucket: i64,
    /// Performing receivables in the cell.
    pub count: u32,
    pub _pad: u32,
    /// Σ outstanding.
    pub m0: u64,
    /// Σ outstanding · δ, δ = due − bucket centre in seconds (i128, little endian).
    pub m1_le: [u8; 16],
    /// Σ outstanding · δ² (u128, little endian).
    pub m2_le: [u8; 16],
    /// Outstanding by due day within the bucket.
    pub days: [u64; DAYS_PER_BUCKET],
}

impl Default for BookCell {
    fn default() -> Self {
        BookCell { bucket: 0, count: 0, _pad: 0, m0: 0, m1_le: [0; 16], m2_le: [0; 16], days: [0; DAYS_PER_BUCKET] }
    }
}

/// Where a due date lands in a cell. Due dates are UTC midnights (`add_receivable`
/// enforces it), so every receivable of a day sits at the same offset and per-day sums
/// give exact moments for any subset of days.
struct Position {
    bucket: i64,
    day: usize,
    delta: i128,
}

fn position(due_ts: i64) -> Position {
    let bucket = bucket_of(due_ts);
    let offset = due_ts - bucket * BUCKET_SECONDS;
    Position { bucket, day: (offset / SECONDS_PER_DAY) as usize, delta: (offset - HALF_BUCKET) as i128 }
}

impl BookCell {
    pub fn m1(&self) -> i128 {
        i128::from_le_bytes(self.m1_le)
    }
    pub fn m2(&self) -> u128 {
        u128::from_le_bytes(self.m2_le)
    }

    /// Adds `amount` due at `due_ts`; `new_receivable` counts it. The cell must be empty or
    /// already hold the same absolute bucket.
    pub fn add(&mut self, due_ts: i64, amount: u64, new_receivable: bool) -> Result<()> {
        let p = position(due_ts);
        if self.count != 0 && self.bucket != p.bucket {
            return err!(SluiceError::BucketOccupied);
        }
        let o = amount as i128;
        let m1 = self.m1().checked_add(o.checked_mul(p.delta).ok_or(SluiceError::MathOverflow)?);
        let m2 = self
            .m2()
            .checked_add((amount as u128).checked_mul((p.delta * p.delta) as u128).ok_or(SluiceError::MathOverflow)?);
        let (m1, m2) = (m1.ok_or(SluiceError::MathOverflow)?, m2.ok_or(SluiceError::MathOverflow)?);
        self.m0 = self.m0.checked_add(amount).ok_or(SluiceError::MathOverflow)?;
        self.days[p.day] = self.days[p.day].checked_add(amount).ok_or(SluiceError::MathOverflow)?;
        self.m1_le = m1.to_le_bytes();
        self.m2_le = m2.to_le_bytes();
        self.bucket = p.bucket;
        if new_receivable {
            self.count = self.count.checked_add(1).ok_or(SluiceError::MathOverflow)?;
        }
        Ok(())
    }

    /// Exact inverse of `add`; `closes_receivable` uncounts it.
    pub fn remove(&mut self, due_ts: i64, amount: u64, closes_receivable: bool) -> Result<()> {
        let p = position(due_ts);
        require!(self.count != 0 && self.bucket == p.bucket, SluiceError::BookMismatch);
        let o = amount as i128;
        self.m0 = self.m0.checked_sub(amount).ok_or(SluiceError::BookMismatch)?;
        self.days[p.day] = self.days[p.day].checked_sub(amount).ok_or(SluiceError::BookMismatch)?;
        self.m1_le = (self.m1() - o * p.delta).to_le_bytes();
        self.m2_le = self
            .m2()
            .checked_sub(amount as u128 * (p.delta * p.delta) as u128)
            .ok_or(SluiceError::BookMismatch)?
            .to_le_bytes();
        if closes_receivable {
            self.count -= 1;
        }
        if self.count == 0 {
            require!(self.m0 == 0 && self.m1() == 0 && self.m2() == 0, SluiceError::BookMismatch);
            // An emptied cell is indistinguishable from a fresh one.
            self.bucket = 0;
        }
        Ok(())
    }

    /// Σ days = M0, and an empty cell holds nothing.
    pub fn invariant(&self) -> Result<()> {
        let days: u128 = self.days.iter().map(|d| *d as u128).sum();
        require!(days == self.m0 as u128, SluiceError::InvariantViolated);
        if self.count == 0 {
            require!(self.m0 == 0 && self.m1() == 0 && self.m2() == 0, SluiceError::InvariantViolated);
        }
        Ok(())
    }
}

#[account(zero_copy)]
pub struct Book {
    pub pool: Pubkey,
    /// Σ outstanding of performing receivables (= Σ cell M0).
    pub performing_outstanding: u64,
    /// Σ carried value of written-down receivables.
    pub impaired_value: u64,
    pub performing_count: u64,
    /// Class-major: `cells[class * NUM_BUCKETS + bucket % NUM_BUCKETS]`.
    pub cells: [BookCell; BOOK_CELLS],
}

impl Book {
    pub const SPACE: usize = 8 + std::mem::size_of::<Book>();

    pub fn cell_index(risk_class: u8, due_ts: i64) -> usize {
        risk_class as usize * NUM_BUCKETS + bucket_of(due_ts).rem_euclid(NUM_BUCKETS as i64) as usize
    }

    pub fn add_performing(&mut self, risk_class: u8, due_ts: i64, amount: u64) -> Result<usize> {
        let i = Self::cell_index(risk_class, due_ts);
        self.cells[i].add(due_ts, amount, true)?;
        self.performing_outstanding =
            self.performing_outstanding.checked_add(amount).ok_or(SluiceError::MathOverflow)?;
        self.performing_count += 1;
        Ok(i)
    }

    /// Takes `amount` off a performing receivable; `closes` when it leaves the book.
    pub fn reduce_performing(&mut self, risk_class: u8, due_ts: i64, amount: u64, closes: bool) -> Result<usize> {
        let i = Self::cell_index(risk_class, due_ts);
        self.cells[i].remove(due_ts, amount, closes)?;
        self.performing_outstanding =
            self.performing_outstanding.checked_sub(amount).ok_or(SluiceError::BookMismatch)?;
        if closes {
            self.performing_count -= 1;
        }
        Ok(i)
    }

    /// Aggregates agree with the cells; the touched cell is internally consistent.
    pub fn invariant(&self, touched: Option<usize>) -> Result<()> {
        let mut sum: u128 = 0;
        let mut count: u64 = 0;
        for c in self.cells.iter() {
            sum += c.m0 as u128;
            count += c.count as u64;
        }
        require!(sum == self.performing_outstanding as u128, SluiceError::InvariantViolated);
        require!(count == self.performing_count, SluiceError::InvariantViolated);
        if let Some(i) = touched {
            self.cells[i].invariant()?;
        }
        Ok(())
    }
}
