/* test_agency_sent.c — a sent referral's delivery as its receipts arrive: stored, then
 * delivered, in either order, and never delivered before it was stored (the recipient dates
 * its receipt by its own reading of the coordinator's clock, which may be a little behind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agency/records/sent.h"
#include "tsunagu/tsunagu.h"

static json_t *
s_record (void)
{
    static const uint8_t message_id[TSG_MESSAGE_ID_SIZE] = { 1 };
    json_t *tags = json_array ();
    json_t *record =
        agency_sent_record ("6f0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                            "7a1b2c3d-4e5f-4b6c-9d7e-8f9a0b1c2d3e", "child-chuo", "child", 1000,
                            "2026-12-10", "normal", tags, "consent", NULL, NULL, message_id, 1);
    json_decref (tags);
    assert_non_null (record);
    return record;
}

static uint64_t
s_at (const json_t *record, const char *key)
{
    return (uint64_t) json_integer_value (json_object_get (record, key));
}

static void
test_stored_then_delivered_a_moment_earlier (void **state)
{
    (void) state;
    json_t *record = s_record ();
    assert_true (agency_sent_apply (record, AGENCY_EVENT_STORED, 5637, NULL, NULL, NULL));
    assert_true (
        agency_sent_apply (record, AGENCY_EVENT_DELIVERED, 5636, "child-chuo", NULL, NULL));
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "delivered");
    assert_int_equal (s_at (record, "stored_at"), 5637);
    assert_int_equal (s_at (record, "delivered_at"), 5637);
    json_decref (record);
}

static void
test_delivered_before_its_stored_answer (void **state)
{
    (void) state;
    json_t *record = s_record ();
    assert_true (
        agency_sent_apply (record, AGENCY_EVENT_DELIVERED, 5636, "child-chuo", NULL, NULL));
    assert_true (agency_sent_apply (record, AGENCY_EVENT_STORED, 5637, NULL, NULL, NULL));
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "delivered");
    assert_int_equal (s_at (record, "stored_at"), 5636);
    assert_int_equal (s_at (record, "delivered_at"), 5636);
    json_decref (record);
}

static void
test_times_in_order_are_kept (void **state)
{
    (void) state;
    json_t *record = s_record ();
    assert_true (agency_sent_apply (record, AGENCY_EVENT_STORED, 5000, NULL, NULL, NULL));
    assert_true (
        agency_sent_apply (record, AGENCY_EVENT_DELIVERED, 9000, "child-chuo", NULL, NULL));
    assert_int_equal (s_at (record, "stored_at"), 5000);
    assert_int_equal (s_at (record, "delivered_at"), 9000);
    /* A second STORED changes nothing. */
    assert_false (agency_sent_apply (record, AGENCY_EVENT_STORED, 4000, NULL, NULL, NULL));
    assert_int_equal (s_at (record, "stored_at"), 5000);
    json_decref (record);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_stored_then_delivered_a_moment_earlier),
        cmocka_unit_test (test_delivered_before_its_stored_answer),
        cmocka_unit_test (test_times_in_order_are_kept),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
