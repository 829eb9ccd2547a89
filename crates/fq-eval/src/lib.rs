//! The q interpreter.
//!
//! [`Interp`] owns a workspace of globals and evaluates q: source is parsed by
//! `fq-syntax`, compiled to [`node::Node`]s (locals resolved to slots, primitives to
//! codes) and evaluated by a tree walker. All IO goes through a [`Host`].

#[cfg(feature = "arrow")]
mod arrowq;
mod atomic;
pub mod compile;
mod convert;
mod domains;
mod dotfq;
mod doth;
mod dotj;
mod dotq;
mod grouping;
pub mod host;
mod internal;
mod interp;
mod iter;
mod lane;
pub mod limits;
pub mod node;
pub mod parallel;
pub mod prims;
mod ptree;
mod qnamespace;
mod qsql;
mod qsql_distinct;
pub mod script;
pub mod system;
mod textio;
mod views;

pub use host::{Host, MemHost, NativeHost};
pub use interp::{Console, Interp};

impl Interp {
    /// A throwaway interpreter for primitives that need one to call back into q but
    /// have no workspace state to touch.
    pub(crate) fn scratch() -> Interp {
        Interp::new(Box::new(MemHost::default()))
    }

    /// The value a name has in code, for hosts that call q functions by name (`.j.j`,
    /// `.h.cd`, `.z.ph`): a global, else a built-in namespace entry (`.Q`, `.h`, `.j`,
    /// `.z`) materialised on read, which [`Interp::get`] does not see.
    pub fn resolve(&mut self, name: fq_value::Sym) -> Option<fq_value::Value> {
        match self.get(name) {
            Some(v) => Some(v.clone()),
            None => prims::system_var(self, name),
        }
    }

    /// Render a value as the console shows it.
    pub fn show(&self, v: &fq_value::Value) -> String {
        let s = fq_format::Settings {
            rows: self.console.rows,
            cols: self.console.cols,
            precision: self.console.precision,
        };
        fq_format::show(v, &s)
    }
}
