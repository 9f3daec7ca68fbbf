/* The sending side of one read transfer as a pure state machine: which
 * blocks to send next, what an ACK means, what a timeout resends. Blocks
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
};

void tftp_xfer_init(struct tftp_xfer *x, uint64_t size, uint32_t blksize, uint32_t windowsize, bool oack);

/* Range of blocks to send now: [*first, *last], none if first > last. */
void tftp_xfer_next(const struct tftp_xfer *x, uint64_t *first, uint64_t *last);
void tftp_xfer_mark_sent(struct tftp_xfer *x, uint64_t last);

enum tftp_ack_result {
	TFTP_ACK_IGNORED,             /* duplicate or stale: send nothing (Sorcerer's Apprentice) */
	TFTP_ACK_PROGRESS,            /* window moved: send what tftp_xfer_next says */
	TFTP_ACK_DONE,                /* the last block is confirmed */
};
enum tftp_ack_result tftp_xfer_on_ack(struct tftp_xfer *x, uint16_t wire_block);

/* A timeout: rewind to resend everything after the last ACK. */
void tftp_xfer_on_timeout(struct tftp_xfer *x);

/* Where block n starts in the file and how long it is. */
uint64_t tftp_xfer_block_offset(const struct tftp_xfer *x, uint64_t block);
uint32_t tftp_xfer_block_len(const struct tftp_xfer *x, uint64_t block);
