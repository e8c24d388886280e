/* tsunagu-disability: the agency daemon of a 相談支援事業所 (disability consultation support
 * office). Its policy is the "disability" entry of the table in services/common/agency_types.c
 * (README.md). */
#include "tsunagu/tsg_agency.h"

int
main (int argc, char *argv[])
{
    return tsg_agency_main (argc, argv, "disability");
}
