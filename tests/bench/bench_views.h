/*
 * bench_views: the console's figures of `make bench`, called from bench.c's
 * main. One line per figure, name first.
 */
#ifndef LV_BENCH_VIEWS_H
#define LV_BENCH_VIEWS_H

/*
 * Time to draw one frame (layout, every cell, curses' refresh) of the
 * cluster, device and queue views with 200 devices, into a newterm() on
 * /dev/null at 100x30 (and the cluster view at 200x60): median and p99.
 */
void lv_bench_views(void);

#endif
