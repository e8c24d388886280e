/* The agency's own keys across a key rotation (tsunaguctl agency rotate-keys): the daemon
 * keeps a copy of the keys it runs with in DATA_DIR/keys.current (0600).  Started with other
 * keys (the new bundle's), it knows it switched: the copy becomes DATA_DIR/keys.previous and
 * stays, so that what other agencies sealed to the old keys before they learnt of the switch
 * (their outboxes, the coordinator's mailbox, this inbox) still opens.  The coordinator admits
 * the new keys beside the old ones until it hears the agency with them, then refuses the old
 * ones; letters made before and signed with the old keys are still taken. */
#ifndef AGENCY_DAEMON_KEYS_SWITCH_H_INCLUDED
#define AGENCY_DAEMON_KEYS_SWITCH_H_INCLUDED

#include <stddef.h>

#include "agency/core/agency.h"

/* After the store and the boxer are open: records the keys, notices a switch, and hands the
 * previous keys to the boxer.  TSG_OK, or an error with a sentence in err. */
int agency_keys_adopt (tsg_agency_t *self, char *err, size_t err_size);

#endif
