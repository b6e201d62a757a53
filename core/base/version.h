/*
 * version: LoudVA's version, one place for `loudva --version` and the
 * controller's loudva_build_info metric.
 */
#ifndef LV_VERSION_H
#define LV_VERSION_H

#define LV_VERSION "0.1.0"

#endif
