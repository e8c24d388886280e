/* test_agency_webhooks.c — the webhooks' pure parts and their configuration: the signature
 * against the Standard Webhooks reference libraries' known vector, the back-off schedule
 * (1 s doubling to 1 h, jittered ±25 %), and [webhook.NAME] sections as -n reports them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "agency/daemon/webhooks_sign.h"
#include "test_helpers.h"
#include "tsunagu/tsg_agency.h"

/* The vector the reference libraries test their sign() with. */
static void
test_sign_known_vector (void **state)
{
    (void) state;
    uint8_t key[64];
    size_t key_len = 0;
    const char *b64 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert_int_equal (sodium_base642bin (key, sizeof key, b64, strlen (b64), NULL, &key_len, NULL,
                                         sodium_base64_VARIANT_ORIGINAL),
                      0);
    const char *payload = "{\"test\": 2432232314}";
    char signature[AGENCY_WEBHOOK_SIGNATURE_SIZE];
    agency_webhook_sign (key, key_len, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload,
                         strlen (payload), signature);
    assert_string_equal (signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Another timestamp, another signature. */
    agency_webhook_sign (key, key_len, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, payload,
                         strlen (payload), signature);
    assert_string_not_equal (signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void
test_backoff_schedule (void **state)
{
    (void) state;
    /* Without jitter's spread (the middle value) the delays double from 1 s to an hour. */
    uint32_t mid = UINT32_MAX / 2 + 1;
    uint64_t expect = 1000;
    for (uint32_t n = 1; n <= 30; n++) {
        uint64_t d = agency_webhook_backoff_ms (n, mid);
        assert_true (d >= expect - 1 && d <= expect + 1);
        if (expect < 3600000)
            expect = expect * 2 > 3600000 ? 3600000 : expect * 2;
    }
    /* The jitter: 0.75 to 1.25 of the step, never past an hour. */
    assert_int_equal (agency_webhook_backoff_ms (1, 0), 750);
    assert_true (agency_webhook_backoff_ms (1, UINT32_MAX) >= 1249);
    assert_true (agency_webhook_backoff_ms (1, UINT32_MAX) <= 1250);
    assert_int_equal (agency_webhook_backoff_ms (13, 0), 3600000 * 3 / 4);
    assert_int_equal (agency_webhook_backoff_ms (13, UINT32_MAX), 3600000);
    assert_int_equal (agency_webhook_backoff_ms (UINT32_MAX, UINT32_MAX), 3600000);
    /* Three days of failures at most: the schedule reaches its hour within 13 attempts. */
    uint64_t total = 0;
    uint32_t n = 0;
    while (total < 3ULL * 24 * 3600 * 1000)
        total += agency_webhook_backoff_ms (++n, mid);
    assert_true (n > 60 && n < 90);
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    chmod (path, mode);
}

static void
test_config_sections (void **state)
{
    (void) state;
    char dir[512], conf[600], secret[600], open_secret[600], short_secret[600];
    test_tmpdir (dir, sizeof dir, "webhooks-conf");
    snprintf (secret, sizeof secret, "%s/crm.secret", dir);
    snprintf (open_secret, sizeof open_secret, "%s/open.secret", dir);
    snprintf (short_secret, sizeof short_secret, "%s/short.secret", dir);
    snprintf (conf, sizeof conf, "%s/agency.conf", dir);
    s_write (secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0600);
    s_write (open_secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0644);
    s_write (short_secret, "whsec_c2hvcnQ=\n", 0600);
    s_write (conf,
             "[webhook.crm]\n"                                /* 1 */
             "url = https://crm.example.jp/hooks/tsunagu\n"   /* 2 */
             "secret_file = crm.secret\n"                     /* 3 */
             "events = referral.received, delivery.refused\n" /* 4 */
             "max_attempts_days = 5\n"                        /* 5 */
             "[webhook.all]\n"                                /* 6 */
             "url = http://127.0.0.1:9/x\n"                   /* 7 */
             "secret_file = crm.secret\n"                     /* 8 */
             "[webhook.bad]\n"                                /* 9 */
             "url = ftp://example.jp/\n"                      /* 10 */
             "secret_file = open.secret\n"                    /* 11 */
             "events = referral.recieved\n"                   /* 12 */
             "ca_file = ca.pem\n"                             /* 13 */
             "colour = blue\n"                                /* 14 */
             "[webhook.short]\n"                              /* 15 */
             "url = https://x.example.jp/\n"                  /* 16 */
             "secret_file = short.secret\n"                   /* 17 */
             "client_cert = crm.secret\n"                     /* 18 */
             "max_attempts_days = 0\n",                       /* 19 */
             0600);
    tsg_agency_config_t *config = tsg_agency_config_load (conf, "eldercare");
    assert_non_null (config);
    assert_int_equal (config->webhook_count, 4);
    const tsg_agency_webhook_t *crm = &config->webhooks[0];
    assert_string_equal (crm->name, "crm");
    assert_string_equal (crm->url, "https://crm.example.jp/hooks/tsunagu");
    assert_int_equal (crm->secret_len, 24);
    assert_string_equal (crm->events, ",referral.received,delivery.refused,");
    assert_int_equal (crm->max_attempts_days, 5);
    assert_null (config->webhooks[1].events); /* all */
    assert_int_equal (config->webhooks[1].max_attempts_days, 3);
    const char *report = config->report;
    assert_non_null (report);
    char want[800];
    const char *lines[] = { ":10: webhook.bad.url: ftp://example.jp/ must start with http",
                            ":11: webhook.bad.secret_file: ",
                            "must be a file of mode 0600",
                            ":12: webhook.bad.events: unknown event type 'referral.recieved'",
                            ":13: webhook.bad.ca_file: is only for an https:// url",
                            ":14: unknown setting webhook.bad.colour",
                            ":17: webhook.short.secret_file: ",
                            "24 to 64 random bytes",
                            ":18: webhook.short.client_cert: client_cert and client_key go",
                            ":19: webhook.short.max_attempts_days must be a whole number",
                            NULL };
    for (size_t i = 0; lines[i]; i++) {
        snprintf (want, sizeof want, "%s", lines[i]);
        if (!strstr (report, want))
            fail_msg ("the report lacks \"%s\":\n%s", want, report);
    }
    assert_null (strstr (report, "webhook.crm"));
    assert_null (strstr (report, "webhook.all"));
    tsg_agency_config_destroy (&config);
    assert_null (config);
    test_rmtree (dir);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sign_known_vector),
        cmocka_unit_test (test_backoff_schedule),
        cmocka_unit_test (test_config_sections),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
