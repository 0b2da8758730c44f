/*
 * claims.c - finding, recording and releasing clashes of artifact names.
 */
#include "claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int claims_find_clash(struct store_txn *txn, uint32_t bucket_id,
		      const char *key, const struct handler_result *result,
		      struct claim_clash *clash)
{
	size_t key_len = strlen(key);

	for (size_t i = 0; i < result->count; i++) {
		const struct handler_artifact *a = &result->artifacts[i];
		struct store_artifact held;
		int rc = store_artifact_get(txn, bucket_id, a->kind, a->name,
					    strlen(a->name), &held);

		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (held.source_key_len == key_len &&
		    memcmp(held.source_key, key, key_len) == 0)
			continue;
		snprintf(clash->kind, sizeof(clash->kind), "%s", a->kind);
		snprintf(clash->name, sizeof(clash->name), "%s", a->name);
		snprintf(clash->owner, sizeof(clash->owner), "%.*s",
			 (int)held.source_key_len, held.source_key);
		return 1;
	}
	return 0;
}

int claims_refuse(struct store_txn *txn, uint32_t bucket_id, const char *key,
		  const struct claim_clash *clash, char **diagnostics)
{
	struct store_source owner;
	char *note = NULL;
	int rc;

	if (asprintf(diagnostics,
		     "%s '%s' is already made by '%s': rename one of them",
		     clash->kind, clash->name, clash->owner) < 0) {
		*diagnostics = NULL;
		return -ENOMEM;
	}

	rc = store_source_get(txn, bucket_id, clash->owner,
			      strlen(clash->owner), &owner);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (asprintf(&note, "%s '%s' is also made by '%s': rename one of them",
		     clash->kind, clash->name, key) < 0) {
		free(owner.diagnostics);
		return -ENOMEM;
	}
	free(owner.diagnostics);
	owner.diagnostics = note;
	owner.status = CLAIMS_STATUS;
	rc = store_source_put(txn, bucket_id, clash->owner,
			      strlen(clash->owner), &owner);
	free(note);
	return rc;
}

struct release {
	const char *key;
	char **keys;
	size_t count;
};

static int collect_clashing(void *ctx, const char *key, size_t key_len,
			    const struct store_source *source)
{
	struct release *r = ctx;
	char **grown;

	if (source->status != CLAIMS_STATUS || strcmp(key, r->key) == 0)
		return 0;
	grown = realloc(r->keys, (r->count + 1) * sizeof(*r->keys));
	if (!grown)
		return -ENOMEM;
	r->keys = grown;
	r->keys[r->count] = strndup(key, key_len);
	if (!r->keys[r->count])
		return -ENOMEM;
	r->count++;
	return 0;
}

/* Make the source's record forget the content, so that it runs again. */
static int forget_content(struct store_txn *txn, uint32_t bucket_id,
			  const char *key)
{
	struct store_source source;
	int rc = store_source_get(txn, bucket_id, key, strlen(key), &source);

	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	source.etag[0] = '\0';
	memset(&source.local, 0, sizeof(source.local));
	rc = store_source_put(txn, bucket_id, key, strlen(key), &source);
	free(source.diagnostics);
	return rc;
}

int claims_release(struct store *store, uint32_t bucket_id, const char *key,
		   claims_requeue_fn requeue, void *ctx)
{
	struct release r = {.key = key};
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_source_foreach(txn, bucket_id, collect_clashing, &r);
	for (size_t i = 0; i < r.count && rc == 0; i++)
		rc = forget_content(txn, bucket_id, r.keys[i]);
	if (rc == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);

	for (size_t i = 0; i < r.count; i++) {
		if (rc == 0)
			requeue(ctx, r.keys[i]);
		free(r.keys[i]);
	}
	free(r.keys);
	return rc;
}
