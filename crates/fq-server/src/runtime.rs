//! The interpreter thread's loop: one event at a time, in arrival order.

use crate::{Config, Event, ServerHost, Shared};
use fq_eval::Interp;
use fq_ipc::{MsgType, Payload};
use fq_value::{QError, QResult, Sym, Value};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What ended the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `\\` on the console, or the end of standard input with no port open.
    Normal,
}

/// The interpreter and its inbox.
pub struct Runtime {
    /// The workspace.
    pub interp: Interp,
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Event>,
    watchdog: Arc<Watchdog>,
    console_open: bool,
    /// `.z.pg` and `.z.ps`, interned once.
    handlers: [Sym; 2],
}

/// A cloneable way in: send events, read the shared state.
#[derive(Clone, Debug)]
pub struct RuntimeHandle {
    /// The shared state (connections, settings).
    pub shared: Arc<Shared>,
}

impl RuntimeHandle {
    /// Evaluate a console line on the interpreter thread; waits until its output is
    /// printed. `true` when the line asked the process to exit.
    pub fn line(&self, text: &str) -> bool {
        let (tx, rx) = mpsc::channel();
        if self.shared.events.send(Event::Line { text: text.to_string(), done: tx }).is_err() {
            return true;
        }
        rx.recv().unwrap_or(true)
    }

    /// Standard input ended: the process ends too unless it is listening.
    pub fn console_closed(&self) {
        let _ = self.shared.events.send(Event::ConsoleClosed);
    }
}

/// Stops a query that runs past `\T` by raising the interpreter's stop flag.
struct Watchdog {
    deadline: Mutex<Option<Instant>>,
    wake: Condvar,
}

impl Watchdog {
    fn run(&self, stop: &std::sync::atomic::AtomicBool) {
        let mut d = self.deadline.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match *d {
                None => d = self.wake.wait(d).unwrap_or_else(|p| p.into_inner()),
                Some(t) => {
                    let now = Instant::now();
                    if now >= t {
                        stop.store(true, Ordering::Relaxed);
                        *d = None;
                    } else {
                        d = self.wake.wait_timeout(d, t - now).unwrap_or_else(|p| p.into_inner()).0;
                    }
                }
            }
        }
    }
    fn arm(&self, secs: i64) {
        if secs > 0 {
            *self.deadline.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + Duration::from_secs(secs as u64));
            self.wake.notify_one();
        }
    }
    fn disarm(&self, secs: i64) {
        if secs > 0 {
            *self.deadline.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }
}

fn global(i: &Interp, name: &str) -> Option<Value> {
    i.get(Sym::new(name)).cloned()
}

impl Runtime {
    /// A runtime on `interp`'s settings; the interpreter's host is wrapped in a
    /// [`ServerHost`] (sockets added, everything else as before).
    /// Listening starts if `config.port` is set.
    pub fn new(mut interp: Interp, config: &Config) -> std::io::Result<Runtime> {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared::new(tx, config.users.clone(), config.limits));
        shared.timer_ms.store(config.timer_ms.max(0), Ordering::Relaxed);
        shared.timeout_s.store(config.timeout_s.max(0), Ordering::Relaxed);
        shared.set_spin(config.spin);
        let inner = std::mem::replace(&mut interp.host, Box::new(fq_eval::MemHost::default()));
        interp.host = Box::new(ServerHost::wrapping(Arc::clone(&shared), inner));
        // Kernels read their thread count per thread: publish it on this one.
        let n = interp.secondaries();
        interp.set_secondaries(n);
        if let Some(p) = config.port {
            crate::listen(&shared, p)?;
        }
        let watchdog = Arc::new(Watchdog { deadline: Mutex::new(None), wake: Condvar::new() });
        let (w, stop) = (Arc::clone(&watchdog), Arc::clone(&interp.stop));
        std::thread::Builder::new().name("fq-watchdog".into()).spawn(move || w.run(&stop))?;
        let handlers = [Sym::new(".z.pg"), Sym::new(".z.ps")];
        Ok(Runtime { interp, shared, rx, watchdog, console_open: true, handlers })
    }

    /// A handle for other threads (the console reader).
    pub fn handle(&self) -> RuntimeHandle {
        RuntimeHandle { shared: Arc::clone(&self.shared) }
    }

    /// The port listened on (0: none).
    pub fn port(&self) -> u16 {
        self.shared.port.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map_or(0, |l| l.port)
    }

    fn listening(&self) -> bool {
        self.port() != 0
    }

    /// Serve events until the process should end.
    pub fn run(&mut self) -> Exit {
        let mut next_tick: Option<Instant> = None;
        // After an event, poll the inbox for a while before sleeping: the next request of
        // a client in a request/reply loop then costs no thread wake-up (a sleeping core
        // on a VM takes tens of µs to wake).
        let mut poll_until: Option<Instant> = None;
        loop {
            if let Some(until) = poll_until.take() {
                match self.poll(until) {
                    Ok(Some(e)) => {
                        if self.event(e) {
                            return Exit::Normal;
                        }
                        poll_until = self.poll_deadline();
                        continue;
                    }
                    Ok(None) => {}
                    Err(()) => return Exit::Normal,
                }
            }
            let period = self.shared.timer_ms.load(Ordering::Relaxed);
            if period <= 0 {
                next_tick = None;
            } else if next_tick.is_none() {
                next_tick = Some(Instant::now() + Duration::from_millis(period as u64));
            }
            let ev = match next_tick {
                None => match self.rx.recv() {
                    Ok(e) => Some(e),
                    Err(_) => return Exit::Normal,
                },
                Some(t) => {
                    let now = Instant::now();
                    if now >= t {
                        None
                    } else {
                        match self.rx.recv_timeout(t - now) {
                            Ok(e) => Some(e),
                            Err(mpsc::RecvTimeoutError::Timeout) => None,
                            Err(mpsc::RecvTimeoutError::Disconnected) => return Exit::Normal,
                        }
                    }
                }
            };
            match ev {
                None => {
                    next_tick = next_tick.map(|t| {
                        let p = Duration::from_millis(period.max(1) as u64);
                        let n = t + p;
                        if n < Instant::now() {
                            Instant::now() + p
                        } else {
                            n
                        }
                    });
                    self.timer();
                }
                Some(e) => {
                    if self.event(e) {
                        return Exit::Normal;
                    }
                    poll_until = self.poll_deadline();
                }
            }
        }
    }

    /// When polling after an event should stop (`None`: `--spin 0`).
    fn poll_deadline(&self) -> Option<Instant> {
        let spin = self.shared.spin();
        (!spin.is_zero()).then(|| Instant::now() + spin)
    }

    /// Poll the inbox until `until` (or a timer tick is due); `Err` once every sender
    /// is gone.
    fn poll(&self, until: Instant) -> Result<Option<Event>, ()> {
        let mut spins = 0u32;
        loop {
            match self.rx.try_recv() {
                Ok(e) => return Ok(Some(e)),
                Err(mpsc::TryRecvError::Disconnected) => return Err(()),
                Err(mpsc::TryRecvError::Empty) => {}
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) && Instant::now() >= until {
                return Ok(None);
            }
            std::thread::yield_now();
        }
    }

    /// Handle one event; `true` to end the loop.
    fn event(&mut self, e: Event) -> bool {
        match e {
            Event::Line { text, done } => {
                let exit = self.console_line(&text);
                let _ = done.send(exit);
                return exit;
            }
            Event::ConsoleClosed => {
                self.console_open = false;
                return !self.listening();
            }
            Event::Login { user, password, reply } => {
                let ok = match global(&self.interp, ".z.pw") {
                    None => true,
                    Some(f) => {
                        let args = vec![Value::Symbol(Sym::new(&user)), Value::string(&password)];
                        matches!(self.interp.apply(&f, args), Ok(Value::Bool(true)))
                    }
                };
                let _ = reply.send(ok);
            }
            Event::Open(c) => {
                if let Some(f) = global(&self.interp, ".z.po") {
                    let _ = self
                        .with_session(c.handle, |i| i.apply(&f, vec![Value::Int(c.handle as i32)]));
                }
            }
            Event::Close(h) => {
                if let Some(f) = global(&self.interp, ".z.pc") {
                    let _ = self.interp.apply(&f, vec![Value::Int(h as i32)]);
                }
            }
            Event::Msg { conn, sync, msg } => self.message(&conn, sync, msg),
            Event::Http(req, reply) => {
                let r = crate::http::respond(self, &req);
                let _ = reply.send(r);
            }
        }
        false
    }

    /// Run `f` as the connection `h` (`.z.w`, `.z.a`, `.z.u` set), with the `\T` timeout.
    pub(crate) fn with_session<T>(
        &mut self,
        h: i64,
        f: impl FnOnce(&mut Interp) -> QResult<T>,
    ) -> QResult<T> {
        let c = self.shared.conn(h);
        self.with_conn(h, c.as_ref(), f)
    }

    /// [`Runtime::with_session`] for a connection already at hand.
    fn with_conn<T>(
        &mut self,
        h: i64,
        conn: Option<&Arc<crate::Conn>>,
        f: impl FnOnce(&mut Interp) -> QResult<T>,
    ) -> QResult<T> {
        let saved = self.interp.session.clone();
        if let Some(c) = conn {
            self.interp.session = fq_eval::host::Session { handle: h, addr: c.addr, user: c.user };
        } else {
            self.interp.session.handle = h;
        }
        let secs = self.shared.timeout_s.load(Ordering::Relaxed);
        self.interp.stop.store(false, Ordering::Relaxed);
        self.watchdog.arm(secs);
        let r = f(&mut self.interp);
        self.watchdog.disarm(secs);
        self.interp.stop.store(false, Ordering::Relaxed);
        self.interp.session = saved;
        r
    }

    fn message(&mut self, c: &Arc<crate::Conn>, sync: bool, msg: Value) {
        let handler = self.interp.get(self.handlers[usize::from(!sync)]).cloned();
        let r = self.with_conn(c.handle, Some(c), |i| match handler {
            Some(f) => i.apply(&f, vec![msg]),
            None => i.value_message(msg),
        });
        if !sync || c.closed.load(Ordering::Acquire) {
            return;
        }
        let payload = match r {
            Ok(v) => Payload::Value(v),
            Err(e) => Payload::Error(e),
        };
        if let Err(QError::Limit) = c.send(MsgType::Response, payload) {
            let _ = c.send(MsgType::Response, Payload::Error(QError::Limit));
        }
    }

    fn timer(&mut self) {
        if let Some(f) = global(&self.interp, ".z.ts") {
            let now = Value::Timestamp(self.interp.host.now_nanos());
            let _ = self.interp.apply(&f, vec![now]);
        }
    }

    /// A console line: evaluate and print as the q console does. `true` on `\\`.
    fn console_line(&mut self, line: &str) -> bool {
        let t = line.trim();
        if t == "\\\\" {
            return true;
        }
        if t.is_empty() {
            return false;
        }
        self.interp.stop.store(false, Ordering::Relaxed);
        let r = self.interp.eval_line(line);
        match r {
            Ok(Some(v)) => {
                let text = self.interp.show(&v);
                if !text.is_empty() {
                    self.interp.host.stdout(&format!("{text}\n"));
                }
            }
            Ok(None) => {}
            Err(e) => self.interp.host.stdout(&format!("{e}\n")),
        }
        false
    }

    /// The shared state.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}
