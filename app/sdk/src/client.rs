//! Multi-instruction flows and typed reads over any [`Chain`]: what the CLI, the demo and
//! the tests share.

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::CreatePoolArgs;
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

/// Creates an SPL mint controlled by `authority`; returns its address.
pub async fn create_mint<C: Chain>(chain: &mut C, authority: &Pubkey, decimals: u8) -> Result<Pubkey, ChainError> {
    let mint = Keypair::new();
    let lamports = chain.rent_exempt_minimum(ix::token::MINT_LEN).await?;
    let payer = chain.payer().pubkey();
    chain.send(&ix::token::create_mint(&payer, &mint.pubkey(), authority, decimals, lamports), &[&mint]).await?;
    Ok(mint.pubkey())
}

/// Creates a token account for `mint` owned by `owner`; returns its address.
pub async fn create_token_account<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<Pubkey, ChainError> {
    let account = Keypair::new();
    let lamports = chain.rent_exempt_minimum(ix::token::ACCOUNT_LEN).await?;
    let payer = chain.payer().pubkey();
    chain.send(&ix::token::create_account(&payer, &account.pubkey(), mint, owner, lamports), &[&account]).await?;
    Ok(account.pubkey())
}

pub async fn mint_to<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Keypair,
    amount: u64,
) -> Result<(), ChainError> {
    chain.send(&[ix::token::mint_to(mint, to, &authority.pubkey(), amount)], &[authority]).await
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
    let keys = PoolKeys::new(&authority.pubkey(), args.pool_id, *base_mint, book.pubkey());
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
