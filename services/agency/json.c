/* Small jansson helpers for the agency HTTP API: error bodies, times, hex. */
#include <stdlib.h>

#include "tsunagu/tsunagu.h"
#include "json.h"

json_t *
agency_json_error (const char *code, const char *message, json_t *fields)
{
    json_t *body = json_object ();
    if (!body) {
        json_decref (fields);
        return NULL;
    }
    json_object_set_new (body, "error", json_string (code));
    json_object_set_new (body, "message", json_string (message));
    if (fields)
        json_object_set_new (body, "fields", fields);
    return body;
}

json_t *
agency_json_time (uint64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text[32];
    tsg_iso8601 (ms, text);
    return json_string (text);
}

json_t *
agency_json_hex (const uint8_t *data, size_t len)
{
    char *text = malloc (2 * len + 1);
    if (!text)
        return NULL;
    tsg_hex_encode (data, len, text);
    json_t *value = json_string (text);
    free (text);
    return value;
}

void
agency_json_set (json_t *object, const char *key, json_t *value)
{
    if (value)
        json_object_set_new (object, key, value);
}

json_t *
agency_json_string_or_null (const char *text)
{
    if (!text || !*text)
        return NULL;
    return json_string (text);
}
