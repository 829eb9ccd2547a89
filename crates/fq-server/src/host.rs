//! The native [`Host`] with sockets: files, clock and shell as `NativeHost`, plus IPC
//! handles, the listening port, the timer and the query timeout.

use crate::Shared;
use fq_eval::host::Waited;
use fq_eval::{Host, NativeHost};
use fq_ipc::{MsgType, Payload};
use fq_value::{QError, QResult, Value, GENERIC_NULL};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The host a server process's interpreter runs on: sockets here, everything else
/// (console, files, clock, shell) from the host it wraps (`NativeHost` in `ferroq`, an
/// in-memory host in tests).
pub struct ServerHost {
    native: Box<dyn Host>,
    shared: Arc<Shared>,
    /// Connections with a sync request of ours in flight, innermost last (kept here so
    /// that a response arriving just before the remote closes is still read).
    waiting: Vec<Arc<crate::Conn>>,
}

impl std::fmt::Debug for ServerHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHost").finish_non_exhaustive()
    }
}

impl ServerHost {
    /// A host over the shared server state, on the native host.
    pub fn new(shared: Arc<Shared>) -> ServerHost {
        ServerHost { native: Box::new(NativeHost), shared, waiting: Vec::new() }
    }

    /// A host over the shared server state wrapping `inner` for everything but sockets.
    pub fn wrapping(shared: Arc<Shared>, inner: Box<dyn Host>) -> ServerHost {
        ServerHost { native: inner, shared, waiting: Vec::new() }
    }
}

fn handle_error(h: i64) -> QError {
    QError::Signal(h.to_string().into())
}

/// A setting's argument: an integer, or `0W` (kdb+'s "any free port").
fn int_arg(arg: &str) -> QResult<i64> {
    match arg {
        "0W" | "0w" => Ok(0),
        a => a.parse::<i64>().map_err(|_| QError::Type),
    }
}

impl Host for ServerHost {
    fn stdout(&mut self, text: &str) {
        self.native.stdout(text);
    }
    fn stderr(&mut self, text: &str) {
        self.native.stderr(text);
    }
    fn take_output(&mut self) -> Option<String> {
        self.native.take_output()
    }
    fn utc_offset_secs(&mut self) -> i64 {
        self.native.utc_offset_secs()
    }
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        self.native.read_file(path)
    }
    fn real_files(&self) -> bool {
        self.native.real_files()
    }
    fn write_file(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        self.native.write_file(path, data)
    }
    fn now_nanos(&mut self) -> i64 {
        self.native.now_nanos()
    }
    fn system(&mut self, cmd: &str) -> std::io::Result<Vec<String>> {
        self.native.system(cmd)
    }
    fn chdir(&mut self, dir: &str) -> std::io::Result<()> {
        self.native.chdir(dir)
    }
    fn cwd(&mut self) -> String {
        self.native.cwd()
    }
    fn getenv(&mut self, name: &str) -> Option<String> {
        self.native.getenv(name)
    }

    fn exit(&mut self, code: i32) {
        self.native.exit(code);
    }

    fn hopen(&mut self, target: &str, timeout_ms: i64) -> QResult<i64> {
        let c = crate::net::connect(&self.shared, target, timeout_ms)?;
        Ok(c.handle)
    }

    fn hclose(&mut self, handle: i64) -> QResult<()> {
        let c = self.shared.conn(handle).ok_or_else(|| handle_error(handle))?;
        c.closed_here.store(true, Ordering::Release);
        c.close();
        self.shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&handle);
        Ok(())
    }

    fn send(&mut self, handle: i64, msg: &Value, sync: bool) -> QResult<Value> {
        let c = self.shared.conn(handle).ok_or_else(|| handle_error(handle))?;
        if sync {
            c.request(msg.clone())?;
            self.waiting.push(c);
        } else {
            c.send(MsgType::Async, Payload::Value(msg.clone()))?;
        }
        Ok(GENERIC_NULL)
    }

    fn wait(&mut self, handle: i64) -> QResult<Waited> {
        let at = self.waiting.iter().rposition(|c| c.handle == handle);
        let c = at.map(|k| Arc::clone(&self.waiting[k])).ok_or_else(|| handle_error(handle))?;
        let w = c.wait();
        if !matches!(w, Ok(Waited::Request { .. })) {
            if let Some(k) = at {
                self.waiting.remove(k);
            }
        }
        w
    }

    fn respond(&mut self, handle: i64, result: QResult<Value>) -> QResult<()> {
        let c = self.shared.conn(handle).ok_or_else(|| handle_error(handle))?;
        let payload = match result {
            Ok(v) => Payload::Value(v),
            Err(e) => Payload::Error(e),
        };
        c.send(MsgType::Response, payload)
    }

    fn flush(&mut self, handle: i64) -> QResult<()> {
        // Writes go straight to the socket (or its writer thread); nothing is buffered.
        self.shared.conn(handle).map(|_| ()).ok_or_else(|| handle_error(handle))
    }

    fn setting(&mut self, name: &str, arg: &str) -> Option<QResult<Value>> {
        let arg = arg.trim();
        match name {
            "p" => Some(if arg.is_empty() {
                let p = self.shared.port.lock().unwrap_or_else(|e| e.into_inner());
                Ok(Value::Int(p.as_ref().map_or(0, |l| i32::from(l.port))))
            } else {
                int_arg(arg).and_then(|p| {
                    if p == 0 && arg == "0" {
                        crate::unlisten(&self.shared);
                        return Ok(GENERIC_NULL);
                    }
                    let port = u16::try_from(p).map_err(|_| QError::Domain)?;
                    crate::listen(&self.shared, port)
                        .map(|_| GENERIC_NULL)
                        .map_err(|e| QError::Signal(format!("{arg}: {e}").into()))
                })
            }),
            // `\t` alone or with a number is the timer; `\t expr` times an expression.
            "t" if arg.is_empty() => {
                Some(Ok(Value::Int(self.shared.timer_ms.load(Ordering::Relaxed) as i32)))
            }
            "t" if arg.bytes().all(|b| b.is_ascii_digit()) => Some(int_arg(arg).map(|ms| {
                self.shared.timer_ms.store(ms.max(0), Ordering::Relaxed);
                GENERIC_NULL
            })),
            "T" => Some(if arg.is_empty() {
                Ok(Value::Int(self.shared.timeout_s.load(Ordering::Relaxed) as i32))
            } else {
                int_arg(arg).map(|s| {
                    self.shared.timeout_s.store(s.max(0), Ordering::Relaxed);
                    GENERIC_NULL
                })
            }),
            // ferroq's own: the listeners' counters (`crate::stats`), read-only.
            "fq.stats" => Some(if arg.is_empty() {
                Ok(self.shared.stats.to_value())
            } else {
                Err(QError::Domain)
            }),
            _ => None,
        }
    }
}
