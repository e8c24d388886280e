/* Synthetic つなぐシート requests: invented people, each sender type's required intake fields. */
#ifndef BENCH_SHEET_H_INCLUDED
#define BENCH_SHEET_H_INCLUDED

#include <stddef.h>

/* Writes the JSON body of a POST /v1/referrals into buf: recipient `to`, legal basis none,
 * no data categories, and a sheet of about sheet_bytes bytes for a sender of sender_type
 * (eldercare, disability, child or poverty) carrying that type's required intake fields; serial
 * makes the household unique.  Returns the body's length, or 0 when it does not fit in size
 * bytes (with its NUL). */
size_t bench_sheet_request (char *buf, size_t size, const char *sender_type, const char *to,
                            unsigned long serial, size_t sheet_bytes);

#endif
