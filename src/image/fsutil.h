/* Filesystem helpers the image builder's parts share: directories made
 * below a root, sorted directory listings, fsync and removal of trees. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p of ROOT/REL's parent directories (REL's last component is not
 * made), with MODE for what is created. */
int mkdir_parents(const char *root, const char *rel, mode_t mode);
/* mkdir -p of PATH itself. */
int mkdir_all(const char *path, mode_t mode);
/* The names in directory PATH without "." and "..", sorted bytewise.
 * Returns the count (free with free_names) or -errno. */
int list_dir_sorted(const char *path, char ***ret);
void free_names(char **names, int n);

int fsync_path(const char *path);
int fsync_tree(const char *dir);
/* rm -rf that stays on one filesystem and never follows symlinks. */
int remove_tree(const char *path);
