//! Shared fixture for Sluice's native tests: a bank with one pool of three tranches, a
//! publisher, a guardian, funded investors, and helpers that return decoded state.
#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

pub mod basket;
pub mod market;

pub use sluice::error::SluiceError;
use sluice::instructions::*;
use sluice::math::dcf::{ClassRates, OverdueStep};
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{Book, Pool, PoolParams, RateOracle, Receivable, Request, MAX_PUBLISHERS, QUEUE_CAPACITY};
use sluice_sdk::chain::{BankChain, Chain, ChainError, DevChain, RawAccount};
use sluice_sdk::client;
pub use sluice_sdk::ix::QueueKeys;
use sluice_sdk::ix::{self, PoolKeys};
use sluice_sdk::pda;

pub const SENIOR: u8 = 0;
pub const MEZZANINE: u8 = 1;
pub const JUNIOR: u8 = 2;
/// One base token (6 decimals, like USDC).
pub const UNIT: u64 = 1_000_000;

pub fn default_params(permissioned: bool) -> PoolParams {
    PoolParams {
        max_oracle_age_secs: 3_600,
        max_nav_age_secs: 600,
        max_rate_move_bps: 500,
        pool_cap: 100_000_000 * UNIT,
        permissioned,
        overdue_steps: [
            OverdueStep { days: 30, haircut_bps: 2_500 },
            OverdueStep { days: 60, haircut_bps: 5_000 },
            OverdueStep { days: 90, haircut_bps: 10_000 },
        ],
        redemption: sluice::state::RedemptionParams::RECOMMENDED,
    }
}

pub fn rates(sequence: u64, market_rate_bps: u32) -> PublishRatesArgs {
    PublishRatesArgs {
        sequence,
        market_rate_bps,
        classes: [
            ClassRates { default_probability_bps: 100, recovery_bps: 6_000 },
            ClassRates { default_probability_bps: 300, recovery_bps: 5_000 },
            ClassRates { default_probability_bps: 700, recovery_bps: 4_000 },
            ClassRates { default_probability_bps: 1_500, recovery_bps: 3_000 },
        ],
    }
}

/// A wallet with base tokens, a token account per tranche, and (if asked) membership.
pub struct Investor {
    pub wallet: Keypair,
    pub base: Pubkey,
    pub tranches: [Pubkey; 3],
}

pub struct Fixture {
    pub chain: BankChain,
    pub issuer: Keypair,
    pub guardian: Keypair,
    pub publisher: Keypair,
    pub keys: PoolKeys,
    /// Issuer's base token account: funds repayments.
    pub issuer_base: Pubkey,
    /// Borrower's base token account: receives fundings.
    pub borrower_base: Pubkey,
    pub sequence: u64,
    /// The reserve vault, once `init_reserve` has run.
    pub reserve: Option<Pubkey>,
    /// Tranches whose queue and escrow exist.
    pub redemption_ready: [bool; 3],
}

/// A funded pool with redemption set up: junior 3M, mezzanine 2M, senior 5M (all cash).
pub async fn pool_with_queues() -> (Fixture, Investor, Vec<QueueKeys>) {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let queues = f.init_redemption().await;
    (f, alice, queues)
}

/// The same, in a second pool whose senior and mezzanine need no subordination, so that the
/// junior can leave entirely while they stay: the fixture is switched to it.
pub async fn pool_without_subordination() -> (Fixture, Investor, Vec<QueueKeys>) {
    let mut f = Fixture::new(false).await;
    let keys = f.another_pool(2).await;
    let issuer = f.issuer.insecure_clone();
    for (i, coupon_bps) in [800u16, 1_200, 0].into_iter().enumerate() {
        let args = AddTrancheArgs { coupon_bps, min_subordination_bps: 0, metadata: tranche_metadata(i as u8) };
        f.chain.send(&[ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args)], &[&issuer]).await.unwrap();
    }
    f.keys = keys;
    f.sequence = 0;
    f.publish(800).await.unwrap();
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let queues = f.init_redemption().await;
    (f, alice, queues)
}

/// What wallets show for the fixture's tranche `i`.
pub fn tranche_metadata(i: u8) -> TrancheMetadata {
    let (name, symbol) = [("Harbor Trade 2027-A Senior", "HT27A-S"), ("Harbor Trade 2027-A Mezzanine", "HT27A-M")]
        .get(i as usize)
        .copied()
        .unwrap_or(("Harbor Trade 2027-A Junior", "HT27A-J"));
    TrancheMetadata { name: name.into(), symbol: symbol.into(), uri: format!("https://harbor.example/2027-a/{i}.json") }
}

/// An instant redemption of `tokens` of `tranche` by `inv`, with no payout floor.
pub fn instant(
    f: &Fixture,
    inv: &Investor,
    tranche: u8,
    tokens: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    instant_with_min(f, inv, tranche, tokens, 0)
}

/// An instant redemption that pays at least `min_out`.
pub fn instant_with_min(
    f: &Fixture,
    inv: &Investor,
    tranche: u8,
    tokens: u64,
    min_out: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    ix::redeem_instant(
        &inv.wallet.pubkey(),
        &f.keys,
        &inv.tranches[tranche as usize],
        &inv.base,
        f.reserve,
        RedeemInstantArgs { tranche, tokens, min_out },
    )
}
/// Asserts that `result` failed with exactly `expected` from Sluice.
#[track_caller]
pub fn assert_sluice_err<T: std::fmt::Debug>(result: Result<T, ChainError>, expected: SluiceError) {
    match result {
        Err(e) if e.is(expected) => {}
        other => panic!("expected {expected:?} ({}), got {other:?}", u32::from(expected)),
    }
}

impl Fixture {
    /// A pool with senior (8 % coupon, 20 % subordination), mezzanine (12 %, 10 %) and
    /// junior tranches, and rates published.
    pub async fn new(permissioned: bool) -> Fixture {
        Fixture::with_base_program(permissioned, ix::SPL_TOKEN).await
    }

    /// The same pool with its base mint under `base_program` (classic SPL Token or
    /// Token-2022, without extensions).
    pub async fn with_base_program(permissioned: bool, base_program: Pubkey) -> Fixture {
        let mut chain = BankChain::start().await;
        // Start each test at 01:00 UTC: a NAV is stale after UTC midnight, and a test that
        // happened to run at 23:59 must not see one go stale between two instructions.
        let now = chain.now().await.unwrap();
        let day = now.div_euclid(SECONDS_PER_DAY);
        chain.set_clock((day + 1) * SECONDS_PER_DAY + 3_600).await.unwrap();
        let issuer = Keypair::new();
        let guardian = Keypair::new();
        let publisher = Keypair::new();
        for k in [&issuer, &guardian, &publisher] {
            chain.airdrop(&k.pubkey(), 100_000_000_000).await.unwrap();
        }
        let base_mint = client::create_mint_of(&mut chain, &base_program, &issuer.pubkey(), 6).await.unwrap();
        let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
        publishers[0] = publisher.pubkey();
        let keys = client::create_pool(
            &mut chain,
            &issuer,
            &base_mint,
            CreatePoolArgs {
                pool_id: 1,
                guardian: guardian.pubkey(),
                publishers,
                params: default_params(permissioned),
            },
        )
        .await
        .unwrap();
        for (i, (coupon_bps, min_subordination_bps)) in [(800, 2_000), (1_200, 1_000), (0, 0)].into_iter().enumerate() {
            let args = AddTrancheArgs { coupon_bps, min_subordination_bps, metadata: tranche_metadata(i as u8) };
            let ix = ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args);
            chain.send(&[ix], &[&issuer]).await.unwrap();
        }
        let issuer_base = client::create_token_account(&mut chain, &base_mint, &issuer.pubkey()).await.unwrap();
        client::mint_to(&mut chain, &base_mint, &issuer_base, &issuer, 10_000_000 * UNIT).await.unwrap();
        let borrower_base =
            client::create_token_account(&mut chain, &base_mint, &Keypair::new().pubkey()).await.unwrap();
        let mut f = Fixture {
            chain,
            issuer,
            guardian,
            publisher,
            keys,
            issuer_base,
            borrower_base,
            sequence: 0,
            reserve: None,
            redemption_ready: [false; 3],
        };
        f.publish(800).await.unwrap();
        f
    }

    /// A second pool of the same issuer, base mint and publisher: no tranches, no rates.
    pub async fn another_pool(&mut self, pool_id: u64) -> PoolKeys {
        let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
        publishers[0] = self.publisher.pubkey();
        let args =
            CreatePoolArgs { pool_id, guardian: self.guardian.pubkey(), publishers, params: default_params(false) };
        client::create_pool(&mut self.chain, &self.issuer, &self.keys.base_mint, args).await.unwrap()
    }

    pub async fn now(&mut self) -> i64 {
        self.chain.now().await.unwrap()
    }

    /// UTC midnight `days` days after today.
    pub async fn due_in_days(&mut self, days: i64) -> i64 {
        (self.now().await.div_euclid(SECONDS_PER_DAY) + days) * SECONDS_PER_DAY
    }

    pub async fn publish(&mut self, market_rate_bps: u32) -> Result<(), ChainError> {
        let args = rates(self.sequence + 1, market_rate_bps);
        let ix = ix::publish_rates(&self.publisher.pubkey(), &self.keys, args);
        self.chain.send(&[ix], &[&self.publisher]).await?;
        self.sequence += 1;
        Ok(())
    }

    pub async fn investor(&mut self, base_amount: u64, member: bool) -> Investor {
        let wallet = Keypair::new();
        self.chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.unwrap();
        let base = client::create_token_account(&mut self.chain, &self.keys.base_mint, &wallet.pubkey()).await.unwrap();
        client::mint_to(&mut self.chain, &self.keys.base_mint, &base, &self.issuer, base_amount).await.unwrap();
        let mut tranches = [Pubkey::default(); 3];
        for (i, t) in tranches.iter_mut().enumerate() {
            *t = client::create_token_account(&mut self.chain, &self.keys.tranche_mint(i as u8), &wallet.pubkey())
                .await
                .unwrap();
        }
        let inv = Investor { wallet, base, tranches };
        if member {
            let expires = self.now().await + 730 * SECONDS_PER_DAY;
            self.set_member(&inv.wallet.pubkey(), expires).await.unwrap();
            self.thaw(&inv).await;
        }
        inv
    }

    /// Creates `tranche`'s market (recommended parameters) and returns its keys with `inv`'s
    /// trader accounts (an LP account included; `inv`'s member record where it matters).
    pub async fn create_market(&mut self, inv: &Investor, tranche: u8) -> (ix::AmmKeys, ix::Trader) {
        let m = ix::AmmKeys::new(&self.keys, tranche);
        let issuer = self.issuer.insecure_clone();
        let create = ix::create_amm(&issuer.pubkey(), &self.keys, &m, sluice::state::AmmParams::RECOMMENDED);
        self.chain.send(&[create], &[&issuer]).await.unwrap();
        let lp = client::create_token_account(&mut self.chain, &m.lp_mint, &inv.wallet.pubkey()).await.unwrap();
        let t = ix::Trader {
            user: inv.wallet.pubkey(),
            tranche_account: inv.tranches[tranche as usize],
            base_account: inv.base,
            lp_account: Some(lp),
            member: Some(pda::member(&self.keys.pool, &inv.wallet.pubkey())),
        };
        (m, t)
    }

    /// Thaws `inv`'s tranche accounts where the pool is permissioned (they start frozen);
    /// `inv` must be a live member.
    pub async fn thaw(&mut self, inv: &Investor) {
        if !self.pool().await.params.permissioned {
            return;
        }
        let owner = inv.wallet.pubkey();
        let ixs: Vec<_> =
            (0..3u8).map(|i| ix::thaw_holder(&owner, &self.keys.pool, i, &inv.tranches[i as usize], &owner)).collect();
        self.chain.send(&ixs, &[&inv.wallet]).await.unwrap();
    }

    pub async fn set_member(&mut self, wallet: &Pubkey, expires_at: i64) -> Result<(), ChainError> {
        let ix = ix::set_member(&self.issuer.pubkey(), &self.keys.pool, wallet, expires_at);
        self.chain.send(&[ix], &[&self.issuer]).await
    }

    pub fn deposit_ix(
        &self,
        inv: &Investor,
        tranche: u8,
        amount: u64,
        min_tokens_out: u64,
    ) -> anchor_lang::solana_program::instruction::Instruction {
        ix::deposit(
            &inv.wallet.pubkey(),
            &self.keys,
            &inv.base,
            &inv.tranches[tranche as usize],
            Some(pda::member(&self.keys.pool, &inv.wallet.pubkey())),
            self.reserve.filter(|_| self.redemption_ready[tranche as usize]),
            DepositArgs { tranche, amount, min_tokens_out },
        )
    }

    pub async fn deposit(&mut self, inv: &Investor, tranche: u8, amount: u64) -> Result<(), ChainError> {
        let ix = self.deposit_ix(inv, tranche, amount, 0);
        self.chain.send(&[ix], &[&inv.wallet]).await
    }

    pub async fn reprice(&mut self) -> Result<(), ChainError> {
        self.chain.send(&[ix::reprice(&self.keys)], &[]).await
    }

    /// Funds a receivable due at UTC midnight `due_days` from today; returns its index.
    pub async fn add_receivable(
        &mut self,
        face_value: u64,
        funded: u64,
        due_days: i64,
        risk_class: u8,
    ) -> Result<u64, ChainError> {
        let due_ts = self.due_in_days(due_days).await;
        self.add_receivable_at(face_value, funded, due_ts, risk_class).await
    }

    /// Funds a receivable due at `due_ts` (a UTC midnight); returns its index.
    pub async fn add_receivable_at(
        &mut self,
        face_value: u64,
        funded: u64,
        due_ts: i64,
        risk_class: u8,
    ) -> Result<u64, ChainError> {
        let index = self.pool().await.receivable_count;
        let args = AddReceivableArgs { face_value, funded, due_ts, risk_class, document_hash: [index as u8; 32] };
        let ix = ix::add_receivable(&self.issuer.pubkey(), &self.keys, index, &self.borrower_base, args);
        self.chain.send(&[ix], &[&self.issuer]).await?;
        Ok(index)
    }

    pub async fn repay(&mut self, index: u64, amount: u64) -> Result<(), ChainError> {
        let ix = ix::record_repayment(&self.issuer.pubkey(), &self.keys, index, &self.issuer_base, amount);
        self.chain.send(&[ix], &[&self.issuer]).await
    }

    pub async fn pool(&mut self) -> Pool {
        client::pool(&mut self.chain, &self.keys.pool).await.unwrap()
    }

    pub async fn book(&mut self) -> Box<Book> {
        client::book(&mut self.chain, &self.keys.book).await.unwrap()
    }

    pub async fn oracle(&mut self) -> RateOracle {
        client::oracle(&mut self.chain, &self.keys.oracle).await.unwrap()
    }

    pub async fn receivable(&mut self, index: u64) -> Receivable {
        client::receivable(&mut self.chain, &pda::receivable(&self.keys.pool, index)).await.unwrap()
    }

    pub async fn balance(&mut self, account: &Pubkey) -> u64 {
        client::token_balance(&mut self.chain, account).await.unwrap()
    }

    /// Raw state of the pool's accounts and `extra`, to show a rejection changed nothing.
    pub async fn snapshot(&mut self, extra: &[Pubkey]) -> Vec<Option<RawAccount>> {
        let mut keys = vec![self.keys.pool, self.keys.book, self.keys.vault, self.keys.oracle];
        keys.extend_from_slice(extra);
        let mut out = Vec::new();
        for k in keys {
            out.push(self.chain.account(&k).await.unwrap());
        }
        out
    }

    /// Sends `ixs` signed by `signers`, expects `expected`, and checks that the pool's
    /// accounts and `extra` are byte-for-byte unchanged.
    pub async fn expect_rejected(
        &mut self,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        signers: &[&Keypair],
        expected: SluiceError,
        extra: &[Pubkey],
    ) {
        let before = self.snapshot(extra).await;
        let result = self.chain.send(ixs, signers).await;
        assert_sluice_err(result, expected);
        assert_eq!(before, self.snapshot(extra).await, "state changed after a rejected {expected:?}");
    }

    /// Sets up redemption for every tranche; returns the queue keys by tranche.
    pub async fn init_redemption(&mut self) -> Vec<QueueKeys> {
        let mut out = Vec::new();
        for t in 0..3 {
            out.push(client::init_redemption(&mut self.chain, &self.issuer, &self.keys, t).await.unwrap());
            self.redemption_ready[t as usize] = true;
        }
        out
    }

    pub async fn request(&mut self, inv: &Investor, q: &QueueKeys, tokens: u64) -> Result<u64, ChainError> {
        let id = self.pool().await.tranches[q.tranche as usize].queue_tail;
        let ix = ix::request_redemption(&inv.wallet.pubkey(), &self.keys, q, &inv.tranches[q.tranche as usize], tokens);
        self.chain.send(&[ix], &[&inv.wallet]).await?;
        Ok(id)
    }

    /// Creates the buy-back reserve and funds it from the issuer.
    pub async fn init_reserve(&mut self, funding: u64) {
        let issuer = self.issuer.insecure_clone();
        self.chain.send(&[ix::init_reserve(&issuer.pubkey(), &self.keys)], &[&issuer]).await.unwrap();
        self.reserve = Some(pda::reserve(&self.keys.pool));
        if funding > 0 {
            let ix = ix::fund_reserve(&issuer.pubkey(), &self.keys, &self.issuer_base, funding);
            self.chain.send(&[ix], &[&issuer]).await.unwrap();
        }
    }

    pub async fn cancel(&mut self, inv: &Investor, q: &QueueKeys, id: u64) -> Result<(), ChainError> {
        let ix = ix::cancel_redemption(&inv.wallet.pubkey(), &self.keys, q, &inv.tranches[q.tranche as usize], id);
        self.chain.send(&[ix], &[&inv.wallet]).await
    }

    /// Fresh rates at the fixture's level and a reprice: a fresh NAV after a clock move.
    pub async fn refresh(&mut self) {
        self.publish(800).await.unwrap();
        self.reprice().await.unwrap();
    }

    /// The fixture's parameters with `change` applied, set and repriced.
    pub async fn change_params(&mut self, change: impl FnOnce(&mut PoolParams)) {
        let mut params = default_params(false);
        change(&mut params);
        self.set_params(params).await;
    }

    /// Replaces the pool's parameters (as the issuer) and reprices.
    pub async fn set_params(&mut self, params: PoolParams) {
        let issuer = self.issuer.insecure_clone();
        self.chain.send(&[ix::update_params(&issuer.pubkey(), &self.keys.pool, params)], &[&issuer]).await.unwrap();
        self.reprice().await.unwrap();
    }

    /// Lends out all cash above the 2 % floor in a receivable due in 20 days; returns its
    /// index and amount.
    pub async fn lock_cash(&mut self) -> (u64, u64) {
        let pool = self.pool().await;
        let lock = pool.cash - pool.nav / 50;
        let idx = self.add_receivable(lock, lock, 20, 0).await.unwrap();
        self.reprice().await.unwrap();
        (idx, lock)
    }

    /// A keeper with a base-token account for tips.
    pub async fn keeper(&mut self) -> (Keypair, Pubkey) {
        let keeper = Keypair::new();
        self.chain.airdrop(&keeper.pubkey(), 1_000_000_000).await.unwrap();
        let base = client::create_token_account(&mut self.chain, &self.keys.base_mint, &keeper.pubkey()).await.unwrap();
        (keeper, base)
    }

    pub fn crank_ix(
        &self,
        keeper: &(Keypair, Pubkey),
        q: &QueueKeys,
        max: u16,
    ) -> anchor_lang::solana_program::instruction::Instruction {
        ix::process_batch(&keeper.0.pubkey(), &keeper.1, &self.keys, q, self.reserve, max)
    }

    pub async fn crank(&mut self, keeper: &(Keypair, Pubkey), q: &QueueKeys, max: u16) -> Result<(), ChainError> {
        let ix = self.crank_ix(keeper, q, max);
        self.chain.send(&[ix], &[&keeper.0]).await
    }

    pub async fn queued(&mut self, q: &QueueKeys, id: u64) -> Request {
        let queue = client::queue(&mut self.chain, &q.queue).await.unwrap();
        queue.requests[(id % QUEUE_CAPACITY as u64) as usize]
    }

    /// Junior, then mezzanine, then senior deposits, so each meets its subordination.
    pub async fn seed_deposits(&mut self, investor: &Investor, junior: u64, mezzanine: u64, senior: u64) {
        self.reprice().await.unwrap();
        self.deposit(investor, JUNIOR, junior).await.unwrap();
        self.deposit(investor, MEZZANINE, mezzanine).await.unwrap();
        self.deposit(investor, SENIOR, senior).await.unwrap();
    }
}
