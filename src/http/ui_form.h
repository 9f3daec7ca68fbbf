/* The dashboard's small codecs, pure: the fields of an
 * application/x-www-form-urlencoded body (WHATWG URL "urlencoded
 * parsing"), the URL encoding of a message put into a redirect, and the
 * same-origin check its changes need against cross-site requests. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define UI_FORM_FIELD_MAX 1024        /* a decoded value's bytes, NUL excluded */

/* The first value of KEY in BODY (len bytes, not NUL-terminated),
 * decoded ('+' is a space, %XX a byte) into out (size bytes, NUL-terminated).
 * Returns its length, -ENOENT if absent, -EINVAL for a malformed %-escape,
 * a NUL or a control character in it, -E2BIG if it does not fit. */
int ui_form_get(const char *body, size_t len, const char *key, char *out, size_t size);

/* Percent-encodes s (every byte but A-Z a-z 0-9 - . _ ~) into out;
 * a value that does not fit is cut at a whole escape. Returns the length. */
size_t ui_url_encode(const char *s, char *out, size_t size);

/* A request from a page of this server: its Origin (else its Referer)
 * names the scheme and the Host it was sent to. Browsers send Origin with
 * every POST; a request with neither is refused (a form post from a page
 * that hides its Referer is then refused too, which is the safe side). */
bool ui_same_origin(const char *host, const char *origin, const char *referer);
