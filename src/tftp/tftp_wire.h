/* TFTP packets (RFC 1350) with options (RFC 2347 OACK, 2348 blksize, 2349
 * timeout and tsize, 7440 windowsize). Pure codec. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6,
};

enum tftp_error_code {
	TFTP_EUNDEF = 0,
	TFTP_ENOTFOUND = 1,
	TFTP_EACCESS = 2,
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4,
	TFTP_EBADID = 5,
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

#define TFTP_PATH_MAX 512
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN 8
#define TFTP_BLKSIZE_MAX 65464
#define TFTP_REQUEST_MAX 1024         /* longer requests are refused */

/* A read or write request. Option values are kept only if well formed; a
 * zero field means "not requested". */
struct tftp_request {
	enum tftp_opcode op;
	char filename[TFTP_PATH_MAX];
	bool netascii;
	uint32_t blksize;
	uint32_t timeout_s;
	uint32_t windowsize;
	bool tsize;                   /* client asked for the transfer size */
};

/* -EBADMSG for a malformed request (missing NULs, empty name, unknown mode,
 * duplicate options), -ENAMETOOLONG for a name over TFTP_PATH_MAX. Options
 * out of range are ignored (RFC 2347: the server may decline any option). */
int tftp_request_parse(const uint8_t *buf, size_t len, struct tftp_request *ret);

/* ACK (4 bytes) or ERROR from a client during a transfer. */
struct tftp_reply {
	enum tftp_opcode op;
	uint16_t block;               /* ACK */
	uint16_t error_code;          /* ERROR */
};
int tftp_reply_parse(const uint8_t *buf, size_t len, struct tftp_reply *ret);

/* Builders return the length written or -ENOSPC. */
int tftp_build_data_header(uint8_t *buf, size_t size, uint16_t block);
int tftp_build_error(uint8_t *buf, size_t size, enum tftp_error_code code, const char *message);
/* OACK with the options that are non-zero; tsize when has_tsize. */
int tftp_build_oack(uint8_t *buf, size_t size, uint32_t blksize, uint32_t timeout_s, uint32_t windowsize,
		    bool has_tsize, uint64_t tsize);
