/* limits.c — the quotas and the retention of coordinator.conf's [limits] and [retention]. */
#include "coordinator/model/limits.h"

void
tsg_hub_limits_read (tsg_config_t *cfg, tsg_hub_limits_t *out)
{
    tsg_hub_limits_t d = tsg_hub_limits_default ();
    const long mib = 1024L * 1024;
    tsg_hub_limits_t *limits = out;
    limits->sender_letters = (uint64_t) tsg_config_int (
        cfg, "limits", "sender_letters", (long) d.sender_letters, 1, 100L * 1000 * 1000);
    limits->sender_bytes =
        (uint64_t) tsg_config_int (cfg, "limits", "sender_mb", (long) (d.sender_bytes / mib), 1,
                                   1024L * 1024)
        * (uint64_t) mib;
    limits->mailbox_letters = (uint64_t) tsg_config_int (
        cfg, "limits", "mailbox_letters", (long) d.mailbox_letters, 1, 100L * 1000 * 1000);
    limits->mailbox_bytes =
        (uint64_t) tsg_config_int (cfg, "limits", "mailbox_mb", (long) (d.mailbox_bytes / mib), 1,
                                   1024L * 1024)
        * (uint64_t) mib;
    limits->dedup_ms = (uint64_t) tsg_config_int (cfg, "retention", "dedup_days",
                                                  TSG_HUB_DEDUP_DAYS_DEFAULT, 1, 3650)
                       * 24ULL * 3600 * 1000;
}
