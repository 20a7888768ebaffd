//! The demo's basket scene: a value-anchored basket over the pool's senior and mezzanine
//! tranches fills its sleeve through the senior queue in a calm week; in the redemption
//! wave a mezzanine holder whose request waits in the queue exits at once through it.

use sluice::state::BasketParams;
use sluice_sdk::ix::BasketKeys;

use super::*;

/// Senior tokens the senior investor moves into the basket.
const SENIOR_IN: u64 = 1_000_000 * UNIT;
/// Mezzanine tokens the mezzanine holder exits through the basket in the wave.
const MEZZANINE_OUT: u64 = 40_000 * UNIT;

pub(super) struct Basket {
    pub keys: BasketKeys,
    /// The basket's price before the wave's exit, scaled by 10¹².
    price_e12: u128,
}

impl<C: DevChain> Demo<C> {
    async fn basket_view(&mut self, b: &BasketKeys) -> Result<client::BasketView, String> {
        client::basket_view(&mut self.chain, &b.basket).await.map_err(describe)
    }

    /// Creates the basket (senior at 90 % target weight, mezzanine as a capped extra) and
    /// moves `SENIOR_IN` of `holder`'s senior tokens into it.
    pub(super) async fn open_basket(&mut self, holder: &Investor) -> Result<Basket, String> {
        let issuer = self.issuer.insecure_clone();
        let keys = BasketKeys::new(&issuer.pubkey(), 1, self.keys.base_mint, self.keys.base_token_program);
        let args = CreateBasketArgs { basket_id: 1, guardian: issuer.pubkey(), params: BasketParams::DEFAULT };
        self.send(&[ix::create_basket(&issuer.pubkey(), &keys, args)], &[&issuer]).await?;
        let senior = ConstituentArgs {
            haircut_bps: 200,
            cap_bps: 10_000,
            target_bps: 9_000,
            allow_junior: false,
            enabled: true,
        };
        let mezzanine =
            ConstituentArgs { haircut_bps: 500, cap_bps: 4_000, target_bps: 0, allow_junior: false, enabled: true };
        for (tranche, terms) in [(0u8, senior), (1, mezzanine)] {
            self.send(&[ix::add_constituent(&issuer.pubkey(), &keys, &self.keys, tranche, terms)], &[&issuer]).await?;
        }
        // The pool is permissioned: the basket becomes a member (it queues and deposits), and
        // its vaults, frozen at creation like every tranche account, are thawed.
        let expires = self.chain.now().await.map_err(describe)? + 3 * 365 * SECONDS_PER_DAY;
        let mut admit = vec![ix::set_member(&issuer.pubkey(), &self.keys.pool, &keys.basket, expires)];
        for tranche in [0u8, 1] {
            let vault = pda::basket_vault(&keys.basket, &self.keys.tranche_mint(tranche));
            admit.push(ix::thaw_holder(&issuer.pubkey(), &self.keys.pool, tranche, &vault, &keys.basket));
        }
        self.send(&admit, &[&issuer]).await?;
        let (wallet, _, tokens, _, _) = holder;
        let account =
            client::create_token_account(&mut self.chain, &keys.mint, &wallet.pubkey()).await.map_err(describe)?;
        let member = Some(pda::member(&self.keys.pool, &wallet.pubkey()));
        let exchange = ix::exchange_in(
            &wallet.pubkey(),
            &keys,
            &self.keys.tranche_mint(0),
            tokens,
            &account,
            member,
            &[self.keys.pool, self.keys.pool],
            ExchangeInArgs { index: 0, tokens: SENIOR_IN, min_out: 1 },
        );
        self.send(&[exchange], &[wallet]).await?;
        let minted = client::token_balance(&mut self.chain, &account).await.map_err(describe)?;
        println!(
            "\nA value-anchored basket {}: the senior investor moves {} senior tokens in at the",
            keys.basket,
            usd(SENIOR_IN)
        );
        println!(
            "contract's DCF price and receives {} basket tokens (the 2 % haircut stays in the basket as cover).",
            usd(minted)
        );
        Ok(Basket { keys, price_e12: 0 })
    }

    /// What a keeper does for the basket: collect what its requests were paid, then the
    /// rule's refill or deposit. Returns what happened, in words.
    pub(super) async fn tend_basket(&mut self, b: &Basket, cranker: &Keypair) -> Result<Vec<String>, String> {
        let now = self.chain.now().await.map_err(describe)?;
        let mut events = Vec::new();
        let view = self.basket_view(&b.keys).await?;
        let (collect, _) = preview::basket_rebalance(&view, now).map_err(|e| e.to_string())?;
        for index in collect {
            let before = view.basket.sleeve_balance;
            let view = self.basket_view(&b.keys).await?;
            self.send(&[ix::rebalance(&cranker.pubkey(), &b.keys, &view, index)], &[cranker]).await?;
            let after = self.basket_view(&b.keys).await?.basket.sleeve_balance;
            events.push(format!("basket collects {}", usd(after.saturating_sub(before))));
        }
        let view = self.basket_view(&b.keys).await?;
        match preview::basket_rebalance(&view, now).map_err(|e| e.to_string())?.1 {
            RebalanceAction::Request { index, tokens } => {
                self.send(&[ix::rebalance(&cranker.pubkey(), &b.keys, &view, index)], &[cranker]).await?;
                events.push(format!("basket queues {} tokens of tranche {index}", usd(tokens)));
            }
            RebalanceAction::Deposit { index, amount } => {
                self.send(&[ix::rebalance(&cranker.pubkey(), &b.keys, &view, index)], &[cranker]).await?;
                events.push(format!("basket deposits {} into tranche {index}", usd(amount)));
            }
            RebalanceAction::Nothing => {}
        }
        self.check_basket(b).await?;
        Ok(events)
    }

    /// Sleeve and in-flight value of the basket, for the calm-week table.
    pub(super) async fn basket_sleeve(&mut self, b: &Basket) -> Result<(u64, u64, u64), String> {
        let now = self.chain.now().await.map_err(describe)?;
        let view = self.basket_view(&b.keys).await?;
        let (value, values) = view.value(now).map_err(|e| e.to_string())?;
        let in_flight = sluice::instructions::open_requests(&view.basket)
            .map(|(j, c)| {
                let t = view.pools[j].tranches[c.tranche as usize];
                value_of(view.flights[j].tokens, t.value, t.supply) + view.flights[j].cash
            })
            .sum();
        let _ = values;
        Ok((view.basket.sleeve_balance, in_flight, value))
    }

    /// The wave's exit: `holder` (whose mezzanine request waits in the queue) moves
    /// `MEZZANINE_OUT` tokens into the basket and redeems what it receives from the sleeve,
    /// at once. Returns the event line.
    pub(super) async fn exit_through_basket(&mut self, b: &mut Basket, holder: &Investor) -> Result<String, String> {
        let (wallet, base, tokens, _, _) = holder;
        let account =
            client::create_token_account(&mut self.chain, &b.keys.mint, &wallet.pubkey()).await.map_err(describe)?;
        let now = self.chain.now().await.map_err(describe)?;
        let view = self.basket_view(&b.keys).await?;
        let (value, _) = view.value(now).map_err(|e| e.to_string())?;
        b.price_e12 = value as u128 * 1_000_000_000_000 / view.basket.supply as u128;
        let minted =
            preview::basket_exchange_in(&view, 1, MEZZANINE_OUT, now).ok_or("the basket refuses the exchange")?;
        let member = Some(pda::member(&self.keys.pool, &wallet.pubkey()));
        let args = ExchangeInArgs { index: 1, tokens: MEZZANINE_OUT, min_out: minted };
        let exchange = ix::exchange_in(
            &wallet.pubkey(),
            &b.keys,
            &self.keys.tranche_mint(1),
            tokens,
            &account,
            member,
            &view.priced_accounts(),
            args,
        );
        self.send(&[exchange], &[wallet]).await?;
        let view = self.basket_view(&b.keys).await?;
        let paid = preview::basket_redeem(&view, minted, now).map_err(|e| format!("the sleeve refuses: {e}"))?;
        let redeem = ix::redeem_basket(
            &wallet.pubkey(),
            &b.keys,
            &account,
            base,
            &view.priced_accounts(),
            RedeemBasketArgs { tokens: minted, min_out: paid },
        );
        let cash_before = client::token_balance(&mut self.chain, base).await.map_err(describe)?;
        self.send(&[redeem], &[wallet]).await?;
        let received = client::token_balance(&mut self.chain, base).await.map_err(describe)? - cash_before;
        if received != paid {
            return Err(format!("invariant failed: the sleeve paid {received}, the preview said {paid}"));
        }
        self.check_basket(b).await?;
        Ok(format!("a mezzanine holder whose request waits exits {} at once through the basket", usd(received)))
    }

    /// The basket's books against its accounts; its price never below what it was before
    /// the wave's exit (the exit pays a share of value, floored, and keeps the haircut).
    async fn check_basket(&mut self, b: &Basket) -> Result<(), String> {
        let now = self.chain.now().await.map_err(describe)?;
        let view = self.basket_view(&b.keys).await?;
        let c = &mut self.chain;
        let mut problems = Vec::new();
        if client::mint_supply(c, &b.keys.mint).await.map_err(describe)? != view.basket.supply {
            problems.push("basket mint supply differs from the basket's".to_string());
        }
        if client::token_balance(c, &b.keys.sleeve).await.map_err(describe)? < view.basket.sleeve_balance {
            problems.push("the sleeve holds less than the basket accounts for".to_string());
        }
        for k in view.basket.active() {
            if client::token_balance(c, &k.vault).await.map_err(describe)? < k.held {
                problems.push(format!("vault of tranche {} holds less than the basket accounts for", k.tranche));
            }
        }
        if b.price_e12 > 0 && view.basket.supply > 0 {
            let (value, _) = view.value(now).map_err(|e| e.to_string())?;
            if (value as u128 * 1_000_000_000_000 / view.basket.supply as u128) < b.price_e12 {
                problems.push("the basket's price fell on an exit".to_string());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("invariant failed: {}", problems.join("; ")))
        }
    }
}
