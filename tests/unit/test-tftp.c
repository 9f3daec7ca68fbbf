/* TFTP codec and the transfer state machine (windows, rollover, loss). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "tftp/tftp_wire.h"
#include "tftp/tftp_xfer.h"

#define RQ(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static void parses_requests(void **state)
{
	struct tftp_request rq;

	assert_int_equal(tftp_request_parse(RQ("\0\1undionly.kpxe\0octet\0"), &rq), 0);
	assert_int_equal(rq.op, TFTP_RRQ);
	assert_string_equal(rq.filename, "undionly.kpxe");
	assert_int_equal(rq.blksize, 0);
	assert_int_equal(tftp_request_parse(RQ("\0\1a\0OCTET\0blksize\0001468\0tsize\0000\0windowsize\0008\0"
					       "timeout\0003\0x-unknown\0zz\0"), &rq), 0);
	assert_int_equal(rq.blksize, 1468);
	assert_true(rq.tsize);
	assert_int_equal(rq.windowsize, 8);
	assert_int_equal(rq.timeout_s, 3);
	assert_int_equal(tftp_request_parse(RQ("\0\2up\0octet\0"), &rq), 0);
	assert_int_equal(rq.op, TFTP_WRQ);
	assert_int_equal(tftp_request_parse(RQ("\0\1f\0netascii\0"), &rq), 0);
	assert_true(rq.netascii);
}

static void out_of_range_options_are_declined(void **state)
{
	struct tftp_request rq;

	assert_int_equal(tftp_request_parse(RQ("\0\1a\0octet\0blksize\0007\0windowsize\0000\0timeout\000999\0"), &rq), 0);
	assert_int_equal(rq.blksize, 0);
	assert_int_equal(rq.windowsize, 0);
	assert_int_equal(rq.timeout_s, 0);
	assert_int_equal(tftp_request_parse(RQ("\0\1a\0octet\0blksize\00099999999999999999999\0"), &rq), 0);
	assert_int_equal(rq.blksize, 0);
}

static void rejects_malformed_requests(void **state)
{
	struct tftp_request rq;
	uint8_t longname[700];

	assert_int_equal(tftp_request_parse(RQ("\0\1file"), &rq), -EBADMSG);            /* no NUL */
	assert_int_equal(tftp_request_parse(RQ("\0\1file\0octet"), &rq), -EBADMSG);     /* mode unterminated */
	assert_int_equal(tftp_request_parse(RQ("\0\1\0octet\0"), &rq), -EBADMSG);       /* empty name */
	assert_int_equal(tftp_request_parse(RQ("\0\1f\0mail\0"), &rq), -EBADMSG);       /* obsolete mode */
	assert_int_equal(tftp_request_parse(RQ("\0\1f\0octet\0blksize\0"), &rq), -EBADMSG); /* no value */
	assert_int_equal(tftp_request_parse(RQ("\0\1f\0octet\0blksize\0008\0blksize\0009\0"), &rq), -EBADMSG);
	assert_int_equal(tftp_request_parse(RQ("\0\3f\0octet\0"), &rq), -EBADMSG);      /* DATA is no request */
	assert_int_equal(tftp_request_parse(RQ("\0\1"), &rq), -EBADMSG);
	assert_int_equal(tftp_request_parse(RQ("\0\1f\0octet\0junk"), &rq), -EBADMSG);  /* trailing bytes */
	memset(longname, 'a', sizeof(longname));
	longname[0] = 0; longname[1] = 1;
	longname[600] = 0;
	memcpy(longname + 601, "octet", 6);
	assert_int_equal(tftp_request_parse(longname, 607, &rq), -ENAMETOOLONG);
}

static void builds_packets(void **state)
{
	uint8_t buf[128];
	struct tftp_reply r;
	int n;

	n = tftp_build_oack(buf, sizeof(buf), 1468, 0, 16, true, 123456);
	assert_int_equal(n, 2 + 8 + 5 + 11 + 3 + 6 + 7);
	assert_memory_equal(buf, "\0\6blksize\0" "1468\0windowsize\0" "16\0tsize\0" "123456\0", (size_t)n);
	assert_int_equal(tftp_build_oack(buf, 10, 1468, 0, 16, true, 1), -ENOSPC);
	n = tftp_build_error(buf, sizeof(buf), TFTP_ENOTFOUND, "file not found");
	assert_int_equal(n, 19);
	assert_int_equal(tftp_reply_parse((const uint8_t *)"\0\4\1\2", 4, &r), 0);
	assert_int_equal(r.block, 0x102);
	assert_int_equal(tftp_reply_parse((const uint8_t *)"\0\4\1", 3, &r), -EBADMSG);
	assert_int_equal(tftp_reply_parse((const uint8_t *)"\0\3\0\1", 4, &r), -EBADMSG);
}

static void lockstep_without_duplicates(void **state)
{
	struct tftp_xfer x;
	uint64_t first, last;

	tftp_xfer_init(&x, 1024, 512, 1, false); /* blocks 1, 2 and an empty 3 */
	assert_int_equal(x.n_blocks, 3);
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 1);
	assert_int_equal(last, 1);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 1), TFTP_ACK_PROGRESS);
	assert_int_equal(tftp_xfer_on_ack(&x, 1), TFTP_ACK_IGNORED); /* Sorcerer's Apprentice */
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 2);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 2), TFTP_ACK_PROGRESS);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_block_len(&x, 3), 0);
	assert_int_equal(tftp_xfer_on_ack(&x, 3), TFTP_ACK_DONE);
}

static void window_rewinds_on_partial_ack_and_timeout(void **state)
{
	struct tftp_xfer x;
	uint64_t first, last;

	tftp_xfer_init(&x, 100 * 512 + 7, 512, 8, true);
	tftp_xfer_next(&x, &first, &last);
	assert_true(first > last); /* nothing until the OACK is acknowledged */
	assert_int_equal(tftp_xfer_on_ack(&x, 5), TFTP_ACK_IGNORED);
	assert_int_equal(tftp_xfer_on_ack(&x, 0), TFTP_ACK_PROGRESS);
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 1);
	assert_int_equal(last, 8);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 3), TFTP_ACK_PROGRESS); /* 4.. lost */
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 4);
	assert_int_equal(last, 11);
	tftp_xfer_mark_sent(&x, last);
	tftp_xfer_on_timeout(&x);
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 4);
	assert_int_equal(last, 11);
	assert_int_equal(tftp_xfer_on_ack(&x, 12), TFTP_ACK_IGNORED); /* never sent */
	assert_int_equal(tftp_xfer_block_len(&x, 101), 7);
}

static void block_numbers_roll_over(void **state)
{
	struct tftp_xfer x;
	uint64_t first, last, b;

	tftp_xfer_init(&x, 70000ull * 512, 512, 16, false);
	for (;;) {
		tftp_xfer_next(&x, &first, &last);
		tftp_xfer_mark_sent(&x, last);
		b = last;
		enum tftp_ack_result r = tftp_xfer_on_ack(&x, (uint16_t)b);
		assert_int_not_equal(r, TFTP_ACK_IGNORED);
		if (r == TFTP_ACK_DONE)
			break;
	}
	assert_int_equal(x.acked, 70001); /* 70000 full blocks, then an empty one */
	assert_int_equal(tftp_xfer_block_offset(&x, 65537), 65536ull * 512);
}

static void window_rewinds_once_on_duplicate_ack(void **state)
{
	struct tftp_xfer x;
	uint64_t first, last;

	tftp_xfer_init(&x, 100 * 512, 512, 8, false);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 8), TFTP_ACK_PROGRESS);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);                                 /* 9..16 out, 9 lost */
	assert_int_equal(tftp_xfer_on_ack(&x, 8), TFTP_ACK_REWIND);   /* the client has 8 in order */
	tftp_xfer_next(&x, &first, &last);
	assert_int_equal(first, 9);
	assert_int_equal(last, 16);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 8), TFTP_ACK_IGNORED);  /* once per ACK value */
	assert_int_equal(tftp_xfer_on_ack(&x, 16), TFTP_ACK_PROGRESS);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 16), TFTP_ACK_REWIND);  /* a new value may again */
	/* lock-step: a duplicate is never answered (Sorcerer's Apprentice) */
	tftp_xfer_init(&x, 100 * 512, 512, 1, false);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 1), TFTP_ACK_PROGRESS);
	tftp_xfer_next(&x, &first, &last);
	tftp_xfer_mark_sent(&x, last);
	assert_int_equal(tftp_xfer_on_ack(&x, 1), TFTP_ACK_IGNORED);
}

static void rto_adapts_backs_off_and_gives_up(void **state)
{
	struct tftp_rto r;
	int n;

	tftp_rto_init(&r, 50, 1000, 6000);
	assert_int_equal(r.rto_ms, 1000);               /* no sample yet */
	tftp_rto_on_progress(&r, 300);                  /* 0.3 ms on a LAN */
	assert_int_equal(r.rto_ms, 50);                 /* the floor */
	assert_true(tftp_rto_on_timeout(&r));
	assert_int_equal(r.rto_ms, 100);                /* doubled */
	tftp_rto_on_progress(&r, 1);                    /* after a resend: no sample (Karn) */
	assert_int_equal(r.rto_ms, 100);
	assert_int_equal(r.srtt_us, 300);
	tftp_rto_on_progress(&r, 300);                  /* a window sent once: sample */
	assert_int_equal(r.rto_ms, 50);
	for (int i = 0; i < 20; i++)
		tftp_rto_on_progress(&r, 200000);       /* a slow client: 200 ms */
	assert_in_range(r.rto_ms, 200, 400);
	/* Without progress: 50 ms doubling to the 1 s ceiling, then give up once
	 * 6 s were spent waiting. */
	tftp_rto_init(&r, 50, 1000, 6000);
	tftp_rto_on_progress(&r, 100);
	for (n = 1; tftp_rto_on_timeout(&r); n++)
		assert_in_range(r.rto_ms, 100, 1000);
	assert_int_equal(n, 10);                        /* 50+100+200+400+800+1000*4 >= 6000 */
	assert_int_equal(r.timeouts, 10);
	/* A fixed timeout (the client's option): 5 resends, then give up. */
	tftp_rto_init(&r, 1000, 1000, 6000);
	for (n = 0; tftp_rto_on_timeout(&r); n++)
		assert_int_equal(r.rto_ms, 1000);
	assert_int_equal(n, 5);
	tftp_rto_on_progress(&r, 100);
	assert_int_equal(r.rto_ms, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_requests),
		cmocka_unit_test(out_of_range_options_are_declined),
		cmocka_unit_test(rejects_malformed_requests),
		cmocka_unit_test(builds_packets),
		cmocka_unit_test(lockstep_without_duplicates),
		cmocka_unit_test(window_rewinds_on_partial_ack_and_timeout),
		cmocka_unit_test(block_numbers_roll_over),
		cmocka_unit_test(window_rewinds_once_on_duplicate_ack),
		cmocka_unit_test(rto_adapts_backs_off_and_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
