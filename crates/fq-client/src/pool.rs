//! A blocking connection pool: [`Pool`], in the spirit of qroissant's.

use crate::endpoint::{ConnectOptions, Endpoint};
use crate::error::{ClientError, Result};
use crate::sync::Connection;
use fq_value::Value;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a pool behaves.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Most connections open at once (idle and checked out); at least 1.
    pub max_size: usize,
    /// Connections [`Pool::prewarm`] opens ahead of use.
    pub min_idle: usize,
    /// Longest a checkout waits for a connection to become free.
    pub checkout_timeout: Duration,
    /// Check an idle connection with [`test_query`](PoolOptions::test_query) before handing
    /// it out; one that fails is closed and another is tried.
    pub test_on_checkout: bool,
    /// The q text sent by the checkout test (default `::`, the generic null: cheap, no side
    /// effect).
    pub test_query: String,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            min_idle: 0,
            checkout_timeout: Duration::from_secs(30),
            test_on_checkout: false,
            test_query: "::".to_owned(),
        }
    }
}

/// A snapshot of a pool's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolMetrics {
    /// Connections open now (idle + checked out).
    pub connections: usize,
    /// Idle connections now.
    pub idle: usize,
    /// Checked-out connections now.
    pub in_use: usize,
    /// Connections opened since the pool was made.
    pub created: u64,
    /// Connections closed by the pool (broken, failed the checkout test, pool closed).
    pub closed: u64,
    /// Successful checkouts.
    pub checkouts: u64,
    /// Checkouts that had to wait for a connection to be returned.
    pub waits: u64,
    /// Checkouts that gave up after the checkout timeout.
    pub timeouts: u64,
    /// Failures: connects that failed, checkout tests that failed, connections returned
    /// broken.
    pub errors: u64,
}

#[derive(Default)]
struct State {
    idle: Vec<Connection>,
    /// Open connections, idle or not, plus connects in progress.
    total: usize,
    closed: bool,
    m: PoolMetrics,
}

impl State {
    fn metrics(&self) -> PoolMetrics {
        PoolMetrics {
            connections: self.total,
            idle: self.idle.len(),
            in_use: self.total - self.idle.len(),
            ..self.m
        }
    }
}

struct Inner {
    endpoint: Endpoint,
    opts: ConnectOptions,
    pool: PoolOptions,
    state: Mutex<State>,
    freed: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing in the pool's critical sections can panic; a poisoned lock still holds a
        // consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put_back(&self, conn: Connection) {
        let mut st = self.lock();
        if conn.is_broken() || st.closed {
            st.total -= 1;
            st.m.closed += 1;
            if conn.is_broken() {
                st.m.errors += 1;
            }
            drop(st);
            drop(conn);
        } else {
            st.idle.push(conn);
            drop(st);
        }
        self.freed.notify_one();
    }

    fn forget(&self) {
        let mut st = self.lock();
        st.total -= 1;
        drop(st);
        self.freed.notify_one();
    }
}

/// A pool of blocking connections to one endpoint, shared by threads (clone it freely).
///
/// ```no_run
/// use fq_client::{ConnectOptions, Endpoint, Pool, PoolOptions};
/// use std::time::Duration;
///
/// let pool = Pool::new(
///     Endpoint::tcp("localhost", 5000),
///     ConnectOptions::default(),
///     PoolOptions { max_size: 8, min_idle: 2, test_on_checkout: true,
///                   checkout_timeout: Duration::from_secs(5), ..Default::default() },
/// );
/// pool.prewarm()?;                               // open the idle connections now
/// let n = pool.query("count trade")?;            // checked out and returned automatically
/// let mut c = pool.get()?;                       // or hold one for several calls
/// c.query("a:1")?;
/// c.query("a+1")?;
/// drop(c);                                       // back to the pool
/// println!("{:?}", pool.metrics());
/// # Ok::<(), fq_client::ClientError>(())
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("endpoint", &self.inner.endpoint)
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl Pool {
    /// A pool; no connection is opened until needed (or [`prewarm`](Pool::prewarm)).
    pub fn new(endpoint: Endpoint, opts: ConnectOptions, pool: PoolOptions) -> Pool {
        let pool = PoolOptions { max_size: pool.max_size.max(1), ..pool };
        Pool {
            inner: Arc::new(Inner {
                endpoint,
                opts,
                pool,
                state: Mutex::new(State::default()),
                freed: Condvar::new(),
            }),
        }
    }

    /// Open connections until `min_idle` are idle (or `max_size` are open).
    pub fn prewarm(&self) -> Result<()> {
        loop {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(ClientError::PoolClosed);
            }
            if st.idle.len() >= self.inner.pool.min_idle || st.total >= self.inner.pool.max_size {
                return Ok(());
            }
            st.total += 1;
            drop(st);
            let conn = self.open()?;
            self.inner.put_back(conn);
        }
    }

    /// Check out a connection, waiting up to the checkout timeout for one to be free. It
    /// returns to the pool when dropped (closed instead if it is broken).
    pub fn get(&self) -> Result<PooledConnection> {
        let deadline = Instant::now() + self.inner.pool.checkout_timeout;
        let mut waited = false;
        let mut st = self.inner.lock();
        loop {
            if st.closed {
                return Err(ClientError::PoolClosed);
            }
            if let Some(mut conn) = st.idle.pop() {
                if !self.inner.pool.test_on_checkout {
                    st.m.checkouts += 1;
                    return Ok(self.wrap(conn));
                }
                drop(st);
                let ok = conn.query(&self.inner.pool.test_query).is_ok() && !conn.is_broken();
                st = self.inner.lock();
                if ok {
                    st.m.checkouts += 1;
                    return Ok(self.wrap(conn));
                }
                st.total -= 1;
                st.m.errors += 1;
                st.m.closed += 1;
                continue;
            }
            if st.total < self.inner.pool.max_size {
                st.total += 1;
                drop(st);
                let conn = self.open()?;
                self.inner.lock().m.checkouts += 1;
                return Ok(self.wrap(conn));
            }
            if !waited {
                waited = true;
                st.m.waits += 1;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.m.timeouts += 1;
                return Err(ClientError::PoolTimeout);
            }
            st = self.inner.freed.wait_timeout(st, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Evaluate q text on a pooled connection.
    pub fn query(&self, q: &str) -> Result<Value> {
        self.get()?.query(q)
    }

    /// Call a function on a pooled connection ([`Connection::call`]).
    pub fn call(&self, f: &str, args: &[Value]) -> Result<Value> {
        self.get()?.call(f, args)
    }

    /// Send a value as a sync message on a pooled connection.
    pub fn request(&self, msg: &Value) -> Result<Value> {
        self.get()?.request(msg)
    }

    /// The counters now.
    pub fn metrics(&self) -> PoolMetrics {
        self.inner.lock().metrics()
    }

    /// Close the idle connections and refuse further checkouts; connections checked out
    /// are closed when returned.
    pub fn close(&self) {
        let idle = {
            let mut st = self.inner.lock();
            st.closed = true;
            let idle = std::mem::take(&mut st.idle);
            st.total -= idle.len();
            st.m.closed += idle.len() as u64;
            idle
        };
        drop(idle);
        self.inner.freed.notify_all();
    }

    /// The endpoint connections go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Open one connection; `total` was already counted for it.
    fn open(&self) -> Result<Connection> {
        match Connection::connect(&self.inner.endpoint, &self.inner.opts) {
            Ok(c) => {
                self.inner.lock().m.created += 1;
                Ok(c)
            }
            Err(e) => {
                let mut st = self.inner.lock();
                st.total -= 1;
                st.m.errors += 1;
                drop(st);
                self.inner.freed.notify_one();
                Err(e)
            }
        }
    }

    fn wrap(&self, conn: Connection) -> PooledConnection {
        PooledConnection { conn: Some(conn), pool: Arc::clone(&self.inner) }
    }
}

/// A connection checked out of a [`Pool`]; it dereferences to [`Connection`] and goes back
/// to the pool when dropped.
pub struct PooledConnection {
    conn: Option<Connection>,
    pool: Arc<Inner>,
}

impl PooledConnection {
    /// Take the connection out of the pool for good (the pool opens another when needed).
    pub fn detach(mut self) -> Connection {
        self.pool.forget();
        self.conn.take().expect("a pooled connection is present until detached or dropped")
    }
}

impl std::fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledConnection").field(&self.conn).finish()
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a pooled connection is present until detached or dropped")
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("a pooled connection is present until detached or dropped")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.pool.put_back(c);
        }
    }
}
