//! A basket of the fixture pool's senior (index 0) and junior (index 1) tranches, shared by
//! the basket tests.

use anchor_lang::solana_program::instruction::Instruction;
use sluice::error::SluiceError;
use sluice::instructions::{
    ConstituentArgs, CreateBasketArgs, ExchangeInArgs, ExchangeOutArgs, RebalanceAction, RedeemBasketArgs,
};
use sluice::math::basket::holding_value;
use sluice::state::{Basket, BasketParams};
use sluice_sdk::chain::{Chain, ChainError};
use sluice_sdk::ix::QueueKeys;
use sluice_sdk::ix::{self, BasketKeys};
use sluice_sdk::{client, pda, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{Fixture, Investor, JUNIOR, SENIOR, UNIT};

pub const SENIOR_TERMS: ConstituentArgs =
    ConstituentArgs { haircut_bps: 200, cap_bps: 10_000, target_bps: 6_000, allow_junior: false, enabled: true };
pub const JUNIOR_TERMS: ConstituentArgs =
    ConstituentArgs { haircut_bps: 2_000, cap_bps: 3_000, target_bps: 2_000, allow_junior: true, enabled: true };

/// A funded pool, a basket of its senior (index 0) and junior (index 1) tranches, and Bob,
/// who holds both and a basket-token account.
pub struct BasketWorld {
    pub f: Fixture,
    pub b: BasketKeys,
    pub bob: Investor,
    pub bob_basket: Pubkey,
}

/// The issuer's basket 1 (default policy, the guardian's pause) over the fixture's base
/// token, created in one transaction with `then` (e.g. its first constituents).
pub async fn create_basket(f: &mut Fixture, then: &[Instruction]) -> BasketKeys {
    let issuer = f.issuer.insecure_clone();
    let b = BasketKeys::new(&issuer.pubkey(), 1, f.keys.base_mint, f.keys.base_token_program);
    let args = CreateBasketArgs { basket_id: 1, guardian: f.guardian.pubkey(), params: BasketParams::DEFAULT };
    let mut ixs = vec![ix::create_basket(&issuer.pubkey(), &b, args)];
    ixs.extend_from_slice(then);
    f.chain.send(&ixs, &[&issuer]).await.unwrap();
    b
}

pub async fn basket_world() -> BasketWorld {
    basket_world_in(false).await
}

/// The same world in a permissioned pool or not. Permissioned: Alice, Bob and the basket
/// are members, and the basket's vaults are thawed.
pub async fn basket_world_in(permissioned: bool) -> BasketWorld {
    let mut f = Fixture::new(permissioned).await;
    let alice = f.investor(20_000_000 * UNIT, permissioned).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let issuer = f.issuer.insecure_clone();
    let b = create_basket(&mut f, &[]).await;
    if permissioned {
        let expires = f.now().await + 730 * 86_400;
        f.set_member(&b.basket, expires).await.unwrap();
    }
    for (tranche, terms) in [(SENIOR, SENIOR_TERMS), (JUNIOR, JUNIOR_TERMS)] {
        let add = ix::add_constituent(&issuer.pubkey(), &b, &f.keys, tranche, terms);
        f.chain.send(&[add], &[&issuer]).await.unwrap();
        if permissioned {
            let vault = pda::basket_vault(&b.basket, &f.keys.tranche_mint(tranche));
            let thaw = ix::thaw_holder(&issuer.pubkey(), &f.keys.pool, tranche, &vault, &b.basket);
            f.chain.send(&[thaw], &[&issuer]).await.unwrap();
        }
    }
    let bob = f.investor(1_000_000 * UNIT, permissioned).await;
    f.deposit(&bob, JUNIOR, 100_000 * UNIT).await.unwrap();
    f.deposit(&bob, SENIOR, 200_000 * UNIT).await.unwrap();
    let bob_basket = client::create_token_account(&mut f.chain, &b.mint, &bob.wallet.pubkey()).await.unwrap();
    BasketWorld { f, b, bob, bob_basket }
}

impl BasketWorld {
    pub async fn basket(&mut self) -> Basket {
        client::basket(&mut self.f.chain, &self.b.basket).await.unwrap()
    }

    /// Constituent `index` (0 senior, 1 junior) in, from `inv`, while the basket has no open
    /// request (the pools alone price it).
    pub fn exchange_in(&self, inv: &Investor, basket_account: &Pubkey, index: u8, tokens: u64) -> Instruction {
        let tranche = [SENIOR, JUNIOR][index as usize];
        ix::exchange_in(
            &inv.wallet.pubkey(),
            &self.b,
            &self.f.keys.tranche_mint(tranche),
            &inv.tranches[tranche as usize],
            basket_account,
            // Checked only where the pool is permissioned.
            Some(pda::member(&self.f.keys.pool, &inv.wallet.pubkey())),
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
        ix::exchange_out(&inv.wallet.pubkey(), &self.b, basket_account, &inv.base, &slices, &[], args)
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
        let now = self.f.now().await;
        self.view().await.value(now).unwrap().0
    }

    /// The basket with what prices it.
    pub async fn view(&mut self) -> client::BasketView {
        client::basket_view(&mut self.f.chain, &self.b.basket).await.unwrap()
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

/// A basket world whose pool has redemption set up, and a keeper: the basket can refill
/// its sleeve through the queues.
pub async fn sleeve_world() -> (BasketWorld, Vec<QueueKeys>, (Keypair, Pubkey)) {
    sleeve_world_in(false).await
}

/// The sleeve world in a permissioned pool or not (see `basket_world_in`).
pub async fn sleeve_world_in(permissioned: bool) -> (BasketWorld, Vec<QueueKeys>, (Keypair, Pubkey)) {
    let mut w = basket_world_in(permissioned).await;
    let queues = w.f.init_redemption().await;
    let keeper = w.f.keeper().await;
    (w, queues, keeper)
}

impl BasketWorld {
    /// A `rebalance` crank on constituent `index`, priced from the chain now.
    pub async fn rebalance_ix(&mut self, keeper: &Pubkey, index: u8) -> Instruction {
        let view = self.view().await;
        ix::rebalance(keeper, &self.b, &view, index)
    }

    pub async fn rebalance(&mut self, keeper: &Keypair, index: u8) -> Result<(), ChainError> {
        let ix = self.rebalance_ix(&keeper.pubkey(), index).await;
        self.f.chain.send(&[ix], &[keeper]).await
    }

    /// What a keeper does for the basket: collect every request with something to
    /// collect, then the rule's action. Returns the cranks sent.
    pub async fn keep(&mut self, keeper: &Keypair) -> usize {
        let now = self.f.now().await;
        let (collect, _) = sluice_sdk::preview::basket_rebalance(&self.view().await, now).unwrap();
        let mut sent = 0;
        for index in collect {
            self.rebalance(keeper, index).await.unwrap();
            sent += 1;
        }
        // Collections change the sleeve: the action is planned after them.
        let (_, action) = sluice_sdk::preview::basket_rebalance(&self.view().await, now).unwrap();
        match action {
            RebalanceAction::Request { index, .. } | RebalanceAction::Deposit { index, .. } => {
                self.rebalance(keeper, index).await.unwrap();
                sent += 1;
            }
            RebalanceAction::Nothing => {}
        }
        sent
    }

    /// Runs every tranche's batch until there is nothing to process.
    pub async fn run_batches(&mut self, keeper: &(Keypair, Pubkey), queues: &[QueueKeys]) {
        for q in queues {
            for _ in 0..20 {
                match self.f.crank(keeper, q, 256).await {
                    Ok(()) => {}
                    Err(e) if e.is(SluiceError::NothingToProcess) || e.is(SluiceError::BatchNotDue) => break,
                    Err(e) => panic!("batch of tranche {}: {e:?}", q.tranche),
                }
            }
        }
    }

    /// A sleeve redemption of `tokens` by `holder` (basket tokens in `basket_account`, base
    /// tokens to `base`), priced from the chain.
    pub async fn redeem_ix(
        &mut self,
        holder: Pubkey,
        base: Pubkey,
        basket_account: Pubkey,
        tokens: u64,
        min_out: u64,
    ) -> Instruction {
        let view = self.view().await;
        let args = RedeemBasketArgs { tokens, min_out };
        ix::redeem_basket(&holder, &self.b, &basket_account, &base, &view.priced_accounts(), args)
    }

    /// Bob's sleeve redemption.
    pub async fn bob_redeem_ix(&mut self, tokens: u64, min_out: u64) -> Instruction {
        let (holder, base, account) = (self.bob.wallet.pubkey(), self.bob.base, self.bob_basket);
        self.redeem_ix(holder, base, account, tokens, min_out).await
    }

    /// Basket price scaled by 10¹², floored: value · 10¹² / supply.
    pub async fn price_e12(&mut self) -> u128 {
        let value = self.value().await as u128;
        let supply = self.basket().await.supply as u128;
        value * 1_000_000_000_000 / supply
    }
}
