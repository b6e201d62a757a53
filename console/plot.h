/*
 * plot: an experiment's figures with gnuplot — frames/J per policy, % of
 * frames within budget per policy, the latency CDF per policy, and the
 * cluster's power over time for one run — as PNG and SVG.
 *
 * The data files (*.dat) and the script (plots.gp) are always written, so
 * the figures can be remade or restyled by hand (`gnuplot plots.gp` in that
 * directory); only drawing needs gnuplot (Debian: gnuplot-nox).
 */
#ifndef LV_PLOT_H
#define LV_PLOT_H

struct lv_experiment;
struct lv_exp_result;
struct lv_exp_summary;
struct lv_store;

/*
 * Writes the data and script into dir (which must exist) and runs gnuplot
 * there. Returns 0 when the figures were drawn, 1 when gnuplot is missing
 * or failed (*why says which; the data and script are there), or a negative
 * LV_E* code when the data files could not be written.
 */
int lv_plot_experiment(const struct lv_experiment *e, const struct lv_exp_result *results,
                       const struct lv_exp_summary *sum, struct lv_store *store, const char *dir,
                       char **why);

#endif
