/* The built-in policy of the four agency types, as one table of data. */
#include <string.h>

#include "tsunagu/tsg_agency.h"

static const char *const s_eldercare_tags[] = { "介護", "認知症", "8050", "虐待", "孤立", NULL };
static const char *const s_disability_tags[] = { "障害", "精神保健", "ひきこもり", "就労", NULL };
static const char *const s_child_tags[] = {
    "子育て", "不登校", "ヤングケアラー", "虐待", "DV", NULL
};
static const char *const s_poverty_tags[] = { "生活困窮", "就労", "住まい", "債務", "家計", NULL };

static const tsg_agency_policy_t s_policies[] = {
    { "eldercare", "地域包括支援センター", "community comprehensive support centre", 7,
      s_eldercare_tags, "地域ケア会議 (介護保険法 第115条の48)",
      "高齢者虐待の通報 (高齢者虐待防止法 第7条)" },
    { "disability", "相談支援事業所", "disability consultation support office", 14,
      s_disability_tags, "協議会 (障害者総合支援法 第89条の3)",
      "障害者虐待の通報 (障害者虐待防止法 第7条)" },
    { "child", "こども家庭センター", "children and families centre", 3, s_child_tags,
      "要保護児童対策地域協議会 (児童福祉法 第25条の2)", "児童虐待の通告 (児童虐待防止法 第6条)" },
    { "poverty", "自立相談支援機関", "self-reliance consultation support office", 7, s_poverty_tags,
      "支援会議 (生活困窮者自立支援法 第9条)", NULL },
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
