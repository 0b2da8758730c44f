/*
 * main.c - drivemon-fs: mount the read-only view of the agent's store.
 *
 * It runs in the foreground, systemd style, and reads the agent's
 * configuration for the state folder and, unless given on the command
 * line, the mount point.  A mount point left behind by a crashed
 * drivemon-fs ("transport endpoint is not connected") is unmounted
 * before mounting again.  SIGTERM, SIGINT and SIGHUP unmount and exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fs.h"
#include "fsview.h"
#include "log.h"
#include "store.h"

struct options {
	const char *config_path, *state_dir, *mountpoint;
	bool allow_other, debug;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drivemon-fs [OPTION]... [MOUNTPOINT]\n"
		"Show what drivemon made of each bot package as a read-only\n"
		"filesystem: configs, dialog trees, tool schemas, errors.\n"
		"\n"
		"  -c, --config PATH     the agent's configuration (default %s);\n"
		"                        its state_dir is read, and [fuse]\n"
		"                        mountpoint when MOUNTPOINT is not given\n"
		"  -s, --state-dir DIR   read this state folder instead\n"
		"      --allow-other     let other users read the view (as\n"
		"                        [fuse] allow_other; needs user_allow_other\n"
		"                        in /etc/fuse.conf when not root)\n"
		"  -v, --verbose         log at debug level\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Exit status: 0 unmounted cleanly, 1 cannot mount, 2 usage or\n"
		"configuration.  See drivemon-fs(8).\n",
		DM_DEFAULT_CONFIG);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"allow-other", no_argument, NULL, 'a'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	int opt;

	o->config_path = DM_DEFAULT_CONFIG;
	while ((opt = getopt_long(argc, argv, "c:s:vhV", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			o->config_path = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'a':
			o->allow_other = true;
			break;
		case 'v':
			o->debug = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("drivemon-fs %s\n", DRIVEMON_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->mountpoint = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Fill what the command line left open from the configuration. */
static int apply_config(struct options *o, struct dm_config **cfg)
{
	struct dm_error err = {0};
	char detail[400];

	*cfg = NULL;
	if (o->state_dir && o->mountpoint)
		return 0;
	if (config_load(o->config_path, CONFIG_NO_CREDENTIALS, cfg, &err) < 0) {
		fprintf(stderr, "drivemon-fs: %s\n",
			dm_error_str(&err, detail, sizeof(detail)));
		return -EINVAL;
	}
	if (!o->state_dir)
		o->state_dir = (*cfg)->state_dir;
	if (!o->mountpoint && (*cfg)->fuse_mountpoint[0])
		o->mountpoint = (*cfg)->fuse_mountpoint;
	o->allow_other = o->allow_other || (*cfg)->fuse_allow_other;
	if (!o->mountpoint) {
		fprintf(stderr,
			"drivemon-fs: no mount point: give one, or set "
			"[fuse] mountpoint in %s\n",
			o->config_path);
		return -EINVAL;
	}
	return 0;
}

/* mountinfo writes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Is a drivemon view mounted on mountpoint (an absolute path)? */
static bool view_mounted(const char *mountpoint)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char point[4096], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape(point);
		found = strcmp(point, mountpoint) == 0 &&
			strncmp(dash + 3, "fuse.drivemon ", 14) == 0;
	}
	fclose(f);
	return found;
}

/*
 * A crashed drivemon-fs leaves its mount point unusable ("transport
 * endpoint is not connected"): clear it.  Opening a file asks the
 * daemon every time, whatever the kernel has cached, so it tells a dead
 * mount from a live one.  Returns -EBUSY when a live view is there.
 */
static int clear_stale_mount(const char *mountpoint)
{
	char path[4200], real[4096];
	pid_t pid;
	int fd;

	if (!realpath(mountpoint, real)) {
		if (errno != ENOTCONN)
			return 0;
		snprintf(real, sizeof(real), "%s", mountpoint);
	}
	if (!view_mounted(real))
		return 0;
	snprintf(path, sizeof(path), "%s/status.json", real);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		log_err("fs: '%s' is already mounted by a running drivemon-fs",
			mountpoint);
		return -EBUSY;
	}
	log_notice("fs: '%s' is a stale mount; unmounting it", mountpoint);
	if (umount2(real, MNT_DETACH) == 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", real,
		       (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return 0;
}

static int serve(struct fs *fs, const struct options *o)
{
	char *argv[] = {"drivemon-fs", "-o", NULL, NULL};
	char mount_options[128];
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	int rc = 1;

	snprintf(mount_options, sizeof(mount_options),
		 "ro,default_permissions,fsname=drivemon,subtype=drivemon%s",
		 o->allow_other ? ",allow_other" : "");
	argv[2] = mount_options;

	fs->session = fuse_session_new(&args, &fsops, sizeof(fsops), fs);
	if (!fs->session)
		return 1;
	if (fuse_set_signal_handlers(fs->session) != 0)
		goto out_destroy;
	if (clear_stale_mount(o->mountpoint) < 0)
		goto out_signals;
	if (fuse_session_mount(fs->session, o->mountpoint) != 0) {
		log_err("fs: cannot mount on '%s'", o->mountpoint);
		goto out_signals;
	}
	if (refresh_start(fs) < 0) {
		log_err("fs: cannot start following the store");
		goto out_unmount;
	}
	log_info("fs: drivemon %s view of '%s' mounted on '%s'",
		 DRIVEMON_VERSION, o->state_dir, o->mountpoint);

	rc = fuse_session_loop(fs->session) < 0 ? 1 : 0;

	refresh_stop(fs);
out_unmount:
	fuse_session_unmount(fs->session);
	log_info("fs: '%s' unmounted", o->mountpoint);
out_signals:
	fuse_remove_signal_handlers(fs->session);
out_destroy:
	fuse_session_destroy(fs->session);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct fs fs = {0};
	struct dm_error err;
	struct dm_config *cfg;
	int rc;

	log_init();
	if (parse_options(argc, argv, &o) < 0 || apply_config(&o, &cfg) < 0)
		return 2;
	if (o.debug)
		log_set_level_name("debug");

	fs.state_dir = o.state_dir;
	pthread_mutex_init(&fs.lock, NULL);
	/*
	 * The mount shows the store from its first request; without a store
	 * yet, an empty view waits for the refresh thread to find one.
	 */
	if (store_open(fs.state_dir, STORE_READ_ONLY, &fs.store, &err) < 0)
		fs.store = NULL;
	if (fsview_build(fs.store, &fs.view) < 0 &&
	    fsview_build(NULL, &fs.view) < 0)
		return 1;

	rc = serve(&fs, &o);

	for (size_t i = 0; i < RETIRED_VIEWS; i++)
		fsview_unref(fs.retired[i]);
	fsview_unref(fs.view);
	store_close(fs.store);
	config_free(cfg);
	return rc;
}
