/*
 * daemon.h - the agent's main loop.
 *
 * One epoll loop waits on a signalfd (SIGTERM, SIGINT, SIGHUP) and a
 * timerfd that starts the next cycle poll_interval after the previous one
 * ended, so cycles never overlap.  A cycle runs on the loop's thread and
 * is interrupted between writes when SIGTERM or SIGINT arrives.  SIGHUP
 * reloads the configuration after the cycle in progress; a bad new file
 * is reported and the old configuration kept.
 */
#ifndef DRIVEMON_DAEMON_H
#define DRIVEMON_DAEMON_H

#include <stdbool.h>

struct daemon_options {
	const char *config_path;
	bool once;	       /* one cycle and its handlers, then exit */
	bool dev;	       /* dev mode whatever the configuration says */
	const char *log_level; /* from -v or DRIVEMON_LOG; NULL: config's */
};

/* Exit statuses of drivemon. */
enum daemon_exit {
	DAEMON_EXIT_OK = 0,
	DAEMON_EXIT_FAILURES = 1, /* --once: an object or bucket failed */
	DAEMON_EXIT_SETUP = 2,	  /* bad configuration or cannot start */
};

/* Run until stopped by a signal (or after one cycle); returns the status. */
int daemon_run(const struct daemon_options *options);

#endif
