/* json.c — the agency's jansson helpers (json.h): members, times, hex, errors, request fields. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_text.h"
#include "agency/records/json.h"

int
agency_json_problems (json_t *fields, json_t *personal, const char *what, const char *where,
                      json_t **reply)
{
    char message[192];
    size_t personal_n = json_object_size (personal);
    if (json_object_size (fields) > 0) {
        json_object_update_missing (fields, personal);
        json_decref (personal);
        size_t n = json_object_size (fields);
        snprintf (message, sizeof message, "the %s has %zu invalid field%s", what, n,
                  n == 1 ? "" : "s");
        *reply = agency_json_error ("invalid", message, fields);
        return 400;
    }
    json_decref (fields);
    if (personal_n == 0) {
        json_decref (personal);
        return 0;
    }
    snprintf (message, sizeof message,
              "the %s has %zu cleartext field%s that look%s like personal data (the coordinator "
              "reads them)%s%s",
              what, personal_n, personal_n == 1 ? "" : "s", personal_n == 1 ? "s" : "",
              where ? ": put it in " : "", where ? where : "");
    *reply = agency_json_error ("personal_data", message, personal);
    return 422;
}

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
    sodium_bin2hex (text, 2 * len + 1, data, len);
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

json_t *
agency_json_load_object (const char *body, size_t len, json_t **reply)
{
    json_error_t jerr;
    json_t *root = json_loadb (body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object (root))
        return root;
    char message[256];
    if (root)
        snprintf (message, sizeof message, "the body must be a JSON object");
    else
        snprintf (message, sizeof message, "the body is not valid JSON: %s (line %d, column %d)",
                  jerr.text, jerr.line, jerr.column);
    json_decref (root);
    *reply = agency_json_error ("bad_json", message, NULL);
    return NULL;
}

void
agency_json_field (json_t *fields, const char *path, const char *problem)
{
    if (!json_object_get (fields, path))
        json_object_set_new (fields, path, json_string (problem));
}

bool
agency_json_plain (const char *text, size_t max)
{
    if (!text)
        return false;
    size_t len = strlen (text);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f)
            return false;
    return true;
}

const char *
agency_json_text (json_t *object, const char *key, const char *path, size_t max, bool multiline,
                  json_t *fields)
{
    json_t *value = json_object_get (object, key);
    if (!value || json_is_null (value))
        return NULL;
    if (!json_is_string (value)) {
        agency_json_field (fields, path, "must be a string");
        return NULL;
    }
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    if (len > max) {
        char problem[64];
        snprintf (problem, sizeof problem, "longer than %zu bytes", max);
        agency_json_field (fields, path, problem);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f) {
            agency_json_field (fields, path, "must not hold control characters");
            return NULL;
        }
    }
    return len ? text : NULL;
}

const char *
agency_json_date (json_t *object, const char *key, const char *path, bool required, json_t *fields)
{
    const char *text = agency_json_text (object, key, path, 10, false, fields);
    if (!text) {
        if (required && !json_object_get (fields, path))
            agency_json_field (fields, path, "required (YYYY-MM-DD)");
        return NULL;
    }
    if (!tsg_date_ok (text)) {
        agency_json_field (fields, path, "must be a date, YYYY-MM-DD");
        return NULL;
    }
    return text;
}

void
agency_json_unknown (json_t *object, const char *const known[], const char *prefix, json_t *fields)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value)
    {
        bool found = false;
        for (int i = 0; known[i] && !found; i++)
            found = strcmp (key, known[i]) == 0;
        if (found)
            continue;
        char path[128];
        snprintf (path, sizeof path, "%s%s", prefix, key);
        agency_json_field (fields, path, "unknown field");
    }
}

const char *
agency_json_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

uint64_t
agency_json_u64 (const json_t *object, const char *key, uint64_t dflt)
{
    json_t *value = json_object_get (object, key);
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return dflt;
    return (uint64_t) json_integer_value (value);
}

json_t *
agency_json_array (json_t *record, const char *key)
{
    json_t *array = json_object_get (record, key);
    if (!json_is_array (array)) {
        array = json_array ();
        json_object_set_new (record, key, array);
    }
    return array;
}

void
agency_json_set_text (json_t *object, const char *key, const char *text)
{
    if (text && *text)
        json_object_set_new (object, key, json_string (text));
}

json_t *
agency_json_refusal (const char *code, const char *detail, uint64_t at_ms)
{
    return json_pack ("{s:s, s:s, s:I}", "code", code, "message", detail, "at", (json_int_t) at_ms);
}
