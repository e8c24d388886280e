/* referral_state.c — the state fields of a referral record (referral_state.h). */
#include "agency/records/json.h"
#include "agency/records/referral_state.h"

void
agency_status_init (json_t *record, uint64_t created_ms, const char *sender)
{
    json_object_set_new (record, "state", json_string ("requested"));
    json_object_set_new (record, "version", json_integer (1));
    json_object_set_new (record, "state_history",
                         json_pack ("[{s:s, s:I, s:s}]", "state", "requested", "at",
                                    (json_int_t) created_ms, "by", sender ? sender : ""));
}

void
agency_status_current (const json_t *record, tsg_ref_state_t *state, uint64_t *version)
{
    if (!tsg_ref_state_parse (agency_json_str (record, "state"), state))
        *state = TSG_REF_REQUESTED;
    *version = agency_json_u64 (record, "version", 1);
    if (*version == 0)
        *version = 1;
}
