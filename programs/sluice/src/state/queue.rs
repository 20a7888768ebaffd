//! A tranche's redemption queue: FIFO, zero-copy, created by the client (it is far larger
//! than the 10 KiB an inner instruction may allocate). Requests are addressed by a
//! monotonically increasing id; slot = id mod capacity.

use anchor_lang::prelude::*;

use crate::error::SluiceError;

/// Requests a queue holds at once: a full 10,000-request wave fits with room to spare.
pub const QUEUE_CAPACITY: usize = 10_240;

#[zero_copy]
#[derive(Debug, Default, PartialEq)]
pub struct Request {
    pub owner: Pubkey,
    /// Tokens asked for.
    pub original: u64,
    /// Tokens still in escrow, not yet redeemed or cancelled.
    pub remaining: u64,
    /// Base units paid by batches and not yet claimed.
    pub claimable: u64,
    /// Most tokens one batch may redeem for this request (1/N of a large request).
    pub installment: u64,
    /// When the request joined the queue: it cannot be cancelled before it has waited one
    /// batch interval, so a request is a real exit and not a free signal.
    pub requested_at: i64,
    /// 1 when the owner is a Sluice account (a basket): its value is collected only by the
    /// owner, never pushed or parked, so the owner's books always match what it is owed.
    pub pull_only: u8,
    pub _pad: [u8; 7],
}

impl Request {
    /// Tokens this request may have redeemed in the next batch.
    pub fn allowed(&self) -> u64 {
        self.remaining.min(self.installment)
    }

    pub fn is_done(&self) -> bool {
        self.remaining == 0 && self.claimable == 0
    }
}

#[account(zero_copy)]
pub struct RedemptionQueue {
    pub pool: Pubkey,
    pub tranche: u8,
    pub _pad: [u8; 7],
    pub requests: [Request; QUEUE_CAPACITY],
}

/// The live window of a queue: ids `head..tail`. Kept in the pool's tranche record so a
/// batch can be planned from the pool alone.
pub trait QueueWindow {
    fn head(&self) -> u64;
    fn tail(&self) -> u64;
    fn set_head(&mut self, head: u64);
    fn set_tail(&mut self, tail: u64);
}

fn slot(id: u64) -> usize {
    (id % QUEUE_CAPACITY as u64) as usize
}

impl RedemptionQueue {
    pub const SPACE: usize = 8 + std::mem::size_of::<RedemptionQueue>();

    pub fn get<'a>(&'a self, w: &impl QueueWindow, id: u64) -> Result<&'a Request> {
        require!(id >= w.head() && id < w.tail(), SluiceError::RequestNotFound);
        Ok(&self.requests[slot(id)])
    }

    pub fn get_mut<'a>(&'a mut self, w: &impl QueueWindow, id: u64) -> Result<&'a mut Request> {
        require!(id >= w.head() && id < w.tail(), SluiceError::RequestNotFound);
        Ok(&mut self.requests[slot(id)])
    }

    /// Appends a request; returns its id.
    pub fn push(&mut self, w: &mut impl QueueWindow, request: Request) -> Result<u64> {
        require!(w.tail() - w.head() < QUEUE_CAPACITY as u64, SluiceError::QueueFull);
        let id = w.tail();
        self.requests[slot(id)] = request;
        w.set_tail(id + 1);
        Ok(id)
    }

    /// Drops finished requests from the front, at most `limit` of them (bounded work).
    pub fn pop_done(&mut self, w: &mut impl QueueWindow, limit: usize) {
        let mut n = 0;
        while w.head() < w.tail() && n < limit {
            let s = slot(w.head());
            if !self.requests[s].is_done() {
                break;
            }
            self.requests[s] = Request::default();
            w.set_head(w.head() + 1);
            n += 1;
        }
    }

    /// The request in `id`'s slot, without the window check: for an owner that knows its
    /// request is live (a basket's open request is never popped behind its back).
    pub fn slot(&self, id: u64) -> &Request {
        &self.requests[slot(id)]
    }

    /// Σ remaining and Σ allowed over live requests. O(capacity): for tests and tools only.
    pub fn totals(&self, w: &impl QueueWindow) -> (u64, u64) {
        (w.head()..w.tail())
            .map(|id| &self.requests[slot(id)])
            .fold((0, 0), |(r, a), q| (r + q.remaining, a + q.allowed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Window(u64, u64);
    impl QueueWindow for Window {
        fn head(&self) -> u64 {
            self.0
        }
        fn tail(&self) -> u64 {
            self.1
        }
        fn set_head(&mut self, head: u64) {
            self.0 = head;
        }
        fn set_tail(&mut self, tail: u64) {
            self.1 = tail;
        }
    }

    fn request(tokens: u64) -> Request {
        Request {
            owner: Pubkey::new_unique(),
            original: tokens,
            remaining: tokens,
            claimable: 0,
            installment: tokens,
            requested_at: 0,
            ..Default::default()
        }
    }

    #[test]
    fn a_full_queue_refuses_then_reuses_freed_slots() {
        let mut q: Box<RedemptionQueue> = bytemuck::zeroed_box();
        let mut w = Window::default();
        for i in 0..QUEUE_CAPACITY as u64 {
            assert_eq!(q.push(&mut w, request(i + 1)).unwrap(), i);
        }
        assert_eq!(q.push(&mut w, request(1)).unwrap_err(), SluiceError::QueueFull.into());
        // Finishing the oldest frees its slot for the next request, at the next id.
        q.get_mut(&w, 0).unwrap().remaining = 0;
        q.pop_done(&mut w, 8);
        assert_eq!((w.head(), w.tail()), (1, QUEUE_CAPACITY as u64));
        let id = q.push(&mut w, request(7)).unwrap();
        assert_eq!(id, QUEUE_CAPACITY as u64);
        assert_eq!(q.get(&w, id).unwrap().original, 7);
        assert_eq!(q.get(&w, 0).unwrap_err(), SluiceError::RequestNotFound.into());
    }

    #[test]
    fn pop_stops_at_the_first_live_request_and_is_bounded() {
        let mut q: Box<RedemptionQueue> = bytemuck::zeroed_box();
        let mut w = Window::default();
        for _ in 0..40 {
            q.push(&mut w, request(5)).unwrap();
        }
        for id in [0, 1, 2, 4] {
            q.get_mut(&w, id).unwrap().remaining = 0;
        }
        q.pop_done(&mut w, 2);
        assert_eq!(w.head(), 2);
        q.pop_done(&mut w, 32);
        assert_eq!(w.head(), 3, "request 3 is live and holds the front");
        let (remaining, allowed) = q.totals(&w);
        assert_eq!((remaining, allowed), (36 * 5, 36 * 5));
    }
}
