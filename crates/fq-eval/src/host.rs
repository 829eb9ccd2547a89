//! The evaluator's window on the world. The interpreter never does IO itself: console
//! output, files, clocks and system commands go through a [`Host`].

use fq_value::{QError, QResult, Value};
use std::collections::HashMap;

/// IO services for the interpreter.
pub trait Host: Send {
    /// Write to standard output (`-1`, `show`, `0N!`).
    fn stdout(&mut self, text: &str);
    /// Write to standard error (`-2`).
    fn stderr(&mut self, text: &str);
    /// Take what was written to stdout since the last call, for hosts that capture it
    /// (the transcript runner); `None` for hosts that write through.
    fn take_output(&mut self) -> Option<String> {
        None
    }
    /// Read a whole file.
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>>;
    /// True when paths name real files on disk (which may then be memory-mapped) rather
    /// than files only this host knows.
    fn real_files(&self) -> bool {
        false
    }
    /// Write a whole file.
    fn write_file(&mut self, path: &str, data: &[u8]) -> std::io::Result<()>;
    /// Nanoseconds since 2000.01.01 UTC.
    fn now_nanos(&mut self) -> i64;
    /// Seconds east of UTC for local time (`.z.P` vs `.z.p`).
    fn utc_offset_secs(&mut self) -> i64 {
        0
    }
    /// Run an operating-system command (`\ls`, `system "ls"`), returning its output lines.
    fn system(&mut self, cmd: &str) -> std::io::Result<Vec<String>>;
    /// Change the working directory (`\cd`).
    fn chdir(&mut self, dir: &str) -> std::io::Result<()>;
    /// The working directory.
    fn cwd(&mut self) -> String;
    /// An environment variable (`getenv`).
    fn getenv(&mut self, name: &str) -> Option<String>;

    /// End the process (`exit n`, `\\\\`). Hosts that cannot (tests) ignore it.
    fn exit(&mut self, code: i32) {
        let _ = code;
    }

    /// Open an IPC connection (`hopen`): `target` is kdb+'s `` `:host:port[:user:password] ``
    /// text without the leading colon (`host:port…`, `unix://port`), `timeout_ms` 0 for
    /// none. Returns the handle. Hosts without networking fail with `'hop`.
    fn hopen(&mut self, target: &str, timeout_ms: i64) -> QResult<i64> {
        let _ = (target, timeout_ms);
        Err(QError::Signal("hop".into()))
    }
    /// Close a handle (`hclose`).
    fn hclose(&mut self, handle: i64) -> QResult<()> {
        Err(QError::Signal(handle.to_string().into()))
    }
    /// Send `msg` on `handle`, async (`neg[h] x`) or as a sync request (`h x`), returning
    /// `::` once written or queued. After a sync request the interpreter calls
    /// [`Host::wait`] until the response comes.
    fn send(&mut self, handle: i64, msg: &Value, sync: bool) -> QResult<Value> {
        let _ = (msg, sync);
        Err(QError::Signal(handle.to_string().into()))
    }
    /// Wait for what comes next on `handle` after a sync request: the response, or a
    /// message the remote sends meanwhile on the same handle (a callback such as
    /// `.z.w"..."`), which the interpreter evaluates (answering a sync one through
    /// [`Host::respond`]) before waiting again, as kdb+ does.
    fn wait(&mut self, handle: i64) -> QResult<Waited> {
        Err(QError::Signal(handle.to_string().into()))
    }
    /// Answer a sync callback received through [`Host::wait`].
    fn respond(&mut self, handle: i64, result: QResult<Value>) -> QResult<()> {
        let _ = result;
        Err(QError::Signal(handle.to_string().into()))
    }
    /// Flush what was queued on `handle` (`neg[h][]`).
    fn flush(&mut self, handle: i64) -> QResult<()> {
        Err(QError::Signal(handle.to_string().into()))
    }
    /// Settings the process owns (`\p`, `\t` for the timer, `\T`): `arg` empty reads,
    /// otherwise sets. `None` when this host does not own the setting (the interpreter
    /// then handles it: `\t expr` times an expression, unknown settings read as 0).
    fn setting(&mut self, name: &str, arg: &str) -> Option<QResult<Value>> {
        let _ = (name, arg);
        None
    }
}

/// An in-memory host for tests: output is captured, files live in a map, the clock is fixed.
#[derive(Default, Debug)]
pub struct MemHost {
    /// Everything written to stdout.
    pub out: String,
    /// Everything written to stderr.
    pub err: String,
    /// Files by path.
    pub files: HashMap<String, Vec<u8>>,
    /// The clock, in nanoseconds since 2000.01.01.
    pub clock: i64,
    /// Working directory.
    pub dir: String,
}

impl Host for MemHost {
    fn stdout(&mut self, text: &str) {
        self.out.push_str(text);
    }
    fn take_output(&mut self) -> Option<String> {
        Some(std::mem::take(&mut self.out))
    }
    fn stderr(&mut self, text: &str) {
        self.err.push_str(text);
    }
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
    fn write_file(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        self.files.insert(path.to_string(), data.to_vec());
        Ok(())
    }
    fn now_nanos(&mut self) -> i64 {
        self.clock
    }
    fn system(&mut self, _cmd: &str) -> std::io::Result<Vec<String>> {
        Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "no system commands in MemHost"))
    }
    fn chdir(&mut self, dir: &str) -> std::io::Result<()> {
        self.dir = dir.to_string();
        Ok(())
    }
    fn cwd(&mut self) -> String {
        self.dir.clone()
    }
    fn getenv(&mut self, _name: &str) -> Option<String> {
        None
    }
}

/// The real host: the process's stdout/stderr, the file system, the system clock.
#[derive(Default, Debug)]
pub struct NativeHost;

impl Host for NativeHost {
    fn stdout(&mut self, text: &str) {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
    }
    fn stderr(&mut self, text: &str) {
        use std::io::Write;
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn real_files(&self) -> bool {
        true
    }
    fn write_file(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        std::fs::write(path, data)
    }
    fn now_nanos(&mut self) -> i64 {
        let d =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        d.as_nanos() as i64 - fq_value::temporal::EPOCH_OFFSET_NANOS
    }
    fn system(&mut self, cmd: &str) -> std::io::Result<Vec<String>> {
        let out = std::process::Command::new("sh").arg("-c").arg(cmd).output()?;
        if !out.status.success() {
            return Err(std::io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
    }
    fn chdir(&mut self, dir: &str) -> std::io::Result<()> {
        std::env::set_current_dir(dir)
    }
    fn cwd(&mut self) -> String {
        std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default()
    }
    fn getenv(&mut self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn exit(&mut self, code: i32) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(code)
    }
}

/// What [`Host::wait`] got.
#[derive(Debug)]
pub enum Waited {
    /// The response to the sync request (a remote error comes back as that error).
    Response(QResult<Value>),
    /// A message the remote sent on the same handle while we wait.
    Request {
        /// True when the remote waits for an answer.
        sync: bool,
        /// The message.
        msg: Value,
    },
}

/// Who the interpreter is serving right now: the values of `.z.w`, `.z.a` and `.z.u`.
/// The server sets it before running a handler; the console's is handle 0.
#[derive(Clone, Debug)]
pub struct Session {
    /// `.z.w`: the handle of the connection the current message came from (0: console).
    pub handle: i64,
    /// `.z.a`: the peer's IPv4 address as kdb+ packs it in an int (0 for a Unix socket).
    pub addr: i32,
    /// `.z.u`: the user name the peer logged in with.
    pub user: fq_value::Sym,
}

impl Default for Session {
    fn default() -> Self {
        let user = std::env::var("USER").unwrap_or_default();
        Session { handle: 0, addr: 0, user: fq_value::Sym::new(&user) }
    }
}

/// Facts about the process shown by `.z.x`, `.z.f`, `.z.h`, `.z.X`.
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    /// `.z.x`: command-line arguments after the script and options ferroq consumed.
    pub args: Vec<String>,
    /// `.z.X`: the whole command line.
    pub argv: Vec<String>,
    /// `.z.f`: the script file given on the command line.
    pub file: String,
    /// `.z.h`: the host name.
    pub hostname: String,
}
