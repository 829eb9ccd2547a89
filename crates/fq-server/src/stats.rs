//! Counters of what the IPC listeners saw: logins, messages, compression, the clients'
//! capability bytes. They cover what q cannot observe with handlers (a login refused by the
//! password file never reaches `.z.pw`; compression and the capability byte are framing),
//! for monitoring and for tests that check a client against the real server.
//!
//! Rust reads them as [`Shared::stats`](crate::Shared::stats); q reads them with the system
//! command `\fq.stats` (or `system"fq.stats"`), a dictionary of longs (see
//! [`Stats::to_value`]).

use fq_ipc::{Compression, Header, MsgType};
use fq_value::{Value, Vector};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// What the server's IPC listeners saw since the process started. Only connections the
/// server accepted count; those this process opened with `hopen` do not.
#[derive(Debug)]
pub struct Stats {
    /// IPC logins accepted (password file and `.z.pw` passed).
    pub accepted: AtomicU64,
    /// IPC logins refused (by the password file or `.z.pw`), closed without a byte.
    pub rejected: AtomicU64,
    /// IPC messages received (sync, async and responses).
    pub messages: AtomicU64,
    /// IPC messages received compressed.
    pub compressed_in: AtomicU64,
    /// Async IPC messages received.
    pub async_in: AtomicU64,
    /// The capability byte of the latest IPC hello, as the client sent it (before the
    /// server's `min(byte, 6)`); 0 for the legacy hello without one, -1 before any.
    pub last_capability: AtomicI64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            compressed_in: AtomicU64::new(0),
            async_in: AtomicU64::new(0),
            last_capability: AtomicI64::new(-1),
        }
    }
}

/// The names of [`Stats::to_value`]'s keys, in order.
pub const STATS_KEYS: [&str; 6] =
    ["accepted", "rejected", "messages", "compressed", "async", "capability"];

impl Stats {
    /// An IPC hello arrived with this capability byte.
    pub fn hello(&self, capability: u8) {
        self.last_capability.store(i64::from(capability), Ordering::Relaxed);
    }

    /// The login that followed the hello was accepted (`true`) or refused.
    pub fn login(&self, accepted: bool) {
        let c = if accepted { &self.accepted } else { &self.rejected };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// A message with this header arrived on an accepted connection.
    pub fn message(&self, header: &Header) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        if header.compression != Compression::None {
            self.compressed_in.fetch_add(1, Ordering::Relaxed);
        }
        if header.msg_type == MsgType::Async {
            self.async_in.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters as q sees them: `` `accepted`rejected`messages`compressed`async`capability ``
    /// mapped to longs (`capability`: the latest client's byte, -1 before any hello).
    pub fn to_value(&self) -> Value {
        let n = |a: &AtomicU64| i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let vals = [
            n(&self.accepted),
            n(&self.rejected),
            n(&self.messages),
            n(&self.compressed_in),
            n(&self.async_in),
            self.last_capability.load(Ordering::Relaxed),
        ];
        let keys = Value::Vector(Vector::sym_names(&STATS_KEYS));
        Value::dict(keys, Value::Vector(Vector::longs(&vals))).unwrap_or(fq_value::GENERIC_NULL)
    }
}
