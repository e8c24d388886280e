/* The coordinator's keys as an agency trusts them through a rotation of the coordinator's
 * own keys (agency/records/coordinator_pin.h): a hand-over is held only when the directory
 * carrying it verifies with the current key and the new key endorses it; a forged one (signed
 * by another key, endorsed by another key, or for another current key) changes nothing; the
 * first letter signed with the new key switches; the old key then verifies only letters made
 * before; a restart keeps it all; a bundle with other keys starts again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agency_world.h"
#include "tsunagu/tsg_handover.h"
#include "tsunagu/tsunagu.h"

#define MINUTE_MS (60ULL * 1000)

typedef struct {
    agency_world_t *world;
    tsg_agency_t *elder;
    tsg_keys_t *next;                      /* the keys handed over to */
    uint8_t endorsement[64];               /* next's endorsement for the world's key */
    Tsunagu__V1__CoordinatorKeys handover; /* what directories carry */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[2];
    w->world = agency_world_with (2, agencies);
    assert_non_null (w->world);
    w->elder = agencies[0];
    w->next = tsg_keys_generate (TSG_COORDINATOR_ID);
    assert_non_null (w->next);
    tsg_handover_endorse (w->next, tsg_keys_sign_public (agency_world_coordinator_keys (w->world)),
                          w->endorsement);
    tsunagu__v1__coordinator_keys__init (&w->handover);
    w->handover.next_box_public =
        (ProtobufCBinaryData){ 32, (uint8_t *) tsg_keys_box_public (w->next) };
    w->handover.next_sign_public =
        (ProtobufCBinaryData){ 32, (uint8_t *) tsg_keys_sign_public (w->next) };
    w->handover.endorsement = (ProtobufCBinaryData){ 64, w->endorsement };
    w->handover.switch_by_ms = tsg_now_ms () + 86400000ULL;
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    tsg_keys_destroy (&w->next);
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* A CASE_UPDATE-free probe: a DIRECTORY signed by keys (made at created_at_ms when not 0),
 * handed to the agency; true when the agency took it (its serial moved). */
static bool
s_directory_signed_by (s_world_t *w, const tsg_keys_t *keys, uint64_t created_at_ms,
                       const Tsunagu__V1__CoordinatorKeys *next)
{
    static uint64_t serial = 1000;
    Tsunagu__V1__Directory directory = TSUNAGU__V1__DIRECTORY__INIT;
    uint64_t now = tsg_now_ms ();
    directory.serial = ++serial;
    directory.valid_from_ms = now - 1000;
    directory.valid_until_ms = now + 86400000ULL;
    directory.coordinator_next = (Tsunagu__V1__CoordinatorKeys *) next;
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_DIRECTORY,
                        TSG_COORDINATOR_ID, w->elder->config->id);
    if (created_at_ms)
        letter.created_at_ms = created_at_ms;
    letter.directory = &directory;
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, keys, &data, &len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->elder, data, len), TSG_OK);
    free (data);
    return agency_directory_serial (w->elder->directory) == serial;
}

static void
test_forged_handovers_change_nothing (void **state)
{
    s_world_t *w = *state;
    const agency_coordinator_pin_t before = w->elder->coordinator;
    tsg_keys_t *stranger = tsg_keys_generate (TSG_COORDINATOR_ID);

    /* Signed by a key the agency does not trust: dropped whole. */
    assert_false (s_directory_signed_by (w, stranger, 0, &w->handover));
    /* Signed by the new key before any hand-over: dropped too. */
    assert_false (s_directory_signed_by (w, w->next, 0, NULL));
    assert_memory_equal (&w->elder->coordinator, &before, sizeof before);

    /* The coordinator's signature, but the keys endorsed by another key (or not at all). */
    uint8_t forged[64];
    tsg_handover_endorse (stranger, tsg_keys_sign_public (agency_world_coordinator_keys (w->world)),
                          forged);
    Tsunagu__V1__CoordinatorKeys bad = w->handover;
    bad.endorsement = (ProtobufCBinaryData){ 64, forged };
    assert_true (s_directory_signed_by (w, agency_world_coordinator_keys (w->world), 0, &bad));
    bad.endorsement = (ProtobufCBinaryData){ 0, NULL };
    assert_true (s_directory_signed_by (w, agency_world_coordinator_keys (w->world), 0, &bad));
    /* Endorsed by the new key, but for another current key (replayed from elsewhere). */
    tsg_handover_endorse (w->next, tsg_keys_sign_public (stranger), forged);
    bad.endorsement = (ProtobufCBinaryData){ 64, forged };
    assert_true (s_directory_signed_by (w, agency_world_coordinator_keys (w->world), 0, &bad));
    /* Keys of the wrong size. */
    bad = w->handover;
    bad.next_box_public.len = 31;
    assert_true (s_directory_signed_by (w, agency_world_coordinator_keys (w->world), 0, &bad));
    assert_false (w->elder->coordinator.has_next);
    assert_memory_equal (w->elder->coordinator.sign, before.sign, 32);
    tsg_keys_destroy (&stranger);
}

static void
test_handover_held_then_switched (void **state)
{
    s_world_t *w = *state;
    tsg_keys_t *old = tsg_keys_generate (TSG_COORDINATOR_ID);
    tsg_keys_replace (old, agency_world_coordinator_keys (w->world));

    assert_true (s_directory_signed_by (w, old, 0, &w->handover));
    assert_true (w->elder->coordinator.has_next);
    assert_memory_equal (w->elder->coordinator.next_sign, tsg_keys_sign_public (w->next), 32);
    assert_memory_equal (w->elder->coordinator.sign, tsg_keys_sign_public (old), 32);

    /* Kept across a restart, still held. */
    w->elder = agency_world_restart (w->world, w->elder);
    assert_non_null (w->elder);
    assert_true (w->elder->coordinator.has_next);

    /* The first letter signed with the new key: the switch. */
    assert_true (s_directory_signed_by (w, w->next, 0, NULL));
    assert_false (w->elder->coordinator.has_next);
    assert_memory_equal (w->elder->coordinator.sign, tsg_keys_sign_public (w->next), 32);
    assert_memory_equal (w->elder->coordinator.box, tsg_keys_box_public (w->next), 32);
    assert_true (w->elder->coordinator.has_previous);

    /* The old key verifies what was made before the switch (a letter that waited in the
     * mailbox), not what claims to be made after it. */
    uint64_t switched = w->elder->coordinator.switched_at_ms;
    assert_true (s_directory_signed_by (w, old, switched - MINUTE_MS, NULL));
    assert_false (s_directory_signed_by (w, old, switched + 10 * MINUTE_MS, NULL));
    assert_true (s_directory_signed_by (w, w->next, 0, NULL));

    /* A restart keeps the new keys, with the bundle's old ones in agency.conf. */
    w->elder = agency_world_restart (w->world, w->elder);
    assert_non_null (w->elder);
    assert_memory_equal (w->elder->coordinator.sign, tsg_keys_sign_public (w->next), 32);
    assert_memory_equal (w->elder->config->coordinator_sign, tsg_keys_sign_public (old), 32);
    tsg_keys_destroy (&old);
}

static void
test_pin_follows_a_new_bundle (void **state)
{
    (void) state;
    uint8_t a_box[32], a_sign[32], b_box[32], b_sign[32];
    randombytes_buf (a_box, 32);
    randombytes_buf (a_sign, 32);
    randombytes_buf (b_box, 32);
    randombytes_buf (b_sign, 32);
    agency_coordinator_pin_t pin;
    agency_pin_from_bundle (&pin, a_box, a_sign);
    assert_memory_equal (pin.sign, a_sign, 32);
    /* Switched to b (as a hand-over would), then a bundle naming b: the pin stays. */
    pin.has_next = true;
    memcpy (pin.next_box, b_box, 32);
    memcpy (pin.next_sign, b_sign, 32);
    agency_pin_switch (&pin, 1000);
    assert_memory_equal (pin.sign, b_sign, 32);
    assert_memory_equal (pin.previous_sign, a_sign, 32);
    assert_memory_equal (pin.bundle_sign, a_sign, 32);
    assert_int_equal (pin.switched_at_ms, 1000);
    /* A switch without a hand-over does nothing. */
    agency_coordinator_pin_t same = pin;
    agency_pin_switch (&same, 2000);
    assert_memory_equal (&same, &pin, sizeof pin);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_forged_handovers_change_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_handover_held_then_switched, s_setup, s_teardown),
        cmocka_unit_test (test_pin_follows_a_new_bundle),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
