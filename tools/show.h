/*
 * show.h - "drivemonctl show": a bot's artifacts, read from the store.
 */
#ifndef DRIVEMON_TOOLS_SHOW_H
#define DRIVEMON_TOOLS_SHOW_H

#include <stdbool.h>
#include <stdio.h>

struct store;

/*
 * bot is a bot name ("demo", meaning bucket "demo.gbai") or a bucket
 * name.  With neither kind nor name, list the bot's artifacts; with a
 * kind, list that kind's, or print the artifact when the kind has one
 * named after it (the config); with both, print that artifact.  A config
 * prints as name,value lines, or as its JSON object with json.  Returns 0,
 * -ENOENT (with a message on stderr) when there is no such bot or
 * artifact, or another -errno when the store cannot be read.
 */
int show_print(struct store *store, const char *bot, const char *kind,
	       const char *name, bool json, FILE *out);

#endif
