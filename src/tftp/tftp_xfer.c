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
	if (abs == x->acked && x->windowsize > 1 && x->sent > x->acked && x->dup_rewound != x->acked + 1) {
		/* RFC 7440: a client missing a block ACKs the last one it has in
		 * order; when the lost one is the first of a window, that repeats
		 * the previous ACK. Go back, but once per ACK value: answering
		 * every duplicate would let duplicates multiply (the Sorcerer's
		 * Apprentice); lock-step never does. */
		x->dup_rewound = x->acked + 1;
		x->sent = x->acked;
		return TFTP_ACK_REWIND;
	}
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

static void rto_set(struct tftp_rto *r, uint64_t ms)
{
	r->rto_ms = (uint32_t)(ms < r->min_ms ? r->min_ms : ms > r->max_ms ? r->max_ms : ms);
}

void tftp_rto_init(struct tftp_rto *r, uint32_t min_ms, uint32_t max_ms, uint32_t give_up_ms)
{
	if (min_ms > max_ms)
		min_ms = max_ms;
	*r = (struct tftp_rto){ .min_ms = min_ms, .max_ms = max_ms, .give_up_ms = give_up_ms, .rto_ms = max_ms };
}

void tftp_rto_on_progress(struct tftp_rto *r, uint64_t rtt_us)
{
	uint64_t d;

	r->waited_ms = 0;
	if (r->resent) {
		/* Karn: the ACK may answer either send. The backed-off wait stays
		 * until a window sent once gives a sample (RFC 6298 5.7). */
		r->resent = false;
		return;
	}
	if (!r->have_sample) {
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
		r->have_sample = true;
	} else {
		d = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;
		r->rttvar_us = (3 * r->rttvar_us + d) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
	}
	rto_set(r, (r->srtt_us + 4 * r->rttvar_us + 999) / 1000);
}

void tftp_rto_on_resend(struct tftp_rto *r)
{
	r->resent = true;
}

bool tftp_rto_on_timeout(struct tftp_rto *r)
{
	r->timeouts++;
	r->waited_ms += r->rto_ms;
	if (r->waited_ms >= r->give_up_ms)
		return false;
	r->resent = true;
	rto_set(r, (uint64_t)r->rto_ms * 2);
	return true;
}
