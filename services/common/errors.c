/* errors.c — the one sentence for each tsg_rc_t. */
#include "tsunagu/tsunagu.h"

const char *
tsg_strerror (int rc)
{
    switch (rc) {
    case TSG_OK: return "success";
    case TSG_ERR_NOMEM: return "out of memory";
    case TSG_ERR_IO: return "input/output error";
    case TSG_ERR_NOT_FOUND: return "not found";
    case TSG_ERR_EXISTS: return "already exists";
    case TSG_ERR_STORE_FULL: return "store full (raise map_size_mb)";
    case TSG_ERR_STORE: return "store error";
    case TSG_ERR_BAD_INPUT: return "malformed input";
    case TSG_ERR_BAD_SIGNATURE: return "signature does not verify";
    case TSG_ERR_CRYPTO: return "encrypted body could not be opened";
    case TSG_ERR_PERMISSION: return "secret file is accessible to group or others";
    case TSG_ERR_TOO_LARGE: return "too large";
    default: return "unknown error";
    }
}
