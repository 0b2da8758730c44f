/*
 * daemon.c - start-up, the event loop, reloads and the cycle summary.
 */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "devsync.h"
#include "drive.h"
#include "localfs.h"
#include "log.h"
#include "mirror.h"
#include "notify.h"
#include "processor.h"
#include "store.h"
#include "watch.h"

struct agent {
	const struct daemon_options *options;
	struct dm_config *cfg;
	struct store *store;
	struct drive *drive;
	struct mirror *mirror;
	struct processor *processor;
	struct watch *watch;	 /* NULL with --once */
	struct devsync *devsync; /* NULL outside dev mode */
	int signal_fd, timer_fd, epoll_fd;
	bool stop, reload;
};

/* Folders under work_root that are the agent's, not a bucket's. */
static const char *const unwatched[] = {LOCALFS_PARTIAL_DIR, NULL};

/* Dev mode: the mirror found a local edit the watcher did not report. */
static void note_local_edit(void *ctx, const char *bucket, const char *key)
{
	struct agent *a = ctx;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", bucket, key);
	devsync_note(a->devsync, path);
}

/* The handlers, the watcher and dev mode, over an open mirror. */
static int open_reactions(struct agent *a, struct dm_config *cfg,
			  struct dm_error *err)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int rc;

	rc = processor_open(cfg, a->store, &a->processor, err);
	if (rc == 0 && !a->options->once) {
		rc = watch_open(cfg->work_root, cfg->settle_ms, unwatched,
				&a->watch, err);
		ev.data.fd = rc == 0 ? watch_fd(a->watch) : -1;
		if (rc == 0 &&
		    epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
			rc = dm_error_set(err, -errno,
					  "cannot poll the watcher: %s",
					  strerror(errno));
	}
	if (rc == 0 && cfg->dev_mode) {
		rc = devsync_open(cfg, a->store, a->drive, &a->devsync, err);
		if (rc == 0)
			mirror_on_local_edit(a->mirror, note_local_edit, a);
	}
	if (rc == 0 && processor_scan(a->processor) < 0)
		log_warning("handlers: the start-up scan failed; sources are "
			    "handled as they change");
	return rc;
}

/* The parts that depend on the configuration, opened together. */
static int open_parts(struct agent *a, struct dm_config *cfg)
{
	struct dm_error err = {0};
	char detail[400];
	int rc;

	rc = localfs_make_dirs(cfg->state_dir, &err);
	if (rc == 0)
		rc = store_open(cfg->state_dir, STORE_READ_WRITE, &a->store,
				&err);
	if (rc == 0)
		rc = drive_open(cfg, a->store, &a->drive, &err);
	if (rc == 0)
		rc = mirror_open(cfg, a->store, a->drive, &a->mirror, &err);
	if (rc == 0) {
		if (a->options->dev)
			cfg->dev_mode = true;
		rc = open_reactions(a, cfg, &err);
	}
	if (rc < 0) {
		log_err("drivemon: cannot start: %s",
			dm_error_str(&err, detail, sizeof(detail)));
		return rc;
	}
	a->cfg = cfg;
	return 0;
}

static void close_parts(struct agent *a)
{
	if (a->watch)
		epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, watch_fd(a->watch), NULL);
	watch_free(a->watch);
	devsync_free(a->devsync);
	processor_free(a->processor);
	mirror_free(a->mirror);
	drive_free(a->drive);
	store_close(a->store);
	config_free(a->cfg);
	a->watch = NULL;
	a->devsync = NULL;
	a->processor = NULL;
	a->mirror = NULL;
	a->drive = NULL;
	a->store = NULL;
	a->cfg = NULL;
}

static void apply_log_level(const struct agent *a)
{
	const char *level = a->options->log_level ? a->options->log_level
						  : a->cfg->log_level;

	if (!log_set_level_name(level))
		log_warning("drivemon: unknown log level '%s', keeping %d",
			    level, log_max_level);
}

static void log_running(const struct agent *a)
{
	log_info("drivemon %s: mirroring %s into %s every %u ms",
		 DRIVEMON_VERSION, a->cfg->endpoint, a->cfg->work_root,
		 a->cfg->poll_interval_ms);
	if (a->cfg->dev_mode)
		log_notice("drivemon: dev mode: local edits in %s go back to "
			   "the bucket",
			   a->cfg->work_root);
}

static int load_config(const char *path, struct dm_config **cfg)
{
	struct dm_error err = {0};
	char detail[400];
	int rc = config_load(path, 0, cfg, &err);

	if (rc < 0)
		log_err("config: %s",
			dm_error_str(&err, detail, sizeof(detail)));
	return rc;
}

/* Read pending signals; true when one asks the agent to stop. */
static bool drain_signals(struct agent *a)
{
	struct signalfd_siginfo info;

	while (read(a->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP) {
			a->reload = true;
		} else {
			if (!a->stop)
				log_notice(
					"drivemon: signal %u, stopping after "
					"the write in progress",
					info.ssi_signo);
			a->stop = true;
		}
	}
	return a->stop;
}

/* Asked between writes of a cycle: a signal, and a chance to feed the
 * watchdog during a long cycle. */
static bool interrupted(void *ctx)
{
	notify_watchdog();
	return drain_signals(ctx);
}

static void reload(struct agent *a)
{
	struct dm_config *cfg;

	a->reload = false;
	notify_reloading();
	log_notice("drivemon: reloading '%s'", a->options->config_path);
	if (load_config(a->options->config_path, &cfg) < 0) {
		log_err("drivemon: keeping the running configuration");
		return;
	}

	close_parts(a);
	if (open_parts(a, cfg) < 0) {
		config_free(cfg);
		a->stop = true;
		return;
	}
	apply_log_level(a);
	log_running(a);
	notify_ready();
}

static void format_bytes(uint64_t bytes, char *out, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double value = (double)bytes;
	size_t unit = 0;

	while (value >= 1024 && unit < 4) {
		value /= 1024;
		unit++;
	}
	snprintf(out, len, unit ? "%.1f %s" : "%.0f %s", value, units[unit]);
}

static int run_cycle(struct agent *a)
{
	struct mirror_stats stats;
	struct dm_error err;
	struct timespec start, end;
	char size[32];
	double seconds;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = mirror_cycle(a->mirror, interrupted, a, &stats, &err);
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = (double)(end.tv_sec - start.tv_sec) +
		  (double)(end.tv_nsec - start.tv_nsec) / 1e9;

	if (rc < 0 && rc != -EINTR && stats.buckets == 0) {
		char detail[400];

		log_err("cycle: %s; nothing changed",
			dm_error_str(&err, detail, sizeof(detail)));
		return rc;
	}

	format_bytes(stats.bytes, size, sizeof(size));
	log_info("cycle: %llu buckets (%llu failed), %llu objects listed, "
		 "%llu downloaded (%s), %llu deleted, %llu restored, %llu "
		 "failed, %llu refused%s in %.2f s",
		 (unsigned long long)stats.buckets,
		 (unsigned long long)stats.buckets_failed,
		 (unsigned long long)stats.listed,
		 (unsigned long long)stats.downloaded, size,
		 (unsigned long long)stats.deleted,
		 (unsigned long long)stats.restored,
		 (unsigned long long)stats.failed,
		 (unsigned long long)stats.refused,
		 rc == -EINTR ? ", interrupted" : "", seconds);

	notify_status("last cycle: %llu objects listed, %llu downloaded, "
		      "%llu failed, in %.2f s",
		      (unsigned long long)stats.listed,
		      (unsigned long long)stats.downloaded,
		      (unsigned long long)stats.failed, seconds);
	if (rc == 0 && (stats.failed || stats.refused))
		rc = -EIO;
	return rc;
}

static int arm_timer(struct agent *a)
{
	struct itimerspec next = {0};

	next.it_value.tv_sec = a->cfg->poll_interval_ms / 1000;
	next.it_value.tv_nsec =
		(long)(a->cfg->poll_interval_ms % 1000) * 1000000;
	return timerfd_settime(a->timer_fd, 0, &next, NULL);
}

/* A conflict or lost events: fetch the bucket's versions at once. */
static void arm_timer_now(struct agent *a)
{
	struct itimerspec next = {.it_value.tv_nsec = 1};

	timerfd_settime(a->timer_fd, 0, &next, NULL);
}

static int setup_events(struct agent *a)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);

	a->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	a->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (a->signal_fd < 0 || a->timer_fd < 0 || a->epoll_fd < 0)
		return -errno;

	ev.data.fd = a->signal_fd;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->signal_fd, &ev) < 0)
		return -errno;
	ev.data.fd = a->timer_fd;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->timer_fd, &ev) < 0)
		return -errno;
	return 0;
}

static void close_events(struct agent *a)
{
	if (a->epoll_fd >= 0)
		close(a->epoll_fd);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
}

static void on_change(void *ctx, enum watch_change change, const char *path)
{
	struct agent *a = ctx;

	(void)change;
	processor_change(a->processor, path);
	if (a->devsync)
		devsync_note(a->devsync, path);
}

static void on_lost_events(void *ctx)
{
	struct agent *a = ctx;

	log_notice("watch: inotify dropped events; rescanning work_root");
	if (processor_scan(a->processor) < 0)
		log_warning("handlers: the rescan failed");
	if (a->devsync)
		arm_timer_now(a);
}

/* Hand settled changes to the handlers and, in dev mode, to the bucket. */
static void react(struct agent *a)
{
	watch_dispatch(a->watch, on_change, on_lost_events, a);
	if (a->devsync && devsync_flush(a->devsync) > 0)
		arm_timer_now(a);
}

/* The sooner of two epoll timeouts, -1 meaning none. */
static int earliest(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void event_loop(struct agent *a)
{
	while (!a->stop) {
		struct epoll_event events[4];
		uint64_t expirations;
		int n = epoll_wait(a->epoll_fd, events, 4,
				   earliest(watch_next_timeout_ms(a->watch),
					    notify_watchdog_timeout_ms()));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("drivemon: epoll_wait: %s", strerror(errno));
			return;
		}
		notify_watchdog();
		drain_signals(a);
		if (a->reload && !a->stop)
			reload(a);
		if (a->stop)
			break;
		n = watch_read(a->watch);
		if (n < 0)
			log_err("watch: cannot read inotify events: %s",
				strerror(-n));
		react(a);
		if (read(a->timer_fd, &expirations, sizeof(expirations)) > 0) {
			run_cycle(a);
			if (a->devsync)
				devsync_flush(a->devsync);
			if (a->reload && !a->stop)
				reload(a);
			if (!a->stop)
				arm_timer(a);
		}
	}
}

int daemon_run(const struct daemon_options *options)
{
	struct agent a = {.options = options,
			  .signal_fd = -1,
			  .timer_fd = -1,
			  .epoll_fd = -1};
	struct dm_config *cfg;
	int status = DAEMON_EXIT_SETUP;
	int rc;

	log_init();
	if (options->log_level && !log_set_level_name(options->log_level)) {
		log_err("drivemon: unknown log level '%s'", options->log_level);
		return DAEMON_EXIT_SETUP;
	}
	if (load_config(options->config_path, &cfg) < 0)
		return DAEMON_EXIT_SETUP;
	if (setup_events(&a) < 0) {
		log_err("drivemon: cannot set up events: %s", strerror(errno));
		config_free(cfg);
		goto out_close;
	}
	if (open_parts(&a, cfg) < 0) {
		config_free(cfg);
		goto out_close;
	}
	apply_log_level(&a);
	log_running(&a);
	notify_init();

	/* Ready once the mirror is there for whatever depends on it. */
	rc = run_cycle(&a);
	notify_ready();
	if (options->once) {
		if (a.devsync)
			devsync_flush(a.devsync);
		processor_scan(a.processor);
		processor_wait_idle(a.processor);
		status = rc < 0 ? DAEMON_EXIT_FAILURES : DAEMON_EXIT_OK;
	} else if (!a.stop) {
		arm_timer(&a);
		event_loop(&a);
		status = DAEMON_EXIT_OK;
	} else {
		status = DAEMON_EXIT_OK;
	}
	notify_stopping();
	log_info("drivemon: stopped");

	close_parts(&a);
out_close:
	close_events(&a);
	return status;
}
