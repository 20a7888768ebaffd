//! Token accounts and mints of both token programs (SPL Token and Token-2022), read the way
//! a validator's RPC reads them: the base state through Token-2022's layout (which classic
//! accounts share), UI amounts through the account decoder with the mint's decimals and its
//! interest-bearing or scaled-UI-amount extension.

use anchor_lang::prelude::Pubkey;
use serde_json::Value;
use solana_account::Account;
use solana_account_decoder::parse_account_data::{AccountAdditionalDataV3, SplTokenAdditionalDataV2};
use solana_account_decoder::parse_token::{
    is_known_spl_token_id, spl_token_ids, token_amount_to_ui_amount_v3, UiTokenAmount,
};
use solana_clock::UnixTimestamp;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcTokenAccountsFilter};
use solana_rpc_client_api::response::{RpcKeyedAccount, RpcTokenAccountBalance};
use spl_token_2022_interface::extension::interest_bearing_mint::InterestBearingConfig;
use spl_token_2022_interface::extension::scaled_ui_amount::ScaledUiAmountConfig;
use spl_token_2022_interface::extension::{BaseStateWithExtensions, StateWithExtensions};
use spl_token_2022_interface::state::{Account as TokenAccount, Mint};

use crate::node::{optional, param, parse_pubkey, pubkey, Node, RpcFault, RpcResult};

/// Accounts `getTokenLargestAccounts` lists, as a validator.
const LARGEST_ACCOUNTS: usize = 20;

/// The fields of a token account the RPC methods filter and report on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
}

/// The account as a token account of either token program, if it is one.
pub fn holding(account: &Account) -> Option<Holding> {
    if !is_known_spl_token_id(&account.owner) {
        return None;
    }
    let state = StateWithExtensions::<TokenAccount>::unpack(&account.data).ok()?;
    let base = state.base;
    Some(Holding { mint: base.mint, owner: base.owner, amount: base.amount, delegate: Option::from(base.delegate) })
}

/// A mint of either token program: its supply and what its amounts need to be shown.
#[derive(Clone, Copy)]
pub struct MintInfo {
    pub supply: u64,
    pub display: SplTokenAdditionalDataV2,
}

impl MintInfo {
    pub fn ui_amount(&self, amount: u64) -> UiTokenAmount {
        token_amount_to_ui_amount_v3(amount, &self.display)
    }

    pub fn additional_data(&self) -> AccountAdditionalDataV3 {
        AccountAdditionalDataV3 { spl_token_additional_data: Some(self.display) }
    }
}

/// The account as a mint, with the cluster time at which interest or scaling applies.
pub fn mint(account: &Account, now: UnixTimestamp) -> Option<MintInfo> {
    if !is_known_spl_token_id(&account.owner) {
        return None;
    }
    let state = StateWithExtensions::<Mint>::unpack(&account.data).ok()?;
    let display = SplTokenAdditionalDataV2 {
        decimals: state.base.decimals,
        interest_bearing_config: state.get_extension::<InterestBearingConfig>().ok().map(|c| (*c, now)),
        scaled_ui_amount_config: state.get_extension::<ScaledUiAmountConfig>().ok().map(|c| (*c, now)),
    };
    Some(MintInfo { supply: state.base.supply, display })
}

/// Whose token accounts a `getTokenAccountsBy*` call asks for.
#[derive(Clone, Copy)]
enum Party {
    Owner(Pubkey),
    Delegate(Pubkey),
}

impl Party {
    fn holds(&self, h: &Holding) -> bool {
        match self {
            Party::Owner(o) => h.owner == *o,
            Party::Delegate(d) => h.delegate == Some(*d),
        }
    }
}

impl Node {
    /// Answers a token method, or None when `method` is not one.
    pub(crate) async fn token_call(&mut self, method: &str, params: &[Value]) -> Option<RpcResult> {
        Some(match method {
            "getTokenAccountsByOwner" => self.token_accounts_of(params, Party::Owner).await,
            "getTokenAccountsByDelegate" => self.token_accounts_of(params, Party::Delegate).await,
            "getTokenSupply" => self.token_supply(params).await,
            "getTokenAccountBalance" => self.token_account_balance(params).await,
            "getTokenLargestAccounts" => self.token_largest_accounts(params).await,
            _ => return None,
        })
    }

    /// The token accounts among those transactions have touched, with their state.
    async fn known_holdings(&mut self) -> Result<Vec<(Pubkey, Account, Holding)>, RpcFault> {
        let candidates: Vec<Pubkey> = self.known_accounts.iter().copied().collect();
        let mut out = Vec::new();
        for address in candidates {
            let Some(account) = self.account(&address).await? else { continue };
            if let Some(h) = holding(&account) {
                out.push((address, account, h));
            }
        }
        Ok(out)
    }

    async fn mint_or_fault(&mut self, address: &Pubkey) -> Result<MintInfo, RpcFault> {
        let Some(account) = self.account(address).await? else {
            return Err(RpcFault::invalid_param("could not find mint"));
        };
        let now = self.clock().await?.unix_timestamp;
        mint(&account, now).ok_or_else(|| RpcFault::invalid_param("not a Token mint"))
    }

    async fn token_accounts_of(&mut self, params: &[Value], party: fn(Pubkey) -> Party) -> RpcResult {
        let party = party(pubkey(params, 0)?);
        let filter: RpcTokenAccountsFilter = param(params, 1, "filter")?;
        let config: RpcAccountInfoConfig = optional(params, 2, "config")?;
        let (mint_filter, program) = match filter {
            RpcTokenAccountsFilter::Mint(m) => {
                let mint_key = parse_pubkey(&m)?;
                let Some(account) = self.account(&mint_key).await? else {
                    return Err(RpcFault::invalid_param("could not find mint"));
                };
                if !is_known_spl_token_id(&account.owner) {
                    return Err(RpcFault::invalid_param("not a Token mint"));
                }
                (Some(mint_key), account.owner)
            }
            RpcTokenAccountsFilter::ProgramId(p) => {
                let program = parse_pubkey(&p)?;
                if !spl_token_ids().contains(&program) {
                    return Err(RpcFault::invalid_param("unrecognized Token program id"));
                }
                (None, program)
            }
        };
        let mut found = Vec::new();
        for (address, account, h) in self.known_holdings().await? {
            if account.owner != program || !party.holds(&h) || mint_filter.is_some_and(|m| m != h.mint) {
                continue;
            }
            let account = self.encode_account(&address, &account, &config).await?;
            found.push(RpcKeyedAccount { pubkey: address.to_string(), account });
        }
        self.with_context(found)
    }

    async fn token_supply(&mut self, params: &[Value]) -> RpcResult {
        let address = pubkey(params, 0)?;
        let info = self.mint_or_fault(&address).await?;
        self.with_context(info.ui_amount(info.supply))
    }

    async fn token_account_balance(&mut self, params: &[Value]) -> RpcResult {
        let address = pubkey(params, 0)?;
        let Some(account) = self.account(&address).await? else {
            return Err(RpcFault::invalid_param("could not find account"));
        };
        let h = holding(&account).ok_or_else(|| RpcFault::invalid_param("not a Token account"))?;
        let info = self.mint_or_fault(&h.mint).await?;
        self.with_context(info.ui_amount(h.amount))
    }

    async fn token_largest_accounts(&mut self, params: &[Value]) -> RpcResult {
        let address = pubkey(params, 0)?;
        let info = self.mint_or_fault(&address).await?;
        let mut holdings: Vec<(Pubkey, u64)> = self
            .known_holdings()
            .await?
            .into_iter()
            .filter(|(_, _, h)| h.mint == address)
            .map(|(a, _, h)| (a, h.amount))
            .collect();
        holdings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let largest: Vec<RpcTokenAccountBalance> = holdings
            .into_iter()
            .take(LARGEST_ACCOUNTS)
            .map(|(a, amount)| RpcTokenAccountBalance { address: a.to_string(), amount: info.ui_amount(amount) })
            .collect();
        self.with_context(largest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_program_pack::Pack;

    fn packed<T: Pack>(state: T) -> Vec<u8> {
        let mut data = vec![0; T::LEN];
        state.pack_into_slice(&mut data);
        data
    }

    #[test]
    fn reads_accounts_and_mints_of_both_programs_and_nothing_else() {
        let (mint_key, owner) = (Pubkey::new_unique(), Pubkey::new_unique());
        let data = packed(spl_token_2022_interface::state::Account {
            mint: mint_key,
            owner,
            amount: 1_250_000,
            state: spl_token_2022_interface::state::AccountState::Initialized,
            ..Default::default()
        });
        for program in
            [spl_token_2022_interface::ID, anchor_lang::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")]
        {
            let account = Account { lamports: 1, data: data.clone(), owner: program, executable: false, rent_epoch: 0 };
            assert_eq!(holding(&account), Some(Holding { mint: mint_key, owner, amount: 1_250_000, delegate: None }));
            assert!(mint(&account, 0).is_none(), "a token account is not a mint");
        }
        let elsewhere = Account { lamports: 1, data, owner: Pubkey::new_unique(), executable: false, rent_epoch: 0 };
        assert!(holding(&elsewhere).is_none());

        let mint_data = packed(spl_token_2022_interface::state::Mint {
            supply: 7_000_000,
            decimals: 6,
            is_initialized: true,
            ..Default::default()
        });
        let account = Account {
            lamports: 1,
            data: mint_data,
            owner: spl_token_2022_interface::ID,
            executable: false,
            rent_epoch: 0,
        };
        let info = mint(&account, 0).unwrap();
        assert_eq!(info.supply, 7_000_000);
        let ui = info.ui_amount(1_250_000);
        assert_eq!((ui.amount.as_str(), ui.decimals, ui.ui_amount_string.as_str()), ("1250000", 6, "1.25"));
    }
}
