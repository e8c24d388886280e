/* The administrator's changes to the staff accounts of the dashboard (model/users.h), as control
 * requests (control.h documents them): user-add, user-passwd, user-role, user-disable,
 * user-enable, user-remove.
 *
 * Each request is checked as if it came from a stranger (every field's JSON type, the name, the
 * role, the password's strength, the actor), applied in one write transaction of its own
 * together with its audit record (event "staff", kind the command, details {user, change,
 * role, actor, via}) and answered after the commit.  A refusal changes nothing.  The coordinator
 * hashes each password (Argon2id) and wipes the plaintext it holds once it is hashed; the
 * password travels only over the owner-only control socket or the --apply pipe. */
#ifndef TSG_HUB_ADMIN_USERS_H_INCLUDED
#define TSG_HUB_ADMIN_USERS_H_INCLUDED

#include <jansson.h>

#include "coordinator/daemon/control.h"

/* The answer (caller frees) to command with request, or NULL when command is none of the staff
 * accounts'.  The request's "password" string is wiped (sodium_memzero) whether or not the
 * request succeeds. */
char *tsg_hub_admin_users_answer (const tsg_hub_control_env_t *env, const char *command,
                                  const json_t *request);

#endif
