//! Specification: the value-anchored basket (`docs/basket.md`)
//! - `create_basket(args)`: the signer becomes its authority; creates the basket
//!   `["basket", creator, basket_id]`, its token mint `["basket_mint", basket]` (the base
//!   token's decimals, authority the basket) and its base-token sleeve `["basket_sleeve",
//!   basket]`.
//! - `add_constituent(args)`: the authority (`NotAuthority`) admits a tranche of a Sluice
//!   pool on the same base token (`WrongAccount`), once (`ConstituentExists`), up to
//!   `MAX_CONSTITUENTS` (`TooManyConstituents`), with a haircut of at most 50 % and a share
//!   cap of 0–100 % of basket value (`InvalidParams`). A junior tranche needs `allow_junior`
//!   and a haircut of at least `MIN_JUNIOR_HAIRCUT_BPS` (`JuniorConstituent`). Creates the
//!   basket's vault for the tranche `["basket_vault", basket, mint]`.
//! - `update_constituent(index, args)`: the authority retunes or disables one, same bounds.
//! - `set_basket_paused(paused)`: the guardian (`NotGuardian`) stops exchanges in; exchanges
//!   out always work.
//! - `exchange_in(args)`: a holder gives `tokens` of constituent `index` and receives basket
//!   tokens = value at the tranche's NAV × (1 − haircut) ÷ basket price, floored (par for an
//!   empty basket). Every constituent's pool follows as a remaining account, in order
//!   (`ConstituentPoolsMissing`), each with a fresh NAV (`NavStale`): the price is never
//!   computed from old numbers. Refused: paused basket (`BasketPaused`), unknown or
//!   disabled constituent (`UnknownConstituent`, `ConstituentDisabled`), its pool paused
//!   (`PoolPaused`) or in Crisis (`WrongStage`), a non-member where the pool requires
//!   membership (`NotMember`, `MembershipExpired`), the cap crossed
//!   (`ConcentrationCapExceeded`), fewer tokens than `min_out` (`SlippageExceeded`), nothing
//!   to give or receive (`ZeroAmount`). The haircut stays in the basket.
//! - `exchange_out(args)`: burns basket tokens for a pro-rata, in-kind slice of every
//!   constituent and of the sleeve, each floored; needs no price and no cash, works while
//!   paused. Remaining accounts: for each constituent, its vault, its mint and the
//!   destination. Each slice at least its `min_outs` entry (the last one is the sleeve's)
//!   (`SlippageExceeded`).
//! - After every change: vaults hold at least what the basket accounts for, the mint's
//!   supply equals the basket's, `Basket::invariant`; `BasketAttested` is emitted.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, Mint, MintTo, Token, TokenAccount, TransferChecked};

use crate::error::SluiceError;
use crate::events::BasketAttested;
use crate::math::basket::{holding_value, share_out, tokens_for_exchange_in};
use crate::math::time::BPS;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateBasketArgs {
    pub basket_id: u64,
    pub guardian: Pubkey,
}

#[derive(Accounts)]
#[instruction(args: CreateBasketArgs)]
pub struct CreateBasket<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        init,
        payer = authority,
        space = 8 + Basket::INIT_SPACE,
        seeds = [Basket::SEED, authority.key().as_ref(), &args.basket_id.to_le_bytes()],
        bump,
    )]
    pub basket: Box<Account<'info, Basket>>,
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_mint", basket.key().as_ref()], bump, mint::decimals = base_mint.decimals, mint::authority = basket)]
    pub basket_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_sleeve", basket.key().as_ref()], bump, token::mint = base_mint, token::authority = basket)]
    pub sleeve: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl CreateBasket<'_> {
    pub fn create_basket(ctx: Context<Self>, args: CreateBasketArgs) -> Result<()> {
        let a = ctx.accounts;
        a.basket.set_inner(Basket {
            creator: a.authority.key(),
            basket_id: args.basket_id,
            authority: a.authority.key(),
            guardian: args.guardian,
            paused: false,
            base_mint: a.base_mint.key(),
            mint: a.basket_mint.key(),
            sleeve: a.sleeve.key(),
            sleeve_balance: 0,
            supply: 0,
            constituent_count: 0,
            constituents: [Constituent::default(); MAX_CONSTITUENTS],
            bump: ctx.bumps.basket,
        });
        a.basket.invariant()
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct ConstituentArgs {
    pub haircut_bps: u16,
    pub cap_bps: u16,
    /// Required (with at least the minimum junior haircut) for a pool's junior tranche.
    pub allow_junior: bool,
    pub enabled: bool,
}

/// The bounds every constituent's terms keep; `junior` for a pool's last tranche.
fn check_terms(args: &ConstituentArgs, junior: bool) -> Result<()> {
    require!(
        args.haircut_bps <= MAX_HAIRCUT_BPS && (1..=BPS).contains(&(args.cap_bps as u32)),
        SluiceError::InvalidParams
    );
    require!(
        !junior || (args.allow_junior && args.haircut_bps >= MIN_JUNIOR_HAIRCUT_BPS),
        SluiceError::JuniorConstituent
    );
    Ok(())
}

#[derive(Accounts)]
#[instruction(tranche: u8)]
pub struct AddConstituent<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(constraint = pool.base_mint == basket.base_mint @ SluiceError::WrongAccount)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        constraint = pool.active_tranches().get(tranche as usize).map(|t| t.mint) == Some(tranche_mint.key())
            @ SluiceError::UnknownTranche,
    )]
    pub tranche_mint: Box<Account<'info, Mint>>,
    /// Created here; `init_if_needed` so that a second admission of the same tranche reads
    /// as `ConstituentExists` (checked by the handler) rather than an account-in-use error.
    #[account(
        init_if_needed,
        payer = authority,
        seeds = [b"basket_vault", basket.key().as_ref(), tranche_mint.key().as_ref()],
        bump,
        token::mint = tranche_mint,
        token::authority = basket,
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl AddConstituent<'_> {
    pub fn add_constituent(ctx: Context<Self>, tranche: u8, args: ConstituentArgs) -> Result<()> {
        let a = ctx.accounts;
        require!(!a.basket.active().iter().any(|c| c.mint == a.tranche_mint.key()), SluiceError::ConstituentExists);
        require!((a.basket.constituent_count as usize) < MAX_CONSTITUENTS, SluiceError::TooManyConstituents);
        check_terms(&args, tranche + 1 == a.pool.tranche_count)?;
        let basket = &mut a.basket;
        let n = basket.constituent_count as usize;
        basket.constituents[n] = Constituent {
            pool: a.pool.key(),
            tranche,
            mint: a.tranche_mint.key(),
            vault: a.vault.key(),
            haircut_bps: args.haircut_bps,
            cap_bps: args.cap_bps,
            enabled: args.enabled,
            held: 0,
        };
        basket.constituent_count += 1;
        basket.invariant()
    }
}

#[derive(Accounts)]
pub struct UpdateConstituent<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub basket: Box<Account<'info, Basket>>,
    /// The constituent's pool, to tell whether it is the junior tranche.
    pub pool: Box<Account<'info, Pool>>,
}

impl UpdateConstituent<'_> {
    pub fn update_constituent(ctx: Context<Self>, index: u8, args: ConstituentArgs) -> Result<()> {
        let a = ctx.accounts;
        let c = *a.basket.active().get(index as usize).ok_or(SluiceError::UnknownConstituent)?;
        require!(c.pool == a.pool.key(), SluiceError::WrongAccount);
        check_terms(&args, c.tranche + 1 == a.pool.tranche_count)?;
        let c = &mut a.basket.constituents[index as usize];
        (c.haircut_bps, c.cap_bps, c.enabled) = (args.haircut_bps, args.cap_bps, args.enabled);
        a.basket.invariant()
    }
}

#[derive(Accounts)]
pub struct SetBasketPaused<'info> {
    pub guardian: Signer<'info>,
    #[account(mut, has_one = guardian @ SluiceError::NotGuardian)]
    pub basket: Box<Account<'info, Basket>>,
}

impl SetBasketPaused<'_> {
    pub fn set_basket_paused(ctx: Context<Self>, paused: bool) -> Result<()> {
        ctx.accounts.basket.paused = paused;
        ctx.accounts.basket.invariant()
    }
}

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
    pub mint: Box<Account<'info, Mint>>,
    #[account(constraint = basket.active().get(args.index as usize).map(|c| c.mint) == Some(tranche_mint.key()) @ SluiceError::UnknownConstituent)]
    pub tranche_mint: Box<Account<'info, Mint>>,
    #[account(mut, constraint = basket.active().get(args.index as usize).map(|c| c.vault) == Some(vault.key()) @ SluiceError::WrongAccount)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = holder_tranche.mint == tranche_mint.key() @ SluiceError::WrongAccount,
        constraint = holder_tranche.owner == holder.key() @ SluiceError::WrongAccount,
    )]
    pub holder_tranche: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = holder_basket.mint == mint.key() @ SluiceError::WrongAccount)]
    pub holder_basket: Box<Account<'info, TokenAccount>>,
    /// The holder's member record, where the constituent's pool requires membership.
    /// CHECK: verified by `Member::require_live`.
    pub member: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token>,
}

/// The basket's value now: sleeve plus every constituent at its pool's fresh NAV, and the
/// constituents' values; `pools` are the constituents' pools in order.
pub fn basket_value(basket: &Basket, pools: &[Pool], now: i64) -> Result<(u64, [u64; MAX_CONSTITUENTS])> {
    require!(pools.len() == basket.active().len(), SluiceError::ConstituentPoolsMissing);
    let mut values = [0u64; MAX_CONSTITUENTS];
    let mut total = basket.sleeve_balance as u128;
    for (j, (c, pool)) in basket.active().iter().zip(pools).enumerate() {
        require!(pool.nav_is_fresh(now), SluiceError::NavStale);
        let t = pool.tranches[c.tranche as usize];
        values[j] = holding_value(c.held, t.value, t.supply);
        total += values[j] as u128;
    }
    Ok((u64::try_from(total).map_err(|_| SluiceError::MathOverflow)?, values))
}

/// Reads the constituents' pools from the remaining accounts, in order.
fn constituent_pools(basket: &Basket, infos: &[AccountInfo]) -> Result<Vec<Pool>> {
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

fn attest(key: Pubkey, basket: &Basket, values: [u64; MAX_CONSTITUENTS], value: u64, now: i64) {
    let mut held = [0u64; MAX_CONSTITUENTS];
    for (h, c) in held.iter_mut().zip(basket.active()) {
        *h = c.held;
    }
    emit!(BasketAttested {
        basket: key,
        supply: basket.supply,
        sleeve: basket.sleeve_balance,
        held,
        values,
        value,
        timestamp: now
    });
}

/// What `exchange_in` of `tokens` of constituent `index` would mint now, with the basket's
/// values; or the error it would give (all but membership, which needs the holder's
/// record). `pools` are the constituents' pools in order. Public so clients preview with the
/// program's own rule.
pub fn plan_exchange_in(
    basket: &Basket,
    pools: &[Pool],
    index: u8,
    tokens: u64,
    now: i64,
) -> Result<(u64, [u64; MAX_CONSTITUENTS])> {
    let i = index as usize;
    require!(!basket.paused, SluiceError::BasketPaused);
    let c = *basket.active().get(i).ok_or(SluiceError::UnknownConstituent)?;
    require!(c.enabled, SluiceError::ConstituentDisabled);
    require!(tokens > 0, SluiceError::ZeroAmount);
    let (value, values) = basket_value(basket, pools, now)?;
    let pool = &pools[i];
    require!(!pool.paused, SluiceError::PoolPaused);
    require!(pool.stage != Stage::Crisis, SluiceError::WrongStage);
    let t = pool.tranches[c.tranche as usize];
    let value_in = holding_value(tokens, t.value, t.supply);
    let out = tokens_for_exchange_in(value_in, c.haircut_bps, value, basket.supply).ok_or(SluiceError::MathOverflow)?;
    require!(value_in > 0 && out > 0, SluiceError::ZeroAmount);
    let value_after = value as u128 + value_in as u128;
    let share_after = (values[i] as u128 + value_in as u128) * BPS as u128;
    require!(share_after <= c.cap_bps as u128 * value_after, SluiceError::ConcentrationCapExceeded);
    Ok((out, values))
}

/// The in-kind slices `exchange_out` of `tokens` pays: one per constituent, then the sleeve.
pub fn plan_exchange_out(basket: &Basket, tokens: u64) -> Vec<u64> {
    let supply = basket.supply;
    basket
        .active()
        .iter()
        .map(|c| share_out(c.held, tokens, supply))
        .chain(std::iter::once(share_out(basket.sleeve_balance, tokens, supply)))
        .collect()
}

impl ExchangeIn<'_> {
    pub fn exchange_in(ctx: Context<Self>, args: ExchangeInArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let i = args.index as usize;
        let pools = constituent_pools(&a.basket, ctx.remaining_accounts)?;
        let (out, mut values) = plan_exchange_in(&a.basket, &pools, args.index, args.tokens, now)?;
        let c = a.basket.constituents[i];
        let member = a.member.as_ref().map(|m| m.to_account_info());
        Member::require_live(pools[i].params.permissioned, &c.pool, member.as_ref(), &a.holder.key(), now)?;
        require!(out >= args.min_out, SluiceError::SlippageExceeded);
        let t = pools[i].tranches[c.tranche as usize];

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
        values[i] = holding_value(basket.constituents[i].held, t.value, t.supply);
        a.vault.reload()?;
        a.mint.reload()?;
        require!(a.vault.amount >= a.basket.constituents[i].held, SluiceError::InvariantViolated);
        require!(a.mint.supply == a.basket.supply, SluiceError::InvariantViolated);
        a.basket.invariant()?;
        let total = values.iter().map(|v| *v as u128).sum::<u128>() + a.basket.sleeve_balance as u128;
        attest(a.basket.key(), &a.basket, values, total.min(u64::MAX as u128) as u64, now);
        Ok(())
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ExchangeOutArgs {
    pub tokens: u64,
    /// Least acceptable slice per constituent, in order, then the sleeve's.
    pub min_outs: Vec<u64>,
}

#[derive(Accounts)]
pub struct ExchangeOut<'info> {
    pub holder: Signer<'info>,
    #[account(mut, has_one = mint @ SluiceError::WrongAccount, has_one = sleeve @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(mut)]
    pub mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = holder_basket.mint == mint.key() @ SluiceError::WrongAccount,
        constraint = holder_basket.owner == holder.key() @ SluiceError::WrongAccount,
    )]
    pub holder_basket: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub sleeve: Box<Account<'info, TokenAccount>>,
    pub base_mint: Box<Account<'info, Mint>>,
    #[account(mut, constraint = holder_base.mint == base_mint.key() @ SluiceError::WrongAccount)]
    pub holder_base: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

impl<'info> ExchangeOut<'info> {
    /// Moves `amount` out of a basket-owned account.
    fn pay(
        &self,
        from: AccountInfo<'info>,
        mint: AccountInfo<'info>,
        to: AccountInfo<'info>,
        amount: u64,
        decimals: u8,
    ) -> Result<()> {
        self.basket.with_signer(|signer| {
            token::transfer_checked(
                CpiContext::new_with_signer(
                    self.token_program.key(),
                    TransferChecked { from, mint, to, authority: self.basket.to_account_info() },
                    signer,
                ),
                amount,
                decimals,
            )
        })
    }

    pub fn exchange_out(ctx: Context<'info, Self>, args: ExchangeOutArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let n = a.basket.constituent_count as usize;
        require!(args.tokens > 0, SluiceError::ZeroAmount);
        require!(args.min_outs.len() == n + 1, SluiceError::InvalidParams);
        require!(ctx.remaining_accounts.len() == 3 * n, SluiceError::ConstituentPoolsMissing);
        require!(args.tokens <= a.basket.supply, SluiceError::ZeroAmount);
        let slices = plan_exchange_out(&a.basket, args.tokens);
        let sleeve_out = slices[n];
        require!(sleeve_out >= args.min_outs[n], SluiceError::SlippageExceeded);

        token::burn(
            CpiContext::new(
                a.token_program.key(),
                Burn {
                    mint: a.mint.to_account_info(),
                    from: a.holder_basket.to_account_info(),
                    authority: a.holder.to_account_info(),
                },
            ),
            args.tokens,
        )?;
        for (j, accounts) in ctx.remaining_accounts.chunks(3).enumerate() {
            let c = a.basket.constituents[j];
            let (vault, mint, to) = (&accounts[0], &accounts[1], &accounts[2]);
            require!(vault.key() == c.vault && mint.key() == c.mint, SluiceError::WrongAccount);
            let out = slices[j];
            require!(out >= args.min_outs[j], SluiceError::SlippageExceeded);
            if out > 0 {
                let decimals = Mint::try_deserialize(&mut &mint.try_borrow_data()?[..])?.decimals;
                a.pay(vault.clone(), mint.clone(), to.clone(), out, decimals)?;
                a.basket.constituents[j].held -= out;
            }
        }
        if sleeve_out > 0 {
            let decimals = a.base_mint.decimals;
            a.pay(
                a.sleeve.to_account_info(),
                a.base_mint.to_account_info(),
                a.holder_base.to_account_info(),
                sleeve_out,
                decimals,
            )?;
        }
        let basket = &mut a.basket;
        basket.sleeve_balance -= sleeve_out;
        basket.supply -= args.tokens;
        a.mint.reload()?;
        a.sleeve.reload()?;
        require!(a.mint.supply == a.basket.supply, SluiceError::InvariantViolated);
        require!(a.sleeve.amount >= a.basket.sleeve_balance, SluiceError::InvariantViolated);
        for (j, accounts) in ctx.remaining_accounts.chunks(3).enumerate() {
            let vault = TokenAccount::try_deserialize(&mut &accounts[0].try_borrow_data()?[..])?;
            require!(vault.amount >= a.basket.constituents[j].held, SluiceError::InvariantViolated);
        }
        a.basket.invariant()?;
        attest(a.basket.key(), &a.basket, [0; MAX_CONSTITUENTS], 0, now);
        Ok(())
    }
}
