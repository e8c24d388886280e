/* tsunagu-poverty: the agency daemon of a 自立相談支援機関 (self-reliance consultation support
 * office). Its policy is the "poverty" entry of the table in services/common/agency_types.c
 * (README.md). */
#include "tsunagu/tsg_agency.h"

int
main (int argc, char *argv[])
{
    return tsg_agency_main (argc, argv, "poverty");
}
