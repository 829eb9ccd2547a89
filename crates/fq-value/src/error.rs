//! q errors.
//!
//! Every q-visible failure is a [`QError`]; its `Display` is exactly what the q console
//! prints (`'type`, `'length`, `'foo` for an undefined name). An interpreter bug is
//! [`QError::Internal`], which tests treat as a failure.

use std::fmt;
use std::sync::Arc;

/// A q signal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum QError {
    /// `'type`: wrong type of argument.
    Type,
    /// `'length`: arguments do not conform.
    Length,
    /// `'rank`: wrong number of arguments.
    Rank,
    /// `'domain`: argument out of the function's domain.
    Domain,
    /// `'index`: index out of range where q signals it.
    Index,
    /// `'nyi`: not yet implemented (in kdb+ too, for some combinations).
    Nyi,
    /// `'mismatch`: columns of tables do not match.
    Mismatch,
    /// `'parse`: invalid syntax.
    Parse,
    /// `'stack`: recursion too deep.
    Stack,
    /// `'wsfull`: memory limit reached.
    Wsfull,
    /// `'limit`: a value would exceed a size limit.
    Limit,
    /// `'assign`: assignment to a reserved name.
    Assign,
    /// `'stop`: evaluation interrupted (query timeout or Ctrl-C).
    Stop,
    /// `'access`: permission denied.
    Access,
    /// `'value`: no value.
    Value,
    /// `'os`: operating system error.
    Os,
    /// `'nosocket`: no socket.
    NoSocket,
    /// `'badtail`: incomplete transaction-log record.
    Badtail,
    /// `'noamend`: cannot change a global during an amend.
    NoAmend,
    /// `'splay`: operation not allowed on a splayed table.
    Splay,
    /// `'par`: operation not allowed on a partitioned table.
    Par,
    /// `'name`: an undefined name, `'name` is printed (`'foo`).
    Undefined(Arc<str>),
    /// Any other signal text, as raised by `'"text"` or `` '`sym ``.
    Signal(Arc<str>),
    /// A bug in ferroq, never a q error: tests fail on it.
    Internal(Arc<str>),
}

const NAMED: [(&str, QError); 21] = [
    ("type", QError::Type),
    ("length", QError::Length),
    ("rank", QError::Rank),
    ("domain", QError::Domain),
    ("index", QError::Index),
    ("nyi", QError::Nyi),
    ("mismatch", QError::Mismatch),
    ("parse", QError::Parse),
    ("stack", QError::Stack),
    ("wsfull", QError::Wsfull),
    ("limit", QError::Limit),
    ("assign", QError::Assign),
    ("stop", QError::Stop),
    ("access", QError::Access),
    ("value", QError::Value),
    ("os", QError::Os),
    ("nosocket", QError::NoSocket),
    ("badtail", QError::Badtail),
    ("noamend", QError::NoAmend),
    ("splay", QError::Splay),
    ("par", QError::Par),
];

impl QError {
    /// The signal text without the leading quote: `type`, `length`, `foo`.
    pub fn text(&self) -> &str {
        match self {
            QError::Undefined(s) | QError::Signal(s) | QError::Internal(s) => s,
            other => NAMED.iter().find(|(_, e)| e == other).map_or("internal", |(n, _)| n),
        }
    }

    /// The error for a signal text (as received over IPC or raised with `'`); the
    /// well-known names map to their variants so that errors compare equal.
    pub fn from_text(text: &str) -> QError {
        NAMED
            .iter()
            .find(|(n, _)| *n == text)
            .map_or_else(|| QError::Signal(Arc::from(text)), |(_, e)| e.clone())
    }

    /// An internal error (a ferroq bug) with a message.
    pub fn internal(msg: impl Into<String>) -> QError {
        QError::Internal(Arc::from(msg.into()))
    }

    /// True for [`QError::Internal`].
    pub fn is_internal(&self) -> bool {
        matches!(self, QError::Internal(_))
    }
}

impl fmt::Display for QError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QError::Internal(s) => write!(f, "'internal: {s}"),
            _ => write!(f, "'{}", self.text()),
        }
    }
}

impl fmt::Debug for QError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for QError {}

/// Result of a q operation.
pub type QResult<T> = Result<T, QError>;

/// Return early with a q error: `q_bail!(Type)` or `q_bail!("custom text")`.
#[macro_export]
macro_rules! q_bail {
    ($kind:ident) => {
        return Err($crate::QError::$kind)
    };
    ($text:expr) => {
        return Err($crate::QError::from_text($text))
    };
}

/// Return early with a q error unless the condition holds: `q_ensure!(n >= 0, Domain)`.
#[macro_export]
macro_rules! q_ensure {
    ($cond:expr, $kind:ident) => {
        if !$cond {
            return Err($crate::QError::$kind);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(n: i64) -> QResult<i64> {
        q_ensure!(n >= 0, Domain);
        if n == 7 {
            q_bail!(Type);
        }
        if n == 8 {
            q_bail!("oops");
        }
        Ok(n)
    }

    #[test]
    fn display_and_names() {
        assert_eq!(QError::Type.to_string(), "'type");
        assert_eq!(QError::Undefined("foo".into()).to_string(), "'foo");
        assert_eq!(QError::from_text("length"), QError::Length);
        assert_eq!(QError::from_text("boom").to_string(), "'boom");
        for (n, e) in NAMED.iter() {
            assert_eq!(e.text(), *n);
        }
        assert_eq!(check(-1), Err(QError::Domain));
        assert_eq!(check(7), Err(QError::Type));
        assert_eq!(check(8).unwrap_err().to_string(), "'oops");
        assert_eq!(check(3), Ok(3));
    }
}
