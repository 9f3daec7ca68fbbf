/* `labboot serve`: the servers on one loop, the configuration they share
 * (reloaded by SIGHUP and the control socket) and the state database. */
#pragma once

struct config;

/* Takes cfg (from runtime_config_open or config_load) and serves until a
 * termination signal. Returns the exit status. */
int daemon_serve(struct config *cfg);
