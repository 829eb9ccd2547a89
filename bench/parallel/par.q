/ -s 0 against -s 2 on one 10M-row trade table: a where scan, group-bys, vector
/ primitives, aj against 10M quotes (time-sorted, and g#) and peach, each best of `reps`
/ runs, in one process (`\s` switches).
/ Run with bench/parallel/run.sh (ferroq -s 2).
n:"J"$getenv`FQ_PAR_ROWS
reps:"J"$getenv`FQ_PAR_REPS
syms:`$"S",'string til 1000
trade:([]time:2024.01.02D09:30+asc n?23400000000000;sym:n?syms;price:100+n?10.0;size:10*1+n?100)
quote:([]time:2024.01.02D09:30+asc n?23400000000000;sym:n?syms;bid:100+n?10.0;ask:110+n?10.0)
gquote:update `g#sym from quote
best:{[q] value q; t:0W; do[reps; s:.z.n; value q; t:t&`long$.z.n-s]; 1e-6*t}
queries:(
  ("where";"select from trade where price>109.9");
  ("within";"select from trade where size within 100 200");
  ("sym in";"select from trade where sym in `S1`S2`S3`S4`S5`S6");
  ("Q3 by sym";"select n:count i, vol:sum size, vwap:size wavg price, hi:max price by sym from trade");
  ("avg by sym";"select avg price, min size by sym from trade");
  ("sum";"sum trade`price");
  ("arith";"trade[`price]*trade`size");
  ("aj";"aj[`sym`time;trade;quote]");
  ("aj g#";"aj[`sym`time;trade;gquote]");
  ("wj";"wj[-1000000000 0+\\:trade.time;`sym`time;trade;(quote;(min;`ask);(max;`bid))]");
  ("peach";"{sum sqrt til x} peach 8#2000000"))
-1 "rows ",string[n],", best of ",string[reps],", ms";
-1 "query       -s 0      -s 2    ratio";
run:{[nq] system"s 0"; a:best nq 1; system"s 2"; b:best nq 1;
  -1 (10$nq 0)," ",(-8$string a),"  ",(-8$string b),"  ",string .01*floor 100*a%b;}
run each queries;
\\
