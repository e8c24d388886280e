/* The administrator's rotation of the coordinator's own keys, as control requests (control.h;
 * model/rotation.h says the states):
 *
 *   {"command": "coordinator-rotate", "actor", "deadline_ms", "reason"?}
 *       new keys in KEYS.next; from the next directory on, every agency is handed them over
 *       (signed by the current key, endorsed by the new one); the switch comes when every
 *       active agency holds them, or at deadline_ms (1 hour to 90 days ahead).  Refused
 *       (rotation_under_way) while one is; no_keys without a key file.
 *       Answer: {"ok", "next_box_public", "next_sign_public" (Z85), "switch_by" (ISO 8601)}.
 *   {"command": "coordinator-rotate-finish", "actor", "reason"?}
 *       switch now, whoever holds the new keys (an agency that does not needs a new bundle).
 *       With the coordinator running it switches within a second; offline (--apply) the files
 *       and the record switch at once.  Refused (no_rotation) when none is under way.
 *
 * Each is audited: "coordinator-keys-announced", "coordinator-keys-finish" and (when the
 * switch happens) "coordinator-keys-switched", with actor, via and reason. */
#ifndef TSG_HUB_ADMIN_KEYS_H_INCLUDED
#define TSG_HUB_ADMIN_KEYS_H_INCLUDED

#include <jansson.h>

#include "coordinator/daemon/control.h"

/* The answer (caller frees) to command with request, or NULL when command is none of these. */
char *tsg_hub_admin_keys_answer (const tsg_hub_control_env_t *env, const char *command,
                                 const json_t *request);

#endif
