/*
 * hooks.c - spawn a hook, collect its standard error, bound its time.
 *
 * The child is started with posix_spawn() and watched through a pidfd and
 * the read end of its stderr pipe in one poll(), so that a hook that
 * closes its stderr and goes on running is still timed, and one that
 * fills the pipe is still drained.
 */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The end of a hook's stderr kept for the report. */
#define HOOK_STDERR_KEEP 2048

/* Words of a command line; longer lines are refused. */
#define HOOK_ARGS_MAX 64

struct hook_args {
	char *buffer; /* the words, NUL-separated */
	char *argv[HOOK_ARGS_MAX + 2];
	char *envp_extra[6];
	char **envp;
};

/* Split command into words: blanks separate, double quotes group. */
static int split_words(const char *command, struct hook_args *args,
		       size_t *count)
{
	char *out;
	const char *in = command;

	args->buffer = malloc(strlen(command) + 1);
	if (!args->buffer)
		return -ENOMEM;
	out = args->buffer;
	*count = 0;

	for (;;) {
		bool quoted = false;

		while (*in == ' ' || *in == '\t')
			in++;
		if (!*in)
			break;
		if (*count == HOOK_ARGS_MAX)
			return -E2BIG;
		args->argv[(*count)++] = out;
		while (*in && (quoted || (*in != ' ' && *in != '\t'))) {
			if (*in == '"')
				quoted = !quoted;
			else
				*out++ = *in;
			in++;
		}
		*out++ = '\0';
		if (quoted)
			return -EINVAL;
	}
	return *count ? 0 : -EINVAL;
}

static int build_env(const struct hook_subject *s, struct hook_args *args)
{
	const char *names[] = {"DRIVEMON_BOT", "DRIVEMON_KIND",
			       "DRIVEMON_BUCKET", "DRIVEMON_KEY",
			       "DRIVEMON_ETAG"};
	const char *values[] = {s->bot, s->kind, s->bucket, s->key, s->etag};
	size_t inherited = 0, n = 0;

	for (size_t i = 0; i < 5; i++)
		if (asprintf(&args->envp_extra[i], "%s=%s", names[i],
			     values[i]) < 0)
			return -ENOMEM;

	while (environ[inherited])
		inherited++;
	args->envp = calloc(inherited + 6, sizeof(char *));
	if (!args->envp)
		return -ENOMEM;
	for (size_t i = 0; i < inherited; i++)
		if (strncmp(environ[i], "DRIVEMON_", 9) != 0)
			args->envp[n++] = environ[i];
	for (size_t i = 0; i < 5; i++)
		args->envp[n++] = args->envp_extra[i];
	return 0;
}

static void free_args(struct hook_args *args)
{
	for (size_t i = 0; i < 5; i++)
		free(args->envp_extra[i]);
	free(args->envp);
	free(args->buffer);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep the last HOOK_STDERR_KEEP bytes read from fd; true at its end. */
static bool drain(int fd, char *tail, size_t *len)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t take = (size_t)n;

		if (take >= HOOK_STDERR_KEEP) {
			memcpy(tail, chunk + take - HOOK_STDERR_KEEP,
			       HOOK_STDERR_KEEP);
			*len = HOOK_STDERR_KEEP;
			continue;
		}
		if (*len + take > HOOK_STDERR_KEEP) {
			size_t drop = *len + take - HOOK_STDERR_KEEP;

			memmove(tail, tail + drop, *len - drop);
			*len -= drop;
		}
		memcpy(tail + *len, chunk, take);
		*len += take;
	}
	return n == 0;
}

/* Wait for the child, reading its stderr; true when it was timed out. */
static bool watch_child(pid_t pid, int err_fd, unsigned timeout_ms, char *tail,
			size_t *tail_len, int *status)
{
	int pidfd = (int)pidfd_open(pid, 0);
	int64_t deadline = now_ms() + timeout_ms;
	bool timed_out = false, err_open = true;

	while (pidfd >= 0) {
		struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN},
					{.fd = err_fd, .events = POLLIN}};
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			timed_out = true;
			break;
		}
		if (poll(fds, err_open ? 2 : 1, (int)left) < 0 &&
		    errno != EINTR)
			break;
		if (err_open && fds[1].revents)
			err_open = !drain(err_fd, tail, tail_len);
		if (fds[0].revents)
			break;
	}

	waitpid(pid, status, 0);
	if (err_open)
		drain(err_fd, tail, tail_len);
	if (pidfd >= 0)
		close(pidfd);
	return timed_out;
}

static char *make_report(int status, bool timed_out, unsigned timeout_ms,
			 const char *tail, size_t tail_len)
{
	char head[64];
	char *report;

	if (timed_out)
		snprintf(head, sizeof(head), "timed out after %u ms",
			 timeout_ms);
	else if (WIFEXITED(status))
		snprintf(head, sizeof(head), "exit status %d",
			 WEXITSTATUS(status));
	else
		snprintf(head, sizeof(head), "killed by signal %d",
			 WTERMSIG(status));

	while (tail_len && (tail[tail_len - 1] == '\n'))
		tail_len--;
	if (asprintf(&report, "%s%s%.*s", head, tail_len ? ": " : "",
		     (int)tail_len, tail) < 0)
		return NULL;
	return report;
}

int hook_run(const char *command, const struct hook_subject *subject,
	     unsigned timeout_ms, char **report)
{
	struct hook_args args = {0};
	posix_spawn_file_actions_t actions;
	char tail[HOOK_STDERR_KEEP];
	size_t count, tail_len = 0;
	int pipe_fds[2], status = 0, rc;
	bool timed_out;
	pid_t pid;

	*report = NULL;
	rc = split_words(command, &args, &count);
	if (rc == 0) {
		args.argv[count] = (char *)subject->path;
		args.argv[count + 1] = NULL;
		rc = build_env(subject, &args);
	}
	if (rc < 0) {
		if (asprintf(report, "cannot run '%s': %s", command,
			     rc == -EINVAL ? "not a command line"
					   : strerror(-rc)) < 0)
			*report = NULL;
		free_args(&args);
		return rc;
	}
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = -errno;
		free_args(&args);
		return rc;
	}

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	rc = posix_spawnp(&pid, args.argv[0], &actions, NULL, args.argv,
			  args.envp);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (rc != 0) {
		if (asprintf(report, "cannot run '%s': %s", args.argv[0],
			     strerror(rc)) < 0)
			*report = NULL;
		close(pipe_fds[0]);
		free_args(&args);
		return -rc;
	}

	timed_out = watch_child(pid, pipe_fds[0], timeout_ms, tail, &tail_len,
				&status);
	close(pipe_fds[0]);
	free_args(&args);
	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	*report = make_report(status, timed_out, timeout_ms, tail, tail_len);
	return timed_out ? -ETIMEDOUT : -ECHILD;
}
