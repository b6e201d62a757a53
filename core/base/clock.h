/*
 * clock: the monotonic clock, for measuring and waiting. The engine never
 * reads it: its time is `now` handed in by whoever drives it (the simulator's
 * virtual time, the live controller's clock), which is what keeps the
 * scheduling library free of clock reads and runs reproducible.
 */
#ifndef LV_CLOCK_H
#define LV_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: for measuring and waiting, never for stamping the engine. */
double lv_mono_s(void);

#endif
