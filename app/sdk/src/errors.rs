//! Sluice's error names and messages, read from the committed IDL (which CI keeps fresh),
//! so tools can say which guard refused and why without duplicating the list.

use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ProgramError {
    pub code: u32,
    pub name: String,
    #[serde(default)]
    pub msg: String,
}

#[derive(serde::Deserialize)]
struct Idl {
    errors: Vec<ProgramError>,
}

const IDL: &str = include_str!("../../../idl/sluice.json");

fn all() -> &'static [ProgramError] {
    static ERRORS: OnceLock<Vec<ProgramError>> = OnceLock::new();
    ERRORS.get_or_init(|| serde_json::from_str::<Idl>(IDL).map(|i| i.errors).unwrap_or_default())
}

/// The error with this code, if Sluice defines it.
pub fn lookup(code: u32) -> Option<&'static ProgramError> {
    all().iter().find(|e| e.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::error::SluiceError;

    #[test]
    fn idl_errors_match_the_program() {
        for e in [SluiceError::MathOverflow, SluiceError::NavStale, SluiceError::InvariantViolated] {
            let code = u32::from(e);
            let found = lookup(code).expect("error in IDL");
            assert_eq!(found.name, e.name());
        }
        assert!(lookup(1).is_none());
    }
}
