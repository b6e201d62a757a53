/*
 * status_parse: the inverse of lv_prom_status_json — a controller's /status
 * document read back into a struct lv_snapshot, for a console attached to
 * a controller over HTTP (`loudva console --attach URL`). What /status does
 * not carry (history, recent frames and batches, the last decision, rails)
 * is left empty; nulls clear the matching validity bits or become NAN.
 */
#ifndef LV_STATUS_PARSE_H
#define LV_STATUS_PARSE_H

#include <stddef.h>

struct lv_snapshot;

/*
 * Parses json (len bytes) into a new snapshot (free it with
 * lv_snapshot_free). NULL with *why naming what was wrong when the
 * document is not /status's: not JSON, not an object, no "devices" array,
 * a device without a name.
 */
struct lv_snapshot *lv_status_parse(const char *json, size_t len, char **why);

#endif
