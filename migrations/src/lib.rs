//! `sluice-migrate`: an issuer's pool spec → chain.
//!
//! [`spec`] reads and checks the TOML spec and its receivables CSV completely (errors carry
//! file and line) before anything is sent; [`apply`] plans or applies the steps that are
//! missing, verifies the result and builds the deployment record; [`rehearsal`] moves an
//! old spec's dates forward for a local chain.

pub mod apply;
pub mod rehearsal;
pub mod spec;

pub use apply::{migrate, verify, Deployment, Mode, Report, StepState};
pub use spec::{Spec, SpecError, SpecErrors};
