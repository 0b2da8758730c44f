/*
 * status.h - "drivemonctl status": what the agent has mirrored and what
 * fails, read from the store while the agent runs.
 */
#ifndef DRIVEMON_TOOLS_STATUS_H
#define DRIVEMON_TOOLS_STATUS_H

#include <stdbool.h>
#include <stdio.h>

struct store;

/*
 * Print every bucket's counts, its last complete cycle and each failing
 * key with its error, as text or as one JSON document.  Returns 0, or
 * -errno when the store cannot be read.
 */
int status_print(struct store *store, bool json, FILE *out);

#endif
