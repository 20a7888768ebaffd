//! `sluice localnet`: the embedded bank behind JSON-RPC on 127.0.0.1:8899 and PubSub on 8900.

use std::net::{IpAddr, SocketAddr};

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

/// `sluice localnet`'s options.
#[derive(clap::Args, Debug)]
pub struct Cli {
    /// Port to listen on; the PubSub websocket takes the next one (0 picks free ones)
    #[arg(long, value_name = "PORT", default_value_t = 8899)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Cluster seconds per wall-clock second; above 1 runs the clock faster, 0 stops it (move it with sluice_advanceClock)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub time_scale: u32,
    /// A pool spec (TOML) to migrate onto the node once it is up
    #[arg(long, value_name = "SPEC")]
    pub seed: Option<PathBuf>,
    /// Keypair of the seed's issuer [default: the Solana CLI config's]
    #[arg(long, short = 'k', value_name = "PATH")]
    pub keypair: Option<PathBuf>,
}

impl From<Cli> for LocalnetArgs {
    fn from(c: Cli) -> LocalnetArgs {
        let node = Options { listen: SocketAddr::new(c.bind, c.port), ..Options::default() };
        LocalnetArgs { node: Options { time_scale: c.time_scale, ..node }, seed: c.seed, keypair: c.keypair }
    }
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
    println!("  base mint  {} ({})", d.base_mint, d.base_token_program);
    for t in &d.tranches {
        println!("  tranche {}  {:<9} mint {}  {} \"{}\"", t.index, t.name, t.mint, t.symbol, t.token_name);
    }
    Ok(())
}

pub async fn run(args: LocalnetArgs) -> Result<(), String> {
    let opts = args.node;
    let net = Localnet::start(opts.clone()).await.map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let faucet = net.node.lock().await.faucet().insecure_clone();
    println!("sluice localnet: JSON-RPC on {}", net.url());
    println!("  pubsub     {}", net.ws_url());
    println!("  programs   Sluice {} (native), SPL Token, Token-2022, Associated Token", sluice_sdk::sluice::ID);
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
