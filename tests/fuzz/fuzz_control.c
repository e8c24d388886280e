/* fuzz_control.c — the coordinator's control-socket requests (control.h) on arbitrary bytes:
 * every request gets one JSON object back with "ok", a refusal says which code and why and
 * changes nothing in the store.  One store per process (hub_world.h); the world's state
 * carries over from input to input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/daemon/control.h"
#include "hub_world.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The codes control.h promises. */
static bool
s_known_code (const char *code)
{
    static const char *const codes[] = { "bad_request",    "unknown_command",
                                         "too_large",      "store",
                                         "unknown_case",   "not_permitted",
                                         "stale_version",  "illegal_transition",
                                         "malformed",      "missing_legal_basis",
                                         "not_running",    "agency_exists",
                                         "unknown_agency", "revoked",
                                         "user_exists",    "unknown_user",
                                         "weak_password",  "unknown_alert" };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp (code, codes[i]) == 0)
            return true;
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    hub_world_t *w = w_get ();
    tsg_hub_control_env_t env = {
        .store = w->store, .intake = w->intake, .keys = w->coordinator, .directory = w->directory
    };
    size_t before = hub_txnid (w);
    char *reply = tsg_hub_control_answer (&env, (const char *) data, size);
    if (!reply)
        abort (); /* every request is answered */
    json_error_t error;
    json_t *root = json_loads (reply, JSON_REJECT_DUPLICATES, &error);
    json_t *ok = json_object_get (root, "ok");
    if (!json_is_object (root) || !json_is_boolean (ok))
        abort (); /* the reply is one JSON object with "ok" */
    if (json_is_false (ok)) {
        const char *code = json_string_value (json_object_get (root, "error"));
        if (!code || !s_known_code (code) || !json_string_value (json_object_get (root, "message")))
            abort (); /* a refusal names its code and says why */
        if (hub_txnid (w) != before)
            abort (); /* a refusal changed the store */
    }
    json_decref (root);
    free (reply);
    return 0;
}
