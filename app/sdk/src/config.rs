//! Where a tool finds its wallet and cluster: flags first, then the Solana CLI config file
//! (`~/.config/solana/cli/config.yml`), then the defaults a Solana user expects.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use solana_keypair::Keypair;

pub const DEFAULT_URL: &str = "http://127.0.0.1:8899";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

fn file_error(path: &Path, message: impl ToString) -> ConfigError {
    ConfigError::File { path: path.to_path_buf(), message: message.to_string() }
}

/// The fields Sluice reads from the Solana CLI config.
#[derive(Debug, Default, Deserialize)]
pub struct SolanaCliConfig {
    #[serde(default)]
    pub json_rpc_url: Option<String>,
    #[serde(default)]
    pub keypair_path: Option<String>,
}

/// `~/.config/solana/cli/config.yml`, if `HOME` is set.
pub fn default_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/solana/cli/config.yml"))
}

impl SolanaCliConfig {
    /// Reads `path`; a missing default file is an empty config, a missing named file an error.
    pub fn load(path: Option<&Path>) -> Result<SolanaCliConfig, ConfigError> {
        let (path, named) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match default_config_path() {
                Some(p) => (p, false),
                None => return Ok(SolanaCliConfig::default()),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_yaml::from_str(&text).map_err(|e| file_error(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(SolanaCliConfig::default()),
            Err(e) => Err(file_error(&path, e)),
        }
    }

    /// The cluster URL: the flag, else the config, else localhost. Monikers as in the
    /// Solana CLI (`localhost`, `devnet`, `mainnet-beta`, `testnet`) are expanded.
    pub fn url(&self, flag: Option<&str>) -> String {
        let url = flag.map(str::to_string).or_else(|| self.json_rpc_url.clone()).unwrap_or(DEFAULT_URL.into());
        match url.as_str() {
            "l" | "localhost" => DEFAULT_URL.into(),
            "d" | "devnet" => "https://api.devnet.solana.com".into(),
            "t" | "testnet" => "https://api.testnet.solana.com".into(),
            "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
            // "127.0.0.1:8899", "localhost:8899": a host without a scheme is a local node.
            _ if !url.contains("://") => format!("http://{url}"),
            _ => url,
        }
    }

    /// The keypair path: the flag, else the config, else `~/.config/solana/id.json`.
    pub fn keypair_path(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| self.keypair_path.as_ref().map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/solana/id.json")))
            .unwrap_or_else(|| PathBuf::from("id.json"))
    }
}

/// Reads a keypair file as the Solana CLI writes it: a JSON array of 64 bytes.
pub fn read_keypair(path: &Path) -> Result<Keypair, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
    let bytes: Vec<u8> =
        serde_json::from_str(&text).map_err(|e| file_error(path, format!("not a keypair file: {e}")))?;
    Keypair::try_from(bytes.as_slice()).map_err(|e| file_error(path, format!("not a keypair: {e}")))
}

/// Writes `keypair` as the Solana CLI does.
pub fn write_keypair(keypair: &Keypair, path: &Path) -> Result<(), ConfigError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    }
    let text = serde_json::to_string(&keypair.to_bytes().to_vec()).expect("bytes serialize");
    write_private(path, text.as_bytes()).map_err(|e| file_error(path, e))
}

/// Writes a file only its owner may read (a private key): created 0600 on Unix, and an
/// existing file narrowed to 0600 before the key goes in.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    options.open(path)?.write_all(bytes)
}

/// Lets a closed pipe end the program quietly, as it ends every Unix tool (`sluice pools |
/// head -1`), instead of a panic on the next print: Rust ignores SIGPIPE by default.
pub fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal at start, before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_signer::Signer;

    #[test]
    fn keypair_files_round_trip_and_bad_files_are_named() {
        let dir = std::env::temp_dir().join(format!("sluice-config-{}", std::process::id()));
        let path = dir.join("id.json");
        let k = Keypair::new();
        write_keypair(&k, &path).unwrap();
        assert_eq!(read_keypair(&path).unwrap().pubkey(), k.pubkey());
        #[cfg(unix)]
        {
            // A private key is for its owner only, even over a file that was readable by all.
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            write_keypair(&Keypair::new(), &path).unwrap();
            assert_eq!(mode(&path), 0o600);
        }
        std::fs::write(&path, "[1,2,3]").unwrap();
        let e = read_keypair(&path).unwrap_err().to_string();
        assert!(e.contains("id.json") && e.contains("not a keypair"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn flags_beat_the_config_file_and_monikers_expand() {
        let dir = std::env::temp_dir().join(format!("sluice-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yml");
        std::fs::write(
            &path,
            "---\njson_rpc_url: \"http://10.0.0.1:8899\"\nkeypair_path: /keys/me.json\ncommitment: confirmed\n",
        )
        .unwrap();
        let c = SolanaCliConfig::load(Some(&path)).unwrap();
        assert_eq!(c.url(None), "http://10.0.0.1:8899");
        assert_eq!(c.url(Some("devnet")), "https://api.devnet.solana.com");
        assert_eq!(c.url(Some("127.0.0.1:8899")), "http://127.0.0.1:8899");
        assert_eq!(c.url(Some("https://rpc.example")), "https://rpc.example");
        assert_eq!(c.keypair_path(None), PathBuf::from("/keys/me.json"));
        assert_eq!(c.keypair_path(Some(Path::new("k.json"))), PathBuf::from("k.json"));
        assert!(SolanaCliConfig::load(Some(&dir.join("missing.yml"))).is_err());
        std::fs::remove_dir_all(dir).ok();
    }
}
