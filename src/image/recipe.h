/* Image recipes: a Dockerfile-like text, one instruction a line, parsed into
 * a list of steps. Pure: no I/O, no clock. Errors name RECIPE:LINE. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECIPE_MAX_BYTES (1u << 20)    /* a recipe larger than 1 MiB is refused */
#define RECIPE_MAX_LINE (64u << 10)    /* one instruction, continuations joined */
#define RECIPE_MAX_STEPS 256
#define RECIPE_MAX_COPY_SOURCES 64
#define RECIPE_MAX_EMPTY 4

enum recipe_op {
	RECIPE_FROM,
	RECIPE_RUN,
	RECIPE_COPY,
	RECIPE_PATCH,
	RECIPE_CMDLINE,
	RECIPE_FEATURE,
};

enum recipe_from_kind {
	RECIPE_FROM_ISO_PATH,     /* relative to the recipe's directory, or absolute */
	RECIPE_FROM_ISO_URL,      /* http:// or https:// */
	RECIPE_FROM_IMAGE,        /* image:NAME[@VERSION], a version built earlier */
};

enum recipe_patch_target {
	RECIPE_PATCH_ROOTFS,
	RECIPE_PATCH_INITRD,
};

/* What the live system gets from labboot beyond the recipe's own steps. */
enum recipe_feature {
	FEATURE_HOSTNAME,         /* the name of the host's DHCP reservation */
	FEATURE_NETWORKD,         /* systemd-networkd, DHCP with the MAC as client id */
	FEATURE_USER,             /* VALUE: the live user's name */
	FEATURE_TORAM,            /* copy the root into RAM (NFS root) */
	FEATURE_SSH_KEY,          /* VALUE: one authorized key line for root and the user */
	FEATURE_TIMEZONE,         /* VALUE: e.g. Europe/Amsterdam */
	FEATURE_NFS_HOME,         /* VALUE (optional): SERVER:/PATH for /home */
	FEATURE_CALLBACK,         /* "I am up" at multi-user.target (always on) */
	FEATURE_ROOT,             /* VALUE: http | nfs, how this image's root is reached by default */
	FEATURE_COUNT_,
};

struct recipe_step {
	enum recipe_op op;
	unsigned line;            /* first line of the instruction */
	char *text;               /* as written, continuations joined, one space */
	char *arg;                /* FROM source, RUN command, PATCH file, CMDLINE args, FEATURE value */
	/* FROM */
	enum recipe_from_kind from_kind;
	uint8_t sha256[32];
	bool has_sha256;
	char *empty[RECIPE_MAX_EMPTY]; /* --empty=LAYER: ISO layers replaced by empty ones */
	size_t n_empty;
	/* COPY */
	char **sources;
	size_t n_sources;
	char *dest;
	char *chown;              /* "USER[:GROUP]" or NULL: root, or as the source when numeric */
	mode_t chmod;
	bool has_chmod;
	/* PATCH */
	enum recipe_patch_target patch_target;
	/* FEATURE */
	enum recipe_feature feature;
};

struct recipe {
	struct recipe_step *steps;
	size_t n_steps;
};

/* Parses BUF (LEN bytes, need not be NUL-terminated). NAME is used in
 * messages. On error returns -EINVAL and writes "NAME:LINE: message" to ERR;
 * *ret is set only on success. */
int recipe_parse(const char *name, const char *buf, size_t len, struct recipe **ret, char *err,
		 size_t errlen);
void recipe_free(struct recipe *r);

const char *recipe_op_name(enum recipe_op op);
const char *recipe_feature_name(enum recipe_feature f);
/* Steps that produce a layer of the root filesystem. */
bool recipe_step_makes_layer(const struct recipe_step *s);
/* Parses "[0-7]{3,4}" into a mode; -EINVAL otherwise. */
int recipe_parse_mode(const char *s, mode_t *ret);
/* 64 hex digits into 32 bytes; -EINVAL otherwise. */
int parse_sha256_hex(const char *s, uint8_t out[32]);
void format_sha256_hex(char out[static 65], const uint8_t sha[32]);

/* The value of the recipe's last FEATURE F ("" if it takes none), or NULL
 * if the recipe does not ask for F. */
const char *recipe_feature_value(const struct recipe *r, enum recipe_feature f);
