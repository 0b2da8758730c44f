/*
 * claims.h - one name, one source: artifacts two sources would both make.
 *
 * Artifact names are unique per bot and kind: two dialogs "a/quote.bas"
 * and "b/quote.bas" would both make the tool "quote".  The source that
 * comes second is refused, and both records say so, naming each other, so
 * that status shows the two files to look at.  Once either changes or goes
 * away, the other is handled again and takes the name if it is free.
 * Called by the processor inside its write transaction.
 */
#ifndef DRIVEMON_CLAIMS_H
#define DRIVEMON_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "handlers.h"

struct store;
struct store_txn;

/* The status a source refused for a taken name records. */
#define CLAIMS_STATUS (-ENOTUNIQ)

struct claim_clash {
	char kind[HANDLER_KIND_MAX + 1];
	char name[256];
	char owner[512]; /* the source key that has the name */
};

/*
 * Does another source of the bucket have one of result's names?  Returns
 * 1 with *clash filled, 0 when all are free, or -errno.
 */
int claims_find_clash(struct store_txn *txn, uint32_t bucket_id,
		      const char *key, const struct handler_result *result,
		      struct claim_clash *clash);

/*
 * The refusal of key for clash, as diagnostics (malloc'd), and the same
 * noted on the owner's record, which keeps its artifacts.  0 or -errno.
 */
int claims_refuse(struct store_txn *txn, uint32_t bucket_id, const char *key,
		  const struct claim_clash *clash, char **diagnostics);

/*
 * key, which had a clash, changed or went away: the bucket's other
 * sources refused or noted for a clash are made to run again (their
 * records forget the content they saw) and handed to requeue with their
 * key.  No write transaction may be open in this thread.  0 or -errno.
 */
typedef void (*claims_requeue_fn)(void *ctx, const char *key);
int claims_release(struct store *store, uint32_t bucket_id, const char *key,
		   claims_requeue_fn requeue, void *ctx);

#endif
