/* overview_write.c — the counters the overview reads that no other record keeps: new cases by
 * the Japan-time day and month of their creation (overview.h). */
#include <stdio.h>

#include "coordinator/model/overview.h"
#include "coordinator/model/stats.h"

void
tsg_hub_overview_note_case (tsg_txn_t *txn, uint64_t created_ms)
{
    char day[11], month[8];
    tsg_date_jst_plus_days (created_ms, 0, day);
    snprintf (month, sizeof month, "%.7s", day);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CASES_DAY, day, 1);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CASES_MONTH, month, 1);
}
