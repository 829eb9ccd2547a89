//! Users and passwords: kdb+'s `-u file` / `-U file` (one `user:password` a line; the
//! password as plain text, an MD5 hash or a SHA-1 hash in hex).

use md5::Digest as _;
use std::collections::HashMap;

/// The password file's contents; empty means everyone may log in.
#[derive(Clone, Debug, Default)]
pub struct Users {
    entries: Option<HashMap<String, String>>,
}

impl Users {
    /// Nobody is checked.
    pub fn open() -> Users {
        Users { entries: None }
    }

    /// Read a password file.
    pub fn from_file(path: &str) -> std::io::Result<Users> {
        let text = std::fs::read_to_string(path)?;
        Ok(Users::parse(&text))
    }

    /// Parse `user:password` lines (blank lines ignored).
    pub fn parse(text: &str) -> Users {
        let entries = text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.split_once(':') {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect();
        Users { entries: Some(entries) }
    }

    /// True when a password file is in force.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// May `user` log in with `password`?
    pub fn check(&self, user: &str, password: &str) -> bool {
        let Some(map) = &self.entries else { return true };
        let Some(stored) = map.get(user) else { return false };
        if stored == password {
            return true;
        }
        let stored = stored.to_ascii_lowercase();
        match stored.len() {
            32 => hex(&md5::Md5::digest(password.as_bytes())) == stored,
            40 => hex(&sha1::Sha1::digest(password.as_bytes())) == stored,
            _ => false,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_md5_and_sha1_passwords() {
        // md5 "this is my password" and -33!"mypassword" from KX's cmdline page.
        let u = Users::parse(
            "alice:secret\nbob:210d53992dff432ec1b1a9698af9da16\ncarol:91dfd9ddb4198affc5c194cd8ce6d338fde470e2\n",
        );
        assert!(u.check("alice", "secret"));
        assert!(!u.check("alice", "Secret"));
        assert!(u.check("bob", "this is my password"));
        assert!(!u.check("bob", "210d53992dff432ec1b1a9698af9da16x"));
        assert!(u.check("carol", "mypassword"));
        assert!(!u.check("dave", ""));
        assert!(Users::open().check("anyone", "anything"));
    }
}
