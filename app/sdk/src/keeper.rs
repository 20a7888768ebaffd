//! A keeper: reads a pool's state and sends only the cranks that are due — repricing, stage changes,
//! batch fills, claim pushes, reserve recycling and market buy-backs — never a crank the
//! program would refuse. Every decision reuses the program's own functions
//! (`next_stage`, `plan_batch`, `market_signal`), so keeper and program cannot disagree.
//! Two keepers ticking the same pool at once are safe: each reads before it acts, and the
//! program refuses work already done.

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

use anchor_lang::solana_program::instruction::Instruction;
use sluice::error::SluiceError;
use sluice::instructions::{market_signal, market_view, next_stage, plan_batch, plan_buyback, MAX_PUSH};
use sluice::state::{Stage, PARK_AFTER_SECS, QUEUE_CAPACITY};

use crate::chain::{Chain, ChainError};
use crate::client;
use crate::ix::{self, AmmKeys, PoolKeys, QueueKeys};

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
        let base_mint = pool.base_mint;
        let queues = pool
            .active_tranches()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.queue != Pubkey::default())
            .map(|(i, t)| QueueKeys::new(&keys, i as u8, t.queue))
            .collect();
        let claim_route = push_claims
            .then(|| Box::new(move |owner: &Pubkey| Some(ix::token::associated(owner, &base_mint))) as ClaimRoute);
        Keeper {
            tip_account: ix::token::associated(&wallet.pubkey(), &pool.base_mint),
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

impl Keeper {
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
        if reprice_due(&pool, &client::oracle(chain, &self.keys.oracle).await?, now) {
            report.repriced = crank(chain, &[ix::reprice(&self.keys)], &[], &mut report).await?;
        }
        let pool = client::pool(chain, &self.keys.pool).await?;
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
