/* agency_text.c — what the `tsunaguctl agency` commands share: their usage and how a registry
 * entry reads, as text and as JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_cmds.h"

#include "coordinator/model/store.h"

#define AGENCY_HTTP_BASE_PORT CTL_AGENCY_HTTP_BASE_PORT

void
ctl_agency_usage (FILE *out)
{
    fprintf (
        out,
        "usage: tsunaguctl [-d DATA_DIR] agency add --id ID --type TYPE --name NAME --out DIR\n"
        "                                [--http HOST:PORT] [--due-days N] [--receive-due-days N]\n"
        "                                [--pending] [--reason TEXT]\n"
        "       tsunaguctl [-d DATA_DIR] agency list [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency show ID [--json]\n"
        "       tsunaguctl [-d DATA_DIR] agency set-due-days ID [--due-days N]\n"
        "                                [--receive-due-days N]\n"
        "       tsunaguctl [-d DATA_DIR] agency approve|suspend|resume|revoke ID [--reason TEXT]\n"
        "       tsunaguctl [-d DATA_DIR] agency rotate-keys ID --out DIR [--deadline-days N]\n"
        "                                [--http HOST:PORT] [--reason TEXT]\n"
        "       tsunaguctl [-d DATA_DIR] agency succeed OLD NEW [--reason TEXT]\n"
        "                                [--effective-on YYYY-MM-DD] [--json]\n"
        "  --id                1-32 of a-z, 0-9 and '-', starting with a letter\n"
        "  --type              eldercare | disability | child | poverty\n"
        "  --name              the agency's name, UTF-8, at most 191 bytes\n"
        "  --out               the bundle folder to create (must not exist, or be empty)\n"
        "  --http              its HTTP API address (default 127.0.0.1:%d + agencies\n"
        "                      registered)\n"
        "  --due-days          days the agency has to accept or reject a referral, 1-365, or\n"
        "                      0 for its type's default (eldercare 7, disability 14, child 3,\n"
        "                      poverty 7); urgency shortens it\n"
        "  --receive-due-days  days it has to acknowledge a referral, 1-365, or 0 for the\n"
        "                      default (1)\n"
        "  --pending           register it pending: it is admitted nowhere and listed in no\n"
        "                      directory until `agency approve ID`\n"
        "  --reason            why (kept in the registry and the audit log with who asked)\n"
        "  --deadline-days     rotate-keys: the old keys are refused at the latest after N days\n"
        "                      (default 7, at most 90), or as soon as the agency is heard with\n"
        "                      the new ones\n"
        "Lifecycle: pending -> active (approve) -> suspended <-> active (suspend, resume) ->\n"
        "revoked (final; a pending agency may be revoked too).\n"
        "Succession (組織改編): NEW (active, of OLD's type) takes OLD's (active or suspended)\n"
        "cases and plan roles; consents naming OLD by id are flagged for renewal; mail waiting\n"
        "for OLD is withheld and its senders told to send it to NEW; OLD is revoked.\n"
        "The registry entry holds the due days and the coordinator publishes them in the\n"
        "directory: senders and the coordinator compute each referral's due dates from them.\n",
        AGENCY_HTTP_BASE_PORT);
}

/* The entry's creation time as "YYYY-MM-DDTHH:MM:SSZ". */
void
ctl_agency_created (const Tsunagu__V1__AgencyEntry *entry, char out[32])
{
    tsg_iso8601 (entry->created_at_ms, out);
    if (strlen (out) >= 20 && out[19] == '.') {
        out[19] = 'Z';
        out[20] = '\0';
    }
}

/* Z85 text of a 32-byte key field, or "(invalid)". */
void
ctl_agency_key_text (ProtobufCBinaryData key, char out[41])
{
    if (key.len == 32 && key.data)
        tsg_key_to_z85 (key.data, out);
    else
        snprintf (out, 41, "(invalid)");
}

/* The response due days in force for entry: its own, or its type's default. */
unsigned
ctl_agency_response_days (const Tsunagu__V1__AgencyEntry *entry)
{
    return entry->response_due_days ? entry->response_due_days
                                    : tsg_type_response_due_days (entry->type);
}

/* The receive due days in force for entry: its own, or the default of 1. */
unsigned
ctl_agency_receive_days (const Tsunagu__V1__AgencyEntry *entry)
{
    return entry->receive_due_days ? entry->receive_due_days : 1;
}

/* "7 days" or "7 days (the default)" for days as stored (0: default) and in force. */
void
ctl_agency_days_text (unsigned stored, unsigned in_force, char out[48])
{
    snprintf (out, 48, "%u day%s%s", in_force, in_force == 1 ? "" : "s",
              stored ? "" : " (the default)");
}

/* A JSON object describing entry; NULL on allocation failure. */
json_t *
ctl_agency_entry_json (const Tsunagu__V1__AgencyEntry *entry)
{
    char created[32], box[41], sign[41];
    ctl_agency_created (entry, created);
    ctl_agency_key_text (entry->box_public, box);
    ctl_agency_key_text (entry->sign_public, sign);
    json_t *out = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s}", "id", entry->id, "type", entry->type,
        "name", entry->name, "status", tsg_agency_status_name (entry->status), "created_at",
        created, "response_due_days", (json_int_t) ctl_agency_response_days (entry),
        "receive_due_days", (json_int_t) ctl_agency_receive_days (entry), "due_days_default",
        entry->response_due_days == 0 && entry->receive_due_days == 0, "box_public", box,
        "sign_public", sign);
    if (out)
        json_object_set_new (out, "status_changed", ctl_agency_change_json (entry));
    if (out && entry->succeeded_by && *entry->succeeded_by)
        json_object_set_new (out, "succeeded_by", json_string (entry->succeeded_by));
    return out;
}

json_t *
ctl_agency_change_json (const Tsunagu__V1__AgencyEntry *entry)
{
    if (entry->status_changed_at_ms == 0)
        return json_null ();
    char at[40];
    tsg_iso8601 (entry->status_changed_at_ms, at);
    return json_pack (
        "{s:s, s:s?, s:s?}", "at", at, "by",
        entry->status_changed_by && *entry->status_changed_by ? entry->status_changed_by : NULL,
        "reason", entry->status_reason && *entry->status_reason ? entry->status_reason : NULL);
}

/* The registry entry of id (caller frees), or NULL after saying why: no such agency, or the
 * registry could not be read.  On NULL the transaction is aborted. */
Tsunagu__V1__AgencyEntry *
ctl_registry_entry (tsg_txn_t *txn, const char *id)
{
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, id);
    if (entry)
        return entry;
    if (txn->rc != TSG_OK)
        ctl_error ("cannot read the registry: %s", tsg_strerror (txn->rc));
    else
        ctl_error ("no agency \"%s\"", id);
    tsg_txn_abort (txn);
    return NULL;
}
