//! Time units of the pricing model. Years are 365 days; buckets are 28 days so that a
//! bucket never spans more than one step of a monthly write-down schedule.

pub const SECONDS_PER_DAY: i64 = 86_400;
pub const SECONDS_PER_YEAR: i64 = 365 * SECONDS_PER_DAY;
pub const DAYS_PER_BUCKET: usize = 28;
pub const BUCKET_SECONDS: i64 = DAYS_PER_BUCKET as i64 * SECONDS_PER_DAY;
/// Buckets in the book's ring: 42 × 28 days = 1,176 days ≈ 3.2 years of maturities.
pub const NUM_BUCKETS: usize = 42;
/// Risk classes the oracle prices.
pub const MAX_RISK_CLASSES: usize = 4;
/// Basis points in one.
pub const BPS: u32 = 10_000;

/// Absolute index of the bucket holding `ts` (floor division, valid for negative times).
pub fn bucket_of(ts: i64) -> i64 {
    ts.div_euclid(BUCKET_SECONDS)
}

/// Seconds from the start of bucket `bucket` to its centre.
pub const HALF_BUCKET: i64 = BUCKET_SECONDS / 2;

/// Centre of an absolute bucket, in unix seconds.
pub fn bucket_center(bucket: i64) -> i64 {
    bucket * BUCKET_SECONDS + HALF_BUCKET
}
