//! The q value: atoms, vectors, lists, dictionaries, tables, enumerations and functions.

use crate::vector::{Attr, AttrCell, Vector};
use crate::{QError, QResult, QType, Sym};
use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A q value.
///
/// Atoms are held inline; everything larger is behind an `Arc`, so a `Value` is 16 bytes
/// and cloning one is at most a reference-count increment (a guid atom excepted).
/// Temporal atoms hold kdb+'s representation (see [`crate::temporal`]).
#[derive(Clone)]
pub enum Value {
    /// -1 boolean.
    Bool(bool),
    /// -2 guid (16 bytes, network order).
    Guid(Box<[u8; 16]>),
    /// -4 byte.
    Byte(u8),
    /// -5 short.
    Short(i16),
    /// -6 int.
    Int(i32),
    /// -7 long.
    Long(i64),
    /// -8 real.
    Real(f32),
    /// -9 float.
    Float(f64),
    /// -10 char.
    Char(u8),
    /// -11 symbol.
    Symbol(Sym),
    /// -12 timestamp: nanoseconds since 2000.01.01D00:00.
    Timestamp(i64),
    /// -13 month: months since 2000.01.
    Month(i32),
    /// -14 date: days since 2000.01.01.
    Date(i32),
    /// -15 datetime: days since 2000.01.01 as a float.
    Datetime(f64),
    /// -16 timespan: nanoseconds.
    Timespan(i64),
    /// -17 minute: minutes.
    Minute(i32),
    /// -18 second: seconds.
    Second(i32),
    /// -19 time: milliseconds.
    Time(i32),
    /// 1..=19: a typed vector.
    Vector(Vector),
    /// 0: a general list.
    List(List),
    /// 20..=76 (and atoms -20..=-76): an enumeration.
    Enum(Arc<Enumeration>),
    /// 99: a dictionary; a keyed table is a dictionary of two tables.
    Dict(Arc<Dict>),
    /// 98: a table.
    Table(Arc<Table>),
    /// 100: a lambda.
    Lambda(Arc<Lambda>),
    /// 101: a unary primitive by its kdb+ code; code 0 is the generic null `::`.
    Unary(u8),
    /// 102: an operator (binary primitive) by its kdb+ code.
    Binary(u8),
    /// 103: an iterator by its kdb+ code.
    Iterator(u8),
    /// 104: a projection: the function, then its arguments (elided ones are `::`).
    Projection(Arc<Vec<Value>>),
    /// 105: a composition of functions.
    Composition(Arc<Vec<Value>>),
    /// 106..=111: a function derived by an iterator.
    Derived(Arc<Derived>),
}

/// The generic null `::` (type 101, code 0).
pub const GENERIC_NULL: Value = Value::Unary(0);

/// A general list (type 0).
#[derive(Clone, Default)]
pub struct List(Arc<ListData>);

#[derive(Clone, Default)]
struct ListData {
    attr: AttrCell,
    items: Vec<Value>,
}

impl Drop for ListData {
    /// Drops nested lists iteratively: a list nested a million deep (which `enlist/` builds
    /// in a blink) must not overflow the stack when it goes away.
    fn drop(&mut self) {
        let mut stack: Vec<Value> = std::mem::take(&mut self.items);
        while let Some(v) = stack.pop() {
            if let Value::List(List(arc)) = v {
                if let Ok(mut inner) = Arc::try_unwrap(arc) {
                    stack.append(&mut inner.items);
                }
            }
        }
    }
}

impl List {
    /// A list of these items.
    pub fn new(items: Vec<Value>) -> List {
        List(Arc::new(ListData { attr: AttrCell::default(), items }))
    }
    /// The attribute.
    pub fn attr(&self) -> Attr {
        self.0.attr.get()
    }
    /// The same list with an attribute.
    pub fn with_attr(mut self, attr: Attr) -> List {
        if self.attr() != attr {
            Arc::make_mut(&mut self.0).attr.set(attr);
        }
        self
    }
    /// Set the attribute on the shared list itself (see [`Vector::set_attr_shared`]).
    pub fn set_attr_shared(&self, attr: Attr) {
        self.0.attr.set(attr);
    }
    /// The items.
    pub fn items(&self) -> &[Value] {
        &self.0.items
    }
    /// The items, mutably (copy-on-write). Clears the attribute.
    pub fn make_mut(&mut self) -> &mut Vec<Value> {
        let d = Arc::make_mut(&mut self.0);
        d.attr.set(Attr::None);
        &mut d.items
    }
    /// Number of items.
    pub fn len(&self) -> usize {
        self.0.items.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.items.is_empty()
    }
}

/// A dictionary: keys and values of equal count. Sorted dictionaries (wire type 127) are
/// dictionaries whose keys carry `` `s# ``.
#[derive(Clone)]
pub struct Dict {
    /// The keys (a vector, list or table).
    pub keys: Value,
    /// The values (a vector, list or table).
    pub values: Value,
    /// `` `s `` on a step dictionary (sent as type 127), else none.
    attr: Attr,
}

impl Dict {
    /// A dictionary; `'length` unless keys and values have the same count, `'type` when
    /// either is an atom or a function.
    pub fn new(keys: Value, values: Value) -> QResult<Dict> {
        let (Some(k), Some(v)) = (keys.list_len(), values.list_len()) else {
            return Err(QError::Type);
        };
        if k != v {
            return Err(QError::Length);
        }
        // Keys that are `` `s# `` when the dictionary is made make a step dictionary.
        let attr = if keys.attr() == Attr::Sorted { Attr::Sorted } else { Attr::None };
        Ok(Dict { keys, values, attr })
    }

    /// True when keys and values are both tables (a keyed table).
    pub fn is_keyed_table(&self) -> bool {
        matches!((&self.keys, &self.values), (Value::Table(_), Value::Table(_)))
    }

    /// True for a step dictionary, `` `s#d `` (sent as type 127): looking up a missing
    /// key gives the value of the previous key.
    pub fn is_sorted(&self) -> bool {
        self.attr == Attr::Sorted
    }

    /// The dictionary's own attribute (`` `s `` on a step dictionary).
    pub fn attr(&self) -> Attr {
        self.attr
    }

    /// The same dictionary with an attribute.
    pub fn with_attr(mut self, attr: Attr) -> Dict {
        self.attr = attr;
        self
    }
}

/// A table: named columns of equal length.
#[derive(Clone)]
pub struct Table {
    attr: AttrCell,
    names: Vector,
    columns: Vec<Value>,
}

impl Table {
    /// A table from a symbol vector of names and one column per name. Columns must be
    /// vectors or lists of equal length (`'length`), names a symbol vector (`'type`).
    pub fn new(names: Vector, columns: Vec<Value>) -> QResult<Table> {
        if names.ty() != QType::SYMBOL {
            return Err(QError::Type);
        }
        if names.len() != columns.len() {
            return Err(QError::Length);
        }
        let mut rows = None;
        for c in &columns {
            let n = match c {
                Value::Vector(v) => v.len(),
                Value::List(l) => l.len(),
                Value::Enum(e) if e.ty.code() > 0 => e.indices.len(),
                _ => return Err(QError::Type),
            };
            if *rows.get_or_insert(n) != n {
                return Err(QError::Length);
            }
        }
        Ok(Table { attr: AttrCell::default(), names, columns })
    }

    /// A table from (name, column) pairs.
    pub fn from_pairs(pairs: Vec<(&str, Value)>) -> QResult<Table> {
        let names: Vec<Sym> = pairs.iter().map(|(n, _)| Sym::new(n)).collect();
        Table::new(Vector::syms(&names), pairs.into_iter().map(|(_, c)| c).collect())
    }

    /// The table's attribute (`` `s# `` on a sorted table).
    pub fn attr(&self) -> Attr {
        self.attr.get()
    }
    /// The same table with an attribute.
    pub fn with_attr(self, attr: Attr) -> Table {
        self.attr.set(attr);
        self
    }
    /// Set the attribute on the shared table itself (see [`Vector::set_attr_shared`]).
    pub fn set_attr_shared(&self, attr: Attr) {
        self.attr.set(attr);
    }
    /// Column names.
    pub fn names(&self) -> &Vector {
        &self.names
    }
    /// Columns, in order.
    pub fn columns(&self) -> &[Value] {
        &self.columns
    }
    /// Columns, mutably. Callers keep lengths equal.
    pub fn columns_mut(&mut self) -> &mut Vec<Value> {
        &mut self.columns
    }
    /// The column called `name`.
    pub fn column(&self, name: Sym) -> Option<&Value> {
        let i = self.names.as_slice::<Sym>().iter().position(|&n| n == name)?;
        self.columns.get(i)
    }
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().and_then(Value::list_len).unwrap_or(0)
    }
}

/// An enumeration: indices into a domain of symbols (a symbol vector named by
/// `domain_name`, usually `sym`), or a foreign key: indices into the rows of the keyed
/// table named by `domain_name` (the domain is then its key column, of any vector type).
/// Vectors have `ty` 20..=76, atoms -20..=-76.
///
/// The domain is a [`Domain`] cell, which the interpreter shares among the enumerations it
/// makes over one variable and keeps up to date with that variable (kdb+'s enumerations
/// refer to their domain by name, so a change to it shows through).
#[derive(Clone)]
pub struct Enumeration {
    /// The type number (20..=76 or -20..=-76).
    pub ty: QType,
    /// The name of the domain variable.
    pub domain_name: Sym,
    /// The domain's items (symbols, or a keyed table's key column).
    pub domain: Domain,
    /// Indices into the domain (a long vector; one element for an atom).
    pub indices: Vector,
}

/// An enumeration's domain: the vector of the variable it is named by, in a cell shared by
/// every enumeration made over that variable (clones share the cell). Reads take a
/// snapshot (an `Arc` clone of the vector).
#[derive(Clone)]
pub struct Domain(Arc<std::sync::RwLock<Vector>>);

/// A [`Domain`] held without keeping it alive (the interpreter's table of live domains).
#[derive(Clone)]
pub struct WeakDomain(std::sync::Weak<std::sync::RwLock<Vector>>);

impl Domain {
    /// A cell of its own holding `v`.
    pub fn new(v: Vector) -> Domain {
        Domain(Arc::new(std::sync::RwLock::new(v)))
    }

    /// The domain's vector now.
    pub fn get(&self) -> Vector {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replace the vector: every enumeration sharing the cell sees `v`.
    pub fn set(&self, v: Vector) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = v;
    }

    /// A weak handle on the cell.
    pub fn downgrade(&self) -> WeakDomain {
        WeakDomain(Arc::downgrade(&self.0))
    }
}

impl WeakDomain {
    /// The cell, while some enumeration still holds it.
    pub fn upgrade(&self) -> Option<Domain> {
        self.0.upgrade().map(Domain)
    }
}

impl From<Vector> for Domain {
    fn from(v: Vector) -> Domain {
        Domain::new(v)
    }
}

impl Enumeration {
    /// Resolve to symbols (as IPC does before sending): `'index` when an index is outside
    /// the domain.
    pub fn resolve(&self) -> QResult<Value> {
        if !self.is_symbolic() {
            return self.resolve_keys();
        }
        let domain = self.domain.get();
        let dom = domain.as_slice::<Sym>();
        let idx = self.indices.as_slice::<i64>();
        let mut out = Vec::with_capacity(idx.len());
        for &i in idx {
            let s = usize::try_from(i).ok().and_then(|i| dom.get(i)).ok_or(QError::Index)?;
            out.push(*s);
        }
        if self.ty.code() < 0 {
            return Ok(Value::Symbol(out.first().copied().unwrap_or(Sym::EMPTY)));
        }
        Ok(Value::Vector(Vector::syms(&out).with_attr(self.indices.attr())))
    }

    /// True when the domain is a symbol list (not the key column of a keyed table of
    /// another type).
    pub fn is_symbolic(&self) -> bool {
        self.domain.get().ty() == QType::SYMBOL
    }

    /// The domain's items at the indices, for a domain of any vector type.
    fn resolve_keys(&self) -> QResult<Value> {
        let domain = self.domain.get();
        let size = domain.elem_size();
        let bytes = domain.as_bytes();
        let idx = self.indices.as_slice::<i64>();
        let mut out = Vec::with_capacity(idx.len().saturating_mul(size));
        for &i in idx {
            let at = usize::try_from(i)
                .ok()
                .filter(|&i| i < domain.len())
                .and_then(|i| bytes.get(i * size..(i + 1) * size))
                .ok_or(QError::Index)?;
            out.extend_from_slice(at);
        }
        let v = Vector::from_buffer(domain.ty(), crate::buffer::Buffer::from_slice(&out))?;
        if self.ty.code() < 0 {
            return v.get(0).ok_or(QError::Index);
        }
        Ok(Value::Vector(v))
    }
}

/// A lambda: its source text and the context (namespace) it was defined in.
pub struct Lambda {
    /// The namespace, `` ` `` for the root (`q` for q's own lambdas).
    pub context: Sym,
    /// The source text, exactly as written (bytes, as on the wire).
    pub source: Vec<u8>,
    /// The interpreter's compiled form, attached lazily.
    pub compiled: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Lambda {
    /// A lambda from its source.
    pub fn new(context: Sym, source: impl Into<Vec<u8>>) -> Lambda {
        Lambda { context, source: source.into(), compiled: OnceLock::new() }
    }
    /// The source as text.
    pub fn source_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.source)
    }
}

impl Clone for Lambda {
    fn clone(&self) -> Self {
        Lambda {
            context: self.context,
            source: self.source.clone(),
            compiled: self.compiled.get().map_or_else(OnceLock::new, |c| {
                let l = OnceLock::new();
                let _ = l.set(Arc::clone(c));
                l
            }),
        }
    }
}

/// The six iterators that derive a function (types 106..=111).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Adverb {
    /// `'` each (106).
    Each,
    /// `/` over (107).
    Over,
    /// `\` scan (108).
    Scan,
    /// `':` each-prior (109).
    EachPrior,
    /// `/:` each-right (110).
    EachRight,
    /// `\:` each-left (111).
    EachLeft,
}

impl Adverb {
    /// The derived function's type number.
    pub fn qtype(self) -> QType {
        QType(106 + self as i16)
    }
    /// The adverb for a derived-function type number.
    pub fn from_qtype(t: QType) -> Option<Adverb> {
        Some(match t.code() {
            106 => Adverb::Each,
            107 => Adverb::Over,
            108 => Adverb::Scan,
            109 => Adverb::EachPrior,
            110 => Adverb::EachRight,
            111 => Adverb::EachLeft,
            _ => return None,
        })
    }
    /// The glyph.
    pub fn glyph(self) -> &'static str {
        ["'", "/", "\\", "':", "/:", "\\:"][self as usize]
    }
}

/// A function derived from another by an iterator (`f'`, `f/`...).
#[derive(Clone)]
pub struct Derived {
    /// Which iterator.
    pub adverb: Adverb,
    /// The function it applies to.
    pub function: Value,
}

impl Value {
    /// The q type number, as `type x` reports it.
    pub fn qtype(&self) -> QType {
        match self {
            Value::Bool(_) => QType(-1),
            Value::Guid(_) => QType(-2),
            Value::Byte(_) => QType(-4),
            Value::Short(_) => QType(-5),
            Value::Int(_) => QType(-6),
            Value::Long(_) => QType(-7),
            Value::Real(_) => QType(-8),
            Value::Float(_) => QType(-9),
            Value::Char(_) => QType(-10),
            Value::Symbol(_) => QType(-11),
            Value::Timestamp(_) => QType(-12),
            Value::Month(_) => QType(-13),
            Value::Date(_) => QType(-14),
            Value::Datetime(_) => QType(-15),
            Value::Timespan(_) => QType(-16),
            Value::Minute(_) => QType(-17),
            Value::Second(_) => QType(-18),
            Value::Time(_) => QType(-19),
            Value::Vector(v) => v.ty(),
            Value::List(_) => QType::LIST,
            Value::Enum(e) => e.ty,
            Value::Dict(_) => QType::DICT,
            Value::Table(_) => QType::TABLE,
            Value::Lambda(_) => QType::LAMBDA,
            Value::Unary(_) => QType::UNARY,
            Value::Binary(_) => QType::BINARY,
            Value::Iterator(_) => QType::ITERATOR,
            Value::Projection(_) => QType::PROJECTION,
            Value::Composition(_) => QType::COMPOSITION,
            Value::Derived(d) => d.adverb.qtype(),
        }
    }

    /// True for atoms (negative types), enumeration atoms included.
    pub fn is_atom(&self) -> bool {
        self.qtype().code() < 0
    }

    /// True for the generic null `::`.
    pub fn is_generic_null(&self) -> bool {
        matches!(self, Value::Unary(0))
    }

    /// Item count for list-like values (vectors, lists, enumerations, dicts, tables);
    /// `None` for atoms and functions.
    pub fn list_len(&self) -> Option<usize> {
        match self {
            Value::Vector(v) => Some(v.len()),
            Value::List(l) => Some(l.len()),
            Value::Enum(e) if e.ty.code() > 0 => Some(e.indices.len()),
            Value::Dict(d) => d.keys.list_len(),
            Value::Table(t) => Some(t.rows()),
            _ => None,
        }
    }

    /// q's `count`: 1 for atoms and functions.
    pub fn count(&self) -> usize {
        self.list_len().unwrap_or(1)
    }

    /// The attribute of a vector, list, table or enumeration (`Attr::None` otherwise).
    pub fn attr(&self) -> Attr {
        match self {
            Value::Vector(v) => v.attr(),
            Value::List(l) => l.attr(),
            Value::Table(t) => t.attr(),
            Value::Enum(e) => e.indices.attr(),
            Value::Dict(d) => d.attr(),
            _ => Attr::None,
        }
    }

    /// The null atom of an elementary type (`0N` for long, `` ` `` for symbol).
    pub fn null_of(ty: QType) -> Option<Value> {
        use crate::null::*;
        Some(match ty.atom().code() {
            -1 => Value::Bool(false),
            -2 => Value::Guid(Box::new(NULL_GUID)),
            -4 => Value::Byte(0),
            -5 => Value::Short(NULL_I16),
            -6 => Value::Int(NULL_I32),
            -7 => Value::Long(NULL_I64),
            -8 => Value::Real(NULL_F32),
            -9 => Value::Float(NULL_F64),
            -10 => Value::Char(NULL_CHAR),
            -11 => Value::Symbol(Sym::EMPTY),
            -12 => Value::Timestamp(NULL_I64),
            -13 => Value::Month(NULL_I32),
            -14 => Value::Date(NULL_I32),
            -15 => Value::Datetime(NULL_F64),
            -16 => Value::Timespan(NULL_I64),
            -17 => Value::Minute(NULL_I32),
            -18 => Value::Second(NULL_I32),
            -19 => Value::Time(NULL_I32),
            _ => return None,
        })
    }

    /// True for a null atom (`0N`, `0n`, `` ` ``, `" "`, `0Ng`...).
    pub fn is_null(&self) -> bool {
        use crate::null::QNull;
        match self {
            Value::Guid(g) => **g == [0; 16],
            Value::Short(x) => x.is_null(),
            Value::Int(x) | Value::Month(x) | Value::Date(x) => x.is_null(),
            Value::Minute(x) | Value::Second(x) | Value::Time(x) => x.is_null(),
            Value::Long(x) | Value::Timestamp(x) | Value::Timespan(x) => x.is_null(),
            Value::Real(x) => x.is_nan(),
            Value::Float(x) | Value::Datetime(x) => x.is_nan(),
            Value::Char(c) => *c == b' ',
            Value::Symbol(s) => s.is_null(),
            Value::Unary(0) => true,
            _ => false,
        }
    }

    /// A char vector from text.
    pub fn string(s: &str) -> Value {
        Value::Vector(Vector::string(s))
    }

    /// A symbol atom.
    pub fn sym(s: &str) -> Value {
        Value::Symbol(Sym::new(s))
    }

    /// A general list.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::new(items))
    }

    /// A dictionary (`'length`/`'type` as [`Dict::new`]).
    pub fn dict(keys: Value, values: Value) -> QResult<Value> {
        Ok(Value::Dict(Arc::new(Dict::new(keys, values)?)))
    }

    /// A keyed table from its key table and value table (`'length` on row mismatch).
    pub fn keyed_table(keys: Table, values: Table) -> QResult<Value> {
        Value::dict(Value::Table(Arc::new(keys)), Value::Table(Arc::new(values)))
    }
}

impl From<Vector> for Value {
    fn from(v: Vector) -> Value {
        Value::Vector(v)
    }
}

impl From<Table> for Value {
    fn from(t: Table) -> Value {
        Value::Table(Arc::new(t))
    }
}

fn float_same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Structural identity, as q's `~`: same type, same items; float nulls match each other;
/// attributes are ignored. Lambdas match by source and context.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a == b,
            (Guid(a), Guid(b)) => a == b,
            (Byte(a), Byte(b)) | (Char(a), Char(b)) => a == b,
            (Short(a), Short(b)) => a == b,
            (Int(a), Int(b)) | (Month(a), Month(b)) | (Date(a), Date(b)) => a == b,
            (Minute(a), Minute(b)) | (Second(a), Second(b)) | (Time(a), Time(b)) => a == b,
            (Long(a), Long(b)) | (Timestamp(a), Timestamp(b)) | (Timespan(a), Timespan(b)) => {
                a == b
            }
            (Real(a), Real(b)) => float_same(f64::from(*a), f64::from(*b)),
            (Float(a), Float(b)) | (Datetime(a), Datetime(b)) => float_same(*a, *b),
            (Symbol(a), Symbol(b)) => a == b,
            (Vector(a), Vector(b)) => a.same_items(b),
            (List(a), List(b)) => a.items() == b.items(),
            (Enum(a), Enum(b)) => {
                a.ty == b.ty
                    && a.domain_name == b.domain_name
                    && a.resolve().ok() == b.resolve().ok()
            }
            (Dict(a), Dict(b)) => a.keys == b.keys && a.values == b.values,
            (Table(a), Table(b)) => a.names.same_items(&b.names) && a.columns == b.columns,
            (Lambda(a), Lambda(b)) => a.context == b.context && a.source == b.source,
            (Unary(a), Unary(b)) | (Binary(a), Binary(b)) | (Iterator(a), Iterator(b)) => a == b,
            (Projection(a), Projection(b)) | (Composition(a), Composition(b)) => a == b,
            (Derived(a), Derived(b)) => a.adverb == b.adverb && a.function == b.function,
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    /// A compact, unambiguous rendering for tests and logs. The q console format lives in
    /// fq-format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Value::*;
        match self {
            Bool(b) => write!(f, "{}b", u8::from(*b)),
            Guid(g) => {
                for (i, b) in g.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
            Byte(b) => write!(f, "0x{b:02x}"),
            Short(x) => write!(f, "{x}h"),
            Int(x) => write!(f, "{x}i"),
            Long(x) => write!(f, "{x}j"),
            Real(x) => write!(f, "{x}e"),
            Float(x) => write!(f, "{x}f"),
            Char(c) => write!(f, "{:?}", char::from(*c)),
            Symbol(s) => write!(f, "{s:?}"),
            Timestamp(x) => write!(f, "{x}p"),
            Month(x) => write!(f, "{x}m"),
            Date(x) => write!(f, "{x}d"),
            Datetime(x) => write!(f, "{x}z"),
            Timespan(x) => write!(f, "{x}n"),
            Minute(x) => write!(f, "{x}u"),
            Second(x) => write!(f, "{x}v"),
            Time(x) => write!(f, "{x}t"),
            Vector(v) => write!(f, "{v:?}"),
            List(l) => f.debug_list().entries(l.items()).finish(),
            Enum(e) => write!(f, "`{}${:?}", e.domain_name, e.indices),
            Dict(d) => write!(f, "({:?}!{:?})", d.keys, d.values),
            Table(t) => {
                f.write_str("+")?;
                let mut m = f.debug_map();
                for (n, c) in t.names.as_slice::<Sym>().iter().zip(&t.columns) {
                    m.entry(n, c);
                }
                m.finish()
            }
            Lambda(l) => write!(f, "{}", l.source_text()),
            Unary(0) => f.write_str("::"),
            Unary(c) => write!(f, "unary#{c}"),
            Binary(c) => write!(f, "binary#{c}"),
            Iterator(c) => write!(f, "iterator#{c}"),
            Projection(p) => write!(f, "projection{p:?}"),
            Composition(p) => write!(f, "composition{p:?}"),
            Derived(d) => write!(f, "({:?}){}", d.function, d.adverb.glyph()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_counts() {
        assert_eq!(Value::Long(1).qtype(), QType(-7));
        assert_eq!(GENERIC_NULL.qtype(), QType::UNARY);
        assert!(GENERIC_NULL.is_generic_null() && GENERIC_NULL.is_null());
        let t = Table::from_pairs(vec![
            ("a", Vector::longs(&[1, 2]).into()),
            ("b", Vector::sym_names(&["x", "y"]).into()),
        ])
        .unwrap();
        assert_eq!(t.rows(), 2);
        assert_eq!(t.column(Sym::new("b")).unwrap().count(), 2);
        let tv: Value = t.into();
        assert_eq!(tv.qtype(), QType::TABLE);
        assert_eq!(tv.count(), 2);
        assert!(Table::from_pairs(vec![
            ("a", Vector::longs(&[1, 2]).into()),
            ("b", Vector::longs(&[1]).into())
        ])
        .is_err());
        assert_eq!(
            Value::dict(Vector::longs(&[1]).into(), Vector::longs(&[1, 2]).into()).err(),
            Some(QError::Length)
        );
        assert_eq!(Value::dict(Value::Long(1), Value::Long(1)).err(), Some(QError::Type));
        for t in crate::qtype::BASE_TYPES {
            let n = Value::null_of(t).unwrap();
            assert_eq!(n.qtype(), t.atom());
            if t != QType::BOOLEAN && t != QType::BYTE {
                assert!(n.is_null(), "{t:?}");
            }
        }
    }

    #[test]
    fn enum_resolves() {
        let e = Enumeration {
            ty: QType(20),
            domain_name: Sym::new("sym"),
            domain: Vector::sym_names(&["a", "b"]).into(),
            indices: Vector::longs(&[1, 0, 1]),
        };
        assert_eq!(e.resolve().unwrap(), Value::Vector(Vector::sym_names(&["b", "a", "b"])));
        let bad = Enumeration { indices: Vector::longs(&[2]), ..e };
        assert_eq!(bad.resolve().err(), Some(QError::Index));
    }

    #[test]
    fn foreign_key_over_long_keys_resolves_to_keys() {
        let e = Enumeration {
            ty: QType(20),
            domain_name: Sym::new("f"),
            domain: Vector::longs(&[1, 2, 3]).into(),
            indices: Vector::longs(&[2, 1]),
        };
        assert!(!e.is_symbolic());
        assert_eq!(e.resolve().unwrap(), Value::Vector(Vector::longs(&[3, 2])));
        let atom = Enumeration { ty: QType(-20), indices: Vector::longs(&[0]), ..e.clone() };
        assert_eq!(atom.resolve().unwrap(), Value::Long(1));
        let bad = Enumeration { indices: Vector::longs(&[3]), ..e };
        assert_eq!(bad.resolve().err(), Some(QError::Index));
    }

    #[test]
    fn deep_lists_drop_without_recursion() {
        let mut v = Value::Long(1);
        for _ in 0..1_000_000 {
            v = Value::list(vec![v]);
        }
        drop(v);
    }

    #[test]
    fn identity() {
        assert_eq!(Value::Float(f64::NAN), Value::Float(crate::null::NULL_F64));
        assert_ne!(Value::Long(1), Value::Int(1));
        assert_eq!(
            Value::Vector(Vector::longs(&[1]).with_attr(Attr::Sorted)),
            Value::Vector(Vector::longs(&[1]))
        );
    }
}
