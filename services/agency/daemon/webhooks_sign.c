/* webhooks_sign.c — a webhook attempt's signature (Standard Webhooks, symmetric "v1") and the
 * delay between attempts. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "agency/daemon/webhooks_sign.h"

void
agency_webhook_sign (const uint8_t *secret, size_t secret_len, const char *id, uint64_t timestamp_s,
                     const char *body, size_t body_len, char out[AGENCY_WEBHOOK_SIGNATURE_SIZE])
{
    char stamp[24];
    int stamp_len = snprintf (stamp, sizeof stamp, "%llu", (unsigned long long) timestamp_s);
    crypto_auth_hmacsha256_state state;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init (&state, secret, secret_len);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) id, strlen (id));
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) ".", 1);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) stamp, (size_t) stamp_len);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) ".", 1);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) body, body_len);
    crypto_auth_hmacsha256_final (&state, mac);
    memcpy (out, "v1,", 3);
    sodium_bin2base64 (out + 3, AGENCY_WEBHOOK_SIGNATURE_SIZE - 3, mac, sizeof mac,
                       sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero (&state, sizeof state);
}

uint64_t
agency_webhook_backoff_ms (uint32_t failures, uint32_t jitter)
{
    uint64_t base = AGENCY_WEBHOOK_BACKOFF_FIRST_MS;
    for (uint32_t i = 1; i < failures && base < AGENCY_WEBHOOK_BACKOFF_MAX_MS; i++)
        base *= 2;
    if (base > AGENCY_WEBHOOK_BACKOFF_MAX_MS)
        base = AGENCY_WEBHOOK_BACKOFF_MAX_MS;
    /* base * (0.75 + 0.5 * jitter / 2^32) */
    uint64_t delay = base * 3 / 4 + (base / 2) * jitter / ((uint64_t) UINT32_MAX + 1);
    return delay > AGENCY_WEBHOOK_BACKOFF_MAX_MS ? AGENCY_WEBHOOK_BACKOFF_MAX_MS : delay;
}
