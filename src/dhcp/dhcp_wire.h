/* DHCPv4 message codec (RFC 2131, 2132, 3396): bytes to struct dhcp_msg and
 * back. Pure: no sockets, no clock, no globals. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236            /* op .. file, before the magic cookie */
#define DHCP_MIN_LEN (DHCP_FIXED_LEN + 4)
#define DHCP_MAX_MSG 1500             /* larger datagrams are refused */
#define DHCP_BOOTP_MIN_REPLY 300      /* pad replies for old BOOTP relays/clients */
#define DHCP_DEFAULT_MAX_MSG 576      /* RFC 2131 2: without option 57 */
#define DHCP_IP_UDP_HDR 28

#define DHCP_OP_REQUEST 1
#define DHCP_OP_REPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000

enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};
const char *dhcp_msg_type_name(int type);

enum dhcp_option_code {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_NTP = 42,
	DHCP_OPT_VENDOR = 43,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_REQUEST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,
	DHCP_OPT_CLIENT_ARCH = 93,
	DHCP_OPT_CLIENT_NDI = 94,
	DHCP_OPT_UUID = 97,
	DHCP_OPT_IPXE_ENCAP = 175,
	DHCP_OPT_END = 255,
};

/* A received message. Options are stored concatenated per code (RFC 3396:
 * several instances of one code form one long option), in the order
 * options field, file, sname (RFC 2131 4.1, overload). */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	struct in_addr ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];

	uint8_t type;                  /* option 53, 0 if absent (BOOTP) */
	uint16_t opt_off[256];
	uint16_t opt_len[256];
	bool opt_present[256];
	uint8_t opt_data[DHCP_MAX_MSG];
	size_t opt_used;
};

/* -EBADMSG for anything malformed: short, wrong cookie, option running past
 * the end, bad op/htype/hlen. */
int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *ret);

/* Pointer to the (concatenated) option value and its length, or NULL. */
const uint8_t *dhcp_msg_option(const struct dhcp_msg *m, uint8_t code, size_t *ret_len);
/* Fixed-size accessors: -ENOENT if absent, -EBADMSG if the wrong size. */
int dhcp_msg_option_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *ret);
int dhcp_msg_option_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *ret);
int dhcp_msg_option_addr(const struct dhcp_msg *m, uint8_t code, struct in_addr *ret);
/* True if option `code` starts with prefix (vendor class "PXEClient", ...). */
bool dhcp_msg_option_has_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix);

/* Builder for a reply. The buffer size is the room the client accepts
 * (option 57) less IP/UDP headers; options that do not fit fail -ENOSPC
 * and the message stays valid without them. */
struct dhcp_builder {
	uint8_t *buf;
	size_t size;
	size_t len;
};

int dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t size, const struct dhcp_msg *req,
		    uint8_t type);
/* Values longer than 255 bytes are split into several instances (RFC 3396). */
int dhcp_build_option(struct dhcp_builder *b, uint8_t code, const void *data, size_t len);
int dhcp_build_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t value);
int dhcp_build_option_addr(struct dhcp_builder *b, uint8_t code, struct in_addr a);
/* Appends END and pads to the BOOTP minimum. Returns the total length. */
int dhcp_build_finish(struct dhcp_builder *b);
/* Room left for option payloads (excluding END). */
size_t dhcp_build_room(const struct dhcp_builder *b);
/* Header fields live at fixed offsets. */
void dhcp_build_set_addrs(struct dhcp_builder *b, struct in_addr ciaddr, struct in_addr yiaddr,
			  struct in_addr siaddr);
void dhcp_build_set_flags(struct dhcp_builder *b, uint16_t flags);
int dhcp_build_set_file(struct dhcp_builder *b, const char *file);
int dhcp_build_set_sname(struct dhcp_builder *b, const char *sname);
