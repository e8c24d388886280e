/* intake_keys.c — the signatures of an agency's key rotation: the end of it, seen by the first
 * letter signed with its new keys, and its old signature on letters made before (intake_parts.h).
 */
#include <jansson.h>

#include "coordinator/intake/intake_parts.h"
#include "coordinator/model/store.h"

bool
hub_intake_rotated (tsg_hub_intake_t *self, const char *auth_id,
                    const Tsunagu__V1__AgencyEntry *sender, const tsg_envelope_t *env)
{
    if (sender->next_sign_public.len != 32
        || !tsg_envelope_verify (env, sender->next_sign_public.data))
        return false;
    /* The directory in memory still lists both keys until the registry is reloaded: the
     * switch is written once, by the first such letter of the batch. */
    if (tsg_registry_switch_keys (self->txn, auth_id)) {
        log_info ("registry: %s is heard with its new keys; its old keys are refused from now on",
                  auth_id);
        if (self->audit)
            tsg_hub_audit_add (self->audit, "registry", NULL, NULL, NULL, "agency-keys-switched",
                               json_pack ("{s:s, s:s, s:s}", "agency", auth_id, "actor",
                                          "coordinator", "via", "first letter with the new keys"));
    }
    return true;
}
