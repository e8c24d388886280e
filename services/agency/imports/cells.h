/* Reading one spreadsheet cell the way Japanese offices write it: dates in the western and
 * the Japanese calendar, full-width digits, the words for urgency and for the legal basis,
 * lists split on ・ 、 , ; /.  Pure functions: text in, the value or a problem out. */
#ifndef AGENCY_IMPORTS_CELLS_H_INCLUDED
#define AGENCY_IMPORTS_CELLS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A date as YYYY-MM-DD from 1943-04-12, 1943/4/12, 1943.4.12, 1943年4月12日, 昭和18年4月12日,
 * S18.4.12 (M T S H R), full-width digits too, and a time after it dropped (Excel's
 * "1943/4/12 0:00").  true with out set, else false with why. */
bool agency_cell_date (const char *text, char out[11], char *why, size_t why_size);

/* A whole number 0..100000 of ASCII or full-width digits (a trailing 歳 allowed). */
bool agency_cell_integer (const char *text, long *out, char *why, size_t why_size);

/* normal / high / emergency, their words (tsg_words.h: 通常, 高, 緊急), or 普通, 至急: the
 * wire name, or NULL. */
const char *agency_cell_urgency (const char *text);

/* consent / support-meeting / statutory-meeting / emergency / none, or 同意, 支援会議,
 * 法定会議, 緊急, なし: the wire name, or NULL. */
const char *agency_cell_legal_basis (const char *text);

/* The items of a list cell ("介護・8050、ひきこもり"), trimmed, empty ones dropped: a new
 * array of strings (NULL when memory runs out). */
json_t *agency_cell_list (const char *text);

#endif
