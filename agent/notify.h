/*
 * notify.h - telling systemd how the agent is (Type=notify).
 *
 * READY=1 once the first cycle has ended, so that units ordered after
 * drivemon find a mirror; a STATUS= line after each cycle for
 * "systemctl status"; WATCHDOG=1 at half the interval systemd asks for,
 * from the event loop and from inside long cycles.  Outside systemd
 * (no NOTIFY_SOCKET) every call does nothing.  One thread calls these.
 */
#ifndef DRIVEMON_NOTIFY_H
#define DRIVEMON_NOTIFY_H

/* Read the watchdog interval systemd set, if any. */
void notify_init(void);

/* Ready: after the first cycle, and after a reload. */
void notify_ready(void);

/* One line for systemctl status; printf format. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The agent is stopping or reloading its configuration. */
void notify_stopping(void);
void notify_reloading(void);

/* Feed the watchdog when half its interval has passed since the last. */
void notify_watchdog(void);

/*
 * Milliseconds until the watchdog wants feeding, for epoll_wait(); -1
 * when there is no watchdog.
 */
int notify_watchdog_timeout_ms(void);

#endif
