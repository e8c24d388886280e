/* tsunagu-eldercare: the agency daemon of a 地域包括支援センター (community comprehensive support
 * centre). Its policy is the "eldercare" entry of the table in services/common/agency_types.c
 * (README.md). */
#include "tsunagu/tsg_agency.h"

int
main (int argc, char *argv[])
{
    return tsg_agency_main (argc, argv, "eldercare");
}
