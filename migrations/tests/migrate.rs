//! `sluice-migrate` end to end over `sluice localnet` with the real RPC client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sluice::state::BasketParams;
use sluice_localnet::{Background, Options};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::config::write_keypair;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, ix, pda};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/harbor-trade-2027a.toml")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-migrate-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice-migrate")).args(args).output().expect("runs")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn count(report: &Value, state: &str) -> usize {
    report["steps"].as_array().unwrap().iter().filter(|s| s["state"] == state).count()
}

fn localnet() -> Background {
    Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).expect("localnet")
}

async fn funded_issuer(url: &str, dir: &Path) -> (Keypair, PathBuf) {
    let issuer = Keypair::new();
    let path = dir.join("issuer.json");
    write_keypair(&issuer, &path).unwrap();
    let mut chain = RpcChain::new(url, Keypair::new());
    chain.airdrop(&issuer.pubkey(), 100 * 1_000_000_000).await.unwrap();
    (issuer, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_spec_migrates_then_a_rerun_changes_nothing() {
    let net = localnet();
    let dir = scratch("example");
    let (issuer, keypair) = funded_issuer(&net.url, &dir).await;
    let mut reader = RpcChain::new(&net.url, Keypair::new());
    // The example's dates, moved forward if this runs after they have passed.
    let now = reader.now().await.unwrap();
    let spec = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir.join("spec"), now, 90).unwrap();
    let record = dir.join("deployment.json");
    let base = ["--url", &net.url, "--keypair", keypair.to_str().unwrap(), "--json"];
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![spec.to_str().unwrap().into()];
        v.extend(base.iter().map(|s| s.to_string()));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |args: Vec<String>| migrate(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // The plan: everything is missing and nothing is sent.
    let plan = json(&run(with(&["--dry-run"])));
    assert_eq!(plan["mode"], "dry_run");
    assert!(count(&plan, "planned") >= 10, "{plan:#}");
    assert_eq!(count(&plan, "applied"), 0);
    let pool = pda::pool(&issuer.pubkey(), 2_027_001);
    assert!(client::try_pool(&mut reader, &pool).await.unwrap().is_none(), "a dry run sent something");

    // Apply: verified, recorded.
    let first = json(&run(with(&["--record", record.to_str().unwrap()])));
    assert_eq!(first["verified"], true, "{first:#}");
    assert!(count(&first, "applied") >= 10);
    let on_chain = client::pool(&mut reader, &pool).await.unwrap();
    assert_eq!(on_chain.tranche_count, 3);
    assert_eq!(on_chain.receivable_count, 24);
    assert!(on_chain.tranches.iter().all(|t| t.queue != Default::default()));
    assert_eq!(on_chain.reserve_balance, 63_000_000_000);
    assert!(on_chain.nav > 4_000_000_000_000, "seeded NAV {}", on_chain.nav);
    let deployed: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(deployed["pool"], pool.to_string());
    assert_eq!(deployed["tranches"].as_array().unwrap().len(), 3);
    assert_eq!(deployed["tranches"][0]["market"], pda::amm(&pool, 0).to_string());
    assert_eq!(deployed["receivables"].as_array().unwrap().len(), 24);
    let members = deployed["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "two investors and the seeding issuer");
    let queue: anchor_lang::prelude::Pubkey = deployed["tranches"][1]["queue"].as_str().unwrap().parse().unwrap();
    assert_eq!(queue, on_chain.tranches[1].queue);

    // The basket: created with the spec's terms, the left-out policy values at their
    // defaults, admitted as a member of the permissioned pool, recorded.
    let basket_address = pda::basket(&issuer.pubkey(), 2_027_001);
    assert_eq!(deployed["basket"]["address"], basket_address.to_string());
    let basket = client::basket(&mut reader, &basket_address).await.unwrap();
    assert_eq!(basket.params, sluice::state::BasketParams { sleeve_target_bps: 1_000, ..BasketParams::DEFAULT });
    assert_eq!(basket.params, BasketParams::DEFAULT, "band, cap and floor left out: the defaults");
    assert_eq!((basket.authority, basket.guardian), (issuer.pubkey(), issuer.pubkey()));
    assert_eq!(basket.constituent_count, 2);
    let terms: Vec<_> = basket
        .active()
        .iter()
        .map(|c| (c.pool, c.tranche, c.haircut_bps, c.cap_bps, c.target_bps, c.enabled))
        .collect();
    assert_eq!(terms, vec![(pool, 0, 200, 10_000, 6_000, true), (pool, 1, 500, 4_000, 2_500, true)]);
    let member = client::member(&mut reader, &pool, &basket_address).await.unwrap().expect("the basket is a member");
    assert_eq!(deployed["basket"]["member_expires_at"], member.expires_at);
    assert_eq!(deployed["basket"]["constituents"][1]["name"], "mezzanine");

    // Tranche tokens: Token-2022 mints with the spec's metadata (the junior's derived), frozen
    // by default in this permissioned pool; the base is classic SPL Token.
    assert_eq!(on_chain.base_token_program, ix::SPL_TOKEN);
    assert_eq!(deployed["base_token_program"], "spl-token");
    let senior = client::mint_metadata(&mut reader, &on_chain.tranches[0].mint).await.unwrap();
    assert_eq!(
        (senior.name.as_str(), senior.symbol.as_str(), senior.uri.as_str()),
        ("Harbor Trade 2027-A Senior", "HT27A-SR", "https://harbor.example/2027-a/senior.json")
    );
    let junior = client::mint_metadata(&mut reader, &on_chain.tranches[2].mint).await.unwrap();
    assert_eq!(
        (junior.name.as_str(), junior.symbol.as_str(), junior.uri.as_str()),
        ("Harbor Trade Receivables 2027-A Junior", "HTR2027A-J", "")
    );
    assert_eq!(deployed["tranches"][2]["symbol"], "HTR2027A-J");
    for t in &on_chain.tranches[..3] {
        assert_eq!(client::token_program_of(&mut reader, &t.mint).await.unwrap(), ix::TOKEN_2022);
        let data = reader.account(&t.mint).await.unwrap().unwrap().data;
        let extensions = sluice_sdk::state::mint_extensions(&data).unwrap();
        assert!(extensions.contains(&sluice_sdk::state::ExtensionType::DefaultAccountState), "{extensions:?}");
    }
    // Every member's tranche accounts (investors and the seeding issuer) were opened and
    // thawed, the basket's vaults too; anyone else's new account starts frozen.
    for m in members {
        let accounts = m["tranche_accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 3, "{m}");
        for a in accounts {
            let a: anchor_lang::prelude::Pubkey = a.as_str().unwrap().parse().unwrap();
            assert!(!client::is_frozen(&mut reader, &a).await.unwrap(), "{a} of {m} frozen");
        }
    }
    for c in deployed["basket"]["constituents"].as_array().unwrap() {
        let vault: anchor_lang::prelude::Pubkey = c["vault"].as_str().unwrap().parse().unwrap();
        assert!(!client::is_frozen(&mut reader, &vault).await.unwrap(), "basket vault {vault} frozen");
    }
    let stranger = Keypair::new().pubkey();
    let mint = on_chain.tranches[0].mint;
    let payer = reader.payer().pubkey();
    reader.airdrop(&payer, 1_000_000_000).await.unwrap();
    reader.send(&[ix::token::create_associated(&ix::TOKEN_2022, &payer, &stranger, &mint)], &[]).await.unwrap();
    let strangers = ix::token::associated(&ix::TOKEN_2022, &stranger, &mint);
    assert!(client::is_frozen(&mut reader, &strangers).await.unwrap(), "a non-member's account starts frozen");

    // A re-run, a day later, finds everything in place and sends nothing.
    reader.advance_clock(86_400).await.unwrap();
    let before = client::pool(&mut reader, &pool).await.unwrap();
    let again = json(&run(with(&["--record", record.to_str().unwrap()])));
    assert_eq!(count(&again, "applied"), 0, "{again:#}");
    assert_eq!(count(&again, "planned"), 0);
    assert_eq!(again["verified"], true);
    let after = client::pool(&mut reader, &pool).await.unwrap();
    assert_eq!((before.nav, before.cash, before.receivable_count), (after.nav, after.cash, after.receivable_count));
    let unchanged = client::basket(&mut reader, &basket_address).await.unwrap();
    assert_eq!(format!("{unchanged:?}"), format!("{basket:?}"), "a re-run left the basket alone");

    // What is on chain and cannot change is a conflict, named, with nothing sent: a
    // receivable whose CSV row was edited …
    let csv = spec.with_extension("csv");
    let original_csv = std::fs::read_to_string(&csv).unwrap();
    let mut rows: Vec<String> = original_csv.lines().map(String::from).collect();
    let mut cols: Vec<String> = rows[4].split(',').map(String::from).collect();
    cols[1] = format!("{}", cols[1].parse::<u64>().unwrap() + 1);
    rows[4] = cols.join(",");
    std::fs::write(&csv, rows.join("\n") + "\n").unwrap();
    let out = run(with(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("harbor-trade-2027a.csv:5: receivable 3 on chain") && stderr.contains("differs"),
        "{stderr}"
    );
    std::fs::write(&csv, &original_csv).unwrap();

    // … a pool made permissionless once it has tranches …
    let toml = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, toml.replacen("permissioned = true", "permissioned = false", 1)).unwrap();
    let out = run(with(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("fixed once the pool has tranches"), "{stderr}");
    assert!(client::pool(&mut reader, &pool).await.unwrap().params.permissioned);
    std::fs::write(&spec, &toml).unwrap();

    // … and a tranche whose terms were edited.
    let toml = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, toml.replacen("coupon_bps = 750", "coupon_bps = 760", 1)).unwrap();
    let out = run(with(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("tranche 0 (senior) exists with coupon 750 bps"), "{stderr}");
    let unchanged = client::pool(&mut reader, &pool).await.unwrap();
    assert_eq!(
        (unchanged.nav, unchanged.cash, unchanged.receivable_count),
        (after.nav, after.cash, after.receivable_count)
    );

    std::fs::write(&spec, &toml).unwrap();

    // New token metadata in the spec: a re-run rewrites exactly that, and verifies it.
    let toml = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, toml.replacen("symbol = \"HT27A-MZ\"", "symbol = \"HT27A-M\"", 1)).unwrap();
    let renamed = json(&run(with(&["--record", record.to_str().unwrap()])));
    assert_eq!(renamed["verified"], true, "{renamed:#}");
    // The metadata, then the reprice every run that changed something ends with.
    let applied: Vec<&Value> =
        renamed["steps"].as_array().unwrap().iter().filter(|s| s["state"] == "applied").collect();
    assert_eq!(applied.len(), 2, "{renamed:#}");
    assert_eq!(applied[1]["what"], "reprice");
    assert!(applied[0]["what"].as_str().unwrap().starts_with("token metadata of tranche 1"), "{renamed:#}");
    let mezzanine = client::mint_metadata(&mut reader, &on_chain.tranches[1].mint).await.unwrap();
    assert_eq!((mezzanine.name.as_str(), mezzanine.symbol.as_str()), ("Harbor Trade 2027-A Mezzanine", "HT27A-M"));
    std::fs::write(&spec, &toml).unwrap();
    let restored = json(&run(with(&["--record", record.to_str().unwrap()])));
    assert_eq!((count(&restored, "applied"), restored["verified"].clone()), (2, Value::Bool(true)), "{restored:#}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_malformed_spec_is_rejected_with_its_line_before_anything_is_sent() {
    let dir = scratch("bad");
    let keypair = dir.join("issuer.json");
    write_keypair(&Keypair::new(), &keypair).unwrap();
    let text = std::fs::read_to_string(example()).unwrap();
    std::fs::copy(example().with_extension("csv"), dir.join("harbor-trade-2027a.csv")).unwrap();

    // A semantic error: a coupon over the program's bound, on a known line.
    let bad = text.replacen("coupon_bps = 1150", "coupon_bps = 9150", 1);
    let line = bad.lines().position(|l| l.contains("9150")).unwrap() + 1;
    let path = dir.join("bad-coupon.toml");
    std::fs::write(&path, &bad).unwrap();
    // No node listens on this port: reaching the network would fail differently.
    let out = migrate(&[path.to_str().unwrap(), "--url", "http://127.0.0.1:9", "--keypair", keypair.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let tranche_line = bad[..bad.find("9150").unwrap()].rfind("[[tranches]]").unwrap();
    let tranche_line = bad[..tranche_line].lines().count() + 1;
    assert!(stderr.contains(&format!("bad-coupon.toml:{tranche_line}:")), "{stderr} (coupon on line {line})");
    assert!(stderr.contains("nothing was sent"), "{stderr}");

    // A syntax error.
    let broken = text.replacen("installments = 7", "installments = = 7", 1);
    let line = broken.lines().position(|l| l.contains("= = 7")).unwrap() + 1;
    let path = dir.join("broken.toml");
    std::fs::write(&path, &broken).unwrap();
    let out = migrate(&[path.to_str().unwrap(), "--url", "http://127.0.0.1:9", "--keypair", keypair.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("broken.toml:{line}:")), "{stderr}");

    // A bad CSV row names the CSV file and its line.
    let csv = std::fs::read_to_string(example().with_extension("csv")).unwrap();
    let mut rows: Vec<String> = csv.lines().map(String::from).collect();
    rows[5] =
        rows[5].replacen(",0,", ",7,", 1).replacen(",1,", ",7,", 1).replacen(",2,", ",7,", 1).replacen(",3,", ",7,", 1);
    std::fs::write(dir.join("harbor-trade-2027a.csv"), rows.join("\n")).unwrap();
    let path = dir.join("harbor-trade-2027a.toml");
    std::fs::write(&path, &text).unwrap();
    let out = migrate(&[path.to_str().unwrap(), "--url", "http://127.0.0.1:9", "--keypair", keypair.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("harbor-trade-2027a.csv:6:") && stderr.contains("risk_class"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_example_can_be_rehearsed_after_its_dates_have_passed() {
    let later = sluice_sdk::units::parse_date("2031-06-01").unwrap();
    let issuer = Keypair::new().pubkey();
    let stale = sluice_migrate::Spec::load(&example(), later, &issuer).unwrap_err().to_string();
    assert!(stale.contains("is not in the future") && stale.contains("is in the past"), "{stale}");
    let dir = scratch("rehearsal");
    let copy = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir, later, 90).unwrap();
    let spec = sluice_migrate::Spec::load(&copy, later, &issuer).expect("the rehearsal copy is valid");
    let first_due = spec.receivables.iter().map(|r| r.args.due_ts).min().unwrap();
    assert_eq!(first_due, later + 90 * 86_400);
    let original = sluice_migrate::Spec::load(&example(), 0, &issuer).unwrap();
    let span = |s: &sluice_migrate::Spec| {
        let due: Vec<i64> = s.receivables.iter().map(|r| r.args.due_ts).collect();
        due.iter().max().unwrap() - due.iter().min().unwrap()
    };
    assert_eq!(span(&spec), span(&original), "the schedule keeps its shape");
    std::fs::remove_dir_all(dir).ok();
}

/// A spec that leaves the overdue schedule out gets the documented default, never an
/// all-zero schedule that keeps dead receivables at face value; one that never writes off
/// in full is refused before anything is sent.
#[test]
fn a_spec_without_an_overdue_schedule_gets_the_safe_default() {
    let issuer = Keypair::new().pubkey();
    let dir = scratch("overdue-default");
    let copy = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir, 0, 90).unwrap();
    let text = std::fs::read_to_string(&copy).unwrap();
    let schedule = "overdue = [\n  { days = 30, haircut_bps = 2500 },\n  { days = 60, haircut_bps = 5000 },\n  { days = 90, haircut_bps = 10000 },\n]\n";
    assert!(text.contains(schedule), "the example spells its schedule out");

    std::fs::write(&copy, text.replace(schedule, "")).unwrap();
    let spec = sluice_migrate::Spec::load(&copy, 0, &issuer).expect("a spec without a schedule is valid");
    assert_eq!(spec.params.overdue_steps, sluice::state::DEFAULT_OVERDUE_STEPS);

    let never = "overdue = [ { days = 30, haircut_bps = 2500 } ]\n";
    std::fs::write(&copy, text.replace(schedule, never)).unwrap();
    let refused = sluice_migrate::Spec::load(&copy, 0, &issuer).unwrap_err().to_string();
    assert!(refused.contains("out of the program's bounds"), "{refused}");
    std::fs::remove_dir_all(dir).ok();
}

/// The `[basket]` section is checked against the program's own bounds before anything is
/// sent; what it leaves out gets `BasketParams::DEFAULT`'s values, never a zero.
#[test]
fn a_basket_section_is_checked_at_plan_time_and_gets_safe_defaults() {
    let issuer = Keypair::new().pubkey();
    let dir = scratch("basket-spec");
    let copy = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir, 0, 90).unwrap();
    let text = std::fs::read_to_string(&copy).unwrap();
    let target = "sleeve_target_bps = 1000";
    assert!(text.contains(target), "the example sets its sleeve target");

    // Left out: every policy value is the default; the guardian is the issuer.
    std::fs::write(&copy, text.replace(target, "")).unwrap();
    let spec = sluice_migrate::Spec::load(&copy, 0, &issuer).expect("a basket without a policy is valid");
    let basket = spec.basket.expect("a basket");
    assert_eq!((basket.id, basket.guardian, basket.params), (2_027_001, issuer, BasketParams::DEFAULT));
    assert_eq!(basket.constituents.iter().map(|k| k.tranche).collect::<Vec<_>>(), vec![0, 1]);
    assert!(!basket.constituents[0].args.allow_junior && basket.constituents[0].args.enabled);
    // Only a sleeve target given: the others stay at their defaults.
    std::fs::write(&copy, text.replace(target, "sleeve_target_bps = 1500")).unwrap();
    let params = sluice_migrate::Spec::load(&copy, 0, &issuer).unwrap().basket.unwrap().params;
    assert_eq!(params, BasketParams { sleeve_target_bps: 1_500, ..BasketParams::DEFAULT });

    let senior = "tranche = \"senior\"\nhaircut_bps = 200";
    assert!(text.contains(senior));
    let mezzanine = "tranche = \"mezzanine\"\nhaircut_bps = 500";
    assert!(text.contains(mezzanine));
    let refused = |edited: String, expect: &str| {
        let path = dir.join("bad-basket.toml");
        std::fs::write(&path, &edited).unwrap();
        let message = sluice_migrate::Spec::load(&path, 0, &issuer).unwrap_err().to_string();
        assert!(message.contains(expect), "expected {expect:?} in: {message}");
        message
    };
    // A floor above target − band (with the default band), a cap above 100 %.
    refused(text.replace(target, "sleeve_target_bps = 400"), "sleeve policy out of the program's bounds");
    refused(text.replace(target, "sleeve_target_bps = 1000\nredeem_cap_bps = 10001"), "out of the program's bounds");
    refused(text.replace(target, "sleeve_target_bps = 6000"), "sleeve_target_bps 6000 at most 5000");
    // Constituent terms as `add_constituent` checks them.
    refused(text.replace(senior, "tranche = \"senior\"\nhaircut_bps = 5001"), "haircut_bps 5001 above 5000");
    refused(text.replace("cap_bps = 4000", "cap_bps = 0"), "cap_bps 0 not within 1 to 10000");
    refused(text.replace("target_bps = 2500", "target_bps = 4500"), "target_bps 4500 above its cap_bps 4000");
    refused(text.replace("target_bps = 6000", "target_bps = 7000"), "add up to 10500, more than 10000");
    refused(text.replace(mezzanine, "tranche = \"junior\"\nhaircut_bps = 500"), "needs allow_junior = true");
    refused(
        text.replace(mezzanine, "tranche = 2\nallow_junior = true\nhaircut_bps = 1999"),
        "haircut_bps of at least 2000",
    );
    refused(text.replace(mezzanine, "tranche = \"senior\"\nhaircut_bps = 500"), "listed twice");
    refused(text.replace(mezzanine, "tranche = \"equity\"\nhaircut_bps = 500"), "no tranche \"equity\"");
    refused(text.replace(mezzanine, "tranche = 3\nhaircut_bps = 500"), "no tranche 3");
    // A junior admitted with its allowance and haircut is fine.
    let junior = text.replace(mezzanine, "tranche = \"junior\"\nallow_junior = true\nhaircut_bps = 2000");
    std::fs::write(&copy, &junior).unwrap();
    sluice_migrate::Spec::load(&copy, 0, &issuer).expect("a junior with allow_junior and a 20 % haircut");

    // The tool refuses a bad basket before it touches the network, naming the line.
    let keypair = dir.join("issuer.json");
    write_keypair(&Keypair::new(), &keypair).unwrap();
    let bad = text.replace("cap_bps = 4000", "cap_bps = 0");
    let path = dir.join("bad-basket.toml");
    std::fs::write(&path, &bad).unwrap();
    let line = bad[..bad.rfind("[[basket.constituents]]").unwrap()].lines().count() + 1;
    let out = migrate(&[path.to_str().unwrap(), "--url", "http://127.0.0.1:9", "--keypair", keypair.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("bad-basket.toml:{line}:")) && stderr.contains("nothing was sent"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

/// A base stablecoin under Token-2022, in a permissionless pool: the migration creates the
/// mint under that program, seeds, funds receivables and the reserve, opens the market and
/// the basket through it, and verifies; tranche accounts are never frozen. A spec naming the
/// other program for that existing mint is a conflict, with nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_2022_base_in_a_permissionless_pool_migrates_and_verifies() {
    let net = localnet();
    let dir = scratch("token-2022");
    let (issuer, keypair) = funded_issuer(&net.url, &dir).await;
    let mut reader = RpcChain::new(&net.url, Keypair::new());
    let now = reader.now().await.unwrap();
    let spec = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir.join("spec"), now, 90).unwrap();
    let text = std::fs::read_to_string(&spec).unwrap();
    let text = text.replacen("token_program = \"spl-token\"", "token_program = \"token-2022\"", 1).replacen(
        "permissioned = true",
        "permissioned = false",
        1,
    );
    std::fs::write(&spec, &text).unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> =
            vec![spec.to_str().unwrap().into(), "--url".into(), net.url.clone(), "--keypair".into()];
        v.push(keypair.to_str().unwrap().into());
        v.push("--json".into());
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>| migrate(&v.iter().map(String::as_str).collect::<Vec<_>>());

    let report = json(&run(args(&[])));
    assert_eq!(report["verified"], true, "{report:#}");
    assert_eq!(report["deployment"]["base_token_program"], "token-2022");
    let pool = pda::pool(&issuer.pubkey(), 2_027_001);
    let on_chain = client::pool(&mut reader, &pool).await.unwrap();
    assert_eq!(on_chain.base_token_program, ix::TOKEN_2022);
    assert_eq!(client::token_program_of(&mut reader, &on_chain.base_mint).await.unwrap(), ix::TOKEN_2022);
    assert_eq!(on_chain.receivable_count, 24);
    assert_eq!(on_chain.reserve_balance, 63_000_000_000);
    // The seed deposits went through: the issuer holds every tranche, in thawed accounts of
    // mints without a default frozen state.
    for t in 0..3u8 {
        let mint = on_chain.tranches[t as usize].mint;
        let data = reader.account(&mint).await.unwrap().unwrap().data;
        let extensions = sluice_sdk::state::mint_extensions(&data).unwrap();
        assert!(!extensions.contains(&sluice_sdk::state::ExtensionType::DefaultAccountState), "{extensions:?}");
        let held = ix::token::associated(&ix::TOKEN_2022, &issuer.pubkey(), &mint);
        assert!(client::token_balance(&mut reader, &held).await.unwrap() > 0);
        assert!(!client::is_frozen(&mut reader, &held).await.unwrap());
    }
    let members = report["deployment"]["members"].as_array().unwrap();
    assert!(members.iter().all(|m| m["tranche_accounts"].as_array().unwrap().is_empty()), "{members:?}");
    // The receivables were paid out to the issuer's Token-2022 base account.
    let issuer_base = ix::token::associated(&ix::TOKEN_2022, &issuer.pubkey(), &on_chain.base_mint);
    assert!(client::token_balance(&mut reader, &issuer_base).await.unwrap() > 0);

    // The existing mint named as classic SPL Token: a conflict before anything is sent.
    let mint = on_chain.base_mint.to_string();
    let named = text
        .replacen("create = true", &format!("mint = \"{mint}\""), 1)
        .replacen("mint_to_issuer = \"10000000\"\n", "", 1)
        .replacen("token_program = \"token-2022\"", "token_program = \"spl-token\"", 1);
    std::fs::write(&spec, &named).unwrap();
    let out = run(args(&["--dry-run"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("belongs to token-2022") && stderr.contains("spl-token"), "{stderr}");
    // Without the check, the program is read from the mint: nothing left to do.
    std::fs::write(&spec, named.replacen("token_program = \"spl-token\"", "", 1)).unwrap();
    let again = json(&run(args(&["--dry-run"])));
    assert_eq!(count(&again, "planned"), 0, "{again:#}");
    std::fs::remove_dir_all(dir).ok();
}

/// Tranche metadata left out gets its documented default (never an empty name or symbol);
/// lengths beyond the program's, and an unknown base token program, are refused at plan
/// time with their lines.
#[test]
fn tranche_metadata_defaults_and_bounds_are_checked_at_plan_time() {
    use sluice_migrate::spec::default_metadata;
    let issuer = Keypair::new().pubkey();
    let dir = scratch("metadata-spec");
    let copy = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir, 0, 90).unwrap();
    let text = std::fs::read_to_string(&copy).unwrap();
    let spec = sluice_migrate::Spec::load(&copy, 0, &issuer).unwrap();
    let m = &spec.tranches[2].args.metadata;
    assert_eq!(
        (m.name.as_str(), m.symbol.as_str(), m.uri.as_str()),
        ("Harbor Trade Receivables 2027-A Junior", "HTR2027A-J", "")
    );
    assert_eq!(spec.tranches[0].args.metadata.symbol, "HT27A-SR");
    assert_eq!(
        spec.base,
        sluice_migrate::spec::BaseMint::Create { mint_to_issuer: 10_000_000_000_000, token_program: ix::SPL_TOKEN }
    );

    // Defaults by seniority, cut to the program's lengths, never empty.
    let long = "Very Long Pool Name Of An Issuer With Many Words In It 2031-B Series Seven Twelve";
    for (i, n, rank) in [(0, 3, "Senior"), (1, 3, "Mezzanine"), (2, 3, "Junior"), (0, 1, "Senior"), (1, 2, "Junior")] {
        let d = default_metadata(long, i, n);
        assert!(d.name.len() <= 64 && d.name.ends_with(rank), "{d:?}");
        assert!(d.symbol.len() <= 16 && d.symbol.ends_with(&format!("-{}", &rank[..1])), "{d:?}");
    }
    assert_eq!(default_metadata("!!", 0, 2).symbol, "SLC-S");
    assert_eq!(default_metadata("", 1, 2).name, "Junior");

    // Left out entirely, the senior's too; without [base] token_program, classic SPL Token.
    let plain = text
        .replacen("token_name = \"Harbor Trade 2027-A Senior\"\n", "", 1)
        .replacen("symbol = \"HT27A-SR\"\n", "", 1)
        .replacen("uri = \"https://harbor.example/2027-a/senior.json\"\n", "", 1)
        .replacen("token_program = \"spl-token\"", "", 1);
    std::fs::write(&copy, &plain).unwrap();
    let spec = sluice_migrate::Spec::load(&copy, 0, &issuer).unwrap();
    assert_eq!(spec.tranches[0].args.metadata, default_metadata("Harbor Trade Receivables 2027-A", 0, 3));
    assert!(
        matches!(spec.base, sluice_migrate::spec::BaseMint::Create { token_program, .. } if token_program == ix::SPL_TOKEN)
    );

    let refused = |edited: String, expect: &str| {
        let path = dir.join("bad-metadata.toml");
        std::fs::write(&path, &edited).unwrap();
        let message = sluice_migrate::Spec::load(&path, 0, &issuer).unwrap_err().to_string();
        assert!(message.contains(expect), "expected {expect:?} in: {message}");
        message
    };
    let senior_symbol = "symbol = \"HT27A-SR\"";
    let senior_name = "token_name = \"Harbor Trade 2027-A Senior\"";
    let senior_uri = "uri = \"https://harbor.example/2027-a/senior.json\"";
    let m = refused(
        text.replacen(senior_symbol, "symbol = \"HT27A-SENIOR-NOTES\"", 1),
        "tranche senior: symbol must be 1 to 16 bytes",
    );
    let header = text[..text.find("name = \"senior\"").unwrap()].rfind("[[tranches]]").unwrap();
    let tranche_line = text[..header].lines().count() + 1;
    assert!(m.contains(&format!("bad-metadata.toml:{tranche_line}:")), "{m}");
    refused(text.replacen(senior_name, "token_name = \"\"", 1), "token_name must be 1 to 64 bytes");
    let long_name = format!("token_name = \"{}\"", "x".repeat(65));
    refused(text.replacen(senior_name, &long_name, 1), "token_name must be 1 to 64 bytes");
    let long_uri = format!("uri = \"https://{}\"", "u".repeat(200));
    refused(text.replacen(senior_uri, &long_uri, 1), "uri must be at most 200 bytes");
    let m = refused(
        text.replacen("token_program = \"spl-token\"", "token_program = \"token-2023\"", 1),
        "base.token_program: \"spl-token\" or \"token-2022\", not \"token-2023\"",
    );
    let program_line = text[..text.find("token_program = ").unwrap()].lines().count() + 1;
    assert!(m.contains(&format!("bad-metadata.toml:{program_line}:")), "{m}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_command_line_answers_help_version_and_completions_and_refuses_extra_arguments() {
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).to_string();
    for args in [&["--help"][..], &["--version"], &["--completions", "zsh"]] {
        let out = migrate(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    assert!(String::from_utf8_lossy(&migrate(&["--help"]).stdout).contains("--dry-run"));
    let out = migrate(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SPEC.toml"), "{}", stderr(&out));
    let spec = example();
    let out = migrate(&[spec.to_str().unwrap(), "extra", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "an extra argument is refused: {}", stderr(&out));
    let out = migrate(&[spec.to_str().unwrap(), "--record"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The plan counts what it spends: a spec whose issuer mints too few base tokens, or a
/// payer without the SOL for the rent, fails its dry run — naming the shortfall — and sends
/// nothing; a market given first liquidity opens at NAV with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_checks_funds_and_a_market_gets_its_first_liquidity() {
    let net = localnet();
    let dir = scratch("funds");
    let (issuer, keypair) = funded_issuer(&net.url, &dir).await;
    let mut reader = RpcChain::new(&net.url, Keypair::new());
    let now = reader.now().await.unwrap();
    let spec = sluice_migrate::rehearsal::rehearsal_copy(&example(), &dir.join("spec"), now, 90).unwrap();
    let text = std::fs::read_to_string(&spec).unwrap();
    let with_liquidity =
        text.replace("[[markets]]\ntranche = 0\n", "[[markets]]\ntranche = 0\nliquidity = \"100000\"\n");
    assert_ne!(with_liquidity, text, "the example has a senior market");
    let args = |spec: &Path, extra: &[&str]| {
        let mut v = vec![spec.to_str().unwrap().to_string(), "--url".into(), net.url.clone()];
        v.extend(["--keypair".to_string(), keypair.to_str().unwrap().to_string()]);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>| migrate(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let pool = pda::pool(&issuer.pubkey(), 2_027_001);

    // Too few base tokens minted to the issuer: the dry run names the shortfall.
    let short = dir.join("spec/short.toml");
    std::fs::write(&short, with_liquidity.replace("mint_to_issuer = \"10000000\"", "mint_to_issuer = \"1000000\""))
        .unwrap();
    let out = run(args(&short, &["--dry-run"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the issuer holds 1000000.000000 base tokens and this plan spends 4363000.000000"),
        "{stderr}"
    );
    assert!(client::try_pool(&mut reader, &pool).await.unwrap().is_none());

    // A payer without SOL for the rent: named too, before anything is sent.
    let poor = Keypair::new();
    let poor_file = dir.join("poor.json");
    write_keypair(&poor, &poor_file).unwrap();
    RpcChain::new(&net.url, Keypair::new()).airdrop(&poor.pubkey(), 10_000_000).await.unwrap();
    let mut v = args(&dir.join("spec").join(spec.file_name().unwrap()), &["--dry-run"]);
    v[4] = poor_file.to_str().unwrap().to_string();
    let out = run(v);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("holds 0.010 SOL and this plan needs about"), "{stderr}");

    // With the funds: the plan states them, and the market opens with its liquidity at NAV.
    let full = dir.join("spec/full.toml");
    std::fs::write(&full, &with_liquidity).unwrap();
    let plan = json(&run(args(&full, &["--dry-run", "--json"])));
    let steps = plan["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["what"].as_str().unwrap().starts_with("funds: the plan spends 4363000.000000 base tokens")),
        "{plan:#}"
    );
    assert!(steps.iter().any(|s| s["what"].as_str().unwrap().contains("first liquidity")), "{plan:#}");
    let applied = json(&run(args(&full, &["--json"])));
    assert_eq!(applied["verified"], true, "{applied:#}");
    let amm = client::amm(&mut reader, &pda::amm(&pool, 0)).await.unwrap();
    assert!(amm.lp_supply > 0);
    let keys = ix::AmmKeys::new(&ix::PoolKeys::of(&client::pool(&mut reader, &pool).await.unwrap()), 0);
    let base = client::token_balance(&mut reader, &keys.base_vault).await.unwrap();
    assert_eq!(base, 100_000_000_000, "100,000 base tokens a side");
    let again = json(&run(args(&full, &["--json"])));
    assert_eq!(count(&again, "applied"), 0, "a re-run adds no second liquidity: {again:#}");
    std::fs::remove_dir_all(&dir).ok();
}
