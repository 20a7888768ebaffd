//! A keeper: reads a pool's state and sends only the cranks that are due — repricing, stage changes,
//! batch fills, claim pushes, reserve recycling and market buy-backs — never a crank the
//! program would refuse; and tends baskets (`tend_basket`: collect, then the `rebalance`
//! rule's request or deposit). Every decision reuses the program's own functions
//! (`next_stage`, `plan_batch`, `market_signal`), so keeper and program cannot disagree.
//! Two keepers ticking the same pool at once are safe: each reads before it acts, and the
//! program refuses work already done.

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

use anchor_lang::solana_program::instruction::Instruction;
use sluice::error::SluiceError;
use sluice::instructions::{
    market_signal, market_view, next_stage, plan_batch, plan_buyback, RebalanceAction, MAX_PUSH,
};
use sluice::state::{Stage, PARK_AFTER_SECS, QUEUE_CAPACITY};

use crate::chain::{Chain, ChainError};
use crate::client;
use crate::ix::{self, AmmKeys, BasketKeys, PoolKeys, QueueKeys};

/// Where a request owner's claims are pushed: `None` leaves them for the owner to pull.
pub type ClaimRoute = Box<dyn Fn(&Pubkey) -> Option<Pubkey> + Send + Sync>;

pub struct Keeper {
    pub wallet: Keypair,
    /// Base-token account that receives keeper tips.
    pub tip_account: Pubkey,
    pub keys: PoolKeys,
    pub queues: Vec<QueueKeys>,
    pub reserve: Option<Pubkey>,
    pub market: Option<AmmKeys>,
    pub claim_route: Option<ClaimRoute>,
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// NAV recomputed because it was stale or half its allowed age.
    pub repriced: bool,
    pub stage_change: Option<Stage>,
    pub batch_calls: u32,
    pub claims_pushed: u32,
    pub recycled: u32,
    pub buybacks: u32,
    /// Unclaimed front requests moved out of their queue (`park_claim`).
    pub parked: u32,
    /// Cranks another keeper did first (the program refused them as already done).
    pub raced: u32,
    /// Why the pool's work cannot be done now by anyone, if it cannot.
    pub blocked: Option<Blocked>,
}

/// Why a pool's work — pricing, exits, batches, deposits — cannot be done now by any keeper:
/// what a keeper reports instead of staying silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The guardian paused the pool.
    Paused,
    /// The NAV is stale and the oracle has never published: nothing can reprice it.
    OracleNotPublished,
    /// The NAV is stale and the oracle's latest rates are older than the pool accepts.
    OracleStale { age_secs: i64, max_age_secs: u32 },
}

impl Blocked {
    /// A short stable name, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Blocked::Paused => "paused",
            Blocked::OracleNotPublished => "oracle_not_published",
            Blocked::OracleStale { .. } => "oracle_stale",
        }
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::Paused => {
                write!(f, "the pool is paused: no exits, batches or deposits until the guardian unpauses it")
            }
            Blocked::OracleNotPublished => {
                write!(f, "the NAV is stale and the oracle never published rates: a publisher must publish")
            }
            Blocked::OracleStale { age_secs, max_age_secs } => write!(
                f,
                "the NAV is stale and the oracle's rates are {age_secs} s old (the pool accepts {max_age_secs} s): \
                 no reprice, so no instant exits, batch fills or deposits until a publisher publishes"
            ),
        }
    }
}

/// Whether the pool's work is blocked at `now`, by the rules `reprice` and the pause apply.
pub fn blocked(pool: &sluice::state::Pool, oracle: &sluice::state::RateOracle, now: i64) -> Option<Blocked> {
    if pool.paused {
        return Some(Blocked::Paused);
    }
    if pool.nav_is_fresh(now) {
        return None;
    }
    let max_age_secs = pool.params.max_oracle_age_secs;
    if oracle.sequence == 0 {
        Some(Blocked::OracleNotPublished)
    } else if now - oracle.publish_time > max_age_secs as i64 {
        Some(Blocked::OracleStale { age_secs: now - oracle.publish_time, max_age_secs })
    } else {
        None
    }
}

/// Refusals that mean the work was done by someone else between our read and our send.
pub const RACE_ERRORS: [SluiceError; 6] = [
    SluiceError::NothingToProcess,
    SluiceError::RequestNotFound,
    SluiceError::NothingToClaim,
    SluiceError::BatchNotDue,
    SluiceError::StageUnchanged,
    SluiceError::NothingToWriteDown,
];

/// True when `e` says another keeper got there first.
pub fn is_race(e: &ChainError) -> bool {
    RACE_ERRORS.iter().any(|r| e.is(*r))
        || matches!(e, ChainError::Transaction(m) if m.contains("already been processed"))
}

/// Sends one crank; a lost race is counted, not an error.
async fn crank<C: Chain>(
    chain: &mut C,
    ixs: &[Instruction],
    signers: &[&Keypair],
    report: &mut TickReport,
) -> Result<bool, ChainError> {
    match chain.send(ixs, signers).await {
        Ok(()) => Ok(true),
        Err(e) if is_race(&e) => {
            report.raced += 1;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

impl Keeper {
    /// A keeper for `pool` as it stands: every tranche whose redemption is set up, the
    /// reserve if initialised, the market of `market_tranche` if given. Tips go to the
    /// wallet's associated base-token account, which must exist before the first batch;
    /// with `push_claims`, payouts go to each owner's associated base-token account.
    pub fn for_pool(
        wallet: Keypair,
        pool: &sluice::state::Pool,
        market_tranche: Option<u8>,
        push_claims: bool,
    ) -> Keeper {
        let keys = PoolKeys::of(pool);
        let (base_mint, base_program) = (pool.base_mint, pool.base_token_program);
        let queues = pool
            .active_tranches()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.queue != Pubkey::default())
            .map(|(i, t)| QueueKeys::new(&keys, i as u8, t.queue))
            .collect();
        let claim_route = push_claims.then(|| {
            Box::new(move |owner: &Pubkey| Some(ix::token::associated(&base_program, owner, &base_mint))) as ClaimRoute
        });
        Keeper {
            tip_account: ix::token::associated(&base_program, &wallet.pubkey(), &pool.base_mint),
            wallet,
            keys,
            queues,
            reserve: (pool.reserve_vault != Pubkey::default()).then_some(pool.reserve_vault),
            market: market_tranche.map(|t| AmmKeys::new(&keys, t)),
            claim_route,
        }
    }
}

/// A reprice is due when the stored NAV is stale (invalidated, too old, or from before the
/// last UTC midnight) or has used half its allowed age (so deposits and batches never meet
/// a stale one), and the oracle can support it.
pub fn reprice_due(pool: &sluice::state::Pool, oracle: &sluice::state::RateOracle, now: i64) -> bool {
    let oracle_fresh = oracle.sequence > 0 && now - oracle.publish_time <= pool.params.max_oracle_age_secs as i64;
    let half_age = pool.nav_time == 0 || now - pool.nav_time >= pool.params.max_nav_age_secs as i64 / 2;
    oracle_fresh && (!pool.nav_is_fresh(now) || half_age)
}

/// Indices of the receivables the overdue schedule says to write down at `now`, decided
/// by the program's own `overdue_write_down`.
pub fn overdue_due(pool: &sluice::state::Pool, receivables: &[sluice::state::Receivable], now: i64) -> Vec<u64> {
    let mut due: Vec<u64> = receivables
        .iter()
        .filter(|r| sluice::instructions::overdue_write_down(r, &pool.params.overdue_steps, now).is_some())
        .map(|r| r.index)
        .collect();
    due.sort_unstable();
    due
}

/// A tranche token account of a permissioned pool the keeper found: its tranche, address
/// and owner, and whether it is frozen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HolderAccount {
    pub tranche: u8,
    pub account: Pubkey,
    pub owner: Pubkey,
    pub frozen: bool,
}

/// The holder accounts `freeze_holder` would freeze at `now`: in a permissioned pool, every
/// thawed account whose owner has no live member record among `members` (the pool's member
/// records: a revoked member has none, an expired one is no longer live). The pool's own
/// accounts (escrows, market vaults) are never frozen; a permissionless pool has nothing to
/// freeze.
pub fn holders_to_freeze(
    pool_address: &Pubkey,
    pool: &sluice::state::Pool,
    accounts: &[HolderAccount],
    members: &[sluice::state::Member],
    now: i64,
) -> Vec<HolderAccount> {
    if !pool.params.permissioned {
        return vec![];
    }
    let live = |owner: &Pubkey| members.iter().any(|m| m.pool == *pool_address && m.wallet == *owner && m.is_live(now));
    accounts.iter().filter(|a| !a.frozen && a.owner != *pool_address && !live(&a.owner)).copied().collect()
}

/// Refusals that mean a holder account changed between our read and our send: frozen by
/// another keeper, or its owner admitted again.
pub const FREEZE_RACE_ERRORS: [SluiceError; 2] = [SluiceError::HolderAlreadyFrozen, SluiceError::HolderStillMember];

impl Keeper {
    /// Sends `freeze_holder` for each lapsed holder account, one a transaction so an
    /// account another keeper froze first (or whose owner was admitted again) costs only its
    /// own crank. Returns the accounts it froze and how many it lost to a race.
    pub async fn freeze_holders<C: Chain>(
        &self,
        chain: &mut C,
        lapsed: &[HolderAccount],
    ) -> Result<(Vec<HolderAccount>, u32), ChainError> {
        let caller = self.wallet.pubkey();
        let (mut frozen, mut raced) = (Vec::new(), 0);
        for h in lapsed {
            let ix = ix::freeze_holder(&caller, &self.keys.pool, h.tranche, &h.account, &h.owner);
            match chain.send(&[ix], &[&self.wallet]).await {
                Ok(()) => frozen.push(*h),
                Err(e) if FREEZE_RACE_ERRORS.iter().any(|r| e.is(*r)) || is_race(&e) => raced += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((frozen, raced))
    }

    /// Sends `write_down_overdue` for each index, one a transaction so a receivable another
    /// keeper wrote down first costs only its own crank. Returns (sent, raced).
    pub async fn write_down_overdue<C: Chain>(&self, chain: &mut C, indices: &[u64]) -> Result<(u32, u32), ChainError> {
        let mut report = TickReport::default();
        let mut sent = 0;
        for &index in indices {
            if crank(chain, &[ix::write_down_overdue(&self.keys, index)], &[], &mut report).await? {
                sent += 1;
            }
        }
        Ok((sent, report.raced))
    }

    /// One pass over everything due at the chain's current time.
    pub async fn tick<C: Chain>(&self, chain: &mut C) -> Result<TickReport, ChainError> {
        let mut report = TickReport::default();
        let now = chain.now().await?;
        let signers = [&self.wallet];

        let pool = client::pool(chain, &self.keys.pool).await?;
        let oracle = client::oracle(chain, &self.keys.oracle).await?;
        if reprice_due(&pool, &oracle, now) {
            report.repriced = crank(chain, &[ix::reprice(&self.keys)], &[], &mut report).await?;
        }
        // The pool as the reprice (if any) left it: read once for both.
        let pool = client::pool(chain, &self.keys.pool).await?;
        report.blocked = blocked(&pool, &oracle, now);
        // Every market of the pool: leaving Stress needs them all.
        let mut markets = Vec::new();
        let mut seen = Vec::new();
        for t in (0..pool.tranche_count).filter(|t| pool.market_mask & (1 << t) != 0) {
            let m = AmmKeys::new(&self.keys, t);
            seen.push((t, market_signal(&pool, &client::amm(chain, &m.amm).await?, now)));
            markets.push(m.amm);
        }
        if let Some(stage) = next_stage(&pool, now, market_view(&pool, &seen)) {
            let ixs = [ix::update_stage_with_markets(&self.keys.pool, &markets)];
            if crank(chain, &ixs, &[], &mut report).await? {
                report.stage_change = Some(stage);
            }
        }

        for q in &self.queues {
            let i = q.tranche as usize;
            // Progress marker: a crank that leaves it unchanged (a lost race, a dry run)
            // ends the loop instead of repeating.
            let mut last = None;
            loop {
                let pool = client::pool(chain, &self.keys.pool).await?;
                let marker = (pool.batch.id, pool.batch.open, pool.batch.cursor[i]);
                if last == Some(marker) {
                    break;
                }
                last = Some(marker);
                // A paused pool pays nothing; a fill needs a NAV that is still fresh.
                let due = !pool.paused
                    && if pool.batch.open {
                        pool.batch.cursor[i] < pool.batch.end[i] && pool.nav_is_fresh(now)
                    } else {
                        plan_batch(&pool, now).is_ok()
                    };
                if !due {
                    break;
                }
                let batch =
                    ix::process_batch(&self.wallet.pubkey(), &self.tip_account, &self.keys, q, self.reserve, 256);
                if crank(chain, &[batch], &signers, &mut report).await? {
                    report.batch_calls += 1;
                }
            }
        }

        if let Some(route) = &self.claim_route {
            for q in &self.queues {
                let window = client::pool(chain, &self.keys.pool).await?.tranches[q.tranche as usize];
                let queue = client::queue(chain, &q.queue).await?;
                let owed: Vec<(u64, Pubkey)> = (window.queue_head..window.queue_tail)
                    .filter_map(|id| {
                        let r = &queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
                        (r.claimable > 0).then_some(()).and(route(&r.owner)).map(|to| (id, to))
                    })
                    .collect();
                // Only to accounts that exist: the program skips the others, and pushing
                // them again every tick would be spam.
                let mut pairs = Vec::with_capacity(owed.len());
                for (id, to) in owed {
                    if client::exists(chain, &to).await? {
                        pairs.push((id, to));
                    }
                }
                for chunk in pairs.chunks(MAX_PUSH) {
                    let ixs = [ix::push_claims(&self.wallet.pubkey(), &self.keys, q, &self.tip_account, chunk)];
                    if crank(chain, &ixs, &signers, &mut report).await? {
                        report.claims_pushed += chunk.len() as u32;
                    }
                }
                // A front request nobody could pay for 30 days is parked, so the queue moves on
                // (the keeper pays the record's rent and gets it back when the owner claims).
                let head = window.queue_head;
                let front = &queue.requests[(head % QUEUE_CAPACITY as u64) as usize];
                let unpaid = !pairs.iter().any(|(id, _)| *id == head)
                    && !client::exists(chain, &crate::pda::parked(&self.keys.pool, q.tranche, head)).await?;
                if head < window.queue_tail
                    && front.remaining == 0
                    && front.claimable > 0
                    && unpaid
                    && now >= front.requested_at.saturating_add(PARK_AFTER_SECS)
                    && crank(
                        chain,
                        &[ix::park_claim(&self.wallet.pubkey(), &self.keys, q, head)],
                        &signers,
                        &mut report,
                    )
                    .await?
                {
                    report.parked += 1;
                }
            }
        }

        let pool = client::pool(chain, &self.keys.pool).await?;
        if self.reserve.is_some()
            && !pool.paused
            && pool.stage == Stage::Normal
            && pool.nav_is_fresh(now)
            && pool.cash_above_floor() > 0
        {
            for q in &self.queues {
                if pool.tranches[q.tranche as usize].reserve_tokens > 0
                    && crank(chain, &[ix::recycle_reserve(&self.keys, q)], &[], &mut report).await?
                {
                    report.recycled += 1;
                }
            }
        }

        if let (Some(m), Some(_)) = (&self.market, self.reserve) {
            let pool = client::pool(chain, &self.keys.pool).await?;
            let amm = client::amm(chain, &m.amm).await?;
            let escrow_ready = pool.tranches[m.tranche as usize].escrow != Pubkey::default();
            let vaults = (
                client::token_balance(chain, &m.tranche_vault).await?,
                client::token_balance(chain, &m.base_vault).await?,
            );
            let due = amm.reserves(vaults.0, vaults.1).is_ok_and(|r| plan_buyback(&pool, &amm, r, now).is_ok());
            if pool.nav_is_fresh(now)
                && !pool.paused
                && escrow_ready
                && due
                && crank(chain, &[ix::reserve_buyback(&self.keys, m)], &[], &mut report).await?
            {
                report.buybacks += 1;
            }
        }
        Ok(report)
    }
}

/// What tending one basket did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasketReport {
    /// Constituent pools repriced first because their NAV was due (pools the keeper does
    /// not watch itself).
    pub repriced: u32,
    /// `rebalance` cranks that collected a paid request into the sleeve.
    pub collected: u32,
    /// Cranks that placed a redemption request for the sleeve.
    pub requested: u32,
    /// Cranks that deposited a sleeve surplus into a constituent.
    pub deposited: u32,
    /// Cranks the program refused (constituent index, error): logged and counted, never
    /// stopping the other work.
    pub failures: Vec<(u8, String)>,
    /// Cranks another keeper did first.
    pub raced: u32,
    /// The basket is paused: it was only collected, its action skipped.
    pub paused: bool,
    /// A constituent's NAV is stale and could not be refreshed: nothing priced was sent.
    pub stale: bool,
    /// The sleeve as accounted, and the basket's value (when priced), after the tick.
    pub sleeve_balance: u64,
    pub value: Option<u64>,
    /// Base units the sleeve spent buying basket tokens back on the basket's market (they
    /// are burned), 0 without a market or a discount.
    pub bought_back: u64,
}

/// Refusals of a `rebalance` that mean another keeper tended the basket in between.
pub const BASKET_RACE_ERRORS: [SluiceError; 2] = [SluiceError::NothingToRebalance, SluiceError::WrongConstituent];

/// One `rebalance` crank; a refusal is recorded in `report` (race or failure), not returned.
async fn rebalance_crank<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    keys: &BasketKeys,
    view: &client::BasketView,
    index: u8,
    report: &mut BasketReport,
) -> Result<bool, ChainError> {
    let crank = ix::rebalance(&wallet.pubkey(), keys, view, index);
    match chain.send(&[crank], &[wallet]).await {
        Ok(()) => Ok(true),
        Err(e) if BASKET_RACE_ERRORS.iter().any(|r| e.is(*r)) || is_race(&e) => {
            report.raced += 1;
            Ok(false)
        }
        Err(ChainError::Transport(m)) => Err(ChainError::Transport(m)),
        Err(e) => {
            report.failures.push((index, e.explain()));
            Ok(false)
        }
    }
}

/// Tends the basket at `address` as its `rebalance` rule asks, at the chain's current time:
/// reprices any constituent pool whose NAV is due (the rule prices every constituent), then
/// collects each open request with something to collect into the sleeve, re-reads the
/// basket, and sends the planned request or deposit — unless the basket is paused, when the
/// program only collects. A crank the program refuses (say `NotMember` or
/// `SubordinationBreached` from a deposit) is recorded in the report and the rest goes on;
/// only transport failures are returned as errors.
pub async fn tend_basket<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    address: &Pubkey,
) -> Result<BasketReport, ChainError> {
    let mut report = BasketReport::default();
    let now = chain.now().await?;
    let mut view = client::basket_view(chain, address).await?;
    let b = &view.basket;
    let base_token_program = client::token_program_of(chain, &b.base_mint).await?;
    let keys = BasketKeys::new(&b.creator, b.basket_id, b.base_mint, base_token_program);

    // Fresh NAVs first: every crank prices the whole basket.
    let mut repriced = false;
    for pool in view.pools.clone() {
        if !reprice_due(&pool, &client::oracle(chain, &pool.oracle).await?, now) {
            continue;
        }
        let mut pool_report = TickReport::default();
        if crank(chain, &[ix::reprice(&PoolKeys::of(&pool))], &[], &mut pool_report).await? {
            report.repriced += 1;
            repriced = true;
        }
        report.raced += pool_report.raced;
    }
    if repriced {
        view = client::basket_view(chain, address).await?;
    }
    report.paused = view.basket.paused;
    report.sleeve_balance = view.basket.sleeve_balance;
    if view.pools.iter().any(|p| !p.nav_is_fresh(now)) {
        report.stale = true;
        return Ok(report);
    }

    // 1. Collect every request with something to collect (this works while paused).
    for index in sluice::instructions::collectable(&view.basket, &view.flights) {
        if rebalance_crank(chain, wallet, &keys, &view, index, &mut report).await? {
            report.collected += 1;
        }
        view = client::basket_view(chain, address).await?;
    }

    // 2. Then the rule's action, planned after the collections changed the sleeve.
    if !view.basket.paused {
        match sluice::instructions::plan_rebalance(&view.basket, &view.pools, &view.flights, now) {
            Ok(RebalanceAction::Request { index, .. }) => {
                if rebalance_crank(chain, wallet, &keys, &view, index, &mut report).await? {
                    report.requested += 1;
                }
            }
            Ok(RebalanceAction::Deposit { index, .. }) => {
                if rebalance_crank(chain, wallet, &keys, &view, index, &mut report).await? {
                    report.deposited += 1;
                }
            }
            Ok(RebalanceAction::Nothing) => {}
            Err(e) => report.failures.push((u8::MAX, format!("planning: {e}"))),
        }
    }
    if report.collected + report.requested + report.deposited > 0 {
        view = client::basket_view(chain, address).await?;
    }

    // 3. Where the basket token trades below its price by more than the market's discount,
    // the sleeve buys it back and burns it (within the daily cap and above the floor).
    let market = crate::pda::basket_market(address);
    if !view.basket.paused && client::exists(chain, &market).await? {
        let (m, reserves) = client::basket_market_reserves(chain, &market).await?;
        if let Ok(plan) = crate::preview::basket_buyback(&view, &m, reserves, u64::MAX, now) {
            let buyback =
                ix::basket_buyback(&keys, &ix::BasketMarketKeys::new(&keys), &view.priced_accounts(), plan.spend);
            match chain.send(&[buyback], &[]).await {
                Ok(()) => report.bought_back = plan.spend,
                Err(e) if e.is(SluiceError::NothingToProcess) || is_race(&e) => report.raced += 1,
                Err(ChainError::Transport(m)) => return Err(ChainError::Transport(m)),
                Err(e) => report.failures.push((u8::MAX, e.explain())),
            }
            view = client::basket_view(chain, address).await?;
        }
    }
    report.sleeve_balance = view.basket.sleeve_balance;
    report.value = view.value(now).ok().map(|(v, _)| v);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::AnchorDeserialize;

    fn zeroed<T: AnchorDeserialize + anchor_lang::Space>() -> T {
        T::deserialize(&mut &vec![0u8; T::INIT_SPACE][..]).expect("an all-default account")
    }

    #[test]
    fn blocked_names_why_nothing_can_be_done() {
        let now = 10 * 86_400 + 3_600;
        let mut pool: sluice::state::Pool = zeroed();
        pool.params.max_nav_age_secs = 3_600;
        pool.params.max_oracle_age_secs = 86_400;
        let mut oracle: sluice::state::RateOracle = zeroed();
        // A stale NAV and an oracle that never published.
        assert_eq!(blocked(&pool, &oracle, now), Some(Blocked::OracleNotPublished));
        // Published, but two days ago.
        (oracle.sequence, oracle.publish_time) = (1, now - 2 * 86_400);
        assert_eq!(
            blocked(&pool, &oracle, now),
            Some(Blocked::OracleStale { age_secs: 2 * 86_400, max_age_secs: 86_400 })
        );
        // Fresh rates: a reprice can pass, nothing is blocked.
        oracle.publish_time = now - 60;
        assert_eq!(blocked(&pool, &oracle, now), None);
        // A fresh NAV needs no oracle; a pause blocks everything.
        oracle.publish_time = now - 2 * 86_400;
        pool.nav_time = now - 60;
        assert_eq!(blocked(&pool, &oracle, now), None);
        pool.paused = true;
        assert_eq!(blocked(&pool, &oracle, now), Some(Blocked::Paused));
        assert_eq!(Blocked::Paused.kind(), "paused");
    }
}
