/* overview.c — the overview with its live part: who is online, when each agency last spoke,
 * letters per minute (overview.h).  The store's part is model/overview.c's; the live one the
 * daemon answers through tsg_hub_api_live_t. */
#include <string.h>

#include "coordinator/api/overview.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/views.h"

/* Each agency's online state and last contact. */
static void
s_agencies_live (const tsg_hub_api_t *api, json_t *agencies)
{
    for (size_t i = 0; i < json_array_size (agencies); i++) {
        json_t *entry = json_array_get (agencies, i);
        const char *id = json_string_value (json_object_get (entry, "id"));
        uint64_t seen =
            id && api->live.last_seen_ms ? api->live.last_seen_ms (api->live.arg, id) : 0;
        json_object_set_new (entry, "online", json_boolean (tsg_hub_api_connected (api, id)));
        json_object_set_new (entry, "last_seen", tsg_hub_json_time (seen));
        uint64_t until = id && api->live.directory_until_ms
                             ? api->live.directory_until_ms (api->live.arg, id)
                             : 0;
        json_object_set_new (entry, "directory_valid_until", tsg_hub_json_time (until));
        int holds =
            id && api->live.holds_next_keys ? api->live.holds_next_keys (api->live.arg, id) : -1;
        if (holds >= 0)
            json_object_set_new (entry, "holds_next_keys", json_boolean (holds));
    }
}

json_t *
tsg_hub_api_agencies_live (const tsg_hub_api_t *api, tsg_txn_t *txn)
{
    json_t *o = tsg_hub_view_agencies (txn);
    if (o)
        s_agencies_live (api, json_object_get (o, "agencies"));
    return o;
}

json_t *
tsg_hub_api_overview (const tsg_hub_api_t *api, tsg_txn_t *txn, uint64_t now_ms)
{
    json_t *o = tsg_hub_view_overview (txn, now_ms);
    if (!o)
        return NULL;
    s_agencies_live (api, json_object_get (o, "agencies"));
    uint32_t minutes[60];
    memset (minutes, 0, sizeof minutes);
    if (api->live.letters_per_minute)
        api->live.letters_per_minute (api->live.arg, minutes);
    json_t *list = json_array ();
    for (size_t i = 0; list && i < 60; i++)
        json_array_append_new (list, json_integer (minutes[i]));
    if (!list) {
        json_decref (o);
        return NULL;
    }
    json_object_set_new (o, "letters_per_minute", list);
    json_object_set_new (o, "letters_last_minute", json_integer (minutes[59]));
    json_object_set_new (o, "sessions", json_integer ((json_int_t) tsg_hub_api_sessions (api)));
    return o;
}

json_t *
tsg_hub_api_overview_view (tsg_txn_t *txn, const void *api, uint64_t now_ms)
{
    return tsg_hub_api_overview (api, txn, now_ms);
}
