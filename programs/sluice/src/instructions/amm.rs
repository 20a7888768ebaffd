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
use anchor_spl::token::{self, Burn, Mint, Token, TokenAccount};

use super::token_moves;
use crate::error::SluiceError;
use crate::events::{LiquidityChanged, Swapped};
use crate::math::amm::{
    deposit_for_lp, deviation_bps, first_deposit_lp, price_e12, share_value_held, swap_exact_in, withdraw_for_lp,
    MIN_LIQUIDITY,
};
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::state::*;

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct CreateAmm<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ SluiceError::NotAuthority, has_one = base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(init, payer = authority, space = 8 + Amm::INIT_SPACE, seeds = [Amm::SEED, pool.key().as_ref(), &[tranche]], bump)]
    pub amm: Box<Account<'info, Amm>>,
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(constraint = pool.active_tranches().get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key()) @ SluiceError::UnknownTranche)]
    pub tranche_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"amm_lp", amm.key().as_ref()], bump, mint::decimals = base_mint.decimals, mint::authority = pool)]
    pub lp_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"amm_tranche", amm.key().as_ref()], bump, token::mint = tranche_mint, token::authority = pool)]
    pub tranche_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = authority, seeds = [b"amm_base", amm.key().as_ref()], bump, token::mint = base_mint, token::authority = pool)]
    pub base_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
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
            set_aside_tranche: 0,
            set_aside_base: 0,
            reserve_fees_base: 0,
            reserve_fees_tranche: 0,
            protocol_fees_base: 0,
            protocol_fees_tranche: 0,
            price_cumulative: 0,
            last_observation: 0,
            last_price_e12: 0,
            window_start: 0,
            window_volume: 0,
            last_window_volume: 0,
            bump: ctx.bumps.amm,
        });
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
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(constraint = pool.tranches[amm.tranche as usize].mint == tranche_mint.key() @ SluiceError::WrongAccount)]
    pub tranche_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub lp_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub tranche_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub base_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = user_tranche.mint == tranche_mint.key() && user_tranche.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_tranche: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = user_base.mint == base_mint.key() && user_base.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_base: Box<Account<'info, TokenAccount>>,
    /// Needed for liquidity changes only.
    #[account(mut, constraint = user_lp.mint == lp_mint.key() && user_lp.owner == user.key() @ SluiceError::WrongAccount)]
    pub user_lp: Option<Box<Account<'info, TokenAccount>>>,
    /// The user's member record in a permissioned pool.
    /// CHECK: verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token>,
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
        Member::require_live(self.pool.params.permissioned, &self.pool.key(), member.as_ref(), &self.user.key(), now)
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
                &self.token_program,
                user.clone(),
                &self.user_tranche,
                &self.tranche_mint,
                self.tranche_vault.to_account_info(),
                tranche_amount,
            )?;
        }
        if base_amount > 0 {
            token_moves::user_transfer(
                &self.token_program,
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
                &self.token_program,
                &self.tranche_vault,
                &self.tranche_mint,
                self.user_tranche.to_account_info(),
                tranche_amount,
            )?;
        }
        if base_amount > 0 {
            token_moves::pool_transfer(
                &self.pool,
                &self.token_program,
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
        emit!(LiquidityChanged {
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
        token_moves::pool_mint(&a.pool, &a.token_program, &a.lp_mint, user_lp, minted)?;
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
        let (r_in, r_out) = if args.buy_tranche { (before.1, before.0) } else { (before.0, before.1) };
        let p = a.amm.params;
        let stage = a.pool.stage;
        let nav_price = a.pool.tranches[a.amm.tranche as usize].price_e12;

        // Post-trade price at the base fee decides the band fee; the final fee adds it.
        let post_price = |out: u64| {
            let (x, y) = if args.buy_tranche {
                (before.0 - out, before.1 + args.amount_in)
            } else {
                (before.0 + args.amount_in, before.1 - out)
            };
            price_e12(x, y)
        };
        let probe = swap_exact_in(r_in, r_out, args.amount_in, p.base_fee_bps as u32).ok_or(SluiceError::EmptyAmm)?;
        let deviation =
            deviation_bps(post_price(probe.amount_out).ok_or(SluiceError::EmptyAmm)?, nav_price).unwrap_or(0);
        let band = (deviation * p.band_fee_bps_per_pct as u64 / 100).min(p.band_fee_cap_bps as u64) as u32;
        let surcharge = if stage == Stage::Normal { 0 } else { p.stage_surcharge_bps as u32 };
        let fee_bps = p.base_fee_bps as u32 + band + surcharge;
        let s = swap_exact_in(r_in, r_out, args.amount_in, fee_bps).ok_or(SluiceError::EmptyAmm)?;
        require!(s.amount_out > 0 && s.amount_out >= args.min_out, SluiceError::SlippageExceeded);
        let new_price = post_price(s.amount_out).ok_or(SluiceError::EmptyAmm)?;
        let final_deviation = deviation_bps(new_price, nav_price).unwrap_or(0);
        if stage == Stage::Crisis {
            require!(final_deviation <= p.crisis_band_bps as u64, SluiceError::CrisisBandExceeded);
        }

        if args.buy_tranche {
            a.pay_in(0, args.amount_in)?;
            a.pay_out(s.amount_out, 0)?;
        } else {
            a.pay_in(args.amount_in, 0)?;
            a.pay_out(0, s.amount_out)?;
        }
        // Fee shares leave the curve: set aside in the input token.
        let to_reserve = (s.fee as u128 * p.reserve_share_bps as u128 / BPS as u128) as u64;
        let to_protocol = (s.fee as u128 * p.protocol_share_bps as u128 / BPS as u128) as u64;
        let amm = &mut a.amm;
        if args.buy_tranche {
            amm.reserve_fees_base += to_reserve;
            amm.protocol_fees_base += to_protocol;
            amm.set_aside_base += to_reserve + to_protocol;
        } else {
            amm.reserve_fees_tranche += to_reserve;
            amm.protocol_fees_tranche += to_protocol;
            amm.set_aside_tranche += to_reserve + to_protocol;
        }
        let volume = if args.buy_tranche { args.amount_in } else { s.amount_out };
        if now >= amm.window_start + SECONDS_PER_DAY {
            amm.last_window_volume = amm.window_volume;
            amm.window_start = now;
            amm.window_volume = 0;
        }
        amm.window_volume = amm.window_volume.saturating_add(volume);
        let after = a.check_after(before, None)?;
        let price = price_e12(after.0, after.1).unwrap_or(0);
        a.amm.observe(now, price);
        emit!(Swapped {
            amm: a.amm.key(),
            trader: a.user.key(),
            buy_tranche: args.buy_tranche,
            amount_in: args.amount_in,
            amount_out: s.amount_out,
            fee: s.fee,
            fee_bps,
            price_e12: price,
            nav_price_e12: nav_price,
            deviation_bps: final_deviation,
        });
        Ok(())
    }
}
