/* Small jansson helpers for the agency HTTP API: error bodies, times, hex. */
#ifndef AGENCY_JSON_H_INCLUDED
#define AGENCY_JSON_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* {"error": code, "message": message, "fields": fields}; fields is stolen and may be
 * NULL (then the key is left out).  Never NULL except on allocation failure. */
json_t *agency_json_error (const char *code, const char *message, json_t *fields);

/* An ISO-8601 UTC string of ms, or JSON null when ms is 0. */
json_t *agency_json_time (uint64_t ms);

/* Lowercase hex of len bytes. */
json_t *agency_json_hex (const uint8_t *data, size_t len);

/* Sets key on object to value (stolen) only when value is not NULL. */
void agency_json_set (json_t *object, const char *key, json_t *value);

/* A JSON string of a protobuf string, or NULL (left out) when it is NULL or empty. */
json_t *agency_json_string_or_null (const char *text);

#endif
