/* The coordinator's hand-over to new keys (proto/README.md §6): the new signing key's
 * endorsement of the keys that follow the current one.  Both sides use it: the coordinator
 * makes it, each agency checks it before it holds the new keys. */
#ifndef TSG_HANDOVER_H_INCLUDED
#define TSG_HANDOVER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "tsunagu/tsg_keys.h"

#define TSG_HANDOVER_ENDORSEMENT_SIZE 64

/* Signs, with next's signing key, the statement that next's keys follow current_sign. */
void tsg_handover_endorse (const tsg_keys_t *next, const uint8_t current_sign[32],
                           uint8_t out[TSG_HANDOVER_ENDORSEMENT_SIZE]);

/* True when endorsement is next_sign's signature of next_box and next_sign following
 * current_sign. */
bool tsg_handover_endorsed (const uint8_t current_sign[32], const uint8_t next_box[32],
                            const uint8_t next_sign[32], const uint8_t *endorsement,
                            size_t endorsement_len);

#endif
