/* svg.c — the dashboard's charts as inline SVG (svg.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coordinator/web/svg.h"

/* Opens the svg element with its title and accessible name. */
static void
s_open (tsg_html_t *h, const char *id, const char *title, int width, int height)
{
    tsg_html_fmt (h,
                  "<svg class=\"chart\" id=\"%s\" role=\"img\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" preserveAspectRatio=\"xMinYMin meet\" aria-label=\"",
                  id, width, height, width, height);
    tsg_html_text (h, title);
    tsg_html_raw (h, "\"><title>");
    tsg_html_text (h, title);
    tsg_html_raw (h, "</title>");
}

void
web_svg_bars (tsg_html_t *h, const char *id, const char *title, const char *const *labels,
              const uint64_t *values, size_t n)
{
    const int width = 300, label_w = 110, row = 22;
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    s_open (h, id, title, width, (int) n * row + 4);
    for (size_t i = 0; i < n; i++) {
        int y = (int) i * row + 2;
        int bar = (int) ((double) values[i] / (double) max * (width - label_w - 40));
        tsg_html_fmt (h, "<text x=\"0\" y=\"%d\">", y + 15);
        tsg_html_text (h, labels[i]);
        tsg_html_fmt (h,
                      "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" "
                      "rx=\"2\"></rect><text x=\"%d\" y=\"%d\">%llu</text>",
                      label_w, y + 2, bar > 0 ? bar : (values[i] ? 1 : 0), label_w + bar + 6,
                      y + 15, (unsigned long long) values[i]);
    }
    tsg_html_raw (h, "</svg>");
}

void
web_svg_columns (tsg_html_t *h, const char *id, const char *title, const uint64_t *values, size_t n,
                 const char *first_label, const char *last_label)
{
    const int width = 300, height = 120, base = 100;
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    s_open (h, id, title, width, height);
    tsg_html_fmt (h, "<line class=\"axis\" x1=\"30\" y1=\"%d\" x2=\"%d\" y2=\"%d\"></line>", base,
                  width, base);
    tsg_html_fmt (h, "<text x=\"0\" y=\"12\">%llu</text><text x=\"0\" y=\"%d\">0</text>",
                  (unsigned long long) max, base);
    double step = n ? (double) (width - 34) / (double) n : 0;
    for (size_t i = 0; i < n; i++) {
        int bar = (int) ((double) values[i] / (double) max * (base - 10));
        if (values[i] && bar < 1)
            bar = 1;
        tsg_html_fmt (h,
                      "<rect class=\"bar\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
                      "<title>%llu</title></rect>",
                      32 + step * (double) i, base - bar, step > 2 ? step - 1 : step, bar,
                      (unsigned long long) values[i]);
    }
    tsg_html_fmt (h, "<text x=\"32\" y=\"%d\">", base + 16);
    tsg_html_text (h, first_label);
    tsg_html_fmt (h, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", width, base + 16);
    tsg_html_text (h, last_label);
    tsg_html_raw (h, "</text></svg>");
}

/* "MM/DD" of a UTC ms in Japan time, with " HH:MM" when with_time. */
static void
s_day (uint64_t ms, bool with_time, char out[24])
{
    time_t t = (time_t) (ms / 1000) + 9 * 3600;
    struct tm tm;
    gmtime_r (&t, &tm);
    if (with_time)
        snprintf (out, 24, "%02d/%02d %02d:%02d", (tm.tm_mon + 1) & 63, tm.tm_mday & 63,
                  tm.tm_hour & 31, tm.tm_min & 63);
    else
        snprintf (out, 24, "%02d/%02d", (tm.tm_mon + 1) & 63, tm.tm_mday & 63);
}

void
web_svg_steps (tsg_html_t *h, const char *id, const char *title, const web_svg_point_t *points,
               size_t n, const char *const *labels, size_t levels)
{
    const int width = 900, left = 140, row = 22, top = 8;
    int height = (int) levels * row + top + 24;
    s_open (h, id, title, width, height);
    for (size_t l = 0; l < levels; l++) {
        int y = top + (int) (levels - 1 - l) * row;
        tsg_html_fmt (h,
                      "<line class=\"grid-line\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"></line>",
                      left, y, width, y);
        tsg_html_fmt (h, "<text x=\"0\" y=\"%d\">", y + 4);
        tsg_html_text (h, labels[l]);
        tsg_html_raw (h, "</text>");
    }
    if (n == 0) {
        tsg_html_raw (h, "</svg>");
        return;
    }
    uint64_t t0 = points[0].at_ms, t1 = points[n - 1].at_ms;
    double span = t1 > t0 ? (double) (t1 - t0) : 1.0;
    tsg_html_raw (h, "<polyline class=\"step\" points=\"");
    double px = 0, py = 0;
    for (size_t i = 0; i < n; i++) {
        double x = left + 6 + (double) (points[i].at_ms - t0) / span * (width - left - 16);
        double y = top + (double) ((int) levels - 1 - points[i].level) * row;
        if (i > 0)
            tsg_html_fmt (h, "%.1f,%.1f ", x, py);
        tsg_html_fmt (h, "%.1f,%.1f ", x, y);
        px = x;
        py = y;
    }
    (void) px;
    tsg_html_raw (h, "\"></polyline>");
    for (size_t i = 0; i < n; i++) {
        double x = left + 6 + (double) (points[i].at_ms - t0) / span * (width - left - 16);
        double y = top + (double) ((int) levels - 1 - points[i].level) * row;
        bool back = i > 0 && points[i].level < points[i - 1].level;
        char day[24];
        s_day (points[i].at_ms, true, day);
        tsg_html_fmt (h, "<circle class=\"dot%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>%s",
                      back ? " back" : "", x, y, day);
        tsg_html_raw (h, " ");
        tsg_html_text (h, labels[points[i].level]);
        tsg_html_raw (h, "</title></circle>");
    }
    char first[24], last[24];
    s_day (t0, t1 - t0 < 2ULL * 86400000, first);
    s_day (t1, t1 - t0 < 2ULL * 86400000, last);
    tsg_html_fmt (h,
                  "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
                  "text-anchor=\"end\">%s</text></svg>",
                  left, height - 4, first, width, height - 4, last);
}
