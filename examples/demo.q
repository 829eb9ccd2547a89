/ ferroq demo: a small trade table and some q over it.
/ Run: cargo run --release -p fq-cli -- examples/demo.q
n:12
syms:`AAPL`MSFT`IBM
trade:([]time:09:30:00.000+1000*til n; sym:n#syms; price:100+0.25*til n; size:100*1+til n)
-1 "trade:";
show trade
-1 "";
-1 "volume-weighted average price, all trades:";
show trade[`size] wavg trade[`price]
-1 "rows per symbol:";
show count each group trade`sym
-1 "total size per symbol:";
show sum each trade[`size] group trade`sym
-1 "price deltas and running volume:";
show flip `price`delta`cumsize!(trade`price;deltas trade`price;sums trade`size)
-1 "type your q at the prompt; \\\\ exits";
