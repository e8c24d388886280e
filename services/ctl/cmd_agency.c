/* cmd_agency.c — `tsunaguctl agency ...`: list and show the registry (read here), and hand the
 * changes to cmd_agency_add.c and cmd_agency_change.c, which ask the coordinator to make them. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_cmds.h"
#include "coordinator/model/store.h"
#include "coordinator/model/stats.h"

/* `agency list [--json]`. */
/* " (since 2026-12-03T10:00:00Z, by admin: reason)" for the entry's last change of status,
 * "" when the registry has no record of one. */
static void
s_change_text (const Tsunagu__V1__AgencyEntry *entry, char *out, size_t size)
{
    out[0] = '\0';
    if (entry->status_changed_at_ms == 0)
        return;
    char at[40];
    tsg_iso8601 (entry->status_changed_at_ms, at);
    if (strlen (at) >= 20 && at[19] == '.')
        snprintf (at + 19, sizeof at - 19, "Z");
    const char *by =
        entry->status_changed_by && *entry->status_changed_by ? entry->status_changed_by : "?";
    const char *reason = entry->status_reason && *entry->status_reason ? entry->status_reason : "";
    snprintf (out, size, " (since %s, by %s%s%s)", at, by, *reason ? ": " : "", reason);
}

static int
s_list (const ctl_options_t *options, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else {
            ctl_error ("agency list: unexpected argument \"%s\"", argv[i]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    int rc = tsg_registry_list (&txn, &entries, &count);
    if (rc == TSG_OK && txn.rc != TSG_OK) {
        tsg_registry_free_list (entries, count);
        rc = txn.rc;
    }
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (rc != TSG_OK) {
        ctl_error ("cannot read the registry: %s", tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }

    bool ok = true;
    if (json) {
        json_t *array = json_array ();
        for (size_t i = 0; array && i < count; i++)
            if (json_array_append_new (array, ctl_agency_entry_json (entries[i])) != 0) {
                json_decref (array);
                array = NULL;
            }
        ok = ctl_print_json (array);
    }
    else {
        size_t id_width = 2, type_width = 4, status_width = 6, name_width = 4;
        for (size_t i = 0; i < count; i++) {
            size_t w = strlen (entries[i]->id);
            id_width = w > id_width ? w : id_width;
            w = strlen (entries[i]->type);
            type_width = w > type_width ? w : type_width;
            w = strlen (tsg_agency_status_name (entries[i]->status));
            status_width = w > status_width ? w : status_width;
            w = ctl_display_width (entries[i]->name);
            name_width = w > name_width ? w : name_width;
        }
        printf ("%-*s  %-*s  %-*s  %-*s  %-20s  %s\n", (int) id_width, "ID", (int) type_width,
                "TYPE", (int) status_width, "STATUS", (int) name_width, "NAME", "CREATED",
                "STATUS CHANGED");
        for (size_t i = 0; i < count; i++) {
            char created[32];
            ctl_agency_created (entries[i], created);
            const char *name = entries[i]->name;
            char changed[300] = "";
            s_change_text (entries[i], changed, sizeof changed);
            printf ("%-*s  %-*s  %-*s  %s%*s  %-20s %s\n", (int) id_width, entries[i]->id,
                    (int) type_width, entries[i]->type, (int) status_width,
                    tsg_agency_status_name (entries[i]->status), name,
                    (int) (name_width - ctl_display_width (name)), "", created, changed);
        }
    }
    tsg_registry_free_list (entries, count);
    if (!ok) {
        ctl_error ("cannot write the list: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

/* What agency id has waiting at the coordinator against its quotas (limits.h). */
typedef struct {
    uint64_t sent_letters;    /* its letters waiting in any mailbox */
    uint64_t sent_bytes;      /* ... their bytes */
    uint64_t mailbox_letters; /* letters waiting in its own mailbox */
    uint64_t mailbox_bytes;   /* ... their bytes */
    uint64_t refused;         /* its letters refused for a full quota */
} s_quota_t;

static void
s_quota_read (tsg_txn_t *txn, const char *id, s_quota_t *q)
{
    q->sent_letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_LETTERS, id);
    q->sent_bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_BYTES, id);
    q->mailbox_letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH, id);
    q->mailbox_bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_BYTES, id);
    q->refused = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_QUOTA_REFUSED, id);
}

static json_t *
s_quota_json (const s_quota_t *q, const tsg_hub_limits_t *l)
{
    return json_pack (
        "{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:I}", "sent_waiting", "letters",
        (json_int_t) q->sent_letters, "letters_quota", (json_int_t) l->sender_letters, "bytes",
        (json_int_t) q->sent_bytes, "bytes_quota", (json_int_t) l->sender_bytes, "mailbox",
        "letters", (json_int_t) q->mailbox_letters, "letters_quota",
        (json_int_t) l->mailbox_letters, "bytes", (json_int_t) q->mailbox_bytes, "bytes_quota",
        (json_int_t) l->mailbox_bytes, "refused_for_quota", (json_int_t) q->refused);
}

/* `agency show ID [--json]`. */
static int
s_show (const ctl_options_t *options, int argc, char **argv)
{
    const char *id = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--json") == 0)
            json = true;
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else {
            ctl_error ("agency show: unexpected argument \"%s\"", argv[i]);
            ctl_agency_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (!id) {
        ctl_error ("agency show needs an agency id");
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    Tsunagu__V1__AgencyEntry *entry = ctl_registry_entry (&txn, id);
    s_quota_t quota = { 0 };
    if (entry)
        s_quota_read (&txn, id, &quota);
    tsg_txn_abort (&txn);
    tsg_hub_limits_t limits = *ctl_site_limits (site);
    ctl_site_destroy (&site);
    if (!entry)
        return CTL_EXIT_FAIL;
    bool ok = true;
    if (json) {
        json_t *out = ctl_agency_entry_json (entry);
        if (out)
            json_object_set_new (out, "quota", s_quota_json (&quota, &limits));
        ok = ctl_print_json (out);
    }
    else {
        char created[32], box[41], sign[41], respond[48], acknowledge[48];
        ctl_agency_created (entry, created);
        ctl_agency_key_text (entry->box_public, box);
        ctl_agency_key_text (entry->sign_public, sign);
        ctl_agency_days_text (entry->response_due_days, ctl_agency_response_days (entry), respond);
        ctl_agency_days_text (entry->receive_due_days, ctl_agency_receive_days (entry),
                              acknowledge);
        char changed[300] = "";
        s_change_text (entry, changed, sizeof changed);
        printf ("id:           %s\n"
                "type:         %s (%s)\n"
                "name:         %s\n"
                "status:       %s%s\n"
                "created:      %s\n"
                "response due: %s (to accept or reject)\n"
                "receive due:  %s (to acknowledge)\n"
                "box_public:   %s\n"
                "sign_public:  %s\n",
                entry->id, entry->type, ctl_type_label (entry->type), entry->name,
                tsg_agency_status_name (entry->status), changed, created, respond, acknowledge, box,
                sign);
        if (entry->succeeded_by && *entry->succeeded_by)
            printf ("succeeded by: %s (組織改編: its cases are %s's now)\n", entry->succeeded_by,
                    entry->succeeded_by);
        printf (
            "sent waiting: %llu of %llu letters, %llu of %llu KiB (its letters not yet "
            "delivered)\n"
            "mailbox:      %llu of %llu letters, %llu of %llu KiB (waiting for it)\n"
            "over quota:   %llu letters refused\n",
            (unsigned long long) quota.sent_letters, (unsigned long long) limits.sender_letters,
            (unsigned long long) (quota.sent_bytes / 1024),
            (unsigned long long) (limits.sender_bytes / 1024),
            (unsigned long long) quota.mailbox_letters, (unsigned long long) limits.mailbox_letters,
            (unsigned long long) (quota.mailbox_bytes / 1024),
            (unsigned long long) (limits.mailbox_bytes / 1024), (unsigned long long) quota.refused);
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    if (!ok) {
        ctl_error ("cannot write the agency: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

int
cmd_agency (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2) {
        ctl_error ("agency needs a subcommand");
        ctl_agency_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp (sub, "add") == 0)
        return ctl_agency_add (options, argc - 1, argv + 1);
    if (strcmp (sub, "list") == 0)
        return s_list (options, argc - 1, argv + 1);
    if (strcmp (sub, "show") == 0)
        return s_show (options, argc - 1, argv + 1);
    if (strcmp (sub, "set-due-days") == 0)
        return ctl_agency_set_due_days (options, argc - 1, argv + 1);
    if (strcmp (sub, "approve") == 0 || strcmp (sub, "suspend") == 0 || strcmp (sub, "resume") == 0
        || strcmp (sub, "revoke") == 0)
        return ctl_agency_set_status (options, argc - 1, argv + 1);
    if (strcmp (sub, "rotate-keys") == 0)
        return ctl_agency_rotate (options, argc - 1, argv + 1);
    if (strcmp (sub, "succeed") == 0)
        return ctl_agency_succeed (options, argc - 1, argv + 1);
    if (strcmp (sub, "help") == 0 || strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0) {
        ctl_agency_usage (stdout);
        return CTL_EXIT_OK;
    }
    ctl_error ("unknown agency subcommand \"%s\"", sub);
    ctl_agency_usage (stderr);
    return CTL_EXIT_USAGE;
}
