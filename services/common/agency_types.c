/* agency_types.c — the built-in policy of the four agency types, as one table of data: tags, the
 * intake fields a referral from the type must carry, whether it may send abuse reports, and the
 * statutory meeting that lets it share personal data without consent. */
#include <string.h>

#include "tsunagu/tsg_agency_types.h"

static const char *const s_eldercare_tags[] = { "介護", "認知症", "8050", "虐待", "孤立", NULL };
static const char *const s_disability_tags[] = { "障害", "精神保健", "ひきこもり", "就労", NULL };
static const char *const s_child_tags[] = {
    "子育て", "不登校", "ヤングケアラー", "虐待", "DV", NULL
};
static const char *const s_poverty_tags[] = { "生活困窮", "就労", "住まい", "債務", "家計", NULL };

/* eldercare: the care-insurance status (要介護1, 要支援2, 未申請, ...). */
static const tsg_intake_field_t s_eldercare_intake[] = {
    { "eldercare.care_insurance", NULL, TSG_INTAKE_TEXT, 0, 0 },
    { NULL, NULL, TSG_INTAKE_TEXT, 0, 0 },
};
/* disability: the certificate held (手帳 and grade, 申請中, なし). */
static const tsg_intake_field_t s_disability_intake[] = {
    { "disability.certificate", NULL, TSG_INTAKE_TEXT, 0, 0 },
    { NULL, NULL, TSG_INTAKE_TEXT, 0, 0 },
};
/* child: the child's age, and the school or the nursery. */
static const tsg_intake_field_t s_child_intake[] = {
    { "child.age", NULL, TSG_INTAKE_INTEGER, 0, 17 },
    { "child.school", "child.nursery", TSG_INTAKE_TEXT, 0, 0 },
    { NULL, NULL, TSG_INTAKE_TEXT, 0, 0 },
};
/* poverty: the household's income band. */
static const tsg_intake_field_t s_poverty_intake[] = {
    { "poverty.income_band", NULL, TSG_INTAKE_TEXT, 0, 0 },
    { NULL, NULL, TSG_INTAKE_TEXT, 0, 0 },
};

static const tsg_agency_policy_t s_policies[] = {
    { "eldercare", "地域包括支援センター", "community comprehensive support centre", 7,
      s_eldercare_tags, "地域ケア会議 (介護保険法 第115条の48)",
      "高齢者虐待の通報 (高齢者虐待防止法 第7条)", "高齢者虐待防止法 第7条", s_eldercare_intake,
      true, TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, "chiiki-care", "地域ケア会議",
      "介護保険法 第115条の48" },
    { "disability", "相談支援事業所", "disability consultation support office", 14,
      s_disability_tags, "協議会 (障害者総合支援法 第89条の3)",
      "障害者虐待の通報 (障害者虐待防止法 第7条)", "障害者虐待防止法 第7条", s_disability_intake,
      true, TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI, "kyogikai", "協議会",
      "障害者総合支援法 第89条の3" },
    { "child", "こども家庭センター", "children and families centre", 3, s_child_tags,
      "要保護児童対策地域協議会 (児童福祉法 第25条の2)", "児童虐待の通告 (児童虐待防止法 第6条)",
      "児童虐待防止法 第6条", s_child_intake, true, TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO,
      "yotaikyo", "要保護児童対策地域協議会", "児童福祉法 第25条の2" },
    { "poverty", "自立相談支援機関", "self-reliance consultation support office", 7, s_poverty_tags,
      "支援会議 (生活困窮者自立支援法 第9条)", NULL, "", s_poverty_intake, false,
      TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU, "konkyu", "支援会議",
      "生活困窮者自立支援法 第9条" },
};

#define POLICY_COUNT (sizeof s_policies / sizeof s_policies[0])

const tsg_agency_policy_t *
tsg_agency_policy_find (const char *type)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < POLICY_COUNT; i++)
        if (strcmp (s_policies[i].type, type) == 0)
            return &s_policies[i];
    return NULL;
}

const tsg_agency_policy_t *
tsg_agency_policy_table (size_t *count)
{
    if (count)
        *count = POLICY_COUNT;
    return s_policies;
}

size_t
tsg_agency_policy_tag_count (const tsg_agency_policy_t *policy)
{
    size_t n = 0;
    while (policy && policy->tags[n])
        n++;
    return n;
}

size_t
tsg_agency_policy_intake_count (const tsg_agency_policy_t *policy)
{
    size_t n = 0;
    while (policy && policy->intake && policy->intake[n].path)
        n++;
    return n;
}

const tsg_agency_policy_t *
tsg_agency_policy_of_meeting (Tsunagu__V1__MeetingKind kind)
{
    for (size_t i = 0; i < POLICY_COUNT; i++)
        if (s_policies[i].meeting == kind)
            return &s_policies[i];
    return NULL;
}

const char *
tsg_agency_report_law (const char *type)
{
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (type);
    return policy && policy->may_send_emergency ? policy->mandatory_report_law : "";
}
