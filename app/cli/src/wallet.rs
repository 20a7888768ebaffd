//! Wallet, issuer and servicer commands over JSON-RPC.
//!
//! Wallet and cluster come from the Solana CLI config unless `--url` / `--keypair` /
//! `--config` say otherwise; the wallet signs and pays. Every command prints a table for
//! people or, with `--json`, one JSON object for scripts. Amounts are whole tokens with the
//! mint's decimals, converted exactly; slippage bounds round against the caller.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::error::SluiceError;
use sluice::instructions::{
    AddReceivableArgs, DepositArgs, PublishRatesArgs, RedeemInstantArgs, SwapArgs, TrancheMetadata,
};
use sluice::math::allocation::value_of;
use sluice::math::dcf::ClassRates;
use sluice::math::time::MAX_RISK_CLASSES;
use sluice::state::{Pool, QUEUE_CAPACITY};
use sluice_sdk::chain::{Chain, ChainError, DevChain};
use sluice_sdk::config::{read_keypair, write_keypair, SolanaCliConfig};
use sluice_sdk::ix::{self, AmmKeys, PoolKeys, QueueKeys, Trader};
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::units::{format_amount, format_price, parse_amount, parse_date};
use sluice_sdk::{client, pda, preview};

/// What a failed command tells its user to do next, by program error.
pub(crate) fn hint(name: &str) -> &'static str {
    match name {
        "NavStale" => "run `sluice reprice <POOL>` (or wait for a keeper), then retry",
        "OracleStale" | "OracleNotPublished" => "the rate oracle must publish fresh rates first",
        "NotMember" => "ask the issuer to admit this wallet (`sluice admit`)",
        "MembershipExpired" => "ask the issuer to renew this wallet's membership",
        "PoolPaused" => "the guardian paused the pool; wait for it to be unpaused",
        "SlippageExceeded" | "PayoutBelowMinimum" => "prices moved; retry or raise --slippage-bps",
        "InstantTooLarge" | "InstantCapReached" | "CashFloorReached" => "queue it: add --queue",
        "WrongStage" => "instant exits are closed in this stage; queue the redemption (--queue)",
        "JuniorNotFunded" => "the junior tranche must take deposits first",
        "SubordinationBreached" => "a smaller amount, or a more junior tranche, keeps the cushion",
        "PoolCapExceeded" => "the pool is full; deposit less",
        "NothingToClaim" => "nothing is owed yet; batches pay queued requests over time",
        "NotAuthority" => "sign with the pool authority's keypair (--keypair)",
        "NotPublisher" => "sign with an oracle publisher's keypair (--keypair)",
        "DeadlinePassed" => "the cluster clock passed the deadline; retry",
        "EmptyAmm" => "the market has no liquidity yet",
        "NothingToProcess" => "nothing is due now (a buy-back: the market is at or above its trigger)",
        "BelowMinimumRequest" => "queue at least the pool's minimum, or the whole balance",
        "CancelLocked" => "a request can be cancelled once it has waited one batch interval; retry later",
        "TrancheImpaired" => "the tranche carries a loss and takes no deposits until it recovers",
        "UnownedValue" => "the tranche's residual goes to the buy-back reserve, which the issuer must set up first",
        "BasketPaused" => "the basket's guardian paused it; wait for it to be unpaused",
        "ConstituentDisabled" => "the basket takes no more of this tranche; exchange in another constituent",
        "ConcentrationCapExceeded" => {
            "the constituent would pass its share cap: exchange in less, or another constituent"
        }
        "InFlightShortfall" => "exchange fewer, or wait for `sluice basket rebalance` to collect",
        "RedeemWindowExceeded" => "the sleeve's daily cap is spent: exchange out in kind or wait",
        "SleeveBelowFloor" => {
            "the sleeve is near its floor: redeem less, exchange out in kind, or wait for a rebalance to refill it"
        }
        "NothingToRebalance" => "the basket is within its band; nothing to collect, request or deposit",
        "WrongConstituent" => "run `sluice basket rebalance <BASKET>`, which acts on the constituent the rule picks",
        "BasketWorthless" => {
            "the basket holds no value for its tokens; nothing can be exchanged or redeemed at a price"
        }
        "WrongTokenProgram" => {
            "base tokens move under the base mint's program, tranche and basket tokens under Token-2022; \
             update the client"
        }
        "BaseMintTransferFee"
        | "BaseMintTransferHook"
        | "BaseMintConfidential"
        | "BaseMintNonTransferable"
        | "BaseMintPermanentDelegate"
        | "BaseMintDefaultFrozen" => "choose a base stablecoin without that Token-2022 extension",
        "InvalidMetadata" => "give a name of 1 to 64 bytes, a symbol of 1 to 16 and a URI of at most 200",
        "PermissionedFixed" => "whether a pool is permissioned is fixed once it has tranches; keep it as it is",
        "NotPermissioned" => "tranche tokens of a permissionless pool are never frozen: nothing to thaw or freeze",
        "HolderNotFrozen" => "the account is not frozen: nothing to thaw",
        "HolderAlreadyFrozen" => "the account is frozen already",
        "HolderStillMember" => "the owner is a live member; revoke the membership or let it expire first",
        "PoolAccountNotFreezable" => "the pool's own accounts (escrows, market vaults) are never frozen",
        "TrancheAccountFrozen" => {
            "a live member thaws its account with `sluice thaw <POOL>`; a lapsed one asks the issuer to admit it again"
        }
        _ => "",
    }
}

/// Options every wallet command takes, before or after its arguments.
#[derive(Args, Clone, Debug)]
pub struct Global {
    /// JSON-RPC URL of the cluster [default: the Solana CLI config's]
    #[arg(long, short = 'u', global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Keypair file of the wallet that signs and pays [default: the Solana CLI config's]
    #[arg(long, short = 'k', global = true, value_name = "PATH")]
    pub keypair: Option<PathBuf>,
    /// Solana CLI config file [default: ~/.config/solana/cli/config.yml]
    #[arg(long, short = 'C', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print one JSON object (errors too, as {"error":{...}}) instead of a table
    #[arg(long, global = true)]
    pub json: bool,
    /// How far the result may fall short of the preview, in basis points
    #[arg(long, global = true, value_name = "BPS", default_value_t = 50)]
    pub slippage_bps: u64,
}

/// The wallet, issuer, servicer, basket and key commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Pools on the cluster: stage, NAV, tranche prices
    Pools(Only),
    /// Holdings, their value, queued requests, claims
    Position(Position),
    /// Base tokens in, tranche tokens out
    Deposit(Deposit),
    /// Tranche tokens back: instant when small enough in Normal, else queued
    Redeem(Redeem),
    /// Leave by the best of the pool's doors: instant, market, then the queue
    ///
    /// The instant door as far as it takes the tokens (NAV less the instant fee); then the
    /// market while the last token sold still brings the NAV price less --max-discount-bps
    /// after fees; the rest queued for the batches. --dry-run shows the split and sends nothing.
    Exit(Exit),
    /// Returns a queued request's unredeemed tokens
    Cancel(Cancel),
    /// Collects every payout owed to the wallet
    Claim(PoolOnly),
    /// Market trade (AMOUNT is what you pay in)
    Swap(Swap),
    /// Adds base and tranche tokens to a tranche's market for LP tokens
    AddLiquidity(AddLiquidity),
    /// Returns LP tokens for the market's base and tranche tokens
    RemoveLiquidity(RemoveLiquidity),
    /// Recompute NAV (anyone may)
    Reprice(PoolOnly),
    /// Issuer: admit a wallet to a permissioned pool (and thaw its frozen tranche accounts)
    Admit(Admit),
    /// Issuer: set a tranche token's name, symbol and URI (what wallets show)
    SetMetadata(SetMetadata),
    /// Thaw the wallet's tranche token accounts in a permissioned pool (members only)
    ///
    /// A permissioned pool's tranche token accounts start frozen; anyone may thaw one whose
    /// owner is a live member. Without TRANCHE, every frozen account of the owner in the pool
    /// (for a basket, its vaults too); with it, that tranche's account, opened if missing.
    Thaw(Thaw),
    /// Issuer: fund a new receivable
    AddReceivable(AddReceivable),
    /// Servicer: record a repayment of a receivable
    Repay(Repay),
    /// Servicer: write a receivable down to its expected recovery
    WriteDown(WriteDown),
    /// Oracle publisher: publish the market rate and the four risk classes' rates
    PublishRates(PublishRates),
    /// Issuer: pay base tokens into the buy-back reserve
    FundReserve(FundReserve),
    /// Send the pool's base tokens to a wallet (opening its account if needed)
    ///
    /// How an investor on a local cluster gets base tokens to deposit: the issuer, who holds
    /// them after `sluice localnet --seed`, sends some.
    Transfer(Transfer),
    /// Value-anchored baskets of tranche tokens (docs/basket.md)
    Basket(crate::basket::Basket),
    /// The wallet's address
    Address(Only),
    /// SOL to the wallet from the cluster's faucet (local clusters)
    Airdrop(Airdrop),
    /// Writes a new keypair file
    Keygen(Keygen),
}

impl Command {
    pub fn global(&self) -> &Global {
        use Command::*;
        match self {
            Pools(a) | Address(a) => &a.global,
            Position(a) => &a.global,
            Deposit(a) => &a.global,
            Redeem(a) => &a.global,
            Exit(a) => &a.global,
            Cancel(a) => &a.global,
            Claim(a) | Reprice(a) => &a.global,
            Swap(a) => &a.global,
            AddLiquidity(a) => &a.global,
            RemoveLiquidity(a) => &a.global,
            Admit(a) => &a.global,
            SetMetadata(a) => &a.global,
            Thaw(a) => &a.global,
            AddReceivable(a) => &a.global,
            Repay(a) => &a.global,
            WriteDown(a) => &a.global,
            PublishRates(a) => &a.global,
            FundReserve(a) => &a.global,
            Transfer(a) => &a.global,
            Basket(a) => &a.global,
            Airdrop(a) => &a.global,
            Keygen(a) => &a.global,
        }
    }
}

#[derive(Args, Debug)]
pub struct Only {
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct PoolOnly {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Position {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Whose position [default: the wallet]
    #[arg(long, value_name = "WALLET")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Deposit {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Base tokens to deposit (whole tokens, up to the mint's decimals)
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Redeem {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Tranche tokens to redeem, or all
    #[arg(value_name = "TOKENS|all")]
    pub tokens: String,
    /// Redeem at once (NAV less the instant fee), even above the usual threshold
    #[arg(long, conflicts_with = "queue")]
    pub instant: bool,
    /// Queue the request for the batches, even when it could be paid at once
    #[arg(long)]
    pub queue: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Exit {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Tranche tokens to leave with, or all
    #[arg(value_name = "TOKENS|all")]
    pub tokens: String,
    /// The most under the NAV price the last token sold on the market may bring, after fees
    #[arg(long, value_name = "BPS", default_value_t = 100, value_parser = clap::value_parser!(u16).range(0..=5_000))]
    pub max_discount_bps: u16,
    /// Show the split and send nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Cancel {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// The queued request's id (as `redeem` and `position` print it)
    #[arg(value_name = "REQUEST-ID")]
    pub id: u64,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Swap {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// buy tranche tokens with base tokens, or sell them for base tokens
    #[arg(value_name = "buy|sell", value_parser = ["buy", "sell"])]
    pub side: String,
    /// What you pay in: base tokens to buy, tranche tokens to sell
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct AddLiquidity {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// Base tokens to add (tranche tokens go in at the market's ratio)
    #[arg(value_name = "BASE-AMOUNT")]
    pub base_amount: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct RemoveLiquidity {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// LP units to return, or all
    #[arg(value_name = "LP|all")]
    pub lp: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Admit {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// The wallet (or program account, such as a basket) to admit
    #[arg(value_name = "WALLET")]
    pub wallet: String,
    /// Membership expiry, YYYY-MM-DD (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct SetMetadata {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior
    #[arg(value_name = "TRANCHE")]
    pub tranche: String,
    /// The token's name, 1 to 64 bytes [default: unchanged]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The token's symbol, 1 to 16 bytes [default: unchanged]
    #[arg(long, value_name = "SYMBOL")]
    pub symbol: Option<String>,
    /// Off-chain JSON (image, description), at most 200 bytes; "" for none [default: unchanged]
    #[arg(long, value_name = "URI")]
    pub uri: Option<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Thaw {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Tranche index, or senior / mezzanine / junior [default: every frozen account]
    #[arg(value_name = "TRANCHE")]
    pub tranche: Option<String>,
    /// Whose accounts (a member: a wallet, or a basket) [default: the wallet]
    #[arg(long, value_name = "WALLET")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct AddReceivable {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Face value (base tokens)
    #[arg(long, value_name = "F")]
    pub face: String,
    /// Amount advanced to the borrower (base tokens)
    #[arg(long, value_name = "X")]
    pub funded: String,
    /// Due date, YYYY-MM-DD (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub due: String,
    /// Risk class, 0 to 3
    #[arg(long, value_name = "K")]
    pub class: String,
    /// Reference of the underlying document (its hash goes on chain)
    #[arg(long, value_name = "REF")]
    pub document: String,
    /// Who receives the funded amount [default: the wallet]
    #[arg(long, value_name = "WALLET")]
    pub pay_to: Option<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Repay {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// The receivable's index
    #[arg(value_name = "INDEX")]
    pub index: u64,
    /// Base tokens repaid (from the wallet's account)
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct WriteDown {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// The receivable's index
    #[arg(value_name = "INDEX")]
    pub index: u64,
    /// What the servicer still expects to recover (base tokens)
    #[arg(value_name = "EXPECTED-RECOVERY")]
    pub recovery: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct PublishRates {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Market discount rate, in basis points
    #[arg(long, value_name = "M")]
    pub market_bps: u32,
    /// A risk class's default probability and recovery in bps, PD:REC; four times, classes 0..3 in order
    #[arg(long, value_name = "PD:REC")]
    pub class: Vec<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct FundReserve {
    /// The pool's address
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Base tokens to pay in
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Transfer {
    /// The pool whose base token to send
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// Base tokens to send (whole tokens, up to the mint's decimals)
    #[arg(value_name = "AMOUNT")]
    pub amount: String,
    /// The receiving wallet's address
    #[arg(value_name = "TO")]
    pub to: String,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug)]
pub struct Airdrop {
    /// SOL to request (above 0, at most 1,000,000)
    #[arg(value_name = "SOL", value_parser = sol_amount, allow_negative_numbers = true)]
    pub sol: f64,
    #[command(flatten)]
    pub global: Global,
}

/// An airdrop's size: a number of SOL above 0 and within what a local faucet gives at once.
fn sol_amount(s: &str) -> Result<f64, String> {
    let sol: f64 = s.parse().map_err(|_| format!("not a number of SOL: {s}"))?;
    if sol.is_finite() && sol > 0.0 && sol <= 1_000_000.0 {
        Ok(sol)
    } else {
        Err(format!("{s} SOL: an airdrop is above 0 and at most 1,000,000 SOL"))
    }
}

#[derive(Args, Debug)]
pub struct Keygen {
    /// Where to write it [default: the config's keypair path]
    #[arg(long, value_name = "PATH")]
    pub outfile: Option<PathBuf>,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub global: Global,
}

/// A failed command: what went wrong, what to do, and the exit code.
pub struct Failure {
    pub message: String,
    pub name: Option<String>,
    pub code: Option<u32>,
    pub hint: String,
    pub exit: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), name: None, code: None, hint: String::new(), exit: 2 }
    }
    pub(crate) fn other(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), name: None, code: None, hint: String::new(), exit: 1 }
    }
    pub fn json(&self) -> Value {
        json!({ "error": { "message": self.message, "name": self.name, "code": self.code, "hint": self.hint } })
    }
}

/// A refusal the program's own planning (run client-side) predicts, named as the chain would.
pub(crate) fn refused(e: anchor_lang::error::Error) -> Failure {
    let code = match &e {
        anchor_lang::error::Error::AnchorError(a) => Some(a.error_code_number),
        anchor_lang::error::Error::ProgramError(_) => None,
    };
    match code.and_then(sluice_sdk::errors::lookup) {
        Some(n) => Failure {
            message: format!("Sluice refused: {} ({}): {}", n.name, n.code, n.msg),
            name: Some(n.name.to_string()),
            code: Some(n.code),
            hint: hint(&n.name).to_string(),
            exit: 1,
        },
        None => Failure::other(e.to_string()),
    }
}

impl From<ChainError> for Failure {
    fn from(e: ChainError) -> Self {
        let named = e.sluice_code().and_then(sluice_sdk::errors::lookup);
        match named {
            Some(n) => Failure {
                message: format!("Sluice refused: {} ({}): {}", n.name, n.code, n.msg),
                name: Some(n.name.to_string()),
                code: Some(n.code),
                hint: hint(&n.name).to_string(),
                exit: 1,
            },
            None => match e.program_code().and_then(framework_failure) {
                Some(named) => named,
                None => {
                    let hint = match &e {
                        ChainError::Transport(_) => {
                            "is the cluster reachable? check --url (a local node: `sluice localnet`)"
                        }
                        ChainError::Transaction(m) if m.contains("debit an account") || m.contains("insufficient") => {
                            "the wallet needs SOL for fees: `sluice airdrop 1` on a local cluster"
                        }
                        _ => "",
                    };
                    Failure { message: e.to_string(), name: None, code: None, hint: hint.into(), exit: 1 }
                }
            },
        }
    }
}

/// A custom error code raised by Anchor's account checks or by a token program, named with
/// what to do (Sluice's own codes are named from the IDL before this is asked).
fn framework_failure(code: u32) -> Option<Failure> {
    let (source, (name, msg), hint) = match sluice_sdk::errors::name_and_message(code) {
        Some(n) => ("refused by Anchor's account checks", n, anchor_hint(n.0)),
        None => {
            let n = sluice_sdk::errors::token_error(code)?;
            ("the token program refused", n, token_hint(n.0))
        }
    };
    Some(Failure {
        message: format!("{source}: {name} ({code}): {msg}"),
        name: Some(name.to_string()),
        code: Some(code),
        hint: hint.into(),
        exit: 1,
    })
}

/// What to do about one of Anchor's account checks.
fn anchor_hint(name: &str) -> &'static str {
    match name {
        "AccountNotInitialized" => {
            "an account the instruction needs does not exist yet: a token account the wallet never opened, \
             a receivable index the pool does not have, or a queue the issuer has not set up"
        }
        "ConstraintSeeds" | "ConstraintHasOne" | "ConstraintAddress" | "AccountOwnedByWrongProgram" => {
            "an account given does not belong to this pool or program; check the addresses"
        }
        "AccountNotEnoughKeys" => "the transaction lists too few accounts; update the client",
        "InstructionFallbackNotFound" | "InstructionDidNotDeserialize" => {
            "the program does not know this instruction; the client and the deployed program differ"
        }
        _ => "",
    }
}

/// What to do about a token program's refusal.
fn token_hint(name: &str) -> &'static str {
    match name {
        "InsufficientFunds" => {
            "the account holds fewer tokens than that: check `sluice position <POOL>` \
             (base tokens on a local cluster: `sluice transfer` from the issuer)"
        }
        "AccountFrozen" => {
            "a tranche token account is frozen: its owner must be a live member of the pool \
             (thaw it with `sluice thaw <POOL>`)"
        }
        "OwnerMismatch" => "the token account belongs to another wallet; sign with its owner (--keypair)",
        "MintMismatch" => "the token account holds another token than the instruction moves",
        "UninitializedState" => "a token account does not exist yet; open it first",
        _ => "",
    }
}

pub(crate) type Outcome = Result<(Value, String), Failure>;

/// The signatures of what a command sent, in its JSON (`signatures`) and after its text, with
/// an explorer link on a public cluster.
fn with_signatures(mut json: Value, mut text: String, sent: &[String], url: &str) -> (Value, String) {
    if sent.is_empty() {
        return (json, text);
    }
    if let Value::Object(o) = &mut json {
        o.insert("signatures".into(), json!(sent));
    }
    let cluster = [("devnet", "?cluster=devnet"), ("testnet", "?cluster=testnet"), ("mainnet", "")]
        .into_iter()
        .find(|(name, _)| url.contains(name))
        .map(|(_, query)| query);
    for signature in sent {
        text.push_str(&match cluster {
            Some(query) => format!("\nsignature {signature}  https://explorer.solana.com/tx/{signature}{query}"),
            None => format!("\nsignature {signature}"),
        });
    }
    (json, text)
}

pub(crate) struct Ctx {
    pub chain: RpcChain,
    pub wallet: Keypair,
    pub slippage_bps: u64,
}

pub(crate) struct Loaded {
    pub pool: Pool,
    pub keys: PoolKeys,
    pub decimals: u8,
}

pub(crate) fn pubkey(s: &str, what: &str) -> Result<Pubkey, Failure> {
    s.parse().map_err(|_| Failure::usage(format!("<{what}>: not an address: {s}")))
}

pub(crate) fn amount(s: &str, decimals: u8, what: &str) -> Result<u64, Failure> {
    parse_amount(s, decimals).map_err(|e| Failure::usage(format!("<{what}>: {e}")))
}

pub(crate) fn tranche_arg(s: &str, pool: &Pool) -> Result<u8, Failure> {
    let names = ["senior", "mezzanine", "junior"];
    let t = match s.parse::<u8>() {
        Ok(t) => t,
        // Names follow the usual layout: senior first, junior last.
        Err(_) if s == "junior" => pool.tranche_count.saturating_sub(1),
        Err(_) => {
            names.iter().position(|n| *n == s).map(|p| p as u8).ok_or(Failure::usage(format!("<TRANCHE>: {s}?")))?
        }
    };
    if t >= pool.tranche_count {
        return Err(Failure::usage(format!("the pool has {} tranche(s); no tranche {t}", pool.tranche_count)));
    }
    Ok(t)
}

/// Lower bound after slippage, rounded down (against the caller).
pub(crate) fn at_least(expected: u64, slippage_bps: u64) -> u64 {
    (expected as u128 * (10_000 - slippage_bps.min(10_000)) as u128 / 10_000) as u64
}

/// Upper bound after slippage, rounded up (against the caller).
fn at_most(expected: u64, slippage_bps: u64) -> u64 {
    (expected as u128 * (10_000 + slippage_bps) as u128).div_ceil(10_000) as u64
}

impl Loaded {
    /// `owner`'s associated base-token account (under the base mint's program).
    pub fn base_account(&self, owner: &Pubkey) -> Pubkey {
        ix::token::associated(&self.keys.base_token_program, owner, &self.keys.base_mint)
    }

    /// Creates `owner`'s associated base-token account unless it exists.
    pub fn create_base_account(&self, payer: &Pubkey, owner: &Pubkey) -> Instruction {
        ix::token::create_associated(&self.keys.base_token_program, payer, owner, &self.keys.base_mint)
    }
}

/// `owner`'s associated account of a Token-2022 mint (tranche, basket and LP tokens).
pub(crate) fn token_2022_account(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    ix::token::associated(&ix::TOKEN_2022, owner, mint)
}

impl Ctx {
    pub fn me(&self) -> Pubkey {
        self.wallet.pubkey()
    }

    /// The wallet's account of tranche `tranche`, and what opens it (if missing) and thaws it
    /// (in a permissioned pool, for a live member) before it receives or sends tokens.
    pub async fn tranche_account(&mut self, pool: &Pool, tranche: u8) -> Result<(Pubkey, Vec<Instruction>), Failure> {
        let me = self.me();
        Ok(client::tranche_account(&mut self.chain, &me, pool, tranche, &me).await?)
    }

    pub async fn load(&mut self, address: &str) -> Result<Loaded, Failure> {
        let address = pubkey(address, "POOL")?;
        let pool = client::try_pool(&mut self.chain, &address)
            .await?
            .ok_or_else(|| Failure::other(format!("no Sluice pool at {address}")))?;
        let keys = PoolKeys::of(&pool);
        let decimals = client::mint_decimals(&mut self.chain, &pool.base_mint).await?;
        Ok(Loaded { pool, keys, decimals })
    }

    pub async fn send(&mut self, ixs: &[Instruction]) -> Result<(), Failure> {
        let wallet = self.wallet.insecure_clone();
        Ok(self.chain.send(ixs, &[&wallet]).await?)
    }

    /// `reprice` first when the stored NAV is too old for the command.
    async fn fresh_nav(&mut self, l: &Loaded) -> Result<Vec<Instruction>, Failure> {
        let now = self.chain.now().await?;
        Ok(if l.pool.nav_is_fresh(now) { vec![] } else { vec![ix::reprice(&l.keys)] })
    }

    /// The wallet's base-token account, checked before sending to hold at least `amount`:
    /// a missing account or a short balance is named here, not as a token program error.
    pub async fn spendable_base(&mut self, l: &Loaded, amount: u64) -> Result<Pubkey, Failure> {
        let me = self.me();
        let account = l.base_account(&me);
        let hint = "get base tokens first: on a local cluster the issuer sends them with `sluice transfer <POOL> <AMOUNT> <TO>`";
        if !client::exists(&mut self.chain, &account).await? {
            return Err(Failure {
                hint: hint.into(),
                ..Failure::other(format!(
                    "the wallet {me} has no account of the pool's base token ({})",
                    l.keys.base_mint
                ))
            });
        }
        let held = self.balance(&account).await?;
        if held < amount {
            return Err(Failure {
                hint: hint.into(),
                ..Failure::other(format!(
                    "the wallet holds {} base tokens, fewer than {}",
                    format_amount(held, l.decimals),
                    format_amount(amount, l.decimals)
                ))
            });
        }
        Ok(account)
    }

    pub async fn balance(&mut self, account: &Pubkey) -> Result<u64, Failure> {
        Ok(client::balance_or_zero(&mut self.chain, account).await?)
    }
}

pub async fn run(command: &Command) -> Outcome {
    let g = command.global();
    let config = SolanaCliConfig::load(g.config.as_deref()).map_err(|e| Failure::usage(e.to_string()))?;
    let keypair_path = config.keypair_path(g.keypair.as_deref());
    if let Command::Keygen(k) = command {
        return keygen(k, keypair_path);
    }
    let wallet = read_keypair(&keypair_path)
        .map_err(|e| Failure { hint: "create one with `sluice keygen`".into(), ..Failure::usage(e.to_string()) })?;
    let url = config.url(g.url.as_deref());
    let mut ctx = Ctx { chain: RpcChain::new(&url, wallet.insecure_clone()), wallet, slippage_bps: g.slippage_bps };
    let outcome: Outcome = async {
    match command {
        Command::Address(_) => {
            let me = ctx.me();
            Ok((json!({ "address": me.to_string() }), me.to_string()))
        }
        Command::Airdrop(a) => {
            let sol = a.sol;
            let lamports = (sol * 1e9) as u64;
            let me = ctx.me();
            ctx.chain.airdrop(&me, lamports).await?;
            let balance = ctx.chain.client().get_balance(&me).await.map_err(|e| Failure::other(e.to_string()))?;
            Ok((
                json!({ "address": me.to_string(), "lamports": lamports, "balance": balance }),
                format!("{sol} SOL to {me}; balance {} SOL", balance as f64 / 1e9),
            ))
        }
        Command::Pools(_) => pools(&mut ctx).await,
        Command::Position(a) => position(&mut ctx, a).await,
        Command::Deposit(a) => deposit(&mut ctx, a).await,
        Command::Redeem(a) => redeem(&mut ctx, a).await,
        Command::Exit(a) => exit(&mut ctx, a).await,
        Command::Cancel(a) => cancel(&mut ctx, a).await,
        Command::Claim(a) => claim(&mut ctx, a).await,
        Command::Swap(a) => swap(&mut ctx, a).await,
        Command::AddLiquidity(a) => liquidity(&mut ctx, &a.pool, &a.tranche, Liquidity::Add(&a.base_amount)).await,
        Command::RemoveLiquidity(a) => liquidity(&mut ctx, &a.pool, &a.tranche, Liquidity::Remove(&a.lp)).await,
        Command::Basket(b) => crate::basket::run(&mut ctx, &b.command).await,
        Command::Reprice(a) => {
            let l = ctx.load(&a.pool).await?;
            ctx.send(&[ix::reprice(&l.keys)]).await?;
            let pool = client::pool(&mut ctx.chain, &l.keys.pool).await?;
            Ok((
                json!({ "pool": l.keys.pool.to_string(), "nav": pool.nav }),
                format!("NAV {}", format_amount(pool.nav, l.decimals)),
            ))
        }
        Command::Admit(a) => {
            let l = ctx.load(&a.pool).await?;
            let who = pubkey(&a.wallet, "WALLET")?;
            let expires = parse_date(&a.expires).map_err(|e| Failure::usage(format!("--expires: {e}")))?;
            let me = ctx.me();
            // A renewed member's frozen accounts (a lapsed membership the keepers froze, or a
            // basket's vaults made before its admission) are thawed in the same transaction.
            let now = ctx.chain.now().await?;
            let frozen = if l.pool.params.permissioned && expires > now {
                client::frozen_tranche_accounts(&mut ctx.chain, &l.pool, &who).await?
            } else {
                vec![]
            };
            let mut ixs = vec![ix::set_member(&me, &l.keys.pool, &who, expires)];
            ixs.extend(frozen.iter().map(|(t, account)| ix::thaw_holder(&me, &l.keys.pool, *t, account, &who)));
            ctx.send(&ixs).await?;
            let thawed: Vec<String> = frozen.iter().map(|(_, a)| a.to_string()).collect();
            Ok((
                json!({ "pool": l.keys.pool.to_string(), "wallet": who.to_string(), "member": pda::member(&l.keys.pool, &who).to_string(), "expires_at": expires, "thawed": thawed }),
                format!(
                    "{who} admitted until {}{}",
                    a.expires,
                    if thawed.is_empty() {
                        String::new()
                    } else {
                        format!("; {} frozen account(s) thawed", thawed.len())
                    }
                ),
            ))
        }
        Command::SetMetadata(a) => set_metadata(&mut ctx, a).await,
        Command::Thaw(a) => thaw(&mut ctx, a).await,
        Command::AddReceivable(a) => add_receivable(&mut ctx, a).await,
        Command::Repay(a) => {
            let l = ctx.load(&a.pool).await?;
            let index = a.index;
            let amt = amount(&a.amount, l.decimals, "AMOUNT")?;
            let me = ctx.me();
            if index >= l.pool.receivable_count {
                return Err(Failure::usage(format!(
                    "receivable {index} is not in this pool: it has receivables 0 to {} ({} in all)",
                    l.pool.receivable_count.saturating_sub(1),
                    l.pool.receivable_count
                )));
            }
            let source = ctx.spendable_base(&l, amt).await?;
            ctx.send(&[ix::record_repayment(&me, &l.keys, index, &source, amt)]).await?;
            let r = client::receivable(&mut ctx.chain, &pda::receivable(&l.keys.pool, index)).await?;
            Ok((
                json!({ "receivable": index, "repaid": amt, "outstanding": r.outstanding, "status": format!("{:?}", r.status) }),
                format!(
                    "receivable {index}: repaid {}, outstanding {}",
                    format_amount(amt, l.decimals),
                    format_amount(r.outstanding, l.decimals)
                ),
            ))
        }
        Command::WriteDown(a) => {
            let l = ctx.load(&a.pool).await?;
            let index = a.index;
            let recovery = amount(&a.recovery, l.decimals, "EXPECTED-RECOVERY")?;
            let me = ctx.me();
            ctx.send(&[ix::write_down(&me, &l.keys, index, recovery)]).await?;
            Ok((
                json!({ "receivable": index, "expected_recovery": recovery }),
                format!("receivable {index} written down to {}", format_amount(recovery, l.decimals)),
            ))
        }
        Command::PublishRates(a) => {
            let l = ctx.load(&a.pool).await?;
            let market = a.market_bps;
            let given = &a.class;
            if given.len() != MAX_RISK_CLASSES {
                return Err(Failure::usage(format!("--class PD:REC, exactly {MAX_RISK_CLASSES} times")));
            }
            let mut classes = [ClassRates { default_probability_bps: 0, recovery_bps: 0 }; MAX_RISK_CLASSES];
            for (slot, g) in classes.iter_mut().zip(given) {
                let (pd, rec) = g.split_once(':').ok_or(Failure::usage(format!("--class {g}: PD:REC in bps")))?;
                let n = |s: &str| s.parse::<u32>().map_err(|_| Failure::usage(format!("--class {g}: PD:REC in bps")));
                *slot = ClassRates { default_probability_bps: n(pd)?, recovery_bps: n(rec)? };
            }
            let sequence = client::oracle(&mut ctx.chain, &l.keys.oracle).await?.sequence + 1;
            let me = ctx.me();
            ctx.send(&[ix::publish_rates(
                &me,
                &l.keys,
                PublishRatesArgs { sequence, market_rate_bps: market, classes },
            )])
            .await?;
            Ok((json!({ "sequence": sequence, "market_rate_bps": market }), format!("rates #{sequence} published")))
        }
        Command::Transfer(a) => {
            let l = ctx.load(&a.pool).await?;
            let amt = amount(&a.amount, l.decimals, "AMOUNT")?;
            let to: Pubkey = a.to.parse().map_err(|_| Failure::usage(format!("TO: not an address: {}", a.to)))?;
            let me = ctx.me();
            let source = ctx.spendable_base(&l, amt).await?;
            let destination = l.base_account(&to);
            let program = l.keys.base_token_program;
            let send = ix::token::transfer_checked(&program, &source, &l.keys.base_mint, &destination, &me, amt, l.decimals);
            ctx.send(&[l.create_base_account(&me, &to), send]).await?;
            let balance = ctx.balance(&destination).await?;
            Ok((
                json!({ "to": to.to_string(), "account": destination.to_string(), "sent": amt, "balance": balance }),
                format!(
                    "sent {} base tokens to {to}; it holds {}",
                    format_amount(amt, l.decimals),
                    format_amount(balance, l.decimals)
                ),
            ))
        }
        Command::FundReserve(a) => {
            let l = ctx.load(&a.pool).await?;
            let amt = amount(&a.amount, l.decimals, "AMOUNT")?;
            let me = ctx.me();
            let source = ctx.spendable_base(&l, amt).await?;
            ctx.send(&[ix::fund_reserve(&me, &l.keys, &source, amt)]).await?;
            let pool = client::pool(&mut ctx.chain, &l.keys.pool).await?;
            Ok((
                json!({ "funded": amt, "reserve_balance": pool.reserve_balance, "reserve_target": pool.reserve_target() }),
                format!(
                    "reserve {} (target {})",
                    format_amount(pool.reserve_balance, l.decimals),
                    format_amount(pool.reserve_target(), l.decimals)
                ),
            ))
        }
        Command::Keygen(_) => unreachable!("handled before the wallet loads"),
    }
    }
    .await;
    let sent = ctx.chain.sent_signatures().to_vec();
    outcome.map(|(json, text)| with_signatures(json, text, &sent, &url))
}

async fn set_metadata(ctx: &mut Ctx, a: &SetMetadata) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    if a.name.is_none() && a.symbol.is_none() && a.uri.is_none() {
        return Err(Failure::usage("give --name, --symbol or --uri"));
    }
    let mint = l.keys.tranche_mint(tranche);
    let before = client::mint_metadata(&mut ctx.chain, &mint).await?;
    let metadata = TrancheMetadata {
        name: a.name.clone().unwrap_or(before.name.clone()),
        symbol: a.symbol.clone().unwrap_or(before.symbol.clone()),
        uri: a.uri.clone().unwrap_or(before.uri.clone()),
    };
    // The program's own bounds, named as it would name them, before anything is sent.
    metadata.validate().map_err(refused)?;
    let me = ctx.me();
    ctx.send(&[ix::set_tranche_metadata(&me, &l.keys, tranche, metadata)]).await?;
    let after = client::mint_metadata(&mut ctx.chain, &mint).await?;
    let as_json = |m: &TrancheMetadata| json!({ "name": m.name, "symbol": m.symbol, "uri": m.uri });
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "tranche": tranche, "mint": mint.to_string(), "metadata": as_json(&after), "before": as_json(&before) }),
        format!(
            "tranche {tranche} token ({mint}): {:?} ({}){}",
            after.name,
            after.symbol,
            if after.uri.is_empty() { String::new() } else { format!(", {}", after.uri) }
        ),
    ))
}

async fn thaw(ctx: &mut Ctx, a: &Thaw) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let me = ctx.me();
    let owner = match a.owner.as_deref() {
        Some(o) => pubkey(o, "--owner")?,
        None => me,
    };
    if !l.pool.params.permissioned {
        return Err(refused(SluiceError::NotPermissioned.into()));
    }
    // (tranche, account, opened here)
    let mut targets: Vec<(u8, Pubkey, bool)> = Vec::new();
    let mut ixs = Vec::new();
    match a.tranche.as_deref() {
        Some(t) => {
            let tranche = tranche_arg(t, &l.pool)?;
            let account = token_2022_account(&owner, &l.keys.tranche_mint(tranche));
            let exists = client::exists(&mut ctx.chain, &account).await?;
            if exists && !client::is_frozen(&mut ctx.chain, &account).await? {
                return Err(refused(SluiceError::HolderNotFrozen.into()));
            }
            if !exists {
                ixs.push(ix::token::create_associated(&ix::TOKEN_2022, &me, &owner, &l.keys.tranche_mint(tranche)));
            }
            targets.push((tranche, account, !exists));
        }
        None => {
            let frozen = client::frozen_tranche_accounts(&mut ctx.chain, &l.pool, &owner).await?;
            if frozen.is_empty() {
                return Err(Failure {
                    hint: hint("HolderNotFrozen").into(),
                    ..Failure::other(format!("{owner} has no frozen tranche account in pool {}", l.keys.pool))
                });
            }
            targets.extend(frozen.into_iter().map(|(t, account)| (t, account, false)));
        }
    }
    ixs.extend(targets.iter().map(|(t, account, _)| ix::thaw_holder(&me, &l.keys.pool, *t, account, &owner)));
    ctx.send(&ixs).await?;
    let mut rows = Vec::new();
    let mut text = format!("{owner} in pool {}\n", l.keys.pool);
    for (t, account, opened) in &targets {
        let frozen = client::is_frozen(&mut ctx.chain, account).await?;
        rows.push(json!({ "tranche": t, "account": account.to_string(), "opened": opened, "frozen": frozen }));
        text += &format!(
            "  tranche {t}: {account} {}{}\n",
            if frozen { "frozen" } else { "thawed" },
            if *opened { " (opened)" } else { "" }
        );
    }
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "owner": owner.to_string(), "accounts": rows }),
        text.trim_end().to_string(),
    ))
}

fn keygen(k: &Keygen, default: PathBuf) -> Outcome {
    let path = k.outfile.clone().unwrap_or(default);
    if path.exists() && !k.force {
        return Err(Failure::usage(format!("{} exists; add --force to overwrite", path.display())));
    }
    let k = Keypair::new();
    write_keypair(&k, &path).map_err(|e| Failure::other(e.to_string()))?;
    Ok((
        json!({ "address": k.pubkey().to_string(), "path": path.display().to_string() }),
        format!("{} written to {}", k.pubkey(), path.display()),
    ))
}

fn stage_name(pool: &Pool) -> String {
    format!("{:?}", pool.stage)
}

async fn pools(ctx: &mut Ctx) -> Outcome {
    let found = ctx.chain.accounts_of_type(&sluice::ID, Pool::DISCRIMINATOR).await?;
    let mut rows = Vec::new();
    let mut text = format!("{:<44} {:>8} {:>20} {:>20}  prices\n", "pool", "stage", "NAV", "cash");
    for (address, data) in found {
        let Ok(pool) = sluice_sdk::state::pool(&data) else { continue };
        let decimals = client::mint_decimals(&mut ctx.chain, &pool.base_mint).await?;
        let mut prices = Vec::new();
        let mut tranches = Vec::new();
        for (i, t) in pool.active_tranches().iter().enumerate() {
            // What wallets show for the token; a mint without metadata reads as unnamed.
            let m = client::mint_metadata(&mut ctx.chain, &t.mint).await.unwrap_or_default();
            prices.push(if m.symbol.is_empty() {
                format_price(t.price_e12)
            } else {
                format!("{} {}", m.symbol, format_price(t.price_e12))
            });
            tranches.push(json!({
                "index": i, "mint": t.mint.to_string(), "name": m.name, "symbol": m.symbol, "uri": m.uri,
                "price_e12": t.price_e12, "supply": t.supply, "value": t.value, "coupon_bps": t.coupon_bps,
            }));
        }
        text += &format!(
            "{:<44} {:>8} {:>20} {:>20}  {}\n",
            address.to_string(),
            stage_name(&pool),
            format_amount(pool.nav, decimals),
            format_amount(pool.cash, decimals),
            prices.join(" / ")
        );
        rows.push(json!({
            "pool": address.to_string(),
            "authority": pool.authority.to_string(),
            "base_mint": pool.base_mint.to_string(),
            "base_token_program": pool.base_token_program.to_string(),
            "permissioned": pool.params.permissioned,
            "stage": stage_name(&pool),
            "paused": pool.paused,
            "nav": pool.nav,
            "cash": pool.cash,
            "decimals": decimals,
            "tranches": tranches,
        }));
    }
    let n = rows.len();
    Ok((json!({ "pools": rows }), format!("{text}{n} pool(s)")))
}

async fn position(ctx: &mut Ctx, a: &Position) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let owner = match a.owner.as_deref() {
        Some(o) => pubkey(o, "--owner")?,
        None => ctx.me(),
    };
    let d = l.decimals;
    let base = ctx.balance(&l.base_account(&owner)).await?;
    let mut holdings = Vec::new();
    let mut requests = Vec::new();
    let mut text = format!(
        "{owner} in pool {} ({})\n  base tokens {}\n",
        l.keys.pool,
        stage_name(&l.pool),
        format_amount(base, d)
    );
    let now = ctx.chain.now().await?;
    for (i, t) in l.pool.active_tranches().iter().enumerate() {
        let account = token_2022_account(&owner, &t.mint);
        let tokens = ctx.balance(&account).await?;
        let value = value_of(tokens, t.value, t.supply);
        // A permissioned pool's account is frozen until thawed, or again once membership lapses.
        let frozen = match client::exists(&mut ctx.chain, &account).await? {
            true => Some(client::is_frozen(&mut ctx.chain, &account).await?),
            false => None,
        };
        text += &format!(
            "  tranche {i}: {} tokens at {} = {}{}\n",
            format_amount(tokens, d),
            format_price(t.price_e12),
            format_amount(value, d),
            if frozen == Some(true) { " (account frozen: `sluice thaw`)" } else { "" }
        );
        holdings.push(json!({
            "tranche": i, "tokens": tokens, "value": value, "price_e12": t.price_e12,
            "account": account.to_string(), "frozen": frozen,
        }));
        if t.queue == Pubkey::default() {
            continue;
        }
        let queue = client::queue(&mut ctx.chain, &t.queue).await?;
        for id in t.queue_head..t.queue_tail {
            let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
            if r.owner != owner || r.is_done() {
                continue;
            }
            let fill = preview::expected_fill(&l.pool, i as u8, &r, now).unwrap_or_default();
            text += &format!(
                "    request {id}: {} tokens queued, {} claimable, next batch pays ~{}\n",
                format_amount(r.remaining, d),
                format_amount(r.claimable, d),
                format_amount(fill.paid + fill.reserve_pays, d)
            );
            requests.push(json!({
                "tranche": i, "id": id, "original": r.original, "remaining": r.remaining, "claimable": r.claimable,
                "next_batch_paid": fill.paid + fill.reserve_pays,
            }));
        }
    }
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "owner": owner.to_string(), "stage": stage_name(&l.pool), "base": base, "holdings": holdings, "requests": requests }),
        text.trim_end().to_string(),
    ))
}

async fn deposit(ctx: &mut Ctx, a: &Deposit) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    let amt = amount(&a.amount, l.decimals, "AMOUNT")?;
    let me = ctx.me();
    let base = ctx.spendable_base(&l, amt).await?;
    let (holding, open) = ctx.tranche_account(&l.pool, tranche).await?;
    let expected =
        preview::deposit_tokens(&l.pool, tranche, amt).ok_or(Failure::other("deposit preview overflowed"))?;
    let member = l.pool.params.permissioned.then(|| pda::member(&l.keys.pool, &me));
    let reserve = (l.pool.reserve_vault != Pubkey::default()).then_some(l.pool.reserve_vault);
    let args = DepositArgs { tranche, amount: amt, min_tokens_out: at_least(expected, ctx.slippage_bps) };
    let mut ixs = ctx.fresh_nav(&l).await?;
    ixs.extend(open);
    ixs.push(ix::deposit(&me, &l.keys, &base, &holding, member, reserve, args));
    let before = ctx.balance(&holding).await?;
    ctx.send(&ixs).await?;
    let received = ctx.balance(&holding).await? - before;
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "tranche": tranche, "deposited": amt, "tokens": received, "token_account": holding.to_string() }),
        format!(
            "deposited {} into tranche {tranche}: {} tokens",
            format_amount(amt, l.decimals),
            format_amount(received, l.decimals)
        ),
    ))
}

fn queue_keys(l: &Loaded, tranche: u8) -> Result<QueueKeys, Failure> {
    let q = l.pool.tranches[tranche as usize].queue;
    if q == Pubkey::default() {
        return Err(Failure::other(format!(
            "redemption is not set up for tranche {tranche}; the issuer must run init_redemption"
        )));
    }
    Ok(QueueKeys::new(&l.keys, tranche, q))
}

/// The wallet's tranche account and the tokens TOKENS|all names of it, refused when the
/// wallet holds fewer (or the amount is zero).
async fn tokens_to_leave(ctx: &mut Ctx, l: &Loaded, tranche: u8, tokens: &str) -> Result<(Pubkey, u64), Failure> {
    let holding = token_2022_account(&ctx.me(), &l.keys.tranche_mint(tranche));
    let held = ctx.balance(&holding).await?;
    let tokens = match tokens {
        "all" => held,
        s => amount(s, l.decimals, "TOKENS")?,
    };
    if tokens == 0 || tokens > held {
        return Err(Failure::usage(format!(
            "the wallet holds {} tokens of tranche {tranche}",
            format_amount(held, l.decimals)
        )));
    }
    Ok((holding, tokens))
}

async fn redeem(ctx: &mut Ctx, a: &Redeem) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    let me = ctx.me();
    let (holding, tokens) = tokens_to_leave(ctx, &l, tranche, &a.tokens).await?;
    let (value, fee) = preview::instant_redemption(&l.pool, tranche, tokens).unwrap_or_default();
    let instant = if a.queue {
        false
    } else if a.instant {
        true
    } else {
        // The program's own check; a stale NAV is taken as the reprice sent first leaves it
        // (fresh, and about where it was).
        let now = ctx.chain.now().await?;
        let used = client::instant_used(&mut ctx.chain, &l.keys.pool, tranche, &me, now).await?;
        let mut pool = l.pool.clone();
        (pool.nav_time, pool.nav_dirty) = (now, false);
        preview::instant_exit(&pool, used, tranche, tokens, now).is_ok()
    };
    if instant {
        let base = l.base_account(&me);
        let reserve = (l.pool.reserve_vault != Pubkey::default()).then_some(l.pool.reserve_vault);
        let args = RedeemInstantArgs { tranche, tokens, min_out: at_least(value - fee, ctx.slippage_bps) };
        let mut ixs = ctx.fresh_nav(&l).await?;
        ixs.push(l.create_base_account(&me, &me));
        ixs.push(ix::redeem_instant(&me, &l.keys, &holding, &base, reserve, args));
        let before = ctx.balance(&base).await?;
        ctx.send(&ixs).await?;
        let paid = ctx.balance(&base).await? - before;
        Ok((
            json!({ "mode": "instant", "pool": l.keys.pool.to_string(), "tranche": tranche, "tokens": tokens, "paid": paid }),
            format!(
                "redeemed {} tokens instantly for {}",
                format_amount(tokens, l.decimals),
                format_amount(paid, l.decimals)
            ),
        ))
    } else {
        let q = queue_keys(&l, tranche)?;
        ctx.send(&[ix::request_redemption(&me, &l.keys, &q, &holding, tokens)]).await?;
        let after = client::pool(&mut ctx.chain, &l.keys.pool).await?;
        // The new request is the newest of this owner's in the queue.
        let queue = client::queue(&mut ctx.chain, &q.queue).await?;
        let t = after.tranches[tranche as usize];
        let id = (t.queue_head..t.queue_tail)
            .rev()
            .find(|id| queue.requests[(id % QUEUE_CAPACITY as u64) as usize].owner == me)
            .ok_or(Failure::other("request not found after queuing"))?;
        let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
        Ok((
            json!({ "mode": "queued", "pool": l.keys.pool.to_string(), "tranche": tranche, "tokens": tokens, "id": id, "installment": r.installment, "stage": stage_name(&after) }),
            format!(
                "queued request {id}: {} tokens, paid in batches of up to {} tokens; collect with `sluice claim`",
                format_amount(tokens, l.decimals),
                format_amount(r.installment, l.decimals)
            ),
        ))
    }
}

async fn exit(ctx: &mut Ctx, a: &Exit) -> Outcome {
    let mut l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    let me = ctx.me();
    let (holding, tokens) = tokens_to_leave(ctx, &l, tranche, &a.tokens).await?;
    // The door pays at the stored NAV: plan on a fresh one.
    if !a.dry_run {
        let reprice = ctx.fresh_nav(&l).await?;
        if !reprice.is_empty() {
            ctx.send(&reprice).await?;
            l = ctx.load(&a.pool).await?;
        }
    }
    let now = ctx.chain.now().await?;
    let used = client::instant_used(&mut ctx.chain, &l.keys.pool, tranche, &me, now).await?;
    let m = AmmKeys::new(&l.keys, tranche);
    let market =
        if client::exists(&mut ctx.chain, &m.amm).await? { Some(market(ctx, &l, tranche).await?) } else { None };
    // The market trades only between live members in a permissioned pool; a lapsed holder
    // still has the door and the queue.
    let may_trade = !l.pool.params.permissioned || {
        let member = pda::member(&l.keys.pool, &me);
        match ctx.chain.account(&member).await? {
            Some(a) => sluice_sdk::state::member(&a.data).is_ok_and(|m| m.is_live(now)),
            None => false,
        }
    };
    let view = market
        .as_ref()
        .filter(|(_, amm, _, _)| amm.lp_supply > 0 && may_trade)
        .map(|(_, amm, x, y)| preview::ExitMarket { amm, tranche_vault: *x, base_vault: *y });
    let held = ctx.balance(&holding).await?;
    let plan = preview::plan_exit(&l.pool, view, used, tranche, tokens, held, now, a.max_discount_bps);
    if plan.queued_tokens > 0 {
        queue_keys(&l, tranche)?;
    }
    let d = l.decimals;
    let planned = json!({
        "instant": { "tokens": plan.instant_tokens, "base": plan.instant_out },
        "market": { "tokens": plan.market_tokens, "base": plan.market_out },
        "queue": { "tokens": plan.queued_tokens, "value": plan.queued_value },
        "kept": { "tokens": plan.unplaced_tokens },
    });
    let lines = format!(
        "instant door  {:>16} tokens for {}\nmarket        {:>16} tokens for {}\nqueue         {:>16} tokens worth {} at NAV\nkept          {:>16} tokens (no door takes them now)",
        format_amount(plan.instant_tokens, d),
        format_amount(plan.instant_out, d),
        format_amount(plan.market_tokens, d),
        format_amount(plan.market_out, d),
        format_amount(plan.queued_tokens, d),
        format_amount(plan.queued_value, d),
        format_amount(plan.unplaced_tokens, d),
    );
    if a.dry_run {
        let stale = !l.pool.nav_is_fresh(now);
        let note = if stale { "\n(the NAV is stale: the door's share is planned once a reprice runs)" } else { "" };
        return Ok((json!({ "dry_run": true, "plan": planned, "nav_fresh": !stale }), format!("{lines}{note}")));
    }
    let base = l.base_account(&me);
    let before = ctx.balance(&base).await?;
    let mut done = serde_json::Map::new();
    if plan.instant_tokens > 0 {
        let reserve = (l.pool.reserve_vault != Pubkey::default()).then_some(l.pool.reserve_vault);
        let args = RedeemInstantArgs {
            tranche,
            tokens: plan.instant_tokens,
            min_out: at_least(plan.instant_out, ctx.slippage_bps),
        };
        let ixs = [l.create_base_account(&me, &me), ix::redeem_instant(&me, &l.keys, &holding, &base, reserve, args)];
        ctx.send(&ixs).await?;
        done.insert("instant_paid".into(), json!(ctx.balance(&base).await? - before));
    }
    if plan.market_tokens > 0 {
        let (m, _, _, _) = market.as_ref().expect("a market was planned");
        let t = trader(ctx, &l, m, false);
        let args = SwapArgs {
            buy_tranche: false,
            amount_in: plan.market_tokens,
            min_out: at_least(plan.market_out, ctx.slippage_bps).max(1),
            deadline: now + 120,
        };
        let mid = ctx.balance(&base).await?;
        ctx.send(&[l.create_base_account(&me, &me), ix::swap(&l.keys, m, &t, args)]).await?;
        done.insert("market_paid".into(), json!(ctx.balance(&base).await? - mid));
    }
    let mut queued = String::new();
    if plan.queued_tokens > 0 {
        let q = queue_keys(&l, tranche)?;
        let id = client::pool(&mut ctx.chain, &l.keys.pool).await?.tranches[tranche as usize].queue_tail;
        ctx.send(&[ix::request_redemption(&me, &l.keys, &q, &holding, plan.queued_tokens)]).await?;
        done.insert("request_id".into(), json!(id));
        queued = format!("; request {id} queued, collect with `sluice claim`");
    }
    let paid = ctx.balance(&base).await? - before;
    done.insert("paid".into(), json!(paid));
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "tranche": tranche, "tokens": tokens, "plan": planned, "done": done }),
        format!("{lines}\npaid {} now{queued}", format_amount(paid, d)),
    ))
}

async fn cancel(ctx: &mut Ctx, a: &Cancel) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    let id = a.id;
    let q = queue_keys(&l, tranche)?;
    let me = ctx.me();
    let (holding, mut ixs) = ctx.tranche_account(&l.pool, tranche).await?;
    let before = ctx.balance(&holding).await?;
    ixs.push(ix::cancel_redemption(&me, &l.keys, &q, &holding, id));
    ctx.send(&ixs).await?;
    let returned = ctx.balance(&holding).await? - before;
    Ok((
        json!({ "tranche": tranche, "id": id, "tokens_returned": returned }),
        format!("request {id} cancelled: {} tokens returned", format_amount(returned, l.decimals)),
    ))
}

async fn claim(ctx: &mut Ctx, a: &PoolOnly) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let me = ctx.me();
    let base = l.base_account(&me);
    let mut owed: Vec<(QueueKeys, u64, u64)> = Vec::new();
    for (i, t) in l.pool.active_tranches().iter().enumerate() {
        if t.queue == Pubkey::default() {
            continue;
        }
        let q = QueueKeys::new(&l.keys, i as u8, t.queue);
        let queue = client::queue(&mut ctx.chain, &t.queue).await?;
        for id in t.queue_head..t.queue_tail {
            let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
            if r.owner == me && r.claimable > 0 {
                owed.push((q, id, r.claimable));
            }
        }
    }
    if owed.is_empty() {
        return Err(Failure { hint: hint("NothingToClaim").into(), ..Failure::other("nothing to claim") });
    }
    let before = ctx.balance(&base).await?;
    // A handful of claims per transaction keeps well inside the size limit.
    for chunk in owed.chunks(6) {
        let mut ixs = vec![l.create_base_account(&me, &me)];
        ixs.extend(chunk.iter().map(|(q, id, _)| ix::claim(&me, &l.keys, q, *id, &base)));
        ctx.send(&ixs).await?;
    }
    let claimed = ctx.balance(&base).await? - before;
    let ids: Vec<Value> =
        owed.iter().map(|(q, id, c)| json!({ "tranche": q.tranche, "id": id, "amount": c })).collect();
    Ok((
        json!({ "claimed": claimed, "requests": ids }),
        format!("claimed {} from {} request(s)", format_amount(claimed, l.decimals), owed.len()),
    ))
}

async fn market(ctx: &mut Ctx, l: &Loaded, tranche: u8) -> Result<(AmmKeys, sluice::state::Amm, u64, u64), Failure> {
    let m = AmmKeys::new(&l.keys, tranche);
    if !client::exists(&mut ctx.chain, &m.amm).await? {
        return Err(Failure::other(format!("tranche {tranche} has no market")));
    }
    let amm = client::amm(&mut ctx.chain, &m.amm).await?;
    let x = client::token_balance(&mut ctx.chain, &m.tranche_vault).await?;
    let y = client::token_balance(&mut ctx.chain, &m.base_vault).await?;
    Ok((m, amm, x, y))
}

fn trader(ctx: &Ctx, l: &Loaded, m: &AmmKeys, with_lp: bool) -> Trader {
    let me = ctx.me();
    Trader {
        user: me,
        tranche_account: token_2022_account(&me, &l.keys.tranche_mint(m.tranche)),
        base_account: l.base_account(&me),
        lp_account: with_lp.then(|| token_2022_account(&me, &m.lp_mint)),
        member: l.pool.params.permissioned.then(|| pda::member(&l.keys.pool, &me)),
    }
}

async fn swap(ctx: &mut Ctx, a: &Swap) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let tranche = tranche_arg(&a.tranche, &l.pool)?;
    let buy = match a.side.as_str() {
        "buy" => true,
        "sell" => false,
        s => return Err(Failure::usage(format!("buy or sell, not {s}"))),
    };
    let amount_in = amount(&a.amount, l.decimals, "AMOUNT")?;
    let (m, amm, x, y) = market(ctx, &l, tranche).await?;
    if amm.lp_supply == 0 {
        return Err(Failure {
            hint: hint("EmptyAmm").into(),
            ..Failure::other(format!("the tranche {tranche} market holds no liquidity"))
        });
    }
    let quote = preview::swap_quote(&l.pool, &amm, x, y, buy, amount_in)
        .ok_or(Failure::other("the market cannot quote this trade"))?;
    let t = trader(ctx, &l, &m, false);
    let now = ctx.chain.now().await?;
    let args = SwapArgs {
        buy_tranche: buy,
        amount_in,
        min_out: at_least(quote.amount_out, ctx.slippage_bps).max(1),
        deadline: now + 120,
    };
    let receive = if buy { t.tranche_account } else { t.base_account };
    let me = ctx.me();
    let mut ixs =
        if buy { ctx.tranche_account(&l.pool, tranche).await?.1 } else { vec![l.create_base_account(&me, &me)] };
    ixs.push(ix::swap(&l.keys, &m, &t, args));
    let before = ctx.balance(&receive).await?;
    ctx.send(&ixs).await?;
    let out = ctx.balance(&receive).await? - before;
    let after = client::amm(&mut ctx.chain, &m.amm).await?;
    Ok((
        json!({ "side": if buy { "buy" } else { "sell" }, "amount_in": amount_in, "amount_out": out, "fee": quote.fee, "fee_bps": quote.fee_bps, "price_e12": after.twap.last_price_e12 }),
        format!(
            "{} {} for {} (fee {} bps); market price now {}",
            if buy { "paid" } else { "sold" },
            format_amount(amount_in, l.decimals),
            format_amount(out, l.decimals),
            quote.fee_bps,
            format_price(after.twap.last_price_e12)
        ),
    ))
}

/// What `liquidity` does: add base tokens' worth, or remove LP units (or all).
enum Liquidity<'a> {
    Add(&'a str),
    Remove(&'a str),
}

async fn liquidity(ctx: &mut Ctx, pool: &str, tranche: &str, what: Liquidity<'_>) -> Outcome {
    let l = ctx.load(pool).await?;
    let tranche = tranche_arg(tranche, &l.pool)?;
    let (m, amm, x, y) = market(ctx, &l, tranche).await?;
    let (rx, ry) = amm.reserves(x, y).map_err(|_| Failure::other("market reserves inconsistent"))?;
    let t = trader(ctx, &l, &m, true);
    let me = ctx.me();
    let lp_account = t.lp_account.expect("with LP");
    let ix = if let Liquidity::Add(base_amount) = what {
        let base_in = amount(base_amount, l.decimals, "BASE-AMOUNT")?;
        if amm.lp_supply == 0 || ry == 0 {
            // The first liquidity opens the market at the tranche's NAV: tranche tokens worth
            // the base put in (floored, so the opening price is at or just above NAV).
            let tr = l.pool.tranches[tranche as usize];
            let tokens = sluice::math::allocation::tokens_within(base_in, tr.value, tr.supply);
            ix::add_liquidity(&l.keys, &m, &t, 0, tokens, base_in)
        } else {
            let lp = (base_in as u128 * amm.lp_supply as u128 / ry as u128) as u64;
            let (need_x, need_y) = sluice::math::amm::deposit_for_lp(lp, amm.lp_supply, rx, ry)
                .ok_or(Failure::other("amount too large"))?;
            ix::add_liquidity(&l.keys, &m, &t, lp, at_most(need_x, ctx.slippage_bps), at_most(need_y, ctx.slippage_bps))
        }
    } else {
        let held = ctx.balance(&lp_account).await?;
        let Liquidity::Remove(lp) = what else { unreachable!() };
        let lp = match lp {
            "all" => held,
            s => s.parse().map_err(|_| Failure::usage("<LP>: LP units or all"))?,
        };
        let (out_x, out_y) =
            sluice::math::amm::withdraw_for_lp(lp, amm.lp_supply, rx, ry).ok_or(Failure::other("amount too large"))?;
        ix::remove_liquidity(&l.keys, &m, &t, lp, at_least(out_x, ctx.slippage_bps), at_least(out_y, ctx.slippage_bps))
    };
    let lp_before = ctx.balance(&lp_account).await?;
    let mut ixs = vec![ix::token::create_associated(&ix::TOKEN_2022, &me, &me, &m.lp_mint)];
    ixs.extend(ctx.tranche_account(&l.pool, tranche).await?.1);
    ixs.push(l.create_base_account(&me, &me));
    ixs.push(ix);
    ctx.send(&ixs).await?;
    let lp_after = ctx.balance(&lp_account).await?;
    let change = lp_after as i128 - lp_before as i128;
    Ok((
        json!({ "tranche": tranche, "lp_change": change, "lp_balance": lp_after }),
        format!("LP balance {lp_after} ({change:+})"),
    ))
}

async fn add_receivable(ctx: &mut Ctx, a: &AddReceivable) -> Outcome {
    let l = ctx.load(&a.pool).await?;
    let d = l.decimals;
    let face = amount(&a.face, d, "--face")?;
    let funded = amount(&a.funded, d, "--funded")?;
    let due_ts = parse_date(&a.due).map_err(|e| Failure::usage(format!("--due: {e}")))?;
    let risk_class: u8 = a.class.parse().map_err(|_| Failure::usage("--class: 0 to 3"))?;
    let document = a.document.as_str();
    let document_hash = sluice_sdk::units::document_hash(document);
    let me = ctx.me();
    let pay_to = match a.pay_to.as_deref() {
        Some(w) => pubkey(w, "--pay-to")?,
        None => me,
    };
    let index = l.pool.receivable_count;
    let borrower = l.base_account(&pay_to);
    let args = AddReceivableArgs { face_value: face, funded, due_ts, risk_class, document_hash };
    ctx.send(&[l.create_base_account(&me, &pay_to), ix::add_receivable(&me, &l.keys, index, &borrower, args)]).await?;
    Ok((
        json!({ "index": index, "receivable": pda::receivable(&l.keys.pool, index).to_string(), "face_value": face, "funded": funded, "due_ts": due_ts }),
        format!(
            "receivable {index} added: face {}, funded {} to {pay_to}",
            format_amount(face, d),
            format_amount(funded, d)
        ),
    ))
}

#[cfg(test)]
mod framework_errors {
    use super::*;

    #[test]
    fn anchor_and_token_program_codes_are_named_with_what_to_do() {
        let f = framework_failure(3012).expect("Anchor's AccountNotInitialized");
        assert_eq!(f.name.as_deref(), Some("AccountNotInitialized"));
        assert!(f.message.starts_with("refused by Anchor's account checks") && f.hint.contains("does not exist yet"));
        let f = framework_failure(1).expect("the token program's InsufficientFunds");
        assert_eq!(f.name.as_deref(), Some("InsufficientFunds"));
        assert!(f.message.starts_with("the token program refused") && f.hint.contains("sluice transfer"));
        assert!(framework_failure(17).unwrap().hint.contains("sluice thaw"));
        assert!(framework_failure(99).is_none(), "a code nobody defines stays unnamed");
    }
}
