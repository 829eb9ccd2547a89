//! The connection handshake, as sans-IO state machines.
//!
//! The client sends `user:password`, one capability byte and a NUL. The server answers one
//! byte, the common capability, or closes the connection to reject. A handshake without a
//! capability byte (`user:password\0`, sent by qPython on its retry) means capability 0.
//!
//! Capabilities: 0 (v2.5), 1–2 (compression, timestamps), 3 (guids), 5 (messages over
//! 2 GB), 6 (and vectors over 2 billion items). ferroq answers `min(client, 6)`, which
//! every tested client accepts (aiokdb requires the exact byte it sent, 3).

use crate::IpcError;

/// The highest capability ferroq speaks.
pub const MAX_CAPABILITY: u8 = 6;

/// Longest credential string accepted before the NUL, as a guard against a peer that
/// never sends one.
pub const MAX_HANDSHAKE_LEN: usize = 4096;

/// What the client presented.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Credentials {
    /// User name (bytes before the first `:`; all of it when there is no colon).
    pub user: Vec<u8>,
    /// Password (bytes after the first `:`).
    pub password: Vec<u8>,
    /// The capability byte the client sent (0 for the legacy form).
    pub capability: u8,
}

impl Credentials {
    /// The byte the server answers with: the common capability.
    pub fn reply(&self) -> u8 {
        self.capability.min(MAX_CAPABILITY)
    }

    /// True when the connection may carry messages over 4 GiB (byte 3 of the header).
    pub fn large_messages(&self) -> bool {
        self.reply() >= 5
    }

    /// The user name as text.
    pub fn user_name(&self) -> String {
        String::from_utf8_lossy(&self.user).into_owned()
    }

    fn parse(hello: &[u8]) -> Credentials {
        // The byte before the NUL is a capability byte when it is a control character;
        // printable means the legacy form, where it is the last byte of the credentials.
        let (creds, capability) = match hello.split_last() {
            Some((&c, rest)) if c < 32 => (rest, c),
            _ => (hello, 0),
        };
        let (user, password) = match creds.iter().position(|&b| b == b':') {
            Some(i) => (&creds[..i], &creds[i + 1..]),
            None => (creds, &[][..]),
        };
        Credentials { user: user.to_vec(), password: password.to_vec(), capability }
    }
}

/// Server side: feed received bytes until the credentials are complete.
#[derive(Default, Debug)]
pub struct ServerHandshake {
    buf: Vec<u8>,
}

impl ServerHandshake {
    /// A new handshake.
    pub fn new() -> ServerHandshake {
        ServerHandshake::default()
    }

    /// Feed bytes. Returns the credentials and how many of `bytes` were consumed once the
    /// NUL arrives (the rest is the start of the first message), `None` while more is
    /// needed, or an error when the peer sends too much without a NUL.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<(Credentials, usize)>, IpcError> {
        match bytes.iter().position(|&b| b == 0) {
            Some(i) => {
                if self.buf.len() + i > MAX_HANDSHAKE_LEN {
                    return Err(IpcError::Handshake("credentials too long"));
                }
                self.buf.extend_from_slice(&bytes[..i]);
                let creds = Credentials::parse(&self.buf);
                self.buf.clear();
                Ok(Some((creds, i + 1)))
            }
            None => {
                if self.buf.len() + bytes.len() > MAX_HANDSHAKE_LEN {
                    return Err(IpcError::Handshake("credentials too long"));
                }
                self.buf.extend_from_slice(bytes);
                Ok(None)
            }
        }
    }
}

/// Client side: the hello to send, then the server's one-byte answer.
#[derive(Clone, Debug)]
pub struct ClientHandshake {
    hello: Vec<u8>,
    capability: u8,
}

impl ClientHandshake {
    /// A handshake as `user:password` with a capability byte (use 3 or 6).
    pub fn new(user: &str, password: &str, capability: u8) -> ClientHandshake {
        let mut hello = Vec::with_capacity(user.len() + password.len() + 3);
        hello.extend_from_slice(user.as_bytes());
        hello.push(b':');
        hello.extend_from_slice(password.as_bytes());
        hello.push(capability);
        hello.push(0);
        ClientHandshake { hello, capability }
    }

    /// The bytes to send.
    pub fn hello(&self) -> &[u8] {
        &self.hello
    }

    /// Interpret what the server sent back: one byte is the negotiated capability; an
    /// empty read (the server closed) is a rejection.
    pub fn on_reply(&self, reply: &[u8]) -> Result<u8, IpcError> {
        match reply {
            [] => Err(IpcError::Rejected),
            [cap, ..] if *cap > self.capability => {
                Err(IpcError::Handshake("server answered a capability above the one asked"))
            }
            [cap, ..] => Ok(*cap),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> (Credentials, usize) {
        ServerHandshake::new().feed(bytes).unwrap().unwrap()
    }

    #[test]
    fn forms_seen_in_the_wild() {
        let (c, n) = one(b"user:pass\x06\x00");
        assert_eq!(
            (c.user.as_slice(), c.password.as_slice(), c.capability, n),
            (&b"user"[..], &b"pass"[..], 6, 11)
        );
        assert_eq!(c.reply(), 6);
        let (c, _) = one(b"user:pass\x00");
        assert_eq!((c.capability, c.password.as_slice()), (0, &b"pass"[..]));
        let (c, _) = one(b"\x03\x00");
        assert_eq!((c.user.len(), c.capability, c.reply()), (0, 3, 3));
        let (c, _) = one(b"user\x03\x00");
        assert_eq!((c.user.as_slice(), c.password.len()), (&b"user"[..], 0));
        let (c, _) = one(b":\x06\x00");
        assert!(c.user.is_empty() && c.password.is_empty());
        let (c, _) = one(b"a:b:c\x09\x00");
        assert_eq!((c.password.as_slice(), c.reply()), (&b"b:c"[..], 6));
        let (c, _) = one(b"\x00");
        assert_eq!(c.capability, 0);
    }

    #[test]
    fn split_reads_and_trailing_bytes() {
        let mut h = ServerHandshake::new();
        assert!(h.feed(b"us").unwrap().is_none());
        assert!(h.feed(b"er:p").unwrap().is_none());
        let (c, n) = h.feed(b"w\x03\x00\x01\x01").unwrap().unwrap();
        assert_eq!((c.user_name().as_str(), n), ("user", 3));
        let mut h = ServerHandshake::new();
        assert!(h.feed(&vec![b'a'; MAX_HANDSHAKE_LEN + 1]).is_err());
    }

    #[test]
    fn client() {
        let c = ClientHandshake::new("u", "p", 6);
        assert_eq!(c.hello(), b"u:p\x06\x00");
        assert_eq!(c.on_reply(&[3]).unwrap(), 3);
        assert!(matches!(c.on_reply(&[]), Err(IpcError::Rejected)));
        assert!(c.on_reply(&[7]).is_err());
    }
}
