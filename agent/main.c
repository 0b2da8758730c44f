/*
 * main.c - drivemon's command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drivemon [OPTION]...\n"
		"Mirror S3 buckets of bot packages into a local folder, keep it\n"
		"current and run a handler on every changed source file.\n"
		"\n"
		"  -c, --config PATH  configuration file (default %s)\n"
		"      --once         run one cycle over every bucket and exit;\n"
		"                     the status is 1 if any object failed\n"
		"      --dev          dev mode: local edits in work_root are\n"
		"                     uploaded to the bucket (as [dev] enabled)\n"
		"  -v, --verbose      log at debug level (also DRIVEMON_LOG=debug)\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"Signals: SIGTERM and SIGINT stop after the write in progress;\n"
		"SIGHUP reloads the configuration.\n"
		"Exit status: 0 success, 1 objects or buckets failed (--once),\n"
		"2 bad configuration or start-up failure.\n"
		"See drivemon(8) and drivemon.conf(5).\n",
		DM_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"dev", no_argument, NULL, 'd'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	struct daemon_options options = {
		.config_path = DM_DEFAULT_CONFIG,
		.log_level = getenv("DRIVEMON_LOG"),
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:vhV", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			options.config_path = optarg;
			break;
		case 'o':
			options.once = true;
			break;
		case 'd':
			options.dev = true;
			break;
		case 'v':
			options.log_level = "debug";
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("drivemon %s\n", DRIVEMON_VERSION);
			return 0;
		default:
			usage(stderr);
			return DAEMON_EXIT_SETUP;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "drivemon: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return DAEMON_EXIT_SETUP;
	}
	return daemon_run(&options);
}
