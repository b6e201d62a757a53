/*
 * bench_frontend: the image and front-end figures of `make bench`, called
 * from bench.c's main. Each prints one line per figure, name first.
 */
#ifndef LV_BENCH_FRONTEND_H
#define LV_BENCH_FRONTEND_H

/* Preprocessing throughput: a ~100 KB 640×480 JPEG to a 299×299×3 tensor, one core. */
void lv_bench_image(void);

/*
 * The front end with an immediate consumer, in a child process: frames/s
 * through POST /inference at saturation, added latency p50/p99 at half that
 * load, and the server's peak RSS.
 */
void lv_bench_frontend(void);

/* The wire formats side by side: bytes per frame and the controller's CPU per frame. */
void lv_bench_wire(void);

#endif
