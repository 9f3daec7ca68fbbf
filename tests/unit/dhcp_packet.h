/* Builds DHCP client requests byte by byte for the unit tests. */
#pragma once
#include <stdint.h>
#include <string.h>

struct pkt {
	uint8_t b[1600];
	size_t len;
};

static inline void pkt_init(struct pkt *p, uint8_t type, const uint8_t mac[6], uint32_t xid)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 1; p->b[1] = 1; p->b[2] = 6;
	p->b[4] = xid >> 24; p->b[5] = xid >> 16; p->b[6] = xid >> 8; p->b[7] = xid;
	memcpy(p->b + 28, mac, 6);
	p->b[236] = 0x63; p->b[237] = 0x82; p->b[238] = 0x53; p->b[239] = 0x63;
	p->len = 240;
	if (type) {
		p->b[p->len++] = 53; p->b[p->len++] = 1; p->b[p->len++] = type;
	}
}

static inline void pkt_opt(struct pkt *p, uint8_t code, const void *data, uint8_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = len;
	memcpy(p->b + p->len, data, len);
	p->len += len;
}

static inline void pkt_end(struct pkt *p)
{
	p->b[p->len++] = 255;
	if (p->len < 300)
		p->len = 300;
}
