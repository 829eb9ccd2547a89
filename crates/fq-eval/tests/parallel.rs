//! Secondary threads: `peach` and each-parallel agree with `each`, errors propagate,
//! globals are read-only on secondaries, and the chunked kernels (scans, arithmetic,
//! grouped aggregates, gathers) agree with the sequential ones on large random data.

use fq_eval::{Interp, MemHost};
use fq_value::{QError, Value};

fn interp(threads: usize) -> Interp {
    fq_eval::parallel::allow_threads(2).expect("pool");
    let mut i = Interp::new(Box::new(MemHost::default()));
    i.set_secondaries(threads);
    i
}

fn eval(i: &mut Interp, src: &str) -> Result<Value, QError> {
    let mut last = Ok(fq_value::GENERIC_NULL);
    for line in src.split('\n').filter(|l| !l.trim().is_empty()) {
        last = i.eval_line(line).map(|v| v.unwrap_or(fq_value::GENERIC_NULL));
        if last.is_err() {
            break;
        }
    }
    last
}

fn same(i: &mut Interp, a: &str, b: &str) {
    let x = eval(i, a);
    let y = eval(i, b);
    assert!(x == y, "{a} gave {x:?}\n{b} gave {y:?}");
}

fn fails(i: &mut Interp, src: &str, e: &str) {
    match eval(i, src) {
        Err(got) => assert_eq!(got.text(), e, "{src}"),
        Ok(v) => panic!("{src}: expected '{e}, got {v:?}"),
    }
}

#[test]
fn peach_agrees_with_each() {
    let mut i = interp(2);
    eval(&mut i, "g:10;h:{x*g}").expect("setup");
    let cases = [
        ("{x*2}", "til 100"),
        ("{x+g}", "1 2 3"),
        ("h", "til 37"),
        ("{sum til x}", "37 5 99 1000 3 0"),
        ("{x,x}", "`a`b`c"),
        ("{string x}", "1 2 3"),
        ("count", "(1 2;3 4 5;`a`b)"),
        ("{([]a:x#1)}", "1 2 3"),
        ("(+\\)", "(2 3 4;(5 6;7 8);9 10 11 12)"),
        ("{x`a}", "([]a:1 2 3;b:4 5 6)"),
        ("{x*2}", "`a`b`c!1 2 3"),
        ("{$[x>5;`big;`small]}", "til 10"),
        ("{x}", "()"),
        ("{x}", "enlist 5"),
        ("first", "(1 2;`a`b;\"xy\")"),
        ("{[x] a:x*x; b:a+1; b}", "til 50"),
        ("{{x+1} peach x}", "(1 2;3 4)"),
        ("{.[{x+y};x]}", "(1 2;3 4;5 6)"),
        ("{1?100}", "til 4"),
    ];
    for (f, x) in cases {
        let each = eval(&mut i, &format!("{f} each {x}"));
        if f == "{1?100}" {
            // Random items come from per-item seeds: only their shape is comparable.
            let p = eval(&mut i, &format!("{f} peach {x}"));
            assert_eq!(p.map(|v| v.count()).ok(), each.map(|v| v.count()).ok());
            continue;
        }
        for form in [format!("{f} peach {x}"), format!("{f}':[{x}]"), format!("({f}':) {x}")] {
            // `':` of a binary (`count` is unary, `+\` ambivalent) is each-prior.
            if (f == "count" || f.starts_with("(+")) && form.contains("':") {
                continue;
            }
            let p = eval(&mut i, &form);
            assert!(p == each, "{form}: {p:?} vs each {each:?}");
        }
    }
    // With no secondary threads, peach is each.
    let mut s = interp(0);
    same(&mut s, "{x*2} peach til 10", "{x*2} each til 10");
    same(&mut s, "{a::x} peach 0 1", "0 1");
    same(&mut s, "a", "1");
}

#[test]
fn errors_propagate_from_the_lowest_item() {
    let mut i = interp(2);
    fails(&mut i, "{'`boom} peach 1 2", "boom");
    fails(&mut i, "{$[x=30;'`thirty;x=50;'`fifty;x]} peach til 100", "thirty");
    fails(&mut i, "{$[x=99;'`last;x]} peach til 100", "last");
    fails(&mut i, "{x+`a} peach 1 2 3", "type");
    fails(&mut i, "{undefinedname+x} peach 1 2", "undefinedname");
    // The workspace is intact afterwards.
    eval(&mut i, "k:42").expect("setup");
    same(&mut i, "{x+k} peach 1 2", "43 44");
    same(&mut i, "k", "42");
}

#[test]
fn secondaries_cannot_update_globals() {
    let mut i = interp(2);
    eval(&mut i, "a:0;v:1 2 3;t:([]x:1 2)").expect("setup");
    fails(&mut i, "{a::x} peach 0 1", "noupdate");
    fails(&mut i, "{`a set x} peach 0 1", "noupdate");
    fails(&mut i, "{a::a+x} peach 0 1", "noupdate");
    fails(&mut i, "{v[0]::x} peach 0 1", "noupdate");
    fails(&mut i, "{@[`v;0;:;x]} peach 0 1", "noupdate");
    fails(&mut i, "{value \"zz:1\"} peach 0 1", "noupdate");
    fails(&mut i, "{`t insert x} peach 5 6", "noupdate");
    fails(&mut i, "{update x:0 from `t} peach 0 1", "noupdate");
    fails(&mut i, "{system \"d .foo\"} peach 0 1", "noupdate");
    fails(&mut i, "{system \"s 1\"} peach 0 1", "noupdate");
    same(&mut i, "a", "0");
    same(&mut i, "v", "1 2 3");
    same(&mut i, "t", "([]x:1 2)");
    same(&mut i, "`zz in key `.", "0b");
    // Locals are fine; a one-item list runs on the main thread, as in kdb+.
    same(&mut i, "{b:x+1;b*2} peach 1 2", "4 6");
    same(&mut i, "{`a set x} peach enlist 7", "enlist `a");
    same(&mut i, "a", "7");
    // Reading `\s` is allowed on a secondary; nested peach runs there as each.
    same(&mut i, "{system \"s\"} peach 0 1", "0 0i");
}

#[test]
fn s_command() {
    let mut i = interp(2);
    same(&mut i, "system \"s\"", "2i");
    same(&mut i, "system \"s 0N\"", "2i");
    eval(&mut i, "\\s 1").expect("setup");
    same(&mut i, "system \"s\"", "1i");
    fails(&mut i, "\\s 3", "limit");
    eval(&mut i, "\\s 0").expect("setup");
    same(&mut i, "system \"s\"", "0i");
    same(&mut i, ".Q.fc[{2 xexp x}] til 10", "2 xexp til 10");
    eval(&mut i, "\\s 2").expect("setup");
    same(&mut i, ".Q.fc[{2 xexp x}] til 10", "2 xexp til 10");
    same(&mut i, ".Q.fc[{x+1}] 1#5", "enlist 6");
}

/// Evaluate `q` with no secondary threads and with two; both results.
fn both(i: &mut Interp, q: &str) -> (Value, Value) {
    i.set_secondaries(0);
    let a = eval(i, q).unwrap_or_else(|e| panic!("{q}: {e}"));
    i.set_secondaries(2);
    let b = eval(i, q).unwrap_or_else(|e| panic!("{q}: {e}"));
    (a, b)
}

#[test]
fn chunked_kernels_agree_with_sequential() {
    let mut i = interp(2);
    eval(
        &mut i,
        "n:1500000
        s:n?`a`b`c`d`e`f`g`h`i`j
        s[n?n]:`
        p:100*n?1.0
        p[n?100000]:0n
        z:n?1000
        z[n?100000]:0N
        ts:2024.01.01D+n?1000000000000
        t:([]sym:s;price:p;size:z;ts:ts)
        ix:n?n",
    )
    .expect("data");
    // Exact: integer aggregates, counts, extremes, scans, gathers, arithmetic.
    let exact = [
        "select n:count i, vol:sum size, hi:max price, lo:min price, mx:max size, mn:min size, f:first price, l:last size by sym from t",
        "select max ts, min ts by sym from t",
        "select from t where sym=`c",
        "select from t where sym in `a`b`c`d`e`f",
        "select from t where size within 10 20",
        "select from t where price>50.0",
        "select sum size by sym from t where price<10.0",
        "exec sum size from t",
        "sum z",
        "sum ts-2024.01.01D",
        "z+z",
        "z*3",
        "p-1.5",
        "p*p",
        "p<50",
        "z=7",
        "s=`a",
        "p|z",
        "z[ix]",
        "p[til 1200000]",
        "s[reverse til n]",
        "group s",
    ];
    for q in exact {
        let (a, b) = both(&mut i, q);
        assert!(a == b, "{q}: sequential and parallel differ");
    }
    // Floating sums may differ in the last bits (chunk partials are added in order).
    let floats = [
        "select vol:sum price, vwap:size wavg price, m:avg price, ms:avg size by sym from t",
        "sum p",
        "select w:price wavg size by sym from t",
    ];
    for q in floats {
        let (a, b) = both(&mut i, q);
        i.set(fq_value::Sym::new("ra"), a);
        i.set(fq_value::Sym::new("rb"), b);
        let ok = eval(
            &mut i,
            "cmp:{(x~y)|all 1e-9>abs[x-y]%1|abs x}
            $[99h=type ra;((key ra)~key rb)&all cmp'[value flip value ra;value flip value rb];cmp[ra;rb]]",
        );
        assert!(ok == Ok(Value::Bool(true)), "{q}: sequential and parallel differ: {ok:?}");
    }
}
