/* sim_link.h — the simulator's two sockets: the vpcd TCP link (the "field") and the unix
 * control socket. Used by sim_run.c and sim_main.c only. */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stddef.h>
#include <stdint.h>

#define SIM_FRAME_MAX 65535u   /* a vpcd frame length is two bytes */

struct sim_vpcd {
	char host[256];
	char port[8];
	int fd;                    /* -1 while away from the field */
};

int sim_vpcd_parse_addr(struct sim_vpcd *v, const char *hostport);  /* "HOST:PORT"; 0 or -1 */
int sim_vpcd_connect(struct sim_vpcd *v);      /* 0 connected, -1 not (yet): vpcd not listening */
void sim_vpcd_close(struct sim_vpcd *v);
/* Read one whole frame (blocking; vpcd writes frames at once). 0 ok, -1 link closed or broken. */
int sim_vpcd_recv(struct sim_vpcd *v, uint8_t *buf, size_t *len);
int sim_vpcd_send(struct sim_vpcd *v, const uint8_t *p, size_t n);  /* 0 or -1 */

#define SIM_CTL_LINE_MAX 256
int sim_ctl_listen(const char *path);          /* fd, or -1 (message on stderr) */
/* Accept one client and read its command line (without newline). Returns the client fd or -1. */
int sim_ctl_accept(int lfd, char *line, size_t linelen);
void sim_ctl_reply(int cfd, const char *text);  /* writes text and closes cfd */
/* The `ctl` subcommand: send cmdline, print the answer. Returns the process exit code. */
int sim_ctl_client(const char *path, const char *cmdline);

#endif
