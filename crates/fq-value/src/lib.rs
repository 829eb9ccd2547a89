//! The q data model for ferroq.
//!
//! - [`QType`]: kdb+ type numbers, explicit.
//! - [`Value`]: atoms inline, everything else behind `Arc` (16 bytes).
//! - [`Vector`]: typed vectors in shared, 64-byte-aligned, copy-on-write buffers with O(1)
//!   slices, laid out like Arrow's fixed-width arrays.
//! - [`Sym`]: process-wide interned symbols.
//! - [`QError`]: q's signals, printing exactly as q does.
//! - [`null`] and [`temporal`]: q's nulls, infinities and epochs.

pub mod buffer;
mod error;
pub mod hash;
pub mod null;
pub mod prim;
mod qtype;
pub mod sym;
pub mod temporal;
mod value;
mod vector;

pub use buffer::{Buffer, Elem, RawBuffer};
pub use error::{QError, QResult};
pub use qtype::{QType, BASE_TYPES};
pub use sym::Sym;
pub use value::{
    Adverb, Derived, Dict, Domain, Enumeration, Lambda, List, Table, Value, WeakDomain,
    GENERIC_NULL,
};
pub use vector::{Attr, AttrCell, KnownAscending, Vector};

// Hot types stay small: a Value is two words, an error three.
const _: () = assert!(std::mem::size_of::<Value>() == 16);
const _: () = assert!(std::mem::size_of::<Vector>() == 8);
const _: () = assert!(std::mem::size_of::<Sym>() == 4);
const _: () = assert!(std::mem::size_of::<QError>() == 24);
const _: () = assert!(std::mem::size_of::<Option<Value>>() == 16);
