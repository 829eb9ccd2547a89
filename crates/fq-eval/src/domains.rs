//! Enumeration domains by name: every enumeration an interpreter makes over the variable
//! `d` (`` `d$y ``, `` `d?y ``, `` `d!i ``, a foreign key `` `t$k ``) shares one
//! [`Domain`] cell, and assigning `d` updates the cell, so a change to the domain shows
//! through every enumeration over it, as in kdb+ (`d[0]:`o` makes `` `d$`a `` show `` `o ``).
//!
//! Appending to the domain (`d,:x`, `.Q.en`, `` `d?y ``) leaves the cell alone: the
//! enumerations made so far only index its old items, which are unchanged, and the domain
//! variable's own vector then stays unshared, so later appends need no copy. An
//! enumeration made afterwards brings the cell up to the variable's current value.

use crate::interp::Interp;
use fq_value::{Domain, Sym, Value, Vector};

/// The vector a variable's value gives its enumerations: a vector itself, or the key
/// column of a table keyed by one column.
fn domain_of(v: &Value) -> Option<Vector> {
    match v {
        Value::Vector(v) => Some(v.clone()),
        Value::Dict(d) if d.is_keyed_table() => match &d.keys {
            Value::Table(k) if k.columns().len() == 1 => match &k.columns()[0] {
                Value::Vector(c) => Some(c.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// True when `old` is `new` or a leading part of it (same type, same first items).
fn extends(old: &Vector, new: &Vector) -> bool {
    old.ty() == new.ty() && old.len() <= new.len() && {
        let a = old.as_bytes();
        new.as_bytes().get(..a.len()) == Some(a)
    }
}

impl Interp {
    /// The domain cell of the variable `name`, whose value is now `v` (shared by every
    /// live enumeration over `name`; made when there is none).
    pub(crate) fn domain_cell(&mut self, name: Sym, v: Vector) -> Domain {
        if let Some(d) = self.domains.get(&name).and_then(|w| w.upgrade()) {
            if !d.get().same_items(&v) {
                d.set(v);
            }
            return d;
        }
        let d = Domain::new(v);
        if !self.is_secondary() {
            self.domains.insert(name, d.downgrade());
            self.watching = true;
        }
        d
    }

    /// The variable `name` changed: its enumerations' cell follows, unless the variable
    /// only grew (see the module notes).
    pub(crate) fn domain_changed(&mut self, name: Sym) {
        let Some(w) = self.domains.get(&name) else { return };
        let Some(d) = w.upgrade() else {
            // No enumeration over it is left.
            self.domains.remove(&name);
            self.rewatch();
            return;
        };
        if let Some(new) = self.get(name).and_then(domain_of) {
            if !extends(&d.get(), &new) {
                d.set(new);
            }
        }
    }
}
