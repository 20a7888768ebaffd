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

/// Anchor's own errors (`anchor_lang::error::ErrorCode`, anchor-lang 1.2): code, name,
/// message — the account and constraint checks Anchor runs before a handler does.
pub const ANCHOR_ERRORS: &[(u32, &str, &str)] = &[
    (100, "InstructionMissing", "Instruction discriminator not provided"),
    (101, "InstructionFallbackNotFound", "Fallback functions are not supported"),
    (102, "InstructionDidNotDeserialize", "The program could not deserialize the given instruction"),
    (103, "InstructionDidNotSerialize", "The program could not serialize the given instruction"),
    (1000, "IdlInstructionStub", "The program was compiled without idl instructions"),
    (1001, "IdlInstructionInvalidProgram", "Invalid program given to the IDL instruction"),
    (1002, "IdlAccountNotEmpty", "IDL account must be empty in order to resize, try closing first"),
    (1500, "EventInstructionStub", "The program was compiled without `event-cpi` feature"),
    (2000, "ConstraintMut", "A mut constraint was violated"),
    (2001, "ConstraintHasOne", "A has one constraint was violated"),
    (2002, "ConstraintSigner", "A signer constraint was violated"),
    (2003, "ConstraintRaw", "A raw constraint was violated"),
    (2004, "ConstraintOwner", "An owner constraint was violated"),
    (2005, "ConstraintRentExempt", "A rent exemption constraint was violated"),
    (2006, "ConstraintSeeds", "A seeds constraint was violated"),
    (2007, "ConstraintExecutable", "An executable constraint was violated"),
    (2008, "ConstraintState", "Deprecated Error, feel free to replace with something else"),
    (2009, "ConstraintAssociated", "An associated constraint was violated"),
    (2010, "ConstraintAssociatedInit", "An associated init constraint was violated"),
    (2011, "ConstraintClose", "A close constraint was violated"),
    (2012, "ConstraintAddress", "An address constraint was violated"),
    (2013, "ConstraintZero", "Expected zero account discriminant"),
    (2014, "ConstraintTokenMint", "A token mint constraint was violated"),
    (2015, "ConstraintTokenOwner", "A token owner constraint was violated"),
    (2016, "ConstraintMintMintAuthority", "A mint mint authority constraint was violated"),
    (2017, "ConstraintMintFreezeAuthority", "A mint freeze authority constraint was violated"),
    (2018, "ConstraintMintDecimals", "A mint decimals constraint was violated"),
    (2019, "ConstraintSpace", "A space constraint was violated"),
    (2020, "ConstraintAccountIsNone", "A required account for the constraint is None"),
    (2021, "ConstraintTokenTokenProgram", "A token account token program constraint was violated"),
    (2022, "ConstraintMintTokenProgram", "A mint token program constraint was violated"),
    (
        2023,
        "ConstraintAssociatedTokenTokenProgram",
        "An associated token account token program constraint was violated",
    ),
    (2024, "ConstraintMintGroupPointerExtension", "A group pointer extension constraint was violated"),
    (
        2025,
        "ConstraintMintGroupPointerExtensionAuthority",
        "A group pointer extension authority constraint was violated",
    ),
    (
        2026,
        "ConstraintMintGroupPointerExtensionGroupAddress",
        "A group pointer extension group address constraint was violated",
    ),
    (2027, "ConstraintMintGroupMemberPointerExtension", "A group member pointer extension constraint was violated"),
    (
        2028,
        "ConstraintMintGroupMemberPointerExtensionAuthority",
        "A group member pointer extension authority constraint was violated",
    ),
    (
        2029,
        "ConstraintMintGroupMemberPointerExtensionMemberAddress",
        "A group member pointer extension group address constraint was violated",
    ),
    (2030, "ConstraintMintMetadataPointerExtension", "A metadata pointer extension constraint was violated"),
    (
        2031,
        "ConstraintMintMetadataPointerExtensionAuthority",
        "A metadata pointer extension authority constraint was violated",
    ),
    (
        2032,
        "ConstraintMintMetadataPointerExtensionMetadataAddress",
        "A metadata pointer extension metadata address constraint was violated",
    ),
    (2033, "ConstraintMintCloseAuthorityExtension", "A close authority constraint was violated"),
    (
        2034,
        "ConstraintMintCloseAuthorityExtensionAuthority",
        "A close authority extension authority constraint was violated",
    ),
    (2035, "ConstraintMintPermanentDelegateExtension", "A permanent delegate extension constraint was violated"),
    (
        2036,
        "ConstraintMintPermanentDelegateExtensionDelegate",
        "A permanent delegate extension delegate constraint was violated",
    ),
    (2037, "ConstraintMintTransferHookExtension", "A transfer hook extension constraint was violated"),
    (
        2038,
        "ConstraintMintTransferHookExtensionAuthority",
        "A transfer hook extension authority constraint was violated",
    ),
    (
        2039,
        "ConstraintMintTransferHookExtensionProgramId",
        "A transfer hook extension transfer hook program id constraint was violated",
    ),
    (2040, "ConstraintDuplicateMutableAccount", "A duplicate mutable account constraint was violated"),
    (2041, "AccountAlreadyMigrated", "Account is already migrated"),
    (2042, "AccountNotMigrated", "Account must be migrated before exiting"),
    (2043, "ConstraintMintPausableExtension", "A pausable extension constraint was violated"),
    (2044, "ConstraintMintPausableAuthority", "A pausable extension authority constraint was violated"),
    (2500, "RequireViolated", "A require expression was violated"),
    (2501, "RequireEqViolated", "A require_eq expression was violated"),
    (2502, "RequireKeysEqViolated", "A require_keys_eq expression was violated"),
    (2503, "RequireNeqViolated", "A require_neq expression was violated"),
    (2504, "RequireKeysNeqViolated", "A require_keys_neq expression was violated"),
    (2505, "RequireGtViolated", "A require_gt expression was violated"),
    (2506, "RequireGteViolated", "A require_gte expression was violated"),
    (3000, "AccountDiscriminatorAlreadySet", "The account discriminator was already set on this account"),
    (3001, "AccountDiscriminatorNotFound", "No discriminator was found on the account"),
    (3002, "AccountDiscriminatorMismatch", "Account discriminator did not match what was expected"),
    (3003, "AccountDidNotDeserialize", "Failed to deserialize the account"),
    (3004, "AccountDidNotSerialize", "Failed to serialize the account"),
    (3005, "AccountNotEnoughKeys", "Not enough account keys given to the instruction"),
    (3006, "AccountNotMutable", "The given account is not mutable"),
    (3007, "AccountOwnedByWrongProgram", "The given account is owned by a different program than expected"),
    (3008, "InvalidProgramId", "Program ID was not as expected"),
    (3009, "InvalidProgramExecutable", "Program account is not executable"),
    (3010, "AccountNotSigner", "The given account did not sign"),
    (3011, "AccountNotSystemOwned", "The given account is not owned by the system program"),
    (3012, "AccountNotInitialized", "The program expected this account to be already initialized"),
    (3013, "AccountNotProgramData", "The given account is not a program data account"),
    (3014, "AccountNotAssociatedTokenAccount", "The given account is not the associated token account"),
    (3015, "AccountSysvarMismatch", "The given public key does not match the required sysvar"),
    (3016, "AccountReallocExceedsLimit", "The account reallocation exceeds the MAX_PERMITTED_DATA_INCREASE limit"),
    (3017, "AccountDuplicateReallocs", "The account was duplicated for more than one reallocation"),
    (4100, "DeclaredProgramIdMismatch", "The declared program id does not match the actual program id"),
    (
        4101,
        "TryingToInitPayerAsProgramAccount",
        "You cannot/should not initialize the payer account as a program account",
    ),
    (4102, "InvalidNumericConversion", "Error during numeric conversion"),
    (5000, "Deprecated", "The API being used is deprecated and should no longer be used"),
];

/// SPL Token's errors (`spl_token::error::TokenError`; Token-2022 shares codes 0–19): code,
/// name, message. Below Anchor's first code (100), so a Sluice instruction failing with one
/// of these failed in a token transfer, mint, burn or account check it made.
pub const TOKEN_ERRORS: &[(u32, &str, &str)] = &[
    (0, "NotRentExempt", "Lamport balance below rent-exempt threshold"),
    (1, "InsufficientFunds", "Insufficient funds"),
    (2, "InvalidMint", "Invalid Mint"),
    (3, "MintMismatch", "Account not associated with this Mint"),
    (4, "OwnerMismatch", "Owner does not match"),
    (5, "FixedSupply", "Fixed supply"),
    (6, "AlreadyInUse", "Already in use"),
    (7, "InvalidNumberOfProvidedSigners", "Invalid number of provided signers"),
    (8, "InvalidNumberOfRequiredSigners", "Invalid number of required signers"),
    (9, "UninitializedState", "State is unititialized"),
    (10, "NativeNotSupported", "Instruction does not support native tokens"),
    (11, "NonNativeHasBalance", "Non-native account can only be closed if its balance is zero"),
    (12, "InvalidInstruction", "Invalid instruction"),
    (13, "InvalidState", "State is invalid for requested operation"),
    (14, "Overflow", "Operation overflowed"),
    (15, "AuthorityTypeNotSupported", "Account does not support specified authority type"),
    (16, "MintCannotFreeze", "This token mint cannot freeze accounts"),
    (17, "AccountFrozen", "Account is frozen"),
    (18, "MintDecimalsMismatch", "The provided decimals value different from the Mint decimals"),
    (19, "NonNativeNotSupported", "Instruction does not support non-native tokens"),
];

/// Name and message of a token program's error code.
pub fn token_error(code: u32) -> Option<(&'static str, &'static str)> {
    TOKEN_ERRORS.iter().find(|(c, _, _)| *c == code).map(|(_, n, m)| (*n, *m))
}

/// Name and message of a custom program error raised by Sluice or by Anchor on its behalf.
pub fn name_and_message(code: u32) -> Option<(&'static str, &'static str)> {
    lookup(code)
        .map(|e| (e.name.as_str(), e.msg.as_str()))
        .or_else(|| ANCHOR_ERRORS.iter().find(|(c, _, _)| *c == code).map(|(_, n, m)| (*n, *m)))
}

/// The log line Anchor writes for a refusal with `code` (`AnchorError occurred. Error Code:
/// … Error Number: … Error Message: ….`), which Anchor's clients parse; `None` for a code
/// neither Sluice nor Anchor defines (a token program's error passed through a CPI).
pub fn anchor_error_line(code: u32) -> Option<String> {
    name_and_message(code).map(|(name, msg)| {
        format!("AnchorError occurred. Error Code: {name}. Error Number: {code}. Error Message: {msg}.")
    })
}

/// "process_batch" → "ProcessBatch": how Anchor names an instruction in its logs.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
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

    #[test]
    fn anchor_errors_are_named_as_anchor_names_them() {
        use anchor_lang::error::ErrorCode;
        for e in [ErrorCode::AccountNotInitialized, ErrorCode::ConstraintSeeds, ErrorCode::InstructionMissing] {
            let (name, msg) = name_and_message(e.into()).expect("an Anchor error");
            assert_eq!((name, msg), (e.name().as_str(), e.to_string().as_str()));
        }
        let line = anchor_error_line(u32::from(SluiceError::NavStale)).unwrap();
        assert!(line.starts_with("AnchorError occurred. Error Code: NavStale. Error Number: 60"), "{line}");
        assert_eq!(anchor_error_line(1), None);
        use anchor_spl::token_2022::spl_token_2022::error::TokenError;
        for e in [TokenError::InsufficientFunds, TokenError::AccountFrozen, TokenError::OwnerMismatch] {
            let (name, msg) = token_error(e.clone() as u32).expect("a token error");
            assert_eq!((name, msg), (format!("{e:?}").as_str(), e.to_string().as_str()));
        }
        assert_eq!(pascal_case("process_batch"), "ProcessBatch");
        assert_eq!(pascal_case("reprice"), "Reprice");
    }
}
