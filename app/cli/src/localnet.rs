//! `sluice localnet`: the embedded bank behind JSON-RPC on 127.0.0.1:8899.

use std::net::SocketAddr;

use std::path::PathBuf;

use sluice_localnet::{Localnet, Options};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::config::{read_keypair, SolanaCliConfig};
use sluice_sdk::rpc::RpcChain;
use solana_signer::Signer;

pub struct LocalnetArgs {
    pub node: Options,
    /// A pool spec to migrate once the node is up, and the issuer keypair for it.
    pub seed: Option<PathBuf>,
    pub keypair: Option<PathBuf>,
}

pub fn parse(args: &[String]) -> Result<LocalnetArgs, String> {
    let mut o = Options::default();
    let (mut seed, mut keypair) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--port" => o.listen.set_port(v.parse().map_err(|_| format!("--port: not a port: {v}"))?),
            "--bind" => {
                let ip: std::net::IpAddr = v.parse().map_err(|_| format!("--bind: not an address: {v}"))?;
                o.listen = SocketAddr::new(ip, o.listen.port());
            }
            "--time-scale" => o.time_scale = v.parse().map_err(|_| format!("--time-scale: not a number: {v}"))?,
            "--seed" => seed = Some(PathBuf::from(v)),
            "--keypair" | "-k" => keypair = Some(PathBuf::from(v)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(LocalnetArgs { node: o, seed, keypair })
}

/// Funds the issuer from the faucet and migrates `spec` onto the fresh node.
async fn seed(url: &str, spec: &std::path::Path, keypair: Option<&std::path::Path>) -> Result<(), String> {
    let config = SolanaCliConfig::load(None).map_err(|e| e.to_string())?;
    let path = config.keypair_path(keypair);
    let issuer =
        read_keypair(&path).map_err(|e| format!("{e} (the seed's issuer; create one with `sluice keygen`)"))?;
    let mut chain = RpcChain::new(url, issuer.insecure_clone());
    chain.airdrop(&issuer.pubkey(), 1_000 * 1_000_000_000).await.map_err(|e| e.explain())?;
    let now = chain.now().await.map_err(|e| e.explain())?;
    let spec = sluice_migrate::Spec::load(spec, now, &issuer.pubkey()).map_err(|e| e.to_string())?;
    let report = sluice_migrate::migrate(&mut chain, &issuer, &spec, sluice_migrate::Mode::Apply)
        .await
        .map_err(|e| e.to_string())?;
    let d = &report.deployment;
    println!("  seeded     {} by {} ({} steps)", spec.name, issuer.pubkey(), report.applied());
    println!("  pool       {}", d.pool);
    println!("  base mint  {}", d.base_mint);
    for t in &d.tranches {
        println!("  tranche {}  {:<9} mint {}", t.index, t.name, t.mint);
    }
    Ok(())
}

pub async fn run(args: LocalnetArgs) -> Result<(), String> {
    let opts = args.node;
    let net = Localnet::start(opts.clone()).await.map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let faucet = net.node.lock().await.faucet().insecure_clone();
    println!("sluice localnet: JSON-RPC on {}", net.url());
    println!("  programs   Sluice {} (native), SPL Token, Associated Token", sluice_sdk::sluice::ID);
    println!("  faucet     {} (requestAirdrop)", solana_signer::Signer::pubkey(&faucet));
    match opts.time_scale {
        0 => println!("  clock      stopped; move it with sluice_advanceClock"),
        1 => println!("  clock      real time"),
        n => println!("  clock      {n}x real time"),
    }
    if let Some(spec) = &args.seed {
        seed(&net.url(), spec, args.keypair.as_deref()).await?;
    }
    println!("Ctrl-C stops the node.");
    tokio::select! {
        _ = net.wait() => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            println!("sluice localnet: stopped");
            Ok(())
        }
    }
}
