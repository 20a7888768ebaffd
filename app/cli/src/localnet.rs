//! `sluice localnet`: the embedded bank behind JSON-RPC on 127.0.0.1:8899.

use std::net::SocketAddr;

use sluice_localnet::{Localnet, Options};

pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
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
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

pub async fn run(opts: Options) -> Result<(), String> {
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
    println!("Ctrl-C stops the node.");
    tokio::select! {
        _ = net.wait() => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            println!("sluice localnet: stopped");
            Ok(())
        }
    }
}
