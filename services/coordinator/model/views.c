/* views.c — JSON for the coordinator's read side, built from records and counters only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/timeline.h"
#include "coordinator/model/views.h"

/* A JSON string of text, or null when text is NULL, empty or not UTF-8. */
static json_t *
s_text (const char *text)
{
    json_t *value = text && *text ? json_string (text) : NULL;
    return value ? value : json_null ();
}

/* A JSON array of the n rows of width bytes. */
static json_t *
s_rows (const char *rows, size_t width, size_t n)
{
    json_t *array = json_array ();
    for (size_t i = 0; array && i < n; i++)
        json_array_append_new (array, s_text (rows + i * width));
    return array;
}

json_t *
tsg_hub_json_time (uint64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text[32];
    tsg_iso8601 (ms, text);
    return json_string (text);
}

json_t *
tsg_hub_json_date (uint64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text[11];
    tsg_date_jst_plus_days (ms, 0, text);
    return json_string (text);
}

/* Milliseconds from start to end, or null when either is unknown. */
static json_t *
s_span (uint64_t start, uint64_t end)
{
    if (start == 0 || end == 0 || end < start)
        return json_null ();
    return json_integer ((json_int_t) (end - start));
}

/* ["agencies", "stuck", "reopened"]: why a case is a 会議候補. */
static json_t *
s_candidate_why (unsigned why)
{
    json_t *a = json_array ();
    if (a && (why & TSG_HUB_CANDIDATE_AGENCIES_BIT))
        json_array_append_new (a, json_string ("agencies"));
    if (a && (why & TSG_HUB_CANDIDATE_STUCK_BIT))
        json_array_append_new (a, json_string ("stuck"));
    if (a && (why & TSG_HUB_CANDIDATE_REOPENED_BIT))
        json_array_append_new (a, json_string ("reopened"));
    return a;
}

json_t *
tsg_hub_view_case_summary (const tsg_hub_case_t *c, bool overdue, uint64_t now_ms)
{
    json_t *o = json_object ();
    if (!o)
        return NULL;
    unsigned why = tsg_hub_case_candidate (c, now_ms);
    json_object_set_new (o, "case_id", json_string (c->id));
    json_object_set_new (o, "state", json_string (tsg_case_state_name (c->state)));
    json_object_set_new (o, "state_label", json_string (tsg_case_state_label_ja (c->state)));
    json_object_set_new (o, "version", json_integer ((json_int_t) c->version));
    json_object_set_new (o, "agencies",
                         s_rows (c->agencies[0], sizeof c->agencies[0], c->n_agencies));
    json_object_set_new (o, "agency_types", s_rows (c->types[0], sizeof c->types[0], c->n_types));
    json_object_set_new (o, "tags", s_rows (c->tags[0], sizeof c->tags[0], c->n_tags));
    json_object_set_new (o, "referral_count", json_integer (c->referrals));
    json_object_set_new (o, "opened_by", s_text (c->opened_by));
    json_object_set_new (o, "created_at", tsg_hub_json_time (c->created_at_ms));
    json_object_set_new (o, "updated_at", tsg_hub_json_time (c->updated_at_ms));
    json_object_set_new (o, "closed_at", tsg_hub_json_time (c->closed_at_ms));
    json_object_set_new (o, "next_review_on", s_text (c->next_review_on));
    json_object_set_new (o, "review_overdue",
                         json_boolean (tsg_hub_case_review_overdue (c, now_ms)));
    json_object_set_new (o, "overdue", json_boolean (overdue));
    json_object_set_new (o, "withheld", json_integer (c->withheld));
    json_object_set_new (o, "stuck_days", json_integer (tsg_hub_case_stuck_days (c, now_ms)));
    json_object_set_new (o, "candidate", json_boolean (why != 0));
    json_object_set_new (o, "candidate_why", s_candidate_why (why));
    /* 担当交代: handed over since the last meeting or plan event (the review). */
    json_object_set_new (o, "handed_over", json_boolean (c->handed_over));
    json_object_set_new (
        o, "last_handover",
        c->handed_over_at_ms
            ? json_pack ("{s:o, s:o, s:o}", "at", tsg_hub_json_time (c->handed_over_at_ms),
                         "effective_on", s_text (c->handover_on), "agency", s_text (c->handover_by))
            : json_null ());
    json_object_set_new (o, "last_review_at", tsg_hub_json_time (c->reviewed_at_ms));
    return o;
}

/* What a listing's callback needs. */
typedef struct {
    json_t *cases;   /* the summaries */
    uint64_t now_ms; /* the clock */
} s_listing_t;

/* Appends each listed case to the array. */
static bool
s_list_one (void *arg, const tsg_hub_case_t *c, bool overdue)
{
    s_listing_t *l = arg;
    json_array_append_new (l->cases, tsg_hub_view_case_summary (c, overdue, l->now_ms));
    return true;
}

json_t *
tsg_hub_view_cases (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter)
{
    s_listing_t l = { json_array (), filter->now_ms };
    if (!l.cases)
        return NULL;
    tsg_hub_case_page_t page;
    tsg_hub_cases_page (txn, filter, s_list_one, &l, &page);
    if (txn->rc != TSG_OK) {
        json_decref (l.cases);
        return NULL;
    }
    bool by_id = filter->sort == TSG_HUB_CASE_SORT_ID;
    json_t *next_after = by_id && page.more && !page.partial && page.last_id[0]
                             ? json_string (page.last_id)
                             : json_null ();
    return json_pack ("{s:o, s:I, s:o, s:o, s:s, s:b, s:I}", "cases", l.cases, "count",
                      (json_int_t) page.listed, "next_after", next_after, "next_cursor",
                      page.cursor[0] ? json_string (page.cursor) : json_null (), "sort",
                      tsg_hub_case_sort_name (filter->sort), "partial", page.partial, "examined",
                      (json_int_t) page.examined);
}

/* {"reason", "at", "consent_id"} of a withheld referral, or null. */
static json_t *
s_withheld (const tsg_hub_referral_t *ref)
{
    if (!ref->withheld_at_ms)
        return json_null ();
    return json_pack ("{s:o, s:o, s:o, s:s}", "reason", s_text (ref->withheld_reason), "at",
                      tsg_hub_json_time (ref->withheld_at_ms), "consent_id",
                      s_text (ref->withheld_consent), "label",
                      strcmp (ref->withheld_reason, "expired") == 0 ? "同意の期限切れにより保留"
                                                                    : "同意の撤回により保留");
}

json_t *
tsg_hub_view_referral (const tsg_hub_referral_t *ref, uint64_t now_ms)
{
    json_t *o = json_object ();
    if (!o)
        return NULL;
    const char *overdue = NULL;
    if (tsg_hub_referral_overdue (ref, TSG_HUB_DUE_RECEIVED, now_ms))
        overdue = "received";
    else if (tsg_hub_referral_overdue (ref, TSG_HUB_DUE_ACCEPTED, now_ms))
        overdue = "accepted";
    json_object_set_new (o, "referral_id", json_string (ref->id));
    json_object_set_new (o, "case_id", json_string (ref->case_id));
    json_object_set_new (o, "from", s_text (ref->sender));
    json_object_set_new (o, "to", s_text (ref->recipient));
    json_object_set_new (o, "to_type", s_text (ref->recipient_type));
    json_object_set_new (o, "state", json_string (tsg_ref_state_name (ref->state)));
    json_object_set_new (o, "state_label", json_string (tsg_ref_state_label_ja (ref->state)));
    json_object_set_new (o, "version", json_integer ((json_int_t) ref->version));
    json_object_set_new (o, "urgency",
                         json_string (tsg_urgency_name ((Tsunagu__V1__Urgency) ref->urgency)));
    json_object_set_new (o, "created_at", tsg_hub_json_time (ref->created_at_ms));
    json_object_set_new (o, "updated_at", tsg_hub_json_time (ref->updated_at_ms));
    json_object_set_new (o, "updated_by", s_text (ref->updated_by));
    json_object_set_new (o, "receive_due_date", tsg_hub_json_date (ref->receive_due_ms));
    json_object_set_new (o, "due_date", tsg_hub_json_date (ref->response_due_ms));
    json_object_set_new (o, "receive_due_at", tsg_hub_json_time (ref->receive_due_ms));
    json_object_set_new (o, "response_due_at", tsg_hub_json_time (ref->response_due_ms));
    json_object_set_new (o, "received_at", tsg_hub_json_time (ref->received_at_ms));
    json_object_set_new (o, "accepted_at", tsg_hub_json_time (ref->accepted_at_ms));
    json_object_set_new (o, "closed_at", tsg_hub_json_time (ref->closed_at_ms));
    json_object_set_new (o, "outcome", s_text (tsg_outcome_name (ref->outcome)));
    json_object_set_new (o, "reason_given", json_boolean (ref->reason_given));
    json_object_set_new (o, "overdue", s_text (overdue));
    json_object_set_new (o, "withheld", s_withheld (ref));
    return o;
}

/* The label of a state name: a case state, or a referral state for referral entries. */
static json_t *
s_state_label (const char *name, bool referral)
{
    if (!name || !*name)
        return json_null ();
    if (referral) {
        tsg_ref_state_t state;
        return tsg_ref_state_parse (name, &state) ? json_string (tsg_ref_state_label_ja (state))
                                                  : json_null ();
    }
    tsg_case_state_t state;
    return tsg_case_state_parse (name, &state) ? json_string (tsg_case_state_label_ja (state))
                                               : json_null ();
}

/* The metadata of a case event: its id and what its type carries. */
static void
s_event_detail (json_t *o, const Tsunagu__V1__CaseEvent *d)
{
    json_object_set_new (o, "event_id", s_text (d->event_id));
    if (d->close_reason && *d->close_reason)
        json_object_set_new (o, "close_reason", s_text (d->close_reason));
    if (d->meeting) {
        json_t *attendees = json_array ();
        for (size_t i = 0; attendees && i < d->meeting->n_attendees; i++)
            json_array_append_new (attendees, s_text (d->meeting->attendees[i]));
        const char *kind = tsg_hub_meeting_kind_name (d->meeting->kind);
        json_object_set_new (o, "meeting",
                             json_pack ("{s:o, s:o, s:o, s:o}", "kind", s_text (kind), "held_on",
                                        s_text (d->meeting->held_on), "attendees", attendees,
                                        "decision", s_text (d->meeting->decision)));
    }
    if (d->plan) {
        json_t *roles = json_array ();
        for (size_t i = 0; roles && i < d->plan->n_roles; i++)
            json_array_append_new (roles, json_pack ("{s:o, s:o}", "agency",
                                                     s_text (d->plan->roles[i]->agency_id), "role",
                                                     s_text (d->plan->roles[i]->role)));
        json_object_set_new (o, "plan",
                             json_pack ("{s:o, s:o}", "roles", roles, "next_review_on",
                                        s_text (d->plan->next_review_on)));
    }
    if (d->note)
        json_object_set_new (o, "note",
                             json_pack ("{s:o, s:o}", "category", s_text (d->note->category),
                                        "written_on", s_text (d->note->written_on)));
    if (d->handover)
        json_object_set_new (o, "handover",
                             json_pack ("{s:o, s:o, s:o}", "staff_code",
                                        s_text (d->handover->staff_code), "previous_staff_code",
                                        s_text (d->handover->previous_staff_code), "effective_on",
                                        s_text (d->handover->effective_on)));
    if (d->succession) {
        json_t *renew = json_array ();
        for (size_t i = 0; renew && i < d->succession->n_consents_to_renew; i++)
            json_array_append_new (renew, s_text (d->succession->consents_to_renew[i]));
        json_object_set_new (o, "succession",
                             json_pack ("{s:o, s:o, s:o, s:o}", "previous_agency",
                                        s_text (d->succession->previous_agency), "agency",
                                        s_text (d->succession->agency), "effective_on",
                                        s_text (d->succession->effective_on), "consents_to_renew",
                                        renew));
    }
}

/* What a case's timeline scan collects. */
typedef struct {
    json_t *timeline;                  /* the entries */
    tsg_hub_case_id_t referrals[1024]; /* referral ids seen (the first 1024) */
    size_t n_referrals;                /* in use */
} s_case_scan_t;

static bool
s_timeline_one (void *arg, const tsg_hub_event_t *ev)
{
    s_case_scan_t *scan = arg;
    bool referral = ev->type == TSG_HUB_EV_REFERRAL || ev->type == TSG_HUB_EV_REFERRAL_STATUS;
    json_t *o = json_object ();
    if (!o)
        return false;
    json_object_set_new (o, "n", json_integer ((json_int_t) ev->n));
    json_object_set_new (o, "at", tsg_hub_json_time (ev->at_ms));
    json_object_set_new (o, "type", json_string (tsg_hub_event_type_name (ev->type)));
    json_object_set_new (o, "by", s_text (ev->by));
    json_object_set_new (o, "version", json_integer ((json_int_t) ev->version));
    if (ev->agency[0])
        json_object_set_new (o, "agency", s_text (ev->agency));
    if (ev->referral_id[0])
        json_object_set_new (o, "referral_id", s_text (ev->referral_id));
    if (ev->from[0]) {
        json_object_set_new (o, "from", s_text (ev->from));
        json_object_set_new (o, "from_label", s_state_label (ev->from, referral));
    }
    if (ev->to[0]) {
        json_object_set_new (o, "to", s_text (ev->to));
        json_object_set_new (o, "to_label", s_state_label (ev->to, referral));
    }
    if (ev->outcome[0])
        json_object_set_new (o, "outcome", s_text (ev->outcome));
    if (ev->reason_given)
        json_object_set_new (o, "reason_given", json_true ());
    if (ev->automatic)
        json_object_set_new (o, "automatic", json_true ());
    if (ev->message_id[0])
        json_object_set_new (o, "message_id", s_text (ev->message_id));
    if (ev->detail)
        s_event_detail (o, ev->detail);
    json_array_append_new (scan->timeline, o);
    if (ev->type == TSG_HUB_EV_REFERRAL
        && scan->n_referrals < sizeof scan->referrals / sizeof scan->referrals[0])
        memcpy (scan->referrals[scan->n_referrals++], ev->referral_id, TSG_UUID_TEXT_SIZE);
    return true;
}

/* The case's figures: its milestones and the time from opening to each. */
static json_t *
s_figures (const tsg_hub_case_t *c)
{
    json_t *o = json_object ();
    if (!o)
        return NULL;
    json_object_set_new (o, "first_received_at", tsg_hub_json_time (c->first_received_at_ms));
    json_object_set_new (o, "first_accepted_at", tsg_hub_json_time (c->first_accepted_at_ms));
    json_object_set_new (o, "plan_at", tsg_hub_json_time (c->plan_at_ms));
    json_object_set_new (o, "closed_at", tsg_hub_json_time (c->closed_at_ms));
    json_object_set_new (o, "to_received_ms", s_span (c->created_at_ms, c->first_received_at_ms));
    json_object_set_new (o, "to_accepted_ms", s_span (c->created_at_ms, c->first_accepted_at_ms));
    json_object_set_new (o, "to_plan_ms", s_span (c->created_at_ms, c->plan_at_ms));
    json_object_set_new (o, "to_closure_ms", s_span (c->created_at_ms, c->closed_at_ms));
    json_object_set_new (o, "agencies", json_integer ((json_int_t) c->n_agencies));
    json_object_set_new (o, "reopened", json_integer (c->reopened));
    return o;
}

json_t *
tsg_hub_view_case (tsg_txn_t *txn, const char *id, uint64_t now_ms)
{
    tsg_hub_case_t *c = malloc (sizeof *c);
    s_case_scan_t *scan = malloc (sizeof *scan);
    json_t *o = NULL;
    if (!c || !scan || !tsg_hub_case_get (txn, id, c))
        goto done;
    scan->timeline = json_array ();
    scan->n_referrals = 0;
    tsg_hub_timeline_scan (txn, c->id, 1, s_timeline_one, scan);
    json_t *referrals = json_array ();
    json_t *withheld = json_array ();
    bool overdue = false;
    for (size_t i = 0; referrals && i < scan->n_referrals; i++) {
        tsg_hub_referral_t ref;
        if (!tsg_hub_referral_get (txn, scan->referrals[i], &ref))
            continue;
        overdue |= tsg_hub_referral_overdue (&ref, TSG_HUB_DUE_RECEIVED, now_ms)
                   || tsg_hub_referral_overdue (&ref, TSG_HUB_DUE_ACCEPTED, now_ms);
        json_t *view = tsg_hub_view_referral (&ref, now_ms);
        if (ref.withheld_at_ms)
            json_array_append_new (withheld, json_incref (view));
        json_array_append_new (referrals, view);
    }
    o = tsg_hub_view_case_summary (c, overdue, now_ms);
    if (!o) {
        json_decref (withheld);
        json_decref (referrals);
        json_decref (scan->timeline);
        goto done;
    }
    json_object_set_new (o, "close_reason", s_text (c->close_reason));
    json_object_set_new (o, "reopened", json_integer (c->reopened));
    const char *kind = tsg_hub_meeting_kind_name (c->roster_kind);
    json_object_set_new (o, "roster",
                         kind ? json_pack ("{s:s, s:o}", "kind", kind, "attendees",
                                           s_rows (c->roster[0], sizeof c->roster[0], c->n_roster))
                              : json_null ());
    /* The latest roster of each meeting held: the bases support-meeting and statutory-meeting
     * rest on them. */
    json_t *rosters = json_object ();
    for (int k = 0; rosters && k < TSG_HUB_MEETING_KINDS; k++)
        if (tsg_hub_case_held (c, k))
            json_object_set_new (
                rosters, tsg_hub_meeting_kind_name (k),
                s_rows (c->rosters[k][0], sizeof c->rosters[k][0], c->n_rosters[k]));
    json_object_set_new (o, "rosters", rosters ? rosters : json_null ());
    json_t *consents = tsg_hub_view_consents (txn, c->id, now_ms);
    json_object_set_new (o, "consents",
                         consents ? json_incref (json_object_get (consents, "consents"))
                                  : json_array ());
    json_decref (consents);
    json_t *plan = json_null ();
    if (c->n_roles > 0) {
        json_t *roles = json_array ();
        for (size_t i = 0; roles && i < c->n_roles; i++)
            json_array_append_new (roles,
                                   json_pack ("{s:o, s:o}", "agency", s_text (c->roles[i].agency),
                                              "role", s_text (c->roles[i].role)));
        plan =
            json_pack ("{s:o, s:o}", "roles", roles, "next_review_on", s_text (c->next_review_on));
    }
    json_object_set_new (o, "plan", plan ? plan : json_null ());
    json_object_set_new (o, "last_event",
                         json_pack ("{s:o, s:o, s:o}", "id", s_text (c->last_event_id), "type",
                                    s_text (c->last_event_type), "by", s_text (c->last_event_by)));
    json_object_set_new (o, "figures", s_figures (c));
    json_object_set_new (o, "referrals", referrals);
    json_object_set_new (o, "withheld_referrals", withheld ? withheld : json_array ());
    json_object_set_new (o, "timeline", scan->timeline);
done:
    free (scan);
    free (c);
    return o;
}

/* What an overdue scan collects. */
typedef struct {
    tsg_txn_t *txn;    /* read transaction */
    uint64_t now_ms;   /* the clock */
    size_t limit;      /* most to list */
    json_t *referrals; /* listed */
    size_t count;      /* overdue in all */
} s_overdue_t;

static bool
s_overdue_one (void *arg, tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id,
               const char *case_id, const char *recipient)
{
    (void) recipient;
    (void) kind;
    (void) due_ms;
    (void) case_id;
    s_overdue_t *o = arg;
    o->count++;
    tsg_hub_referral_t ref;
    if (json_array_size (o->referrals) < o->limit
        && tsg_hub_referral_get (o->txn, referral_id, &ref))
        json_array_append_new (o->referrals, tsg_hub_view_referral (&ref, o->now_ms));
    return true;
}

json_t *
tsg_hub_view_overdue (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t now_ms, size_t limit)
{
    s_overdue_t o = { txn, now_ms, limit, json_array (), 0 };
    if (!o.referrals)
        return NULL;
    tsg_hub_due_scan (txn, kind, now_ms, s_overdue_one, &o);
    return json_pack ("{s:s, s:o, s:I, s:o}", "overdue", tsg_hub_due_kind_name (kind), "as_of",
                      tsg_hub_json_time (now_ms), "count", (json_int_t) o.count, "referrals",
                      o.referrals);
}

/* {"count": n, "avg_ms": ms | null, "avg_days": days | null} from a count and a sum. */
static json_t *
s_average (tsg_txn_t *txn, const char *count_name, const char *sum_name)
{
    uint64_t count = tsg_hub_stat_get (txn, count_name);
    uint64_t sum = tsg_hub_stat_get (txn, sum_name);
    json_t *avg = count ? json_integer ((json_int_t) (sum / count)) : json_null ();
    json_t *days = count ? json_real ((double) sum / (double) count / 86400000.0) : json_null ();
    return json_pack ("{s:I, s:o, s:o}", "count", (json_int_t) count, "avg_ms", avg, "avg_days",
                      days);
}

json_t *
tsg_hub_view_stats (tsg_txn_t *txn, uint64_t now_ms)
{
    json_t *ref_states = json_object ();
    for (int i = 0; ref_states && i < TSG_REF_STATE_COUNT; i++) {
        const char *name = tsg_ref_state_name ((tsg_ref_state_t) i);
        json_object_set_new (
            ref_states, name,
            json_pack ("{s:I, s:s}", "count",
                       (json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_REF_STATE, name), "label",
                       tsg_ref_state_label_ja ((tsg_ref_state_t) i)));
    }
    json_t *case_states = json_object ();
    for (int i = 0; case_states && i < TSG_CASE_STATE_COUNT; i++) {
        const char *name = tsg_case_state_name ((tsg_case_state_t) i);
        json_object_set_new (
            case_states, name,
            json_pack ("{s:I, s:s}", "count",
                       (json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_CASE_STATE, name), "label",
                       tsg_case_state_label_ja ((tsg_case_state_t) i)));
    }
    uint64_t opened = tsg_hub_stat_get (txn, TSG_HUB_STAT_CASES_OPENED);
    uint64_t closed = tsg_hub_stat_get (txn, TSG_HUB_STAT_CASES_CLOSED);
    uint64_t reopened = tsg_hub_stat_get (txn, TSG_HUB_STAT_CASES_REOPENED);
    uint64_t agencies = tsg_hub_stat_get (txn, TSG_HUB_STAT_CASES_AGENCIES);
    json_t *referrals = json_pack (
        "{s:I, s:o, s:{s:I, s:I}, s:o, s:o}", "created",
        (json_int_t) tsg_hub_stat_get (txn, TSG_HUB_STAT_REFERRALS), "by_state", ref_states,
        "overdue", "received", (json_int_t) tsg_hub_due_count (txn, TSG_HUB_DUE_RECEIVED, now_ms),
        "accepted", (json_int_t) tsg_hub_due_count (txn, TSG_HUB_DUE_ACCEPTED, now_ms),
        "to_received",
        s_average (txn, TSG_HUB_STAT_REF_RECEIVED_COUNT, TSG_HUB_STAT_REF_RECEIVED_SUM),
        "to_accepted",
        s_average (txn, TSG_HUB_STAT_REF_ACCEPTED_COUNT, TSG_HUB_STAT_REF_ACCEPTED_SUM));
    json_t *cases = json_pack (
        "{s:I, s:I, s:I, s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o, s:o}", "opened",
        (json_int_t) opened, "closed", (json_int_t) closed, "reopened", (json_int_t) reopened,
        "reopen_rate", closed ? json_real ((double) reopened / (double) closed) : json_null (),
        "multi_agency", (json_int_t) tsg_hub_stat_get (txn, TSG_HUB_STAT_CASES_MULTI),
        "agencies_per_case",
        opened ? json_real ((double) agencies / (double) opened) : json_null (), "events",
        (json_int_t) tsg_hub_stat_get (txn, TSG_HUB_STAT_CASE_EVENTS), "by_state", case_states,
        "to_received",
        s_average (txn, TSG_HUB_STAT_CASE_RECEIVED_COUNT, TSG_HUB_STAT_CASE_RECEIVED_SUM),
        "to_accepted",
        s_average (txn, TSG_HUB_STAT_CASE_ACCEPTED_COUNT, TSG_HUB_STAT_CASE_ACCEPTED_SUM),
        "to_plan", s_average (txn, TSG_HUB_STAT_CASE_PLAN_COUNT, TSG_HUB_STAT_CASE_PLAN_SUM),
        "to_closure",
        s_average (txn, TSG_HUB_STAT_CASE_CLOSURE_COUNT, TSG_HUB_STAT_CASE_CLOSURE_SUM));
    return json_pack ("{s:o, s:o, s:o}", "as_of", tsg_hub_json_time (now_ms), "referrals",
                      referrals, "cases", cases);
}

json_t *
tsg_hub_view_agencies (tsg_txn_t *txn)
{
    Tsunagu__V1__AgencyEntry **entries = NULL;
    size_t count = 0;
    if (tsg_registry_list (txn, &entries, &count) != TSG_OK)
        return NULL;
    json_t *list = json_array ();
    for (size_t i = 0; list && i < count; i++) {
        const Tsunagu__V1__AgencyEntry *e = entries[i];
        unsigned response =
            e->response_due_days ? e->response_due_days : tsg_type_response_due_days (e->type);
        json_t *o = json_pack (
            "{s:o, s:o, s:o, s:s, s:I, s:I, s:I}", "id", s_text (e->id), "type", s_text (e->type),
            "name", s_text (e->name), "status", tsg_agency_status_name (e->status),
            "response_due_days", (json_int_t) response, "receive_due_days",
            (json_int_t) (e->receive_due_days ? e->receive_due_days : 1), "mailbox_depth",
            (json_int_t) tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH, e->id ? e->id : ""));
        if (o && e->succeeded_by && *e->succeeded_by) /* 組織改編: who took its cases */
            json_object_set_new (o, "succeeded_by", json_string (e->succeeded_by));
        if (o)
            json_object_set_new (o, "batch_proofs", json_boolean (e->batch_proofs));
        json_array_append_new (list, o);
    }
    tsg_registry_free_list (entries, count);
    return json_pack ("{s:I, s:o}", "serial", (json_int_t) tsg_registry_generation (txn),
                      "agencies", list);
}
