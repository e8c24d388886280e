/* case_event.c — case events, as one table of operations (core/kind.h): POST
 * /v1/cases/{id}/events checks the event against the local copy of the case (404, 409 stale
 * version or no copy from the coordinator yet, 422 not on the case, illegal change or unknown
 * agency) and the legal basis of its personal parts, seals those parts once for every other
 * agency the basis covers and sends the CASE_EVENT to the coordinator, which fans it out; the
 * events fanned out to us are opened once and added to the copy.  What comes back about ours
 * is case_event_apply.c's. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_words.h"
#include "tsunagu/tsg_text.h"
#include "agency/core/submit.h"
#include "agency/letters/case_event_apply.h"
#include "agency/letters/case_event_legal.h"
#include "agency/letters/case_event_request.h"
#include "agency/letters/letters.h"
#include "agency/records/cases.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/sealed.h"

/* The state the event moves the case to, or false when it does not change the state. */
static bool
s_target (Tsunagu__V1__CaseEventType type, tsg_case_state_t requested, tsg_case_state_t *to)
{
    switch (type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE: *to = requested; return true;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE: *to = TSG_CASE_CLOSED; return true;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN: *to = TSG_CASE_OPEN; return true;
    default: return false;
    }
}

/* The event's cleartext metadata as JSON (for the local copy), from the header's CaseEvent.
 * NULL when the CaseEvent is not readable. */
static json_t *
s_metadata (const Tsunagu__V1__CaseEvent *ce)
{
    /* A succession is the coordinator's alone: agencies never ask for one, so the names
     * their requests parse (common/wire.c) do not include it. */
    bool succession = ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION;
    const char *type = succession ? "succession" : tsg_case_event_type_name (ce->type);
    if (!type || !tsg_uuid_valid (ce->event_id))
        return NULL;
    if (succession)
        return agency_case_succession_json (ce);
    json_t *out = json_pack ("{s:s, s:s}", "event_id", ce->event_id, "type", type);
    tsg_case_state_t state;
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE) {
        if (!tsg_case_state_parse (ce->state, &state)) {
            json_decref (out);
            return NULL;
        }
        json_object_set_new (out, "state", json_string (ce->state));
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE)
        json_object_set_new (out, "close_reason",
                             json_string (tsg_word_in (ce->close_reason, tsg_close_reasons)
                                              ? ce->close_reason
                                              : "other"));
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING && ce->meeting) {
        const Tsunagu__V1__Meeting *m = ce->meeting;
        json_t *attendees = json_array ();
        for (size_t i = 0; i < m->n_attendees && i < 4096; i++)
            if (tsg_agency_id_valid (m->attendees[i]))
                json_array_append_new (attendees, json_string (m->attendees[i]));
        const char *kind = tsg_meeting_kind_name (m->kind);
        json_t *meeting =
            json_pack ("{s:s, s:s, s:o}", "kind", kind ? kind : "unspecified", "held_on",
                       tsg_date_ok (m->held_on) ? m->held_on : "", "attendees", attendees);
        if (tsg_word_in (m->decision, tsg_meeting_decisions))
            json_object_set_new (meeting, "decision", json_string (m->decision));
        json_object_set_new (out, "meeting", meeting);
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN && ce->plan) {
        const Tsunagu__V1__Plan *p = ce->plan;
        json_t *roles = json_array ();
        for (size_t i = 0; i < p->n_roles && i < 4096; i++) {
            const Tsunagu__V1__PlanRole *r = p->roles[i];
            if (r && tsg_agency_id_valid (r->agency_id) && r->role && strlen (r->role) <= 256)
                json_array_append_new (
                    roles, json_pack ("{s:s, s:s}", "agency", r->agency_id, "role", r->role));
        }
        json_t *plan = json_pack ("{s:o}", "roles", roles);
        if (tsg_date_ok (p->next_review_on))
            json_object_set_new (plan, "next_review_on", json_string (p->next_review_on));
        json_object_set_new (out, "plan", plan);
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE && ce->note) {
        const Tsunagu__V1__Note *n = ce->note;
        json_t *note =
            json_pack ("{s:s}", "category",
                       tsg_word_in (n->category, tsg_note_categories) ? n->category : "other");
        if (tsg_date_ok (n->written_on))
            json_object_set_new (note, "written_on", json_string (n->written_on));
        json_object_set_new (out, "note", note);
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER) {
        const Tsunagu__V1__Handover *ho = ce->handover;
        if (!ho || tsg_staff_code_check (ho->staff_code, NULL, 0) != TSG_CLEARTEXT_OK
            || !tsg_date_ok (ho->effective_on)) {
            json_decref (out);
            return NULL;
        }
        json_t *handover = json_pack ("{s:s, s:s}", "staff_code", ho->staff_code, "effective_on",
                                      ho->effective_on);
        bool before =
            ho->previous_staff_code && *ho->previous_staff_code
            && tsg_staff_code_check (ho->previous_staff_code, NULL, 0) == TSG_CLEARTEXT_OK;
        json_object_set_new (handover, "previous_staff_code",
                             before ? json_string (ho->previous_staff_code) : json_null ());
        json_object_set_new (out, "handover", handover);
    }
    return out;
}

/* The personal parts of the request: {"reason", "minutes", "plan", "text" or "note"}, those
 * given. */
static json_t *
s_content (const agency_event_request_t *req, const char *reason)
{
    json_t *content = json_object ();
    if (reason)
        json_object_set_new (content, "reason", json_string (reason));
    if (req->minutes)
        json_object_set_new (content, "minutes", json_string (req->minutes));
    if (req->plan_content)
        json_object_set (content, "plan", req->plan_content);
    /* A hand-over's note (引き継ぎメモ) is "note", a progress note's text "text". */
    if (req->text)
        json_object_set_new (
            content,
            req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER ? "note" : "text",
            json_string (req->text));
    return content;
}

/* Checks the agency ids the request names against the directory; 0, or 422 with *reply. */
static int
s_check_agencies (tsg_agency_t *self, const agency_event_request_t *req, json_t **reply)
{
    json_t *fields = json_object ();
    char path[48];
    for (size_t i = 0; i < req->n_attendees; i++)
        if (!agency_directory_find (self->directory, req->attendees[i])) {
            snprintf (path, sizeof path, "meeting.attendees[%zu]", i);
            agency_json_field (fields, path, "not in the directory");
        }
    for (size_t i = 0; i < req->n_roles; i++)
        if (!agency_directory_find (self->directory, req->role_agency[i])) {
            snprintf (path, sizeof path, "plan.roles[%zu].agency", i);
            agency_json_field (fields, path, "not in the directory");
        }
    if (json_object_size (fields) == 0) {
        json_decref (fields);
        return 0;
    }
    *reply = agency_json_error ("unknown_agency",
                                "the event names agencies the directory does not list", fields);
    return 422;
}

/* A case event on its way through the pipeline. */
typedef struct {
    agency_event_request_t req; /* the parsed request */
    json_t *record;             /* the case's copy (parse) */
    agency_event_legal_t legal; /* the basis of its personal parts (check) */
} s_submit_t;

static int
s_parse (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    int status = agency_event_parse (submit->body, submit->len, &s->req, reply);
    if (status != 0)
        return status;
    if (tsg_uuid_valid (submit->id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        s->record = agency_case_get (&txn, submit->id);
        tsg_txn_abort (&txn);
    }
    if (!s->record) {
        *reply =
            agency_json_error ("not_found", "this agency has no copy of a case with this id", NULL);
        return 404;
    }
    return 0;
}

/* The version and state the event starts from: the copy's, moved on by our events on their
 * way and by those of this batch not yet written.  0, or 409 / 422 with *reply. */
static int
s_start (tsg_agency_t *self, agency_submit_t *submit, tsg_case_state_t *from, uint64_t *version,
         json_t **reply)
{
    s_submit_t *s = submit->request;
    bool known = agency_case_effective (s->record, from, version);
    if (!known || *version == 0) {
        *reply = agency_json_error (
            "stale_version",
            "the coordinator has not sent this agency its copy of the case yet; try again shortly",
            NULL);
        return 409;
    }
    if (!agency_case_lists (s->record, self->config->id)) {
        *reply = agency_json_error ("not_permitted", "this agency is not on the case", NULL);
        return 422;
    }
    for (agency_pending_t *p = self->pending; p; p = p->next) {
        if (p->kind != AGENCY_KIND_CASE_EVENT || strcmp (p->case_id, submit->id) != 0)
            continue;
        json_t *base = json_object_get (p->record, "base_version");
        if (!json_is_integer (base) || (uint64_t) json_integer_value (base) != *version)
            continue;
        (*version)++;
        tsg_case_state_t to;
        if (tsg_case_state_parse (agency_json_str (p->record, "target"), &to))
            *from = to;
    }
    return 0;
}

static int
s_check (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    agency_event_request_t *req = &s->req;
    char message[256];
    tsg_case_state_t from;
    uint64_t version;
    int status = s_start (self, submit, &from, &version, reply);
    if (status != 0)
        return status;
    if (req->base_version == 0)
        req->base_version = version;
    else if (req->base_version != version) {
        snprintf (message, sizeof message,
                  "the case is at version %llu (%s), not %llu: read it again and decide again",
                  (unsigned long long) version, tsg_case_state_name (from),
                  (unsigned long long) req->base_version);
        *reply = agency_json_error ("stale_version", message, NULL);
        return 409;
    }
    tsg_case_state_t to;
    if (s_target (req->type, req->state, &to)) {
        const char *reason = req->reason ? req->reason : req->close_reason;
        const char *why = tsg_case_transition_check (from, to, reason);
        if (!why && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE
            && from == TSG_CASE_CLOSED)
            why = "to reopen a case, use type reopen with a reason";
        if (why) {
            snprintf (message, sizeof message, "%s (%s → %s)", why, tsg_case_state_name (from),
                      tsg_case_state_name (to));
            *reply = agency_json_error ("illegal_transition", message, NULL);
            return 422;
        }
    }
    status = s_check_agencies (self, req, reply);
    if (status != 0)
        return status;
    return agency_event_legal (self, req, s->record, &s->legal, reply);
}

/* The CaseEvent of the header, pointing into req (and event_id); its parts in wire. */
typedef struct {
    Tsunagu__V1__CaseEvent ce;                   /* the event */
    Tsunagu__V1__Meeting meeting;                /* meeting */
    Tsunagu__V1__Plan plan;                      /* plan */
    Tsunagu__V1__Note note;                      /* note */
    Tsunagu__V1__Handover handover;              /* handover */
    Tsunagu__V1__PlanRole roles[EVENT_LIST_MAX]; /* plan: its roles */
    Tsunagu__V1__PlanRole *role_list[EVENT_LIST_MAX];
} s_wire_t;

static void
s_wire (const agency_event_request_t *req, char *event_id, s_wire_t *w)
{
    tsunagu__v1__case_event__init (&w->ce);
    tsunagu__v1__meeting__init (&w->meeting);
    tsunagu__v1__plan__init (&w->plan);
    tsunagu__v1__note__init (&w->note);
    tsunagu__v1__handover__init (&w->handover);
    w->ce.event_id = event_id;
    w->ce.type = req->type;
    w->ce.state = (char *) (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE
                                ? tsg_case_state_name (req->state)
                                : "");
    w->ce.close_reason = (char *) (req->close_reason ? req->close_reason : "");
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING) {
        w->meeting.kind = req->meeting_kind;
        w->meeting.held_on = (char *) req->held_on;
        w->meeting.n_attendees = req->n_attendees;
        w->meeting.attendees = (char **) req->attendees;
        w->meeting.decision = (char *) (req->decision ? req->decision : "");
        w->ce.meeting = &w->meeting;
    }
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN) {
        for (size_t i = 0; i < req->n_roles; i++) {
            tsunagu__v1__plan_role__init (&w->roles[i]);
            w->roles[i].agency_id = (char *) req->role_agency[i];
            w->roles[i].role = (char *) req->role_label[i];
            w->role_list[i] = &w->roles[i];
        }
        w->plan.n_roles = req->n_roles;
        w->plan.roles = w->role_list;
        w->plan.next_review_on = (char *) (req->next_review_on ? req->next_review_on : "");
        w->ce.plan = &w->plan;
    }
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE) {
        w->note.category = (char *) req->category;
        w->note.written_on = (char *) req->written_on;
        w->ce.note = &w->note;
    }
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER) {
        w->handover.staff_code = (char *) req->staff_code;
        w->handover.previous_staff_code =
            (char *) (req->previous_staff_code ? req->previous_staff_code : "");
        w->handover.effective_on = (char *) req->effective_on;
        w->ce.handover = &w->handover;
    }
}

/* agency_bodies_keep_fn: the roster of the meeting that allows it, or those the consent
 * covers. */
static bool
s_keep (tsg_agency_t *self, void *arg, const char *other)
{
    const agency_event_legal_t *legal = arg;
    return !(legal->roster && !agency_categories_has (legal->roster, other))
           && !(legal->consent && !agency_consent_covers (self->directory, legal->consent, other));
}

/* The event as the copy keeps it, from what was sealed. */
static json_t *
s_event_record (tsg_agency_t *self, const agency_event_request_t *req, const s_wire_t *w,
                const agency_event_legal_t *legal, const tsg_letter_t *letter, json_t *content,
                const agency_bodies_t *bodies, const agency_pending_t *pending)
{
    json_t *record = s_metadata (&w->ce);
    if (!record)
        return NULL;
    const tsg_header_t *header = letter->header;
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    sodium_bin2hex (hex, sizeof hex, pending->message_id, TSG_MESSAGE_ID_SIZE);
    json_object_set_new (record, "by", json_string (self->config->id));
    json_object_set_new (record, "at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (record, "base_version", json_integer ((json_int_t) req->base_version));
    json_object_set_new (record, "reason_given", json_boolean (header->reason_given));
    json_object_set_new (record, "origin", json_string ("own"));
    json_object_set_new (record, "status", json_string ("pending"));
    json_object_set_new (record, "message_id", json_string (hex));
    json_object_set_new (record, "content",
                         json_object_size (content) ? json_incref (content) : json_null ());
    json_object_set (record, "sealed_for", bodies->sealed_for);
    json_object_set_new (record, "legal_basis",
                         json_string (tsg_legal_basis_name (header->legal_basis)));
    if (legal->consent_id)
        json_object_set_new (record, "consent_id", json_string (legal->consent_id));
    json_object_set_new (record, "data_categories",
                         header->n_data_categories ? json_deep_copy (legal->categories)
                                                   : json_array ());
    return record;
}

/* Seals the event's letter to the coordinator: the personal parts once for every other agency
 * on the case the basis covers. */
static int
s_seal (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending, json_t **reply)
{
    s_submit_t *s = submit->request;
    const agency_event_request_t *req = &s->req;
    const agency_event_legal_t *legal = &s->legal;
    snprintf (pending->case_id, sizeof pending->case_id, "%s", submit->id);
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    /* Closing names its reason code; the code stands for the reason when none is written. */
    const char *reason = req->reason;
    if (!reason && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE)
        reason = req->close_reason;
    s_wire_t w;
    s_wire (req, event_id, &w);

    json_t *content = s_content (req, reason);
    char *text = json_object_size (content) ? json_dumps (content, JSON_COMPACT) : NULL;
    agency_bodies_t bodies;
    int status = 0;
    if (json_object_size (content) && !text) {
        memset (&bodies, 0, sizeof bodies);
        *reply = agency_json_error ("internal", "out of memory", NULL);
        status = 500;
    }
    else
        status = agency_bodies_seal (self, json_object_get (s->record, "agencies"), text, s_keep,
                                     (void *) legal, NULL, &bodies, reply);
    tsg_letter_t letter;
    tsg_header_t header;
    char *categories[AGENCY_CATEGORIES_MAX];
    tsg_letter_prepare (&letter, &header, pending->message_id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        self->config->id, TSG_COORDINATOR_ID);
    header.case_id = pending->case_id;
    header.base_version = req->base_version;
    header.reason_given = reason != NULL;
    header.sender_type = (char *) self->policy->type;
    header.case_event = &w.ce;
    header.consent_id = (char *) (legal->consent_id ? legal->consent_id : "");
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    if (bodies.count > 0) {
        header.legal_basis = legal->basis;
        if (legal->basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE)
            agency_categories_header (&header, legal->categories, categories);
    }
    letter.n_sealed_bodies = bodies.count;
    letter.sealed_bodies = bodies.count ? bodies.list : NULL;
    if (status == 0)
        status = agency_submit_seal (self, &letter, pending,
                                     "the event is larger than a letter may carry", reply);
    if (status == 0) {
        pending->record = s_event_record (self, req, &w, legal, &letter, content, &bodies, pending);
        pending->answer =
            json_pack ("{s:s, s:s, s:s, s:I, s:s}", "event_id", event_id, "case_id",
                       pending->case_id, "type", tsg_case_event_type_name (req->type),
                       "base_version", (json_int_t) req->base_version, "status", "pending");
        tsg_case_state_t to;
        if (!pending->record) {
            *reply = agency_json_error ("internal", "out of memory", NULL);
            status = 500;
        }
        else if (s_target (req->type, req->state, &to))
            json_object_set_new (pending->record, "target", json_string (tsg_case_state_name (to)));
    }
    agency_bodies_clear (&bodies);
    free (text);
    json_decref (content);
    return status;
}

static void
s_clear (agency_submit_t *submit)
{
    s_submit_t *s = submit->request;
    if (!s)
        return;
    agency_event_legal_clear (&s->legal);
    json_decref (s->record);
    json_decref (s->req.root);
}

static bool
s_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    (void) self;
    json_t *record = agency_case_get (txn, p->case_id);
    if (!record) {
        log_warnx ("case event for %s: the case's copy is gone", p->case_id);
        return false;
    }
    uint64_t n = agency_case_event_add (txn, record, p->record);
    json_t *inflight = json_object_get (record, "inflight");
    if (!json_is_array (inflight)) {
        inflight = json_array ();
        json_object_set_new (record, "inflight", inflight);
    }
    json_t *entry =
        json_pack ("{s:O, s:I, s:O}", "event_id", json_object_get (p->record, "event_id"), "n",
                   (json_int_t) n, "base_version", json_object_get (p->record, "base_version"));
    if (json_object_get (p->record, "target"))
        json_object_set (entry, "state", json_object_get (p->record, "target"));
    json_array_append_new (inflight, entry);
    agency_case_put (txn, record);
    json_decref (record);
    agency_msgref_t ref = { .kind = AGENCY_KIND_CASE_EVENT, .sequence = p->sequence, .n = n };
    memcpy (ref.id, p->case_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

static const char *
s_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
           const tsg_letter_t *letter, json_t **opened)
{
    *opened = NULL;
    const tsg_header_t *header = letter->header;
    if (!header || !tsg_uuid_valid (header->case_id))
        return "the case event has no valid case id in its header";
    if (!header->case_event)
        return "the case event has no event in its header";
    if (strcmp (letter->sender, self->config->id) == 0)
        return NULL; /* our own, passed back: the copy has it already */
    bool succession =
        header->case_event->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION;
    if (succession && strcmp (letter->sender, TSG_COORDINATOR_ID) != 0)
        return "only the coordinator records an agency succession";
    json_t *event = s_metadata (header->case_event);
    if (!event)
        return "the case event's type, id or state is not readable";
    json_t *content = NULL;
    const char *why =
        agency_sealed_letter (self->boxer, &self->stats.bodies_opened, self->config->id,
                              sender ? sender->box_public : NULL, letter, &content);
    if (why) {
        json_decref (event);
        return why;
    }
    json_t *record = agency_case_get_or_new (txn, header->case_id);
    if (!record) {
        json_decref (event);
        json_decref (content);
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return NULL;
    }
    json_object_set_new (event, "by", json_string (letter->sender));
    json_object_set_new (event, "at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (event, "received_at", json_integer ((json_int_t) tsg_now_ms ()));
    json_object_set_new (event, "base_version", json_integer ((json_int_t) header->base_version));
    json_object_set_new (event, "reason_given", json_boolean (header->reason_given));
    json_object_set_new (event, "origin", json_string ("received"));
    json_object_set_new (event, "status", json_string ("received"));
    json_object_set_new (event, "legal_basis",
                         json_string (tsg_legal_basis_name (header->legal_basis)));
    agency_json_set (event, "consent_id", agency_json_string_or_null (header->consent_id));
    json_object_set_new (event, "data_categories", agency_categories_of_header (header));
    *opened = json_incref (content);
    agency_json_set (event, "content", content ? content : json_null ());
    agency_case_event_add (txn, record, event);
    if (succession)
        agency_case_succession_apply (self, txn, record, header->case_event->succession);
    agency_case_put (txn, record);
    json_decref (record);
    json_decref (event);
    return NULL;
}

static void
s_filed (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
         const tsg_letter_t *letter, uint64_t cursor)
{
    (void) self;
    (void) sender;
    if (letter->header && (letter->body.len > 0 || letter->n_sealed_bodies > 0))
        agency_consent_note_data (txn, letter->header->consent_id, cursor, letter->kind);
}

const agency_kind_t agency_kind_case_event = {
    .id = AGENCY_KIND_CASE_EVENT,
    .wire = TSUNAGU__V1__KIND__KIND_CASE_EVENT,
    .request_size = sizeof (s_submit_t),
    .lost = "the case event could not be stored; nothing was sent",
    .parse = s_parse,
    .check = s_check,
    .seal = s_seal,
    .clear = s_clear,
    .write = s_write,
    .stored = agency_case_event_stored,
    .refused = agency_case_event_refused,
    .receipt = agency_case_event_receipt,
    .receive = s_receive,
    .filed = s_filed,
};
