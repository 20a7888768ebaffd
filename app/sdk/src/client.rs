//! Multi-instruction flows and typed reads over any [`Chain`]: what the CLI, the demo and
//! the tests share.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::{CreatePoolArgs, TrancheMetadata};
use sluice::state::{Book, Pool, RateOracle, Receivable, RedemptionQueue};

use crate::chain::{Chain, ChainError};
use crate::ix::{self, PoolKeys};
use crate::state::{self as decode, DecodeError};

async fn data<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Vec<u8>, ChainError> {
    Ok(chain.account(address).await?.ok_or(ChainError::MissingAccount(*address))?.data)
}

fn typed<T>(address: &Pubkey, r: Result<T, DecodeError>) -> Result<T, ChainError> {
    r.map_err(|e| ChainError::Decode(*address, e))
}

pub async fn pool<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Pool, ChainError> {
    typed(address, decode::pool(&data(chain, address).await?))
}

pub async fn book<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Box<Book>, ChainError> {
    typed(address, decode::book(&data(chain, address).await?))
}

pub async fn oracle<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<RateOracle, ChainError> {
    typed(address, decode::oracle(&data(chain, address).await?))
}

pub async fn receivable<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Receivable, ChainError> {
    typed(address, decode::receivable(&data(chain, address).await?))
}

/// The pool at `address`, or `None` when it does not exist yet.
pub async fn try_pool<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Option<Pool>, ChainError> {
    match chain.account(address).await? {
        Some(a) => typed(address, decode::pool(&a.data)).map(Some),
        None => Ok(None),
    }
}

pub async fn mint_decimals<C: Chain>(chain: &mut C, mint: &Pubkey) -> Result<u8, ChainError> {
    Ok(typed(mint, decode::mint(&data(chain, mint).await?))?.decimals)
}

/// A member record, or `None` when the wallet was never admitted.
pub async fn member<C: Chain>(
    chain: &mut C,
    pool: &Pubkey,
    wallet: &Pubkey,
) -> Result<Option<sluice::state::Member>, ChainError> {
    let address = crate::pda::member(pool, wallet);
    match chain.account(&address).await? {
        Some(a) => typed(&address, decode::member(&a.data)).map(Some),
        None => Ok(None),
    }
}

/// True when `address` holds an account.
pub async fn exists<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<bool, ChainError> {
    Ok(chain.account(address).await?.is_some())
}

/// What `owner` has taken through tranche `tranche`'s instant door in its current 24 h
/// window (`HolderRecord::instant_used`); 0 before its first instant exit.
pub async fn instant_used<C: Chain>(
    chain: &mut C,
    pool: &Pubkey,
    tranche: u8,
    owner: &Pubkey,
    now: i64,
) -> Result<u64, ChainError> {
    use anchor_lang::AccountDeserialize;
    let address = crate::pda::holder(pool, tranche, owner);
    Ok(match chain.account(&address).await? {
        Some(a) => sluice::state::HolderRecord::try_deserialize(&mut &a.data[..]).map_or(0, |r| r.instant_used(now)),
        None => 0,
    })
}

/// A token account's balance, 0 when the account does not exist yet.
pub async fn balance_or_zero<C: Chain>(chain: &mut C, account: &Pubkey) -> Result<u64, ChainError> {
    match chain.account(account).await? {
        Some(a) => Ok(typed(account, decode::token_account(&a.data))?.amount),
        None => Ok(0),
    }
}

pub async fn token_balance<C: Chain>(chain: &mut C, account: &Pubkey) -> Result<u64, ChainError> {
    Ok(typed(account, decode::token_account(&data(chain, account).await?))?.amount)
}

pub async fn mint_supply<C: Chain>(chain: &mut C, mint: &Pubkey) -> Result<u64, ChainError> {
    Ok(typed(mint, decode::mint(&data(chain, mint).await?))?.supply)
}

/// The token program `mint` belongs to (classic SPL Token or Token-2022).
pub async fn token_program_of<C: Chain>(chain: &mut C, mint: &Pubkey) -> Result<Pubkey, ChainError> {
    match chain.account(mint).await? {
        Some(a) if a.owner == ix::SPL_TOKEN || a.owner == ix::TOKEN_2022 => Ok(a.owner),
        Some(_) => Err(ChainError::Decode(*mint, DecodeError::WrongType("mint"))),
        None => Err(ChainError::MissingAccount(*mint)),
    }
}

/// Creates a classic SPL mint controlled by `authority`; returns its address.
pub async fn create_mint<C: Chain>(chain: &mut C, authority: &Pubkey, decimals: u8) -> Result<Pubkey, ChainError> {
    create_mint_of(chain, &ix::SPL_TOKEN, authority, decimals).await
}

/// Creates a mint without extensions under `program`; returns its address.
pub async fn create_mint_of<C: Chain>(
    chain: &mut C,
    program: &Pubkey,
    authority: &Pubkey,
    decimals: u8,
) -> Result<Pubkey, ChainError> {
    let mint = Keypair::new();
    let lamports = chain.rent_exempt_minimum(ix::token::MINT_LEN).await?;
    let payer = chain.payer().pubkey();
    let ixs = ix::token::create_mint(program, &payer, &mint.pubkey(), authority, decimals, lamports);
    chain.send(&ixs, &[&mint]).await?;
    Ok(mint.pubkey())
}

/// Creates a token account for `mint` owned by `owner`, under the mint's program and with
/// the extensions its mint requires; returns its address.
pub async fn create_token_account<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<Pubkey, ChainError> {
    let (program, space) = token_account_layout(chain, mint).await?;
    let account = Keypair::new();
    let lamports = chain.rent_exempt_minimum(space).await?;
    let payer = chain.payer().pubkey();
    let ixs = ix::token::create_account(&program, &payer, &account.pubkey(), mint, owner, space, lamports);
    chain.send(&ixs, &[&account]).await?;
    Ok(account.pubkey())
}

/// The program and size of a new token account of `mint`.
pub async fn token_account_layout<C: Chain>(chain: &mut C, mint: &Pubkey) -> Result<(Pubkey, usize), ChainError> {
    let program = token_program_of(chain, mint).await?;
    let extensions = typed(mint, decode::mint_extensions(&data(chain, mint).await?))?;
    Ok((program, ix::token::account_len(&program, &extensions)))
}

pub async fn mint_to<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Keypair,
    amount: u64,
) -> Result<(), ChainError> {
    let program = token_program_of(chain, mint).await?;
    chain.send(&[ix::token::mint_to(&program, mint, to, &authority.pubkey(), amount)], &[authority]).await
}

/// The token metadata (name, symbol, URI) of a Sluice mint.
pub async fn mint_metadata<C: Chain>(chain: &mut C, mint: &Pubkey) -> Result<TrancheMetadata, ChainError> {
    typed(mint, decode::mint_metadata(&data(chain, mint).await?))
}

/// Whether a token account is frozen (a permissioned tranche account not yet thawed, or
/// one whose owner's membership lapsed).
pub async fn is_frozen<C: Chain>(chain: &mut C, account: &Pubkey) -> Result<bool, ChainError> {
    Ok(typed(account, decode::token_account(&data(chain, account).await?))?.state == decode::AccountState::Frozen)
}

/// Whether `wallet` holds a live member record of `pool` at the chain's current time.
pub async fn is_live_member<C: Chain>(chain: &mut C, pool: &Pubkey, wallet: &Pubkey) -> Result<bool, ChainError> {
    let now = chain.now().await?;
    Ok(member(chain, pool, wallet).await?.is_some_and(|m| m.is_live(now)))
}

/// What makes `account` (a token account of tranche `tranche` of `pool`, owned by `owner`,
/// existing or created earlier in the same transaction) usable: `thaw_holder` when the pool
/// is permissioned, the account is frozen or not there yet (new accounts start frozen) and
/// `owner` is a live member; nothing otherwise (a permissionless pool's accounts are never
/// frozen, and a lapsed owner's thaw would be refused: the instruction that needs the
/// account then names the reason).
pub async fn thaw_if_needed<C: Chain>(
    chain: &mut C,
    caller: &Pubkey,
    pool: &Pool,
    tranche: u8,
    account: &Pubkey,
    owner: &Pubkey,
) -> Result<Vec<Instruction>, ChainError> {
    if !pool.params.permissioned {
        return Ok(vec![]);
    }
    let frozen = match chain.account(account).await? {
        Some(a) => typed(account, decode::token_account(&a.data))?.state == decode::AccountState::Frozen,
        None => true,
    };
    let address = PoolKeys::of(pool).pool;
    if !frozen || !is_live_member(chain, &address, owner).await? {
        return Ok(vec![]);
    }
    Ok(vec![ix::thaw_holder(caller, &address, tranche, account, owner)])
}

/// `owner`'s associated token account of tranche `tranche` (Token-2022), and the
/// instructions that create it if missing (idempotently, `payer` pays) and thaw it when it
/// needs it (`thaw_if_needed`).
pub async fn tranche_account<C: Chain>(
    chain: &mut C,
    payer: &Pubkey,
    pool: &Pool,
    tranche: u8,
    owner: &Pubkey,
) -> Result<(Pubkey, Vec<Instruction>), ChainError> {
    let mint = PoolKeys::of(pool).tranche_mint(tranche);
    let account = ix::token::associated(&ix::TOKEN_2022, owner, &mint);
    let mut ixs = vec![ix::token::create_associated(&ix::TOKEN_2022, payer, owner, &mint)];
    ixs.extend(thaw_if_needed(chain, payer, pool, tranche, &account, owner).await?);
    Ok((account, ixs))
}

/// `owner`'s frozen tranche token accounts in `pool`, as (tranche, account): its associated
/// accounts and, when `owner` is a basket, its vaults of the pool's tranches.
pub async fn frozen_tranche_accounts<C: Chain>(
    chain: &mut C,
    pool: &Pool,
    owner: &Pubkey,
) -> Result<Vec<(u8, Pubkey)>, ChainError> {
    use anchor_lang::Discriminator;
    let is_basket = chain
        .account(owner)
        .await?
        .is_some_and(|a| a.owner == sluice::ID && a.data.starts_with(sluice::state::Basket::DISCRIMINATOR));
    let keys = PoolKeys::of(pool);
    let mut found = Vec::new();
    for t in 0..pool.tranche_count {
        let mint = keys.tranche_mint(t);
        let mut candidates = vec![ix::token::associated(&ix::TOKEN_2022, owner, &mint)];
        if is_basket {
            candidates.push(crate::pda::basket_vault(owner, &mint));
        }
        for account in candidates {
            if let Some(a) = chain.account(&account).await? {
                if typed(&account, decode::token_account(&a.data))?.state == decode::AccountState::Frozen {
                    found.push((t, account));
                }
            }
        }
    }
    Ok(found)
}

/// Sets up redemption for `tranche`: allocates its queue and creates its escrow.
pub async fn init_redemption<C: Chain>(
    chain: &mut C,
    authority: &Keypair,
    keys: &PoolKeys,
    tranche: u8,
) -> Result<ix::QueueKeys, ChainError> {
    let queue = Keypair::new();
    let lamports = chain.rent_exempt_minimum(RedemptionQueue::SPACE).await?;
    let payer = chain.payer().pubkey();
    chain
        .send(
            &[
                ix::allocate_queue(&payer, &queue.pubkey(), lamports),
                ix::init_redemption(&authority.pubkey(), keys, tranche, &queue.pubkey()),
            ],
            &[authority, &queue],
        )
        .await?;
    Ok(ix::QueueKeys::new(keys, tranche, queue.pubkey()))
}

pub async fn basket<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<sluice::state::Basket, ChainError> {
    typed(address, decode::basket(&data(chain, address).await?))
}

/// A basket with everything its price reads: the constituents' pools and what its open
/// requests still hold.
#[derive(Clone, Debug)]
pub struct BasketView {
    pub address: Pubkey,
    pub basket: sluice::state::Basket,
    /// One per constituent, in order.
    pub pools: Vec<Pool>,
    pub flights: [sluice::state::InFlight; sluice::state::MAX_CONSTITUENTS],
}

impl BasketView {
    /// The remaining accounts of every priced basket instruction: the constituents' pools,
    /// then the queue of each open request.
    pub fn priced_accounts(&self) -> Vec<Pubkey> {
        let pools = self.basket.active().iter().map(|c| c.pool);
        pools.chain(self.open_queues()).collect()
    }

    /// The queues of the basket's open requests, in constituent order.
    pub fn open_queues(&self) -> Vec<Pubkey> {
        sluice::instructions::open_requests(&self.basket).map(|(_, c)| c.queue).collect()
    }

    /// The view once constituent `index`'s request is collected: its cash in the sleeve, and
    /// the request closed if nothing is left in it.
    pub fn collected(&self, index: u8) -> BasketView {
        let mut v = self.clone();
        let j = index as usize;
        let f = v.flights[j];
        v.basket.sleeve_balance += f.cash;
        v.flights[j].cash = 0;
        if f.tokens == 0 {
            let c = &mut v.basket.constituents[j];
            (c.request_open, c.request_id, c.queue) = (false, 0, Pubkey::default());
        }
        v
    }

    /// Value and per-constituent values at `now` (fails like the program on a stale NAV).
    pub fn value(&self, now: i64) -> anchor_lang::Result<(u64, [u64; sluice::state::MAX_CONSTITUENTS])> {
        sluice::instructions::basket_value(&self.basket, &self.pools, &self.flights, now)
    }
}

pub async fn basket_view<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<BasketView, ChainError> {
    let mut basket = basket(chain, address).await?;
    // The program takes the mint's supply as the basket's (a holder may burn its own tokens
    // directly); so does the view, to price as the program will.
    basket.supply = basket.supply.min(mint_supply(chain, &basket.mint).await?);
    let mut pools = Vec::new();
    for c in basket.active() {
        pools.push(pool(chain, &c.pool).await?);
    }
    let mut flights = [sluice::state::InFlight::default(); sluice::state::MAX_CONSTITUENTS];
    for (j, c) in sluice::instructions::open_requests(&basket) {
        let q = queue(chain, &c.queue).await?;
        let r = q.slot(c.request_id);
        flights[j] = sluice::state::InFlight { tokens: r.remaining, cash: r.claimable };
    }
    Ok(BasketView { address: *address, basket, pools, flights })
}

pub async fn basket_market<C: Chain>(
    chain: &mut C,
    address: &Pubkey,
) -> Result<sluice::state::BasketMarket, ChainError> {
    typed(address, decode::basket_market(&data(chain, address).await?))
}

/// A basket's market with its two vault balances (the curve's reserves: basket tokens,
/// base tokens).
pub async fn basket_market_reserves<C: Chain>(
    chain: &mut C,
    address: &Pubkey,
) -> Result<(sluice::state::BasketMarket, (u64, u64)), ChainError> {
    let market = basket_market(chain, address).await?;
    let reserves = (token_balance(chain, &market.token_vault).await?, token_balance(chain, &market.base_vault).await?);
    Ok((market, reserves))
}

pub async fn amm<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<sluice::state::Amm, ChainError> {
    typed(address, decode::amm(&data(chain, address).await?))
}

/// A redemption queue, copied out of its account.
pub async fn queue<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<Box<RedemptionQueue>, ChainError> {
    typed(address, decode::queue(&data(chain, address).await?))
}

/// Allocates the book and creates the pool in one transaction.
pub async fn create_pool<C: Chain>(
    chain: &mut C,
    authority: &Keypair,
    base_mint: &Pubkey,
    args: CreatePoolArgs,
) -> Result<PoolKeys, ChainError> {
    let book = Keypair::new();
    let base_token_program = token_program_of(chain, base_mint).await?;
    let keys = PoolKeys::new(&authority.pubkey(), args.pool_id, *base_mint, base_token_program, book.pubkey());
    let lamports = chain.rent_exempt_minimum(Book::SPACE).await?;
    let payer = chain.payer().pubkey();
    chain
        .send(
            &[ix::allocate_book(&payer, &book.pubkey(), lamports), ix::create_pool(&authority.pubkey(), &keys, args)],
            &[authority, &book],
        )
        .await?;
    Ok(keys)
}
