/*
 * log.h - one line per message on stderr, with syslog levels.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with the "<N>"
 * priority prefix that journald reads; elsewhere with a UTC timestamp and
 * the level's name.  The level is tested before anything is formatted, so
 * a debug line costs nothing when debug is off.
 *
 * Wording, everywhere: "subsystem: what failed 'object': cause, what
 * happens next" in lower case, no full stop, units on numbers, and never a
 * secret or a whole response body.
 */
#ifndef DRIVEMON_LOG_H
#define DRIVEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Messages above this level (a syslog LOG_* value) are dropped. */
extern int log_max_level;

/* Set the level from a name ("debug", "info", ...); false if unknown. */
bool log_set_level_name(const char *name);

/* Choose the line format once at start: journald prefixes or timestamps. */
void log_init(void);

void log_write(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_at(level, ...)                               \
	do {                                             \
		if ((level) <= log_max_level)            \
			log_write((level), __VA_ARGS__); \
	} while (0)

#define log_err(...)	 log_at(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_at(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 log_at(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 log_at(LOG_DEBUG, __VA_ARGS__)

#endif
