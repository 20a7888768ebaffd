use anchor_lang::prelude::*;

use crate::error::SluiceError;
use crate::math::allocation::TrancheSide;
use crate::math::dcf::OverdueStep;
use crate::math::time::{BPS, SECONDS_PER_DAY};
use crate::math::tokens::price_e12;
use crate::math::waterfall::waterfall;

pub const MAX_TRANCHES: usize = 3;
pub const OVERDUE_STEPS: usize = 3;

/// Value of `tokens` at `value / supply`, rounded up (for amounts the pool must keep back).
fn value_up(tokens: u64, value: u64, supply: u64) -> u64 {
    if supply == 0 {
        return 0;
    }
    (tokens as u128 * value as u128).div_ceil(supply as u128).min(u64::MAX as u128) as u64
}

/// Redemption stage.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub enum Stage {
    #[default]
    Normal,
    Stress,
    Crisis,
}

/// Issuer-tunable parameters; `validate` holds their bounds.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct PoolParams {
    /// `reprice` refuses rates published longer ago than this.
    pub max_oracle_age_secs: u32,
    /// `deposit` refuses a NAV computed longer ago than this.
    pub max_nav_age_secs: u32,
    /// Largest change of any published rate per update, in bps.
    pub max_rate_move_bps: u32,
    /// Deposits may not lift NAV above this (base units).
    pub pool_cap: u64,
    /// Deposits require a live member account.
    pub permissioned: bool,
    /// Write-down schedule for overdue receivables, ascending.
    pub overdue_steps: [OverdueStep; OVERDUE_STEPS],
    pub redemption: RedemptionParams,
}

/// Staged redemption (`docs/redemption.md` has each default and why).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct RedemptionParams {
    /// Largest value (base units) `redeem_instant` pays; larger requests queue and are paid
    /// in installments.
    pub instant_threshold: u64,
    /// Fee on instant redemptions, bps of the value; kept by the pool's fee pot.
    pub instant_fee_bps: u16,
    /// Instant redemptions per 24 h window, bps of NAV.
    pub instant_window_cap_bps: u16,
    /// Cash the pool keeps against redemptions, bps of NAV.
    pub cash_floor_bps: u16,
    /// A large request is paid over at least this many batches.
    pub installments: u8,
    pub batch_interval_secs: u32,
    /// Smallest request, in tranche tokens (a holder's whole balance is always accepted).
    pub min_request: u64,
    /// Paid from the fee pot to whoever cranks a batch that does work.
    pub keeper_tip: u64,
    /// Normal → Stress when queued value reaches this share of NAV (bps) …
    pub stress_enter_bps: u16,
    /// … and back only below this one.
    pub stress_exit_bps: u16,
    /// Normal → Stress also when cash covers less than this share of queued value (bps) …
    pub coverage_enter_bps: u16,
    /// … and back only above this one.
    pub coverage_exit_bps: u16,
    /// Stress lasting longer than this becomes Crisis.
    pub crisis_after_secs: u32,
    /// Crisis → Stress only once queued value is below this share of NAV (bps).
    pub crisis_exit_bps: u16,
    /// No stage is left before it has lasted this long.
    pub min_stage_secs: u32,
    /// Buy-back reserve target, bps of NAV (1–2 %); the issuer may withdraw only above it.
    pub reserve_target_bps: u16,
    /// Share of instant-redemption fees that goes to the reserve, bps.
    pub reserve_fee_share_bps: u16,
    /// The reserve buys queued tokens at NAV × (1 − discount), bps.
    pub buyback_discount_bps: u16,
    /// Most of the reserve one batch may spend, bps of its balance.
    pub reserve_batch_share_bps: u16,
}

impl RedemptionParams {
    /// Recommended values for a pool whose base token has 6 decimals
    /// (`docs/redemption.md` gives the reasoning behind each).
    pub const RECOMMENDED: RedemptionParams = RedemptionParams {
        instant_threshold: 10_000_000_000,
        instant_fee_bps: 50,
        instant_window_cap_bps: 100,
        cash_floor_bps: 200,
        installments: 7,
        batch_interval_secs: 86_400,
        min_request: 1_000_000,
        keeper_tip: 1_000_000,
        stress_enter_bps: 1_000,
        stress_exit_bps: 500,
        coverage_enter_bps: 5_000,
        coverage_exit_bps: 10_000,
        crisis_after_secs: 14 * 86_400,
        crisis_exit_bps: 300,
        min_stage_secs: 3 * 86_400,
        reserve_target_bps: 150,
        reserve_fee_share_bps: 5_000,
        buyback_discount_bps: 200,
        reserve_batch_share_bps: 2_500,
    };

    pub fn validate(&self) -> Result<()> {
        require!(
            self.instant_fee_bps <= 1_000
                && self.instant_window_cap_bps as u32 <= BPS
                && self.cash_floor_bps <= 5_000
                && (1..=52).contains(&self.installments)
                && (60..=7 * 86_400).contains(&self.batch_interval_secs)
                && self.min_request > 0
                && self.stress_exit_bps < self.stress_enter_bps
                && self.coverage_exit_bps > self.coverage_enter_bps
                && self.crisis_exit_bps <= self.stress_exit_bps
                && self.min_stage_secs <= 30 * 86_400
                && self.crisis_after_secs >= self.min_stage_secs
                && (100..=200).contains(&self.reserve_target_bps)
                && self.reserve_fee_share_bps as u32 <= BPS
                && self.buyback_discount_bps <= 2_000
                && (1..=BPS).contains(&(self.reserve_batch_share_bps as u32)),
            SluiceError::InvalidParams
        );
        Ok(())
    }
}

/// A redemption batch in progress: planned once from the pool, then worked through each
/// tranche's queue in chunks, resumable across transactions.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct BatchState {
    pub id: u64,
    pub opened_at: i64,
    pub open: bool,
    /// Tranche value and supply at the batch NAV: fills pay this price, and only while no
    /// tranche of the batch has fallen below it (otherwise the batch lapses).
    pub price_value: [u64; MAX_TRANCHES],
    pub price_supply: [u64; MAX_TRANCHES],
    /// Allowances of the requests not yet visited (cancels take theirs out), and the tokens
    /// still granted to them: each visited request takes its pro-rata share of what is left,
    /// so cancelled demand leaves nothing unspent.
    pub demand: [u64; MAX_TRANCHES],
    pub granted: [u64; MAX_TRANCHES],
    /// Next request id to fill, and the first id not in this batch.
    pub cursor: [u64; MAX_TRANCHES],
    pub end: [u64; MAX_TRANCHES],
    /// Tokens redeemed and value paid so far in this batch.
    pub redeemed: [u64; MAX_TRANCHES],
    pub paid: [u64; MAX_TRANCHES],
    /// Tokens the buy-back reserve still takes over from the queue in this batch (Stress
    /// and Crisis only), and what it has paid so far.
    pub reserve_granted: [u64; MAX_TRANCHES],
    pub reserve_paid: [u64; MAX_TRANCHES],
    /// Value the batch plans to pay (vault and reserve) and keeper tips paid for it: the tip
    /// is earned in proportion to value processed, `keeper_tip` per batch at most.
    pub planned_value: u64,
    pub tip_paid: u64,
}

impl BatchState {
    /// The request `id` of tranche `i` is in this open batch and not yet visited.
    pub fn pending(&self, i: usize, id: u64) -> bool {
        self.open && id >= self.cursor[i] && id < self.end[i]
    }

    /// A pending request left the batch (cancelled) with `allowed` tokens of allowance:
    /// the grants shrink to what the remaining demand can take.
    pub fn withdraw_demand(&mut self, i: usize, allowed: u64) {
        self.demand[i] -= allowed.min(self.demand[i]);
        self.granted[i] = self.granted[i].min(self.demand[i]);
        self.reserve_granted[i] = self.reserve_granted[i].min(self.demand[i] - self.granted[i]);
    }
}

pub const MIN_AGE_SECS: u32 = 60;
pub const MAX_ORACLE_AGE_SECS: u32 = 7 * 86_400;
pub const MAX_NAV_AGE_SECS: u32 = 86_400;
/// An overdue receivable must be written off completely by this many days past due.
pub const MAX_FULL_WRITE_DOWN_DAYS: u32 = 365;
/// The overdue schedule a spec without one gets: 30 / 60 / 90 days → 25 / 50 / 100 %.
pub const DEFAULT_OVERDUE_STEPS: [OverdueStep; OVERDUE_STEPS] = [
    OverdueStep { days: 30, haircut_bps: 2_500 },
    OverdueStep { days: 60, haircut_bps: 5_000 },
    OverdueStep { days: 90, haircut_bps: 10_000 },
];

impl PoolParams {
    pub fn validate(&self) -> Result<()> {
        require!(
            (MIN_AGE_SECS..=MAX_ORACLE_AGE_SECS).contains(&self.max_oracle_age_secs)
                && (MIN_AGE_SECS..=MAX_NAV_AGE_SECS).contains(&self.max_nav_age_secs)
                && (1..=BPS).contains(&self.max_rate_move_bps)
                && self.pool_cap > 0,
            SluiceError::InvalidParams
        );
        self.redemption.validate()?;
        let mut last = OverdueStep::default();
        for s in self.overdue_steps.iter().filter(|s| s.days > 0) {
            require!(
                s.days > last.days && s.haircut_bps >= last.haircut_bps && s.haircut_bps as u32 <= BPS,
                SluiceError::InvalidParams
            );
            last = *s;
        }
        // A schedule must write an overdue receivable off completely, and within a bound: one
        // that never does (an all-zero schedule among them) keeps dead receivables in NAV.
        require!(
            last.haircut_bps as u32 == BPS && last.days as u32 <= MAX_FULL_WRITE_DOWN_DAYS,
            SluiceError::InvalidParams
        );
        Ok(())
    }
}

/// One tranche, stored inside its pool so the waterfall reads every tranche at once.
/// Index 0 is the most senior; the last one is junior and takes the residual.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace, Default)]
pub struct Tranche {
    /// SPL mint of the tranche token; the pool PDA is its mint authority.
    pub mint: Pubkey,
    /// Annual coupon, simple accrual at each reprice (ignored for the junior tranche).
    pub coupon_bps: u16,
    /// Deposits into this tranche need the tranches below it to hold at least this share
    /// of NAV afterwards.
    pub min_subordination_bps: u16,
    /// Deposited principal.
    pub principal: u64,
    /// Principal plus accrued coupon: what the waterfall owes this tranche.
    pub claim: u64,
    /// Value assigned by the last waterfall.
    pub value: u64,
    /// Tokens outstanding (mirrors the mint's supply).
    pub supply: u64,
    /// Value per token scaled by 10^12, floored.
    pub price_e12: u64,
    /// Redemption queue and token escrow (default keys until `init_redemption`).
    pub queue: Pubkey,
    pub escrow: Pubkey,
    /// The queue's live ids are `queue_head..queue_tail`.
    pub queue_head: u64,
    pub queue_tail: u64,
    /// Σ tokens still queued, and Σ tokens the next batch may redeem.
    pub queued_tokens: u64,
    pub demand_tokens: u64,
    /// Tokens the buy-back reserve owns, held in the escrow beside queued ones.
    pub reserve_tokens: u64,
}

impl crate::state::queue::QueueWindow for Tranche {
    fn head(&self) -> u64 {
        self.queue_head
    }
    fn tail(&self) -> u64 {
        self.queue_tail
    }
    fn set_head(&mut self, head: u64) {
        self.queue_head = head;
    }
    fn set_tail(&mut self, tail: u64) {
        self.queue_tail = tail;
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    /// Signer that created the pool; part of its seeds, never changes.
    pub creator: Pubkey,
    pub pool_id: u64,
    /// Issuer authority: parameters, tranches, members, receivables.
    pub authority: Pubkey,
    /// Proposed authority awaiting acceptance (default key when none).
    pub pending_authority: Pubkey,
    /// May pause and unpause.
    pub guardian: Pubkey,
    pub base_mint: Pubkey,
    /// The base mint's token program: classic SPL Token or Token-2022 (tranche mints are
    /// always Token-2022).
    pub base_token_program: Pubkey,
    pub vault: Pubkey,
    pub book: Pubkey,
    pub oracle: Pubkey,
    pub stage: Stage,
    pub paused: bool,
    pub params: PoolParams,
    /// Base units the pool accounts for in its vault (deposits + repayments − fundings).
    pub cash: u64,
    /// Net asset value of the last reprice, adjusted by deposits since.
    pub nav: u64,
    pub nav_time: i64,
    /// Set when the book or cash changed in a way only a reprice can value.
    pub nav_dirty: bool,
    pub tranche_count: u8,
    pub tranches: [Tranche; MAX_TRANCHES],
    pub receivable_count: u64,
    pub bump: u8,
    pub vault_bump: u8,
    /// Base units paid to redeemers and not yet claimed: in the vault, outside NAV.
    pub claimable: u64,
    /// Fees held in the vault for keeper tips: outside NAV.
    pub fee_pot: u64,
    /// Instant-redemption limiter: window start and value paid in it.
    pub window_start: i64,
    pub window_paid: u64,
    /// When the current stage began (0 until the first stage change).
    pub stage_since: i64,
    /// In Crisis, repayments received and not yet paid out: the most a batch may pay.
    pub realized_budget: u64,
    pub batch: BatchState,
    /// The buy-back reserve's base-token account (default key until `init_reserve`), and
    /// the balance the pool accounts for in it.
    pub reserve_vault: Pubkey,
    pub reserve_balance: u64,
    /// Market buy-backs in the current 24 h window, across all the pool's markets: when it
    /// opened, the budget it allows, and what was spent.
    pub buyback_window_start: i64,
    pub buyback_budget: u64,
    pub buyback_spent: u64,
    /// Tranches with a market (bit per tranche), so a stage change can ask for all of them.
    pub market_mask: u8,
}

impl Pool {
    pub const SEED: &'static [u8] = b"pool";

    pub fn active_tranches(&self) -> &[Tranche] {
        &self.tranches[..self.tranche_count as usize]
    }

    pub fn has_deposits(&self) -> bool {
        self.active_tranches().iter().any(|t| t.supply > 0)
    }

    /// Re-splits NAV over the tranches by the waterfall and refreshes prices.
    pub fn apply_waterfall(&mut self) {
        let n = self.tranche_count as usize;
        if n == 0 {
            return;
        }
        let claims: Vec<u64> = self.tranches[..n].iter().map(|t| t.claim).collect();
        let values = waterfall(self.nav, &claims);
        for (t, v) in self.tranches[..n].iter_mut().zip(values) {
            t.value = v;
            t.price_e12 = price_e12(v, t.supply);
        }
    }

    /// Takes `tokens` of tranche `t`, paid `value`, out of the pool: the tranche's claim and
    /// principal shrink pro rata (floored, so those who stay keep every unit), NAV by the
    /// value, and the waterfall re-splits what is left.
    pub fn retire_tokens(&mut self, t: usize, tokens: u64, value: u64) -> Result<()> {
        let tr = &mut self.tranches[t];
        require!(tokens <= tr.supply, SluiceError::InvariantViolated);
        if tokens > 0 {
            let share = |x: u64| (x as u128 * tokens as u128 / tr.supply as u128) as u64;
            tr.claim -= share(tr.claim);
            tr.principal -= share(tr.principal);
            tr.supply -= tokens;
        }
        self.nav = self.nav.checked_sub(value).ok_or(SluiceError::MathOverflow)?;
        self.apply_waterfall();
        Ok(())
    }

    /// Would every tranche above `i` that has holders keep its minimum subordination (the
    /// tranches below it holding at least that share of NAV) once `tokens` of tranche `i`
    /// leave for `value`? Computed as `retire_tokens` would leave the pool, without changing it.
    pub fn exit_keeps_subordination(&self, i: usize, tokens: u64, value: u64) -> bool {
        let n = self.tranche_count as usize;
        let Some(nav) = self.nav.checked_sub(value) else { return false };
        let t = &self.tranches[i];
        if tokens > t.supply {
            return false;
        }
        let mut claims = [0u64; MAX_TRANCHES];
        for (c, tr) in claims.iter_mut().zip(self.active_tranches()) {
            *c = tr.claim;
        }
        if tokens > 0 {
            claims[i] -= (t.claim as u128 * tokens as u128 / t.supply as u128) as u64;
        }
        let values = waterfall(nav, &claims[..n]);
        (0..i.min(n)).all(|j| {
            let s = self.tranches[j].min_subordination_bps as u128;
            if self.tranches[j].supply == 0 || s == 0 || j + 1 >= n {
                return true;
            }
            let below: u128 = values[j + 1..n].iter().map(|v| *v as u128).sum();
            below * BPS as u128 >= s * nav as u128
        })
    }

    /// The tranches as a redemption allocation sees them.
    pub fn redemption_sides(&self, demand: impl Fn(usize, &Tranche) -> u64) -> Vec<TrancheSide> {
        let n = self.tranche_count as usize;
        self.tranches[..n]
            .iter()
            .enumerate()
            .map(|(i, t)| TrancheSide {
                demand_tokens: demand(i, t),
                value: t.value,
                supply: t.supply,
                min_subordination_bps: if i + 1 < n { t.min_subordination_bps } else { 0 },
            })
            .collect()
    }

    /// The reserve's target balance.
    pub fn reserve_target(&self) -> u64 {
        (self.nav as u128 * self.params.redemption.reserve_target_bps as u128 / BPS as u128) as u64
    }

    /// Cash above the floor the redemption parameters keep back.
    pub fn cash_above_floor(&self) -> u64 {
        let floor = (self.nav as u128 * self.params.redemption.cash_floor_bps as u128 / BPS as u128) as u64;
        self.cash.saturating_sub(floor)
    }

    /// Runs `f` with the seeds that sign as the pool PDA (vault transfers, tranche mints).
    /// Whether a payout of `holder`'s value may go to a token account owned by `destination`:
    /// anywhere the holder names in an open pool, only to the holder's own accounts in a
    /// permissioned one (so value leaves a member's position only to that member).
    pub fn may_pay(&self, destination: &Pubkey, holder: &Pubkey) -> bool {
        !self.params.permissioned || destination == holder
    }

    pub fn with_signer<R>(&self, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
        let id = self.pool_id.to_le_bytes();
        let bump = [self.bump];
        let seeds: [&[u8]; 4] = [Self::SEED, self.creator.as_ref(), &id, &bump];
        f(&[&seeds])
    }

    /// Σ tranche values = NAV; senior tranches hold at most their claim, and a tranche
    /// below its claim leaves nothing to those under it; parameters are in bounds.
    pub fn invariant(&self) -> Result<()> {
        require!(self.tranche_count as usize <= MAX_TRANCHES, SluiceError::InvariantViolated);
        let tranches = self.active_tranches();
        let sum: u128 = tranches.iter().map(|t| t.value as u128).sum();
        require!(sum == self.nav as u128, SluiceError::InvariantViolated);
        if let Some((junior, seniors)) = tranches.split_last() {
            let mut short = false;
            for t in seniors {
                require!(t.value <= t.claim && (!short || t.value == 0), SluiceError::InvariantViolated);
                short |= t.value < t.claim;
            }
            require!(!short || junior.value == 0, SluiceError::InvariantViolated);
        }
        self.params.validate()
    }

    /// The vault holds at least the cash, claims and fees the pool accounts for. A surplus (tokens sent to
    /// the vault directly) is ignored rather than counted, so a donation can neither move
    /// NAV nor wedge the pool.
    pub fn check_cash(&self, vault_amount: u64) -> Result<()> {
        let owed = self.cash as u128 + self.claimable as u128 + self.fee_pot as u128;
        require!(vault_amount as u128 >= owed, SluiceError::InvariantViolated);
        Ok(())
    }

    /// A tranche's escrow holds at least its queued tokens and the reserve's tokens. A
    /// surplus (tokens sent to the escrow directly) belongs to nobody and is ignored, so an
    /// outsider's donation cannot stop requests, cancels, batches or the reserve.
    pub fn check_escrow(&self, tranche: usize, escrow_amount: u64) -> Result<()> {
        let t = &self.tranches[tranche];
        require!(
            escrow_amount as u128 >= t.queued_tokens as u128 + t.reserve_tokens as u128,
            SluiceError::InvariantViolated
        );
        Ok(())
    }

    /// NAV is fresh enough to trade at: not invalidated, younger than the maximum age, and
    /// computed today (UTC). Due dates and the overdue schedule change value only at UTC
    /// midnights, so a NAV from before the last midnight may miss a step and is stale.
    pub fn nav_is_fresh(&self, now: i64) -> bool {
        !self.nav_dirty
            && self.nav_time > 0
            && now - self.nav_time <= self.params.max_nav_age_secs as i64
            && now.div_euclid(SECONDS_PER_DAY) == self.nav_time.div_euclid(SECONDS_PER_DAY)
    }

    /// Value an open batch has granted tranche `i` and not yet paid, at the batch price
    /// (rounded up); 0 without an open batch.
    pub fn batch_pending_value(&self, i: usize) -> u64 {
        let b = &self.batch;
        if !b.open {
            return 0;
        }
        value_up(b.granted[i], b.price_value[i], b.price_supply[i])
    }

    /// Base units an open batch has granted and not yet paid: cash that instant exits,
    /// fundings and recycling must leave alone.
    pub fn batch_reserved_cash(&self) -> u64 {
        (0..self.tranche_count as usize).map(|i| self.batch_pending_value(i)).fold(0u64, u64::saturating_add)
    }

    /// Reserve balance an open batch has planned to spend on queued tokens and not yet spent
    /// (at the batch price less the buy-back discount, rounded up): market buy-backs and
    /// withdrawals must leave it.
    pub fn batch_reserved_reserve(&self) -> u64 {
        if !self.batch.open {
            return 0;
        }
        let b = &self.batch;
        let keep = BPS - self.params.redemption.buyback_discount_bps as u32;
        (0..self.tranche_count as usize)
            .map(|i| {
                let value = value_up(b.reserve_granted[i], b.price_value[i], b.price_supply[i]);
                (value as u128 * keep as u128).div_ceil(BPS as u128) as u64
            })
            .fold(0u64, u64::saturating_add)
    }

    /// Cash above the floor that nothing else has a call on: less what an open batch still
    /// owes its requests.
    pub fn free_cash(&self) -> u64 {
        self.cash_above_floor().saturating_sub(self.batch_reserved_cash())
    }
}
