/* The fixed-bucket histograms of an agency's /metrics (core/histogram.h): each observation in
 * the first bucket whose bound holds it, the buckets printed cumulative with +Inf, _sum and
 * _count; labels before le; nothing allocated.  And the agency's /metrics itself: the commit
 * histograms, a letter the coordinator refused counted by its code, an API refusal by status
 * and code, the outbox's oldest letter's age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"
#include "agency/api/views.h"
#include "agency/core/histogram.h"

static const double s_bounds[] = { 1, 2.5, 10 };

/* What agency_histogram_print writes (caller frees). */
static char *
s_print (const agency_histogram_t *h, const char *labels)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    assert_non_null (out);
    agency_histogram_print (h, out, "t", labels);
    assert_int_equal (fclose (out), 0);
    return text;
}

/* Bounds are inclusive, the buckets cumulative, +Inf is the count, the sum exact. */
static void
test_buckets_sum_count (void **state)
{
    (void) state;
    agency_histogram_t h;
    agency_histogram_init (&h, s_bounds, 3);
    const double values[] = { 0.5, 1, 1.01, 2.5, 3, 10, 10.5, 1000 };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        agency_histogram_observe (&h, values[i]);
    char *text = s_print (&h, NULL);
    assert_string_equal (text, "t_bucket{le=\"1\"} 2\n"
                               "t_bucket{le=\"2.5\"} 4\n"
                               "t_bucket{le=\"10\"} 6\n"
                               "t_bucket{le=\"+Inf\"} 8\n"
                               "t_sum 1028.51\n"
                               "t_count 8\n");
    free (text);
    /* Not cumulative inside: each observation is in one bucket only. */
    assert_int_equal (h.buckets[0], 2);
    assert_int_equal (h.buckets[1], 2);
    assert_int_equal (h.buckets[2], 2);
    assert_int_equal (h.count, 8);
}

/* Labels go before le, and alone in braces on _sum and _count; an empty histogram prints
 * zeros. */
static void
test_labels_and_empty (void **state)
{
    (void) state;
    agency_histogram_t h;
    agency_histogram_init (&h, s_bounds, 3);
    char *text = s_print (&h, "source=\"api\"");
    assert_string_equal (text, "t_bucket{source=\"api\",le=\"1\"} 0\n"
                               "t_bucket{source=\"api\",le=\"2.5\"} 0\n"
                               "t_bucket{source=\"api\",le=\"10\"} 0\n"
                               "t_bucket{source=\"api\",le=\"+Inf\"} 0\n"
                               "t_sum{source=\"api\"} 0\n"
                               "t_count{source=\"api\"} 0\n");
    free (text);
}

/* A negative value counts as 0 (a clock step back), NaN not at all; small seconds print in a
 * form Prometheus reads. */
static void
test_negative_nan_small (void **state)
{
    (void) state;
    static const double seconds[] = { 0.0005, 0.001 };
    agency_histogram_t h;
    agency_histogram_init (&h, seconds, 2);
    agency_histogram_observe (&h, -0.25);
    agency_histogram_observe (&h, NAN);
    agency_histogram_observe (&h, 0.00075);
    char *text = s_print (&h, NULL);
    assert_string_equal (text, "t_bucket{le=\"0.0005\"} 1\n"
                               "t_bucket{le=\"0.001\"} 2\n"
                               "t_bucket{le=\"+Inf\"} 2\n"
                               "t_sum 0.00075\n"
                               "t_count 2\n");
    free (text);
    /* The clock goes forward. */
    double a = agency_histogram_clock ();
    double b = agency_histogram_clock ();
    assert_true (a > 0 && b >= a);
}

/* The number after "line " in text (line ends the label part and the space), or -1 when
 * there is no such line. */
static double
s_value (const char *text, const char *line)
{
    char want[256];
    snprintf (want, sizeof want, "\n%s ", line);
    const char *at = strstr (text, want);
    return at ? strtod (at + strlen (want), NULL) : -1;
}

/* What elder's /metrics says now (caller frees). */
static char *
s_metrics (tsg_agency_t *elder)
{
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (elder, "GET", "/metrics", NULL, &reply), 200);
    char *text = strdup (json_string_value (json_object_get (reply, "text")));
    json_decref (reply);
    return text;
}

/* The agency's /metrics: the commit histograms present (empty before any loop commit); a
 * refusal by the coordinator under its code; the API's 422 under its status and code; the age
 * of the oldest letter in the outbox, 0 once it left. */
static void
test_agency_metrics (void **state)
{
    (void) state;
    tsg_agency_t *agencies[2];
    agency_world_t *world = agency_world_with (2, agencies);
    assert_non_null (world);
    tsg_agency_t *elder = agencies[0];

    char *text = s_metrics (elder);
    assert_non_null (strstr (text, "# TYPE tsunagu_agency_commit_letters histogram\n"));
    assert_int_equal (s_value (text, "tsunagu_agency_commit_letters_count{source=\"api\"}"), 0);
    assert_int_equal (
        s_value (text, "tsunagu_agency_commit_letters_bucket{source=\"inbound\",le=\"1024\"}"), 0);
    assert_int_equal (s_value (text, "tsunagu_agency_commit_duration_seconds_count"), 0);
    assert_int_equal (s_value (text, "tsunagu_agency_outbox_oldest_age_seconds"), 0);
    /* Every code the coordinator has, at 0; none it does not have. */
    assert_int_equal (
        s_value (text, "tsunagu_agency_letters_refused_total{code=\"not_permitted\"}"), 0);
    assert_int_equal (
        s_value (text, "tsunagu_agency_letters_refused_total{code=\"personal_data\"}"), 0);
    assert_int_equal (s_value (text, "tsunagu_agency_letters_refused_total{code=\"other\"}"), -1);
    assert_int_equal (s_value (text, "tsunagu_agency_letters_refused_total{code=\"unspecified\"}"),
                      -1);
    free (text);

    /* A referral waits in the outbox; the coordinator refuses it for good. */
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (elder, "POST", "/v1/referrals",
                                            "{\"to\":\"pov-a\",\"legal_basis\":\"none\","
                                            "\"sheet\":{\"household_id\":\"H001\",\"eldercare\":"
                                            "{\"care_insurance\":\"要介護1\"}}}",
                                            &reply),
                      202);
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (world, elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (letter);
    /* Its age: since the letter was made (its created_at), a moment ago. */
    text = s_metrics (elder);
    double age = s_value (text, "tsunagu_agency_outbox_oldest_age_seconds");
    assert_true (age >= 0 && age < 5);
    assert_int_equal (s_value (text, "tsunagu_agency_outbox_letters"), 1);
    free (text);
    assert_int_equal (agency_world_error (world, elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true),
                      TSG_OK);
    free (letter);

    /* An API refusal, as daemon/http.c counts each error answer; and one it does not name. */
    json_t *body = json_pack ("{s:s, s:s}", "error", "missing_legal_basis", "message", "no");
    agency_metrics_count_refusal (elder, 422, body);
    agency_metrics_count_refusal (elder, 422, body);
    json_decref (body);
    body = json_pack ("{s:s}", "error", "something_new");
    agency_metrics_count_refusal (elder, 418, body);
    json_decref (body);
    agency_metrics_count_refusal (elder, 503, NULL);

    text = s_metrics (elder);
    assert_int_equal (
        s_value (text, "tsunagu_agency_letters_refused_total{code=\"not_permitted\"}"), 1);
    assert_null (strstr (text, "tsunagu_agency_letters_refused_total{code=\"other\"}"));
    assert_int_equal (
        s_value (text,
                 "tsunagu_agency_api_refusals_total{status=\"422\",code=\"missing_legal_basis\"}"),
        2);
    assert_int_equal (
        s_value (text, "tsunagu_agency_api_refusals_total{status=\"other\",code=\"other\"}"), 1);
    assert_int_equal (
        s_value (text, "tsunagu_agency_api_refusals_total{status=\"503\",code=\"other\"}"), 1);
    assert_int_equal (s_value (text, "tsunagu_agency_outbox_letters"), 0);
    assert_int_equal (s_value (text, "tsunagu_agency_outbox_oldest_age_seconds"), 0);
    free (text);
    agency_world_destroy (&world);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_buckets_sum_count),
        cmocka_unit_test (test_labels_and_empty),
        cmocka_unit_test (test_negative_nan_small),
        cmocka_unit_test (test_agency_metrics),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
