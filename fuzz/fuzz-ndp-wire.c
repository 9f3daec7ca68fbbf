/* libFuzzer: Router Solicitation parser. */
#include "ndp/ndp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndp_solicit s;
	uint8_t ra[NDP_RA_MAX];

	if (ndp_solicit_parse(data, size, &s) == 0 && s.has_source_mac)
		ndp_advert_build(ra, sizeof(ra), s.source_mac);
	return 0;
}
