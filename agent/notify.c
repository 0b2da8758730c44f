/*
 * notify.c - sd_notify(3) messages, through libsystemd.
 */
#include "notify.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static uint64_t watchdog_usec; /* 0: no watchdog */
static uint64_t last_fed_usec;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void notify_init(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		watchdog_usec = usec;
	last_fed_usec = now_usec();
}

void notify_ready(void)
{
	sd_notify(0, "READY=1");
}

void notify_status(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void notify_watchdog(void)
{
	uint64_t now;

	if (!watchdog_usec)
		return;
	now = now_usec();
	if (now - last_fed_usec < watchdog_usec / 2)
		return;
	last_fed_usec = now;
	sd_notify(0, "WATCHDOG=1");
}

int notify_watchdog_timeout_ms(void)
{
	uint64_t due, now;

	if (!watchdog_usec)
		return -1;
	due = last_fed_usec + watchdog_usec / 2;
	now = now_usec();
	return now >= due ? 0 : (int)((due - now) / 1000) + 1;
}
