/* libFuzzer: TFTP requests and replies, and the transfer state machine fed
 * with ACK numbers from the input. */
#include "tftp/tftp_wire.h"
#include "tftp/tftp_xfer.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_reply rp;
	struct tftp_xfer x;
	uint64_t first, last;

	tftp_request_parse(data, size, &rq);
	tftp_reply_parse(data, size, &rp);
	tftp_xfer_init(&x, 40000ull * 8, 8, size % 64 + 1, size & 1);
	for (size_t i = 0; i + 1 < size; i += 2) {
		tftp_xfer_next(&x, &first, &last);
		tftp_xfer_mark_sent(&x, last);
		if (data[i] == 0xff)
			tftp_xfer_on_timeout(&x);
		else if (tftp_xfer_on_ack(&x, (uint16_t)(data[i] << 8 | data[i + 1])) == TFTP_ACK_DONE)
			break;
		if (x.acked > x.sent || x.acked > x.n_blocks || x.sent > x.n_blocks)
			abort();
	}
	return 0;
}
