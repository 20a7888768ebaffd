//! Specification: `redeem_basket(tokens, min_out)` (`docs/basket.md`)
//! - Burns `tokens` basket tokens and pays ⌊tokens · value ÷ supply⌋ base units from the
//!   sleeve at once: the holder's share of the basket's value, priced like `exchange_in`
//!   (same remaining accounts: every constituent's pool, then the open requests' queues;
//!   fresh NAVs, `NavStale`).
//! - Within the rolling window cap: what the sleeve paid in this hour and the 24 before it,
//!   plus this, at most `redeem_cap_bps` of value (`RedeemWindowExceeded`) — so no 24 hours
//!   ever hold more than the cap; and above the floor: the sleeve
//!   keeps at least `sleeve_floor_bps` of the value that remains (`SleeveBelowFloor`).
//!   Beyond these the holder uses `exchange_out` (in kind) and the constituents' queues.
//! - Refused: paused basket (`BasketPaused`); a constituent the basket holds value in whose
//!   pool is in Crisis (`WrongStage`: its NAV is the one number a run makes doubtful, and
//!   cash out at it would leave the loss to those who stay); zero, more than the supply, or
//!   nothing to pay (`ZeroAmount`); less than `min_out` (`SlippageExceeded`).
//! - The price of the tokens that stay never falls (the payout is floored). Afterwards the
//!   mint's supply equals the basket's, the sleeve holds at least its balance,
//!   `Basket::invariant`; `BasketAttested` and `BasketRedeemed` are emitted.

use super::{attest_basket, basket_value, bps_of, read_priced, BasketExit};
use crate::error::SluiceError;
use crate::events::BasketRedeemed;
use crate::math::basket::{redeem_out, sleeve_above_floor};
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RedeemBasketArgs {
    pub tokens: u64,
    pub min_out: u64,
}

/// What `redeem_basket` of `tokens` would pay now, with the basket's value and its
/// constituents' values; or the error it would give. Public so clients preview with the
/// program's own rule.
pub fn plan_redeem(
    basket: &Basket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    tokens: u64,
    now: i64,
) -> Result<(u64, u64, [u64; MAX_CONSTITUENTS])> {
    require!(!basket.paused, SluiceError::BasketPaused);
    require!(tokens > 0 && tokens <= basket.supply, SluiceError::ZeroAmount);
    let (value, values) = basket_value(basket, pools, flights, now)?;
    for (v, pool) in values.iter().zip(pools) {
        require!(*v == 0 || pool.stage != Stage::Crisis, SluiceError::WrongStage);
    }
    let out = redeem_out(tokens, value, basket.supply);
    require!(out > 0, SluiceError::ZeroAmount);
    let cap = bps_of(value, basket.params.redeem_cap_bps);
    require!(basket.redeemed_in_window(now).saturating_add(out) <= cap, SluiceError::RedeemWindowExceeded);
    require!(
        out <= basket.sleeve_balance
            && sleeve_above_floor(basket.sleeve_balance - out, value - out, basket.params.sleeve_floor_bps),
        SluiceError::SleeveBelowFloor
    );
    Ok((out, value, values))
}

impl<'info> BasketExit<'info> {
    pub fn redeem_basket(ctx: Context<'info, Self>, args: RedeemBasketArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        let (pools, flights) = read_priced(&a.basket, &a.basket.key(), ctx.remaining_accounts)?;
        let (out, value, values) = plan_redeem(&a.basket, &pools, &flights, args.tokens, now)?;
        require!(out >= args.min_out, SluiceError::SlippageExceeded);

        a.burn(args.tokens)?;
        a.pay_from_sleeve(out)?;

        let basket = &mut a.basket;
        basket.record_redemption(now, out);
        basket.sleeve_balance -= out;
        basket.supply -= args.tokens;
        a.check_books()?;
        a.basket.invariant()?;
        attest_basket(a.basket.key(), &a.basket, &flights, values, value - out, now);
        crate::events::emit(BasketRedeemed {
            basket: a.basket.key(),
            holder: a.holder.key(),
            tokens: args.tokens,
            amount: out,
        });
        Ok(())
    }
}
