//! Events: what an indexer or auditor needs to follow the pool without replaying state.
use anchor_lang::prelude::*;

/// What a natively built Sluice puts before an event's base64 in a `Program log:` line
/// (see [`emit`]); nothing else writes it.
pub const NATIVE_EVENT_MARK: &str = "sluice-native-event: ";

/// Emits `event` as Anchor's `emit!` does on a validator: a `Program data:` log line holding
/// its discriminator and Borsh bytes in base64. Built natively (the tests, `sluice localnet`),
/// Anchor drops that line; there it goes through the runtime's log stub instead, as
/// `Program log: <NATIVE_EVENT_MARK><base64>`, and the embedded bank's clients give it back its
/// validator form (`sluice_sdk::chain::validator_logs`), so every client reads events the
/// same way on both builds.
pub fn emit<E: anchor_lang::Event>(event: E) {
    let data = event.data();
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[&data]);
    #[cfg(not(target_os = "solana"))]
    {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        anchor_lang::compat::solana_sysvar::program_stubs::sol_log(&format!("{NATIVE_EVENT_MARK}{encoded}"));
    }
}

#[event]
pub struct PoolCreated {
    pub pool: Pubkey,
    pub authority: Pubkey,
    pub base_mint: Pubkey,
}

#[event]
pub struct TrancheAdded {
    pub pool: Pubkey,
    pub index: u8,
    pub mint: Pubkey,
    pub coupon_bps: u16,
}

#[event]
pub struct TrancheMetadataSet {
    pub pool: Pubkey,
    pub tranche: u8,
    pub mint: Pubkey,
    pub name: String,
    pub symbol: String,
    pub uri: String,
}

/// A permissioned tranche account was thawed (`frozen: false`) or frozen (`frozen: true`).
#[event]
pub struct HolderAccountSet {
    pub pool: Pubkey,
    pub tranche: u8,
    pub account: Pubkey,
    pub owner: Pubkey,
    pub frozen: bool,
}

#[event]
pub struct MemberSet {
    pub pool: Pubkey,
    pub wallet: Pubkey,
    pub expires_at: i64,
}

#[event]
pub struct RatesPublished {
    pub pool: Pubkey,
    pub sequence: u64,
    pub market_rate_bps: u32,
    pub publish_time: i64,
}

#[event]
pub struct ReceivableAdded {
    pub pool: Pubkey,
    pub index: u64,
    pub face_value: u64,
    pub funded: u64,
    pub due_ts: i64,
    pub risk_class: u8,
    pub document_hash: [u8; 32],
}

#[event]
pub struct RepaymentRecorded {
    pub pool: Pubkey,
    pub index: u64,
    pub amount: u64,
    pub outstanding: u64,
}

#[event]
pub struct WrittenDown {
    pub pool: Pubkey,
    pub index: u64,
    pub outstanding: u64,
    pub carried_value: u64,
    pub haircut_bps: u16,
    pub by_schedule: bool,
}

#[event]
pub struct Repriced {
    pub pool: Pubkey,
    pub nav: u64,
    pub cash: u64,
    pub book_value: u64,
    pub impaired_value: u64,
    pub tranche_values: [u64; 3],
    pub timestamp: i64,
}

#[event]
pub struct Deposited {
    pub pool: Pubkey,
    pub depositor: Pubkey,
    pub tranche: u8,
    pub amount: u64,
    pub tokens: u64,
}

#[event]
pub struct ParamsUpdated {
    pub pool: Pubkey,
}

#[event]
pub struct AuthorityTransferred {
    pub pool: Pubkey,
    pub from: Pubkey,
    pub to: Pubkey,
}

#[event]
pub struct PauseChanged {
    pub pool: Pubkey,
    pub paused: bool,
}

#[event]
pub struct RedemptionRequested {
    pub pool: Pubkey,
    pub tranche: u8,
    pub id: u64,
    pub owner: Pubkey,
    pub tokens: u64,
    pub installment: u64,
}

#[event]
pub struct RedemptionCancelled {
    pub pool: Pubkey,
    pub tranche: u8,
    pub id: u64,
    pub tokens_returned: u64,
}

#[event]
pub struct InstantRedeemed {
    pub pool: Pubkey,
    pub tranche: u8,
    pub holder: Pubkey,
    pub tokens: u64,
    pub value: u64,
    pub fee: u64,
}

/// One chunk of a batch. Carries what a regulator's report needs: when, at what NAV and
/// stage, how much was queued, paid and burned, and (in Crisis) what repayments remain.
#[event]
pub struct BatchProcessed {
    pub pool: Pubkey,
    pub batch_id: u64,
    pub tranche: u8,
    pub stage: crate::state::Stage,
    pub timestamp: i64,
    pub nav: u64,
    pub cash: u64,
    pub queued_tokens: u64,
    pub requests_processed: u32,
    pub tokens_redeemed: u64,
    pub value_paid: u64,
    pub realized_budget: u64,
    pub batch_complete: bool,
    /// The batch's price was no longer true (`process_batch`): it closed unpaid.
    pub lapsed: bool,
    pub keeper_tip: u64,
}

#[event]
pub struct Claimed {
    pub pool: Pubkey,
    pub tranche: u8,
    pub id: u64,
    pub amount: u64,
    pub pushed: bool,
}

#[event]
pub struct StageChanged {
    pub pool: Pubkey,
    pub from: crate::state::Stage,
    pub to: crate::state::Stage,
    /// Queued value as bps of NAV, and cash as bps of queued value, when it changed.
    pub queue_ratio_bps: u64,
    pub coverage_bps: u64,
    /// The market's discount to NAV, bps (0 when no market was read).
    pub market_discount_bps: u64,
    pub forced: bool,
    pub timestamp: i64,
}

/// Every change to the buy-back reserve: anyone can follow the proof of reserve.
#[event]
pub struct ReserveAttested {
    pub pool: Pubkey,
    pub balance: u64,
    pub tokens_held: [u64; 3],
    pub target: u64,
    pub timestamp: i64,
}

#[event]
pub struct Swapped {
    pub amm: Pubkey,
    pub trader: Pubkey,
    pub buy_tranche: bool,
    pub amount_in: u64,
    pub amount_out: u64,
    pub fee: u64,
    pub fee_bps: u32,
    pub price_e12: u64,
    pub nav_price_e12: u64,
    pub deviation_bps: u64,
    /// Depth, effective spread and turnover after the trade.
    pub liquidity: crate::state::LiquidityMetrics,
}

#[event]
pub struct LiquidityChanged {
    pub amm: Pubkey,
    pub provider: Pubkey,
    pub lp_delta: i64,
    pub tranche_amount: u64,
    pub base_amount: u64,
    pub lp_supply: u64,
}

#[event]
pub struct PublishersChanged {
    pub pool: Pubkey,
    pub publishers: [Pubkey; crate::state::MAX_PUBLISHERS],
}

/// The basket's backing after every change of holdings: anyone can follow it.
#[event]
pub struct BasketAttested {
    pub basket: Pubkey,
    pub supply: u64,
    pub sleeve: u64,
    /// Per constituent (zero beyond the count): tokens in the basket's vault, tokens and
    /// uncollected base units in the basket's own redemption request, and the value of all
    /// three at NAV.
    pub held: [u64; crate::state::MAX_CONSTITUENTS],
    pub in_flight_tokens: [u64; crate::state::MAX_CONSTITUENTS],
    pub in_flight_cash: [u64; crate::state::MAX_CONSTITUENTS],
    pub values: [u64; crate::state::MAX_CONSTITUENTS],
    /// Sleeve plus constituents at NAV; 0 when not priced (an exchange out needs no price).
    pub value: u64,
    pub timestamp: i64,
}

/// The basket paid base tokens from its sleeve for basket tokens.
#[event]
pub struct BasketRedeemed {
    pub basket: Pubkey,
    pub holder: Pubkey,
    pub tokens: u64,
    pub amount: u64,
}

/// What one `rebalance` did: collected from a request, placed one, or deposited.
#[event]
pub struct BasketRebalanced {
    pub basket: Pubkey,
    pub index: u8,
    pub collected: u64,
    pub requested_tokens: u64,
    pub deposited: u64,
}

/// A swap on the basket token's market, priced around the basket's DCF price.
#[event]
pub struct BasketSwapped {
    pub market: Pubkey,
    pub trader: Pubkey,
    /// True when base tokens bought basket tokens.
    pub buy_basket: bool,
    pub amount_in: u64,
    pub amount_out: u64,
    pub fee: u64,
    pub fee_bps: u32,
    /// Market price after the trade and the basket's price, base units per token × 10¹².
    pub price_e12: u64,
    pub basket_price_e12: u64,
    pub deviation_bps: u64,
}

/// The sleeve bought basket tokens on the market below the basket price and burned them.
#[event]
pub struct BasketBoughtBack {
    pub basket: Pubkey,
    pub market: Pubkey,
    /// Base units the sleeve paid and basket tokens burned.
    pub spent: u64,
    pub burned: u64,
    /// Market price after the buy-back, the trigger it may reach at most, and the basket
    /// price before and after (× 10¹²).
    pub price_e12: u64,
    pub trigger_e12: u64,
    pub basket_price_before_e12: u64,
    pub basket_price_after_e12: u64,
    pub supply: u64,
}
