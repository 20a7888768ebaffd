//! The SDK keeper: it sends only what is due, and two keepers ticking the same pool never
//! fail each other or pay anything twice.
#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use sluice_sdk::chain::DevChain;
use sluice_sdk::client;
use sluice_sdk::keeper::Keeper;
use sluice_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

async fn keeper(f: &mut Fixture, queues: &[QueueKeys], owners: Vec<(Pubkey, Pubkey)>) -> Keeper {
    let wallet = Keypair::new();
    f.chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.unwrap();
    let tip_account = client::create_token_account(&mut f.chain, &f.keys.base_mint, &wallet.pubkey()).await.unwrap();
    Keeper {
        wallet,
        tip_account,
        keys: f.keys,
        queues: queues.to_vec(),
        reserve: f.reserve,
        market: None,
        claim_route: Some(Box::new(move |owner| owners.iter().find(|o| o.0 == *owner).map(|o| o.1))),
    }
}

#[tokio::test]
async fn two_keepers_race_without_failures_or_double_payouts() {
    let mut f = Fixture::new(false).await;
    let alice = f.investor(20_000_000 * UNIT, false).await;
    f.seed_deposits(&alice, 3_000_000 * UNIT, 2_000_000 * UNIT, 5_000_000 * UNIT).await;
    let q = f.init_redemption().await;
    let bob = f.investor(2_000_000 * UNIT, false).await;
    f.deposit(&bob, SENIOR, 500_000 * UNIT).await.unwrap();
    let owners = vec![(alice.wallet.pubkey(), alice.base), (bob.wallet.pubkey(), bob.base)];
    let k1 = keeper(&mut f, &q, owners.clone()).await;
    let k2 = keeper(&mut f, &q, owners).await;

    // 300 requests: a large senior exit in installments and many small ones.
    f.request(&alice, &q[0], 700_000 * UNIT).await.unwrap();
    for i in 0..150u64 {
        f.request(&alice, &q[2], (10 + i) * UNIT).await.unwrap();
        f.request(&bob, &q[0], (5 + i) * UNIT).await.unwrap();
    }
    let start = (f.balance(&alice.base).await, f.balance(&bob.base).await);
    let mut calls = 0;
    for _ in 0..10 {
        let r1 = k1.tick(&mut f.chain).await.unwrap();
        let r2 = k2.tick(&mut f.chain).await.unwrap();
        // Whatever the first keeper did, the second found nothing left to do right after.
        assert_eq!(r2.batch_calls + r2.claims_pushed, 0, "{r2:?}");
        calls += r1.batch_calls;
        f.chain.advance_clock(86_400).await.unwrap();
        f.publish(800).await.unwrap();
        f.reprice().await.unwrap();
    }
    let pool = f.pool().await;
    assert_eq!(pool.tranches.iter().map(|t| t.queued_tokens).sum::<u64>(), 0, "the queues drained");
    assert_eq!(pool.claimable, 0, "every claim was pushed");
    // What owners received equals what batches paid: no double payout.
    let received = (f.balance(&alice.base).await - start.0) + (f.balance(&bob.base).await - start.1);
    assert!(calls >= 7 && received > 0);
    let burned: u64 = 700_000 * UNIT + (0..150u64).map(|i| (10 + i + 5 + i) * UNIT).sum::<u64>();
    let supply_drop =
        3_000_000 * UNIT + 2_000_000 * UNIT + 5_500_000 * UNIT - pool.tranches.iter().map(|t| t.supply).sum::<u64>();
    assert_eq!(supply_drop, burned);
    let vault = f.keys.vault;
    assert_eq!(f.balance(&vault).await, pool.cash + pool.claimable + pool.fee_pot);
}
