//! Specification: `exchange_in` / `exchange_out` (`docs/basket.md`)
//! - `exchange_in(args)`: a holder gives `tokens` of constituent `index` and receives basket
//!   tokens = value at the tranche's NAV × (1 − haircut) ÷ basket price, floored (par for an
//!   empty basket). Remaining accounts: every constituent's pool, in order, then the queue
//!   of each of the basket's open requests, in order (`ConstituentPoolsMissing`); each pool
//!   with a fresh NAV (`NavStale`): the price is never computed from old numbers. Refused:
//!   paused basket (`BasketPaused`), unknown or disabled constituent (`UnknownConstituent`,
//!   `ConstituentDisabled`), its pool paused (`PoolPaused`) or in Crisis (`WrongStage`), a
//!   non-member where the pool requires membership (`NotMember`, `MembershipExpired`), the
//!   cap crossed (`ConcentrationCapExceeded`), fewer tokens than `min_out`
//!   (`SlippageExceeded`), nothing to give or receive (`ZeroAmount`), a basket with tokens
//!   but no value (`BasketWorthless`). The haircut stays in the basket.
//! - `exchange_out(args)`: burns basket tokens for a pro-rata, in-kind slice of every
//!   constituent and of the sleeve, each floored; needs no price and no cash, works while
//!   paused. A constituent's slice counts the tokens of the basket's open request in it
//!   and is paid from the vault; the sleeve's slice counts the requests' uncollected cash
//!   and is paid from the sleeve; where the vault or sleeve cannot pay the slice
//!   (`InFlightShortfall`) the holder exchanges fewer or waits for `rebalance` to collect.
//!   Remaining accounts: for each constituent, its vault, its mint and the destination;
//!   then the queue of each open request. Each slice at least its `min_outs` entry (the
//!   last one is the sleeve's) (`SlippageExceeded`).
//! - After every change: vaults hold at least what the basket accounts for, the mint's
//!   supply equals the basket's, `Basket::invariant`; `BasketAttested` is emitted.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{self as token, Burn, Mint, MintTo, TokenAccount, TokenInterface, TransferChecked};

use super::{attest_basket, basket_value, constituent_value, read_in_flight, read_priced};
use crate::error::SluiceError;
use crate::math::basket::{holding_value, share_out, tokens_for_exchange_in};
use crate::math::time::BPS;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ExchangeInArgs {
    pub index: u8,
    pub tokens: u64,
    pub min_out: u64,
}

#[derive(Accounts)]
#[instruction(args: ExchangeInArgs)]
pub struct ExchangeIn<'info> {
    pub holder: Signer<'info>,
    #[account(mut, has_one = mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(mut)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(constraint = basket.active().get(args.index as usize).map(|c| c.mint) == Some(tranche_mint.key()) @ SluiceError::UnknownConstituent)]
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, constraint = basket.active().get(args.index as usize).map(|c| c.vault) == Some(vault.key()) @ SluiceError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = holder_tranche.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = holder_tranche.owner == holder.key() @ SluiceError::WrongAccount,
    )]
    pub holder_tranche: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = holder_basket.mint == mint.key() @ SluiceError::WrongAccount)]
    pub holder_basket: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The holder's member record, where the constituent's pool requires membership.
    /// CHECK: verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token2022>,
}

/// What `exchange_in` of `tokens` of constituent `index` would mint now, with the basket's
/// values; or the error it would give (all but membership, which needs the holder's
/// record). `pools` are the constituents' pools in order. Public so clients preview with the
/// program's own rule.
pub fn plan_exchange_in(
    basket: &Basket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    index: u8,
    tokens: u64,
    now: i64,
) -> Result<(u64, [u64; MAX_CONSTITUENTS])> {
    let i = index as usize;
    require!(!basket.paused, SluiceError::BasketPaused);
    let c = *basket.active().get(i).ok_or(SluiceError::UnknownConstituent)?;
    require!(c.enabled, SluiceError::ConstituentDisabled);
    require!(tokens > 0, SluiceError::ZeroAmount);
    let (value, values) = basket_value(basket, pools, flights, now)?;
    let pool = &pools[i];
    require!(!pool.paused, SluiceError::PoolPaused);
    require!(pool.stage != Stage::Crisis, SluiceError::WrongStage);
    let t = pool.tranches[c.tranche as usize];
    let value_in = holding_value(tokens, t.value, t.supply);
    let out =
        tokens_for_exchange_in(value_in, c.haircut_bps, value, basket.supply).ok_or(SluiceError::BasketWorthless)?;
    require!(value_in > 0 && out > 0, SluiceError::ZeroAmount);
    let value_after = value as u128 + value_in as u128;
    let share_after = (values[i] as u128 + value_in as u128) * BPS as u128;
    require!(share_after <= c.cap_bps as u128 * value_after, SluiceError::ConcentrationCapExceeded);
    Ok((out, values))
}

/// The in-kind slices `exchange_out` of `tokens` pays: one per constituent, then the sleeve;
/// each counts what the basket has in flight there (`InFlightShortfall` when the vault or
/// the sleeve cannot pay it now).
pub fn plan_exchange_out(basket: &Basket, flights: &[InFlight; MAX_CONSTITUENTS], tokens: u64) -> Result<Vec<u64>> {
    let supply = basket.supply;
    let mut slices = Vec::with_capacity(basket.active().len() + 1);
    let mut cash = basket.sleeve_balance;
    for (c, f) in basket.active().iter().zip(flights) {
        let slice = share_out(c.held.saturating_add(f.tokens), tokens, supply);
        require!(slice <= c.held, SluiceError::InFlightShortfall);
        slices.push(slice);
        cash = cash.saturating_add(f.cash);
    }
    let sleeve = share_out(cash, tokens, supply);
    require!(sleeve <= basket.sleeve_balance, SluiceError::InFlightShortfall);
    slices.push(sleeve);
    Ok(slices)
}

impl ExchangeIn<'_> {
    pub fn exchange_in(ctx: Context<Self>, args: ExchangeInArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        let i = args.index as usize;
        let (pools, flights) = read_priced(&a.basket, &a.basket.key(), ctx.remaining_accounts)?;
        let (out, mut values) = plan_exchange_in(&a.basket, &pools, &flights, args.index, args.tokens, now)?;
        let c = a.basket.constituents[i];
        let member = a.member.as_ref().map(|m| m.to_account_info());
        Member::require_live(pools[i].params.permissioned, &c.pool, member.as_ref(), &a.holder.key(), now)?;
        require!(!a.holder_tranche.is_frozen(), SluiceError::TrancheAccountFrozen);
        require!(out >= args.min_out, SluiceError::SlippageExceeded);

        token::transfer_checked(
            CpiContext::new(
                a.token_program.key(),
                TransferChecked {
                    from: a.holder_tranche.to_account_info(),
                    mint: a.tranche_mint.to_account_info(),
                    to: a.vault.to_account_info(),
                    authority: a.holder.to_account_info(),
                },
            ),
            args.tokens,
            a.tranche_mint.decimals,
        )?;
        a.basket.with_signer(|signer| {
            token::mint_to(
                CpiContext::new_with_signer(
                    a.token_program.key(),
                    MintTo {
                        mint: a.mint.to_account_info(),
                        to: a.holder_basket.to_account_info(),
                        authority: a.basket.to_account_info(),
                    },
                    signer,
                ),
                out,
            )
        })?;

        let basket = &mut a.basket;
        basket.constituents[i].held = c.held.checked_add(args.tokens).ok_or(SluiceError::MathOverflow)?;
        basket.supply = basket.supply.checked_add(out).ok_or(SluiceError::MathOverflow)?;
        values[i] = constituent_value(&basket.constituents[i], &pools[i], &flights[i]);
        a.vault.reload()?;
        a.mint.reload()?;
        require!(a.vault.amount >= a.basket.constituents[i].held, SluiceError::InvariantViolated);
        require!(a.mint.supply == a.basket.supply, SluiceError::InvariantViolated);
        a.basket.invariant()?;
        let total = values.iter().map(|v| *v as u128).sum::<u128>() + a.basket.sleeve_balance as u128;
        attest_basket(a.basket.key(), &a.basket, &flights, values, total.min(u64::MAX as u128) as u64, now);
        Ok(())
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ExchangeOutArgs {
    pub tokens: u64,
    /// Least acceptable slice per constituent, in order, then the sleeve's.
    pub min_outs: Vec<u64>,
}

/// The accounts of both exits that burn basket tokens: `exchange_out` and `redeem_basket`.
#[derive(Accounts)]
pub struct BasketExit<'info> {
    pub holder: Signer<'info>,
    #[account(mut, has_one = mint @ SluiceError::WrongAccount, has_one = sleeve @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(mut)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mut,
        constraint = holder_basket.mint == mint.key() @ SluiceError::WrongAccount,
        constraint = holder_basket.owner == holder.key() @ SluiceError::WrongAccount,
    )]
    pub holder_basket: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub sleeve: Box<InterfaceAccount<'info, TokenAccount>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, constraint = holder_base.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub holder_base: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
}

impl<'info> BasketExit<'info> {
    /// Moves `amount` out of a basket-owned account.
    pub(super) fn pay(
        &self,
        program: Pubkey,
        from: AccountInfo<'info>,
        mint: AccountInfo<'info>,
        to: AccountInfo<'info>,
        amount: u64,
        decimals: u8,
    ) -> Result<()> {
        self.basket.with_signer(|signer| {
            token::transfer_checked(
                CpiContext::new_with_signer(
                    program,
                    TransferChecked { from, mint, to, authority: self.basket.to_account_info() },
                    signer,
                ),
                amount,
                decimals,
            )
        })
    }

    /// Pays `amount` base tokens from the sleeve to the holder.
    pub(super) fn pay_from_sleeve(&self, amount: u64) -> Result<()> {
        let decimals = self.base_mint.decimals;
        self.pay(
            self.base_token_program.key(),
            self.sleeve.to_account_info(),
            self.base_mint.to_account_info(),
            self.holder_base.to_account_info(),
            amount,
            decimals,
        )
    }

    /// Burns the holder's `tokens` basket tokens.
    pub(super) fn burn(&self, tokens: u64) -> Result<()> {
        token::burn(
            CpiContext::new(
                self.token_program.key(),
                Burn {
                    mint: self.mint.to_account_info(),
                    from: self.holder_basket.to_account_info(),
                    authority: self.holder.to_account_info(),
                },
            ),
            tokens,
        )
    }

    /// After an exit: the mint's supply is the basket's, the sleeve holds its balance.
    pub(super) fn check_books(&mut self) -> Result<()> {
        self.mint.reload()?;
        self.sleeve.reload()?;
        require!(self.mint.supply == self.basket.supply, SluiceError::InvariantViolated);
        require!(self.sleeve.amount >= self.basket.sleeve_balance, SluiceError::InvariantViolated);
        Ok(())
    }

    pub fn exchange_out(ctx: Context<'info, Self>, args: ExchangeOutArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        a.basket.sync_supply(a.mint.supply)?;
        let n = a.basket.constituent_count as usize;
        require!(args.tokens > 0, SluiceError::ZeroAmount);
        require!(args.min_outs.len() == n + 1, SluiceError::InvalidParams);
        require!(ctx.remaining_accounts.len() >= 3 * n, SluiceError::ConstituentPoolsMissing);
        require!(args.tokens <= a.basket.supply, SluiceError::ZeroAmount);
        let (triples, queues) = ctx.remaining_accounts.split_at(3 * n);
        let flights = read_in_flight(&a.basket, &a.basket.key(), queues)?;
        let slices = plan_exchange_out(&a.basket, &flights, args.tokens)?;
        let sleeve_out = slices[n];
        require!(sleeve_out >= args.min_outs[n], SluiceError::SlippageExceeded);

        a.burn(args.tokens)?;
        for (j, accounts) in triples.chunks(3).enumerate() {
            let c = a.basket.constituents[j];
            let (vault, mint, to) = (&accounts[0], &accounts[1], &accounts[2]);
            require!(vault.key() == c.vault && mint.key() == c.mint, SluiceError::WrongAccount);
            let out = slices[j];
            require!(out >= args.min_outs[j], SluiceError::SlippageExceeded);
            if out > 0 {
                // A frozen destination (a non-member's, in a permissioned pool) is named, not
                // left to fail inside the token program.
                let destination = TokenAccount::try_deserialize(&mut &to.try_borrow_data()?[..])?;
                require!(!destination.is_frozen(), SluiceError::TrancheAccountFrozen);
                let decimals = Mint::try_deserialize(&mut &mint.try_borrow_data()?[..])?.decimals;
                a.pay(a.token_program.key(), vault.clone(), mint.clone(), to.clone(), out, decimals)?;
                a.basket.constituents[j].held -= out;
            }
        }
        if sleeve_out > 0 {
            a.pay_from_sleeve(sleeve_out)?;
        }
        let basket = &mut a.basket;
        basket.sleeve_balance -= sleeve_out;
        basket.supply -= args.tokens;
        a.check_books()?;
        for (j, accounts) in triples.chunks(3).enumerate() {
            let vault = TokenAccount::try_deserialize(&mut &accounts[0].try_borrow_data()?[..])?;
            require!(vault.amount >= a.basket.constituents[j].held, SluiceError::InvariantViolated);
        }
        a.basket.invariant()?;
        attest_basket(a.basket.key(), &a.basket, &flights, [0; MAX_CONSTITUENTS], 0, now);
        Ok(())
    }
}
