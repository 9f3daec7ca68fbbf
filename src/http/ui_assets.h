/* The dashboard's script and style sheet (src/http/ui/), compiled in by
 * src/http/ui/embed.py so that the binary serves them from anywhere. */
#pragma once
#include <stddef.h>

extern const char ui_asset_js[], ui_asset_css[];
extern const size_t ui_asset_js_len, ui_asset_css_len;
