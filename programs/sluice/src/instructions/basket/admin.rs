//! Specification: the basket's administration (`docs/basket.md`)
//! - `create_basket(args)`: the signer becomes its authority; creates the basket
//!   `["basket", creator, basket_id]`, its token mint `["basket_mint", basket]` (the base
//!   token's decimals, authority the basket) and its base-token sleeve `["basket_sleeve",
//!   basket]`, with the sleeve policy `args.params` (`InvalidParams` out of bounds:
//!   `BasketParams::validate`; clients without an opinion pass `BasketParams::DEFAULT`).
//! - `add_constituent(args)`: the authority (`NotAuthority`) admits a tranche of a Sluice
//!   pool on the same base token (`WrongAccount`), once (`ConstituentExists`), up to
//!   `MAX_CONSTITUENTS` (`TooManyConstituents`), with a haircut of at most 50 %, a share
//!   cap of 0–100 % of basket value and a target weight of at most the cap, the targets and
//!   the sleeve's together at most 100 % (`InvalidParams`). A junior tranche needs
//!   `allow_junior` and a haircut of at least `MIN_JUNIOR_HAIRCUT_BPS` (`JuniorConstituent`).
//!   Creates the basket's vault for the tranche `["basket_vault", basket, mint]`.
//! - `update_constituent(index, args)`: the authority retunes or disables one, same bounds.
//! - `set_basket_params(params)`: the authority changes the sleeve policy, same bounds.
//! - `set_basket_paused(paused)`: the guardian (`NotGuardian`) stops exchanges in, sleeve
//!   redemptions and rebalance's requests and deposits; exchanges out and collections
//!   always work.
//! - `propose_basket_authority(new)` / `accept_basket_authority`: two steps, as for a pool
//!   (`NotAuthority`, `NoPendingAuthority`, `NotPendingAuthority`).

use anchor_lang::prelude::*;
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::error::SluiceError;
use crate::math::time::BPS;
use crate::state::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateBasketArgs {
    pub basket_id: u64,
    pub guardian: Pubkey,
    pub params: BasketParams,
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
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_mint", basket.key().as_ref()], bump, mint::decimals = base_mint.decimals, mint::authority = basket)]
    pub basket_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(init, payer = authority, seeds = [b"basket_sleeve", basket.key().as_ref()], bump, token::mint = base_mint, token::authority = basket, token::token_program = base_token_program)]
    pub sleeve: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl CreateBasket<'_> {
    pub fn create_basket(ctx: Context<Self>, args: CreateBasketArgs) -> Result<()> {
        args.params.validate()?;
        let a = ctx.accounts;
        a.basket.set_inner(Basket {
            creator: a.authority.key(),
            basket_id: args.basket_id,
            authority: a.authority.key(),
            pending_authority: Pubkey::default(),
            guardian: args.guardian,
            paused: false,
            base_mint: a.base_mint.key(),
            mint: a.basket_mint.key(),
            sleeve: a.sleeve.key(),
            sleeve_balance: 0,
            supply: 0,
            constituent_count: 0,
            constituents: [Constituent::default(); MAX_CONSTITUENTS],
            params: args.params,
            redeem_hour: 0,
            redeem_buckets: [0; REDEEM_BUCKETS],
            bump: ctx.bumps.basket,
        });
        a.basket.invariant()
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct ConstituentArgs {
    pub haircut_bps: u16,
    pub cap_bps: u16,
    /// Share of basket value `rebalance` steers the constituent towards; at most the cap.
    pub target_bps: u16,
    /// Required (with at least the minimum junior haircut) for a pool's junior tranche.
    pub allow_junior: bool,
    pub enabled: bool,
}

/// The bounds every constituent's terms keep; `junior` for a pool's last tranche.
fn check_terms(args: &ConstituentArgs, junior: bool) -> Result<()> {
    require!(
        args.haircut_bps <= MAX_HAIRCUT_BPS
            && (1..=BPS).contains(&(args.cap_bps as u32))
            && args.target_bps <= args.cap_bps,
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
    pub tranche_mint: Box<InterfaceAccount<'info, Mint>>,
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
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Program<'info, Token2022>,
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
            target_bps: args.target_bps,
            held: 0,
            request_open: false,
            request_id: 0,
            queue: Pubkey::default(),
        };
        basket.constituent_count += 1;
        require!(targets_fit(basket), SluiceError::InvalidParams);
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
        (c.haircut_bps, c.cap_bps, c.enabled, c.target_bps) =
            (args.haircut_bps, args.cap_bps, args.enabled, args.target_bps);
        require!(targets_fit(&a.basket), SluiceError::InvalidParams);
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

/// The constituents' targets and the sleeve's add up to at most the whole.
fn targets_fit(basket: &Basket) -> bool {
    let targets: u32 = basket.active().iter().map(|c| c.target_bps as u32).sum();
    targets + basket.params.sleeve_target_bps as u32 <= BPS
}

#[derive(Accounts)]
pub struct SetBasketParams<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub basket: Box<Account<'info, Basket>>,
}

impl SetBasketParams<'_> {
    pub fn set_basket_params(ctx: Context<Self>, params: BasketParams) -> Result<()> {
        params.validate()?;
        let basket = &mut ctx.accounts.basket;
        basket.params = params;
        require!(targets_fit(basket), SluiceError::InvalidParams);
        basket.invariant()
    }
}

#[derive(Accounts)]
pub struct ProposeBasketAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ SluiceError::NotAuthority)]
    pub basket: Box<Account<'info, Basket>>,
}

impl ProposeBasketAuthority<'_> {
    pub fn propose_basket_authority(ctx: Context<Self>, new_authority: Pubkey) -> Result<()> {
        ctx.accounts.basket.pending_authority = new_authority;
        ctx.accounts.basket.invariant()
    }
}

#[derive(Accounts)]
pub struct AcceptBasketAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut)]
    pub basket: Box<Account<'info, Basket>>,
}

impl AcceptBasketAuthority<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.basket.pending_authority != Pubkey::default(), SluiceError::NoPendingAuthority);
        require!(self.basket.pending_authority == self.new_authority.key(), SluiceError::NotPendingAuthority);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn accept_basket_authority(ctx: Context<Self>) -> Result<()> {
        let basket = &mut ctx.accounts.basket;
        basket.authority = basket.pending_authority;
        basket.pending_authority = Pubkey::default();
        basket.invariant()
    }
}
