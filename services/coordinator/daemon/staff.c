/* staff.c — a control request's case event as a signed CASE_EVENT letter. */
#include <stdio.h>
#include <string.h>

#include "coordinator/model/cases.h"
#include "coordinator/daemon/staff.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return -1;                                                                                 \
    } while (0)

/* The string member key of object, "" when absent; NULL when present but not a string. */
static const char *
s_string (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    if (!value || json_is_null (value))
        return "";
    return json_is_string (value) ? json_string_value (value) : NULL;
}

static const struct {
    const char *name;                /* the JSON type name */
    Tsunagu__V1__CaseEventType type; /* the wire type */
} s_types[] = {
    { "state", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE },
    { "meeting", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING },
    { "plan", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN },
    { "note", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE },
    { "close", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE },
    { "reopen", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN },
};

static const struct {
    const char *name;              /* the JSON kind name */
    Tsunagu__V1__MeetingKind kind; /* the wire kind */
} s_kinds[] = {
    { "core", TSUNAGU__V1__MEETING_KIND__MEETING_CORE },
    { "shien", TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN },
    { "jusoteki", TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI },
    { "chiiki-care", TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE },
    { "kyogikai", TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI },
    { "yotaikyo", TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO },
    { "konkyu", TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU },
};

/* Everything the letter points at while it is sealed. */
typedef struct {
    Tsunagu__V1__CaseEvent event;                             /* the event */
    Tsunagu__V1__Meeting meeting;                             /* its meeting */
    Tsunagu__V1__Plan plan;                                   /* its plan */
    Tsunagu__V1__Note note;                                   /* its note */
    char *attendees[TSG_HUB_CASE_ROSTER_MAX];                 /* meeting attendees */
    Tsunagu__V1__PlanRole roles[TSG_HUB_CASE_ROLES_MAX];      /* plan roles */
    Tsunagu__V1__PlanRole *role_ptrs[TSG_HUB_CASE_ROLES_MAX]; /* pointers to them */
} s_parts_t;

static int
s_meeting (const json_t *m, s_parts_t *p, char *detail, size_t size)
{
    if (!json_is_object (m))
        FAIL ("a meeting event needs \"meeting\": {kind, held_on, attendees, decision}");
    const char *kind = s_string (m, "kind");
    tsunagu__v1__meeting__init (&p->meeting);
    for (size_t i = 0; kind && i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (strcmp (kind, s_kinds[i].name) == 0)
            p->meeting.kind = s_kinds[i].kind;
    if (p->meeting.kind == TSUNAGU__V1__MEETING_KIND__MEETING_UNSPECIFIED)
        FAIL ("meeting.kind is shien, jusoteki, core, chiiki-care, kyogikai, yotaikyo or konkyu");
    p->meeting.held_on = (char *) s_string (m, "held_on");
    p->meeting.decision = (char *) s_string (m, "decision");
    if (!p->meeting.held_on || !p->meeting.decision)
        FAIL ("meeting.held_on and meeting.decision are strings");
    json_t *attendees = json_object_get (m, "attendees");
    if (!json_is_array (attendees) || json_array_size (attendees) > TSG_HUB_CASE_ROSTER_MAX)
        FAIL ("meeting.attendees is a list of at most %d agency ids", TSG_HUB_CASE_ROSTER_MAX);
    for (size_t i = 0; i < json_array_size (attendees); i++) {
        json_t *a = json_array_get (attendees, i);
        if (!json_is_string (a))
            FAIL ("meeting.attendees[%zu] is not a string", i);
        p->attendees[i] = (char *) json_string_value (a);
    }
    p->meeting.n_attendees = json_array_size (attendees);
    p->meeting.attendees = p->attendees;
    p->event.meeting = &p->meeting;
    return 0;
}

static int
s_plan (const json_t *plan, s_parts_t *p, char *detail, size_t size)
{
    if (!json_is_object (plan))
        FAIL ("a plan event needs \"plan\": {roles, next_review_on}");
    tsunagu__v1__plan__init (&p->plan);
    p->plan.next_review_on = (char *) s_string (plan, "next_review_on");
    if (!p->plan.next_review_on)
        FAIL ("plan.next_review_on is a string");
    json_t *roles = json_object_get (plan, "roles");
    if (!json_is_array (roles) || json_array_size (roles) > TSG_HUB_CASE_ROLES_MAX)
        FAIL ("plan.roles is a list of at most %d {agency, role}", TSG_HUB_CASE_ROLES_MAX);
    for (size_t i = 0; i < json_array_size (roles); i++) {
        json_t *r = json_array_get (roles, i);
        const char *agency = json_is_object (r) ? s_string (r, "agency") : NULL;
        const char *role = json_is_object (r) ? s_string (r, "role") : NULL;
        if (!agency || !role)
            FAIL ("plan.roles[%zu] is {\"agency\": id, \"role\": label}", i);
        tsunagu__v1__plan_role__init (&p->roles[i]);
        p->roles[i].agency_id = (char *) agency;
        p->roles[i].role = (char *) role;
        p->role_ptrs[i] = &p->roles[i];
    }
    p->plan.n_roles = json_array_size (roles);
    p->plan.roles = p->role_ptrs;
    p->event.plan = &p->plan;
    return 0;
}

static int
s_note (const json_t *note, s_parts_t *p, char *detail, size_t size)
{
    if (!json_is_object (note))
        FAIL ("a note event needs \"note\": {category, written_on}");
    tsunagu__v1__note__init (&p->note);
    p->note.category = (char *) s_string (note, "category");
    p->note.written_on = (char *) s_string (note, "written_on");
    if (!p->note.category || !p->note.written_on)
        FAIL ("note.category and note.written_on are strings");
    p->event.note = &p->note;
    return 0;
}

int
tsg_hub_staff_letter (const json_t *request, const tsg_keys_t *keys, uint8_t **out, size_t *out_len,
                      char event_id[TSG_UUID_TEXT_SIZE], char *detail, size_t size)
{
    s_parts_t p;
    memset (&p, 0, sizeof p);
    tsunagu__v1__case_event__init (&p.event);
    const char *case_id = s_string (request, "case_id");
    json_t *base = json_object_get (request, "base_version");
    const char *type = s_string (request, "type");
    const char *given_id = s_string (request, "event_id");
    const char *reason_code = s_string (request, "reason_code");
    const char *close_reason = s_string (request, "close_reason");
    const char *state = s_string (request, "state");
    if (!case_id || !*case_id)
        FAIL ("case_id is required");
    if (!json_is_integer (base) || json_integer_value (base) < 0)
        FAIL ("base_version is required: the case version the event is based on");
    if (!type || !given_id || !reason_code || !close_reason || !state)
        FAIL ("type, event_id, reason_code, close_reason and state are strings");
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        if (strcmp (type, s_types[i].name) == 0)
            p.event.type = s_types[i].type;
    if (p.event.type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_UNSPECIFIED)
        FAIL ("type is state, meeting, plan, note, close or reopen");
    if (*given_id)
        snprintf (event_id, TSG_UUID_TEXT_SIZE, "%s", given_id);
    else
        tsg_uuid_new (event_id);
    if (*given_id && (strlen (given_id) != 36 || !tsg_uuid_valid (given_id)))
        FAIL ("event_id is a lowercase UUID");
    p.event.event_id = event_id;
    p.event.state = (char *) state;
    /* A close event's reason is its close_reason; reason_code stands in when it is one. */
    p.event.close_reason = (char *) (*close_reason ? close_reason : reason_code);
    int rc = 0;
    switch (p.event.type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING:
        rc = s_meeting (json_object_get (request, "meeting"), &p, detail, size);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN:
        rc = s_plan (json_object_get (request, "plan"), &p, detail, size);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE:
        rc = s_note (json_object_get (request, "note"), &p, detail, size);
        break;
    default: break;
    }
    if (rc != 0)
        return rc;

    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        TSG_COORDINATOR_ID, TSG_COORDINATOR_ID);
    header.case_id = (char *) case_id;
    header.base_version = (uint64_t) json_integer_value (base);
    header.reason_given = *reason_code != '\0';
    header.case_event = &p.event;
    /* A 重層的支援会議 may name the consent it rests on. */
    const char *consent_id = s_string (request, "consent_id");
    if (!consent_id)
        FAIL ("consent_id is a string");
    header.consent_id = (char *) consent_id;
    rc = tsg_envelope_seal (&letter, keys, out, out_len);
    if (rc != TSG_OK)
        FAIL ("the event cannot be sealed: %s", tsg_strerror (rc));
    return 0;
}
