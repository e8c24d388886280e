/* standing.c — the agency's standing with the coordinator and the gate for new work.  The
 * coordinator's word is only what its signed letters say (inbox.c verifies them first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/records/json.h"
#include "agency/core/standing.h"

static const char *
s_registration_name (agency_registration_t r)
{
    switch (r) {
    case AGENCY_REGISTRATION_SUSPENDED: return "suspended";
    case AGENCY_REGISTRATION_REVOKED: return "revoked";
    case AGENCY_REGISTRATION_ACTIVE: break;
    }
    return "active";
}

void
agency_standing_init (agency_standing_t *self)
{
    memset (self, 0, sizeof *self);
}

/* Sets the registration; true when it changed (logged). */
static bool
s_register (agency_standing_t *self, agency_registration_t to, const char *detail)
{
    if (self->registration == to)
        return false;
    /* Revocation is final: nothing but a new bundle undoes it. */
    if (self->registration == AGENCY_REGISTRATION_REVOKED)
        return false;
    log_warnx ("the coordinator says this agency is %s (was %s)%s%s", s_registration_name (to),
               s_registration_name (self->registration), detail && *detail ? ": " : "",
               detail ? detail : "");
    self->registration = to;
    self->registration_at_ms = tsg_now_ms ();
    return true;
}

bool
agency_standing_hello (agency_standing_t *self, uint64_t coordinator_ms, uint64_t local_ms)
{
    int64_t offset = (int64_t) coordinator_ms - (int64_t) local_ms;
    bool was_skewed = agency_standing_skewed (self);
    self->clock_known = true;
    self->clock_offset_ms = offset;
    bool skewed = agency_standing_skewed (self);
    if (skewed && !was_skewed)
        log_warnx ("this machine's clock is %lld s %s the coordinator's: new work is refused "
                   "until it is set right (NTP)",
                   (long long) ((offset < 0 ? -offset : offset) / 1000),
                   offset < 0 ? "ahead of" : "behind");
    else if (was_skewed && !skewed)
        log_info ("the clock agrees with the coordinator's again");
    return s_register (self, AGENCY_REGISTRATION_ACTIVE, NULL);
}

bool
agency_standing_refused (agency_standing_t *self, Tsunagu__V1__ErrorCode code, const char *detail,
                         uint64_t now_mono)
{
    switch (code) {
    case TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED:
        return s_register (self, AGENCY_REGISTRATION_SUSPENDED, detail);
    case TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED:
        return s_register (self, AGENCY_REGISTRATION_REVOKED, detail);
    case TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED:
    case TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL:
        if (now_mono >= self->pressure_until)
            log_warnx ("the coordinator refused a letter (%s): new work is refused for %llu s",
                       tsg_error_code_name (code),
                       (unsigned long long) (AGENCY_PRESSURE_MS / 1000));
        self->pressure_until = now_mono + AGENCY_PRESSURE_MS;
        snprintf (self->pressure_code, sizeof self->pressure_code, "%s",
                  tsg_error_code_name (code));
        snprintf (self->pressure_detail, sizeof self->pressure_detail, "%s", detail ? detail : "");
        return false;
    default: return false;
    }
}

bool
agency_standing_skewed (const agency_standing_t *self)
{
    if (!self->clock_known)
        return false;
    int64_t off = self->clock_offset_ms;
    return (uint64_t) (off < 0 ? -off : off) > AGENCY_SKEW_MAX_MS;
}

bool
agency_standing_silent (const agency_standing_t *self)
{
    return self->registration != AGENCY_REGISTRATION_ACTIVE;
}

uint64_t
agency_standing_now_ms (const agency_standing_t *self)
{
    uint64_t now = tsg_now_ms ();
    if (!self->clock_known)
        return now;
    int64_t corrected = (int64_t) now + self->clock_offset_ms;
    return corrected > 0 ? (uint64_t) corrected : now;
}

const char *
agency_standing_status (const agency_standing_t *self, uint64_t now_mono)
{
    if (self->registration != AGENCY_REGISTRATION_ACTIVE)
        return s_registration_name (self->registration);
    if (self->sequence_unknown)
        return "sequence_unknown";
    if (agency_standing_skewed (self))
        return "clock_skew";
    if (now_mono < self->pressure_until)
        return "backpressure";
    return "ok";
}

/* Fills a refusal of new work. */
static bool
s_refuse (int *status, json_t **reply, int code, const char *error, const char *message,
          uint64_t retry_s)
{
    *status = code;
    *reply = agency_json_error (error, message, NULL);
    if (*reply && retry_s > 0)
        json_object_set_new (*reply, "retry_after_s", json_integer ((json_int_t) retry_s));
    return false;
}

bool
agency_standing_admits (const agency_standing_t *self, size_t outbox, size_t outbox_limit,
                        uint64_t now_mono, int *status, json_t **reply)
{
    if (self->registration == AGENCY_REGISTRATION_REVOKED)
        return s_refuse (status, reply, 409, "agency_revoked",
                         "this agency has been revoked at the coordinator; nothing it sends is "
                         "taken (ask the municipality's administrator)",
                         0);
    if (self->registration == AGENCY_REGISTRATION_SUSPENDED)
        return s_refuse (status, reply, 503, "agency_suspended",
                         "this agency is suspended at the coordinator; new work is taken again "
                         "once it is resumed",
                         AGENCY_RETRY_SUSPENDED_S);
    if (self->sequence_unknown)
        return s_refuse (status, reply, 503, "sequence_unknown",
                         "this agency's store was restored from a backup: new work is taken "
                         "once the coordinator has said which sequence number comes next",
                         2);
    if (agency_standing_skewed (self)) {
        char message[160];
        int64_t off = self->clock_offset_ms;
        snprintf (message, sizeof message,
                  "this machine's clock is %lld s %s the coordinator's; set it right (NTP) "
                  "before sending",
                  (long long) ((off < 0 ? -off : off) / 1000), off < 0 ? "ahead of" : "behind");
        return s_refuse (status, reply, 503, "clock_skew", message, AGENCY_RETRY_CLOCK_S);
    }
    if (now_mono < self->pressure_until) {
        char message[224];
        snprintf (message, sizeof message, "the coordinator refuses new letters for now: %s",
                  self->pressure_detail);
        return s_refuse (status, reply, 503, self->pressure_code, message,
                         (self->pressure_until - now_mono + 999) / 1000);
    }
    if (outbox_limit > 0 && outbox >= outbox_limit) {
        char message[160];
        snprintf (message, sizeof message,
                  "%zu letters are waiting to be sent (the limit is %zu); try again once the "
                  "coordinator has taken them",
                  outbox, outbox_limit);
        return s_refuse (status, reply, 503, "outbox_full", message, 10);
    }
    return true;
}

json_t *
agency_standing_json (const agency_standing_t *self, uint64_t now_mono)
{
    /* Active is what it was when last heard of; before the coordinator has spoken since the
     * daemon started (no HELLO, no refusal), nobody knows. */
    bool unknown = self->registration == AGENCY_REGISTRATION_ACTIVE && !self->clock_known;
    json_t *out =
        json_pack ("{s:s, s:s}", "status", agency_standing_status (self, now_mono), "registration",
                   unknown ? "unknown" : s_registration_name (self->registration));
    if (out && self->clock_known)
        json_object_set_new (out, "clock_skew_ms", json_integer (-self->clock_offset_ms));
    if (out && now_mono < self->pressure_until)
        json_object_set_new (
            out, "backpressure",
            json_pack ("{s:s, s:s, s:I}", "code", self->pressure_code, "detail",
                       self->pressure_detail, "retry_after_s",
                       (json_int_t) ((self->pressure_until - now_mono + 999) / 1000)));
    return out;
}
