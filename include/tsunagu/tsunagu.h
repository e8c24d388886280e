/* tsunagu — the public umbrella: version, result codes, and every common header. */
#ifndef TSUNAGU_H_INCLUDED
#define TSUNAGU_H_INCLUDED

#define TSUNAGU_VERSION          "0.1.0"
#define TSUNAGU_PROTOCOL_VERSION 1

/* Result codes shared by every layer.  0 is success; each failure has one
 * meaning everywhere, so a caller checks once and reports tsg_strerror(). */
typedef enum {
    TSG_OK = 0,
    TSG_ERR_NOMEM = -1,         /* allocation failed */
    TSG_ERR_IO = -2,            /* file or socket error; errno may say more */
    TSG_ERR_NOT_FOUND = -3,     /* no such key, file or record */
    TSG_ERR_EXISTS = -4,        /* already there */
    TSG_ERR_STORE_FULL = -5,    /* LMDB map is full: raise map_size */
    TSG_ERR_STORE = -6,         /* any other LMDB failure */
    TSG_ERR_BAD_INPUT = -7,     /* malformed or out-of-range input */
    TSG_ERR_BAD_SIGNATURE = -8, /* signature does not verify */
    TSG_ERR_CRYPTO = -9,        /* a box could not be opened or sealed */
    TSG_ERR_PERMISSION = -10,   /* a secret file is readable by others */
    TSG_ERR_TOO_LARGE = -11,    /* over a protocol or API size limit */
} tsg_rc_t;

/* Returns a static English sentence for rc; never NULL. */
const char *tsg_strerror (int rc);

#include "tsunagu/tsg_log.h"
#include "tsunagu/tsg_util.h"
#include "tsunagu/tsg_keys.h"
#include "tsunagu/tsg_wire.h"
#include "tsunagu/tsg_store.h"
#include "tsunagu/tsg_config.h"
#include "tsunagu/tsg_states.h"
#include "tsunagu/tsg_cleartext.h"

#endif
