//! The console display: a transcription of kdb+'s own `.Q.s`, `.Q.S` and `.Q.s2` (q.k,
//! kdb+ 4.1), which define what the console prints:
//!
//! ```text
//! s2:{$[99h=t:@x;((|/#:'x)$x:t0[#d;x]),'"| ",/:t0[#x:s2@!x]d:s2@. x;
//!       98h=t;(1#x),(,(#*x)#"-"),1_x:tab[1](,$!x),$[#*r:s2'. x:sw@+x;+r;()]
//!       ~#x;();t>76h;s1'x;t;$x;|/(97h<t)|0h>t:?@:'x;s1'x;
//!       (1<#?#:'x)|$[1=#t;(*t)in 1 4 10h;0];s1'x;tab[1]@s2'sw'x]}
//! S:{x[1]{$[x<#y;((x-2)#y),"..";y]}'$[t&77h>t:@z;,s1 z;99h<t;"\n"\:$z;
//!       $[s;,[;,".."];::]s2 .q.sublist[(y;n-s:(y+n:x[0]-2*.Q.qt z)<#z)]z]}
//! s:{$[(::)~x;"";`/:$[10h=@r:@[S[(."\\c")-2 1;0];x;::];,-3!x;r]]}
//! tab:{" "/:'(x*|/#:''y)$/:y};  t0:{$[x>#y;((#*y)#'" -"),y;y]};  sw:{.q.sublist[1000]x}
//! ```
//!
//! In words: atoms and vectors print their `-3!` form on one line; functions their text.
//! Lists, dictionaries and tables print one line per item (at most `rows-2` lines, the last
//! `..` when cut; tables keep two of those for their header). A list of equal-length lists
//! prints as an aligned matrix. Table and dictionary columns use `string` (nulls blank,
//! no suffixes), nested lists their `-3!` form. Every line longer than `cols-1` is cut to
//! `cols-3` characters and `..`. Any failure falls back to one `-3!` line.
//!
//! Lines are built with a width cap: text beyond `cols` can never be shown, so cells are
//! truncated there and columns past the screen edge are not formatted at all.

use crate::item::{Items, Style};
use crate::repr::{repr_capped, resolve_lossy};
use crate::Ctx;
use fq_value::{Dict, Enumeration, List, Table, Value};
use std::sync::Arc;

/// `sw`: at most this many columns of a table, or cells of a matrix row (half of `\C`'s
/// default width 2000).
const SW: usize = 1000;

/// One console rendering: the screen size and the float digits.
pub(crate) struct Layout {
    ctx: Ctx,
    rows: usize,
    cols: usize,
    /// No line piece needs to be longer than this.
    cap: usize,
}

impl Layout {
    pub(crate) fn new(ctx: Ctx, rows: usize, cols: usize) -> Layout {
        Layout { ctx, rows, cols, cap: cols + 2 }
    }

    /// The console lines for `v` (`.Q.s` without the trailing newline).
    pub(crate) fn show(&self, v: &Value) -> Vec<String> {
        if v.is_generic_null() {
            return Vec::new();
        }
        // The console prints an empty general list or dictionary as its -3! form, where
        // .Q.s would print nothing.
        let empty_list_or_dict = match v {
            Value::List(l) => l.is_empty(),
            Value::Dict(d) => !d.is_keyed_table() && v.count() == 0,
            _ => false,
        };
        if empty_list_or_dict {
            return vec![repr_capped(v, &self.ctx, usize::MAX)];
        }
        match self.big_s(v) {
            Some(lines) => lines,
            None => vec![repr_capped(v, &self.ctx, usize::MAX)],
        }
    }

    /// `.Q.S[(rows-2;cols-1);0]`.
    fn big_s(&self, z: &Value) -> Option<Vec<String>> {
        let t = z.qtype().code();
        let lines = if t < 0 || (1..77).contains(&t) {
            vec![repr_capped(z, &self.ctx, self.cap)]
        } else if t > 99 {
            repr_capped(z, &self.ctx, usize::MAX).split('\n').map(str::to_owned).collect()
        } else {
            let n = self.rows.saturating_sub(2).saturating_sub(if is_table(z) { 2 } else { 0 });
            let s = n < z.count();
            let sub = sublist(z, n - usize::from(s))?;
            let mut lines = self.s2(&sub)?;
            if s {
                lines.push("..".to_owned());
            }
            lines
        };
        let width = self.cols.saturating_sub(1);
        Some(lines.into_iter().map(|l| cut(l, width)).collect())
    }

    /// `.Q.s2`: the lines of a list, dictionary or table.
    fn s2(&self, x: &Value) -> Option<Vec<String>> {
        match x {
            Value::Dict(d) => self.s2_dict(d),
            Value::Table(t) => self.s2_table(t),
            Value::Vector(v) => {
                let items = Items::of(v)?;
                Some((0..items.len()).map(|i| self.cell(&items, i)).collect())
            }
            Value::Enum(e) if e.ty.code() > 0 && !e.is_symbolic() => {
                let items = Items::of(&e.indices)?;
                Some((0..items.len()).map(|i| self.cell(&items, i)).collect())
            }
            Value::Enum(e) if e.ty.code() > 0 => {
                let syms = resolve_lossy(e);
                let items = Items::Sym(&syms);
                Some((0..syms.len()).map(|i| self.cell(&items, i)).collect())
            }
            Value::List(l) => self.s2_list(l.items()),
            // s2 only ever sees lists; an atom here is a malformed dictionary.
            _ => None,
        }
    }

    /// A general list: `-3!` per item, or an aligned matrix.
    fn s2_list(&self, items: &[Value]) -> Option<Vec<String>> {
        if items.is_empty() {
            return Some(Vec::new());
        }
        let mut types: Vec<i16> = items.iter().map(|x| x.qtype().code()).collect();
        types.sort_unstable();
        types.dedup();
        let counts_differ = items.iter().any(|x| x.count() != items[0].count());
        let one_line_each = types.iter().any(|t| !(0..=97).contains(t))
            || counts_differ
            || (types.len() == 1 && matches!(types[0], 1 | 4 | 10));
        if one_line_each {
            return Some(items.iter().map(|x| repr_capped(x, &self.ctx, self.cap)).collect());
        }
        // A matrix: each row's cells are the lines of (its first 1000 items).
        let mut rows = Vec::with_capacity(items.len());
        for x in items {
            rows.push(self.s2(&sublist(x, SW)?)?);
        }
        let ncols = rows[0].len();
        if rows.iter().any(|r| r.len() != ncols) {
            return None;
        }
        let columns: Vec<Vec<String>> = (0..ncols)
            .map(|j| rows.iter_mut().map(|r| std::mem::take(&mut r[j])).collect())
            .collect();
        Some(self.tab(&columns, items.len()))
    }

    /// A dictionary: keys padded to one width, `| `, values.
    fn s2_dict(&self, d: &Dict) -> Option<Vec<String>> {
        let values = self.s2(&d.values)?;
        let keys = self.s2(&d.keys)?;
        let (nv, nk) = (values.len(), keys.len());
        let values = t0(nk, values);
        let keys = t0(nv, keys);
        if keys.len() != values.len() {
            return None;
        }
        let w = keys.iter().map(String::len).max().unwrap_or(0);
        Some(
            keys.into_iter()
                .zip(values)
                .map(|(mut k, v)| {
                    pad(&mut k, w);
                    k.push_str("| ");
                    k.push_str(&v);
                    k
                })
                .collect(),
        )
    }

    /// A table: header, dashes, rows; columns formatted until the screen is full.
    fn s2_table(&self, t: &Table) -> Option<Vec<String>> {
        let names = Items::of(t.names())?;
        let mut columns: Vec<Vec<String>> = Vec::new();
        let mut nrows = None;
        let mut width = 0;
        for (j, col) in t.columns().iter().enumerate().take(SW.min(names.len())) {
            let lines = self.s2(col)?;
            let n = *nrows.get_or_insert(lines.len());
            if lines.len() != n {
                return None;
            }
            let mut cells = Vec::with_capacity(n + 1);
            let mut header = String::new();
            names.push(j, &mut header, Style::Blank, &self.ctx);
            cells.push(header);
            cells.extend(lines);
            width += 1 + cells.iter().map(String::len).max().unwrap_or(0);
            columns.push(cells);
            if width > self.cap {
                break;
            }
        }
        let mut lines = self.tab(&columns, 1 + nrows.unwrap_or(0));
        let dashes = "-".repeat(lines.first().map_or(0, String::len));
        lines.insert(1.min(lines.len()), dashes);
        Some(lines)
    }

    /// `tab[1]`: cells padded to their column's widest, joined by single spaces. Columns
    /// past the cap are left out (every line is already too long to show them).
    fn tab(&self, columns: &[Vec<String>], nrows: usize) -> Vec<String> {
        let mut lines = vec![String::new(); nrows];
        let mut width = 0;
        for (j, col) in columns.iter().enumerate() {
            if width > self.cap {
                break;
            }
            let w = col.iter().map(String::len).max().unwrap_or(0);
            for (line, cell) in lines.iter_mut().zip(col) {
                if j > 0 {
                    line.push(' ');
                }
                line.push_str(cell);
                pad(line, width + usize::from(j > 0) + w);
            }
            width += usize::from(j > 0) + w;
        }
        lines
    }

    /// One item as `string` gives it, capped.
    fn cell(&self, items: &Items<'_>, i: usize) -> String {
        let mut s = String::new();
        items.push(i, &mut s, Style::Blank, &self.ctx);
        truncate(&mut s, self.cap);
        s
    }
}

/// `.Q.qt`: a table or a keyed table.
fn is_table(v: &Value) -> bool {
    match v {
        Value::Table(_) => true,
        Value::Dict(d) => d.is_keyed_table(),
        _ => false,
    }
}

/// `t0`: when `y` has fewer than `n` lines, put a blank line and a dash line (as wide as
/// its first line) on top, as a key column under a table's header.
fn t0(n: usize, mut y: Vec<String>) -> Vec<String> {
    if n > y.len() {
        let w = y.first().map_or(0, String::len);
        y.splice(0..0, [" ".repeat(w), "-".repeat(w)]);
    }
    y
}

/// Right-pad with spaces to `w` bytes.
fn pad(s: &mut String, w: usize) {
    let n = w.saturating_sub(s.len());
    s.extend(std::iter::repeat_n(' ', n));
}

/// Shorten to at most `n` bytes, on a character boundary.
fn truncate(s: &mut String, n: usize) {
    if s.len() > n {
        let mut k = n;
        while !s.is_char_boundary(k) {
            k -= 1;
        }
        s.truncate(k);
    }
}

/// The console's line cut: a line longer than `width` keeps `width-2` bytes and gets `..`.
fn cut(mut line: String, width: usize) -> String {
    if line.len() > width {
        truncate(&mut line, width.saturating_sub(2));
        line.push_str("..");
    }
    line
}

/// `.q.sublist[n]`: the first `n` items of a list-like value (all of it when shorter).
fn sublist(v: &Value, n: usize) -> Option<Value> {
    Some(match v {
        Value::Vector(vec) => Value::Vector(vec.slice(0, n.min(vec.len()))?),
        Value::List(l) => {
            if l.len() <= n {
                v.clone()
            } else {
                Value::List(List::new(l.items()[..n].to_vec()))
            }
        }
        Value::Enum(e) if e.ty.code() > 0 => {
            let k = n.min(e.indices.len());
            Value::Enum(Arc::new(Enumeration { indices: e.indices.slice(0, k)?, ..(**e).clone() }))
        }
        Value::Table(t) => {
            if t.rows() <= n {
                v.clone()
            } else {
                let cols = t.columns().iter().map(|c| sublist(c, n)).collect::<Option<Vec<_>>>()?;
                Value::Table(Arc::new(Table::new(t.names().clone(), cols).ok()?))
            }
        }
        Value::Dict(d) => {
            Value::Dict(Arc::new(Dict::new(sublist(&d.keys, n)?, sublist(&d.values, n)?).ok()?))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_pad() {
        assert_eq!(cut("0 1 2 3 4 5 6 7".to_owned(), 9), "0 1 2 3..");
        assert_eq!(cut("0 1 2 3 4".to_owned(), 9), "0 1 2 3 4");
        assert_eq!(t0(3, vec!["ab".to_owned()]), vec!["  ", "--", "ab"]);
        let mut s = "a".to_owned();
        pad(&mut s, 3);
        assert_eq!(s, "a  ");
    }
}
