/* GET /isos/NAME.iso (the whole ISO) and /isos/NAME.iso/PATH (one file
 * inside it, sent from its extent: no copy, no mount), with Range. */
#pragma once
#include <microhttpd.h>
#include <stdint.h>

/* REST: the URL after "/isos/". *ret_status: what was queued. */
enum MHD_Result iso_http_serve(struct MHD_Connection *c, const char *isos_dir, const char *rest, unsigned *ret_status,
			       uint64_t *ret_body);
