/*
 * log.c - stderr logging with syslog levels.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int log_max_level = LOG_INFO;

static bool journald_prefix;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",	   [LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",	   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

bool log_set_level_name(const char *name)
{
	for (int level = 0; level <= LOG_DEBUG; level++) {
		if (strcmp(name, level_names[level]) == 0) {
			log_max_level = level;
			return true;
		}
	}
	return false;
}

void log_init(void)
{
	journald_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void log_write(int level, const char *fmt, ...)
{
	char line[2048];
	size_t n;
	va_list ap;

	if (journald_prefix) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>", level);
	} else {
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
				      now.tv_nsec / 1000000,
				      level_names[level]);
	}

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);

	/* One write per line, so that lines of threads never interleave. */
	n = strlen(line);
	if (n == sizeof(line) - 1)
		n--;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}
