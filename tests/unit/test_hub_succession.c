/* test_hub_succession.c — agency succession (組織改編) in the coordinator's model, apart from
 * storage: the successor takes the previous agency's place on a case and its plan roles, the
 * meeting rosters stay as held, nothing changes for a case the previous agency is not on; a
 * consent needs renewal exactly when it names the previous agency by id and does not cover the
 * successor (by id or type), and never once it has ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/consents.h"

#define OLD "poverty-chuo"
#define NEW "poverty-minami"

static void
s_case (tsg_hub_case_t *c, const char *const agencies[], size_t n)
{
    memset (c, 0, sizeof *c);
    snprintf (c->id, sizeof c->id, "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70");
    c->version = 3;
    for (size_t i = 0; i < n; i++)
        snprintf (c->agencies[i], sizeof c->agencies[i], "%s", agencies[i]);
    c->n_agencies = n;
}

/* The successor takes the previous agency's place in the list, and its roles. */
static void
test_successor_takes_place_and_roles (void **state)
{
    (void) state;
    const char *const agencies[] = { "eldercare-chuo", OLD, "child-chuo" };
    tsg_hub_case_t c;
    s_case (&c, agencies, 3);
    snprintf (c.roles[0].agency, sizeof c.roles[0].agency, "eldercare-chuo");
    snprintf (c.roles[0].role, sizeof c.roles[0].role, "見守り");
    snprintf (c.roles[1].agency, sizeof c.roles[1].agency, OLD);
    snprintf (c.roles[1].role, sizeof c.roles[1].role, "家計改善");
    c.n_roles = 2;
    snprintf (c.roster[0], sizeof c.roster[0], OLD);
    c.n_roster = 1;
    assert_true (tsg_hub_case_succeed (&c, OLD, NEW));
    assert_int_equal (c.n_agencies, 3);
    assert_string_equal (c.agencies[0], "eldercare-chuo");
    assert_string_equal (c.agencies[1], NEW);
    assert_string_equal (c.agencies[2], "child-chuo");
    assert_false (tsg_hub_case_has_agency (&c, OLD));
    assert_string_equal (c.roles[0].agency, "eldercare-chuo");
    assert_string_equal (c.roles[1].agency, NEW);
    assert_string_equal (c.roles[1].role, "家計改善");
    /* The roster records who attended: NEW did not. */
    assert_int_equal (c.n_roster, 1);
    assert_string_equal (c.roster[0], OLD);
    assert_int_equal (c.version, 3); /* the version is the caller's */
}

/* A successor on the case already: the previous agency's entry goes, the order stays. */
static void
test_successor_already_on_case (void **state)
{
    (void) state;
    const char *const agencies[] = { NEW, "eldercare-chuo", OLD, "child-chuo" };
    tsg_hub_case_t c;
    s_case (&c, agencies, 4);
    assert_true (tsg_hub_case_succeed (&c, OLD, NEW));
    assert_int_equal (c.n_agencies, 3);
    assert_string_equal (c.agencies[0], NEW);
    assert_string_equal (c.agencies[1], "eldercare-chuo");
    assert_string_equal (c.agencies[2], "child-chuo");
}

/* Not on the case, or the same agency: false, nothing changed. */
static void
test_nothing_to_succeed (void **state)
{
    (void) state;
    const char *const agencies[] = { "eldercare-chuo", OLD };
    tsg_hub_case_t c, before;
    s_case (&c, agencies, 2);
    before = c;
    assert_false (tsg_hub_case_succeed (&c, "disability-chuo", NEW));
    assert_false (tsg_hub_case_succeed (&c, OLD, OLD));
    assert_memory_equal (&c, &before, sizeof c);
}

static void
s_consent (tsg_hub_consent_t *c, const char *const agencies[], size_t n, const char *type)
{
    memset (c, 0, sizeof *c);
    c->state = TSG_HUB_CONSENT_ACTIVE;
    for (size_t i = 0; i < n; i++)
        snprintf (c->agencies[i], sizeof c->agencies[i], "%s", agencies[i]);
    c->n_agencies = n;
    if (type) {
        snprintf (c->types[0], sizeof c->types[0], "%s", type);
        c->n_types = 1;
    }
}

/* Renewal: named by id and NEW not covered; by type NEW is covered as OLD was. */
static void
test_consent_renewal (void **state)
{
    (void) state;
    tsg_hub_consent_t c;
    const char *const by_id[] = { "eldercare-chuo", OLD };
    s_consent (&c, by_id, 2, NULL);
    assert_true (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, "poverty"); /* ... and by type: NEW is covered */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, "disability"); /* another type covers nothing of NEW */
    assert_true (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    const char *const both[] = { OLD, NEW };
    s_consent (&c, both, 2, NULL); /* names NEW already */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    const char *const other[] = { "eldercare-chuo" };
    s_consent (&c, other, 1, "poverty"); /* OLD only by type: unaffected */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    s_consent (&c, by_id, 2, NULL);
    c.state = TSG_HUB_CONSENT_REVOKED; /* ended: nothing to renew */
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
    c.state = TSG_HUB_CONSENT_EXPIRED;
    assert_false (tsg_hub_consent_needs_renewal (&c, OLD, NEW, "poverty"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_successor_takes_place_and_roles),
        cmocka_unit_test (test_successor_already_on_case),
        cmocka_unit_test (test_nothing_to_succeed),
        cmocka_unit_test (test_consent_renewal),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
