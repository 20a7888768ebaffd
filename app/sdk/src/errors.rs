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

#[derive(Clone, Debug, serde::Deserialize)]
struct IdlInstruction {
    name: String,
    discriminator: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct Idl {
    errors: Vec<ProgramError>,
    instructions: Vec<IdlInstruction>,
}

const IDL: &str = include_str!("../../../idl/sluice.json");

fn all() -> &'static [ProgramError] {
    static ERRORS: OnceLock<Vec<ProgramError>> = OnceLock::new();
    ERRORS.get_or_init(|| serde_json::from_str::<Idl>(IDL).map(|i| i.errors).unwrap_or_default())
}

fn instructions() -> &'static [IdlInstruction] {
    static IXS: OnceLock<Vec<IdlInstruction>> = OnceLock::new();
    IXS.get_or_init(|| serde_json::from_str::<Idl>(IDL).map(|i| i.instructions).unwrap_or_default())
}

/// The Sluice instruction an instruction's data encodes (by its discriminator).
pub fn instruction_name(data: &[u8]) -> Option<&'static str> {
    instructions().iter().find(|i| data.starts_with(&i.discriminator)).map(|i| i.name.as_str())
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
        let reprice = crate::ix::reprice(&crate::ix::PoolKeys::new(
            &Default::default(),
            1,
            Default::default(),
            crate::ix::SPL_TOKEN,
            Default::default(),
        ));
        assert_eq!(instruction_name(&reprice.data), Some("reprice"));
        assert_eq!(instruction_name(&[0; 8]), None);
    }
}
