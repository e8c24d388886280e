/* The pure parts of webhook delivery, apart from HTTP and the store: the Standard Webhooks
 * signature of one attempt and the back-off schedule between attempts (unit-tested alone). */
#ifndef AGENCY_DAEMON_WEBHOOKS_SIGN_H_INCLUDED
#define AGENCY_DAEMON_WEBHOOKS_SIGN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* "v1," + base64 of 32 bytes + NUL */
#define AGENCY_WEBHOOK_SIGNATURE_SIZE 48

#define AGENCY_WEBHOOK_BACKOFF_FIRST_MS 1000u    /* after the first failure */
#define AGENCY_WEBHOOK_BACKOFF_MAX_MS   3600000u /* never longer than an hour */

/* Writes to out the webhook-signature of one attempt: "v1," and the base64 of
 * HMAC-SHA256 (key: the decoded secret) of "id.timestamp.body" (libsodium's
 * crypto_auth_hmacsha256).  id must hold no '.'.  Never fails. */
void agency_webhook_sign (const uint8_t *secret, size_t secret_len, const char *id,
                          uint64_t timestamp_s, const char *body, size_t body_len,
                          char out[AGENCY_WEBHOOK_SIGNATURE_SIZE]);

/* The delay before the next attempt after failures failed attempts in a row (>= 1): 1 s,
 * doubling, at most an hour, times a jitter factor from 0.75 to 1.25 given by jitter, a
 * uniform random number from 0 to UINT32_MAX (the result stays within 1 h). */
uint64_t agency_webhook_backoff_ms (uint32_t failures, uint32_t jitter);

#endif
