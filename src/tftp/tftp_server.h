/* TFTP server: sockets, timers and policy on top of the tftp codec. */
#pragma once

struct config;
struct loop;
struct store;
struct metrics;
struct tftp_server;

/* metrics may be NULL. */
int tftp_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct tftp_server **ret);
void tftp_server_free(struct tftp_server *srv);
/* A reloaded configuration (transfers in flight keep their files). */
void tftp_server_reconfigure(struct tftp_server *srv, const struct config *cfg);
