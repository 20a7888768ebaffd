//! Transaction logs as clients read them: Anchor's instruction line, every event as a
//! `Program data:` line (decoded here as an indexer decodes it), and a refusal's
//! `AnchorError` line with the error's name — from the natively built program too.
#![allow(deprecated)]

use anchor_lang::{AnchorDeserialize, Discriminator};
use base64::Engine;
use sluice::events::{Deposited, NATIVE_EVENT_MARK};
use sluice_sdk::chain::validator_logs;
use sluice_tests::*;
use solana_signer::Signer;

/// The events of type `E` in a transaction's logs.
fn events<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter(|bytes| bytes.starts_with(E::DISCRIMINATOR))
        .map(|bytes| E::deserialize(&mut &bytes[E::DISCRIMINATOR.len()..]).expect("an event body"))
        .collect()
}

#[tokio::test]
async fn a_deposit_logs_its_instruction_and_its_event() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(1_000 * UNIT, true).await;
    f.reprice().await.unwrap();
    let ix = f.deposit_ix(&alice, JUNIOR, 250 * UNIT, 0);
    let (result, logs) = f.chain.send_with_logs(&[ix], &[&alice.wallet]).await.unwrap();
    result.unwrap();
    assert!(logs.iter().any(|l| l == "Program log: Instruction: Deposit"), "{logs:#?}");
    // No marked line is left for a client to trip over.
    assert!(!logs.iter().any(|l| l.contains(NATIVE_EVENT_MARK)), "{logs:#?}");
    let deposited: Vec<Deposited> = events(&logs);
    assert_eq!(deposited.len(), 1, "{logs:#?}");
    let d = &deposited[0];
    assert_eq!((d.pool, d.depositor, d.tranche, d.amount), (f.keys.pool, alice.wallet.pubkey(), JUNIOR, 250 * UNIT));
    assert_eq!(d.tokens, f.balance(&alice.tranches[JUNIOR as usize]).await);
}

#[tokio::test]
async fn a_refusal_logs_the_error_by_name() {
    let mut f = Fixture::new(true).await;
    let alice = f.investor(1_000 * UNIT, true).await;
    f.reprice().await.unwrap();
    let ix = f.deposit_ix(&alice, JUNIOR, 0, 0);
    let (result, logs) = f.chain.send_with_logs(&[ix], &[&alice.wallet]).await.unwrap();
    assert_sluice_err(result, SluiceError::ZeroAmount);
    let code = u32::from(SluiceError::ZeroAmount);
    let line =
        format!("Program log: AnchorError occurred. Error Code: ZeroAmount. Error Number: {code}. Error Message: ");
    assert!(logs.iter().any(|l| l.starts_with(&line)), "{logs:#?}");
    assert!(events::<Deposited>(&logs).is_empty());
}

#[test]
fn only_sluices_marked_lines_become_program_data() {
    let sluice = sluice::ID;
    let logs = vec![
        format!("Program {sluice} invoke [1]"),
        format!("Program log: {NATIVE_EVENT_MARK}AAEC"),
        "Program log: Instruction: Reprice".to_string(),
        format!("Program log: said {NATIVE_EVENT_MARK}AAEC"),
        format!("Program {sluice} success"),
        // Another program writing the mark, outside Sluice's frame, keeps its line.
        "Program Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo invoke [1]".to_string(),
        format!("Program log: {NATIVE_EVENT_MARK}AAEC"),
        "Program Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo success".to_string(),
    ];
    let mut expected = logs.clone();
    expected[1] = "Program data: AAEC".to_string();
    assert_eq!(validator_logs(logs), expected);
}
