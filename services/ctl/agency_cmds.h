/* What the files of `tsunaguctl agency` share (agency_text.c): the usage, a registry entry as
 * text and JSON, reading one entry.  cmd_agency.c dispatches to the add command
 * (cmd_agency_add.c) and to the changes (cmd_agency_change.c). */
#ifndef CTL_AGENCY_CMDS_H_INCLUDED
#define CTL_AGENCY_CMDS_H_INCLUDED

#include "ctl.h"

#define CTL_AGENCY_HTTP_BASE_PORT 7781 /* the first agency's default HTTP port */

/* The usage of every agency subcommand. */
void ctl_agency_usage (FILE *out);

/* The entry's creation time as "YYYY-MM-DDTHH:MM:SSZ". */
void ctl_agency_created (const Tsunagu__V1__AgencyEntry *entry, char out[32]);

/* Z85 text of a 32-byte key field, or "(invalid)". */
void ctl_agency_key_text (ProtobufCBinaryData key, char out[41]);

/* The response (accept or reject) and receive (acknowledge) due days in force for entry: its
 * own, or the defaults (its type's; 1). */
unsigned ctl_agency_response_days (const Tsunagu__V1__AgencyEntry *entry);
unsigned ctl_agency_receive_days (const Tsunagu__V1__AgencyEntry *entry);

/* "7 days" or "7 days (the default)" for days as stored (0: default) and in force. */
void ctl_agency_days_text (unsigned stored, unsigned in_force, char out[48]);

/* A JSON object describing entry; NULL on allocation failure. */
/* The registry's record of the entry's last change of status: {at, by, reason}, or null. */
json_t *ctl_agency_change_json (const Tsunagu__V1__AgencyEntry *entry);

json_t *ctl_agency_entry_json (const Tsunagu__V1__AgencyEntry *entry);

/* The registry entry of id (caller frees), or NULL after saying why: no such agency, or the
 * registry could not be read.  On NULL the transaction is aborted. */
Tsunagu__V1__AgencyEntry *ctl_registry_entry (tsg_txn_t *txn, const char *id);

/* The subcommands: argv[0] is the subcommand's name. */
int ctl_agency_add (const ctl_options_t *options, int argc, char **argv);
int ctl_agency_set_status (const ctl_options_t *options, int argc, char **argv);
int ctl_agency_set_due_days (const ctl_options_t *options, int argc, char **argv);
int ctl_agency_rotate (const ctl_options_t *options, int argc, char **argv);
int ctl_agency_succeed (const ctl_options_t *options, int argc, char **argv);

#endif
