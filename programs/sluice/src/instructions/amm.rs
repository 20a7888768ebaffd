//! Specification: the per-tranche market (`create_amm`, `add_liquidity`,
//! `remove_liquidity`, `swap`)
//! - `create_amm(tranche, params)`: pool authority (`NotAuthority`) opens a constant-product
//!   market for a tranche against the base token: state `["amm", pool, tranche]`, LP mint
//!   `["amm_lp", amm]` and vaults `["amm_tranche", amm]`, `["amm_base", amm]`, all under the
//!   pool PDA. Parameters within bounds (`InvalidParams`).
//! - Everyone who trades or provides liquidity needs a live member record when the pool is
//!   permissioned (`NotMember`, `MembershipExpired`).
//! - `add_liquidity(lp, max_tranche, max_base)`: the first deposit puts in exactly the two
//!   maxima and receives √(x·y) − 1,000 LP (1,000 locked forever); later ones pay the
//!   rounded-up share for `lp` LP, at most the maxima (`SlippageExceeded`).
//! - `remove_liquidity(lp, min_tranche, min_base)`: burns LP and pays the rounded-down share,
//!   at least the minima (`SlippageExceeded`).
//! - `swap(args)`: exact input with a minimum output (`SlippageExceeded`) and a deadline
//!   (`DeadlinePassed`). Fee = base + NAV-band fee (per 1 % the post-trade price stands away
//!   from the tranche's NAV price, capped) + a surcharge in Stress and Crisis. In Crisis a
//!   trade leaving the price outside the band around NAV is refused (`CrisisBandExceeded`).
//!   The reserve's and the protocol's fee shares are set aside; the LPs' share stays in the
//!   curve. Zero amounts (`ZeroAmount`); an empty market (`EmptyAmm`).
//! - After every change the handler re-reads the vaults and checks that k did not fall and,
//!   for liquidity changes, that an LP share's value did not fall (`AmmInvariantViolated`).

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self as token, Burn, Mint, TokenAccount, TokenInterface};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::{LiquidityChanged, Swapped};
use crate::math::amm::{
    base_to_lift_price, deposit_for_lp, first_deposit_lp, price_e12, quote, share_value_held, withdraw_for_lp, Swap,
    MIN_LIQUIDITY,
};
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct CreateAmm<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(init, payer = authority, space = 8 + Amm::INIT_SPACE, seeds = [Amm::SEED, pool.key().as_ref(), &[tranche]], bump)]
    pub amm: Box<Account<'info, Amm>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(constraint = pool.active_tranches().get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key()) @ SluiceError::UnknownTranche)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"amm_lp", amm.key().as_ref()], bump, mint::decimals = base_mint.decimals, mint::authority = pool)]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"amm_tranche", amm.key().as_ref()], bump, token::mint = tranche_mint, token::authority = pool)]
    pub tranche_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(init, payer = authority, seeds = [b"amm_base", amm.key().as_ref()], bump, token::mint = base_mint, token::authority = pool, token::token_program = base_token_program)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl CreateAmm<'_> {
    pub fn create_amm(ctx: Context<Self>, tranche: u8, params: AmmParams) -> Result<()> {
        params.validate()?;
        let a = ctx.accounts;
        a.amm.set_inner(Amm {
            pool: a.pool.key(),
            tranche,
            lp_mint: a.lp_mint.key(),
            tranche_vault: a.tranche_vault.key(),
            base_vault: a.base_vault.key(),
            params,
            lp_supply: 0,
            reserve_fees_base: 0,
            reserve_fees_tranche: 0,
            protocol_fees_base: 0,
            protocol_fees_tranche: 0,
            twap: TimeWeightedPrice::default(),
            window_start: 0,
            window_volume: 0,
            last_window_volume: 0,
            liquidity: LiquidityMetrics::default(),
            bump: ctx.bumps.amm,
        });
        a.pool.market_mask |= 1 << tranche;
        token_moves::thaw_pool_account(&a.pool, a.token_program.key(), &a.tranche_vault, &a.tranche_mint)?;
        a.pool.invariant()?;
        a.amm.invariant()
    }
}

/// Accounts every trade and liquidity change shares.
#[derive(Accounts)]
pub struct Trade<'info> {
    pub user: Signer<'info>,
    #[account(has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        has_one = pool @ SluiceError::WrongAccount,
        has_one = tranche_vault @ SluiceError::WrongAccount,
        has_one = base_vault @ SluiceError::WrongAccount,
        has_one = lp_mint @ SluiceError::WrongAccount,
    )]
    pub amm: Box<Account<'info, Amm>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(constraint = pool.tranches[amm.tranche as usize].mint == tranche_mint.key() @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub tranche_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = user_tranche.mint == tranche_mint.key() && user_tranche.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_tranche: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = user_base.mint == base_mint.key() && user_base.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_base: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Needed for liquidity changes only.
    #[account(mut, constraint = user_lp.mint == lp_mint.key() && user_lp.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_lp: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    /// The user's member record in a permissioned pool.
    /// CHECK: verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct SwapArgs {
    /// True to pay base tokens for tranche tokens; false to sell tranche tokens.
    pub buy_tranche: bool,
    pub amount_in: u64,
    pub min_out: u64,
    /// Unix time after which the swap is refused.
    pub deadline: i64,
}

impl<'info> Trade<'info> {
    fn check_member(&self, now: i64) -> Result<()> {
        let member = self.member.as_ref().map(|m| m.to_account_info());
        Member::require_live(self.pool.params.permissioned, &self.pool.key(), member.as_ref(), &self.user.key(), now)?;
        require!(!self.user_tranche.is_frozen(), SluiceError::TrancheAccountFrozen);
        Ok(())
    }

    fn reserves(&self) -> Result<(u64, u64)> {
        self.amm.reserves(self.tranche_vault.amount, self.base_vault.amount)
    }

    fn reload(&mut self) -> Result<()> {
        self.tranche_vault.reload()?;
        self.base_vault.reload()?;
        self.lp_mint.reload()
    }

    fn pay_in(&self, tranche_amount: u64, base_amount: u64) -> Result<()> {
        let user = self.user.to_account_info();
        if tranche_amount > 0 {
            token_moves::user_transfer(
                self.token_program.key(),
                user.clone(),
                &self.user_tranche,
                &self.tranche_mint,
                self.tranche_vault.to_account_info(),
                tranche_amount,
            )?;
        }
        if base_amount > 0 {
            token_moves::user_transfer(
                self.base_token_program.key(),
                user,
                &self.user_base,
                &self.base_mint,
                self.base_vault.to_account_info(),
                base_amount,
            )?;
        }
        Ok(())
    }

    fn pay_out(&self, tranche_amount: u64, base_amount: u64) -> Result<()> {
        if tranche_amount > 0 {
            token_moves::pool_transfer(
                &self.pool,
                self.token_program.key(),
                &self.tranche_vault,
                &self.tranche_mint,
                self.user_tranche.to_account_info(),
                tranche_amount,
            )?;
        }
        if base_amount > 0 {
            token_moves::pool_transfer(
                &self.pool,
                self.base_token_program.key(),
                &self.base_vault,
                &self.base_mint,
                self.user_base.to_account_info(),
                base_amount,
            )?;
        }
        Ok(())
    }

    /// Re-reads the vaults: k must not fall, nor (when `supply_before` is given) an LP
    /// share's value.
    fn check_after(&mut self, before: (u64, u64), supply_before: Option<u64>) -> Result<(u64, u64)> {
        self.reload()?;
        let after = self.reserves()?;
        let k_held = after.0 as u128 * after.1 as u128 >= before.0 as u128 * before.1 as u128;
        let share_held = supply_before
            .is_none_or(|s| s == 0 || share_value_held(before.0, before.1, s, after.0, after.1, self.amm.lp_supply));
        require!(k_held || supply_before.is_some(), SluiceError::AmmInvariantViolated);
        require!(share_held, SluiceError::AmmInvariantViolated);
        require!(
            self.lp_mint.supply + MIN_LIQUIDITY.min(self.amm.lp_supply) == self.amm.lp_supply,
            SluiceError::InvariantViolated
        );
        self.amm.invariant()?;
        Ok(after)
    }

    fn emit_liquidity(&self, lp: i64, tranche_amount: u64, base_amount: u64) {
        crate::events::emit(LiquidityChanged {
            amm: self.amm.key(),
            provider: self.user.key(),
            lp_delta: lp,
            tranche_amount,
            base_amount,
            lp_supply: self.amm.lp_supply,
        });
    }

    pub fn add_liquidity(ctx: Context<Self>, lp: u64, max_tranche: u64, max_base: u64) -> Result<()> {
        let a = ctx.accounts;
        a.check_member(Clock::get()?.unix_timestamp)?;
        let user_lp = a.user_lp.as_ref().ok_or(SluiceError::WrongAccount)?.to_account_info();
        let before = a.reserves()?;
        let supply = a.amm.lp_supply;
        let (tranche_in, base_in, minted) = if supply == 0 {
            require!(max_tranche > 0 && max_base > 0, SluiceError::ZeroAmount);
            let minted = first_deposit_lp(max_tranche, max_base).ok_or(SluiceError::ZeroAmount)?;
            require!(minted >= lp, SluiceError::SlippageExceeded);
            (max_tranche, max_base, minted)
        } else {
            require!(lp > 0, SluiceError::ZeroAmount);
            let (x, y) = deposit_for_lp(lp, supply, before.0, before.1).ok_or(SluiceError::MathOverflow)?;
            require!(x <= max_tranche && y <= max_base, SluiceError::SlippageExceeded);
            (x, y, lp)
        };
        a.pay_in(tranche_in, base_in)?;
        token_moves::pool_mint(&a.pool, a.token_program.key(), &a.lp_mint, user_lp, minted)?;
        a.amm.lp_supply += if supply == 0 { minted + MIN_LIQUIDITY } else { minted };
        let after = a.check_after(before, Some(supply))?;
        let now = Clock::get()?.unix_timestamp;
        a.amm.observe(now, price_e12(after.0, after.1).unwrap_or(0));
        a.emit_liquidity(minted as i64, tranche_in, base_in);
        Ok(())
    }

    pub fn remove_liquidity(ctx: Context<Self>, lp: u64, min_tranche: u64, min_base: u64) -> Result<()> {
        let a = ctx.accounts;
        a.check_member(Clock::get()?.unix_timestamp)?;
        require!(lp > 0, SluiceError::ZeroAmount);
        let user_lp = a.user_lp.as_ref().ok_or(SluiceError::WrongAccount)?;
        let before = a.reserves()?;
        let supply = a.amm.lp_supply;
        let (x, y) = withdraw_for_lp(lp, supply, before.0, before.1).ok_or(SluiceError::EmptyAmm)?;
        require!(x >= min_tranche && y >= min_base, SluiceError::SlippageExceeded);
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
        a.amm.lp_supply -= lp;
        let after = a.check_after(before, Some(supply))?;
        let now = Clock::get()?.unix_timestamp;
        a.amm.observe(now, price_e12(after.0, after.1).unwrap_or(0));
        a.emit_liquidity(-(lp as i64), x, y);
        Ok(())
    }

    pub fn swap(ctx: Context<Self>, args: SwapArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        require!(now <= args.deadline, SluiceError::DeadlinePassed);
        require!(args.amount_in > 0, SluiceError::ZeroAmount);
        a.check_member(now)?;
        let before = a.reserves()?;
        require!(before.0 > 0 && before.1 > 0, SluiceError::EmptyAmm);
        let p = a.amm.params;
        let stage = a.pool.stage;
        let tranche = a.pool.tranches[a.amm.tranche as usize];
        let nav_price = tranche.price_e12;
        let q = quote(before.0, before.1, args.buy_tranche, args.amount_in, nav_price, p.fees(stage))
            .ok_or(SluiceError::EmptyAmm)?;
        let s = Swap { amount_out: q.amount_out, fee: q.fee };
        require!(s.amount_out > 0 && s.amount_out >= args.min_out, SluiceError::SlippageExceeded);
        if stage == Stage::Crisis {
            require!(q.deviation_bps <= p.crisis_band_bps as u64, SluiceError::CrisisBandExceeded);
        }

        if args.buy_tranche {
            a.pay_in(0, args.amount_in)?;
            a.pay_out(s.amount_out, 0)?;
        } else {
            a.pay_in(args.amount_in, 0)?;
            a.pay_out(0, s.amount_out)?;
        }
        // Fee shares leave the curve, in the input token.
        a.amm.set_aside_fee(s.fee, args.buy_tranche);
        a.amm.record_volume(now, if args.buy_tranche { args.amount_in } else { s.amount_out });
        let after = a.check_after(before, None)?;
        let price = a.amm.after_trade(now, after, p.fees(stage), tranche.value);
        crate::events::emit(Swapped {
            amm: a.amm.key(),
            trader: a.user.key(),
            buy_tranche: args.buy_tranche,
            amount_in: args.amount_in,
            amount_out: s.amount_out,
            fee: s.fee,
            fee_bps: q.fee_bps,
            price_e12: price,
            nav_price_e12: nav_price,
            deviation_bps: q.deviation_bps,
            liquidity: a.amm.liquidity,
        });
        Ok(())
    }
}

/// Specification: `reserve_buyback` (permissionless crank)
/// - When the market price is more than `buyback_trigger_bps` below the tranche's NAV price
///   (NAV fresh, `NavStale` otherwise), the buy-back reserve buys tranche tokens on the
///   market until the price is back at the trigger level or the reserve's budget for the
///   24 h window is spent. The budget is the pool's, not the market's: `buyback_budget_bps`
///   of the reserve's balance when the window opened, shared by all of the pool's markets.
/// - Not against a price someone has just pushed up: the spot price must be at or below
///   the market's time-weighted price, and that too below the trigger level. Buying first
///   and selling back after the reserve (a sandwich) then finds nothing to buy, and a market
///   without an hour of history is not bought on.
/// - Bought tokens go to the tranche escrow as the reserve's, to be resold to depositors or
///   redeemed when cash returns. Nothing to do (price at or above the trigger, or above its
///   time-weighted price, or no budget left): `NothingToProcess`. Paused: `PoolPaused`. The
///   trade pays the market's fees like any other.
#[derive(Accounts)]
pub struct MarketReserve<'info> {
    #[account(
        mut,
        has_one = base_mint @ SluiceError::WrongAccount,
        has_one = reserve_vault @ SluiceError::WrongAccount,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        has_one = pool @ SluiceError::WrongAccount,
        has_one = tranche_vault @ SluiceError::WrongAccount,
        has_one = base_vault @ SluiceError::WrongAccount,
    )]
    pub amm: Box<Account<'info, Amm>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(constraint = pool.tranches[amm.tranche as usize].mint == tranche_mint.key() @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut)]
    pub tranche_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub base_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub reserve_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = escrow.key() == pool.tranches[amm.tranche as usize].escrow @ SluiceError::RedemptionNotReady)]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    /// For `sweep_market_fees`: the pool authority's token accounts that receive the
    /// protocol's fee shares.
    #[account(mut, constraint = protocol_base.owner == pool.authority && protocol_base.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub protocol_base: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    #[account(mut, constraint = protocol_tranche.owner == pool.authority && protocol_tranche.mint == tranche_mint.key() @ SluiceError::WrongAccount)]
    pub protocol_tranche: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == pool.base_token_program @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

/// What `reserve_buyback` would do now on a market with curve reserves `reserves`.
#[derive(Clone, Copy, Debug)]
pub struct BuybackPlan {
    /// Base tokens the reserve pays in, and the trade's quote.
    pub spend: u64,
    pub quote: crate::math::amm::Quote,
    /// The 24 h budget window starts anew with this call, with this budget.
    pub new_window: bool,
    pub budget: u64,
}

/// The buy-back `reserve_buyback` would make, or the error it would give (`EmptyAmm`,
/// `NothingToProcess`). Public so keepers decide with the program's own rule.
pub fn plan_buyback(pool: &Pool, amm: &Amm, reserves: (u64, u64), now: i64) -> Result<BuybackPlan> {
    let i = amm.tranche as usize;
    let p = amm.params;
    require!(reserves.0 > 0 && reserves.1 > 0, SluiceError::EmptyAmm);
    let nav_price = pool.tranches[i].price_e12;
    let target = (nav_price as u128 * (BPS - p.buyback_trigger_bps as u32) as u128 / BPS as u128) as u64;
    let price = price_e12(reserves.0, reserves.1).ok_or(SluiceError::EmptyAmm)?;
    let twap = amm.twap_e12(now).ok_or(SluiceError::NothingToProcess)?;
    require!(price < target && twap < target && price <= twap, SluiceError::NothingToProcess);

    let new_window = now >= pool.buyback_window_start.saturating_add(SECONDS_PER_DAY);
    let (budget, spent) = if new_window {
        ((pool.reserve_balance as u128 * p.buyback_budget_bps as u128 / BPS as u128) as u64, 0)
    } else {
        (pool.buyback_budget, pool.buyback_spent)
    };
    // Never the reserve an open batch has planned to spend on queued tokens.
    let left = budget.saturating_sub(spent).min(pool.reserve_balance.saturating_sub(pool.batch_reserved_reserve()));
    // Gross up the curve's input for the fee so the price lands at the target.
    let fees = p.fees(pool.stage);
    let net = base_to_lift_price(reserves.0, reserves.1, target);
    require!(net > 0, SluiceError::NothingToProcess);
    let probe = quote(reserves.0, reserves.1, true, net, nav_price, fees).ok_or(SluiceError::EmptyAmm)?;
    let gross = (net as u128 * BPS as u128 / (BPS - probe.fee_bps) as u128) as u64;
    let spend = gross.min(left);
    require!(spend > 0, SluiceError::NothingToProcess);
    let q = quote(reserves.0, reserves.1, true, spend, nav_price, fees).ok_or(SluiceError::EmptyAmm)?;
    require!(q.amount_out > 0, SluiceError::NothingToProcess);
    Ok(BuybackPlan { spend, quote: q, new_window, budget })
}

impl MarketReserve<'_> {
    pub fn reserve_buyback(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        require!(!a.pool.paused, SluiceError::PoolPaused);
        require!(a.pool.nav_is_fresh(now), SluiceError::NavStale);
        let i = a.amm.tranche as usize;
        let p = a.amm.params;
        let stage = a.pool.stage;
        let before = a.amm.reserves(a.tranche_vault.amount, a.base_vault.amount)?;
        let nav_price = a.pool.tranches[i].price_e12;
        let plan = plan_buyback(&a.pool, &a.amm, before, now)?;
        let (spend, q, fees) = (plan.spend, plan.quote, p.fees(stage));
        if plan.new_window {
            a.pool.buyback_window_start = now;
            a.pool.buyback_budget = plan.budget;
            a.pool.buyback_spent = 0;
        }

        token_moves::pool_transfer(
            &a.pool,
            a.base_token_program.key(),
            &a.reserve_vault,
            &a.base_mint,
            a.base_vault.to_account_info(),
            spend,
        )?;
        token_moves::pool_transfer(
            &a.pool,
            a.token_program.key(),
            &a.tranche_vault,
            &a.tranche_mint,
            a.escrow.to_account_info(),
            q.amount_out,
        )?;

        a.amm.set_aside_fee(q.fee, true);
        a.amm.record_volume(now, spend);
        let pool = &mut a.pool;
        pool.buyback_spent += spend;
        pool.reserve_balance -= spend;
        pool.tranches[i].reserve_tokens += q.amount_out;

        a.tranche_vault.reload()?;
        a.base_vault.reload()?;
        a.escrow.reload()?;
        let after = a.amm.reserves(a.tranche_vault.amount, a.base_vault.amount)?;
        require!(
            after.0 as u128 * after.1 as u128 >= before.0 as u128 * before.1 as u128,
            SluiceError::AmmInvariantViolated
        );
        a.pool.check_escrow(i, a.escrow.amount)?;
        a.pool.invariant()?;
        a.amm.invariant()?;
        let price = a.amm.after_trade(now, after, fees, a.pool.tranches[i].value);
        super::reserve::attest(a.pool.key(), &a.pool, now);
        crate::events::emit(Swapped {
            amm: a.amm.key(),
            trader: a.reserve_vault.key(),
            buy_tranche: true,
            amount_in: spend,
            amount_out: q.amount_out,
            fee: q.fee,
            fee_bps: q.fee_bps,
            price_e12: price,
            nav_price_e12: nav_price,
            deviation_bps: q.deviation_bps,
            liquidity: a.amm.liquidity,
        });
        Ok(())
    }
}

/// Specification: `sweep_market_fees` (anyone; the `MarketReserve` accounts)
/// - Moves the fee shares a market has set aside: the reserve's base tokens into the reserve
///   vault (the reserve's balance grows) and its tranche tokens into the tranche escrow as
///   the reserve's tokens; the protocol's shares to token accounts of the pool authority.
///   Nothing set aside: `NothingToProcess`. Emits `ReserveAttested`.
impl MarketReserve<'_> {
    pub fn sweep_market_fees(ctx: Context<Self>) -> Result<()> {
        let a = ctx.accounts;
        let amm = &a.amm;
        require!(amm.set_aside_base() > 0 || amm.set_aside_tranche() > 0, SluiceError::NothingToProcess);
        let (rb, rt, pb, pt) =
            (amm.reserve_fees_base, amm.reserve_fees_tranche, amm.protocol_fees_base, amm.protocol_fees_tranche);
        let protocol_base = a.protocol_base.as_ref().ok_or(SluiceError::WrongAccount)?.to_account_info();
        let protocol_tranche = a.protocol_tranche.as_ref().ok_or(SluiceError::WrongAccount)?.to_account_info();
        let moves = [
            (a.base_token_program.key(), &a.base_vault, &a.base_mint, a.reserve_vault.to_account_info(), rb),
            (a.token_program.key(), &a.tranche_vault, &a.tranche_mint, a.escrow.to_account_info(), rt),
            (a.base_token_program.key(), &a.base_vault, &a.base_mint, protocol_base, pb),
            (a.token_program.key(), &a.tranche_vault, &a.tranche_mint, protocol_tranche, pt),
        ];
        for (program, from, mint, to, amount) in moves {
            if amount > 0 {
                token_moves::pool_transfer(&a.pool, program, from, mint, to, amount)?;
            }
        }
        let amm = &mut a.amm;
        amm.reserve_fees_base = 0;
        amm.reserve_fees_tranche = 0;
        amm.protocol_fees_base = 0;
        amm.protocol_fees_tranche = 0;
        let i = amm.tranche as usize;
        let pool = &mut a.pool;
        pool.reserve_balance += rb;
        pool.tranches[i].reserve_tokens += rt;
        a.escrow.reload()?;
        a.reserve_vault.reload()?;
        a.pool.check_escrow(i, a.escrow.amount)?;
        require!(a.reserve_vault.amount >= a.pool.reserve_balance, SluiceError::InvariantViolated);
        a.pool.invariant()?;
        a.amm.invariant()?;
        super::reserve::attest(a.pool.key(), &a.pool, Clock::get()?.unix_timestamp);
        Ok(())
    }
}
