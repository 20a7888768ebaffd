//! What the CLI's end-to-end tests share: a `sluice localnet` with the example migration
//! applied, funded wallets as keypair files, the binary run with `--json`, and a keeper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sluice_localnet::{Background, Options};
use sluice_migrate::{migrate, Mode, Spec};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::config::write_keypair;
use sluice_sdk::ix;
use sluice_sdk::keeper::Keeper;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const DAY: i64 = 86_400;

/// A membership expiry a year from today.
pub fn next_year() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    sluice_sdk::units::format_date(now + 365 * DAY)
}

pub struct World {
    pub net: Background,
    pub dir: PathBuf,
    pub issuer: Keypair,
    pub issuer_file: PathBuf,
    pub pool: Pubkey,
}

pub fn sluice(world: &World, keypair: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .args(["--url", &world.net.url, "--keypair", keypair.to_str().unwrap(), "--json"])
        .output()
        .expect("sluice runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), json, stderr)
}

pub fn ok(world: &World, keypair: &Path, args: &[&str]) -> Value {
    let (code, json, stderr) = sluice(world, keypair, args);
    assert_eq!(code, Some(0), "{args:?}: {json} {stderr}");
    json
}

/// A named refusal: exit 1, the program error's name in the JSON and on stderr, a hint.
pub fn refused(world: &World, keypair: &Path, args: &[&str], name: &str) -> Value {
    let (code, json, stderr) = sluice(world, keypair, args);
    assert_eq!(code, Some(1), "{args:?}: {json} {stderr}");
    assert_eq!(json["error"]["name"], name, "{args:?}: {json}");
    assert!(!json["error"]["hint"].as_str().unwrap().is_empty(), "{json}");
    assert!(stderr.contains(name), "{stderr}");
    json
}

pub async fn world() -> World {
    let net = Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap();
    let dir = std::env::temp_dir().join(format!("sluice-cli-{}-{}", std::process::id(), Keypair::new().pubkey()));
    std::fs::create_dir_all(&dir).unwrap();
    let issuer = Keypair::new();
    let issuer_file = dir.join("issuer.json");
    write_keypair(&issuer, &issuer_file).unwrap();
    let mut chain = RpcChain::new(&net.url, issuer.insecure_clone());
    chain.airdrop(&issuer.pubkey(), 100_000_000_000).await.unwrap();
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/examples/harbor-trade-2027a.toml");
    let now = chain.now().await.unwrap();
    let spec_path = sluice_migrate::rehearsal::rehearsal_copy(&spec_path, &dir.join("spec"), now, 90).unwrap();
    let spec = Spec::load(&spec_path, now, &issuer.pubkey()).unwrap();
    migrate(&mut chain, &issuer, &spec, Mode::Apply).await.unwrap();
    let pool = pda::pool(&issuer.pubkey(), spec.pool_id);
    World { net, dir, issuer, issuer_file, pool }
}

/// A funded wallet holding `base` base tokens, as a keypair file.
pub async fn investor(w: &World, name: &str, base: u64) -> (Keypair, PathBuf) {
    let k = Keypair::new();
    let path = w.dir.join(format!("{name}.json"));
    write_keypair(&k, &path).unwrap();
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    chain.airdrop(&k.pubkey(), 2_000_000_000).await.unwrap();
    let pool = client::pool(&mut chain, &w.pool).await.unwrap();
    let program = pool.base_token_program;
    let account = ix::token::associated(&program, &k.pubkey(), &pool.base_mint);
    let me = w.issuer.pubkey();
    chain
        .send(
            &[
                ix::token::create_associated(&program, &me, &k.pubkey(), &pool.base_mint),
                ix::token::mint_to(&program, &pool.base_mint, &account, &me, base),
            ],
            &[],
        )
        .await
        .unwrap();
    (k, path)
}

pub async fn keeper_for(chain: &mut RpcChain, w: &World) -> Keeper {
    let pool = client::pool(chain, &w.pool).await.unwrap();
    let wallet = Keypair::new();
    chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.unwrap();
    let me = chain.payer().pubkey();
    let program = pool.base_token_program;
    chain.send(&[ix::token::create_associated(&program, &me, &wallet.pubkey(), &pool.base_mint)], &[]).await.unwrap();
    Keeper::for_pool(wallet, &pool, None, false)
}
