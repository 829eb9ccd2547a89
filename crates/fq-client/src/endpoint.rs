//! Where to connect ([`Endpoint`]) and how ([`ConnectOptions`]).

use crate::error::ClientError;
use std::path::PathBuf;
use std::time::Duration;

/// A kdb+ (or ferroq) process to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// TCP: a host name or address, and a port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix(UnixAddr),
}

/// The address of a Unix domain socket.
///
/// kdb+ started with `-p 5000` also listens on a Unix socket named `/tmp/kx.5000`: on Linux
/// (kdb+ 3.5 and later) in the **abstract** namespace (no file exists), elsewhere as a file.
/// `QUDSPATH` replaces `/tmp`. q connects to it with `` hopen`:unix://5000 ``, which is what
/// [`Endpoint::unix_port`] and the `unix://5000` address form do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixAddr {
    /// A socket file.
    Path(PathBuf),
    /// A Linux abstract socket name (without the leading NUL), e.g. `/tmp/kx.5000`.
    Abstract(Vec<u8>),
}

impl Endpoint {
    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Endpoint {
        Endpoint::Tcp { host: host.into(), port }
    }

    /// A Unix socket file.
    pub fn unix_path(path: impl Into<PathBuf>) -> Endpoint {
        Endpoint::Unix(UnixAddr::Path(path.into()))
    }

    /// A Linux abstract Unix socket, by name without the leading NUL.
    pub fn unix_abstract(name: impl Into<Vec<u8>>) -> Endpoint {
        Endpoint::Unix(UnixAddr::Abstract(name.into()))
    }

    /// The Unix socket a local kdb+ listening on `port` opens, as q's `` `:unix://port ``:
    /// `$QUDSPATH/kx.PORT` (`QUDSPATH` defaults to `/tmp`), abstract on Linux, a file
    /// elsewhere.
    pub fn unix_port(port: u16) -> Endpoint {
        let dir = std::env::var("QUDSPATH").unwrap_or_else(|_| "/tmp".to_owned());
        let name = format!("{dir}/kx.{port}");
        if cfg!(target_os = "linux") {
            Endpoint::unix_abstract(name)
        } else {
            Endpoint::unix_path(name)
        }
    }

    /// Parse an address as q's `hopen` writes it, with or without the leading colon:
    ///
    /// | form | endpoint |
    /// |---|---|
    /// | `5000`, `:5000` | TCP to localhost |
    /// | `host:5000`, `:host:5000`, `tcp://host:5000` | TCP |
    /// | `unix://5000`, `:unix://5000` | the local kdb+ Unix socket ([`Endpoint::unix_port`]) |
    /// | `unix:///path/to/socket` | a socket file |
    /// | `unix://@name` | a Linux abstract socket |
    ///
    /// Credentials in the address (`:host:port:user:pass` in q) are not accepted here;
    /// pass them in [`ConnectOptions`].
    pub fn parse(addr: &str) -> Result<Endpoint, ClientError> {
        let bad = || ClientError::InvalidEndpoint(addr.to_owned());
        let a = addr.strip_prefix(':').unwrap_or(addr);
        if let Some(rest) = a.strip_prefix("unix://") {
            if let Some(name) = rest.strip_prefix('@') {
                return Ok(Endpoint::unix_abstract(name));
            }
            if rest.starts_with('/') {
                return Ok(Endpoint::unix_path(rest));
            }
            return rest.parse().map(Endpoint::unix_port).map_err(|_| bad());
        }
        let a = a.strip_prefix("tcp://").unwrap_or(a);
        let (host, port) = match a.rsplit_once(':') {
            Some((h, p)) => (h.trim_start_matches('[').trim_end_matches(']'), p),
            None => ("", a),
        };
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host = if host.is_empty() { "localhost" } else { host };
        Ok(Endpoint::tcp(host, port))
    }
}

impl std::str::FromStr for Endpoint {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Endpoint, ClientError> {
        Endpoint::parse(s)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(UnixAddr::Path(p)) => write!(f, "unix://{}", p.display()),
            Endpoint::Unix(UnixAddr::Abstract(n)) => {
                write!(f, "unix://@{}", String::from_utf8_lossy(n))
            }
        }
    }
}

/// When to compress outgoing messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    /// kdb+'s rule: compress a message over 2000 bytes when the peer is not on this host
    /// (not loopback, not a Unix socket) and compression at least halves it.
    #[default]
    Auto,
    /// Compress every message over 2000 bytes that compression halves, local peers too.
    Always,
    /// Never compress.
    Never,
}

/// Default capability byte: 3 (guids; no large messages), what qroissant and aiokdb send.
pub const DEFAULT_CAPABILITY: u8 = 3;

/// Default limit on an incoming message: 64 GiB.
pub const DEFAULT_MAX_MESSAGE: u64 = 64 << 30;

/// How to open a connection.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// User name (empty for none).
    pub user: String,
    /// Password.
    pub password: String,
    /// Capability byte sent in the hello: 3 by default; 6 allows messages over 2 GB
    /// (the header carries bits 32–39 of the length).
    pub capability: u8,
    /// Limit on connecting and on the handshake; `None` waits as long as the OS does.
    pub connect_timeout: Option<Duration>,
    /// Limit on each call (sending the request and reading its whole reply); `None` waits
    /// for ever.
    pub timeout: Option<Duration>,
    /// Outgoing compression.
    pub compression: Compression,
    /// Largest message accepted from the server, in bytes, after decompression; a header
    /// announcing more is a [`ClientError::Protocol`] and nothing is allocated for it.
    pub max_message: u64,
    /// Deepest nesting accepted when decoding.
    pub max_depth: usize,
    /// Busy-poll for a response this long before sleeping in `read` (sync connections;
    /// zero, the default, never polls). Saves the thread wake-up on the reply path (tens
    /// of µs on a VM whose cores idle) for a core's worth of polling; the poll yields the
    /// core at every check.
    pub spin: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            user: String::new(),
            password: String::new(),
            capability: DEFAULT_CAPABILITY,
            connect_timeout: Some(Duration::from_secs(10)),
            timeout: None,
            compression: Compression::Auto,
            max_message: DEFAULT_MAX_MESSAGE,
            max_depth: fq_ipc::DEFAULT_MAX_DEPTH,
            spin: Duration::ZERO,
        }
    }
}

impl ConnectOptions {
    /// Default options with credentials.
    pub fn with_credentials(user: &str, password: &str) -> ConnectOptions {
        ConnectOptions {
            user: user.to_owned(),
            password: password.to_owned(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_addresses() {
        assert_eq!(Endpoint::parse("5000").unwrap(), Endpoint::tcp("localhost", 5000));
        assert_eq!(Endpoint::parse(":5000").unwrap(), Endpoint::tcp("localhost", 5000));
        assert_eq!(Endpoint::parse("::5000").unwrap(), Endpoint::tcp("localhost", 5000));
        assert_eq!(Endpoint::parse("h:1").unwrap(), Endpoint::tcp("h", 1));
        assert_eq!(Endpoint::parse(":h:1").unwrap(), Endpoint::tcp("h", 1));
        assert_eq!(Endpoint::parse("tcp://10.0.0.1:7").unwrap(), Endpoint::tcp("10.0.0.1", 7));
        assert_eq!(Endpoint::parse("[::1]:7").unwrap(), Endpoint::tcp("::1", 7));
        assert_eq!(Endpoint::parse("unix:///tmp/s").unwrap(), Endpoint::unix_path("/tmp/s"));
        assert_eq!(Endpoint::parse("unix://@x").unwrap(), Endpoint::unix_abstract("x"));
        assert_eq!(Endpoint::parse(":unix://5000").unwrap(), Endpoint::unix_port(5000));
        assert!(Endpoint::parse("h:x").is_err());
        assert!(Endpoint::parse("unix://x").is_err());
        assert!(Endpoint::parse("h:70000").is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kdb_unix_socket_name() {
        if std::env::var_os("QUDSPATH").is_none() {
            assert_eq!(Endpoint::unix_port(5000), Endpoint::unix_abstract("/tmp/kx.5000"));
        }
    }
}
