/* The dashboard's charts, drawn by the server as inline SVG (no chart library, no script):
 * horizontal bars for counts by category, columns for a series in time, and a step line for a
 * case's way through its states.  Each chart has a <title> and a table-like text alternative
 * (aria-label), so a screen reader says what it shows. */
#ifndef TSG_HUB_WEB_SVG_H_INCLUDED
#define TSG_HUB_WEB_SVG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "coordinator/web/html.h"

/* Horizontal bars: one row per label (escaped here) with its value, scaled to the largest. */
void web_svg_bars (tsg_html_t *h, const char *id, const char *title, const char *const *labels,
                   const uint64_t *values, size_t n);

/* Columns for a series (oldest first), n of them, with the first and last x labels. */
void web_svg_columns (tsg_html_t *h, const char *id, const char *title, const uint64_t *values,
                      size_t n, const char *first_label, const char *last_label);

/* One point of a case's way through its states. */
typedef struct {
    uint64_t at_ms; /* when */
    int level;      /* the state's place on the y axis (0 at the bottom) */
} web_svg_point_t;

/* A step line through points (oldest first) over levels rows named by labels (bottom first);
 * a point lower than the one before (a step back: 進んだり戻ったり) is marked. */
void web_svg_steps (tsg_html_t *h, const char *id, const char *title, const web_svg_point_t *points,
                    size_t n, const char *const *labels, size_t levels);

#endif
