//! `sluice basket …`: value-anchored baskets of tranche tokens (`docs/basket.md`).
//!
//! Every priced command (exchange in, redeem, rebalance) first reprices a constituent pool
//! whose stored NAV is stale, then previews with the program's own planning
//! (`sluice_sdk::preview`): a refusal the plan predicts is named without sending, and
//! slippage bounds come from the preview, rounded against the caller.

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use sluice::error::SluiceError;
use sluice::instructions::{
    constituent_value, plan_exchange_in, plan_exchange_out, BasketSwapArgs, ConstituentArgs, CreateBasketArgs,
    ExchangeInArgs, ExchangeOutArgs, RebalanceAction, RedeemBasketArgs,
};
use sluice::state::{BasketMarketParams, BasketParams};
use sluice_sdk::chain::Chain;
use sluice_sdk::client::{self, BasketView};
use sluice_sdk::ix::{self, BasketKeys, BasketMarketKeys, BasketTrader, PoolKeys};
use sluice_sdk::units::{format_amount, format_price};
use sluice_sdk::{pda, preview};

use crate::wallet::{
    amount, at_least, pubkey, refused, token_2022_account, tranche_arg, Ctx, Failure, Global, Outcome,
};

const BPS: u128 = 10_000;
const PRICE_SCALE: u128 = 1_000_000_000_000;

/// `sluice basket`: the basket commands, with the wallet options.
#[derive(Args, Debug)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct Basket {
    #[command(subcommand)]
    pub command: BasketCommand,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Subcommand, Debug)]
pub enum BasketCommand {
    /// Create a basket over a base mint; the wallet becomes its authority
    Create(Create),
    /// Basket authority: admit a pool's tranche as a constituent
    AddConstituent(AddConstituent),
    /// Baskets on the cluster: supply, value, sleeve
    List,
    /// A basket's value, supply, price, sleeve and constituents (held, in flight, weight vs target)
    Show(BasketOnly),
    /// Tranche tokens in at their DCF price less the constituent's haircut, basket tokens out
    ExchangeIn(ExchangeIn),
    /// Basket tokens back for an in-kind slice of every constituent and of the sleeve
    ExchangeOut(Exit),
    /// Basket tokens back for base tokens from the sleeve (within its daily cap and floor)
    Redeem(Exit),
    /// Basket tokens held, their value, what an exit would pay now
    Position(BasketPosition),
    /// What the keeper does: collect paid requests into the sleeve, then the rule's request or deposit
    Rebalance(BasketOnly),
    /// Basket authority: open the basket token's market against the base token (recommended fees)
    CreateMarket(BasketOnly),
    /// Trade on the basket's market: buy basket tokens with base tokens, or sell them
    Swap(BasketSwap),
    /// The sleeve buys basket tokens trading under the basket's price and burns them (anyone may)
    Buyback(BasketOnly),
}

#[derive(Args, Debug)]
pub struct BasketSwap {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
    /// buy (pay base tokens) or sell (pay basket tokens)
    #[arg(value_name = "buy|sell")]
    pub side: String,
    /// What you pay in
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
}

#[derive(Args, Debug)]
pub struct Create {
    /// The basket's id among the wallet's baskets (its address derives from wallet and id)
    #[arg(long, value_name = "N")]
    pub id: u64,
    /// The base token (the pools' stablecoin); the basket token has its decimals
    #[arg(long, value_name = "MINT")]
    pub base_mint: String,
    /// Who may pause exchanges in [default: the wallet]
    #[arg(long, value_name = "WALLET")]
    pub guardian: Option<String>,
    /// Share of value kept in base tokens [default: BasketParams::DEFAULT's, 1000]
    #[arg(long, value_name = "BPS")]
    pub sleeve_target_bps: Option<u16>,
    /// How far the sleeve may drift from its target before rebalance acts [default: 300]
    #[arg(long, value_name = "BPS")]
    pub sleeve_band_bps: Option<u16>,
    /// Most value the sleeve pays out per 24 h window [default: 500]
    #[arg(long, value_name = "BPS")]
    pub redeem_cap_bps: Option<u16>,
    /// Redemptions never take the sleeve below this share of the value left [default: 200]
    #[arg(long, value_name = "BPS")]
    pub sleeve_floor_bps: Option<u16>,
}

#[derive(Args, Debug)]
pub struct AddConstituent {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
    /// The constituent's pool
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Kept from every exchange in: the over-collateralisation that absorbs defaults
    #[arg(long, value_name = "H")]
    pub haircut_bps: u16,
    /// Largest share of basket value the constituent may reach through exchanges in
    #[arg(long, value_name = "C")]
    pub cap_bps: u16,
    /// Share of basket value rebalance steers the constituent towards (at most the cap)
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub target_bps: u16,
    /// Required for a pool's junior tranche (with at least the minimum junior haircut)
    #[arg(long)]
    pub allow_junior: bool,
    /// Admit it disabled: no exchanges in until the authority enables it
    #[arg(long)]
    pub disabled: bool,
}

#[derive(Args, Debug)]
pub struct BasketOnly {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
}

#[derive(Args, Debug)]
pub struct ExchangeIn {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
    /// The constituent's pool
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Tranche tokens to exchange in, or all
    #[arg(value_name = "TOKENS|all")]
    pub tokens: String,
}

#[derive(Args, Debug)]
pub struct Exit {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
    /// Basket tokens to give back, or all
    #[arg(value_name = "TOKENS|all")]
    pub tokens: String,
}

#[derive(Args, Debug)]
pub struct BasketPosition {
    /// The basket's address
    #[arg(value_name = "BASKET")]
    pub basket: String,
    /// Whose position [default: the wallet]
    #[arg(long, value_name = "WALLET")]
    pub owner: Option<String>,
}

pub(crate) async fn run(ctx: &mut Ctx, command: &BasketCommand) -> Outcome {
    match command {
        BasketCommand::Create(a) => create(ctx, a).await,
        BasketCommand::AddConstituent(a) => add_constituent(ctx, a).await,
        BasketCommand::List => list(ctx).await,
        BasketCommand::Show(a) => show(ctx, &a.basket).await,
        BasketCommand::ExchangeIn(a) => exchange_in(ctx, a).await,
        BasketCommand::ExchangeOut(a) => exchange_out(ctx, a).await,
        BasketCommand::Redeem(a) => redeem(ctx, a).await,
        BasketCommand::Position(a) => position(ctx, a).await,
        BasketCommand::Rebalance(a) => rebalance(ctx, &a.basket).await,
        BasketCommand::CreateMarket(a) => create_market(ctx, &a.basket).await,
        BasketCommand::Swap(a) => swap(ctx, a).await,
        BasketCommand::Buyback(a) => buyback(ctx, &a.basket).await,
    }
}

/// A basket as read: its view, addresses and the base token's decimals.
struct Loaded {
    view: BasketView,
    keys: BasketKeys,
    decimals: u8,
}

impl Loaded {
    /// `owner`'s associated base-token account (under the base mint's program).
    fn base_account(&self, owner: &Pubkey) -> Pubkey {
        ix::token::associated(&self.keys.base_token_program, owner, &self.keys.base_mint)
    }

    fn create_base_account(
        &self,
        payer: &Pubkey,
        owner: &Pubkey,
    ) -> anchor_lang::solana_program::instruction::Instruction {
        ix::token::create_associated(&self.keys.base_token_program, payer, owner, &self.keys.base_mint)
    }
}

async fn load(ctx: &mut Ctx, address: &str) -> Result<Loaded, Failure> {
    let address = pubkey(address, "BASKET")?;
    let account = ctx.chain.account(&address).await?;
    let is_basket = account.is_some_and(|a| a.data.starts_with(sluice::state::Basket::DISCRIMINATOR));
    if !is_basket {
        return Err(Failure::other(format!("no Sluice basket at {address}")));
    }
    let view = client::basket_view(&mut ctx.chain, &address).await?;
    let b = &view.basket;
    let base_token_program = client::token_program_of(&mut ctx.chain, &b.base_mint).await?;
    let keys = BasketKeys::new(&b.creator, b.basket_id, b.base_mint, base_token_program);
    let decimals = client::mint_decimals(&mut ctx.chain, &view.basket.base_mint).await?;
    Ok(Loaded { view, keys, decimals })
}

/// Reprices every constituent pool whose stored NAV is too old to price the basket now,
/// then reads the basket again.
async fn fresh(ctx: &mut Ctx, l: &mut Loaded) -> Result<i64, Failure> {
    let now = ctx.chain.now().await?;
    let mut stale: Vec<PoolKeys> = Vec::new();
    for pool in &l.view.pools {
        let keys = PoolKeys::of(pool);
        if !pool.nav_is_fresh(now) && !stale.iter().any(|k| k.pool == keys.pool) {
            stale.push(keys);
        }
    }
    if !stale.is_empty() {
        let ixs: Vec<_> = stale.iter().map(ix::reprice).collect();
        ctx.send(&ixs).await?;
        l.view = client::basket_view(&mut ctx.chain, &l.keys.basket).await?;
    }
    Ok(now)
}

fn tokens_arg(s: &str, held: u64, decimals: u8, what: &str) -> Result<u64, Failure> {
    let tokens = match s {
        "all" => held,
        s => amount(s, decimals, "TOKENS")?,
    };
    if tokens == 0 || tokens > held {
        return Err(Failure::usage(format!("the wallet holds {} {what}", format_amount(held, decimals))));
    }
    Ok(tokens)
}

fn pct(bps: u128) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

/// Price of one basket token, scaled by 10¹², floored; `None` before the first exchange in.
fn price_e12(value: u64, supply: u64) -> Option<u128> {
    (supply > 0).then(|| value as u128 * PRICE_SCALE / supply as u128)
}

fn params_json(p: &BasketParams) -> Value {
    json!({
        "sleeve_target_bps": p.sleeve_target_bps,
        "sleeve_band_bps": p.sleeve_band_bps,
        "redeem_cap_bps": p.redeem_cap_bps,
        "sleeve_floor_bps": p.sleeve_floor_bps,
    })
}

async fn create(ctx: &mut Ctx, a: &Create) -> Outcome {
    let base_mint = pubkey(&a.base_mint, "--base-mint")?;
    let me = ctx.me();
    let guardian = match a.guardian.as_deref() {
        Some(g) => pubkey(g, "--guardian")?,
        None => me,
    };
    let d = BasketParams::DEFAULT;
    let params = BasketParams {
        sleeve_target_bps: a.sleeve_target_bps.unwrap_or(d.sleeve_target_bps),
        sleeve_band_bps: a.sleeve_band_bps.unwrap_or(d.sleeve_band_bps),
        redeem_cap_bps: a.redeem_cap_bps.unwrap_or(d.redeem_cap_bps),
        sleeve_floor_bps: a.sleeve_floor_bps.unwrap_or(d.sleeve_floor_bps),
    };
    params.validate().map_err(|_| {
        Failure::usage("the sleeve policy needs band ≤ target ≤ 5000, floor ≤ target − band, cap ≤ 10000 (bps)")
    })?;
    let decimals = client::mint_decimals(&mut ctx.chain, &base_mint).await?;
    let base_token_program = client::token_program_of(&mut ctx.chain, &base_mint).await?;
    let keys = BasketKeys::new(&me, a.id, base_mint, base_token_program);
    if client::exists(&mut ctx.chain, &keys.basket).await? {
        return Err(Failure::other(format!("the wallet's basket {} exists already at {}", a.id, keys.basket)));
    }
    ctx.send(&[ix::create_basket(&me, &keys, CreateBasketArgs { basket_id: a.id, guardian, params })]).await?;
    Ok((
        json!({
            "basket": keys.basket.to_string(), "mint": keys.mint.to_string(), "sleeve": keys.sleeve.to_string(),
            "base_mint": base_mint.to_string(), "decimals": decimals, "authority": me.to_string(),
            "guardian": guardian.to_string(), "params": params_json(&params),
        }),
        format!(
            "basket {}\n  token mint {}\n  sleeve     {}\n  policy     sleeve {} ± {}, redeem cap {} a day, floor {}\n  next: `sluice basket add-constituent {} <POOL> <TRANCHE> --haircut-bps H --cap-bps C`",
            keys.basket,
            keys.mint,
            keys.sleeve,
            pct(params.sleeve_target_bps.into()),
            pct(params.sleeve_band_bps.into()),
            pct(params.redeem_cap_bps.into()),
            pct(params.sleeve_floor_bps.into()),
            keys.basket
        ),
    ))
}

async fn add_constituent(ctx: &mut Ctx, a: &AddConstituent) -> Outcome {
    let l = load(ctx, &a.basket).await?;
    let pool = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &pool.pool)?;
    let args = ConstituentArgs {
        haircut_bps: a.haircut_bps,
        cap_bps: a.cap_bps,
        target_bps: a.target_bps,
        allow_junior: a.allow_junior,
        enabled: !a.disabled,
    };
    let index = l.view.basket.constituent_count;
    let me = ctx.me();
    let mint = pool.keys.tranche_mint(tranche);
    let vault = pda::basket_vault(&l.keys.basket, &mint);
    let mut ixs = vec![ix::add_constituent(&me, &l.keys, &pool.keys, tranche, args)];
    // The vault starts frozen in a permissioned pool: thawed here when the basket is a member
    // already, else by `sluice admit` when it becomes one.
    ixs.extend(client::thaw_if_needed(&mut ctx.chain, &me, &pool.pool, tranche, &vault, &l.keys.basket).await?);
    ctx.send(&ixs).await?;
    let frozen = client::is_frozen(&mut ctx.chain, &vault).await?;
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "index": index, "pool": pool.keys.pool.to_string(), "tranche": tranche,
            "mint": mint.to_string(), "vault": vault.to_string(), "vault_frozen": frozen,
            "haircut_bps": a.haircut_bps, "cap_bps": a.cap_bps, "target_bps": a.target_bps, "enabled": !a.disabled,
        }),
        format!(
            "constituent {index}: tranche {tranche} of {}, haircut {}, cap {}, target {}{}{}",
            pool.keys.pool,
            pct(a.haircut_bps.into()),
            pct(a.cap_bps.into()),
            pct(a.target_bps.into()),
            if a.disabled { " (disabled)" } else { "" },
            if frozen {
                format!(
                    "\n  its vault is frozen until the basket is a member: `sluice admit {} {}`",
                    pool.keys.pool, l.keys.basket
                )
            } else {
                String::new()
            }
        ),
    ))
}

async fn list(ctx: &mut Ctx) -> Outcome {
    let found = ctx.chain.accounts_of_type(&sluice::ID, sluice::state::Basket::DISCRIMINATOR).await?;
    let now = ctx.chain.now().await?;
    let mut rows = Vec::new();
    let mut text = format!("{:<44} {:>20} {:>20} {:>20} {:>6}\n", "basket", "supply", "value", "sleeve", "parts");
    for (address, data) in found {
        let Ok(b) = sluice_sdk::state::basket(&data) else { continue };
        let decimals = client::mint_decimals(&mut ctx.chain, &b.base_mint).await?;
        // Priced only while every constituent's NAV is fresh.
        let value =
            client::basket_view(&mut ctx.chain, &address).await.ok().and_then(|v| v.value(now).ok()).map(|v| v.0);
        text += &format!(
            "{:<44} {:>20} {:>20} {:>20} {:>6}{}\n",
            address.to_string(),
            format_amount(b.supply, decimals),
            value.map_or("(NAV stale)".into(), |v| format_amount(v, decimals)),
            format_amount(b.sleeve_balance, decimals),
            b.constituent_count,
            if b.paused { "  paused" } else { "" }
        );
        rows.push(json!({
            "basket": address.to_string(),
            "authority": b.authority.to_string(),
            "guardian": b.guardian.to_string(),
            "base_mint": b.base_mint.to_string(),
            "mint": b.mint.to_string(),
            "decimals": decimals,
            "paused": b.paused,
            "supply": b.supply,
            "value": value,
            "price_e12": value.and_then(|v| price_e12(v, b.supply)).map(|p| p as u64),
            "sleeve_balance": b.sleeve_balance,
            "constituents": b.constituent_count,
            "params": params_json(&b.params),
        }));
    }
    let n = rows.len();
    Ok((json!({ "baskets": rows }), format!("{text}{n} basket(s)")))
}

async fn show(ctx: &mut Ctx, address: &str) -> Outcome {
    let l = load(ctx, address).await?;
    let now = ctx.chain.now().await?;
    let (b, d) = (&l.view.basket, l.decimals);
    // Valued at the stored NAVs even when one is stale (the program would refuse to price).
    let values: Vec<u64> = b
        .active()
        .iter()
        .enumerate()
        .map(|(j, c)| constituent_value(c, &l.view.pools[j], &l.view.flights[j]))
        .collect();
    let value = b.sleeve_balance + values.iter().sum::<u64>();
    let nav_fresh = l.view.pools.iter().all(|p| p.nav_is_fresh(now));
    let weight = |v: u64| if value == 0 { 0 } else { v as u128 * BPS / value as u128 };
    let price = price_e12(value, b.supply);
    let mut text = format!(
        "basket {}{}\n  value   {}{}\n  supply  {} at {}\n  sleeve  {} ({} of value; target {} ± {}, redeem cap {} a day, floor {}; {} redeemed this window)\n",
        l.keys.basket,
        if b.paused { " (paused)" } else { "" },
        format_amount(value, d),
        if nav_fresh { "" } else { " (a constituent's NAV is stale: `sluice reprice <POOL>`)" },
        format_amount(b.supply, d),
        price.map_or("-".into(), |p| format_price(p as u64)),
        format_amount(b.sleeve_balance, d),
        pct(weight(b.sleeve_balance)),
        pct(b.params.sleeve_target_bps.into()),
        pct(b.params.sleeve_band_bps.into()),
        pct(b.params.redeem_cap_bps.into()),
        pct(b.params.sleeve_floor_bps.into()),
        format_amount(b.redeemed_in_window(now), d),
    );
    let mut rows = Vec::new();
    for (j, c) in b.active().iter().enumerate() {
        let f = l.view.flights[j];
        text += &format!(
            "  {j}: pool {} tranche {}{}\n     held {}, in flight {} tokens + {} paid, value {}, weight {} (target {}, cap {}), haircut {}\n",
            c.pool,
            c.tranche,
            if c.enabled { "" } else { " (disabled)" },
            format_amount(c.held, d),
            format_amount(f.tokens, d),
            format_amount(f.cash, d),
            format_amount(values[j], d),
            pct(weight(values[j])),
            pct(c.target_bps.into()),
            pct(c.cap_bps.into()),
            pct(c.haircut_bps.into()),
        );
        rows.push(json!({
            "index": j, "pool": c.pool.to_string(), "tranche": c.tranche, "mint": c.mint.to_string(),
            "enabled": c.enabled, "held": c.held, "in_flight_tokens": f.tokens, "in_flight_cash": f.cash,
            "request_open": c.request_open, "request_id": c.request_open.then_some(c.request_id),
            "value": values[j], "weight_bps": weight(values[j]) as u64, "target_bps": c.target_bps,
            "cap_bps": c.cap_bps, "haircut_bps": c.haircut_bps,
        }));
    }
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "authority": b.authority.to_string(), "guardian": b.guardian.to_string(),
            "mint": b.mint.to_string(), "sleeve": b.sleeve.to_string(), "base_mint": b.base_mint.to_string(),
            "decimals": d, "paused": b.paused, "nav_fresh": nav_fresh, "value": value, "supply": b.supply,
            "price_e12": price.map(|p| p as u64), "sleeve_balance": b.sleeve_balance,
            "sleeve_weight_bps": weight(b.sleeve_balance) as u64, "redeemed_in_window": b.redeemed_in_window(now),
            "params": params_json(&b.params), "constituents": rows,
        }),
        text.trim_end().to_string(),
    ))
}

async fn exchange_in(ctx: &mut Ctx, a: &ExchangeIn) -> Outcome {
    let mut l = load(ctx, &a.basket).await?;
    let pool = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &pool.pool)?;
    let index = l
        .view
        .basket
        .active()
        .iter()
        .position(|c| c.pool == pool.keys.pool && c.tranche == tranche)
        .ok_or_else(|| {
            Failure::other(format!("tranche {tranche} of pool {} is not a constituent of the basket", pool.keys.pool))
        })? as u8;
    let me = ctx.me();
    let mint = pool.keys.tranche_mint(tranche);
    let holder_tranche = token_2022_account(&me, &mint);
    let holder_basket = token_2022_account(&me, &l.keys.mint);
    let held = ctx.balance(&holder_tranche).await?;
    let tokens = tokens_arg(&a.tokens, held, l.decimals, &format!("tokens of tranche {tranche}"))?;
    let now = fresh(ctx, &mut l).await?;
    let expected = match preview::basket_exchange_in(&l.view, index, tokens, now) {
        Some(out) => out,
        None => {
            let e = plan_exchange_in(&l.view.basket, &l.view.pools, &l.view.flights, index, tokens, now).err();
            return Err(e.map_or(Failure::other("the basket cannot price this exchange"), refused));
        }
    };
    let member = l.view.pools[index as usize].params.permissioned.then(|| pda::member(&pool.keys.pool, &me));
    let args = ExchangeInArgs { index, tokens, min_out: at_least(expected, ctx.slippage_bps) };
    let priced = l.view.priced_accounts();
    let before = ctx.balance(&holder_basket).await?;
    let vault = pda::basket_vault(&l.keys.basket, &mint);
    let mut ixs = client::thaw_if_needed(&mut ctx.chain, &me, &pool.pool, tranche, &vault, &l.keys.basket).await?;
    ixs.push(ix::token::create_associated(&ix::TOKEN_2022, &me, &me, &l.keys.mint));
    ixs.push(ix::exchange_in(&me, &l.keys, &mint, &holder_tranche, &holder_basket, member, &priced, args));
    ctx.send(&ixs).await?;
    let received = ctx.balance(&holder_basket).await? - before;
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "index": index, "pool": pool.keys.pool.to_string(), "tranche": tranche,
            "tokens_in": tokens, "basket_tokens": received, "expected": expected, "token_account": holder_basket.to_string(),
        }),
        format!(
            "exchanged {} tokens of tranche {tranche} for {} basket tokens",
            format_amount(tokens, l.decimals),
            format_amount(received, l.decimals)
        ),
    ))
}

async fn exchange_out(ctx: &mut Ctx, a: &Exit) -> Outcome {
    let l = load(ctx, &a.basket).await?;
    let me = ctx.me();
    let holder_basket = token_2022_account(&me, &l.keys.mint);
    let held = ctx.balance(&holder_basket).await?;
    let tokens = tokens_arg(&a.tokens, held, l.decimals, "basket tokens")?;
    // Cash the basket's requests were paid and nobody collected yet is collected into the
    // sleeve in the same transaction, so the exit's sleeve slice can include it.
    let (collects, view) = ix::collect_all(&me, &l.keys, &l.view);
    let b = &view.basket;
    let slices = match preview::basket_exchange_out(&view, tokens) {
        Some(s) => s,
        None => {
            let e = plan_exchange_out(b, &view.flights, tokens).err();
            return Err(e.map_or(Failure::other("the basket cannot pay this exchange out"), refused));
        }
    };
    let holder_base = l.base_account(&me);
    // Each slice lands in the wallet's account of that tranche, opened and thawed as needed.
    let mut destinations: Vec<(Pubkey, Pubkey)> = Vec::new();
    let mut ixs = Vec::new();
    for (j, c) in b.active().iter().enumerate() {
        let (account, open) = client::tranche_account(&mut ctx.chain, &me, &view.pools[j], c.tranche, &me).await?;
        destinations.push((c.mint, account));
        ixs.extend(open);
    }
    ixs.push(l.create_base_account(&me, &me));
    ixs.extend(collects);
    let min_outs = slices.iter().map(|s| at_least(*s, ctx.slippage_bps)).collect();
    let open_queues = view.open_queues();
    ixs.push(ix::exchange_out(
        &me,
        &l.keys,
        &holder_basket,
        &holder_base,
        &destinations,
        &open_queues,
        ExchangeOutArgs { tokens, min_outs },
    ));
    let mut before = Vec::new();
    for (_, to) in &destinations {
        before.push(ctx.balance(to).await?);
    }
    let base_before = ctx.balance(&holder_base).await?;
    ctx.send(&ixs).await?;
    let mut parts = Vec::new();
    let mut text = format!("gave back {} basket tokens for\n", format_amount(tokens, l.decimals));
    for (j, ((_, to), c)) in destinations.iter().zip(b.active()).enumerate() {
        let got = ctx.balance(to).await? - before[j];
        text += &format!("  {} tokens of tranche {} of {}\n", format_amount(got, l.decimals), c.tranche, c.pool);
        parts.push(json!({ "index": j, "pool": c.pool.to_string(), "tranche": c.tranche, "tokens": got, "expected": slices[j] }));
    }
    let base = ctx.balance(&holder_base).await? - base_before;
    text += &format!("  {} base tokens from the sleeve", format_amount(base, l.decimals));
    Ok((
        json!({ "basket": l.keys.basket.to_string(), "tokens": tokens, "constituents": parts, "base": base, "base_expected": slices.last() }),
        text,
    ))
}

async fn redeem(ctx: &mut Ctx, a: &Exit) -> Outcome {
    let mut l = load(ctx, &a.basket).await?;
    let me = ctx.me();
    let holder_basket = token_2022_account(&me, &l.keys.mint);
    let held = ctx.balance(&holder_basket).await?;
    let tokens = tokens_arg(&a.tokens, held, l.decimals, "basket tokens")?;
    let now = fresh(ctx, &mut l).await?;
    let expected = preview::basket_redeem(&l.view, tokens, now).map_err(refused)?;
    let holder_base = l.base_account(&me);
    let args = RedeemBasketArgs { tokens, min_out: at_least(expected, ctx.slippage_bps) };
    let before = ctx.balance(&holder_base).await?;
    ctx.send(&[
        l.create_base_account(&me, &me),
        ix::redeem_basket(&me, &l.keys, &holder_basket, &holder_base, &l.view.priced_accounts(), args),
    ])
    .await?;
    let paid = ctx.balance(&holder_base).await? - before;
    let b = client::basket(&mut ctx.chain, &l.keys.basket).await?;
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "tokens": tokens, "paid": paid, "expected": expected,
            "sleeve_balance": b.sleeve_balance, "redeemed_in_window": b.redeemed_in_window(now),
        }),
        format!(
            "redeemed {} basket tokens for {} base tokens from the sleeve ({} left in it)",
            format_amount(tokens, l.decimals),
            format_amount(paid, l.decimals),
            format_amount(b.sleeve_balance, l.decimals)
        ),
    ))
}

async fn position(ctx: &mut Ctx, a: &BasketPosition) -> Outcome {
    let l = load(ctx, &a.basket).await?;
    let owner = match a.owner.as_deref() {
        Some(o) => pubkey(o, "--owner")?,
        None => ctx.me(),
    };
    let (b, d) = (&l.view.basket, l.decimals);
    let account = token_2022_account(&owner, &l.keys.mint);
    let tokens = ctx.balance(&account).await?;
    let now = ctx.chain.now().await?;
    let priced = l.view.value(now).ok().map(|v| v.0);
    let value = priced.map(|v| if b.supply == 0 { 0 } else { (tokens as u128 * v as u128 / b.supply as u128) as u64 });
    let share_bps = if b.supply == 0 { 0 } else { (tokens as u128 * BPS / b.supply as u128) as u64 };
    let mut text = format!(
        "{owner} in basket {}\n  basket tokens {} ({} of supply){}\n",
        l.keys.basket,
        format_amount(tokens, d),
        pct(share_bps.into()),
        value.map_or(" (a constituent's NAV is stale)".into(), |v| format!(", worth {}", format_amount(v, d)))
    );
    let mut in_kind = Vec::new();
    let mut redeem = Value::Null;
    if tokens > 0 {
        match plan_exchange_out(b, &l.view.flights, tokens) {
            Ok(slices) => {
                text += "  exchange out now pays";
                for (j, c) in b.active().iter().enumerate() {
                    text += &format!(" {} of tranche {} of {},", format_amount(slices[j], d), c.tranche, c.pool);
                    in_kind.push(
                        json!({ "index": j, "pool": c.pool.to_string(), "tranche": c.tranche, "tokens": slices[j] }),
                    );
                }
                let base = slices.last().copied().unwrap_or(0);
                text += &format!(" {} base tokens\n", format_amount(base, d));
                in_kind.push(json!({ "sleeve": base }));
            }
            Err(e) => text += &format!("  exchange out of all: {}\n", refused(e).message),
        }
        match preview::basket_redeem(&l.view, tokens, now) {
            Ok(paid) => {
                text += &format!("  a redemption of all from the sleeve pays {}\n", format_amount(paid, d));
                redeem = json!({ "paid": paid });
            }
            Err(e) => {
                let f = refused(e);
                text += &format!("  a redemption of all from the sleeve: {}\n", f.message);
                redeem = json!({ "refused": f.name });
            }
        }
    }
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "owner": owner.to_string(), "tokens": tokens, "share_bps": share_bps,
            "value": value, "exchange_out": in_kind, "redeem_all": redeem,
        }),
        text.trim_end().to_string(),
    ))
}

async fn rebalance(ctx: &mut Ctx, address: &str) -> Outcome {
    let mut l = load(ctx, address).await?;
    let now = fresh(ctx, &mut l).await?;
    let me = ctx.me();
    let d = l.decimals;
    let (collect, _) = preview::basket_rebalance(&l.view, now).map_err(refused)?;
    let mut collected = Vec::new();
    let mut text = String::new();
    for index in collect {
        // Each collection changes the open requests, and so the accounts that price it.
        let sleeve = l.view.basket.sleeve_balance;
        ctx.send(&[ix::rebalance(&me, &l.keys, &l.view, index)]).await?;
        l.view = client::basket_view(&mut ctx.chain, &l.keys.basket).await?;
        let amount = l.view.basket.sleeve_balance - sleeve;
        let closed = !l.view.basket.constituents[index as usize].request_open;
        text += &format!(
            "collected {} into the sleeve from constituent {index}'s request{}\n",
            format_amount(amount, d),
            if closed { " (done, closed)" } else { "" }
        );
        collected.push(json!({ "index": index, "amount": amount, "closed": closed }));
    }
    // Collections change the sleeve: the action is planned after them.
    let (_, action) = preview::basket_rebalance(&l.view, now).map_err(refused)?;
    let action_json = match action {
        RebalanceAction::Nothing => {
            if collected.is_empty() {
                return Err(refused(SluiceError::NothingToRebalance.into()));
            }
            text += "the sleeve is within its band: nothing more to do\n";
            json!({ "kind": "nothing" })
        }
        RebalanceAction::Request { index, tokens } => {
            ctx.send(&[ix::rebalance(&me, &l.keys, &l.view, index)]).await?;
            l.view = client::basket_view(&mut ctx.chain, &l.keys.basket).await?;
            let id = l.view.basket.constituents[index as usize].request_id;
            text += &format!(
                "queued request {id}: {} tokens of constituent {index} for redemption, to refill the sleeve\n",
                format_amount(tokens, d)
            );
            json!({ "kind": "request", "index": index, "tokens": tokens, "request_id": id })
        }
        RebalanceAction::Deposit { index, amount } => {
            ctx.send(&[ix::rebalance(&me, &l.keys, &l.view, index)]).await?;
            l.view = client::basket_view(&mut ctx.chain, &l.keys.basket).await?;
            text += &format!(
                "deposited {} of the sleeve's surplus into constituent {index} at NAV\n",
                format_amount(amount, d)
            );
            json!({ "kind": "deposit", "index": index, "amount": amount })
        }
    };
    let b = &l.view.basket;
    text += &format!("sleeve {}", format_amount(b.sleeve_balance, d));
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "collected": collected, "action": action_json,
            "sleeve_balance": b.sleeve_balance,
        }),
        text,
    ))
}

async fn create_market(ctx: &mut Ctx, address: &str) -> Outcome {
    let l = load(ctx, address).await?;
    let me = ctx.me();
    let m = BasketMarketKeys::new(&l.keys);
    let params = BasketMarketParams::RECOMMENDED;
    ctx.send(&[ix::create_basket_market(&me, &l.keys, &m, params)]).await?;
    Ok((
        json!({
            "basket": l.keys.basket.to_string(), "market": m.market.to_string(), "lp_mint": m.lp_mint.to_string(),
            "base_fee_bps": params.base_fee_bps, "buyback_discount_bps": params.buyback_discount_bps,
        }),
        format!(
            "market {} for basket {}: base fee {} bps, the sleeve buys back {} bps under the basket price",
            m.market, l.keys.basket, params.base_fee_bps, params.buyback_discount_bps
        ),
    ))
}

async fn swap(ctx: &mut Ctx, a: &BasketSwap) -> Outcome {
    let mut l = load(ctx, &a.basket).await?;
    let buy = match a.side.as_str() {
        "buy" => true,
        "sell" => false,
        s => return Err(Failure::usage(format!("buy or sell, not {s}"))),
    };
    let amount_in = amount(&a.amount, l.decimals, "AMOUNT")?;
    let now = fresh(ctx, &mut l).await?;
    let m = BasketMarketKeys::new(&l.keys);
    let (market, reserves) = client::basket_market_reserves(&mut ctx.chain, &m.market).await?;
    let plan = preview::basket_swap_quote(&l.view, &market, reserves, buy, amount_in, now).map_err(refused)?;
    let me = ctx.me();
    let t = BasketTrader {
        user: me,
        token_account: token_2022_account(&me, &l.keys.mint),
        base_account: l.base_account(&me),
        lp_account: None,
    };
    let args = BasketSwapArgs {
        buy_basket: buy,
        amount_in,
        min_out: at_least(plan.quote.amount_out, ctx.slippage_bps).max(1),
        deadline: now + 120,
    };
    let (receive, open) = if buy {
        (t.token_account, ix::token::create_associated(&ix::TOKEN_2022, &me, &me, &l.keys.mint))
    } else {
        (t.base_account, l.create_base_account(&me, &me))
    };
    let before = ctx.balance(&receive).await?;
    ctx.send(&[open, ix::swap_basket(&l.keys, &m, &t, &l.view.priced_accounts(), args)]).await?;
    let out = ctx.balance(&receive).await? - before;
    Ok((
        json!({
            "side": if buy { "buy" } else { "sell" }, "amount_in": amount_in, "amount_out": out,
            "expected": plan.quote.amount_out, "fee_bps": plan.quote.fee_bps, "basket_price_e12": plan.basket_price_e12,
        }),
        format!(
            "{} {} for {} (fee {} bps); the basket's price is {}",
            if buy { "paid" } else { "sold" },
            format_amount(amount_in, l.decimals),
            format_amount(out, l.decimals),
            plan.quote.fee_bps,
            format_price(plan.basket_price_e12)
        ),
    ))
}

async fn buyback(ctx: &mut Ctx, address: &str) -> Outcome {
    let mut l = load(ctx, address).await?;
    let now = fresh(ctx, &mut l).await?;
    let m = BasketMarketKeys::new(&l.keys);
    let (market, reserves) = client::basket_market_reserves(&mut ctx.chain, &m.market).await?;
    let plan = preview::basket_buyback(&l.view, &market, reserves, u64::MAX, now).map_err(refused)?;
    let supply = l.view.basket.supply;
    ctx.send(&[ix::basket_buyback(&l.keys, &m, &l.view.priced_accounts(), plan.spend)]).await?;
    let b = client::basket(&mut ctx.chain, &l.keys.basket).await?;
    let burned = supply - b.supply;
    Ok((
        json!({ "basket": l.keys.basket.to_string(), "spent": plan.spend, "burned": burned, "trigger_e12": plan.trigger_e12 }),
        format!(
            "the sleeve paid {} for {} basket tokens and burned them (trigger price {})",
            format_amount(plan.spend, l.decimals),
            format_amount(burned, l.decimals),
            format_price(plan.trigger_e12)
        ),
    ))
}
