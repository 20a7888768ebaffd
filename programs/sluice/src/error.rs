use anchor_lang::prelude::*;

#[error_code]
pub enum SluiceError {
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Signer is not the pool authority")]
    NotAuthority,
    #[msg("Signer is not the pool guardian")]
    NotGuardian,
    #[msg("Signer is not the proposed authority")]
    NotPendingAuthority,
    #[msg("Signer is not an oracle publisher")]
    NotPublisher,
    #[msg("Parameters are out of bounds")]
    InvalidParams,
    #[msg("Pool is paused")]
    PoolPaused,
    #[msg("Pool already has the maximum number of tranches")]
    TooManyTranches,
    #[msg("Tranches cannot change once the pool holds deposits")]
    TranchesFrozen,
    #[msg("Tranche index does not exist")]
    UnknownTranche,
    #[msg("Pool has no tranches")]
    NoTranches,
    #[msg("Oracle sequence must increase")]
    StaleSequence,
    #[msg("Rate moved more than the per-update bound")]
    RateMoveTooLarge,
    #[msg("Rate is outside its allowed range")]
    RateOutOfRange,
    #[msg("Oracle rates are older than the maximum age")]
    OracleStale,
    #[msg("Oracle has never published")]
    OracleNotPublished,
    #[msg("NAV is stale or invalidated; reprice first")]
    NavStale,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Wallet is not a member of this permissioned pool")]
    NotMember,
    #[msg("Membership has expired")]
    MembershipExpired,
    #[msg("The junior (first-loss) tranche must hold tokens before any other tranche takes deposits")]
    JuniorNotFunded,
    #[msg("Deposit would breach the tranche's minimum subordination")]
    SubordinationBreached,
    #[msg("Deposit would exceed the pool cap")]
    PoolCapExceeded,
    #[msg("Fewer tokens out than the minimum requested")]
    SlippageExceeded,
    #[msg("Tranche has tokens outstanding but no value")]
    TrancheImpaired,
    #[msg("Account does not belong to this pool")]
    WrongAccount,
    #[msg("Due time must be in the future and within the book's horizon")]
    DueOutOfRange,
    #[msg("Due date must be a UTC midnight (a multiple of 86,400 seconds)")]
    DueNotDayAligned,
    #[msg("Risk class does not exist")]
    UnknownRiskClass,
    #[msg("Book cell holds an older maturity bucket; write down its overdue receivables first")]
    BucketOccupied,
    #[msg("Book does not match the receivable")]
    BookMismatch,
    #[msg("Funded amount exceeds face value")]
    FundingExceedsFace,
    #[msg("Pool cash is insufficient")]
    InsufficientCash,
    #[msg("Repayment exceeds the outstanding amount")]
    RepaymentExceedsOutstanding,
    #[msg("Receivable is already repaid")]
    ReceivableClosed,
    #[msg("Expected recovery exceeds the value already carried")]
    WriteDownIncrease,
    #[msg("Receivable is not overdue enough for a further write-down")]
    NothingToWriteDown,
    #[msg("No authority transfer is pending")]
    NoPendingAuthority,
    #[msg("State invariant violated")]
    InvariantViolated,
    #[msg("Redemption is not set up for this tranche")]
    RedemptionNotReady,
    #[msg("Request is below the minimum size and is not the holder's whole balance")]
    BelowMinimumRequest,
    #[msg("Redemption queue is full")]
    QueueFull,
    #[msg("No such live request in this queue")]
    RequestNotFound,
    #[msg("Signer does not own this request")]
    NotRequestOwner,
    #[msg("Nothing left to cancel")]
    NothingToCancel,
    #[msg("Nothing to claim")]
    NothingToClaim,
    #[msg("Not allowed in the pool's current stage")]
    WrongStage,
    #[msg("Instant redemption above the instant threshold; queue it instead")]
    InstantTooLarge,
    #[msg("Instant redemptions have reached this window's cap; queue instead")]
    InstantCapReached,
    #[msg("Paying this would take cash below the floor; queue instead")]
    CashFloorReached,
    #[msg("Fewer base tokens out than the minimum requested")]
    PayoutBelowMinimum,
    #[msg("The next batch is not due yet")]
    BatchNotDue,
    #[msg("Nothing to do: no batch work is possible now")]
    NothingToProcess,
    #[msg("Stage metrics call for no change")]
    StageUnchanged,
    #[msg("The reserve would fall below its target")]
    ReserveBelowTarget,
    #[msg("The transaction's deadline has passed")]
    DeadlinePassed,
    #[msg("The market holds no liquidity")]
    EmptyAmm,
    #[msg("In Crisis, the trade would move the price outside the band around NAV")]
    CrisisBandExceeded,
    #[msg("The constant-product invariant or an LP share's value would fall")]
    AmmInvariantViolated,
    #[msg("Already set up")]
    AlreadySetUp,
    #[msg("A request can be cancelled only once it has waited one batch interval")]
    CancelLocked,
    #[msg("The tranche holds value but no tokens; its value goes to the buy-back reserve, which must exist")]
    UnownedValue,
    #[msg("Signer is not the proposed publisher")]
    NotPendingPublisher,
    #[msg("No such publisher")]
    UnknownPublisher,
    #[msg("The basket holds the maximum number of constituents")]
    TooManyConstituents,
    #[msg("This tranche is already a constituent of the basket")]
    ConstituentExists,
    #[msg("Constituent does not exist")]
    UnknownConstituent,
    #[msg("Constituent is disabled")]
    ConstituentDisabled,
    #[msg("A junior tranche needs explicit permission and at least the minimum junior haircut")]
    JuniorConstituent,
    #[msg("The exchange would take this constituent above its share cap of basket value")]
    ConcentrationCapExceeded,
    #[msg("Basket is paused")]
    BasketPaused,
    #[msg("Every constituent's pool must be passed, in order")]
    ConstituentPoolsMissing,
    #[msg("An exchange out would need tokens or cash the basket has in a redemption still in flight; exchange fewer or wait for rebalance to collect it")]
    InFlightShortfall,
    #[msg("The sleeve has paid its redemption cap for this 24 h window")]
    RedeemWindowExceeded,
    #[msg("The redemption would take the sleeve below its floor")]
    SleeveBelowFloor,
    #[msg("The basket is within its band: nothing to collect, request or deposit")]
    NothingToRebalance,
    #[msg("Rebalance must act on the constituent its rule picks")]
    WrongConstituent,
    #[msg("This request belongs to a program account and is collected only by its owner")]
    PullOnlyRequest,
    #[msg("The basket has tokens outstanding but no value")]
    BasketWorthless,
    #[msg("Wrong token program: base tokens move under the base mint's program, Sluice's mints under Token-2022")]
    WrongTokenProgram,
    #[msg("The base mint charges (or can be set to charge) a transfer fee, which would break the pool's accounting")]
    BaseMintTransferFee,
    #[msg("The base mint has (or can be given) a transfer hook, which runs foreign code on every transfer")]
    BaseMintTransferHook,
    #[msg("The base mint allows confidential transfers or mints, which the pool cannot account for")]
    BaseMintConfidential,
    #[msg("The base mint is non-transferable")]
    BaseMintNonTransferable,
    #[msg("The base mint has a permanent delegate, who could move the pool's cash")]
    BaseMintPermanentDelegate,
    #[msg("The base mint's accounts start frozen")]
    BaseMintDefaultFrozen,
    #[msg("Tranche metadata: name 1-64 bytes, symbol 1-16 bytes, URI at most 200 bytes")]
    InvalidMetadata,
    #[msg("Whether a pool is permissioned is fixed once it has a tranche (its mints are made for it)")]
    PermissionedFixed,
    #[msg("Only a permissioned pool's tranche accounts are frozen and thawed")]
    NotPermissioned,
    #[msg("The token account is not frozen")]
    HolderNotFrozen,
    #[msg("The token account is already frozen")]
    HolderAlreadyFrozen,
    #[msg("The account's owner is a live member of the pool; it is not frozen")]
    HolderStillMember,
    #[msg("The pool's own accounts are never frozen")]
    PoolAccountNotFreezable,
    #[msg("The tranche token account is frozen: in a permissioned pool its owner must be a member and thaw it with thaw_holder")]
    TrancheAccountFrozen,
    #[msg("Only a tranche account whose owner cannot change is thawed: create it with the ImmutableOwner extension (an associated token account has it)")]
    HolderOwnerMutable,
}
