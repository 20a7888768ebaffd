//! Sluice: tranched pools of SME receivables, priced on chain by a discounted-cash-flow NAV.
//!
//! `lib.rs` only dispatches; each instruction lives in `instructions/` with its accounts,
//! validation, handler and specification.
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;
use state::{AmmParams, BasketParams};

declare_id!("WsgfQRtJfpeEx8HrysctaZZ6H8LfU4NZWkKPXrfAHbC");

#[program]
pub mod sluice {
    use super::*;

    pub fn create_pool(ctx: Context<CreatePool>, args: CreatePoolArgs) -> Result<()> {
        CreatePool::create_pool(ctx, args)
    }

    pub fn add_tranche(ctx: Context<AddTranche>, args: AddTrancheArgs) -> Result<()> {
        AddTranche::add_tranche(ctx, args)
    }

    pub fn set_member(ctx: Context<SetMember>, args: SetMemberArgs) -> Result<()> {
        SetMember::set_member(ctx, args)
    }

    pub fn revoke_member(ctx: Context<RevokeMember>) -> Result<()> {
        RevokeMember::revoke_member(ctx)
    }

    pub fn set_tranche_metadata(
        ctx: Context<SetTrancheMetadata>,
        tranche: u8,
        metadata: TrancheMetadata,
    ) -> Result<()> {
        SetTrancheMetadata::set_tranche_metadata(ctx, tranche, metadata)
    }

    pub fn thaw_holder(ctx: Context<SetHolderAccount>, tranche: u8) -> Result<()> {
        SetHolderAccount::thaw_holder(ctx, tranche)
    }

    pub fn freeze_holder(ctx: Context<SetHolderAccount>, tranche: u8) -> Result<()> {
        SetHolderAccount::freeze_holder(ctx, tranche)
    }

    pub fn publish_rates(ctx: Context<PublishRates>, args: PublishRatesArgs) -> Result<()> {
        PublishRates::publish_rates(ctx, args)
    }

    pub fn propose_publisher(ctx: Context<ProposePublisher>, publisher: Pubkey) -> Result<()> {
        ProposePublisher::propose_publisher(ctx, publisher)
    }

    pub fn accept_publisher(ctx: Context<AcceptPublisher>) -> Result<()> {
        AcceptPublisher::accept_publisher(ctx)
    }

    pub fn remove_publisher(ctx: Context<RemovePublisher>, publisher: Pubkey) -> Result<()> {
        RemovePublisher::remove_publisher(ctx, publisher)
    }

    pub fn add_receivable(ctx: Context<AddReceivable>, args: AddReceivableArgs) -> Result<()> {
        AddReceivable::add_receivable(ctx, args)
    }

    pub fn record_repayment(ctx: Context<RecordRepayment>, args: RecordRepaymentArgs) -> Result<()> {
        RecordRepayment::record_repayment(ctx, args)
    }

    pub fn write_down(ctx: Context<WriteDown>, args: WriteDownArgs) -> Result<()> {
        WriteDown::write_down(ctx, args)
    }

    pub fn write_down_overdue(ctx: Context<WriteDownOverdue>) -> Result<()> {
        WriteDownOverdue::write_down_overdue(ctx)
    }

    pub fn reprice(ctx: Context<Reprice>) -> Result<()> {
        Reprice::reprice(ctx)
    }

    pub fn deposit(ctx: Context<Deposit>, args: DepositArgs) -> Result<()> {
        Deposit::deposit(ctx, args)
    }

    pub fn update_params(ctx: Context<UpdateParams>, args: UpdateParamsArgs) -> Result<()> {
        UpdateParams::update_params(ctx, args)
    }

    pub fn propose_authority(ctx: Context<ProposeAuthority>, args: ProposeAuthorityArgs) -> Result<()> {
        ProposeAuthority::propose_authority(ctx, args)
    }

    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        AcceptAuthority::accept_authority(ctx)
    }

    pub fn pause(ctx: Context<SetPaused>) -> Result<()> {
        SetPaused::set_paused(ctx, true)
    }

    pub fn unpause(ctx: Context<SetPaused>) -> Result<()> {
        SetPaused::set_paused(ctx, false)
    }

    pub fn init_redemption(ctx: Context<InitRedemption>, tranche: u8) -> Result<()> {
        InitRedemption::init_redemption(ctx, tranche)
    }

    pub fn request_redemption(ctx: Context<RequestRedemption>, tranche: u8, tokens: u64) -> Result<()> {
        RequestRedemption::request_redemption(ctx, tranche, tokens)
    }

    pub fn cancel_redemption(ctx: Context<RequestRedemption>, tranche: u8, id: u64) -> Result<()> {
        RequestRedemption::cancel_redemption(ctx, tranche, id)
    }

    pub fn redeem_instant(ctx: Context<RedeemInstant>, args: RedeemInstantArgs) -> Result<()> {
        RedeemInstant::redeem_instant(ctx, args)
    }

    pub fn process_batch(ctx: Context<ProcessBatch>, tranche: u8, max_requests: u16) -> Result<()> {
        ProcessBatch::process_batch(ctx, tranche, max_requests)
    }

    pub fn claim(ctx: Context<Claim>, tranche: u8, id: u64) -> Result<()> {
        Claim::claim(ctx, tranche, id)
    }

    pub fn push_claims<'info>(ctx: Context<'info, Claim<'info>>, tranche: u8, ids: Vec<u64>) -> Result<()> {
        Claim::push_claims(ctx, tranche, ids)
    }

    pub fn park_claim(ctx: Context<ParkClaim>, tranche: u8, id: u64) -> Result<()> {
        ParkClaim::park_claim(ctx, tranche, id)
    }

    pub fn claim_parked(ctx: Context<ClaimParked>, tranche: u8, id: u64) -> Result<()> {
        ClaimParked::claim_parked(ctx, tranche, id)
    }

    pub fn init_reserve(ctx: Context<InitReserve>) -> Result<()> {
        InitReserve::init_reserve(ctx)
    }

    pub fn fund_reserve(ctx: Context<MoveReserve>, amount: u64) -> Result<()> {
        MoveReserve::fund_reserve(ctx, amount)
    }

    pub fn withdraw_reserve(ctx: Context<MoveReserve>, amount: u64) -> Result<()> {
        MoveReserve::withdraw_reserve(ctx, amount)
    }

    pub fn recycle_reserve(ctx: Context<RecycleReserve>, tranche: u8) -> Result<()> {
        RecycleReserve::recycle_reserve(ctx, tranche)
    }

    pub fn create_amm(ctx: Context<CreateAmm>, tranche: u8, params: AmmParams) -> Result<()> {
        CreateAmm::create_amm(ctx, tranche, params)
    }

    pub fn add_liquidity(ctx: Context<Trade>, lp: u64, max_tranche: u64, max_base: u64) -> Result<()> {
        Trade::add_liquidity(ctx, lp, max_tranche, max_base)
    }

    pub fn remove_liquidity(ctx: Context<Trade>, lp: u64, min_tranche: u64, min_base: u64) -> Result<()> {
        Trade::remove_liquidity(ctx, lp, min_tranche, min_base)
    }

    pub fn swap(ctx: Context<Trade>, args: SwapArgs) -> Result<()> {
        Trade::swap(ctx, args)
    }

    pub fn reserve_buyback(ctx: Context<MarketReserve>) -> Result<()> {
        MarketReserve::reserve_buyback(ctx)
    }

    pub fn sweep_market_fees(ctx: Context<MarketReserve>) -> Result<()> {
        MarketReserve::sweep_market_fees(ctx)
    }

    pub fn update_stage<'info>(ctx: Context<'info, UpdateStage<'info>>) -> Result<()> {
        UpdateStage::update_stage(ctx)
    }

    pub fn create_basket(ctx: Context<CreateBasket>, args: CreateBasketArgs) -> Result<()> {
        CreateBasket::create_basket(ctx, args)
    }

    pub fn add_constituent(ctx: Context<AddConstituent>, tranche: u8, args: ConstituentArgs) -> Result<()> {
        AddConstituent::add_constituent(ctx, tranche, args)
    }

    pub fn update_constituent(ctx: Context<UpdateConstituent>, index: u8, args: ConstituentArgs) -> Result<()> {
        UpdateConstituent::update_constituent(ctx, index, args)
    }

    pub fn set_basket_paused(ctx: Context<SetBasketPaused>, paused: bool) -> Result<()> {
        SetBasketPaused::set_basket_paused(ctx, paused)
    }

    pub fn exchange_in(ctx: Context<ExchangeIn>, args: ExchangeInArgs) -> Result<()> {
        ExchangeIn::exchange_in(ctx, args)
    }

    pub fn exchange_out<'info>(ctx: Context<'info, BasketExit<'info>>, args: ExchangeOutArgs) -> Result<()> {
        BasketExit::exchange_out(ctx, args)
    }

    pub fn redeem_basket<'info>(ctx: Context<'info, BasketExit<'info>>, args: RedeemBasketArgs) -> Result<()> {
        BasketExit::redeem_basket(ctx, args)
    }

    pub fn rebalance<'info>(ctx: Context<'info, Rebalance<'info>>, index: u8, collect_only: bool) -> Result<()> {
        Rebalance::rebalance(ctx, index, collect_only)
    }

    pub fn set_basket_params(ctx: Context<SetBasketParams>, params: BasketParams) -> Result<()> {
        SetBasketParams::set_basket_params(ctx, params)
    }

    pub fn propose_basket_authority(ctx: Context<ProposeBasketAuthority>, new_authority: Pubkey) -> Result<()> {
        ProposeBasketAuthority::propose_basket_authority(ctx, new_authority)
    }

    pub fn accept_basket_authority(ctx: Context<AcceptBasketAuthority>) -> Result<()> {
        AcceptBasketAuthority::accept_basket_authority(ctx)
    }

    pub fn create_basket_market(ctx: Context<CreateBasketMarket>, params: state::BasketMarketParams) -> Result<()> {
        CreateBasketMarket::create_basket_market(ctx, params)
    }

    pub fn add_basket_liquidity(ctx: Context<BasketTrade>, lp: u64, max_tokens: u64, max_base: u64) -> Result<()> {
        BasketTrade::add_basket_liquidity(ctx, lp, max_tokens, max_base)
    }

    pub fn remove_basket_liquidity(ctx: Context<BasketTrade>, lp: u64, min_tokens: u64, min_base: u64) -> Result<()> {
        BasketTrade::remove_basket_liquidity(ctx, lp, min_tokens, min_base)
    }

    pub fn swap_basket<'info>(ctx: Context<'info, BasketTrade<'info>>, args: BasketSwapArgs) -> Result<()> {
        BasketTrade::swap_basket(ctx, args)
    }

    pub fn basket_buyback<'info>(ctx: Context<'info, BasketBuyback<'info>>, max_base: u64) -> Result<()> {
        BasketBuyback::basket_buyback(ctx, max_base)
    }

    pub fn force_crisis(ctx: Context<ForceCrisis>) -> Result<()> {
        ForceCrisis::force_crisis(ctx)
    }
}
