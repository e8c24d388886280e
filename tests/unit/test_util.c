/* test_util.c — the small helpers: bearer tokens, ids, hex and Z85, big-endian keys, dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sodium.h>

#include "test_helpers.h"

static void
test_bearer (void **state)
{
    (void) state;
    const char *token = "9f2c4a61d0e3b5a7c8e9f01234567890abcdef0123456789abcdef0123456789";
    uint8_t hash[32];
    crypto_hash_sha256 (hash, (const uint8_t *) token, strlen (token));
    char header[128];
    snprintf (header, sizeof header, "Bearer %s", token);
    assert_true (tsg_bearer_matches (header, hash));
    snprintf (header, sizeof header, "bearer  %s \t", token); /* scheme is case-insensitive */
    assert_true (tsg_bearer_matches (header, hash));
    snprintf (header, sizeof header, "Bearer %.63s", token); /* one character short */
    assert_false (tsg_bearer_matches (header, hash));
    snprintf (header, sizeof header, "Basic %s", token);
    assert_false (tsg_bearer_matches (header, hash));
    assert_false (tsg_bearer_matches ("Bearer ", hash));
    assert_false (tsg_bearer_matches ("Bearer", hash));
    assert_false (tsg_bearer_matches (NULL, hash));
}

static void
test_ids (void **state)
{
    (void) state;
    assert_true (tsg_agency_id_valid ("eldercare-chuo"));
    assert_true (tsg_agency_id_valid ("a"));
    assert_false (tsg_agency_id_valid ("coordinator"));
    assert_false (tsg_agency_id_valid ("Eldercare"));
    assert_false (tsg_agency_id_valid ("1abc"));
    assert_false (tsg_agency_id_valid (""));
    assert_false (tsg_agency_id_valid ("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_false (tsg_agency_id_valid ("中央"));
    assert_true (tsg_agency_type_valid ("child"));
    assert_false (tsg_agency_type_valid ("coordinator"));
    char uuid[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (uuid);
    assert_true (tsg_uuid_valid (uuid));
    assert_int_equal (uuid[14], '7'); /* version 7: time-ordered */
    assert_true (strchr ("89ab", uuid[19]) != NULL);
    /* Ids made later sort after (a millisecond apart at least), message ids the same. */
    char later[TSG_UUID_TEXT_SIZE];
    uint8_t first_id[TSG_MESSAGE_ID_SIZE], later_id[TSG_MESSAGE_ID_SIZE];
    tsg_random_id (first_id);
    usleep (2000);
    tsg_uuid_new (later);
    tsg_random_id (later_id);
    assert_true (strcmp (uuid, later) < 0);
    assert_true (memcmp (first_id, later_id, 6) < 0);
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | later_id[i];
    assert_true (ms <= tsg_now_ms () && ms + 60000 > tsg_now_ms ());
    assert_false (tsg_uuid_valid ("0B6F3C1E-2A41-4F0E-9D51-6C1B0F1F7A10"));
    assert_false (tsg_uuid_valid ("0b6f3c1e-2a41-4f0e-9d51-6c1b0f1f7a1"));
}

static void
test_encodings (void **state)
{
    (void) state;
    uint8_t key[32], back[32];
    randombytes_buf (key, sizeof key);
    char z85[41], hex[65];
    tsg_key_to_z85 (key, z85);
    assert_true (tsg_key_from_z85 (z85, back));
    assert_memory_equal (key, back, 32);
    assert_false (tsg_key_from_z85 ("short", back));
    z85[5] = '"'; /* outside the alphabet */
    assert_false (tsg_key_from_z85 (z85, back));
    tsg_hex_encode (key, 32, hex);
    assert_true (tsg_hex_decode (hex, back, 32));
    assert_memory_equal (key, back, 32);
    hex[3] = 'g';
    assert_false (tsg_hex_decode (hex, back, 32));
    uint8_t be[8];
    tsg_be64_put (be, 0x0102030405060708ULL);
    assert_int_equal (be[0], 1);
    assert_int_equal (tsg_be64_get (be), 0x0102030405060708ULL);
}

static void
test_dates (void **state)
{
    (void) state;
    char iso[32], date[11];
    tsg_iso8601 (1795417200123ULL, iso); /* 2026-11-23T07:00:00.123Z */
    assert_string_equal (iso, "2026-11-23T07:00:00.123Z");
    tsg_date_jst_plus_days (1795417200123ULL, 0, date); /* 16:00 JST */
    assert_string_equal (date, "2026-11-23");
    tsg_date_jst_plus_days (1795417200123ULL + 9 * 3600000ULL, 0, date); /* 01:00 JST next day */
    assert_string_equal (date, "2026-11-24");
    tsg_date_jst_plus_days (1795417200123ULL, 8, date);
    assert_string_equal (date, "2026-12-01");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bearer),
        cmocka_unit_test (test_ids),
        cmocka_unit_test (test_encodings),
        cmocka_unit_test (test_dates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
