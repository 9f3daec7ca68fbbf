#include "tftp/tftp_xfer.h"

void tftp_xfer_init(struct tftp_xfer *x, uint64_t size, uint32_t blksize, uint32_t windowsize, bool oack)
{
	*x = (struct tftp_xfer){ .size = size, .blksize = blksize, .windowsize = windowsize ? windowsize : 1,
				 .n_blocks = size / blksize + 1, .oack = oack };
}

void tftp_xfer_next(const struct tftp_xfer *x, uint64_t *first, uint64_t *last)
{
	uint64_t end = x->acked + x->windowsize;

	*first = x->sent + 1;
	*last = x->oack ? 0 : (end < x->n_blocks ? end : x->n_blocks);
}

void tftp_xfer_mark_sent(struct tftp_xfer *x, uint64_t last)
{
	if (last > x->sent)
		x->sent = last;
}

enum tftp_ack_result tftp_xfer_on_ack(struct tftp_xfer *x, uint16_t wire_block)
{
	uint64_t abs;

	if (x->oack) {
		if (wire_block != 0)
			return TFTP_ACK_IGNORED;
		x->oack = false;
		return TFTP_ACK_PROGRESS;
	}
	/* The newest block sent with these low 16 bits. */
	abs = x->sent - (uint16_t)((uint16_t)x->sent - wire_block);
	if (abs > x->sent || abs <= x->acked)
		return TFTP_ACK_IGNORED;
	x->acked = abs;
	if (abs == x->n_blocks)
		return TFTP_ACK_DONE;
	/* RFC 7440: an ACK inside the window means the rest was lost; go back. */
	x->sent = abs;
	return TFTP_ACK_PROGRESS;
}

void tftp_xfer_on_timeout(struct tftp_xfer *x)
{
	x->sent = x->acked;
}

uint64_t tftp_xfer_block_offset(const struct tftp_xfer *x, uint64_t block)
{
	return (block - 1) * x->blksize;
}

uint32_t tftp_xfer_block_len(const struct tftp_xfer *x, uint64_t block)
{
	uint64_t off = tftp_xfer_block_offset(x, block);
	uint64_t left = x->size > off ? x->size - off : 0;

	return left < x->blksize ? (uint32_t)left : x->blksize;
}
