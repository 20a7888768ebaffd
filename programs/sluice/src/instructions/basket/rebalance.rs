//! Specification: `rebalance(index, collect_only)` — permissionless keeper crank
//! (`docs/basket.md`)
//! - The basket is an ordinary holder of each constituent's pool: it redeems through the
//!   tranche's queue and deposits at NAV through the pool's own `deposit`, signing as its
//!   PDA (calls into Sluice itself, so every rule of those instructions holds for it too).
//!   Its requests are pull-only: only `rebalance` collects them, into the sleeve.
//! - One call acts on constituent `index`:
//!   1. collect: if the basket's request there has been paid anything, the payment moves
//!      from the pool's vault into the sleeve; a request with nothing left is closed.
//!   2. then the rule (`plan_rebalance`, public for clients) decides, with fresh NAVs:
//!      - sleeve plus value in flight below target − band: a request for the shortfall
//!        (rounded up to whole tokens, at least the pool's minimum request, at most half
//!        of what the vault holds, so that exits in kind stay payable while it waits) in
//!        the constituent furthest above its target weight that can queue (no open
//!        request, pool not paused, redemption set up);
//!      - sleeve above target + band and nothing in flight: a deposit of the surplus over
//!        the target, at most the constituent's shortfall to its target weight and its
//!        room under its cap, into the enabled constituent furthest below its target
//!        weight whose pool is neither paused nor in Crisis.
//!   3. the rule's constituent must be `index` (`WrongConstituent`); nothing to collect
//!      and nothing to do: `NothingToRebalance`. While the basket is paused it only
//!      collects; so it does while another constituent's NAV is stale (the rule cannot
//!      run, but the collection frees the front of this queue).
//! - `collect_only` stops after step 1: what a client bundles before an exit in kind, so
//!   the exit's slices need no cash still in flight (nothing to collect:
//!   `NothingToRebalance`).
//! - Accounts: the constituent's pool, its vault, queue, escrow and tranche mint, the
//!   basket's vault and holder record `["holder", pool, tranche, basket]` (created here, at
//!   the cranker's expense, before the first request), the basket's member record where the
//!   pool is permissioned, the pool's reserve vault where a deposit needs it; remaining:
//!   every constituent's pool, then the queue of each open request, in order.
//! - Afterwards: the sleeve and the vault hold at least what the basket accounts for,
//!   `Basket::invariant`; `BasketAttested` and `BasketRebalanced` are emitted.
//! - Rounding: a request asks for tokens worth at least the shortfall; a deposit buys at the
//!   pool's deposit rounding (tokens floored, in the pool's favour).

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program::invoke_signed;
use anchor_lang::system_program;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token_2022::Token2022;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::{attest_basket, basket_value, bps_of, constituent_pools, open_requests, read_in_flight};
use crate::error::SluiceError;
use crate::events::BasketRebalanced;
use crate::instructions::DepositArgs;
use crate::math::basket::{holding_value, tokens_worth};
use crate::math::tokens::tokens_for_deposit;
use crate::state::*;

/// What one `rebalance` should do after collecting.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebalanceAction {
    Nothing,
    /// Queue `tokens` of constituent `index` for redemption.
    Request {
        index: u8,
        tokens: u64,
    },
    /// Deposit `amount` of the sleeve into constituent `index`.
    Deposit {
        index: u8,
        amount: u64,
    },
}

/// Constituents whose open request has something to collect: value paid, or nothing left.
pub fn collectable(basket: &Basket, flights: &[InFlight; MAX_CONSTITUENTS]) -> Vec<u8> {
    open_requests(basket)
        .filter(|(j, _)| flights[*j].cash > 0 || flights[*j].tokens == 0)
        .map(|(j, _)| j as u8)
        .collect()
}

/// The rule `rebalance` follows (see the specification above); `pools` and `flights` as the
/// priced instructions read them.
pub fn plan_rebalance(
    basket: &Basket,
    pools: &[Pool],
    flights: &[InFlight; MAX_CONSTITUENTS],
    now: i64,
) -> Result<RebalanceAction> {
    let (value, values) = basket_value(basket, pools, flights, now)?;
    if basket.paused || value == 0 {
        return Ok(RebalanceAction::Nothing);
    }
    let p = basket.params;
    let target = bps_of(value, p.sleeve_target_bps);
    let band = bps_of(value, p.sleeve_band_bps);
    let sleeve = basket.sleeve_balance;
    let in_flight: u64 = open_requests(basket)
        .map(|(j, c)| {
            let t = pools[j].tranches[c.tranche as usize];
            holding_value(flights[j].tokens, t.value, t.supply).saturating_add(flights[j].cash)
        })
        .sum();
    let weight_gap = |j: usize, c: &Constituent| values[j] as i128 - bps_of(value, c.target_bps) as i128;

    if sleeve.saturating_add(in_flight).saturating_add(band) < target {
        let shortfall = target - sleeve - in_flight;
        let best = basket
            .active()
            .iter()
            .enumerate()
            .filter(|(j, c)| {
                let pool = &pools[*j];
                let t = pool.tranches[c.tranche as usize];
                !c.request_open
                    && !pool.paused
                    && t.queue != Pubkey::default()
                    && t.value > 0
                    && c.held / 2 >= pool.params.redemption.min_request
            })
            .max_by_key(|(j, c)| (weight_gap(*j, c), std::cmp::Reverse(*j)));
        if let Some((j, c)) = best {
            let pool = &pools[j];
            let t = pool.tranches[c.tranche as usize];
            let tokens = tokens_worth(shortfall, t.value, t.supply)
                .ok_or(SluiceError::MathOverflow)?
                .max(pool.params.redemption.min_request)
                .min(c.held / 2);
            return Ok(RebalanceAction::Request { index: j as u8, tokens });
        }
        return Ok(RebalanceAction::Nothing);
    }

    let none_in_flight = open_requests(basket).next().is_none();
    if none_in_flight && sleeve > target.saturating_add(band) {
        let best = basket
            .active()
            .iter()
            .enumerate()
            .filter(|(j, c)| {
                c.enabled && !pools[*j].paused && pools[*j].stage != Stage::Crisis && weight_gap(*j, c) < 0
            })
            .max_by_key(|(j, c)| (-weight_gap(*j, c), std::cmp::Reverse(*j)));
        if let Some((j, c)) = best {
            let deficit = (-weight_gap(j, c)) as u64;
            let room = bps_of(value, c.cap_bps).saturating_sub(values[j]);
            let amount = (sleeve - target).min(deficit).min(room);
            if amount > 0 {
                return Ok(RebalanceAction::Deposit { index: j as u8, amount });
            }
        }
    }
    Ok(RebalanceAction::Nothing)
}

#[derive(Accounts)]
#[instruction(index: u8)]
pub struct Rebalance<'info> {
    #[account(mut)]
    pub cranker: Signer<'info>,
    #[account(mut, has_one = sleeve @ SluiceError::WrongAccount, has_one = base_mint @ SluiceError::WrongAccount)]
    pub basket: Box<Account<'info, Basket>>,
    #[account(mut)]
    pub sleeve: Box<InterfaceAccount<'info, TokenAccount>>,
    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    /// The constituent's pool; read and changed only through the pool's own instructions.
    /// CHECK: address checked against the basket's constituent.
    #[account(mut, constraint = basket.active().get(index as usize).map(|c| c.pool) == Some(pool.key()) @ SluiceError::UnknownConstituent)]
    pub pool: UncheckedAccount<'info>,
    /// CHECK: the pool's vault, verified by the pool's `claim` and `deposit`.
    #[account(mut)]
    pub pool_vault: UncheckedAccount<'info>,
    /// CHECK: the tranche's queue, verified by the pool's instructions.
    #[account(mut)]
    pub queue: UncheckedAccount<'info>,
    /// CHECK: the tranche's escrow, verified by the pool's instructions.
    #[account(mut)]
    pub escrow: UncheckedAccount<'info>,
    /// CHECK: address checked against the basket's constituent.
    #[account(mut, constraint = basket.active().get(index as usize).map(|c| c.mint) == Some(tranche_mint.key()) @ SluiceError::WrongAccount)]
    pub tranche_mint: UncheckedAccount<'info>,
    #[account(mut, constraint = basket.active().get(index as usize).map(|c| c.vault) == Some(vault.key()) @ SluiceError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: `["holder", pool, tranche, basket]`, checked and created by `ensure_holder_record`.
    #[account(mut)]
    pub holder_record: UncheckedAccount<'info>,
    /// CHECK: the basket's member record where the pool is permissioned (checked by `deposit`).
    pub member: Option<UncheckedAccount<'info>>,
    /// CHECK: the pool's reserve vault where a deposit needs it (checked by `deposit`).
    #[account(mut)]
    pub reserve_vault: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token2022>,
    #[account(constraint = base_token_program.key() == *base_mint.to_account_info().owner @ SluiceError::WrongTokenProgram)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
    pub sluice_program: Program<'info, crate::program::Sluice>,
}

impl<'info> Rebalance<'info> {
    /// Calls Sluice itself with the basket signing as its PDA.
    fn invoke_as_basket(&self, ix: Instruction, infos: &[AccountInfo<'info>]) -> Result<()> {
        self.basket.with_signer(|signer| invoke_signed(&ix, infos, signer).map_err(Into::into))
    }

    fn instruction(&self, accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
        Instruction { program_id: crate::ID, accounts, data }
    }

    /// Pays the request's claimable value into the sleeve through the pool's `claim`.
    fn collect(&self, tranche: u8, id: u64) -> Result<()> {
        let accounts = crate::accounts::Claim {
            caller: self.basket.key(),
            pool: self.pool.key(),
            queue: self.queue.key(),
            base_mint: self.base_mint.key(),
            vault: self.pool_vault.key(),
            destination: self.sleeve.key(),
            base_token_program: self.base_token_program.key(),
        };
        let ix = self.instruction(accounts.to_account_metas(None), crate::instruction::Claim { tranche, id }.data());
        self.invoke_as_basket(
            ix,
            &[
                self.basket.to_account_info(),
                self.pool.to_account_info(),
                self.queue.to_account_info(),
                self.base_mint.to_account_info(),
                self.pool_vault.to_account_info(),
                self.sleeve.to_account_info(),
                self.base_token_program.to_account_info(),
            ],
        )
    }

    /// Creates the basket's holder record in this tranche (the basket PDA cannot pay rent
    /// itself); works on an address someone has already sent lamports to.
    fn ensure_holder_record(&self, tranche: u8) -> Result<()> {
        let info = self.holder_record.to_account_info();
        let (pool, basket) = (self.pool.key(), self.basket.key());
        let (address, bump) =
            Pubkey::find_program_address(&[HolderRecord::SEED, pool.as_ref(), &[tranche], basket.as_ref()], &crate::ID);
        require!(info.key() == address, SluiceError::WrongAccount);
        if info.owner == &crate::ID {
            return Ok(());
        }
        let space = 8 + HolderRecord::INIT_SPACE;
        let seeds: &[&[u8]] = &[HolderRecord::SEED, pool.as_ref(), &[tranche], basket.as_ref(), &[bump]];
        let lamports = Rent::get()?.minimum_balance(space).saturating_sub(info.lamports());
        let system = self.system_program.key();
        if lamports > 0 {
            let to = system_program::Transfer { from: self.cranker.to_account_info(), to: info.clone() };
            system_program::transfer(CpiContext::new(system, to), lamports)?;
        }
        let allocate = system_program::Allocate { account_to_allocate: info.clone() };
        system_program::allocate(CpiContext::new_with_signer(system, allocate, &[seeds]), space as u64)?;
        let assign = system_program::Assign { account_to_assign: info.clone() };
        system_program::assign(CpiContext::new_with_signer(system, assign, &[seeds]), &crate::ID)?;
        let record = HolderRecord {
            pool,
            owner: basket,
            tranche,
            bump,
            window_start: 0,
            window_value: 0,
            window_large: false,
            window_count: 0,
            window_ids: [0; WINDOW_REQUESTS],
            instant_window_start: 0,
            instant_window_value: 0,
        };
        let mut data = info.try_borrow_mut_data()?;
        record.try_serialize(&mut &mut data[..])
    }

    /// Queues `tokens` of the basket's vault through the pool's `request_redemption`.
    fn request(&self, tranche: u8, tokens: u64) -> Result<()> {
        self.ensure_holder_record(tranche)?;
        let accounts = crate::accounts::RequestRedemption {
            owner: self.basket.key(),
            pool: self.pool.key(),
            queue: self.queue.key(),
            escrow: self.escrow.key(),
            tranche_mint: self.tranche_mint.key(),
            owner_tokens: self.vault.key(),
            holder: self.holder_record.key(),
            token_program: self.token_program.key(),
            system_program: self.system_program.key(),
        };
        let data = crate::instruction::RequestRedemption { tranche, tokens }.data();
        self.invoke_as_basket(
            self.instruction(accounts.to_account_metas(None), data),
            &[
                self.basket.to_account_info(),
                self.pool.to_account_info(),
                self.queue.to_account_info(),
                self.escrow.to_account_info(),
                self.tranche_mint.to_account_info(),
                self.vault.to_account_info(),
                self.holder_record.to_account_info(),
                self.token_program.to_account_info(),
                self.system_program.to_account_info(),
            ],
        )
    }

    /// Buys `min_tokens_out` or more of the tranche with `amount` of the sleeve through the
    /// pool's `deposit`.
    fn deposit(&self, tranche: u8, amount: u64, min_tokens_out: u64) -> Result<()> {
        let accounts = crate::accounts::Deposit {
            depositor: self.basket.key(),
            pool: self.pool.key(),
            base_mint: self.base_mint.key(),
            vault: self.pool_vault.key(),
            tranche_mint: self.tranche_mint.key(),
            depositor_base: self.sleeve.key(),
            depositor_tranche: self.vault.key(),
            member: self.member.as_ref().map(|m| m.key()),
            escrow: Some(self.escrow.key()),
            reserve_vault: self.reserve_vault.as_ref().map(|r| r.key()),
            token_program: self.token_program.key(),
            base_token_program: self.base_token_program.key(),
        };
        let data = crate::instruction::Deposit { args: DepositArgs { tranche, amount, min_tokens_out } }.data();
        let mut infos = vec![
            self.basket.to_account_info(),
            self.pool.to_account_info(),
            self.base_mint.to_account_info(),
            self.pool_vault.to_account_info(),
            self.tranche_mint.to_account_info(),
            self.sleeve.to_account_info(),
            self.vault.to_account_info(),
            self.escrow.to_account_info(),
            self.token_program.to_account_info(),
            self.base_token_program.to_account_info(),
            self.sluice_program.to_account_info(),
        ];
        infos.extend(self.member.as_ref().map(|m| m.to_account_info()));
        infos.extend(self.reserve_vault.as_ref().map(|r| r.to_account_info()));
        self.invoke_as_basket(self.instruction(accounts.to_account_metas(None), data), &infos)
    }

    /// Ends a call that only collected, without pricing the basket.
    fn finish_unpriced(
        &mut self,
        key: Pubkey,
        index: u8,
        collected: u64,
        flights: &[InFlight; MAX_CONSTITUENTS],
        now: i64,
    ) -> Result<()> {
        self.sleeve.reload()?;
        require!(self.sleeve.amount >= self.basket.sleeve_balance, SluiceError::InvariantViolated);
        self.basket.invariant()?;
        attest_basket(key, &self.basket, flights, [0; MAX_CONSTITUENTS], 0, now);
        crate::events::emit(BasketRebalanced { basket: key, index, collected, requested_tokens: 0, deposited: 0 });
        Ok(())
    }

    fn read_pool(&self) -> Result<Pool> {
        Pool::try_deserialize(&mut &self.pool.try_borrow_data()?[..])
    }

    pub fn rebalance(ctx: Context<'info, Self>, index: u8, collect_only: bool) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let key = a.basket.key();
        let i = index as usize;
        let c = *a.basket.active().get(i).ok_or(SluiceError::UnknownConstituent)?;
        let n = a.basket.active().len();
        require!(ctx.remaining_accounts.len() >= n, SluiceError::ConstituentPoolsMissing);
        let (pool_infos, queue_infos) = ctx.remaining_accounts.split_at(n);
        let mut queue_infos: Vec<AccountInfo<'info>> = queue_infos.to_vec();

        // 1. Collect what the basket's request here has been paid.
        let mut collected = 0;
        let mut closed = false;
        if c.request_open {
            require!(a.queue.key() == c.queue, SluiceError::WrongAccount);
            let flight = read_in_flight(&a.basket, &key, &queue_infos)?[i];
            if flight.cash > 0 {
                let before = a.sleeve.amount;
                a.collect(c.tranche, c.request_id)?;
                a.sleeve.reload()?;
                require!(a.sleeve.amount == before + flight.cash, SluiceError::InvariantViolated);
                collected = flight.cash;
                a.basket.sleeve_balance =
                    a.basket.sleeve_balance.checked_add(collected).ok_or(SluiceError::MathOverflow)?;
            }
            if flight.tokens == 0 {
                let position = open_requests(&a.basket).position(|(j, _)| j == i).unwrap_or(0);
                queue_infos.remove(position);
                let slot = &mut a.basket.constituents[i];
                (slot.request_open, slot.request_id, slot.queue) = (false, 0, Pubkey::default());
                closed = true;
            }
        }

        // 2. Then what the rule asks of this constituent.
        let pools = constituent_pools(&a.basket, pool_infos)?;
        let mut flights = read_in_flight(&a.basket, &key, &queue_infos)?;
        let planned =
            if collect_only { Ok(RebalanceAction::Nothing) } else { plan_rebalance(&a.basket, &pools, &flights, now) };
        let action = match planned {
            Ok(RebalanceAction::Nothing) if collect_only && (collected > 0 || closed) => {
                return a.finish_unpriced(key, index, collected, &flights, now);
            }
            Ok(action) => action,
            // A collection needs no price: it stands even when the basket cannot be priced.
            Err(_) if collected > 0 || closed => return a.finish_unpriced(key, index, collected, &flights, now),
            Err(e) => return Err(e),
        };
        let (mut requested, mut deposited) = (0, 0);
        match action {
            RebalanceAction::Request { index: j, tokens } if j == index => {
                a.request(c.tranche, tokens)?;
                let pool = a.read_pool()?;
                let t = pool.tranches[c.tranche as usize];
                let slot = &mut a.basket.constituents[i];
                (slot.request_open, slot.request_id, slot.queue) = (true, t.queue_tail - 1, t.queue);
                slot.held -= tokens;
                flights[i] = InFlight { tokens, cash: 0 };
                requested = tokens;
            }
            RebalanceAction::Deposit { index: j, amount } if j == index => {
                let t = pools[i].tranches[c.tranche as usize];
                let expected = tokens_for_deposit(amount, t.value, t.supply).ok_or(SluiceError::MathOverflow)?;
                let before = a.vault.amount;
                a.deposit(c.tranche, amount, expected)?;
                a.vault.reload()?;
                let received = a.vault.amount - before;
                a.basket.constituents[i].held =
                    a.basket.constituents[i].held.checked_add(received).ok_or(SluiceError::MathOverflow)?;
                a.basket.sleeve_balance -= amount;
                deposited = amount;
            }
            RebalanceAction::Nothing => require!(collected > 0 || closed, SluiceError::NothingToRebalance),
            _ => require!(collected > 0 || closed, SluiceError::WrongConstituent),
        }

        // 3. The books still match the accounts.
        a.sleeve.reload()?;
        a.vault.reload()?;
        require!(a.sleeve.amount >= a.basket.sleeve_balance, SluiceError::InvariantViolated);
        require!(a.vault.amount >= a.basket.constituents[i].held, SluiceError::InvariantViolated);
        a.basket.invariant()?;
        let pools = constituent_pools(&a.basket, pool_infos)?;
        let (value, values) = basket_value(&a.basket, &pools, &flights, now)?;
        attest_basket(key, &a.basket, &flights, values, value, now);
        crate::events::emit(BasketRebalanced { basket: key, index, collected, requested_tokens: requested, deposited });
        Ok(())
    }
}
