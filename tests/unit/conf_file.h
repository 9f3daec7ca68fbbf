/* Loads a configuration given as a string, through the real parser. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/config.h"

static inline struct config *load_conf(const char *text)
{
	char path[] = "/tmp/labboot-test-conf.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct config *cfg = NULL;

	fputs(text, f);
	fclose(f);
	if (config_load(path, &cfg) < 0)
		cfg = NULL;
	unlink(path);
	return cfg;
}
