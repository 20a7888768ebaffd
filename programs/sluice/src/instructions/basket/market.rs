//! Specification: the basket token's market (`docs/basket.md`, "Market")
//! - `create_basket_market(params)`: the basket authority (`NotAuthority`) opens a
//!   constant-product market between the basket token and the base token: state
//!   `["basket_market", basket]`, LP mint `["basket_market_lp", market]` (the base token's
//!   decimals) and vaults `["basket_market_tokens", market]`, `["basket_market_base",
//!   market]`, all under the basket PDA. Fees within bounds (`InvalidParams`:
//!   `BasketMarketParams::validate`).
//! - `add_basket_liquidity(lp, max_tokens, max_base)`: the first deposit puts in exactly the
//!   two maxima and receives √(x·y) − 1,000 LP (1,000 locked forever); later ones pay the
//!   rounded-up share for `lp` LP, at most the maxima (`SlippageExceeded`).
//!   `remove_basket_liquidity(lp, min_tokens, min_base)`: burns LP for the rounded-down
//!   share, at least the minima (`SlippageExceeded`). Neither needs a price.
//! - `swap_basket(args)`: exact input, a minimum output (`SlippageExceeded`) and a deadline
//!   (`DeadlinePassed`); zero (`ZeroAmount`); an empty market (`EmptyAmm`). Fee = base fee +
//!   band fee per 1 % the post-trade price stands from the basket's DCF price (capped; the
//!   per-tranche market's `math::amm::quote`). The basket price is V / supply, priced like
//!   `exchange_in` (remaining accounts: every constituent's pool, then the open requests'
//!   queues; `NavStale`, `ConstituentPoolsMissing`). Every fee stays in the curve.
//! - `basket_buyback(max_base)` (permissionless crank): when the market price is below the
//!   basket price × (1 − `buyback_discount_bps`), the sleeve pays base tokens into the
//!   market — at most enough to lift the price to that trigger, at most `max_base`, at most
//!   what keeps the sleeve above its floor, and within the rolling redemption window (the
//!   spend counts against the same cap as `redeem_basket`) — and the basket BURNS the
//!   tokens it buys. The sleeve falls by what it paid, the supply by what it bought; the
//!   average price paid is under the basket price, so the price of every token that stays
//!   rises. Only against a discount that has stood: the spot price at or under the market's
//!   time-weighted price (over at least an hour), and that under the trigger too — so a
//!   front-run buy that would take part of the discount stops the crank, and a market
//!   without an hour of history is not bought on. Refused: paused basket (`BasketPaused`);
//!   a constituent holding value whose pool is in Crisis (`WrongStage`, as for a sleeve
//!   redemption); nothing to do, or no accretive trade left (`NothingToProcess`).
//! - Every basket-token amount is counted against the mint's supply as the basket reads it
//!   at the start (`Basket::sync_supply`): tokens a holder burns directly are a gift to
//!   those who stay, never a reason to refuse.
//! - After every change the handler re-reads the vaults: k never falls, nor an LP share's
//!   value (`AmmInvariantViolated`); the LP mint's supply plus the locked minimum is the
//!   market's; the basket mint's supply equals `basket.supply`; `Basket::invariant` and
//!   `BasketAttested` after a change of the basket's holdings.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self as token, Burn, Mint, MintTo, TokenAccount, TokenInterface, TransferChecked};

use super::{attest_basket, basket_value, bps_of, read_priced};
use crate::error::SluiceError;
use crate::events::{BasketBoughtBack, BasketSwapped, LiquidityChanged};
use crate::math::amm::{
    base_to_lift_price, deposit_for_lp, first_deposit_lp, price_e12, quote, share_value_held, withdraw_for_lp, Quote,
    MIN_LIQUIDITY,
};
use crate::math::basket::sleeve_above_floor;
use crate::math::time::BPS;
use crate::state::*;

const E12: u128 = 1_000_000_000_000;

#[derive(Accounts)]
pub struct CreateBasketMarket<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount, has_one = mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(init, payer = authority, space = 8 + BasketMarket::INIT_SPACE, seeds = [BasketMarket::SEED, basket.key().as_ref()], bump)]
    pub market: Box<Account<'info, BasketMarket>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    /// The basket token.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_market_lp", market.key().as_ref()], bump, mint::decimals = base_mint.decimals, mint::authority = basket)]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_market_tokens", market.key().as_ref()], bump, token::mint = mint, token::authority = basket)]
    pub token_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(init, payer = authority, seeds = [b"basket_market_base", market.key().as_ref()], bump, token::mint = base_mint, token::authority = basket, token::token_program = base_token_program)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl CreateBasketMarket<'_> {
    pub fn create_basket_market(ctx: Context<Self>, params: BasketMarketParams) -> Result<()> {
        params.validate()?;
        let a = ctx.accounts;
        a.market.set_inner(BasketMarket {
            basket: a.basket.key(),
            lp_mint: a.lp_mint.key(),
            token_vault: a.token_vault.key(),
            base_vault: a.base_vault.key(),
            params,
            lp_supply: 0,
            bought_back: 0,
            buyback_spent: 0,
            bump: ctx.bumps.market,
            twap: TimeWeightedPrice::default(),
        });
        a.market.invariant()
    }
}

/// Moves `amount` out of a basket-owned token account.
fn basket_transfer<'info>(
    basket: &Account<'info, Basket>,
    token_program: Pubkey,
    from: AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    basket.with_signer(|signer| {
        token::transfer_checked(
            CpiContext::new_with_signer(
                token_program,
                TransferChecked { from, mint: mint.to_account_info(), to, authority: basket.to_account_info() },
                signer,
            ),
            amount,
            mint.decimals,
        )
    })
}

/// Moves `amount` out of an account `authority` owns and has signed for.
fn user_transfer<'info>(
    token_program: Pubkey,
    authority: AccountInfo<'info>,
    from: AccountInfo<'info>,
    mint: &InterfaceAccount<'info, Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    token::transfer_checked(
        CpiContext::new(token_program, TransferChecked { from, mint: mint.to_account_info(), to, authority }),
        amount,
        mint.decimals,
    )
}

/// The basket's price, base units per basket token × 10¹², floored. `EmptyAmm` without
/// supply (there is no basket token to price, nor to trade).
pub fn basket_price_e12(value: u64, supply: u64) -> Result<u64> {
    require!(supply > 0, SluiceError::EmptyAmm);
    u64::try_from(value as u128 * E12 / supply as u128).map_err(|_| SluiceError::MathOverflow.into())
}

/// A priced swap on the basket's market, with the basket price it was priced around.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketSwapQuote {
    pub quote: Quote,
    pub basket_price_e12: u64,
}

/// What `swap_basket` of `amount_in` would give now against curve reserves `reserves`
/// (basket tokens, base tokens), or the error it would give (all but the slippage bound and
/// the deadline). Public so clients quote with the program's own rule.
#[allow(clippy::too_many_arguments)]
pub fn plan_basket_swap(
    basket: &Basket,
    market: &BasketMarket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    reserves: (u64, u64),
    buy_basket: bool,
    amount_in: u64,
    now: i64,
) -> Result<BasketSwapQuote> {
    require!(amount_in > 0, SluiceError::ZeroAmount);
    require!(reserves.0 > 0 && reserves.1 > 0, SluiceError::EmptyAmm);
    let (value, _) = basket_value(basket, pools, flights, now)?;
    let price = basket_price_e12(value, basket.supply)?;
    let q = quote(reserves.0, reserves.1, buy_basket, amount_in, price, market.params.fees())
        .ok_or(SluiceError::EmptyAmm)?;
    Ok(BasketSwapQuote { quote: q, basket_price_e12: price })
}

/// What `basket_buyback` would do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketBuybackPlan {
    /// Base units the sleeve pays in, and the trade's quote (`amount_out` is burned).
    pub spend: u64,
    pub quote: Quote,
    /// The basket's value and price before, and the trigger price.
    pub value: u64,
    pub values: [u64; MAX_CONSTITUENTS],
    pub basket_price_e12: u64,
    pub trigger_e12: u64,
}

/// Base units the sleeve can pay while keeping at least `floor_bps` of the value that
/// remains: the largest s with (sleeve − s)·10⁴ ≥ floor·(value − s), floored.
pub fn sleeve_room_above_floor(sleeve: u64, value: u64, floor_bps: u16) -> u64 {
    let room = (sleeve as u128 * BPS as u128).saturating_sub(floor_bps as u128 * value as u128);
    (room / (BPS - floor_bps as u32) as u128).min(sleeve as u128) as u64
}

/// The buy-back `basket_buyback(max_base)` would make against curve reserves `reserves`, or
/// the error it would give (`BasketPaused`, `WrongStage`, `EmptyAmm`, `NothingToProcess`,
/// pricing errors). Public so keepers decide with the program's own rule.
#[allow(clippy::too_many_arguments)]
pub fn plan_basket_buyback(
    basket: &Basket,
    market: &BasketMarket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    reserves: (u64, u64),
    max_base: u64,
    now: i64,
) -> Result<BasketBuybackPlan> {
    require!(!basket.paused, SluiceError::BasketPaused);
    require!(max_base > 0, SluiceError::ZeroAmount);
    require!(reserves.0 > 0 && reserves.1 > 0, SluiceError::EmptyAmm);
    let (value, values) = basket_value(basket, pools, flights, now)?;
    for (v, pool) in values.iter().zip(pools) {
        require!(*v == 0 || pool.stage != Stage::Crisis, SluiceError::WrongStage);
    }
    let price = basket_price_e12(value, basket.supply)?;
    let p = market.params;
    let trigger = (price as u128 * (BPS - p.buyback_discount_bps as u32) as u128 / BPS as u128) as u64;
    let market_price = price_e12(reserves.0, reserves.1).ok_or(SluiceError::EmptyAmm)?;
    require!(market_price < trigger, SluiceError::NothingToProcess);
    // Not against a price someone has just pushed: the spot at or under the time-weighted
    // price, and that under the trigger too (as the pool reserve's buy-back). A front-run
    // buy that would share the discount lifts the spot over the average and stops the crank.
    let twap = market.twap.twap_e12(now).ok_or(SluiceError::NothingToProcess)?;
    require!(market_price <= twap && twap < trigger, SluiceError::NothingToProcess);

    // The curve's input that lifts the price to the trigger, grossed up for the fee: at the
    // fee the probe pays, unless that overshoots (a larger buy lands nearer the basket
    // price and pays a lower band fee), then at the base fee alone, which never does.
    let fees = p.fees();
    let net = base_to_lift_price(reserves.0, reserves.1, trigger);
    require!(net > 0, SluiceError::NothingToProcess);
    let probe = quote(reserves.0, reserves.1, true, net, price, fees).ok_or(SluiceError::EmptyAmm)?;
    let gross_at = |fee_bps: u32| (net as u128 * BPS as u128 / (BPS - fee_bps) as u128).min(u64::MAX as u128) as u64;
    let mut lift = gross_at(probe.fee_bps);
    let lands = quote(reserves.0, reserves.1, true, lift, price, fees).ok_or(SluiceError::EmptyAmm)?;
    if lands.price_e12 > trigger {
        lift = gross_at(fees.base_fee_bps);
    }

    let window_left = bps_of(value, basket.params.redeem_cap_bps).saturating_sub(basket.redeemed_in_window(now));
    let floor_room = sleeve_room_above_floor(basket.sleeve_balance, value, basket.params.sleeve_floor_bps);
    let spend = lift.min(max_base).min(window_left).min(floor_room);
    require!(spend > 0, SluiceError::NothingToProcess);
    require!(
        sleeve_above_floor(basket.sleeve_balance - spend, value - spend, basket.params.sleeve_floor_bps),
        SluiceError::SleeveBelowFloor
    );
    let q = quote(reserves.0, reserves.1, true, spend, price, fees).ok_or(SluiceError::EmptyAmm)?;
    // Accretive or nothing: the average price paid, spend / out, under the basket price
    // value / supply, so (value − spend) / (supply − out) > value / supply.
    require!(
        q.amount_out > 0 && (value as u128 * q.amount_out as u128) > (spend as u128 * basket.supply as u128),
        SluiceError::NothingToProcess
    );
    Ok(BasketBuybackPlan { spend, quote: q, value, values, basket_price_e12: price, trigger_e12: trigger })
}

/// Accounts every trade and liquidity change on the basket's market shares.
#[derive(Accounts)]
pub struct BasketTrade<'info> {
    pub user: Signer<'info>,
    #[account(has_one = mint @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(
        mut,
        has_one = basket @ SluiceError::WrongAccount,
        has_one = lp_mint @ SluiceError::WrongAccount,
        has_one = token_vault @ SluiceError::WrongAccount,
        has_one = base_vault @ SluiceError::WrongAccount,
    )]
    pub market: Box<Account<'info, BasketMarket>>,
    /// The basket token.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub token_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = user_tokens.mint == mint.key() && user_tokens.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_tokens: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = user_base.mint == base_mint.key() && user_base.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_base: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Needed for liquidity changes only.
    #[account(mut, constraint = user_lp.mint == lp_mint.key() && user_lp.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_lp: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct BasketSwapArgs {
    /// True to pay base tokens for basket tokens; false to sell basket tokens.
    pub buy_basket: bool,
    pub amount_in: u64,
    pub min_out: u64,
    /// Unix time after which the swap is refused.
    pub deadline: i64,
}

impl<'info> BasketTrade<'info> {
    /// Curve reserves: the vaults (every fee stays in the curve).
    fn reserves(&self) -> (u64, u64) {
        (self.token_vault.amount, self.base_vault.amount)
    }

    fn pay_in(&self, tokens: u64, base: u64) -> Result<()> {
        let user = self.user.to_account_info();
        if tokens > 0 {
            let (from, to) = (self.user_tokens.to_account_info(), self.token_vault.to_account_info());
            user_transfer(self.token_program.key(), user.clone(), from, &self.mint, to, tokens)?;
        }
        if base > 0 {
            let (from, to) = (self.user_base.to_account_info(), self.base_vault.to_account_info());
            user_transfer(self.base_token_program.key(), user, from, &self.base_mint, to, base)?;
        }
        Ok(())
    }

    fn pay_out(&self, tokens: u64, base: u64) -> Result<()> {
        if tokens > 0 {
            let (from, to) = (self.token_vault.to_account_info(), self.user_tokens.to_account_info());
            basket_transfer(&self.basket, self.token_program.key(), from, &self.mint, to, tokens)?;
        }
        if base > 0 {
            let (from, to) = (self.base_vault.to_account_info(), self.user_base.to_account_info());
            basket_transfer(&self.basket, self.base_token_program.key(), from, &self.base_mint, to, base)?;
        }
        Ok(())
    }

    /// Re-reads the vaults: an LP share's value must not fall (with `supply_before` LP
    /// before), nor, for a swap (`swap`), k.
    fn check_after(&mut self, before: (u64, u64), supply_before: u64, swap: bool) -> Result<(u64, u64)> {
        self.token_vault.reload()?;
        self.base_vault.reload()?;
        self.lp_mint.reload()?;
        self.mint.reload()?;
        let after = self.reserves();
        self.market.twap.observe(Clock::get()?.unix_timestamp, price_e12(after.0, after.1).unwrap_or(0));
        let k_held = after.0 as u128 * after.1 as u128 >= before.0 as u128 * before.1 as u128;
        let share_held = supply_before == 0
            || share_value_held(before.0, before.1, supply_before, after.0, after.1, self.market.lp_supply);
        require!((k_held || !swap) && share_held, SluiceError::AmmInvariantViolated);
        require!(
            self.lp_mint.supply + MIN_LIQUIDITY.min(self.market.lp_supply) == self.market.lp_supply,
            SluiceError::InvariantViolated
        );
        require!(self.mint.supply == self.basket.supply, SluiceError::InvariantViolated);
        self.market.invariant()?;
        Ok(after)
    }

    fn emit_liquidity(&self, lp: i64, tokens: u64, base: u64) {
        crate::events::emit(LiquidityChanged {
            amm: self.market.key(),
            provider: self.user.key(),
            lp_delta: lp,
            tranche_amount: tokens,
            base_amount: base,
            lp_supply: self.market.lp_supply,
        });
    }

    pub fn add_basket_liquidity(ctx: Context<Self>, lp: u64, max_tokens: u64, max_base: u64) -> Result<()> {
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        let user_lp = a.user_lp.as_ref().ok_or(SluiceError::WrongAccount)?.to_account_info();
        let before = a.reserves();
        let supply = a.market.lp_supply;
        let (tokens_in, base_in, minted) = if supply == 0 {
            require!(max_tokens > 0 && max_base > 0, SluiceError::ZeroAmount);
            let minted = first_deposit_lp(max_tokens, max_base).ok_or(SluiceError::ZeroAmount)?;
            require!(minted >= lp, SluiceError::SlippageExceeded);
            (max_tokens, max_base, minted)
        } else {
            require!(lp > 0, SluiceError::ZeroAmount);
            let (x, y) = deposit_for_lp(lp, supply, before.0, before.1).ok_or(SluiceError::MathOverflow)?;
            require!(x <= max_tokens && y <= max_base, SluiceError::SlippageExceeded);
            (x, y, lp)
        };
        a.pay_in(tokens_in, base_in)?;
        a.basket.with_signer(|signer| {
            token::mint_to(
                CpiContext::new_with_signer(
                    a.token_program.key(),
                    MintTo { mint: a.lp_mint.to_account_info(), to: user_lp, authority: a.basket.to_account_info() },
                    signer,
                ),
                minted,
            )
        })?;
        let added = if supply == 0 { minted.checked_add(MIN_LIQUIDITY) } else { Some(minted) };
        a.market.lp_supply = added.and_then(|m| supply.checked_add(m)).ok_or(SluiceError::MathOverflow)?;
        a.check_after(before, supply, false)?;
        a.emit_liquidity(minted as i64, tokens_in, base_in);
        Ok(())
    }

    pub fn remove_basket_liquidity(ctx: Context<Self>, lp: u64, min_tokens: u64, min_base: u64) -> Result<()> {
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        require!(lp > 0, SluiceError::ZeroAmount);
        let user_lp = a.user_lp.as_ref().ok_or(SluiceError::WrongAccount)?;
        let before = a.reserves();
        let supply = a.market.lp_supply;
        // The locked minimum is never withdrawn.
        require!(lp <= supply.saturating_sub(MIN_LIQUIDITY), SluiceError::EmptyAmm);
        let (x, y) = withdraw_for_lp(lp, supply, before.0, before.1).ok_or(SluiceError::EmptyAmm)?;
        require!(x >= min_tokens && y >= min_base, SluiceError::SlippageExceeded);
        token::burn(
            CpiContext::new(
                a.token_program.key(),
                Burn {
                    mint: a.lp_mint.to_account_info(),
                    from: user_lp.to_account_info(),
                    authority: a.user.to_account_info(),
                },
            ),
            lp,
        )?;
        a.pay_out(x, y)?;
        a.market.lp_supply = supply - lp;
        a.check_after(before, supply, false)?;
        a.emit_liquidity(-(lp as i64), x, y);
        Ok(())
    }

    pub fn swap_basket(ctx: Context<'info, Self>, args: BasketSwapArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        require!(now <= args.deadline, SluiceError::DeadlinePassed);
        require!(args.amount_in > 0, SluiceError::ZeroAmount);
        let (pools, flights) = read_priced(&a.basket, &a.basket.key(), ctx.remaining_accounts)?;
        let before = a.reserves();
        let plan =
            plan_basket_swap(&a.basket, &a.market, &pools, &flights, before, args.buy_basket, args.amount_in, now)?;
        let q = plan.quote;
        require!(q.amount_out > 0 && q.amount_out >= args.min_out, SluiceError::SlippageExceeded);

        if args.buy_basket {
            a.pay_in(0, args.amount_in)?;
            a.pay_out(q.amount_out, 0)?;
        } else {
            a.pay_in(args.amount_in, 0)?;
            a.pay_out(0, q.amount_out)?;
        }
        let supply = a.market.lp_supply;
        let after = a.check_after(before, supply, true)?;
        crate::events::emit(BasketSwapped {
            market: a.market.key(),
            trader: a.user.key(),
            buy_basket: args.buy_basket,
            amount_in: args.amount_in,
            amount_out: q.amount_out,
            fee: q.fee,
            fee_bps: q.fee_bps,
            price_e12: price_e12(after.0, after.1).unwrap_or(0),
            basket_price_e12: plan.basket_price_e12,
            deviation_bps: q.deviation_bps,
        });
        Ok(())
    }
}

#[derive(Accounts)]
pub struct BasketBuyback<'info> {
    #[account(
        mut,
        has_one = mint @ SluiceError::WrongAccount,
        has_one = sleeve @ SluiceError::WrongAccount,
        has_one = base_mint @ SluiceError::WrongAccount,
    )]
    pub basket: Box<Account<'info, Basket>>,
    #[account(
        mut,
        has_one = basket @ SluiceError::WrongAccount,
        has_one = token_vault @ SluiceError::WrongAccount,
        has_one = base_vault @ SluiceError::WrongAccount,
    )]
    pub market: Box<Account<'info, BasketMarket>>,
    #[account(mut)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub sleeve: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub token_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl<'info> BasketBuyback<'info> {
    pub fn basket_buyback(ctx: Context<'info, Self>, max_base: u64) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        let (pools, flights) = read_priced(&a.basket, &a.basket.key(), ctx.remaining_accounts)?;
        let before = (a.token_vault.amount, a.base_vault.amount);
        let plan = plan_basket_buyback(&a.basket, &a.market, &pools, &flights, before, max_base, now)?;
        let (spend, burned) = (plan.spend, plan.quote.amount_out);

        let (from, to) = (a.sleeve.to_account_info(), a.base_vault.to_account_info());
        basket_transfer(&a.basket, a.base_token_program.key(), from, &a.base_mint, to, spend)?;
        a.basket.with_signer(|signer| {
            token::burn(
                CpiContext::new_with_signer(
                    a.token_program.key(),
                    Burn {
                        mint: a.mint.to_account_info(),
                        from: a.token_vault.to_account_info(),
                        authority: a.basket.to_account_info(),
                    },
                    signer,
                ),
                burned,
            )
        })?;

        let supply_before = a.basket.supply;
        let basket = &mut a.basket;
        basket.record_redemption(now, spend);
        basket.sleeve_balance -= spend;
        basket.supply -= burned;
        let market = &mut a.market;
        market.bought_back = market.bought_back.checked_add(burned).ok_or(SluiceError::MathOverflow)?;
        market.buyback_spent = market.buyback_spent.checked_add(spend).ok_or(SluiceError::MathOverflow)?;

        a.token_vault.reload()?;
        a.base_vault.reload()?;
        a.mint.reload()?;
        a.sleeve.reload()?;
        let after = (a.token_vault.amount, a.base_vault.amount);
        a.market.twap.observe(now, price_e12(after.0, after.1).unwrap_or(0));
        require!(
            after.0 as u128 * after.1 as u128 >= before.0 as u128 * before.1 as u128,
            SluiceError::AmmInvariantViolated
        );
        require!(a.mint.supply == a.basket.supply, SluiceError::InvariantViolated);
        require!(a.sleeve.amount >= a.basket.sleeve_balance, SluiceError::InvariantViolated);
        let value_after = plan.value - spend;
        // The price of the tokens that stay did not fall.
        require!(
            value_after as u128 * supply_before as u128 >= plan.value as u128 * a.basket.supply as u128,
            SluiceError::InvariantViolated
        );
        a.basket.invariant()?;
        a.market.invariant()?;
        attest_basket(a.basket.key(), &a.basket, &flights, plan.values, value_after, now);
        crate::events::emit(BasketBoughtBack {
            basket: a.basket.key(),
            market: a.market.key(),
            spent: spend,
            burned,
            price_e12: price_e12(after.0, after.1).unwrap_or(0),
            trigger_e12: plan.trigger_e12,
            basket_price_before_e12: plan.basket_price_e12,
            basket_price_after_e12: basket_price_e12(value_after, a.basket.supply).unwrap_or(0),
            supply: a.basket.supply,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The room above the floor is the largest spend that keeps the sleeve above it.
        #[test]
        fn room_above_floor_is_the_largest_allowed_spend(
            sleeve in 0u64..1u64 << 50, extra in 0u64..1u64 << 52, floor in 0u16..=5_000,
        ) {
            let value = sleeve + extra;
            let room = sleeve_room_above_floor(sleeve, value, floor);
            prop_assert!(room <= sleeve);
            prop_assert!(sleeve_above_floor(sleeve - room, value - room, floor) || room == 0);
            if room < sleeve {
                prop_assert!(!sleeve_above_floor(sleeve - room - 1, value - room - 1, floor));
            }
        }
    }

    #[test]
    fn basket_price_needs_supply() {
        assert!(basket_price_e12(5, 0).is_err());
        assert_eq!(basket_price_e12(3, 2).unwrap(), 1_500_000_000_000);
    }
}
