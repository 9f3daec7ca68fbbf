/* `labboot explain MAC`: what labboot would answer a machine, without the
 * machine: the firmware's DHCP answer for its architecture, iPXE's, and
 * the script iPXE would fetch, with the configuration that decided each. */
#pragma once
#include <stdint.h>
#include <stdio.h>

struct config;
struct store;

/* arch: bios, efi64, arm64 or http (UEFI HTTP boot). -EINVAL otherwise. */
int explain(const struct config *cfg, struct store *st, const uint8_t mac[6], const char *arch, FILE *out);
