/ ferroq's side of bench/tick/tick.py: load the Arrow files, run each query, print
/ "Qn <best ms>" and write each result as Arrow for the driver's checksums.
dir:getenv`FQ_BENCH_DIR
reps:"J"$getenv`FQ_BENCH_REPS
fsym:`$getenv`FQ_BENCH_SYM
q8syms:`$","vs getenv`FQ_BENCH_Q8
t0:2024.01.02D10:00:00
t1:2024.01.02D11:00:00
file:{`$":",dir,"/",x}

/ best of reps runs after one warm-up: (ns; last result)
best:{[f] r:f[]; t:0W; do[reps; s:.z.n; r:f[]; t:t&`long$.z.n-s]; (t;r)}
report:{[q;tr] -1 q," ",string 1e-6*tr 0; .arrow.write[file "fq_",q,".arrow"; tr 1];}

Q1:{quote::update `s#time from .arrow.read file "quote.arrow";
  trade::update `s#time from .arrow.read file "trade.arrow";
  ([]quote_rows:enlist count quote;trade_rows:enlist count trade)}
/ Tables held: resident bytes (as the peers' RSS) and exact heap bytes (.Q.w[]`used).
rss:{4096*"J"$(" "vs first read0`:/proc/self/statm)1}
r0:rss[]; u0:.Q.w[]`used
report["Q1";best Q1]
-1 "tables_mb ",string 1e-6*rss[]-r0;
-1 "tables_heap_mb ",string 1e-6*(.Q.w[]`used)-u0;
colbytes:{sum {(count x)*$[11h=type x;4;abs[type x] in 1 4 10h;1;5h=abs type x;2;abs[type x] in 6 13 14 17 18 19h;4;8]} each value flip x}
-1 "raw_mb ",string 1e-6*(colbytes quote)+colbytes trade;

/ Memory, Q2..Q8: one more run with the heap's high-water mark reset just before; the
/ extra bytes are the mark less the bytes in use before (so they include the result).
/ Printed as "mem Qn <extra bytes> <result column bytes> <groups>".
resbytes:{$[99h=type x;colbytes 0!x;98h=type x;colbytes x;0]}
mem:{[q;f;g] .fq.resetpeak[]; u:.Q.w[]`used; r:f[]; x:(.Q.w[]`peak)-u;
  -1 " " sv ("mem";q;string x;string resbytes r;string g r);}
run:{[q;f;g] report[q;best f]; mem[q;f;g]}
qsyms:count distinct quote`sym

run["Q2";{select from trade where sym=fsym, time within (t0;t1)};{0}]
run["Q3";{select n:count i, vol:sum size, vwap:size wavg price, hi:max price by sym from trade};count]
run["Q4";{select o:first price,h:max price,l:min price,c:last price,v:sum size by sym,minute:0D00:01 xbar time from trade};count]
run["Q5";{aj[`sym`time;trade;select time,sym,bid,ask from quote]};{qsyms}]
run["Q6";{select last time,last bid,last ask by sym from quote};count]
run["Q7";{wj[-1000000000 0+\:trade.time;`sym`time;trade;(select time,sym,bid,ask from quote;(min;`ask);(max;`bid))]};{qsyms}]
gquote:update `g#sym from quote
run["Q8";{aj[`sym`time;select from trade where sym in q8syms;select time,sym,bid,ask from gquote]};{qsyms}]
\\
