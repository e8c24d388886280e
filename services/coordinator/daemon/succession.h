/* Agency succession (組織改編) as a control request (control.h):
 *
 *   {"command": "agency-succeed", "id": "<OLD>", "successor": "<NEW>",
 *    "effective_on": "YYYY-MM-DD" (optional: today, Japan time), "reason" (optional),
 *    "actor": "<who asks>"}
 *
 * Refused, with nothing changed, unless OLD and NEW are two registered agencies of one type,
 * OLD active or suspended and NEW active (codes bad_request, unknown_agency, revoked,
 * illegal_transition, type_mismatch; store when the coordinator's keys cannot be read).
 * Offline (tsunagu-coordinator --apply: no intake in env) it loads the keys from env->keys_path
 * and the registry, and does the same; its letters wait in the mailboxes.  Otherwise,
 * in one write transaction with its audit record (event "registry", kind "agency-succeed",
 * details {agency, successor, type, from, to, cases, consents_to_renew, withheld, effective_on,
 * actor, via, reason}):
 *   - every case OLD is on gets a SUCCESSION case event signed by the coordinator (through the
 *     intake, as a staff event: checked, version + 1, the timeline, the letter to every agency
 *     on the case as it leaves it, NEW included, then the CASE_UPDATE): NEW takes OLD's place
 *     and plan roles (model/cases.h: tsg_hub_case_succeed);
 *   - the case's active consents that name OLD by id and do not cover NEW are flagged for
 *     renewal (model/consents.h) and listed in the event (consents_to_renew);
 *   - everything waiting in OLD's mailbox is withheld, each agency sender told
 *     (intake.h: tsg_hub_intake_withhold_succeeded);
 *   - OLD is revoked: status_changed_* say by whom and "succeeded by NEW[: reason]", and
 *     succeeded_by names NEW.
 *  → {"ok": true, "changed": true, "agency", "successor", "was", "effective_on", "cases":
 *     [ids], "consents_to_renew": [{consent_id, case_id}], "withheld": n} */
#ifndef TSG_HUB_SUCCESSION_H_INCLUDED
#define TSG_HUB_SUCCESSION_H_INCLUDED

#include <jansson.h>

#include "coordinator/daemon/control.h"

/* The answer (caller frees) to an "agency-succeed" request. */
char *tsg_hub_succession_answer (const tsg_hub_control_env_t *env, const json_t *request);

#endif
