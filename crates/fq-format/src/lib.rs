//! q's text renderings of values, exactly as kdb+ 4.x prints them.
//!
//! - [`show`]: what the console prints for a result (kdb+'s `.Q.s`), cut to the console
//!   size `\c rows cols` with `..`.
//! - [`repr`]: the one-line form `-3!x` / `.Q.s1` (`1 2 3`, `` `a`b ``, `,1`, `"abc"`,
//!   `` `long$() ``, `(1;`a)`, `` `a`b!1 2 ``, `+`a`b!(1 2;3 4)`).
//! - [`atom_text`]: one atom as `string` gives it (nulls are empty, no suffixes).
//!
//! Floats follow `\P` ([`Settings::precision`]): C's `%.Pg`, so `0.1428571`,
//! `1.234568e+08`, and `\P 0` means 17 significant digits.
//!
//! The console layout is a transcription of q.k's own `.Q.s2`/`.Q.S` (see `layout.rs`);
//! formatting is proportional to what fits on the screen, not to the size of the value.

mod float;
mod func;
mod item;
mod layout;
mod repr;
mod temporal;
pub mod text;

use fq_value::Value;

/// Console settings: `\c rows cols` (default 25 80) and `\P digits` (default 7; 0 = full
/// precision, 17 significant digits).
///
/// As `\c` does, [`show`] keeps rows and columns in kdb+'s range 10..=2000; precision is
/// capped at 17.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Console height `\c`: at most `rows-2` lines are printed.
    pub rows: usize,
    /// Console width `\c`: lines longer than `cols-1` are cut with `..`.
    pub cols: usize,
    /// `\P`: significant digits of floats; 0 for the maximum (17).
    pub precision: usize,
}

impl Default for Settings {
    /// `\c 25 80` and `\P 7`, kdb+'s defaults (before 4.1 took the terminal's size).
    fn default() -> Settings {
        Settings { rows: 25, cols: 80, precision: 7 }
    }
}

/// Resolved number formatting.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    /// Significant digits of floats and datetimes' float specials.
    pub(crate) digits: usize,
    /// Significant digits of reals: as floats (the real is widened to a float first).
    pub(crate) real_digits: usize,
}

impl Ctx {
    fn new(s: &Settings) -> Ctx {
        let digits = if s.precision == 0 { 17 } else { s.precision.min(17) };
        Ctx { digits, real_digits: digits }
    }
}

/// What the q console prints for a value: its lines joined with `'\n'` (no trailing
/// newline), cut to the console size as q does — lines longer than `cols-1` end in `..`,
/// lists, dictionaries and tables longer than the screen end with a `..` line. The generic
/// null `::` prints nothing and gives `""`.
///
/// ```
/// use fq_format::{show, Settings};
/// use fq_value::{Value, Vector};
/// let d = Value::dict(Vector::sym_names(&["a", "bc"]).into(), Vector::longs(&[1, 2]).into());
/// assert_eq!(show(&d.unwrap(), &Settings::default()), "a | 1\nbc| 2");
/// ```
pub fn show(v: &Value, s: &Settings) -> String {
    let rows = s.rows.clamp(10, 2000);
    let cols = s.cols.clamp(10, 2000);
    layout::Layout::new(Ctx::new(s), rows, cols).show(v).join("\n")
}

/// q's `-3!x` (`.Q.s1`): the one-line text of any value, as q would read it back:
/// `"1 2 3"`, `` "`a`b" ``, `",1"`, `"\"abc\""`, `` "`long$()" ``, `` "(1;`a)" ``,
/// `` "`a`b!1 2" ``, `` "+`a`b!(1 2;3 4)" ``, `"{x+y}[3]"`. Never truncated.
///
/// ```
/// use fq_format::{repr, Settings};
/// use fq_value::{Value, Vector};
/// assert_eq!(repr(&Vector::floats(&[1.0, 2.0]).into(), &Settings::default()), "1 2f");
/// assert_eq!(repr(&Value::list(vec![Value::Long(1), Value::sym("a")]), &Settings::default()), "(1;`a)");
/// ```
pub fn repr(v: &Value, s: &Settings) -> String {
    repr::repr_capped(v, &Ctx::new(s), usize::MAX)
}

/// One atom (or vector item) as q's `string` gives it: no type suffix, no quotes, no
/// backtick — `"1"`, `"2000.01.01"`, `"1.5"`, `"abc"` for `` `abc ``. Nulls give `""`
/// (as in table cells), except the null guid (all zeros) and the null char `" "`;
/// infinities give `"0W"`/`"-0W"` (`"0w"`/`"-0w"` for floating types). An enumerated
/// atom gives its symbol, a string its characters; any other value gives its [`repr`].
pub fn atom_text(v: &Value, s: &Settings) -> String {
    let ctx = Ctx::new(s);
    let mut out = String::new();
    let done = item::with_atom(v, |it| {
        it.push(0, &mut out, item::Style::Blank, &ctx);
    });
    if done.is_some() {
        return out;
    }
    match v {
        Value::Vector(vec) if vec.ty() == fq_value::QType::CHAR => {
            item::push_raw_bytes(&mut out, vec.as_bytes());
            out
        }
        Value::Enum(e) if e.ty.code() < 0 && e.is_symbolic() => {
            if let Some(sym) = repr::resolve_lossy(e).first() {
                item::push_raw_bytes(&mut out, sym.as_bytes());
            }
            out
        }
        _ => repr(v, s),
    }
}
