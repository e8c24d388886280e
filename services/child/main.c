/* tsunagu-child: the agency daemon of a こども家庭センター (children and families centre).
 * Its policy is the "child" entry of the table in services/common/agency_types.c
 * (README.md). */
#include "tsunagu/tsg_agency.h"

int
main (int argc, char *argv[])
{
    return tsg_agency_main (argc, argv, "child");
}
