/*
 * drivemonctl.c - look into a running (or stopped) agent's state.
 *
 * The tool opens the agent's store read-only, so it never disturbs the
 * agent and works while it runs.  Subcommands are a table; each takes the
 * arguments after its name.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "config.h"
#include "show.h"
#include "status.h"
#include "store.h"

struct ctl {
	const char *config_path;
	const char *state_dir;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drivemonctl [-c CONFIG | --state-dir DIR] COMMAND [ARG]...\n"
		"Look into drivemon's state.\n"
		"\n"
		"Commands:\n"
		"  status [--json]   per bucket: objects mirrored, pending and\n"
		"                    failed, the last complete cycle, and each\n"
		"                    failing key with its error, and sources\n"
		"                    whose handler failed or that conflicted\n"
		"  show BOT [KIND [NAME]] [--json]\n"
		"                    list a bot's artifacts, or print one; the\n"
		"                    config prints as name,value lines\n"
		"  compile FILE.bas [--ast|--mcp|--openai]\n"
		"                    compile a dialog: diagnostics on stderr,\n"
		"                    the tree or the tool schema on stdout;\n"
		"                    exit status 1 when it has errors\n"
		"\n"
		"Options:\n"
		"  -c, --config PATH    the agent's configuration (default %s);\n"
		"                       its state_dir is read\n"
		"  -s, --state-dir DIR  read this state folder instead\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Exit status: 0 success, 1 the state cannot be read, 2 usage.\n",
		DM_DEFAULT_CONFIG);
}

static int open_store(const struct ctl *ctl, struct store **store)
{
	struct dm_config *cfg = NULL;
	struct dm_error err = {0};
	char detail[400];
	const char *dir = ctl->state_dir;
	int rc = 0;

	if (!dir) {
		rc = config_load(ctl->config_path, CONFIG_NO_CREDENTIALS, &cfg,
				 &err);
		if (rc == 0)
			dir = cfg->state_dir;
	}
	if (rc == 0)
		rc = store_open(dir, STORE_READ_ONLY, store, &err);
	if (rc < 0)
		fprintf(stderr, "drivemonctl: %s\n",
			dm_error_str(&err, detail, sizeof(detail)));
	config_free(cfg);
	return rc;
}

static int cmd_status(const struct ctl *ctl, int argc, char **argv)
{
	struct store *store;
	bool json = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr,
				"drivemonctl: status: unknown argument "
				"'%s'\n",
				argv[i]);
			return 2;
		}
		json = true;
	}

	if (open_store(ctl, &store) < 0)
		return 1;
	rc = status_print(store, json, stdout);
	store_close(store);
	if (rc < 0) {
		fprintf(stderr, "drivemonctl: cannot read the state: %s\n",
			strerror(-rc));
		return 1;
	}
	return 0;
}

static int cmd_show(const struct ctl *ctl, int argc, char **argv)
{
	const char *words[3] = {NULL, NULL, NULL};
	struct store *store;
	bool json = false;
	int count = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (count < 3 && argv[i][0] != '-')
			words[count++] = argv[i];
		else {
			fprintf(stderr,
				"drivemonctl: show: unexpected argument "
				"'%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (count == 0) {
		fprintf(stderr, "drivemonctl: show: which bot?\n");
		return 2;
	}

	if (open_store(ctl, &store) < 0)
		return 1;
	rc = show_print(store, words[0], words[1], words[2], json, stdout);
	store_close(store);
	if (rc < 0 && rc != -ENOENT)
		fprintf(stderr, "drivemonctl: cannot read the state: %s\n",
			strerror(-rc));
	return rc < 0 ? 1 : 0;
}

static int cmd_compile(const struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	return compile_command(argc, argv);
}

static const struct {
	const char *name;
	int (*run)(const struct ctl *ctl, int argc, char **argv);
} commands[] = {
	{"status", cmd_status},
	{"show", cmd_show},
	{"compile", cmd_compile},
};

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	struct ctl ctl = {.config_path = DM_DEFAULT_CONFIG};
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:s:hV", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 's':
			ctl.state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("drivemonctl %s\n", DRIVEMON_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(&ctl, argc - optind,
					       argv + optind);
	}
	fprintf(stderr, "drivemonctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
