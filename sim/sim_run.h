/* sim_run.h — `skinkey-sim run`: the single-threaded poll() loop. */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include "sim_core.h"

struct sim_run_opts {
	const struct sim_personality *pers;
	const char *state_path;
	const char *ctl_path;
	const char *vpcd_addr;   /* HOST:PORT */
};

int sim_run(const struct sim_run_opts *o);   /* process exit code */

#endif
