//! The value-anchored basket (`docs/basket.md`). Its instructions, by concern:
//! - `admin`: create, constituents, parameters, pause, two-step authority;
//! - `exchange`: tranche tokens in at the DCF price, basket tokens out in kind;
//! - `redeem`: basket tokens out for base tokens from the sleeve, within a window cap and a
//!   floor;
//! - `rebalance`: the permissionless crank that keeps the sleeve near its target through
//!   the constituents' own queues and deposits;
//! - `market`: the basket token's own market against the base token, with the sleeve as its
//!   buy-back reserve.
//!
//! This file holds what they share: reading the constituents' pools and the basket's own
//! requests, the valuation, the attestation, and the planning rules clients reuse.
//!
//! Valuation: each constituent is worth ⌊(held + tokens in its open request) · tranche
//! value / tranche supply⌋ plus the request's claimable base units; the basket is worth the
//! sleeve plus every constituent. Every priced instruction reads every constituent's pool
//! (`NavStale` unless its NAV is fresh) and the queue of every open request.

pub mod admin;
pub mod exchange;
pub mod market;
pub mod rebalance;
pub mod redeem;

pub use admin::*;
pub use exchange::*;
pub use market::*;
pub use rebalance::*;
pub use redeem::*;

use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

use crate::error::SluiceError;
use crate::events::BasketAttested;
use crate::math::basket::holding_value;
use crate::math::time::BPS;
use crate::state::*;

/// The basket's open requests, in constituent order.
pub fn open_requests(basket: &Basket) -> impl Iterator<Item = (usize, &Constituent)> {
    basket.active().iter().enumerate().filter(|(_, c)| c.request_open)
}

/// What each open request still holds, read from the queues in `infos` (one per open
/// request, in constituent order, nothing more).
pub fn read_in_flight(basket: &Basket, key: &Pubkey, infos: &[AccountInfo]) -> Result<[InFlight; MAX_CONSTITUENTS]> {
    let mut flights = [InFlight::default(); MAX_CONSTITUENTS];
    let mut infos = infos.iter();
    for (j, c) in open_requests(basket) {
        let info = infos.next().ok_or(SluiceError::ConstituentPoolsMissing)?;
        require!(info.key() == c.queue, SluiceError::ConstituentPoolsMissing);
        let data = info.try_borrow_data()?;
        require!(
            *info.owner == crate::ID
                && data.len() >= RedemptionQueue::SPACE
                && data[..8] == *RedemptionQueue::DISCRIMINATOR,
            SluiceError::ConstituentPoolsMissing
        );
        let queue: &RedemptionQueue = bytemuck::from_bytes(&data[8..RedemptionQueue::SPACE]);
        let r = queue.slot(c.request_id);
        require!(
            queue.pool == c.pool && queue.tranche == c.tranche && r.owner == *key && r.pull_only == 1,
            SluiceError::InvariantViolated
        );
        flights[j] = InFlight { tokens: r.remaining, cash: r.claimable };
    }
    require!(infos.next().is_none(), SluiceError::ConstituentPoolsMissing);
    Ok(flights)
}

/// Reads the constituents' pools from `infos` (one per constituent, in order).
pub fn constituent_pools(basket: &Basket, infos: &[AccountInfo]) -> Result<Vec<Pool>> {
    require!(infos.len() == basket.active().len(), SluiceError::ConstituentPoolsMissing);
    basket
        .active()
        .iter()
        .zip(infos)
        .map(|(c, info)| {
            require!(info.key() == c.pool && *info.owner == crate::ID, SluiceError::ConstituentPoolsMissing);
            Pool::try_deserialize(&mut &info.try_borrow_data()?[..])
                .map_err(|_| SluiceError::ConstituentPoolsMissing.into())
        })
        .collect()
}

/// The pools, then the open requests' queues: the remaining accounts of every priced
/// basket instruction.
pub fn read_priced(
    basket: &Basket,
    key: &Pubkey,
    infos: &[AccountInfo],
) -> Result<(Vec<Pool>, [InFlight; MAX_CONSTITUENTS])> {
    let n = basket.active().len();
    require!(infos.len() >= n, SluiceError::ConstituentPoolsMissing);
    Ok((constituent_pools(basket, &infos[..n])?, read_in_flight(basket, key, &infos[n..])?))
}

/// Value of constituent `j`: its vault's tokens and its open request's at the tranche's NAV,
/// floored, plus what the request has been paid and not yet collected.
pub fn constituent_value(c: &Constituent, pool: &Pool, flight: &InFlight) -> u64 {
    let t = pool.tranches[c.tranche as usize];
    holding_value(c.held.saturating_add(flight.tokens), t.value, t.supply).saturating_add(flight.cash)
}

/// The basket's value now and each constituent's; `pools` in order, each with a fresh NAV.
pub fn basket_value(
    basket: &Basket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    now: i64,
) -> Result<(u64, [u64; MAX_CONSTITUENTS])> {
    require!(pools.len() == basket.active().len(), SluiceError::ConstituentPoolsMissing);
    let mut values = [0u64; MAX_CONSTITUENTS];
    let mut total = basket.sleeve_balance as u128;
    for (j, (c, pool)) in basket.active().iter().zip(pools).enumerate() {
        require!(pool.nav_is_fresh(now), SluiceError::NavStale);
        values[j] = constituent_value(c, pool, &flights[j]);
        total += values[j] as u128;
    }
    let total = u64::try_from(total).map_err(|_| SluiceError::MathOverflow)?;
    require!(basket.supply == 0 || total > 0, SluiceError::BasketWorthless);
    Ok((total, values))
}

/// Share `bps` of `value`, floored.
pub fn bps_of(value: u64, bps: u16) -> u64 {
    (value as u128 * bps as u128 / BPS as u128) as u64
}

/// Emits the basket's backing: `values` and `value` as priced (zero when the instruction
/// does not price, as an exchange out).
pub fn attest_basket(
    key: Pubkey,
    basket: &Basket,
    flights: &[InFlight; MAX_CONSTITUENTS],
    values: [u64; MAX_CONSTITUENTS],
    value: u64,
    now: i64,
) {
    let mut held = [0u64; MAX_CONSTITUENTS];
    let mut in_flight_tokens = [0u64; MAX_CONSTITUENTS];
    let mut in_flight_cash = [0u64; MAX_CONSTITUENTS];
    for (j, c) in basket.active().iter().enumerate() {
        held[j] = c.held;
        in_flight_tokens[j] = flights[j].tokens;
        in_flight_cash[j] = flights[j].cash;
    }
    crate::events::emit(BasketAttested {
        basket: key,
        supply: basket.supply,
        sleeve: basket.sleeve_balance,
        held,
        in_flight_tokens,
        in_flight_cash,
        values,
        value,
        timestamp: now,
    });
}
