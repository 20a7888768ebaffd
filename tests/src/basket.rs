//! A basket of the fixture pool's senior (index 0) and junior (index 1) tranches, shared by
//! the basket tests.

use anchor_lang::solana_program::instruction::Instruction;
use sluice::instructions::{basket_value, ConstituentArgs, CreateBasketArgs, ExchangeInArgs, ExchangeOutArgs};
use sluice::math::basket::holding_value;
use sluice::state::Basket;
use sluice_sdk::chain::Chain;
use sluice_sdk::ix::{self, BasketKeys};
use sluice_sdk::{client, pda, Pubkey};
use solana_signer::Signer;

use crate::{Fixture, Investor, JUNIOR, SENIOR, UNIT};

pub const SENIOR_TERMS: ConstituentArgs =
    ConstituentArgs { haircut_bps: 200, cap_bps: 10_000, allow_junior: false, enabled: true };
pub const JUNIOR_TERMS: ConstituentArgs =
    ConstituentArgs { haircut_bps: 2_000, cap_bps: 3_000, allow_junior: true, enabled: true };

/// A funded pool, a basket of its senior (index 0) and junior (index 1) tranches, and Bob,
/// who holds both and a basket-token account.
pub struct BasketWorld {
    pub f: Fixture,
    pub b: BasketKeys,
    pub bob: Investor,
    pub bob_basket: Pubkey,
}

pub async fn basket_world() -> BasketWorld {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    let b = BasketKeys::new(&issuer.pubkey(), 1, f.keys.base_mint);
    let create =
        ix::create_basket(&issuer.pubkey(), &b, CreateBasketArgs { basket_id: 1, guardian: f.guardian.pubkey() });
    f.chain.send(&[create], &[&issuer]).await.unwrap();
    for (tranche, terms) in [(SENIOR, SENIOR_TERMS), (JUNIOR, JUNIOR_TERMS)] {
        let add = ix::add_constituent(&issuer.pubkey(), &b, &f.keys, tranche, terms);
        f.chain.send(&[add], &[&issuer]).await.unwrap();
    }
    let bob = f.investor(1_000_000 * UNIT, false).await;
    f.deposit(&bob, JUNIOR, 100_000 * UNIT).await.unwrap();
    f.deposit(&bob, SENIOR, 200_000 * UNIT).await.unwrap();
    let bob_basket = client::create_token_account(&mut f.chain, &b.mint, &bob.wallet.pubkey()).await.unwrap();
    BasketWorld { f, b, bob, bob_basket }
}

impl BasketWorld {
    pub async fn basket(&mut self) -> Basket {
        client::basket(&mut self.f.chain, &self.b.basket).await.unwrap()
    }

    /// Constituent `index` (0 senior, 1 junior) in, from `inv`.
    pub fn exchange_in(&self, inv: &Investor, basket_account: &Pubkey, index: u8, tokens: u64) -> Instruction {
        let tranche = [SENIOR, JUNIOR][index as usize];
        ix::exchange_in(
            &inv.wallet.pubkey(),
            &self.b,
            &self.f.keys.tranche_mint(tranche),
            &inv.tranches[tranche as usize],
            basket_account,
            None,
            &[self.f.keys.pool, self.f.keys.pool],
            ExchangeInArgs { index, tokens, min_out: 0 },
        )
    }

    pub fn exchange_out(&self, inv: &Investor, basket_account: &Pubkey, tokens: u64) -> Instruction {
        let slices = [
            (self.f.keys.tranche_mint(SENIOR), inv.tranches[SENIOR as usize]),
            (self.f.keys.tranche_mint(JUNIOR), inv.tranches[JUNIOR as usize]),
        ];
        let args = ExchangeOutArgs { tokens, min_outs: vec![0; 3] };
        ix::exchange_out(&inv.wallet.pubkey(), &self.b, basket_account, &inv.base, &slices, args)
    }

    pub fn vault(&self, tranche: u8) -> Pubkey {
        pda::basket_vault(&self.b.basket, &self.f.keys.tranche_mint(tranche))
    }

    /// The basket's accounts, to show a refusal changed nothing.
    pub fn watched(&self) -> Vec<Pubkey> {
        vec![
            self.b.basket,
            self.b.mint,
            self.b.sleeve,
            self.vault(SENIOR),
            self.vault(JUNIOR),
            self.bob_basket,
            self.bob.tranches[0],
            self.bob.tranches[2],
            self.bob.base,
        ]
    }

    /// Basket value now, with the program's own pricing.
    pub async fn value(&mut self) -> u64 {
        let pool = self.f.pool().await;
        let now = self.f.now().await;
        basket_value(&self.basket().await, &[pool.clone(), pool], now).unwrap().0
    }

    /// A new investor holding `senior` and `junior` tranche tokens' worth of deposits and an
    /// empty basket-token account.
    pub async fn newcomer(&mut self, senior: u64, junior: u64) -> (Investor, Pubkey) {
        let inv = self.f.investor(senior + junior + UNIT, false).await;
        if junior > 0 {
            self.f.deposit(&inv, JUNIOR, junior).await.unwrap();
        }
        if senior > 0 {
            self.f.deposit(&inv, SENIOR, senior).await.unwrap();
        }
        let account =
            client::create_token_account(&mut self.f.chain, &self.b.mint, &inv.wallet.pubkey()).await.unwrap();
        (inv, account)
    }

    /// Value of `inv`'s senior and junior tranche tokens at the pool's NAV now.
    pub async fn tranche_wealth(&mut self, inv: &Investor) -> u64 {
        let pool = self.f.pool().await;
        let mut total = 0;
        for t in [SENIOR, JUNIOR] {
            let tokens = self.f.balance(&inv.tranches[t as usize]).await;
            let tr = pool.tranches[t as usize];
            total += holding_value(tokens, tr.value, tr.supply);
        }
        total
    }
}
