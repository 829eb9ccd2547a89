//! The interpreter: one workspace of globals, evaluated one expression at a time.

use crate::atomic::collapse;
use crate::compile::{compiled, proto_of, Compiler};
use crate::host::Host;
use crate::node::{Node, Proto, Target};
use crate::prims;
use fq_value::hash::FxHashMap;
use fq_value::{Adverb, QError, QResult, Sym, Table, Value, Vector, GENERIC_NULL};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Control flow out of an expression: an error, or `:x` returning from a lambda.
pub(crate) enum Ctrl {
    Err(QError),
    Ret(Value),
}

impl From<QError> for Ctrl {
    fn from(e: QError) -> Ctrl {
        Ctrl::Err(e)
    }
}

pub(crate) type R = Result<Value, Ctrl>;

/// [`Ctrl`] boxed, so that the evaluator's own result [`Ev`] is 16 bytes and laid out as
/// a bare `Value` (the error takes a niche of its tag): every node evaluated returns one,
/// and the 32-byte [`R`] made each result be repacked field by field on its way out.
pub(crate) struct Unwind(Box<Ctrl>);

impl From<QError> for Unwind {
    #[cold]
    fn from(e: QError) -> Unwind {
        Unwind(Box::new(Ctrl::Err(e)))
    }
}

impl From<Ctrl> for Unwind {
    #[cold]
    fn from(c: Ctrl) -> Unwind {
        Unwind(Box::new(c))
    }
}

impl Unwind {
    /// What a lambda body gives: the value of `:x`, or the error unwinding through it.
    fn caught_return(mut self) -> Ev {
        match &mut *self.0 {
            Ctrl::Ret(v) => Ok(std::mem::replace(v, GENERIC_NULL)),
            Ctrl::Err(_) => Err(self),
        }
    }

    /// The error, once no `:x` can be in flight (outside any lambda body).
    fn into_error(self) -> QError {
        match *self.0 {
            Ctrl::Err(e) => e,
            Ctrl::Ret(_) => QError::internal("return outside a lambda"),
        }
    }
}

/// The evaluator's result.
pub(crate) type Ev = Result<Value, Unwind>;

/// Native stack an interpreter may use unless told otherwise ([`Interp::set_stack_limit`]).
const DEFAULT_STACK_BYTES: usize = 1 << 20;

/// An address in the current stack frame (the stack grows down on every supported target).
#[inline(always)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

const _: () = assert!(std::mem::size_of::<Ev>() == 16);

/// `?` for [`Ev`] without the conversion through `ControlFlow`, which here makes the
/// compiler copy the value out field by field (and stall on the reload).
macro_rules! unwind {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(u) => return Err(u),
        }
    };
}

/// Lambda frames (parameters and locals) of up to this many slots live on the Rust stack
/// when the call's arguments are all present.
const INLINE_FRAME: usize = 4;

/// Console settings (`\c`, `\P`).
#[derive(Clone, Copy, Debug)]
pub struct Console {
    /// Rows (`\c` first number).
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Float display precision (`\P`).
    pub precision: usize,
}

impl Default for Console {
    fn default() -> Self {
        Console { rows: 25, cols: 80, precision: 7 }
    }
}

/// The q interpreter.
pub struct Interp {
    globals: FxHashMap<Sym, Value>,
    /// Emptied frames of lambdas with more than [`INLINE_FRAME`] slots, for reuse.
    frames: Vec<Vec<Value>>,
    /// `(namespace, name)` to the name qualified by the namespace (see [`Interp::in_ns`]).
    qualified: FxHashMap<(Sym, Sym), Sym>,
    /// The current namespace (`\d`), empty for the root.
    pub ns: Sym,
    /// Console settings.
    pub console: Console,
    /// IO.
    pub host: Box<dyn Host>,
    depth: usize,
    /// Deepest lambda nesting before `'stack`.
    pub max_depth: usize,
    /// State of the random generator behind `?`.
    pub(crate) rng: u64,
    /// Set from another thread to interrupt evaluation with `'stop` (query timeout, Ctrl-C).
    pub stop: Arc<AtomicBool>,
    /// Loop iterations and calls left before `'stop` (`None`: unlimited). For fuzzing and
    /// sandboxed evaluation.
    pub fuel: Option<u64>,
    /// Tables that running qSQL templates read their columns from, innermost last.
    pub(crate) qframes: Vec<crate::qsql::QFrame>,
    /// Ticks so far (for the periodic memory check).
    ticks: u32,
    /// Evaluation stops with 'stack when the native stack pointer goes below this address
    /// (deep nesting of expressions or calls), before the thread's stack overflows.
    stack_floor: usize,
    /// On a secondary thread (inside `peach`): the main thread's workspace, read-only.
    /// This interpreter's own `globals` then stay empty.
    lent: Option<Arc<crate::parallel::Lent>>,
    /// Secondary threads `peach` and large kernels may use (`\s`).
    secondaries: usize,
    /// A secondary thread tried to update a global through a path that cannot signal
    /// there (`set_global`); the item then fails with `'noupdate`.
    blocked_update: bool,
    /// The connection being served (`.z.w`, `.z.a`, `.z.u`).
    pub session: crate::host::Session,
    /// The process's command line and host (`.z.x`, `.z.f`, `.z.h`).
    pub process: crate::host::ProcessInfo,
    /// Views (`v::expr` at the top level), see `views.rs`.
    pub(crate) views: crate::views::Views,
    /// The live enumeration domains by variable (`domains.rs`).
    pub(crate) domains: FxHashMap<Sym, fq_value::WeakDomain>,
    /// True while views or enumeration domains exist: global writes then tell them
    /// (`global_changed`).
    pub(crate) watching: bool,
}

impl Interp {
    /// A fresh interpreter on a host.
    pub fn new(host: Box<dyn Host>) -> Interp {
        Interp {
            globals: FxHashMap::default(),
            qualified: FxHashMap::default(),
            frames: Vec::new(),
            ns: Sym::EMPTY,
            console: Console::default(),
            host,
            depth: 0,
            max_depth: 2000,
            rng: 0x2545_F491_4F6C_DD1D,
            stop: Arc::new(AtomicBool::new(false)),
            fuel: None,
            qframes: Vec::new(),
            ticks: 0,
            stack_floor: stack_pointer().saturating_sub(DEFAULT_STACK_BYTES),
            lent: None,
            secondaries: crate::parallel::start_threads(),
            blocked_update: false,
            session: crate::host::Session::default(),
            process: crate::host::ProcessInfo::default(),
            views: Default::default(),
            domains: FxHashMap::default(),
            watching: false,
        }
    }

    /// A secondary interpreter for one task of a `peach`: reads the lent workspace, may
    /// use `stack` bytes of the current thread's stack.
    pub(crate) fn secondary(lent: Arc<crate::parallel::Lent>, stack: usize) -> Interp {
        let mut w = Interp::new(Box::new(crate::parallel::LentHost(lent.clone())));
        w.set_stack_limit(stack);
        w.ns = lent.ns;
        w.console = lent.console;
        w.max_depth = lent.max_depth;
        w.stop = lent.stop.clone();
        w.fuel = lent.fuel;
        w.rng = lent.rng;
        w.session = lent.session.clone();
        w.process = lent.process.clone();
        w.secondaries = 0;
        w.lent = Some(lent);
        w
    }

    /// True on a secondary thread (inside `peach`), where globals cannot be updated.
    pub fn is_secondary(&self) -> bool {
        self.lent.is_some()
    }

    /// Secondary threads in use (`\s`).
    pub fn secondaries(&self) -> usize {
        self.secondaries
    }

    /// Use `n` secondary threads (`\s n`); at most [`crate::parallel::max_threads`].
    pub fn set_secondaries(&mut self, n: usize) {
        self.secondaries = n.min(crate::parallel::max_threads());
        crate::parallel::set_degree(self.secondaries);
    }

    /// Whether a global update was blocked since the last call (and clear it).
    pub(crate) fn take_blocked_update(&mut self) -> bool {
        std::mem::take(&mut self.blocked_update)
    }

    /// Move the globals and the host into a [`crate::parallel::Lent`] for secondary
    /// interpreters; [`Interp::take_back`] restores them.
    pub(crate) fn lend(&mut self) -> Arc<crate::parallel::Lent> {
        let host = std::mem::replace(&mut self.host, Box::new(crate::MemHost::default()));
        Arc::new(crate::parallel::Lent {
            globals: std::mem::take(&mut self.globals),
            host: std::sync::Mutex::new(Some(host)),
            ns: self.ns,
            console: self.console,
            max_depth: self.max_depth,
            stop: self.stop.clone(),
            fuel: self.fuel,
            rng: self.rng,
            session: self.session.clone(),
            process: self.process.clone(),
            views: self.views.names(),
        })
    }

    /// Take back what [`Interp::lend`] lent, once every secondary interpreter is gone.
    pub(crate) fn take_back(&mut self, lent: Arc<crate::parallel::Lent>) {
        match Arc::try_unwrap(lent) {
            Ok(l) => {
                self.globals = l.globals;
                if let Some(h) =
                    l.host.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
                {
                    self.host = h;
                }
            }
            // Unreachable while every secondary interpreter is dropped before the pool's
            // scope ends; keep the workspace whole regardless.
            Err(shared) => {
                self.globals = shared.globals.clone();
                let mut h = shared.host.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(h) = h.take() {
                    self.host = h;
                }
            }
        }
    }

    /// Assign a global from a primitive (`set`, `@[`x;…]`, `insert`): `'noupdate` on a
    /// secondary thread.
    pub(crate) fn assign(&mut self, name: Sym, v: Value) -> QResult<()> {
        if self.lent.is_some() {
            return Err(crate::parallel::noupdate());
        }
        self.globals.insert(name, v);
        if self.watching {
            self.global_changed(name);
        }
        Ok(())
    }

    /// Take a global out without telling views or domains (a view's cache made pending,
    /// or a value taken out to be changed in place and put back with [`Interp::put_raw`]).
    pub(crate) fn take_raw(&mut self, name: Sym) -> Option<Value> {
        self.globals.remove(&name)
    }

    /// Store a global without telling views or domains (a view's cached value, or what
    /// [`Interp::take_raw`] took out; the caller tells them if it is a change).
    pub(crate) fn put_raw(&mut self, name: Sym, v: Value) {
        self.globals.insert(name, v);
    }

    /// True when the view `name` has a cached value.
    pub(crate) fn has_cached(&self, name: Sym) -> bool {
        self.globals.contains_key(&name)
    }

    /// A global as reads see it: this interpreter's, else the lent workspace's.
    #[inline(always)]
    fn read(&self, s: Sym) -> Option<&Value> {
        match self.globals.get(&s) {
            Some(v) => Some(v),
            None => self.read_lent(s),
        }
    }

    #[inline(never)]
    fn read_lent(&self, s: Sym) -> Option<&Value> {
        self.lent.as_deref().and_then(|l| l.globals.get(&s))
    }

    /// Parse and evaluate q source (one or more statements); the value of the last.
    pub fn eval_str(&mut self, src: &str) -> QResult<Value> {
        self.run_source(src).map(|(v, _)| v)
    }

    /// Evaluate every statement; the last value, and whether the console shows it (not
    /// after an assignment or an empty statement).
    fn run_source(&mut self, src: &str) -> QResult<(Value, bool)> {
        let _degree = crate::parallel::Degree::enter(self.secondaries);
        if self.ns.is_null() {
            if let Some((name, body)) = crate::views::split_definition(src) {
                self.define_view(name, body)?;
                return Ok((GENERIC_NULL, false));
            }
        }
        let exprs = fq_syntax::parse(src).map_err(|e| e.to_q())?;
        let mut last = GENERIC_NULL;
        let mut shown = true;
        for e in &exprs {
            let node = Compiler::top(self.ns).compile(e)?;
            last = match self.eval(&node, &mut []) {
                Ok(v) => v,
                Err(Ctrl::Err(e)) => return Err(e),
                Err(Ctrl::Ret(v)) => v,
            };
            shown = !matches!(e, fq_syntax::Expr::Assign { .. } | fq_syntax::Expr::Nil);
        }
        Ok((last, shown))
    }

    /// Evaluate one console line: q code, or a system command when it starts with `\`.
    /// Returns what the console shows: `None` when the line ends with an assignment, an
    /// empty statement (a trailing `;`), or a system command that gives nothing.
    pub fn eval_line(&mut self, line: &str) -> QResult<Option<Value>> {
        if let Some(cmd) = line.strip_prefix('\\') {
            let v = crate::system::command(self, cmd)?;
            return Ok((!v.is_generic_null()).then_some(v));
        }
        let (last, shown) = self.run_source(line)?;
        Ok((shown && !last.is_generic_null()).then_some(last))
    }

    /// Called once per loop iteration and function call: `'stop` when interrupted or out
    /// of fuel.
    #[inline]
    pub fn tick(&mut self) -> QResult<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(QError::Stop);
        }
        if let Some(f) = &mut self.fuel {
            if *f == 0 {
                return Err(QError::Stop);
            }
            *f -= 1;
        }
        self.ticks = self.ticks.wrapping_add(1);
        if crate::limits::memory_over(self.ticks) {
            // A runaway computation: 'wsfull before the allocator gives out.
            return Err(QError::Wsfull);
        }
        Ok(())
    }

    /// A global's value.
    pub fn get(&self, name: Sym) -> Option<&Value> {
        self.read(name)
    }

    /// Set a global. (On a secondary thread nothing changes, and the running `peach`
    /// item fails with `'noupdate`.)
    pub fn set(&mut self, name: Sym, v: Value) {
        self.set_global(name, v);
    }

    /// Set a global the way `name:` at the top level does (qualified by the namespace).
    /// (On a secondary thread nothing changes, and the running `peach` item fails with
    /// `'noupdate`.)
    pub fn set_global(&mut self, name: Sym, v: Value) {
        if self.lent.is_some() {
            self.blocked_update = true;
            return;
        }
        self.globals.insert(name, v);
        if self.watching {
            self.global_changed(name);
        }
    }

    /// Remove a global (`delete a from `.`). (On a secondary thread nothing changes, as
    /// for [`Interp::set_global`].)
    pub fn remove_global(&mut self, name: Sym) -> Option<Value> {
        if self.lent.is_some() {
            self.blocked_update = true;
            return None;
        }
        let old = self.globals.remove(&name);
        if self.watching {
            self.global_changed(name);
        }
        old
    }

    /// All global names.
    pub fn global_names(&self) -> Vec<Sym> {
        let mut v: Vec<Sym> = self.globals.keys().copied().collect();
        if let Some(l) = &self.lent {
            v.extend(l.globals.keys().copied());
        }
        v.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        v
    }

    /// A global's value as a name in code reads it: in a namespace, `ns.name` first; then
    /// `name`; then a system variable; then `t.c`, a column of a table.
    #[inline]
    fn lookup(&mut self, s: Sym) -> QResult<Value> {
        match self.global_ref(s) {
            Some(v) => Ok(dup(v)),
            None => self.lookup_rest(s),
        }
    }

    /// The global a name in code refers to, if it is a variable: in a namespace,
    /// `ns.name` first, then `name`.
    #[inline(always)]
    fn global_ref(&mut self, s: Sym) -> Option<&Value> {
        if self.ns.is_null() {
            return self.read(s);
        }
        let full = self.in_ns(s);
        self.read(full).or_else(|| self.read(s))
    }

    /// `name` qualified by the current namespace (unchanged when it starts with `.`),
    /// memoised: a namespace's lambdas look their globals up by it on every call.
    fn in_ns(&mut self, s: Sym) -> Sym {
        let ns = self.ns;
        *self.qualified.entry((ns, s)).or_insert_with(|| {
            let name = s.as_bytes();
            if name.first() == Some(&b'.') {
                return s;
            }
            let mut full = ns.as_bytes().to_vec();
            full.push(b'.');
            full.extend_from_slice(name);
            Sym::from_bytes(&full)
        })
    }

    #[inline(never)]
    fn lookup_rest(&mut self, s: Sym) -> QResult<Value> {
        if let Some(v) = prims::system_var(self, s) {
            return Ok(v);
        }
        if self.watching {
            if let Some(r) = self.read_view(s) {
                return r;
            }
        }
        if self.lent.as_ref().is_some_and(|l| l.views.contains(&s)) {
            // Views are evaluated on the main thread only.
            return Err(QError::Signal(Arc::from("threadview")));
        }
        // `t.c`: column or key `c` of the table or dictionary `t`.
        let name = s.as_bytes();
        if name.first() != Some(&b'.') {
            if let Some(p) = name.iter().position(|&b| b == b'.') {
                let base = Sym::from_bytes(&name[..p]);
                let field = Sym::from_bytes(&name[p + 1..]);
                if let Ok(v @ (Value::Table(_) | Value::Dict(_))) = self.lookup(base) {
                    return prims::index::index1(&v, &Value::Symbol(field));
                }
            }
        }
        Err(QError::Undefined(Arc::from(s.name().as_ref())))
    }

    /// Evaluate a node in a frame of locals.
    pub(crate) fn eval(&mut self, n: &Node, fr: &mut [Value]) -> R {
        self.ev(n, fr).map_err(|u| *u.0)
    }

    /// Allow evaluation to use up to `bytes` of native stack below the caller's frame (the
    /// thread running the interpreter must have that much; the default is 1 MiB below the
    /// point where the interpreter was made).
    pub fn set_stack_limit(&mut self, bytes: usize) {
        self.stack_floor = stack_pointer().saturating_sub(bytes);
    }

    /// The hot nodes; the rest are in [`Interp::ev_rest`], out of line, so that this
    /// function's stack frame (paid once per nesting level) stays small.
    fn ev(&mut self, n: &Node, fr: &mut [Value]) -> Ev {
        if stack_pointer() < self.stack_floor {
            return Err(QError::Stack.into());
        }
        match n {
            Node::Const(v) => Ok(dup(v)),
            Node::Local(i) => Ok(dup(&fr[*i as usize])),
            Node::Global(s) => match self.global_ref(*s) {
                Some(v) => Ok(dup(v)),
                None => Ok(self.lookup_rest(*s)?),
            },
            Node::Dyad(code, a, b) => {
                let y = unwind!(self.ev_leaf(b, fr));
                let x = unwind!(self.ev_leaf(a, fr));
                if let (Value::Long(p), Value::Long(q)) = (&x, &y) {
                    if let Some(r) = long_dyad(*code, *p, *q) {
                        discard(x);
                        discard(y);
                        return Ok(r);
                    }
                }
                Ok(prims::call_binary(self, *code, x, y)?)
            }
            Node::Monad(code, a) => {
                let x = unwind!(self.ev_leaf(a, fr));
                Ok(prims::call_unary(self, *code, x)?)
            }
            Node::Apply(f, args) => self.ev_apply(f, args, fr),
            Node::Cond(xs) => {
                let mut i = 0;
                while i + 1 < xs.len() {
                    let c = unwind!(self.ev_operand(&xs[i], fr));
                    if truthy(&c)? {
                        return self.ev(&xs[i + 1], fr);
                    }
                    i += 2;
                }
                match xs.get(i) {
                    Some(x) => self.ev(x, fr),
                    None => Ok(GENERIC_NULL),
                }
            }
            Node::SetLocal(i, v) => {
                let x = unwind!(self.ev(v, fr));
                fr[*i as usize] = dup(&x);
                Ok(x)
            }
            Node::SetGlobal(s, v) => {
                let x = unwind!(self.ev(v, fr));
                match self.globals.get_mut(s) {
                    Some(slot) => *slot = dup(&x),
                    None => {
                        if self.lent.is_some() {
                            return Err(crate::parallel::noupdate().into());
                        }
                        self.globals.insert(*s, dup(&x));
                    }
                }
                if self.watching {
                    self.global_changed(*s);
                }
                Ok(x)
            }
            _ => self.ev_rest(n, fr),
        }
    }

    /// [`Interp::ev`], with constants and locals (the commonest operands) read in
    /// place: an atom then stays in registers rather than coming back through memory.
    #[inline(always)]
    fn ev_leaf(&mut self, n: &Node, fr: &mut [Value]) -> Ev {
        match n {
            Node::Const(v) => Ok(dup(v)),
            Node::Local(i) => Ok(dup(&fr[*i as usize])),
            _ => self.ev(n, fr),
        }
    }

    /// [`Interp::ev_leaf`], also doing arithmetic and comparison of long constants and
    /// locals (`x-1`, `x<2`) in place: for lambda arguments and conditions.
    #[inline(always)]
    fn ev_operand(&mut self, n: &Node, fr: &mut [Value]) -> Ev {
        if let Node::Dyad(code, a, b) = n {
            if let (Some(x), Some(y)) = (leaf_long(a, fr), leaf_long(b, fr)) {
                if let Some(r) = long_dyad(*code, x, y) {
                    return Ok(r);
                }
            }
        }
        self.ev_leaf(n, fr)
    }

    /// `f[a;b;…]`. With every argument present and a lambda of at most
    /// [`INLINE_FRAME`] slots taking exactly that many, the arguments are evaluated
    /// straight into the callee's frame on the Rust stack.
    fn ev_apply(&mut self, f: &Node, args: &[Option<Node>], fr: &mut [Value]) -> Ev {
        let n = args.len();
        if n > INLINE_FRAME || args.iter().any(Option::is_none) {
            return self.ev_apply_general(f, args, fr);
        }
        let mut frame: [Value; INLINE_FRAME] = [GENERIC_NULL; INLINE_FRAME];
        for (slot, a) in frame[..n].iter_mut().zip(args).rev() {
            if let Some(a) = a {
                let v = unwind!(self.ev_operand(a, fr));
                // The slot holds `::`, which owns nothing: skip the out-of-line drop.
                std::mem::forget(std::mem::replace(slot, v));
            }
        }
        let fv = match f {
            Node::Global(s) => match self.global_ref(*s) {
                Some(v) => dup(v),
                None => self.lookup_rest(*s)?,
            },
            _ => unwind!(self.ev(f, fr)),
        };
        if let Value::Lambda(l) = &fv {
            if let Some(p) = compiled(l) {
                if p.nparams == n && p.locals.len() <= INLINE_FRAME {
                    if let Some(k) = p.self_slot {
                        frame[usize::from(k)] = fv.clone();
                    }
                    let r = self.call(l.context, p, &mut frame[..p.locals.len()]);
                    let [a, b, c, d] = frame;
                    discard(a);
                    discard(b);
                    discard(c);
                    discard(d);
                    return r;
                }
                if p.nparams == n {
                    // More locals than fit inline: a frame from the pool.
                    let mut big = self.frames.pop().unwrap_or_default();
                    big.extend(frame[..n].iter_mut().map(|v| std::mem::replace(v, GENERIC_NULL)));
                    big.resize(p.locals.len(), GENERIC_NULL);
                    if let Some(k) = p.self_slot {
                        big[usize::from(k)] = fv.clone();
                    }
                    let r = self.call(l.context, p, &mut big);
                    big.clear();
                    self.frames.push(big);
                    return r;
                }
            }
        }
        let vals: Vec<Value> =
            frame[..n].iter_mut().map(|v| std::mem::replace(v, GENERIC_NULL)).collect();
        Ok(self.apply(&fv, vals)?)
    }

    /// `f[a;;c]` (a projection, or indexing data at every position of the elided
    /// dimensions) and calls with many arguments.
    #[inline(never)]
    fn ev_apply_general(&mut self, f: &Node, args: &[Option<Node>], fr: &mut [Value]) -> Ev {
        let mut vals: Vec<Option<Value>> = vec![None; args.len()];
        for (i, a) in args.iter().enumerate().rev() {
            if let Some(a) = a {
                vals[i] = Some(self.ev(a, fr)?);
            }
        }
        let fv = self.ev(f, fr)?;
        let data =
            matches!(fv, Value::Vector(_) | Value::List(_) | Value::Dict(_) | Value::Table(_));
        if !data && vals.iter().any(Option::is_none) {
            let mut items = vec![fv];
            items.extend(vals.into_iter().map(|v| v.unwrap_or(GENERIC_NULL)));
            return Ok(Value::Projection(Arc::new(items)));
        }
        let vals: Vec<Value> = vals.into_iter().map(|v| v.unwrap_or(GENERIC_NULL)).collect();
        Ok(self.apply(&fv, vals)?)
    }

    /// Run a lambda's body on its frame (arguments first, then `::` for each local):
    /// the `'stack` and `'stop` checks, its namespace for global names, `:x` caught.
    fn call(&mut self, context: Sym, p: &Proto, frame: &mut [Value]) -> Ev {
        if self.depth >= self.max_depth {
            return Err(QError::Stack.into());
        }
        self.tick()?;
        self.depth += 1;
        let saved_ns = std::mem::replace(&mut self.ns, context);
        let result = self.body(p, frame);
        self.ns = saved_ns;
        self.depth -= 1;
        result
    }

    fn body(&mut self, p: &Proto, frame: &mut [Value]) -> Ev {
        let Some((last, init)) = p.body.split_last() else { return Ok(GENERIC_NULL) };
        for stmt in init {
            if let Err(u) = self.ev(stmt, frame) {
                return u.caught_return();
            }
        }
        self.ev(last, frame).or_else(Unwind::caught_return)
    }

    #[inline(never)]
    fn ev_rest(&mut self, n: &Node, fr: &mut [Value]) -> Ev {
        Ok(match n {
            Node::Const(_)
            | Node::Local(_)
            | Node::Global(_)
            | Node::Dyad(..)
            | Node::Monad(..)
            | Node::Apply(..)
            | Node::Cond(_)
            | Node::SetLocal(..)
            | Node::SetGlobal(..) => return self.ev(n, fr),
            Node::Derive(adverb, f) => {
                let fv = self.ev(f, fr)?;
                Value::Derived(Arc::new(fq_value::Derived { adverb: *adverb, function: fv }))
            }
            Node::List(items) => {
                let mut vals = vec![GENERIC_NULL; items.len()];
                for (i, a) in items.iter().enumerate().rev() {
                    vals[i] = self.ev(a, fr)?;
                }
                collapse(vals)
            }
            Node::Lambda(v) => v.clone(),
            Node::Amend { target: Target::Global(s), indices: None, op: Some(op), value }
                if matches!(**op, Node::Const(Value::Binary(_))) =>
            {
                // `x+:y` on a global: update in place (the value stays unshared, so vector
                // primitives can reuse its buffer).
                let Node::Const(Value::Binary(code)) = **op else { unreachable!() };
                let v = self.ev(value, fr)?;
                if self.lent.is_some() {
                    return Err(crate::parallel::noupdate().into());
                }
                let append = Some(code) == fq_value::prim::binary_code(",");
                if append {
                    // `v,:x` extended in place (the global's buffer is its own), no copy
                    // of v: items of v's type onto a plain vector; a general list's items
                    // onto a general list that stays general; rows onto a simple table.
                    let done = match (self.globals.get_mut(s), &v) {
                        (Some(Value::Vector(cv)), _) => {
                            match same_typed_items(cv, &v).and_then(|add| {
                                prims::attrs::append_attr(cv, &add).map(|a| (add, a))
                            }) {
                                Some((add, attr)) => {
                                    cv.extend_from(&add);
                                    cv.set_attr(attr);
                                    Some(Value::Vector(cv.clone()))
                                }
                                None => None,
                            }
                        }
                        (Some(Value::List(l)), Value::List(y))
                            if l.attr() == fq_value::Attr::None
                                && (y.items().iter().any(|x| !x.is_atom())
                                    || l.items().first().is_some_and(|x| !x.is_atom())) =>
                        {
                            l.make_mut().extend(y.items().iter().cloned());
                            Some(Value::List(l.clone()))
                        }
                        // One row (`t,:(7 8;9 10)` is two rows: the general path).
                        (Some(Value::Table(_)), Value::Vector(_))
                        | (Some(Value::Table(_)), Value::List(_))
                            if !matches!(&v, Value::List(y) if !y.items().iter().all(Value::is_atom)) =>
                        {
                            match prims::table::append_in_place(self, *s, &v)? {
                                Some(_) => self.globals.get(s).cloned(),
                                None => None,
                            }
                        }
                        _ => None,
                    };
                    if let Some(new) = done {
                        if self.watching {
                            self.global_appended(*s);
                        }
                        return Ok(new);
                    }
                }
                let cur = match self.globals.get_mut(s) {
                    Some(slot) => {
                        if let (Value::Long(p), Value::Long(q)) = (&*slot, &v) {
                            if let Some(r) = long_dyad(code, *p, *q) {
                                *slot = r.clone();
                                if self.watching {
                                    self.global_changed(*s);
                                }
                                // `x+:y` gives x's new value.
                                return Ok(r);
                            }
                        }
                        std::mem::replace(slot, GENERIC_NULL)
                    }
                    None => self.lookup(*s)?,
                };
                let r = if append {
                    prims::table::append_assign(self, cur.clone(), v)
                } else {
                    prims::call_binary(self, code, cur.clone(), v)
                };
                match r {
                    Ok(new) => {
                        self.globals.insert(*s, new.clone());
                        if self.watching && append {
                            self.global_appended(*s);
                        } else if self.watching {
                            self.global_changed(*s);
                        }
                        new
                    }
                    Err(e) => {
                        self.globals.insert(*s, cur);
                        return Err(e.into());
                    }
                }
            }
            Node::Amend { target, indices, op, value } => {
                let v = self.ev(value, fr)?;
                if matches!(target, Target::Global(_)) && self.lent.is_some() {
                    return Err(crate::parallel::noupdate().into());
                }
                let idx = match indices {
                    Some(ix) => {
                        let mut out = vec![None; ix.len()];
                        for (i, a) in ix.iter().enumerate().rev() {
                            if let Some(a) = a {
                                out[i] = Some(self.ev(a, fr)?);
                            }
                        }
                        Some(out)
                    }
                    None => None,
                };
                let opv = match op {
                    Some(o) => Some(self.ev(o, fr)?),
                    None => None,
                };
                let cur = match target {
                    Target::Local(i) => std::mem::replace(&mut fr[*i as usize], GENERIC_NULL),
                    Target::Global(s) => match self.globals.remove(s) {
                        Some(x) => x,
                        None => self.lookup(*s)?,
                    },
                };
                let result = match idx {
                    None => match &opv {
                        Some(Value::Binary(c)) if Some(*c) == fq_value::prim::binary_code(",") => {
                            prims::table::append_assign(self, cur.clone(), v.clone())
                        }
                        Some(o) => self.apply(o, vec![cur.clone(), v.clone()]),
                        None => Ok(v.clone()),
                    },
                    Some(ix) => {
                        prims::amend::amend_indexed(self, cur.clone(), ix, opv.as_ref(), v.clone())
                    }
                };
                let new = match result {
                    Ok(x) => x,
                    Err(e) => {
                        // Put the old value back: a failed amend changes nothing.
                        self.store(*target, fr, cur);
                        return Err(e.into());
                    }
                };
                let compound = indices.is_none() && op.is_some();
                if compound {
                    // `x+:y` gives x's new value.
                    self.store(*target, fr, new.clone());
                    return Ok(new);
                }
                self.store(*target, fr, new);
                v
            }
            Node::Return(x) => {
                let v = self.ev(x, fr)?;
                return Err(Ctrl::Ret(v).into());
            }
            Node::Signal(x) => {
                let v = self.ev(x, fr)?;
                return Err(signal_of(&v).into());
            }
            Node::If(xs) => {
                let c = self.ev(&xs[0], fr)?;
                if truthy(&c)? {
                    for x in &xs[1..] {
                        self.ev(x, fr)?;
                    }
                }
                GENERIC_NULL
            }
            Node::Do(xs) => {
                let n = self.ev(&xs[0], fr)?;
                let n = crate::convert::atom_i64(&n).ok_or(QError::Type)?;
                for _ in 0..n.max(0) {
                    self.tick()?;
                    for x in &xs[1..] {
                        self.ev(x, fr)?;
                    }
                }
                GENERIC_NULL
            }
            Node::While(xs) => {
                loop {
                    self.tick()?;
                    let c = self.ev(&xs[0], fr)?;
                    if !truthy(&c)? {
                        break;
                    }
                    for x in &xs[1..] {
                        self.ev(x, fr)?;
                    }
                }
                GENERIC_NULL
            }
            Node::Block(xs) => {
                let mut last = GENERIC_NULL;
                for x in xs {
                    last = self.ev(x, fr)?;
                }
                last
            }
            Node::Table { keys, cols } => {
                let mut kv = Vec::with_capacity(keys.len());
                for (n, e) in keys.iter().rev() {
                    kv.push((*n, self.ev(e, fr)?));
                }
                kv.reverse();
                let mut cv = Vec::with_capacity(cols.len());
                for (n, e) in cols.iter().rev() {
                    cv.push((*n, self.ev(e, fr)?));
                }
                cv.reverse();
                build_table(kv, cv)?
            }
            Node::Col(s, fallback) => match crate::qsql::column(self, *s) {
                Some(v) => v?,
                None => self.ev(fallback, fr)?,
            },
            Node::ColDot(c, f, fallback) => match crate::qsql::column_field(self, *c, *f) {
                Some(v) => v?,
                None => self.ev(fallback, fr)?,
            },
            Node::Query(q) => crate::qsql::run(self, q, fr)?,
            Node::Nil => GENERIC_NULL,
        })
    }

    fn store(&mut self, t: Target, fr: &mut [Value], v: Value) {
        match t {
            Target::Local(i) => fr[i as usize] = v,
            Target::Global(s) => {
                self.globals.insert(s, v);
                if self.watching {
                    self.global_changed(s);
                }
            }
        }
    }

    /// Apply a function (or index a value) to arguments.
    pub fn apply(&mut self, f: &Value, args: Vec<Value>) -> QResult<Value> {
        match f {
            Value::Lambda(l) => {
                let owned;
                let proto = match compiled(l) {
                    Some(p) => p,
                    None => {
                        owned = proto_of(l)?;
                        &*owned
                    }
                };
                // `{[] …}` takes one argument and ignores it (`f[]` passes `::`).
                let args = if proto.nparams == 0 && args.len() == 1 { Vec::new() } else { args };
                if args.len() > proto.nparams {
                    return Err(QError::Rank);
                }
                if args.len() < proto.nparams {
                    let mut items = vec![f.clone()];
                    items.extend(args);
                    return Ok(Value::Projection(Arc::new(items)));
                }
                let mut frame = args;
                frame.resize(proto.locals.len(), GENERIC_NULL);
                if let Some(k) = proto.self_slot {
                    frame[usize::from(k)] = f.clone();
                }
                self.call(l.context, proto, &mut frame).map_err(Unwind::into_error)
            }
            Value::Unary(code) => match args.len() {
                1 => {
                    prims::call_unary(self, *code, args.into_iter().next().unwrap_or(GENERIC_NULL))
                }
                // `enlist[a;b;c]` takes any number of arguments.
                n if n > 1 && Some(*code) == fq_value::prim::unary_code("enlist") => {
                    Ok(crate::atomic::collapse(args))
                }
                _ => Err(QError::Rank),
            },
            Value::Binary(code) => match args.len() {
                1 => Ok(Value::Projection(Arc::new(vec![
                    f.clone(),
                    args.into_iter().next().unwrap_or(GENERIC_NULL),
                ]))),
                2 => {
                    let mut it = args.into_iter();
                    let (x, y) =
                        (it.next().unwrap_or(GENERIC_NULL), it.next().unwrap_or(GENERIC_NULL));
                    prims::call_binary(self, *code, x, y)
                }
                _ => prims::call_variadic(self, *code, args),
            },
            Value::Projection(items) => {
                let target = &items[0];
                let holes = items[1..].iter().filter(|v| v.is_generic_null()).count();
                let given = args.len();
                let mut filled: Vec<Value> = Vec::with_capacity(items.len() - 1 + given);
                let mut new = args.into_iter();
                for a in &items[1..] {
                    if a.is_generic_null() {
                        filled.push(new.next().unwrap_or(GENERIC_NULL));
                    } else {
                        filled.push(a.clone());
                    }
                }
                filled.extend(new);
                if given < holes || filled.len() < self.valence(target) {
                    let mut out = vec![target.clone()];
                    out.extend(filled);
                    return Ok(Value::Projection(Arc::new(out)));
                }
                self.apply(target, filled)
            }
            Value::Composition(fs) => {
                let (last, rest) = fs.split_last().ok_or(QError::Type)?;
                let mut v = self.apply(last, args)?;
                for g in rest.iter().rev() {
                    v = self.apply(g, vec![v])?;
                }
                Ok(v)
            }
            Value::Derived(d) => crate::iter::apply_derived(self, d.adverb, &d.function, args),
            Value::Iterator(c) => crate::iter::apply_iterator(*c, args),
            Value::Long(h) if args.len() == 1 => self.apply_handle(*h, f, &args[0]),
            Value::Int(h) if args.len() == 1 => self.apply_handle(i64::from(*h), f, &args[0]),
            Value::Vector(_)
            | Value::List(_)
            | Value::Dict(_)
            | Value::Table(_)
            | Value::Enum(_) => prims::index::index_depth(self, f, &args),
            Value::Symbol(s) => {
                let target = self.lookup(*s)?;
                prims::index::index_depth(self, &target, &args)
            }
            _ => Err(QError::Type),
        }
    }

    /// A handle applied to a message: `0 x` evaluates here (as `value x`), `±1`/`±2`
    /// write to the console, other handles send over IPC (negative: async; `neg[h][]`
    /// flushes).
    fn apply_handle(&mut self, h: i64, f: &Value, x: &Value) -> QResult<Value> {
        if h == i64::MIN || i32::try_from(h).is_err() {
            // 0N or beyond an int: no such handle.
            return Err(QError::Signal(h.to_string().into()));
        }
        match h {
            0 => crate::prims::list::value(self, x.clone()),
            -2 | -1 | 1 | 2 => {
                self.write_handle(h, x)?;
                Ok(f.clone())
            }
            _ if h < 0 && x.is_generic_null() => {
                self.host.flush(-h)?;
                Ok(GENERIC_NULL)
            }
            _ if h < 0 => {
                self.host.send(-h, x, false)?;
                Ok(GENERIC_NULL)
            }
            _ => {
                self.host.send(h, x, true)?;
                loop {
                    match self.host.wait(h)? {
                        crate::host::Waited::Response(r) => return r,
                        crate::host::Waited::Request { sync, msg } => {
                            let r = self.callback(h, sync, msg);
                            if sync {
                                self.host.respond(h, r)?;
                            }
                        }
                    }
                }
            }
        }
    }

    /// A message the remote sent on handle `h` while this process waits on it: run by
    /// `.z.pg` (sync) or `.z.ps` (async) when defined, else as `value`, with `.z.w` = `h`.
    fn callback(&mut self, h: i64, sync: bool, msg: Value) -> QResult<Value> {
        let name = if sync { ".z.pg" } else { ".z.ps" };
        let handler = self.get(Sym::new(name)).cloned();
        let saved = self.session.handle;
        self.session.handle = h;
        let r = match handler {
            Some(f) => self.apply(&f, vec![msg]),
            None => self.value_message(msg),
        };
        self.session.handle = saved;
        r
    }

    /// kdb+'s default message handler, `value x`: a string (or a one-character query,
    /// which most clients send as a char atom) is q code, and may be a system command
    /// (`"\\p"`); anything else is `value`d (a list `(f;args…)` applies `f`).
    pub fn value_message(&mut self, msg: Value) -> QResult<Value> {
        let text = match &msg {
            Value::Vector(v) if v.ty() == fq_value::QType::CHAR => {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            }
            Value::Char(c) => char::from(*c).to_string(),
            _ => return crate::prims::list::value(self, msg),
        };
        if text.starts_with('\\') {
            return self.eval_line(&text).map(|o| o.unwrap_or(GENERIC_NULL));
        }
        self.eval_str(&text)
    }

    /// `-1 "text"`, `1 "text"`, `-2 …`, `2 …`: console output (negative handles add a
    /// newline; a list of strings writes one line each).
    fn write_handle(&mut self, h: i64, v: &Value) -> QResult<()> {
        let mut text = String::new();
        match v {
            Value::Vector(x) if x.ty() == fq_value::QType::CHAR => {
                text.push_str(&String::from_utf8_lossy(x.as_bytes()));
                if h < 0 {
                    text.push('\n');
                }
            }
            Value::Char(c) => {
                text.push(*c as char);
                if h < 0 {
                    text.push('\n');
                }
            }
            Value::List(l) => {
                for it in l.items() {
                    match it {
                        Value::Vector(x) if x.ty() == fq_value::QType::CHAR => {
                            text.push_str(&String::from_utf8_lossy(x.as_bytes()));
                            text.push('\n');
                        }
                        _ => return Err(QError::Type),
                    }
                }
            }
            _ => return Err(QError::Type),
        }
        if h.abs() == 1 {
            self.host.stdout(&text);
        } else {
            self.host.stderr(&text);
        }
        Ok(())
    }

    /// How many arguments a function takes before it runs.
    pub fn valence(&self, f: &Value) -> usize {
        match f {
            Value::Lambda(l) => proto_of(l).map_or(1, |p| p.nparams),
            Value::Unary(_) => 1,
            Value::Binary(c) if Some(*c) == fq_value::prim::binary_code("ssr") => 3,
            Value::Binary(_) => 2,
            Value::Projection(items) => {
                let holes = items[1..].iter().filter(|v| v.is_generic_null()).count();
                let v = self.valence(&items[0]);
                holes + v.saturating_sub(items.len() - 1)
            }
            Value::Composition(fs) => fs.last().map_or(1, |g| self.valence(g)),
            Value::Derived(d) => match d.adverb {
                Adverb::Each => self.valence(&d.function),
                _ => 2,
            },
            _ => 1,
        }
    }
}

/// A copy of a value; atoms of the commonest types without the out-of-line `clone`.
#[inline(always)]
fn dup(v: &Value) -> Value {
    match v {
        Value::Long(x) => Value::Long(*x),
        Value::Float(x) => Value::Float(*x),
        Value::Bool(x) => Value::Bool(*x),
        Value::Int(x) => Value::Int(*x),
        Value::Symbol(x) => Value::Symbol(*x),
        _ => v.clone(),
    }
}

/// The long a constant or local node holds, if it is one.
#[inline(always)]
fn leaf_long(n: &Node, fr: &[Value]) -> Option<i64> {
    match n {
        Node::Const(Value::Long(x)) => Some(*x),
        Node::Local(i) => match fr[*i as usize] {
            Value::Long(x) => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// Drop a value, inline when it owns nothing (the compiler's drop glue for `Value` is
/// an out-of-line call).
#[inline(always)]
fn discard(v: Value) {
    match v {
        Value::Bool(_)
        | Value::Byte(_)
        | Value::Short(_)
        | Value::Int(_)
        | Value::Long(_)
        | Value::Real(_)
        | Value::Float(_)
        | Value::Char(_)
        | Value::Symbol(_)
        | Value::Unary(_)
        | Value::Binary(_)
        | Value::Iterator(_) => std::mem::forget(v),
        v => drop(v),
    }
}

/// The items `v,:x` appends to the non-empty vector `v`, as a
/// vector of `v`'s type, when `x` is such a vector or an atom of its type; `None` for
/// anything else (the general path then decides).
fn same_typed_items(v: &Vector, x: &Value) -> Option<Vector> {
    if v.is_empty() {
        return None;
    }
    match x {
        Value::Vector(x) if x.ty() == v.ty() => Some(x.clone()),
        a if a.is_atom() && a.qtype() == v.ty().atom() => match crate::convert::enlist_atom(a) {
            Value::Vector(x) if x.ty() == v.ty() => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// `x+y`, `x-y`, `x*y`, `x=y`, `x<y`, `x>y` on two non-null longs, without the primitive
/// table's indirect call; the same results as `prims::arith` and `prims::compare` give
/// (checked by a test). `None`: not one of these.
#[inline(always)]
fn long_dyad(code: u8, x: i64, y: i64) -> Option<Value> {
    if x == i64::MIN || y == i64::MIN {
        return None;
    }
    Some(match code {
        1 => Value::Long(x.wrapping_add(y)),
        2 => Value::Long(x.wrapping_sub(y)),
        3 => Value::Long(x.wrapping_mul(y)),
        8 => Value::Bool(x == y),
        9 => Value::Bool(x < y),
        10 => Value::Bool(x > y),
        _ => return None,
    })
}

/// The error a signal raises: a symbol or string names it.
pub fn signal_of(v: &Value) -> QError {
    match v {
        Value::Symbol(s) => QError::from_text(&s.name()),
        Value::Vector(x) if x.ty() == fq_value::QType::CHAR => {
            QError::from_text(&String::from_utf8_lossy(x.as_bytes()))
        }
        // Only a symbol or a string can be signalled.
        _ => QError::from_text("stype"),
    }
}

/// q truthiness of a condition: a non-zero atom.
#[inline]
pub fn truthy(v: &Value) -> QResult<bool> {
    Ok(match v {
        Value::Bool(b) => *b,
        Value::Byte(x) | Value::Char(x) => *x != 0,
        Value::Short(x) => *x != 0,
        Value::Int(x)
        | Value::Month(x)
        | Value::Date(x)
        | Value::Minute(x)
        | Value::Second(x)
        | Value::Time(x) => *x != 0,
        Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => *x != 0,
        Value::Real(x) => *x != 0.0,
        Value::Float(x) | Value::Datetime(x) => *x != 0.0,
        Value::Symbol(_) | Value::Guid(_) => true,
        _ => return Err(QError::Type),
    })
}

fn build_table(keys: Vec<(Sym, Value)>, cols: Vec<(Sym, Value)>) -> QResult<Value> {
    if cols.is_empty() && !keys.is_empty() {
        // `([a:1;b:2])`: a dictionary (q 4.1's dictionary literal).
        let names: Vec<Sym> = keys.iter().map(|(n, _)| *n).collect();
        let vals: Vec<Value> = keys.into_iter().map(|(_, v)| v).collect();
        return Value::dict(Value::Vector(Vector::syms(&names)), collapse(vals));
    }
    let all: Vec<&Value> = keys.iter().chain(cols.iter()).map(|(_, v)| v).collect();
    let n = all
        .iter()
        .filter_map(|v| if v.is_atom() { None } else { v.list_len() })
        .next()
        .unwrap_or(1);
    let column = |v: Value| -> QResult<Value> {
        if v.is_atom() {
            Ok(prims::list::take_n(&v, n as i64)?)
        } else {
            Ok(v)
        }
    };
    let mk = |pairs: Vec<(Sym, Value)>| -> QResult<Table> {
        let names: Vec<Sym> = pairs.iter().map(|(n, _)| *n).collect();
        let mut cs = Vec::with_capacity(pairs.len());
        for (_, v) in pairs {
            cs.push(column(v)?);
        }
        Table::new(Vector::syms(&names), cs)
    };
    if keys.is_empty() {
        return Ok(Value::Table(Arc::new(mk(cols)?)));
    }
    Value::keyed_table(mk(keys)?, mk(cols)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_dyad_agrees_with_the_primitives() {
        let mut i = Interp::new(Box::new(crate::MemHost::default()));
        let xs = [0, 1, -1, 2, 7, -7, i64::MAX, i64::MIN, i64::MIN + 1, i64::MAX - 1];
        for code in 0..=255u8 {
            for &x in &xs {
                for &y in &xs {
                    let Some(fast) = long_dyad(code, x, y) else { continue };
                    let slow = prims::call_binary(&mut i, code, Value::Long(x), Value::Long(y));
                    assert!(slow.as_ref() == Ok(&fast), "code {code}: {x} {y}");
                }
            }
        }
    }

    fn interp() -> Interp {
        Interp::new(Box::new(crate::MemHost::default()))
    }

    /// Evaluate `src` (console lines, `\d` included) and compare with `want`.
    fn check(i: &mut Interp, src: &str, want: &str) {
        let (init, last) = src.rsplit_once('\n').unwrap_or(("", src));
        for line in init.split('\n').filter(|l| !l.is_empty()) {
            assert!(i.eval_line(line).is_ok(), "{line}");
        }
        let got = i.eval_str(last);
        let want = i.eval_str(want);
        assert!(got == want, "{src}");
    }

    fn fails(i: &mut Interp, src: &str, e: &QError) {
        let got = i.eval_str(src);
        assert!(got.as_ref().err() == Some(e), "{src}");
    }

    #[test]
    fn calls() {
        let mut i = interp();
        check(&mut i, "fib:{$[x<2;x;fib[x-1]+fib[x-2]]}\nfib 20", "6765");
        check(&mut i, "{[a;b;c;d] a+b+c+d}[1;2;3;4]", "10");
        check(&mut i, "{[a;b;c;d;e] a+b+c+d+e}[1;2;3;4;5]", "15");
        check(&mut i, "{a:x;b:a+1;c:b+1;d:c+1;e:d+1;e} 1", "5");
        check(&mut i, "{a:x;b:a+1;b} 1", "2");
        check(&mut i, "h:{[n] a:1;b:2;c:3;d:n;$[n>0;a+h n-1;d]}\nh 10", "10");
        fails(&mut i, "{[n] a:1;b:2;c:3;d:n;'`e} 1", &QError::from_text("e"));
        check(&mut i, "h 3", "3");
        check(&mut i, "{:x+1;2} 1", "2");
        check(&mut i, "{x;y;}[1;2]", "::");
        check(&mut i, "{} 1", "::");
        check(&mut i, "f:{x+y}\ng:f 1\ng 2", "3");
        check(&mut i, "f[;2] 1", "3");
        check(&mut i, "f[1][2]", "3");
        check(&mut i, "{x*2} each 1 2 3", "2 4 6");
        check(&mut i, "{x+y}/[1 2 3]", "6");
        check(&mut i, "(1 2 3)[1]", "2");
        check(&mut i, "{x 1} 10 20 30", "20");
        fails(&mut i, "{x}[1;2]", &QError::Rank);
        fails(&mut i, "{'`boom} 1", &QError::from_text("boom"));
        check(&mut i, "@[{'`boom};1;{x}]", "\"boom\"");
        check(&mut i, "h:{x+1}\nh h 1", "3");
        // A lambda that arrived without its compiled form (as over IPC).
        let src = fq_value::Lambda::new(Sym::EMPTY, b"{x*y}".to_vec());
        i.set(Sym::new("m"), Value::Lambda(Arc::new(src)));
        check(&mut i, "m[3;4]", "12");
        check(&mut i, "m[3;5]", "15");
    }

    #[test]
    fn stack_and_stop() {
        // Unoptimised builds need far more stack per q call than the test thread has.
        let t = std::thread::Builder::new().stack_size(256 << 20).spawn(stack_and_stop_deep);
        assert!(t.map(|t| t.join().is_ok()).unwrap_or(false));
    }

    fn stack_and_stop_deep() {
        let mut i = interp();
        i.set_stack_limit(200 << 20);
        check(&mut i, "f:{$[x>0;1+f x-1;0]}\nf 100", "100");
        fails(&mut i, "f 5000", &QError::Stack);
        check(&mut i, "f 1000", "1000");
        i.fuel = Some(50);
        fails(&mut i, "f 100", &QError::Stop);
        i.fuel = None;
        i.stop.store(true, Ordering::Relaxed);
        fails(&mut i, "f 1", &QError::Stop);
        i.stop.store(false, Ordering::Relaxed);
        check(&mut i, "f 10", "10");
        check(&mut i, "k:0\ng:{k::k+1;$[x>0;g x-1;k]}\ng 10", "11");
    }

    #[test]
    fn native_stack_is_bounded() {
        // Compiling a 10,000-deep expression needs a big stack of its own.
        let t = std::thread::Builder::new().stack_size(256 << 20).spawn(native_stack_deep);
        assert!(t.map(|t| t.join().is_ok()).unwrap_or(false));
    }

    fn native_stack_deep() {
        // Deeply nested expressions inside recursion (found by the eval fuzzer) end in
        // 'stack at the interpreter's native-stack limit, not a stack overflow.
        let mut i = interp();
        i.set_stack_limit(4 << 20);
        let body = format!("f:{{[n]{} $[n=2;n;f[n-1]+f[n-2]]}}", "%".repeat(300));
        assert!(i.eval_str(&body).is_ok());
        fails(&mut i, "f 10", &QError::Stack);
        let deep = format!("{}1", "-".repeat(10_000));
        fails(&mut i, &deep, &QError::Stack);
        check(&mut i, "1+1", "2");
        // More random items than memory holds (found by the eval fuzzer): no abort.
        fails(&mut i, "0W?10", &QError::Wsfull);
        fails(&mut i, "-5?0W", &QError::Wsfull);
        // A null shift (found by the eval fuzzer) overflowed `i - by`.
        check(&mut i, "0N xprev 1 2 3", "0N 0N 0N");
    }

    #[test]
    fn globals_and_namespaces() {
        let mut i = interp();
        check(&mut i, "x:0\ndo[5;x+:1]\nx", "5");
        check(&mut i, "x:0N\nx+:1\nx", "0N");
        check(&mut i, "x:1.5\nx+:1\nx", "2.5");
        check(&mut i, "v:1 2 3\nv[1]+:10\nv", "1 12 3");
        check(&mut i, "{a::x} 3\na", "3");
        check(&mut i, "k:5\n\\d .foo\nk:10\ng:{x+k}\nh:{g x}\n\\d .\n.foo.h 1", "11");
        check(&mut i, "\\d .foo\nh 2", "12");
        // A lambda's names resolve in the namespace it was defined in, not by its name.
        check(&mut i, "\\d .\nm:1\n.foo.r:{m}\n.foo.m:2\n.foo.r[]", "1");
        check(&mut i, "\\d .foo\nn:{m2}\n\\d .\nm2:1\n.foo.n[]", "1");
        check(&mut i, ".foo.m2:2\n.foo.n[]", "2");
        check(&mut i, "\\d .foo\n{b::x} 4\n\\d .\n.foo.b", "4");
        check(&mut i, "fn:{[t] t+1}\nfn 1", "2");
        check(&mut i, "t:([]a:1 2)\n{t.a} 0", "1 2");
    }
}
