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

    pub fn publish_rates(ctx: Context<PublishRates>, args: PublishRatesArgs) -> Result<()> {
        PublishRates::publish_rates(ctx, args)
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
}
