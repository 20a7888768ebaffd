//! The basket token's market, shared by its tests: a basket world with Bob in the basket,
//! the market's keys, and the swaps, buy-backs and reads the tests use.

use anchor_lang::solana_program::instruction::Instruction;
use sluice::instructions::BasketSwapArgs;
use sluice::math::amm::price_e12;
use sluice::state::{BasketMarket, BasketMarketParams};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix::{BasketMarketKeys, BasketTrader, QueueKeys};
use sluice_sdk::{client, ix, preview, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::basket::{sleeve_world, BasketWorld};
use crate::UNIT;

const DAY: i64 = 86_400;
const E12: u128 = 1_000_000_000_000;

/// A basket world whose basket token has (or is about to have) its market: Bob in the
/// basket with 200,000 senior and 50,000 junior tokens, and the keys of the market.
pub struct MarketWorld {
    pub w: BasketWorld,
    pub m: BasketMarketKeys,
    pub bob: BasketTrader,
    pub queues: Vec<QueueKeys>,
    pub keeper: (Keypair, Pubkey),
}

/// An attacker with base tokens, basket tokens (from Bob) and an LP account.
pub struct Eve {
    pub wallet: Keypair,
    pub t: BasketTrader,
}

/// A new day: fresh rates and NAV, the batches run, the keeper tends the basket.
pub async fn next_day(mw: &mut MarketWorld) {
    mw.w.f.chain.advance_clock(DAY).await.unwrap();
    mw.w.f.refresh().await;
    let (keeper, queues) = (&mw.keeper, mw.queues.clone());
    mw.w.run_batches(keeper, &queues).await;
    let k = mw.keeper.0.insecure_clone();
    mw.w.keep(&k).await;
}

/// Bob in the basket with 200,000 senior and 50,000 junior tokens, `days` of keeping (the
/// sleeve fills through the queue), the market not yet created.
pub async fn market_world(days: u32) -> MarketWorld {
    let (mut w, queues, keeper) = sleeve_world().await;
    let bob_wallet = w.bob.wallet.insecure_clone();
    let (senior, junior) = (
        w.exchange_in(&w.bob, &w.bob_basket, 0, 200_000 * UNIT),
        w.exchange_in(&w.bob, &w.bob_basket, 1, 50_000 * UNIT),
    );
    w.f.chain.send(&[senior, junior], &[&bob_wallet]).await.unwrap();
    let m = BasketMarketKeys::new(&w.b);
    let bob = BasketTrader {
        user: w.bob.wallet.pubkey(),
        token_account: w.bob_basket,
        base_account: w.bob.base,
        lp_account: None,
    };
    let mut mw = MarketWorld { w, m, bob, queues, keeper };
    for _ in 0..days {
        next_day(&mut mw).await;
    }
    mw
}

impl MarketWorld {
    pub async fn create(&mut self) {
        let issuer = self.w.f.issuer.insecure_clone();
        let create = ix::create_basket_market(&issuer.pubkey(), &self.w.b, &self.m, BasketMarketParams::RECOMMENDED);
        self.w.f.chain.send(&[create], &[&issuer]).await.unwrap();
        let lp = client::create_token_account(&mut self.w.f.chain, &self.m.lp_mint, &self.bob.user).await.unwrap();
        self.bob.lp_account = Some(lp);
    }

    pub async fn open(&mut self, tokens: u64) {
        self.create().await;
        let base = (tokens as u128 * self.w.price_e12().await / E12) as u64;
        let add = ix::add_basket_liquidity(&self.w.b, &self.m, &self.bob, 0, tokens, base);
        let bob = self.w.bob.wallet.insecure_clone();
        self.w.f.chain.send(&[add], &[&bob]).await.unwrap();
    }

    /// Two hours pass (fresh rates and NAV): a price stands long enough for the market's
    /// time-weighted price, which a buy-back needs under its trigger.
    pub async fn let_it_stand(&mut self) {
        self.w.f.chain.advance_clock(2 * 3_600).await.unwrap();
        self.w.f.refresh().await;
    }

    pub async fn market(&mut self) -> BasketMarket {
        client::basket_market(&mut self.w.f.chain, &self.m.market).await.unwrap()
    }

    pub async fn reserves(&mut self) -> (u64, u64) {
        (self.w.f.balance(&self.m.token_vault).await, self.w.f.balance(&self.m.base_vault).await)
    }

    pub async fn market_price(&mut self) -> u64 {
        let (x, y) = self.reserves().await;
        price_e12(x, y).unwrap()
    }

    pub async fn k(&mut self) -> u128 {
        let (x, y) = self.reserves().await;
        x as u128 * y as u128
    }

    pub async fn swap_ix_for(
        &mut self,
        t: &BasketTrader,
        buy_basket: bool,
        amount_in: u64,
        min_out: u64,
    ) -> Instruction {
        let deadline = self.w.f.now().await + 60;
        let priced = self.w.view().await.priced_accounts();
        ix::swap_basket(&self.w.b, &self.m, t, &priced, BasketSwapArgs { buy_basket, amount_in, min_out, deadline })
    }

    pub async fn quote(&mut self, buy_basket: bool, amount_in: u64) -> sluice::instructions::BasketSwapQuote {
        let (view, market, reserves, now) =
            (self.w.view().await, self.market().await, self.reserves().await, self.w.f.now().await);
        preview::basket_swap_quote(&view, &market, reserves, buy_basket, amount_in, now).unwrap()
    }

    /// Bob's swap.
    pub async fn swap_ix(&mut self, buy_basket: bool, amount_in: u64, min_out: u64) -> Instruction {
        let bob = self.bob;
        self.swap_ix_for(&bob, buy_basket, amount_in, min_out).await
    }

    /// A swap by `t` signed by `signer`, at exactly the preview's output; returns it.
    pub async fn swap_by(&mut self, t: BasketTrader, signer: &Keypair, buy_basket: bool, amount_in: u64) -> u64 {
        let q = self.quote(buy_basket, amount_in).await.quote;
        let ix = self.swap_ix_for(&t, buy_basket, amount_in, q.amount_out).await;
        self.w.f.chain.send(&[ix], &[signer]).await.unwrap();
        q.amount_out
    }

    pub async fn bob_swap(&mut self, buy_basket: bool, amount_in: u64) -> u64 {
        let (t, bob) = (self.bob, self.w.bob.wallet.insecure_clone());
        self.swap_by(t, &bob, buy_basket, amount_in).await
    }

    pub async fn buyback_ix(&mut self, max_base: u64) -> Instruction {
        let priced = self.w.view().await.priced_accounts();
        ix::basket_buyback(&self.w.b, &self.m, &priced, max_base)
    }

    pub async fn buyback_plan(
        &mut self,
        max_base: u64,
    ) -> anchor_lang::Result<sluice::instructions::BasketBuybackPlan> {
        let (view, market, reserves, now) =
            (self.w.view().await, self.market().await, self.reserves().await, self.w.f.now().await);
        preview::basket_buyback(&view, &market, reserves, max_base, now)
    }

    pub fn watched(&self) -> Vec<Pubkey> {
        let mut v = self.w.watched();
        v.extend([self.m.market, self.m.lp_mint, self.m.token_vault, self.m.base_vault]);
        v.extend(self.bob.lp_account);
        v
    }

    /// An attacker with `base` base tokens and `tokens` basket tokens taken from Bob.
    pub async fn eve(&mut self, tokens: u64, base: u64) -> Eve {
        let inv = self.w.f.investor(base, false).await;
        let wallet = inv.wallet.insecure_clone();
        let token_account =
            client::create_token_account(&mut self.w.f.chain, &self.w.b.mint, &wallet.pubkey()).await.unwrap();
        let lp_account = match self.w.f.chain.account(&self.m.lp_mint).await.unwrap() {
            Some(_) => Some(
                client::create_token_account(&mut self.w.f.chain, &self.m.lp_mint, &wallet.pubkey()).await.unwrap(),
            ),
            None => None,
        };
        if tokens > 0 {
            let bob = self.w.bob.wallet.insecure_clone();
            let give = ix::token::transfer(&ix::TOKEN_2022, &self.w.bob_basket, &token_account, &bob.pubkey(), tokens);
            self.w.f.chain.send(&[give], &[&bob]).await.unwrap();
        }
        Eve { wallet, t: BasketTrader { user: inv.wallet.pubkey(), token_account, base_account: inv.base, lp_account } }
    }

    /// Value, supply and price ×10¹² of the basket now.
    pub async fn books(&mut self) -> (u64, u64, u128) {
        let value = self.w.value().await;
        let supply = self.w.basket().await.supply;
        (value, supply, value as u128 * E12 / supply as u128)
    }

    pub async fn mint_supply(&mut self) -> u64 {
        client::mint_supply(&mut self.w.f.chain, &self.w.b.mint).await.unwrap()
    }
}
