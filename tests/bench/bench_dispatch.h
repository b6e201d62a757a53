/*
 * bench_dispatch: the live runtime's own figures for `make bench`, called
 * from bench.c's main. One line per figure, name first.
 */
#ifndef LV_BENCH_DISPATCH_H
#define LV_BENCH_DISPATCH_H

/*
 * The engine thread and dispatcher without the front end: requests of
 * preprocessed tensors handed straight to lv_live_submit, carried to the
 * thesis cluster emulated with free batches (profile copies whose batches
 * take 1 µs) over HTTP, 1 MB per frame. Frames/s at saturation, then
 * arrival-to-answer latency p50/p99 at half that rate, and peak RSS.
 */
void lv_bench_dispatch(void);

#endif
