/* The sending side of one read transfer as a pure state machine: which
 * blocks to send next, what an ACK means, what a timeout resends, and how
 * long to wait before resending (tftp_rto). Blocks
 * are numbered 1.. in 64 bits here; on the wire they wrap past 65535 to 0
 * (as tftpd-hpa and iPXE expect). Windowsize 1 is plain RFC 1350
 * lock-step; larger windows are RFC 7440. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct tftp_xfer {
	uint64_t size;                /* file size */
	uint32_t blksize;
	uint32_t windowsize;
	uint64_t n_blocks;            /* last block is short (maybe empty) */
	uint64_t acked;               /* highest block the client confirmed (0: none) */
	uint64_t sent;                /* highest block sent */
	bool oack;                    /* an OACK is outstanding (ACK 0 expected) */
	uint64_t dup_rewound;         /* 1 + the ACK a duplicate already rewound to (0: none) */
};

void tftp_xfer_init(struct tftp_xfer *x, uint64_t size, uint32_t blksize, uint32_t windowsize, bool oack);

/* Range of blocks to send now: [*first, *last], none if first > last. */
void tftp_xfer_next(const struct tftp_xfer *x, uint64_t *first, uint64_t *last);
void tftp_xfer_mark_sent(struct tftp_xfer *x, uint64_t last);

enum tftp_ack_result {
	TFTP_ACK_IGNORED,             /* duplicate or stale: send nothing (Sorcerer's Apprentice) */
	TFTP_ACK_PROGRESS,            /* window moved: send what tftp_xfer_next says */
	TFTP_ACK_REWIND,              /* nothing new confirmed, but blocks are missing: resend what tftp_xfer_next says */
	TFTP_ACK_DONE,                /* the last block is confirmed */
};
enum tftp_ack_result tftp_xfer_on_ack(struct tftp_xfer *x, uint16_t wire_block);

/* A timeout: rewind to resend everything after the last ACK. */
void tftp_xfer_on_timeout(struct tftp_xfer *x);

/* Where block n starts in the file and how long it is. */
uint64_t tftp_xfer_block_offset(const struct tftp_xfer *x, uint64_t block);
uint32_t tftp_xfer_block_len(const struct tftp_xfer *x, uint64_t block);

/* Retransmission timeout: RFC 6298's estimator (SRTT, RTTVAR, RTO = SRTT +
 * 4 RTTVAR, doubled on each timeout) applied to the time from a window's
 * DATA to its ACK, clamped to [min_ms, max_ms]. Karn's rule: an ACK after a
 * resend gives no sample. On a LAN the ACK comes back in well under a
 * millisecond, so min_ms is what a lost block or a lost tail of a window
 * costs, instead of max_ms (the configured timeout) every time. The transfer
 * gives up once it has waited give_up_ms in all without progress. Times are
 * passed in: no clock here. */
struct tftp_rto {
	uint32_t min_ms, max_ms, give_up_ms;
	uint32_t rto_ms;              /* the wait to arm now */
	uint64_t srtt_us, rttvar_us;
	bool have_sample;
	bool resent;                  /* a timeout resent since the last progress */
	uint32_t waited_ms;           /* timeouts since the last progress, in all */
	uint32_t timeouts;            /* over the whole transfer, for the log */
};

/* The first wait is max_ms (no sample yet). min_ms == max_ms: a fixed
 * timeout (the client's RFC 2349 option). */
void tftp_rto_init(struct tftp_rto *r, uint32_t min_ms, uint32_t max_ms, uint32_t give_up_ms);
/* The ACK moved the window; rtt_us is the time since the window was sent. */
void tftp_rto_on_progress(struct tftp_rto *r, uint64_t rtt_us);
/* Blocks are resent before the wait expired (a duplicate ACK): the next
 * ACK gives no sample, the wait stays. */
void tftp_rto_on_resend(struct tftp_rto *r);
/* The armed wait expired: back off. False when it is time to give up. */
bool tftp_rto_on_timeout(struct tftp_rto *r);
