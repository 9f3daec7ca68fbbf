/* Shared between the parser (config.c) and the checks (config_check.c). */
#pragma once
#include "core/config.h"

void config_set_defaults(struct config *cfg);
/* Fills defaults that depend on other keys and cross-checks everything.
 * Prints "FILE:LINE: message" per problem; returns the number of problems. */
int config_finish(struct config *cfg);
