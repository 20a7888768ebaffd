//! Spec → chain: each step reads what is there, does only what is missing, and says which.
//! A dry run reads the same way and sends nothing.

use std::fmt;

use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::{ConstituentArgs, CreateBasketArgs, CreatePoolArgs, DepositArgs};
use sluice::state::{AmmParams, MAX_PUBLISHERS};
use sluice_sdk::chain::{Chain, ChainError};
use sluice_sdk::ix::{self, AmmKeys, BasketKeys, PoolKeys};
use sluice_sdk::{client, pda, preview};

use crate::spec::{token_program_name, BaseMint, Spec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    DryRun,
    Apply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Already on chain as the spec says.
    Present,
    /// Missing; a dry run would do it.
    Planned,
    /// Done by this run.
    Applied,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub state: StepState,
    pub what: String,
}

#[derive(Debug)]
pub enum MigrateError {
    /// A step failed on chain.
    Chain { step: String, error: ChainError },
    /// The chain holds something the spec contradicts and that cannot be changed.
    Conflict(String),
    /// A failure after some steps were applied: what was done (a re-run skips it and goes on).
    Interrupted { error: Box<MigrateError>, done: Vec<String> },
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateError::Chain { step, error } => write!(f, "{step}: {}", error.explain()),
            MigrateError::Conflict(m) => write!(f, "{m}"),
            MigrateError::Interrupted { error, done } => {
                write!(f, "{error}\nsteps done before the failure (a re-run skips them and goes on from here):")?;
                done.iter().try_for_each(|d| write!(f, "\n  done    {d}"))
            }
        }
    }
}

impl std::error::Error for MigrateError {}

/// Every address the migration made or uses, as written to the deployment record.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Deployment {
    pub name: String,
    pub program_id: String,
    pub authority: String,
    pub pool_id: u64,
    pub pool: String,
    pub base_mint: String,
    /// The base mint's token program: "spl-token" or "token-2022".
    pub base_token_program: String,
    pub vault: String,
    pub book: String,
    pub oracle: String,
    pub reserve_vault: Option<String>,
    pub tranches: Vec<TrancheRecord>,
    pub members: Vec<MemberRecord>,
    pub receivables: Vec<ReceivableRecord>,
    /// The `[basket]` section's basket, when the spec has one.
    pub basket: Option<BasketRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BasketRecord {
    pub id: u64,
    pub address: String,
    pub mint: String,
    pub sleeve: String,
    pub guardian: String,
    /// The basket's member record in the pool (permissioned pools), and its expiry.
    pub member: Option<String>,
    pub member_expires_at: Option<i64>,
    pub constituents: Vec<ConstituentRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConstituentRecord {
    pub tranche: u8,
    pub name: String,
    pub mint: String,
    pub vault: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrancheRecord {
    pub index: u8,
    pub name: String,
    pub mint: String,
    /// The mint's token metadata, as wallets show it.
    pub token_name: String,
    pub symbol: String,
    pub uri: String,
    pub queue: Option<String>,
    pub escrow: Option<String>,
    pub market: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberRecord {
    pub wallet: String,
    pub member: String,
    pub expires_at: i64,
    /// Its associated tranche token accounts, opened and thawed by the migration
    /// (permissioned pools; empty otherwise).
    pub tranche_accounts: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReceivableRecord {
    pub index: u64,
    pub address: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: Mode,
    pub steps: Vec<Step>,
    pub deployment: Deployment,
}

impl Report {
    pub fn applied(&self) -> usize {
        self.steps.iter().filter(|s| s.state == StepState::Applied).count()
    }
    pub fn planned(&self) -> usize {
        self.steps.iter().filter(|s| s.state == StepState::Planned).count()
    }
}

/// Seed of the locally created base mint: one per issuer and pool id.
pub fn base_mint_seed(pool_id: u64) -> String {
    format!("sluice-base-{pool_id}")
}

/// The base mint the spec means, for `issuer`.
pub fn base_mint_address(spec: &Spec, issuer: &Pubkey) -> Pubkey {
    match spec.base {
        BaseMint::Existing { mint, .. } => mint,
        BaseMint::Create { token_program, .. } => {
            Pubkey::create_with_seed(issuer, &base_mint_seed(spec.pool_id), &token_program).expect("short seed")
        }
    }
}

/// The base mint's token program: read from the chain for an existing mint (and checked
/// against the one the spec names), the spec's for a mint it creates.
async fn base_token_program<C: Chain>(chain: &mut C, spec: &Spec, mint: &Pubkey) -> Result<Pubkey, MigrateError> {
    match spec.base {
        BaseMint::Create { token_program, .. } => Ok(token_program),
        BaseMint::Existing { token_program: expected, .. } => {
            let program = client::token_program_of(chain, mint).await.map_err(read("base mint"))?;
            match expected {
                Some(e) if e != program => Err(MigrateError::Conflict(format!(
                    "base mint {mint} belongs to {}, the spec says base.token_program = \"{}\"",
                    token_program_name(&program),
                    token_program_name(&e)
                ))),
                _ => Ok(program),
            }
        }
    }
}

/// `wallet`'s associated token accounts of the pool's tranches, each with whether it is
/// there and whether it is frozen.
async fn tranche_accounts<C: Chain>(
    chain: &mut C,
    keys: &PoolKeys,
    tranches: usize,
    wallet: &Pubkey,
) -> Result<Vec<(u8, Pubkey, Option<bool>)>, ChainError> {
    let mut out = Vec::new();
    for t in 0..tranches as u8 {
        let account = ix::token::associated(&ix::TOKEN_2022, wallet, &keys.tranche_mint(t));
        out.push((t, account, frozen(chain, &account).await?));
    }
    Ok(out)
}

/// Whether a token account is frozen; `None` when it does not exist.
async fn frozen<C: Chain>(chain: &mut C, account: &Pubkey) -> Result<Option<bool>, ChainError> {
    if !client::exists(chain, account).await? {
        return Ok(None);
    }
    client::is_frozen(chain, account).await.map(Some)
}

struct Run<'a, C> {
    chain: &'a mut C,
    issuer: &'a Keypair,
    mode: Mode,
    steps: Vec<Step>,
}

impl<C: Chain> Run<'_, C> {
    /// Records a step and, in apply mode, sends its instructions when `needed`.
    async fn step(
        &mut self,
        what: String,
        needed: bool,
        ixs: Vec<anchor_lang::solana_program::instruction::Instruction>,
        extra: &[&Keypair],
    ) -> Result<bool, MigrateError> {
        let state = match (needed, self.mode) {
            (false, _) => StepState::Present,
            (true, Mode::DryRun) => StepState::Planned,
            (true, Mode::Apply) => {
                let mut signers = vec![self.issuer];
                signers.extend_from_slice(extra);
                self.chain
                    .send(&ixs, &signers)
                    .await
                    .map_err(|error| MigrateError::Chain { step: what.clone(), error })?;
                StepState::Applied
            }
        };
        self.steps.push(Step { state, what });
        Ok(needed && self.mode == Mode::Apply)
    }

    fn note(&mut self, state: StepState, what: String) {
        self.steps.push(Step { state, what });
    }
}

/// What a plan will spend: base tokens by purpose, and SOL for rent and fees.
struct Needs {
    seeds: u64,
    reserve: u64,
    markets: u64,
    lamports: u64,
    accounts: u64,
}

impl Needs {
    fn base(&self) -> u64 {
        self.seeds + self.reserve + self.markets
    }
}

fn sol(lamports: u64) -> String {
    format!("{:.3}", lamports as f64 / 1e9)
}

/// The base tokens and SOL the rest of `spec` needs from the issuer, given what is already on
/// chain: seed deposits not yet made, the reserve's top-up, new markets' first liquidity; the
/// rent of every account still to create (pool, book, oracle, tranche mints, queues, escrows,
/// reserve, markets, members, receivables) and 10,000 lamports of fees a transaction. The
/// rent is the cluster's own figure for each account's size; sizes of token accounts and
/// mints are the largest Sluice makes, so the SOL figure errs high.
async fn needs<C: Chain>(chain: &mut C, spec: &Spec, authority: &Pubkey) -> Result<Needs, MigrateError> {
    use anchor_lang::Space;
    use sluice::state::{Amm, Book, Member, Pool, RateOracle, Receivable, RedemptionQueue};
    let pool_address = pda::pool(authority, spec.pool_id);
    let pool = client::try_pool(chain, &pool_address).await.map_err(read("pool"))?;
    // (account size, how many to create)
    let mut accounts: Vec<(usize, u64)> = Vec::new();
    let tranches_on_chain = pool.as_ref().map_or(0, |p| p.tranche_count as usize);
    if pool.is_none() {
        accounts.extend([(Book::SPACE, 1), (8 + Pool::INIT_SPACE, 1), (8 + RateOracle::INIT_SPACE, 1)]);
    }
    let new_tranches = spec.tranches.len().saturating_sub(tranches_on_chain) as u64;
    // A tranche: its mint (with metadata), its queue, its escrow and the issuer's account.
    accounts.extend([(MINT_WITH_METADATA_LEN, new_tranches), (RedemptionQueue::SPACE, new_tranches)]);
    accounts.push((TOKEN_ACCOUNT_LEN, 2 * new_tranches));
    if pool.as_ref().is_none_or(|p| p.reserve_vault == Pubkey::default()) {
        accounts.push((TOKEN_ACCOUNT_LEN, 1));
    }
    let mut markets = 0;
    for &t in &spec.markets {
        let address = pda::amm(&pool_address, t);
        let amm = match client::exists(chain, &address).await.map_err(read("market"))? {
            true => Some(client::amm(chain, &address).await.map_err(read("market"))?),
            false => None,
        };
        if amm.is_none() {
            // The market, its two vaults, its LP mint and the issuer's LP account.
            accounts.extend([(8 + Amm::INIT_SPACE, 1), (TOKEN_ACCOUNT_LEN, 3), (MINT_WITH_METADATA_LEN, 1)]);
        }
        if amm.is_none_or(|a| a.lp_supply == 0) {
            markets += spec.market_liquidity.iter().filter(|(m, _)| *m == t).map(|(_, l)| l).sum::<u64>();
        }
    }
    accounts.push((8 + Member::INIT_SPACE, spec.members.len() as u64 + 1));
    let receivables_on_chain = pool.as_ref().map_or(0, |p| p.receivable_count);
    let new_receivables = (spec.receivables.len() as u64).saturating_sub(receivables_on_chain);
    accounts.push((8 + Receivable::INIT_SPACE, new_receivables));

    let mut seeds = 0;
    for &(tranche, amount) in &spec.seed {
        let holding = ix::token::associated(&ix::TOKEN_2022, authority, &pda::tranche_mint(&pool_address, tranche));
        if client::balance_or_zero(chain, &holding).await.map_err(read("issuer tranche account"))? == 0 {
            seeds += amount;
        }
    }
    let reserve = spec.reserve_fund.saturating_sub(pool.as_ref().map_or(0, |p| p.reserve_balance));
    let mut lamports = 0u64;
    let mut count = 0u64;
    for (len, n) in accounts.into_iter().filter(|(_, n)| *n > 0) {
        lamports += chain.rent_exempt_minimum(len).await.map_err(read("rent"))? * n;
        count += n;
    }
    // Fees: a transaction per account at most, and one per receivable.
    lamports += 10_000 * (count + new_receivables);
    Ok(Needs { seeds, reserve, markets, lamports, accounts: count })
}

/// How many receivables between two progress lines of a long migration.
const PROGRESS_EVERY: u64 = 100;

/// The largest token accounts and mints Sluice makes (Token-2022 with its extensions and
/// metadata), for rent estimates that err high.
const TOKEN_ACCOUNT_LEN: usize = 200;
const MINT_WITH_METADATA_LEN: usize = 700;

fn read(what: &'static str) -> impl FnOnce(ChainError) -> MigrateError {
    move |error| MigrateError::Chain { step: format!("reading {what}"), error }
}

/// Plans (dry run) or applies `spec` with `issuer` as the pool authority.
pub async fn migrate<C: Chain>(
    chain: &mut C,
    issuer: &Keypair,
    spec: &Spec,
    mode: Mode,
) -> Result<Report, MigrateError> {
    let mut run = Run { chain, issuer, mode, steps: Vec::new() };
    match plan(&mut run, spec).await {
        Ok(deployment) => Ok(Report { mode, steps: run.steps, deployment }),
        Err(error) => {
            let done: Vec<String> =
                run.steps.into_iter().filter(|s| s.state == StepState::Applied).map(|s| s.what).collect();
            if done.is_empty() {
                Err(error)
            } else {
                Err(MigrateError::Interrupted { error: Box::new(error), done })
            }
        }
    }
}

/// The migration's steps, in order, recorded on `run`; the deployment record at the end.
async fn plan<C: Chain>(run: &mut Run<'_, C>, spec: &Spec) -> Result<Deployment, MigrateError> {
    let (issuer, mode) = (run.issuer, run.mode);
    let authority = issuer.pubkey();
    let payer = run.chain.payer().pubkey();

    // Base mint.
    let base_mint = base_mint_address(spec, &authority);
    let mint_present = client::exists(run.chain, &base_mint).await.map_err(read("base mint"))?;
    if let BaseMint::Existing { .. } = spec.base {
        if !mint_present {
            return Err(MigrateError::Conflict(format!("base mint {base_mint} does not exist on this cluster")));
        }
    }
    let base_program = base_token_program(run.chain, spec, &base_mint).await?;
    let issuer_base = ix::token::associated(&base_program, &authority, &base_mint);
    match spec.base {
        BaseMint::Existing { .. } => {
            run.note(StepState::Present, format!("base mint {base_mint} ({})", token_program_name(&base_program)));
        }
        BaseMint::Create { mint_to_issuer, .. } => {
            let lamports = run.chain.rent_exempt_minimum(ix::token::MINT_LEN).await.map_err(read("rent"))?;
            let (_, create) = ix::token::create_mint_with_seed(
                &base_program,
                &payer,
                &authority,
                &base_mint_seed(spec.pool_id),
                &authority,
                spec.decimals,
                lamports,
            );
            let mut ixs = create.to_vec();
            ixs.push(ix::token::create_associated(&base_program, &payer, &authority, &base_mint));
            if mint_to_issuer > 0 {
                ixs.push(ix::token::mint_to(&base_program, &base_mint, &issuer_base, &authority, mint_to_issuer));
            }
            run.step(
                format!(
                    "create base mint {base_mint} ({}, {} decimals), mint {} to the issuer",
                    token_program_name(&base_program),
                    spec.decimals,
                    sluice_sdk::units::format_amount(mint_to_issuer, spec.decimals)
                ),
                !mint_present,
                ixs,
                &[],
            )
            .await?;
        }
    }
    if mint_present || mode == Mode::Apply {
        let mint = client::mint_decimals(run.chain, &base_mint).await.map_err(read("base mint"))?;
        if mint != spec.decimals {
            return Err(MigrateError::Conflict(format!(
                "base mint {base_mint} has {mint} decimals, the spec says {}",
                spec.decimals
            )));
        }
    }

    // What the plan spends, checked before anything is sent: a plan that cannot finish
    // fails here, in its dry run too, not half-way through.
    let needs = needs(run.chain, spec, &authority).await?;
    let base_held = match spec.base {
        BaseMint::Create { mint_to_issuer, .. } if !mint_present => mint_to_issuer,
        _ => client::balance_or_zero(run.chain, &issuer_base).await.map_err(read("issuer base-token account"))?,
    };
    let sol_held = run.chain.account(&payer).await.map_err(read("payer"))?.map_or(0, |a| a.lamports);
    // Amounts in tokens, as people read them; the JSON report carries the same text.
    let tokens = |units: u64| sluice_sdk::units::format_amount(units, spec.decimals);
    run.note(
        StepState::Present,
        format!(
            "funds: the plan spends {} base tokens (seed deposits {}, reserve {}, market liquidity {}) of {} held, \
             and about {} SOL ({} accounts' rent and fees) of {} SOL",
            tokens(needs.base()),
            tokens(needs.seeds),
            tokens(needs.reserve),
            tokens(needs.markets),
            tokens(base_held),
            sol(needs.lamports),
            needs.accounts,
            sol(sol_held)
        ),
    );
    if needs.base() > base_held {
        return Err(MigrateError::Conflict(format!(
            "the issuer holds {} base tokens and this plan spends {} (seed deposits {}, reserve {}, market \
             liquidity {}): mint or transfer {} more to {issuer_base} first",
            tokens(base_held),
            tokens(needs.base()),
            tokens(needs.seeds),
            tokens(needs.reserve),
            tokens(needs.markets),
            tokens(needs.base() - base_held)
        )));
    }
    if needs.lamports > sol_held {
        return Err(MigrateError::Conflict(format!(
            "the payer {payer} holds {} SOL and this plan needs about {} SOL (rent for {} accounts and fees): \
             top it up by {} SOL first",
            sol(sol_held),
            sol(needs.lamports),
            needs.accounts,
            sol(needs.lamports - sol_held)
        )));
    }

    // Pool and book.
    let pool_address = pda::pool(&authority, spec.pool_id);
    let mut pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
    let keys = match &pool {
        Some(p) => {
            if p.base_mint != base_mint {
                return Err(MigrateError::Conflict(format!(
                    "pool {pool_address} exists with base mint {}, not {base_mint}",
                    p.base_mint
                )));
            }
            run.note(StepState::Present, format!("pool {pool_address} (id {})", spec.pool_id));
            PoolKeys::of(p)
        }
        None => {
            let book = Keypair::new();
            let keys = PoolKeys::new(&authority, spec.pool_id, base_mint, base_program, book.pubkey());
            let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
            publishers[..spec.publishers.len()].copy_from_slice(&spec.publishers);
            let args =
                CreatePoolArgs { pool_id: spec.pool_id, guardian: spec.guardian, publishers, params: spec.params };
            let lamports = run.chain.rent_exempt_minimum(sluice::state::Book::SPACE).await.map_err(read("rent"))?;
            let ixs =
                vec![ix::allocate_book(&payer, &book.pubkey(), lamports), ix::create_pool(&authority, &keys, args)];
            run.step(
                format!("create pool {pool_address} (id {}) with book {}", spec.pool_id, book.pubkey()),
                true,
                ixs,
                &[&book],
            )
            .await?;
            keys
        }
    };
    if mode == Mode::Apply {
        pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
    }

    if let Some(p) = &pool {
        if p.params.permissioned != spec.params.permissioned && p.tranche_count > 0 {
            return Err(MigrateError::Conflict(format!(
                "pool {pool_address} is {}; the spec says permissioned = {} (fixed once the pool has tranches: \
                 its tranche mints are made for it)",
                if p.params.permissioned { "permissioned" } else { "permissionless" },
                spec.params.permissioned
            )));
        }
        if p.params != spec.params {
            run.step(
                "update pool parameters to the spec".into(),
                true,
                vec![ix::update_params(&authority, &pool_address, spec.params)],
                &[],
            )
            .await?;
        }
        let on_chain: Vec<Pubkey> = publishers_on_chain(run.chain, &keys.oracle).await.map_err(read("oracle"))?;
        if on_chain != spec.publishers {
            run.note(
                StepState::Present,
                "oracle publishers differ from the spec: change them with the guardian, not a migration".into(),
            );
        }
    }

    // Tranches, senior first.
    for (i, t) in spec.tranches.iter().enumerate() {
        let existing = pool.as_ref().filter(|p| (p.tranche_count as usize) > i).map(|p| p.tranches[i]);
        match existing {
            Some(on_chain) => {
                if on_chain.coupon_bps != t.args.coupon_bps
                    || on_chain.min_subordination_bps != t.args.min_subordination_bps
                {
                    return Err(MigrateError::Conflict(format!(
                        "tranche {i} ({}) exists with coupon {} bps and subordination {} bps; the spec says {} and {}",
                        t.name,
                        on_chain.coupon_bps,
                        on_chain.min_subordination_bps,
                        t.args.coupon_bps,
                        t.args.min_subordination_bps
                    )));
                }
                run.note(StepState::Present, format!("tranche {i} {} (mint {})", t.name, keys.tranche_mint(i as u8)));
                let mint = keys.tranche_mint(i as u8);
                let on_chain = client::mint_metadata(run.chain, &mint).await.map_err(read("tranche metadata"))?;
                let m = &t.args.metadata;
                run.step(
                    format!("token metadata of tranche {i} {}: {:?} ({}), uri {:?}", t.name, m.name, m.symbol, m.uri),
                    on_chain != *m,
                    vec![ix::set_tranche_metadata(&authority, &keys, i as u8, m.clone())],
                    &[],
                )
                .await?;
            }
            None => {
                let m = &t.args.metadata;
                run.step(
                    format!(
                        "add tranche {i} {}: coupon {} bps, min subordination {} bps, token {:?} ({})",
                        t.name, t.args.coupon_bps, t.args.min_subordination_bps, m.name, m.symbol
                    ),
                    true,
                    vec![ix::add_tranche(&authority, &keys, i as u8, t.args.clone())],
                    &[],
                )
                .await?;
            }
        }
    }

    // Members; the issuer too when it seeds a permissioned pool.
    let now = run.chain.now().await.map_err(read("clock"))?;
    let mut members = spec.members.clone();
    if spec.params.permissioned && !spec.seed.is_empty() && !members.iter().any(|m| m.wallet == authority) {
        // Five years from the first run; a later run keeps a membership that is still live,
        // so re-running on another day changes nothing.
        let existing = match &pool {
            Some(_) => client::member(run.chain, &pool_address, &authority).await.map_err(read("member"))?,
            None => None,
        };
        let expires_at =
            existing.map(|m| m.expires_at).filter(|t| *t > now).unwrap_or((now / 86_400 + 5 * 365) * 86_400);
        members.push(crate::spec::Member { wallet: authority, expires_at });
    }
    for m in &members {
        let current = if pool.is_some() {
            client::member(run.chain, &pool_address, &m.wallet).await.map_err(read("member"))?
        } else {
            None
        };
        let needed = current.is_none_or(|c| c.expires_at != m.expires_at);
        run.step(
            format!("member {} until {}", m.wallet, sluice_sdk::units::format_date(m.expires_at)),
            needed,
            vec![ix::set_member(&authority, &pool_address, &m.wallet, m.expires_at)],
            &[],
        )
        .await?;
        if spec.params.permissioned {
            // Tranche accounts start frozen in a permissioned pool: each member gets its
            // associated accounts opened and thawed, ready to receive tranche tokens.
            let accounts = tranche_accounts(run.chain, &keys, spec.tranches.len(), &m.wallet)
                .await
                .map_err(read("tranche account"))?;
            let mut ixs = Vec::new();
            for &(t, account, state) in &accounts {
                if state.is_none() {
                    ixs.push(ix::token::create_associated(&ix::TOKEN_2022, &payer, &m.wallet, &keys.tranche_mint(t)));
                }
                if state != Some(false) {
                    ixs.push(ix::thaw_holder(&payer, &pool_address, t, &account, &m.wallet));
                }
            }
            run.step(format!("tranche accounts of {}: opened and thawed", m.wallet), !ixs.is_empty(), ixs, &[]).await?;
        }
    }

    // Initial rates, published by the issuer when it is a publisher.
    if let Some(rates) = spec.initial_rates.clone() {
        let sequence = match &pool {
            Some(_) => client::oracle(run.chain, &keys.oracle).await.map_err(read("oracle"))?.sequence,
            None => 0,
        };
        if sequence == 0 && !spec.publishers.contains(&authority) {
            return Err(MigrateError::Conflict(format!(
                "[oracle.initial] is published by the issuer, but {authority} is not among oracle.publishers"
            )));
        }
        run.step(
            format!("publish initial rates (market {} bps)", rates.market_rate_bps),
            sequence == 0,
            vec![ix::publish_rates(&authority, &keys, rates)],
            &[],
        )
        .await?;
    }

    // Redemption queues.
    for i in 0..spec.tranches.len() {
        let has_queue = pool.as_ref().is_some_and(|p| p.tranches[i].queue != Pubkey::default());
        if has_queue {
            run.note(StepState::Present, format!("redemption queue of tranche {i}"));
        } else if mode == Mode::Apply {
            client::init_redemption(run.chain, issuer, &keys, i as u8)
                .await
                .map_err(|error| MigrateError::Chain { step: format!("redemption queue of tranche {i}"), error })?;
            run.note(StepState::Applied, format!("redemption queue of tranche {i}"));
        } else {
            run.note(StepState::Planned, format!("redemption queue of tranche {i}"));
        }
    }

    // Buy-back reserve vault.
    let wants_reserve = spec.reserve_fund > 0 || !spec.markets.is_empty();
    if wants_reserve {
        let present = pool.as_ref().is_some_and(|p| p.reserve_vault != Pubkey::default());
        run.step("buy-back reserve vault".into(), !present, vec![ix::init_reserve(&authority, &keys)], &[]).await?;
    }
    if mode == Mode::Apply {
        pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
    }
    let reserve = pool.as_ref().filter(|p| p.reserve_vault != Pubkey::default()).map(|p| p.reserve_vault);

    // Seed deposits, junior first; skipped once the issuer holds tokens of that tranche.
    let mut seed_needed = Vec::new();
    for &(tranche, _) in &spec.seed {
        let holding = ix::token::associated(&ix::TOKEN_2022, &authority, &keys.tranche_mint(tranche));
        let held = client::balance_or_zero(run.chain, &holding).await.map_err(read("issuer tranche account"))?;
        seed_needed.push(held == 0);
    }
    if seed_needed.contains(&true) {
        run.step("reprice before the seed deposits".into(), true, vec![ix::reprice(&keys)], &[]).await?;
        if mode == Mode::Apply {
            pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
        }
    }
    for (&(tranche, amount), &needed) in spec.seed.iter().zip(&seed_needed) {
        let mint = keys.tranche_mint(tranche);
        let holding = ix::token::associated(&ix::TOKEN_2022, &authority, &mint);
        let min_tokens_out = match (mode, &pool) {
            (Mode::Apply, Some(p)) => preview::deposit_tokens(p, tranche, amount).unwrap_or(0),
            _ => 0,
        };
        let member = spec.params.permissioned.then(|| pda::member(&pool_address, &authority));
        let ixs = vec![
            ix::token::create_associated(&ix::TOKEN_2022, &payer, &authority, &mint),
            ix::deposit(
                &authority,
                &keys,
                &issuer_base,
                &holding,
                member,
                reserve,
                DepositArgs { tranche, amount, min_tokens_out },
            ),
        ];
        let what = format!(
            "seed deposit of {} into tranche {tranche}",
            sluice_sdk::units::format_amount(amount, spec.decimals)
        );
        run.step(what, needed, ixs, &[]).await?;
        if mode == Mode::Apply {
            pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
        }
    }

    // Receivables, in index order; those on chain must match their CSV rows.
    let pay_to = spec.pay_to.unwrap_or(authority);
    let borrower_account = ix::token::associated(&base_program, &pay_to, &base_mint);
    if !spec.receivables.is_empty() {
        let present = client::exists(run.chain, &borrower_account).await.map_err(read("pay-to account"))?;
        run.step(
            format!("base-token account of {pay_to} for receivable funding"),
            !present,
            vec![ix::token::create_associated(&base_program, &payer, &pay_to, &base_mint)],
            &[],
        )
        .await?;
    }
    let on_chain_count = pool.as_ref().map_or(0, |p| p.receivable_count);
    let to_add = (spec.receivables.len() as u64).saturating_sub(on_chain_count);
    let mut added = 0;
    for r in &spec.receivables {
        if r.index < on_chain_count {
            let address = pda::receivable(&pool_address, r.index);
            let c = client::receivable(run.chain, &address).await.map_err(read("receivable"))?;
            let same = c.face_value == r.args.face_value
                && c.funded == r.args.funded
                && c.due_ts == r.args.due_ts
                && c.risk_class == r.args.risk_class
                && c.document_hash == r.args.document_hash;
            if !same {
                return Err(MigrateError::Conflict(format!(
                    "{}:{}: receivable {} on chain ({address}) differs from this row",
                    spec.receivables_file().display(),
                    r.line,
                    r.index
                )));
            }
            continue;
        }
        added += 1;
        if mode == Mode::Apply {
            // A book of thousands takes minutes: say how far it got, on stderr.
            if to_add > PROGRESS_EVERY && added % PROGRESS_EVERY == 0 {
                eprintln!("sluice-migrate: receivables {added} of {to_add} added");
            }
            let what = format!("receivable {} (CSV line {})", r.index, r.line);
            run.chain
                .send(&[ix::add_receivable(&authority, &keys, r.index, &borrower_account, r.args.clone())], &[issuer])
                .await
                .map_err(|error| MigrateError::Chain { step: what, error })?;
        }
    }
    if !spec.receivables.is_empty() {
        let state = match (added, mode) {
            (0, _) => StepState::Present,
            (_, Mode::DryRun) => StepState::Planned,
            (_, Mode::Apply) => StepState::Applied,
        };
        run.note(
            state,
            format!("receivables: {added} to add, {} on chain", on_chain_count.min(spec.receivables.len() as u64)),
        );
    }
    if mode == Mode::Apply {
        pool = client::try_pool(run.chain, &pool_address).await.map_err(read("pool"))?;
    }

    // Reserve funding, topped up to the spec's amount.
    if spec.reserve_fund > 0 {
        let balance = pool.as_ref().map_or(0, |p| p.reserve_balance);
        let top_up = spec.reserve_fund.saturating_sub(balance);
        run.step(
            format!(
                "fund the reserve to {} (top up {})",
                sluice_sdk::units::format_amount(spec.reserve_fund, spec.decimals),
                sluice_sdk::units::format_amount(top_up, spec.decimals)
            ),
            top_up > 0,
            vec![ix::fund_reserve(&authority, &keys, &issuer_base, top_up)],
            &[],
        )
        .await?;
    }

    // Markets, each with the issuer's first liquidity at NAV when the spec gives it.
    for &t in &spec.markets {
        let m = AmmKeys::new(&keys, t);
        let present = client::exists(run.chain, &m.amm).await.map_err(read("market"))?;
        run.step(
            format!("market for tranche {t} ({})", m.amm),
            !present,
            vec![ix::create_amm(&authority, &keys, &m, AmmParams::RECOMMENDED)],
            &[],
        )
        .await?;
        let Some(&(_, base)) = spec.market_liquidity.iter().find(|(m, _)| *m == t) else { continue };
        let empty = !present || client::amm(run.chain, &m.amm).await.map_err(read("market"))?.lp_supply == 0;
        // Tranche tokens worth `base` at the tranche's NAV price (floored: the market opens at
        // or just above NAV, never below).
        let tokens = pool.as_ref().map_or(base, |p| {
            let tr = p.tranches[t as usize];
            sluice::math::allocation::tokens_within(base, tr.value, tr.supply)
        });
        let trader = ix::Trader {
            user: authority,
            tranche_account: ix::token::associated(&ix::TOKEN_2022, &authority, &keys.tranche_mint(t)),
            base_account: issuer_base,
            lp_account: Some(ix::token::associated(&ix::TOKEN_2022, &authority, &m.lp_mint)),
            member: spec.params.permissioned.then(|| pda::member(&pool_address, &authority)),
        };
        let ixs = vec![
            ix::token::create_associated(&ix::TOKEN_2022, &payer, &authority, &m.lp_mint),
            ix::add_liquidity(&keys, &m, &trader, 0, tokens, base),
        ];
        run.step(
            format!(
                "first liquidity of tranche {t}'s market: {} base tokens a side, at NAV",
                sluice_sdk::units::format_amount(base, spec.decimals)
            ),
            empty,
            ixs,
            &[],
        )
        .await?;
    }

    // The basket over the pool's tranches.
    let basket_member = match &spec.basket {
        Some(b) => apply_basket(run, spec, b, &keys, pool.is_some(), now).await?,
        None => None,
    };

    // Leave the pool priced if this run changed it.
    if mode == Mode::Apply && run.steps.iter().any(|s| s.state == StepState::Applied) && spec.initial_rates.is_some() {
        run.step("reprice".into(), true, vec![ix::reprice(&keys)], &[]).await?;
    }

    Ok(record(spec, &authority, &keys, pool.as_ref(), &members, basket_member))
}

fn constituent_tranches(b: &crate::spec::BasketSpec) -> Vec<u8> {
    b.constituents.iter().map(|k| k.tranche).collect()
}

/// Whether on-chain terms are the spec's (`allow_junior` is checked, not stored).
fn same_terms(c: &sluice::state::Constituent, a: &ConstituentArgs) -> bool {
    (c.haircut_bps, c.cap_bps, c.target_bps, c.enabled) == (a.haircut_bps, a.cap_bps, a.target_bps, a.enabled)
}

/// Creates the spec's basket, brings its sleeve policy and constituents to the spec, and
/// admits the basket as a member of a permissioned pool (its rebalance deposits need it).
/// Returns the basket's membership expiry, if the pool is permissioned.
async fn apply_basket<C: Chain>(
    run: &mut Run<'_, C>,
    spec: &Spec,
    b: &crate::spec::BasketSpec,
    keys: &PoolKeys,
    pool_exists: bool,
    now: i64,
) -> Result<Option<i64>, MigrateError> {
    let authority = run.issuer.pubkey();
    let bk = BasketKeys::new(&authority, b.id, keys.base_mint, keys.base_token_program);
    let mut on_chain = if client::exists(run.chain, &bk.basket).await.map_err(read("basket"))? {
        Some(client::basket(run.chain, &bk.basket).await.map_err(read("basket"))?)
    } else {
        None
    };
    match &on_chain {
        Some(basket) => {
            if basket.base_mint != keys.base_mint {
                return Err(MigrateError::Conflict(format!(
                    "basket {} exists with base mint {}, not the pool's {}",
                    bk.basket, basket.base_mint, keys.base_mint
                )));
            }
            if basket.guardian != b.guardian {
                return Err(MigrateError::Conflict(format!(
                    "basket {} exists with guardian {}; the spec says {} (a basket's guardian cannot be changed)",
                    bk.basket, basket.guardian, b.guardian
                )));
            }
            if basket.authority != authority {
                return Err(MigrateError::Conflict(format!(
                    "basket {} is administered by {}, not the issuer {authority}",
                    bk.basket, basket.authority
                )));
            }
            run.note(StepState::Present, format!("basket {} (id {})", bk.basket, b.id));
            run.step(
                "update the basket's sleeve policy to the spec".into(),
                basket.params != b.params,
                vec![ix::set_basket_params(&authority, &bk, b.params)],
                &[],
            )
            .await?;
        }
        None => {
            let args = CreateBasketArgs { basket_id: b.id, guardian: b.guardian, params: b.params };
            run.step(
                format!(
                    "create basket {} (id {}): sleeve target {} bps ± {}, redeem cap {} bps a day, floor {} bps",
                    bk.basket,
                    b.id,
                    b.params.sleeve_target_bps,
                    b.params.sleeve_band_bps,
                    b.params.redeem_cap_bps,
                    b.params.sleeve_floor_bps
                ),
                true,
                vec![ix::create_basket(&authority, &bk, args)],
                &[],
            )
            .await?;
            if run.mode == Mode::Apply {
                on_chain = Some(client::basket(run.chain, &bk.basket).await.map_err(read("basket"))?);
            }
        }
    }

    for k in &b.constituents {
        let name = &spec.tranches[k.tranche as usize].name;
        let mint = keys.tranche_mint(k.tranche);
        let existing = on_chain.as_ref().and_then(|basket| basket.active().iter().position(|c| c.mint == mint));
        let terms = format!(
            "haircut {} bps, cap {} bps, target {} bps{}",
            k.args.haircut_bps,
            k.args.cap_bps,
            k.args.target_bps,
            if k.args.enabled { "" } else { ", disabled" }
        );
        match (existing, &on_chain) {
            (Some(index), Some(basket)) => {
                let c = basket.constituents[index];
                let what = format!("basket constituent {index}: tranche {} {name} ({terms})", k.tranche);
                run.step(
                    what,
                    !same_terms(&c, &k.args),
                    vec![ix::update_constituent(&authority, &bk, &keys.pool, index as u8, k.args)],
                    &[],
                )
                .await?;
            }
            _ => {
                run.step(
                    format!("add tranche {} {name} to the basket ({terms})", k.tranche),
                    true,
                    vec![ix::add_constituent(&authority, &bk, keys, k.tranche, k.args)],
                    &[],
                )
                .await?;
            }
        }
    }

    if !spec.params.permissioned {
        return Ok(None);
    }
    // Five years from the first run, kept while live, as for the seeding issuer.
    let existing = if pool_exists {
        client::member(run.chain, &keys.pool, &bk.basket).await.map_err(read("member"))?
    } else {
        None
    };
    let live = existing.map(|m| m.expires_at).filter(|t| *t > now);
    let expires_at = live.unwrap_or((now / 86_400 + 5 * 365) * 86_400);
    run.step(
        format!("member {} (the basket) until {}", bk.basket, sluice_sdk::units::format_date(expires_at)),
        live.is_none(),
        vec![ix::set_member(&authority, &keys.pool, &bk.basket, expires_at)],
        &[],
    )
    .await?;
    // Its vaults of the pool's tranches started frozen (made by `add_constituent`): thawed
    // now that the basket is a member, so exchanges in and rebalance deposits can fill them.
    let payer = run.chain.payer().pubkey();
    let mut ixs = Vec::new();
    for k in &b.constituents {
        let vault = pda::basket_vault(&bk.basket, &keys.tranche_mint(k.tranche));
        if frozen(run.chain, &vault).await.map_err(read("basket vault"))? != Some(false) {
            ixs.push(ix::thaw_holder(&payer, &keys.pool, k.tranche, &vault, &bk.basket));
        }
    }
    if !b.constituents.is_empty() {
        let what = format!("the basket's vaults of tranches {:?}: thawed", constituent_tranches(b));
        run.step(what, !ixs.is_empty(), ixs, &[]).await?;
    }
    Ok(Some(expires_at))
}

async fn publishers_on_chain<C: Chain>(chain: &mut C, oracle: &Pubkey) -> Result<Vec<Pubkey>, ChainError> {
    let o = client::oracle(chain, oracle).await?;
    Ok(o.publishers.iter().copied().filter(|p| *p != Pubkey::default()).collect())
}

/// The deployment record: addresses derived from the keys, and what only the pool account
/// knows (queues, reserve vault) from `pool` as last read (absent before it exists).
fn record(
    spec: &Spec,
    authority: &Pubkey,
    keys: &PoolKeys,
    pool: Option<&sluice::state::Pool>,
    members: &[crate::spec::Member],
    basket_member: Option<i64>,
) -> Deployment {
    let set = |k: Pubkey| (k != Pubkey::default()).then(|| k.to_string());
    let tranches = spec
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let i = i as u8;
            TrancheRecord {
                index: i,
                name: t.name.clone(),
                mint: keys.tranche_mint(i).to_string(),
                token_name: t.args.metadata.name.clone(),
                symbol: t.args.metadata.symbol.clone(),
                uri: t.args.metadata.uri.clone(),
                queue: pool.and_then(|p| set(p.tranches[i as usize].queue)),
                escrow: Some(pda::escrow(&keys.pool, i).to_string()),
                market: spec.markets.contains(&i).then(|| pda::amm(&keys.pool, i).to_string()),
            }
        })
        .collect();
    Deployment {
        name: spec.name.clone(),
        program_id: sluice::ID.to_string(),
        authority: authority.to_string(),
        pool_id: spec.pool_id,
        pool: keys.pool.to_string(),
        base_mint: keys.base_mint.to_string(),
        base_token_program: token_program_name(&keys.base_token_program).to_string(),
        vault: keys.vault.to_string(),
        book: keys.book.to_string(),
        oracle: keys.oracle.to_string(),
        reserve_vault: pool.and_then(|p| set(p.reserve_vault)),
        tranches,
        members: members
            .iter()
            .map(|m| MemberRecord {
                wallet: m.wallet.to_string(),
                member: pda::member(&keys.pool, &m.wallet).to_string(),
                expires_at: m.expires_at,
                tranche_accounts: if spec.params.permissioned {
                    (0..spec.tranches.len() as u8)
                        .map(|t| ix::token::associated(&ix::TOKEN_2022, &m.wallet, &keys.tranche_mint(t)).to_string())
                        .collect()
                } else {
                    vec![]
                },
            })
            .collect(),
        receivables: spec
            .receivables
            .iter()
            .map(|r| ReceivableRecord { index: r.index, address: pda::receivable(&keys.pool, r.index).to_string() })
            .collect(),
        basket: spec.basket.as_ref().map(|b| {
            let bk = BasketKeys::new(authority, b.id, keys.base_mint, keys.base_token_program);
            BasketRecord {
                id: b.id,
                address: bk.basket.to_string(),
                mint: bk.mint.to_string(),
                sleeve: bk.sleeve.to_string(),
                guardian: b.guardian.to_string(),
                member: basket_member.map(|_| pda::member(&keys.pool, &bk.basket).to_string()),
                member_expires_at: basket_member,
                constituents: b
                    .constituents
                    .iter()
                    .map(|k| {
                        let mint = keys.tranche_mint(k.tranche);
                        ConstituentRecord {
                            tranche: k.tranche,
                            name: spec.tranches[k.tranche as usize].name.clone(),
                            mint: mint.to_string(),
                            vault: pda::basket_vault(&bk.basket, &mint).to_string(),
                        }
                    })
                    .collect(),
            }
        }),
    }
}

/// Re-reads the chain and lists every way it differs from `spec`; empty means verified.
pub async fn verify<C: Chain>(
    chain: &mut C,
    issuer: &Pubkey,
    spec: &Spec,
    deployment: &Deployment,
) -> Result<Vec<String>, ChainError> {
    let mut problems = Vec::new();
    let pool_address = pda::pool(issuer, spec.pool_id);
    let Some(pool) = client::try_pool(chain, &pool_address).await? else {
        return Ok(vec![format!("pool {pool_address} not found")]);
    };
    if pool.params != spec.params {
        problems.push("pool parameters differ from the spec".into());
    }
    if pool.base_mint != base_mint_address(spec, issuer) {
        problems.push("base mint differs from the spec".into());
    }
    let base_program = client::token_program_of(chain, &pool.base_mint).await?;
    if pool.base_token_program != base_program {
        problems.push(format!(
            "the pool records base token program {}, the base mint belongs to {base_program}",
            pool.base_token_program
        ));
    }
    let expected_program = match spec.base {
        BaseMint::Create { token_program, .. } => Some(token_program),
        BaseMint::Existing { token_program, .. } => token_program,
    };
    if expected_program.is_some_and(|p| p != base_program) {
        problems.push(format!("base mint belongs to {}, not the spec's program", token_program_name(&base_program)));
    }
    if deployment.base_token_program != token_program_name(&base_program) {
        problems.push("recorded base token program differs from the base mint's".into());
    }
    if pool.guardian != spec.guardian {
        problems.push("guardian differs from the spec".into());
    }
    if pool.tranche_count as usize != spec.tranches.len() {
        problems.push(format!("{} tranches on chain, {} in the spec", pool.tranche_count, spec.tranches.len()));
    }
    for (i, t) in spec.tranches.iter().enumerate().take(pool.tranche_count as usize) {
        let c = pool.tranches[i];
        if c.coupon_bps != t.args.coupon_bps || c.min_subordination_bps != t.args.min_subordination_bps {
            problems.push(format!("tranche {i} terms differ"));
        }
        if c.queue == Pubkey::default() {
            problems.push(format!("tranche {i} has no redemption queue"));
        }
        if deployment.tranches.get(i).and_then(|r| r.queue.as_deref()) != Some(c.queue.to_string().as_str()) {
            problems.push(format!("tranche {i}: recorded queue differs from the pool's"));
        }
        match client::mint_metadata(chain, &c.mint).await {
            Ok(m) if m == t.args.metadata => {}
            Ok(m) => problems.push(format!(
                "tranche {i} token metadata on chain is {:?} ({}, uri {:?}); the spec says {:?} ({}, uri {:?})",
                m.name, m.symbol, m.uri, t.args.metadata.name, t.args.metadata.symbol, t.args.metadata.uri
            )),
            Err(e) => problems.push(format!("tranche {i} token metadata unreadable: {e}")),
        }
    }
    for m in &deployment.members {
        let wallet: Pubkey = m.wallet.parse().expect("recorded address");
        match client::member(chain, &pool_address, &wallet).await? {
            Some(c) if c.expires_at == m.expires_at => {}
            _ => problems.push(format!("member {wallet} missing or with another expiry")),
        }
        for account in &m.tranche_accounts {
            let account: Pubkey = account.parse().expect("recorded address");
            match frozen(chain, &account).await? {
                Some(false) => {}
                Some(true) => problems.push(format!("tranche account {account} of member {wallet} is frozen")),
                None => problems.push(format!("tranche account {account} of member {wallet} missing")),
            }
        }
    }
    if pool.receivable_count < spec.receivables.len() as u64 {
        problems.push(format!("{} receivables on chain, {} in the CSV", pool.receivable_count, spec.receivables.len()));
    }
    if spec.reserve_fund > 0 && pool.reserve_balance < spec.reserve_fund {
        problems.push(format!("reserve holds {}, the spec funds {}", pool.reserve_balance, spec.reserve_fund));
    }
    for &t in &spec.markets {
        if !client::exists(chain, &pda::amm(&pool_address, t)).await? {
            problems.push(format!("market of tranche {t} missing"));
        }
    }
    if let Some(b) = &spec.basket {
        verify_basket(chain, issuer, spec, b, &pool, deployment, &mut problems).await?;
    }
    Ok(problems)
}

/// The on-chain basket against the spec's `[basket]` and the deployment record.
async fn verify_basket<C: Chain>(
    chain: &mut C,
    issuer: &Pubkey,
    spec: &Spec,
    b: &crate::spec::BasketSpec,
    pool: &sluice::state::Pool,
    deployment: &Deployment,
    problems: &mut Vec<String>,
) -> Result<(), ChainError> {
    let pool_address = pda::pool(issuer, spec.pool_id);
    let bk = BasketKeys::new(issuer, b.id, pool.base_mint, pool.base_token_program);
    if deployment.basket.as_ref().map(|r| r.address.as_str()) != Some(bk.basket.to_string().as_str()) {
        problems.push("recorded basket address differs from the spec's basket".into());
    }
    if !client::exists(chain, &bk.basket).await? {
        problems.push(format!("basket {} not found", bk.basket));
        return Ok(());
    }
    let basket = client::basket(chain, &bk.basket).await?;
    if basket.authority != *issuer {
        problems.push("basket authority is not the issuer".into());
    }
    if basket.guardian != b.guardian {
        problems.push("basket guardian differs from the spec".into());
    }
    if basket.base_mint != pool.base_mint {
        problems.push("basket base mint differs from the pool's".into());
    }
    if basket.params != b.params {
        problems.push("basket sleeve policy differs from the spec".into());
    }
    for k in &b.constituents {
        let mint = pda::tranche_mint(&pool_address, k.tranche);
        match basket.active().iter().find(|c| c.mint == mint) {
            Some(c) if c.pool == pool_address && c.tranche == k.tranche && same_terms(c, &k.args) => {}
            Some(_) => problems.push(format!("basket constituent tranche {} terms differ", k.tranche)),
            None => problems.push(format!("basket constituent tranche {} missing", k.tranche)),
        }
    }
    if basket.constituent_count as usize != b.constituents.len() {
        problems.push(format!(
            "{} basket constituents on chain, {} in the spec",
            basket.constituent_count,
            b.constituents.len()
        ));
    }
    if spec.params.permissioned {
        let recorded = deployment.basket.as_ref().and_then(|r| r.member_expires_at);
        match client::member(chain, &pool_address, &bk.basket).await? {
            Some(m) if Some(m.expires_at) == recorded => {}
            _ => problems.push(format!("basket {} is not a member of the pool as recorded", bk.basket)),
        }
        for k in &b.constituents {
            let vault = pda::basket_vault(&bk.basket, &pda::tranche_mint(&pool_address, k.tranche));
            if frozen(chain, &vault).await? != Some(false) {
                problems.push(format!("the basket's vault {vault} of tranche {} is not thawed", k.tranche));
            }
        }
    }
    Ok(())
}
