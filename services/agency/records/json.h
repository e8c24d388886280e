/* The agency's one set of jansson helpers, for its records and its API alike: members read
 * and set, times and hex, error bodies and the field-by-field checks of a request. */
#ifndef AGENCY_RECORDS_JSON_H_INCLUDED
#define AGENCY_RECORDS_JSON_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define AGENCY_REF_MAX 64 /* a client_ref or a consent_id in a request, in bytes */

/* {"error": code, "message": message, "fields": fields}; fields is stolen and may be
 * NULL (then the key is left out).  Never NULL except on allocation failure. */
json_t *agency_json_error (const char *code, const char *message, json_t *fields);

/* The answer to a request's problems, taking both objects: fields (bad fields) and personal
 * (cleartext that looks like personal data).  400 invalid naming those of both when fields
 * has any; else 422 personal_data naming personal (with "put it in <where>" when where is
 * given); else 0 with *reply untouched.  what names the request ("referral"). */
int agency_json_problems (json_t *fields, json_t *personal, const char *what, const char *where,
                          json_t **reply);

/* An ISO-8601 UTC string of ms, or JSON null when ms is 0. */
json_t *agency_json_time (uint64_t ms);

/* What a record keeps of a refusal: {"code", "message": detail, "at": at_ms}. */
json_t *agency_json_refusal (const char *code, const char *detail, uint64_t at_ms);

/* Lowercase hex of len bytes. */
json_t *agency_json_hex (const uint8_t *data, size_t len);

/* The string member key of object, or NULL. */
const char *agency_json_str (const json_t *object, const char *key);

/* The non-negative integer member key of object, or dflt. */
uint64_t agency_json_u64 (const json_t *object, const char *key, uint64_t dflt);

/* The array member key of record (borrowed), made when absent. */
json_t *agency_json_array (json_t *record, const char *key);

/* Sets key on object to the string text, unless text is NULL or empty. */
void agency_json_set_text (json_t *object, const char *key, const char *text);

/* Sets key on object to value (stolen) only when value is not NULL. */
void agency_json_set (json_t *object, const char *key, json_t *value);

/* A JSON string of a protobuf string, or NULL (left out) when it is NULL or empty. */
json_t *agency_json_string_or_null (const char *text);

/* Parses an HTTP body that must be one JSON object (duplicate keys refused).  Returns the
 * object (caller decrefs), or NULL with *reply set to a bad_json error (answer 400). */
json_t *agency_json_load_object (const char *body, size_t len, json_t **reply);

/* Adds "path": problem to fields unless path has a problem already. */
void agency_json_field (json_t *fields, const char *path, const char *problem);

/* True for 1..max bytes without control characters (C0 or DEL). */
bool agency_json_plain (const char *text, size_t max);

/* An optional string member key of object (named path in errors) of at most max bytes
 * without control characters (newlines and tabs allowed when multiline): NULL when absent,
 * null or empty, or when it is bad (then the problem is in fields). */
const char *agency_json_text (json_t *object, const char *key, const char *path, size_t max,
                              bool multiline, json_t *fields);

/* An optional date member (YYYY-MM-DD, a real date: tsg_date_ok); required adds "required"
 * when it is absent. */
const char *agency_json_date (json_t *object, const char *key, const char *path, bool required,
                              json_t *fields);

/* Adds "key": "unknown field" to fields for every member of object not in known
 * (NULL-terminated), prefixed with prefix (may be ""). */
void agency_json_unknown (json_t *object, const char *const known[], const char *prefix,
                          json_t *fields);

#endif
