/*
 * processor.c - the queue of changed sources and the workers that drain it.
 *
 * A queued path is one node, found again through a small hash table so
 * that a path changed a hundred times while queued is handled once.  A
 * node stays in the table while a worker handles it; a change arriving
 * then sets rerun and the worker queues the node again when done.
 */
#include "processor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims.h"
#include "config.h"
#include "conflict.h"
#include "digest.h"
#include "dm_limits.h"
#include "handlers.h"
#include "hooks.h"
#include "keypath.h"
#include "localfs.h"
#include "log.h"
#include "mirror_run.h"
#include "store.h"

/* Hash chains of queued paths; a power of two. */
#define PENDING_BUCKETS 4096

/* Most workers a configuration may ask for (config.c bounds it too). */
#define WORKERS_MAX 16

struct pending {
	struct pending *next_queued; /* FIFO order */
	struct pending *next_hashed;
	bool running, rerun;
	char path[]; /* "bucket/key" */
};

struct processor {
	const struct dm_config *cfg;
	struct store *store;
	int root_fd;

	pthread_mutex_t lock;
	pthread_cond_t work; /* a path was queued, or stopping */
	pthread_cond_t idle; /* nothing queued nor running */
	struct pending *head, *tail;
	struct pending *hashed[PENDING_BUCKETS];
	unsigned running;
	bool stopping;

	pthread_t workers[WORKERS_MAX];
	unsigned worker_count;
	atomic_uint_fast64_t runs;
};

/* ---- the queue ---- */

static size_t path_hash(const char *path)
{
	size_t h = 14695981039346656037ULL;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h & (PENDING_BUCKETS - 1);
}

static void push_queued(struct processor *p, struct pending *node)
{
	node->next_queued = NULL;
	if (p->tail)
		p->tail->next_queued = node;
	else
		p->head = node;
	p->tail = node;
	pthread_cond_signal(&p->work);
}

static void unhash(struct processor *p, struct pending *node)
{
	struct pending **link = &p->hashed[path_hash(node->path)];

	while (*link != node)
		link = &(*link)->next_hashed;
	*link = node->next_hashed;
}

void processor_change(struct processor *p, const char *path)
{
	size_t slot = path_hash(path), len = strlen(path);
	struct pending *node;

	pthread_mutex_lock(&p->lock);
	for (node = p->hashed[slot]; node; node = node->next_hashed)
		if (strcmp(node->path, path) == 0)
			break;
	if (node) {
		if (node->running)
			node->rerun = true;
		pthread_mutex_unlock(&p->lock);
		return;
	}

	node = calloc(1, sizeof(*node) + len + 1);
	if (!node) {
		pthread_mutex_unlock(&p->lock);
		log_err("handlers: out of memory queueing '%s'", path);
		return;
	}
	memcpy(node->path, path, len + 1);
	node->next_hashed = p->hashed[slot];
	p->hashed[slot] = node;
	push_queued(p, node);
	pthread_mutex_unlock(&p->lock);
}

/* ---- handling one source ---- */

/* One source being handled: where it is and what the store says of it. */
struct source_job {
	struct processor *p;
	const char *path;
	char bucket[DM_NAME_MAX + 1];
	char bot[DM_NAME_MAX + 1];
	const char *key;
	const struct handler *handler;
	uint32_t bucket_id;

	struct store_source prior;
	bool has_prior;

	char *content;
	size_t content_len;
	struct stat st;
	char etag[DM_ETAG_MAX];

	struct handler_artifact *previous;
	size_t previous_count;
};

static int split_path(struct source_job *job)
{
	const char *slash = strchr(job->path, '/');
	size_t len;

	if (!slash || slash == job->path)
		return -EINVAL;
	len = (size_t)(slash - job->path);
	if (len > DM_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(job->bucket, job->path, len);
	job->bucket[len] = '\0';
	job->key = slash + 1;

	if (len > 5 && strcmp(job->bucket + len - 5, ".gbai") == 0)
		len -= 5;
	memcpy(job->bot, job->bucket, len);
	job->bot[len] = '\0';
	return 0;
}

/* The bucket's id, giving it one when the store has not seen it yet. */
static int find_bucket_id(struct source_job *job)
{
	struct store_bucket b = {0};
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(job->p->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_bucket_get(txn, job->bucket, &b);
	store_txn_abort(txn);
	if (rc != -ENOENT) {
		job->bucket_id = b.id;
		return rc;
	}

	rc = store_txn_begin(job->p->store, true, &txn);
	if (rc < 0)
		return rc;
	rc = store_bucket_put(txn, job->bucket, &b);
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	job->bucket_id = b.id;
	return store_txn_commit(txn);
}

static int read_prior(struct source_job *job)
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(job->p->store, false, &txn);
	if (rc < 0)
		return rc;
	rc = store_source_get(txn, job->bucket_id, job->key, strlen(job->key),
			      &job->prior);
	store_txn_abort(txn);
	job->has_prior = rc == 0;
	return rc == -ENOENT ? 0 : rc;
}

/* Open the source without following links; -ENOENT when it is gone. */
static int open_source(struct source_job *job)
{
	int bucket_fd, fd;

	bucket_fd = openat(job->p->root_fd, job->bucket,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bucket_fd < 0)
		return -errno;
	fd = localfs_open_read(bucket_fd, job->key);
	close(bucket_fd);
	if (fd >= 0 && (fstat(fd, &job->st) < 0 || !S_ISREG(job->st.st_mode))) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static int read_content(struct source_job *job, int fd)
{
	size_t size = (size_t)job->st.st_size, done = 0;
	unsigned char md5[DIGEST_MD5_LEN];

	if (size > job->handler->max_size)
		return -EFBIG;
	job->content = malloc(size + 1);
	if (!job->content)
		return -ENOMEM;
	while (done < size) {
		ssize_t n = pread(fd, job->content + done, size - done,
				  (off_t)done);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	job->content[done] = '\0';
	job->content_len = done;

	digest_md5(job->content, done, md5);
	digest_hex(md5, sizeof(md5), job->etag);
	return 0;
}

static int collect_previous(void *ctx, const char *kind, const char *name,
			    size_t name_len, const struct store_artifact *a)
{
	struct source_job *job = ctx;
	struct handler_result list = {.artifacts = job->previous,
				      .count = job->previous_count};
	char *copy;
	int rc;

	if (a->source_key_len != strlen(job->key) ||
	    memcmp(a->source_key, job->key, a->source_key_len) != 0)
		return 0;
	copy = strndup(name, name_len);
	if (!copy)
		return -ENOMEM;
	rc = handler_result_add(&list, kind, copy, a->content, a->content_len);
	free(copy);
	job->previous = list.artifacts;
	job->previous_count = list.count;
	return rc;
}

static int read_previous(struct source_job *job)
{
	struct store_txn *txn;
	int rc;

	rc = store_txn_begin(job->p->store, false, &txn);
	if (rc < 0)
		return rc;
	for (const char *const *kind = job->handler->artifact_kinds;
	     *kind && rc == 0; kind++)
		rc = store_artifact_foreach(txn, job->bucket_id, *kind,
					    collect_previous, job);
	store_txn_abort(txn);
	return rc;
}

static void free_previous(struct source_job *job)
{
	struct handler_result list = {.artifacts = job->previous,
				      .count = job->previous_count};

	handler_result_clear(&list);
	job->previous = NULL;
	job->previous_count = 0;
}

static bool in_result(const struct handler_result *r,
		      const struct handler_artifact *a)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->artifacts[i].kind, a->kind) == 0 &&
		    strcmp(r->artifacts[i].name, a->name) == 0)
			return true;
	return false;
}

static int put_artifacts(struct store_txn *txn, struct source_job *job,
			 const struct handler_result *r, int64_t now)
{
	int rc = 0;

	for (size_t i = 0; i < job->previous_count && rc == 0; i++) {
		const struct handler_artifact *old = &job->previous[i];

		if (!in_result(r, old))
			rc = store_artifact_del(txn, job->bucket_id, old->kind,
						old->name, strlen(old->name));
	}
	for (size_t i = 0; i < r->count && rc == 0; i++) {
		const struct handler_artifact *a = &r->artifacts[i];
		struct store_artifact sa = {
			.source_key = job->key,
			.source_key_len = strlen(job->key),
			.produced_at = now,
			.content = a->content,
			.content_len = a->content_len,
		};

		snprintf(sa.source_etag, sizeof(sa.source_etag), "%s",
			 job->etag);
		digest_md5(a->content, a->content_len, sa.content_md5);
		rc = store_artifact_put(txn, job->bucket_id, a->kind, a->name,
					strlen(a->name), &sa);
	}
	return rc;
}

/*
 * The handler's artifacts, unless another source has one of their names:
 * then none, the source is refused with *status and *refusal saying why,
 * and the other source's record notes it too.
 */
static int put_claimed_artifacts(struct store_txn *txn, struct source_job *job,
				 const struct handler_result *r, int64_t now,
				 int *status, char **refusal)
{
	struct claim_clash clash;
	int rc = claims_find_clash(txn, job->bucket_id, job->key, r, &clash);

	if (rc == 0)
		return put_artifacts(txn, job, r, now);
	if (rc < 0)
		return rc;
	*status = CLAIMS_STATUS;
	return claims_refuse(txn, job->bucket_id, job->key, &clash, refusal);
}

/*
 * Record the outcome in one transaction: the artifacts when the handler
 * succeeded (r is NULL when it failed, keeping the old ones) and the
 * source's record.  *status may turn into a refusal for a taken name.
 */
static int record_outcome(struct source_job *job,
			  const struct handler_result *r, int *status,
			  const char *diagnostics)
{
	struct store_source source = {0};
	struct store_txn *txn;
	int64_t now = mirror_now_ms();
	char *refusal = NULL;
	int rc;

	snprintf(source.etag, sizeof(source.etag), "%s", job->etag);
	mirror_stamp_of(&job->st, &source.local);
	source.handled_at = now;
	snprintf(source.kind, sizeof(source.kind), "%s", job->handler->kind);
	source.diagnostics = (char *)diagnostics;

	rc = store_txn_begin(job->p->store, true, &txn);
	if (rc < 0)
		return rc;
	if (r)
		rc = put_claimed_artifacts(txn, job, r, now, status, &refusal);
	source.status = *status;
	if (refusal)
		source.diagnostics = refusal;
	if (rc == 0)
		rc = store_source_put(txn, job->bucket_id, job->key,
				      strlen(job->key), &source);
	if (rc < 0)
		store_txn_abort(txn);
	else
		rc = store_txn_commit(txn);
	free(refusal);
	return rc;
}

static void requeue_in_bucket(void *ctx, const char *key)
{
	struct source_job *job = ctx;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", job->bucket, key);
	processor_change(job->p, path);
}

/* The source had a clash and now changed or went: let the others retry. */
static void release_claims(struct source_job *job)
{
	int rc;

	if (!job->has_prior || job->prior.status != CLAIMS_STATUS)
		return;
	rc = claims_release(job->p->store, job->bucket_id, job->key,
			    requeue_in_bucket, job);
	if (rc < 0)
		log_err("handlers: cannot release the names of '%s': %s",
			job->path, strerror(-rc));
}

/* The source is gone: drop its artifacts and its record. */
static void forget_source(struct source_job *job)
{
	struct store_txn *txn;
	int rc;

	if (!job->has_prior)
		return;
	rc = read_previous(job);
	if (rc == 0)
		rc = store_txn_begin(job->p->store, true, &txn);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < job->previous_count && rc == 0; i++)
		rc = store_artifact_del(
			txn, job->bucket_id, job->previous[i].kind,
			job->previous[i].name, strlen(job->previous[i].name));
	if (rc == 0 || rc == -ENOENT)
		rc = store_source_del(txn, job->bucket_id, job->key,
				      strlen(job->key));
	if (rc < 0)
		store_txn_abort(txn);
	else
		rc = store_txn_commit(txn);
out:
	if (rc < 0)
		log_err("handlers: cannot forget '%s': %s", job->path,
			strerror(-rc));
	else
		log_info("handlers: '%s' is gone: %zu artifacts removed",
			 job->path, job->previous_count);
	if (rc == 0)
		release_claims(job);
}

/* Run the operator's hook after a successful handler; its report or NULL. */
static char *run_hook(struct source_job *job, int *status)
{
	const struct dm_config *cfg = job->p->cfg;
	const char *command = config_hook_command(cfg, job->handler->kind);
	struct hook_subject subject = {.bot = job->bot,
				       .kind = job->handler->kind,
				       .bucket = job->bucket,
				       .key = job->key,
				       .etag = job->etag};
	char path[PATH_MAX], *report = NULL, *diagnostics = NULL;
	int rc;

	if (!command[0])
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", cfg->work_root, job->path);
	subject.path = path;

	rc = hook_run(command, &subject, cfg->hook_timeout_ms, &report);
	if (rc < 0) {
		*status = rc;
		if (asprintf(&diagnostics, "hook: %s",
			     report ? report : "failed") < 0)
			diagnostics = NULL;
		log_warning("handlers: hook of '%s' failed: %s", job->path,
			    report ? report : strerror(-rc));
	}
	free(report);
	return diagnostics;
}

static void run_handler(struct source_job *job)
{
	struct handler_input in = {.bot = job->bot,
				   .bucket = job->bucket,
				   .key = job->key,
				   .content = job->content,
				   .content_len = job->content_len};
	struct handler_result result = {0};
	char *hook_report = NULL;
	int rc, status;

	rc = read_previous(job);
	in.previous = job->previous;
	in.previous_count = job->previous_count;
	if (rc == 0)
		rc = job->handler->run(&in, &result);
	atomic_fetch_add(&job->p->runs, 1);

	status = rc;
	if (rc == 0)
		hook_report = run_hook(job, &status);
	rc = record_outcome(job, rc == 0 ? &result : NULL, &status,
			    hook_report ? hook_report : result.diagnostics);

	if (rc < 0)
		log_err("handlers: cannot record '%s': %s", job->path,
			strerror(-rc));
	else if (status == CLAIMS_STATUS)
		log_warning("handlers: %s refused '%s': another source makes "
			    "an artifact of the same name (drivemonctl status "
			    "names it)",
			    job->handler->kind, job->path);
	else if (status == 0 || hook_report)
		log_info("handlers: %s of bot '%s' from '%s': %s",
			 job->handler->kind, job->bot, job->key,
			 result.summary ? result.summary : "done");
	else
		log_warning("handlers: %s refused '%s', previous artifacts "
			    "kept: %s",
			    job->handler->kind, job->path,
			    result.diagnostics ? result.diagnostics
					       : strerror(-status));
	if (rc == 0 && status == 0 && result.diagnostics)
		log_warning("handlers: '%s': %s", job->path,
			    result.diagnostics);
	if (rc == 0 && status != CLAIMS_STATUS)
		release_claims(job);
	free(hook_report);
	handler_result_clear(&result);
}

/* A source too large for its handler: record why, keep the artifacts. */
static void refuse_oversized(struct source_job *job)
{
	int status = -EFBIG;
	char why[128];

	snprintf(why, sizeof(why),
		 "file of %lld bytes is over the %zu bytes a %s takes",
		 (long long)job->st.st_size, job->handler->max_size,
		 job->handler->kind);
	snprintf(job->etag, sizeof(job->etag), "size-%lld",
		 (long long)job->st.st_size);
	log_warning("handlers: '%s': %s", job->path, why);
	record_outcome(job, NULL, &status, why);
}

static void handle_path(struct processor *p, const char *path)
{
	struct source_job job = {.p = p, .path = path};
	int fd, rc;

	if (split_path(&job) < 0 || !config_bucket_wanted(p->cfg, job.bucket) ||
	    keypath_check(job.key, strlen(job.key), NULL) < 0)
		return;
	/* Conflict copies are the developer's to look at, not sources. */
	job.handler = handler_find(job.key);
	if (!job.handler || conflict_is_copy(job.key))
		return;
	rc = find_bucket_id(&job);
	if (rc == 0)
		rc = read_prior(&job);
	if (rc < 0) {
		log_err("handlers: cannot read the store for '%s': %s", path,
			strerror(-rc));
		return;
	}

	fd = open_source(&job);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) {
		forget_source(&job);
		goto out;
	}
	if (fd < 0) {
		log_warning("handlers: cannot open '%s': %s", path,
			    strerror(-fd));
		goto out;
	}

	if (job.has_prior) {
		struct store_file_stamp now;

		mirror_stamp_of(&job.st, &now);
		if (memcmp(&now, &job.prior.local, sizeof(now)) == 0)
			goto out_close;
	}
	rc = read_content(&job, fd);
	if (rc == -EFBIG) {
		refuse_oversized(&job);
	} else if (rc < 0) {
		log_warning("handlers: cannot read '%s': %s", path,
			    strerror(-rc));
	} else if (job.has_prior && strcmp(job.prior.etag, job.etag) == 0) {
		/* Same bytes under a new stat: remember the stat only. */
		int status = job.prior.status;

		record_outcome(&job, NULL, &status, job.prior.diagnostics);
	} else {
		run_handler(&job);
	}

out_close:
	close(fd);
out:
	free(job.prior.diagnostics);
	free(job.content);
	free_previous(&job);
}

/* ---- workers ---- */

static void *work(void *arg)
{
	struct processor *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct pending *node;

		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stopping)
			break;

		node = p->head;
		p->head = node->next_queued;
		if (!p->head)
			p->tail = NULL;
		node->running = true;
		p->running++;
		pthread_mutex_unlock(&p->lock);

		handle_path(p, node->path);

		pthread_mutex_lock(&p->lock);
		p->running--;
		node->running = false;
		if (node->rerun) {
			node->rerun = false;
			push_queued(p, node);
		} else {
			unhash(p, node);
			free(node);
		}
		if (!p->head && p->running == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int processor_open(const struct dm_config *cfg, struct store *store,
		   struct processor **out, struct dm_error *err)
{
	struct processor *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return dm_error_set(err, -ENOMEM, "out of memory");
	p->cfg = cfg;
	p->store = store;
	p->root_fd = open(cfg->work_root,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->root_fd < 0) {
		rc = -errno;
		free(p);
		return dm_error_set(err, rc, "cannot open work_root '%s': %s",
				    cfg->work_root, strerror(-rc));
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);

	for (unsigned i = 0; i < cfg->handler_workers && i < WORKERS_MAX; i++) {
		rc = pthread_create(&p->workers[i], NULL, work, p);
		if (rc != 0) {
			processor_free(p);
			return dm_error_set(err, -rc,
					    "cannot start handler workers: %s",
					    strerror(rc));
		}
		p->worker_count++;
	}
	*out = p;
	return 0;
}

void processor_free(struct processor *p)
{
	if (!p)
		return;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->worker_count; i++)
		pthread_join(p->workers[i], NULL);

	for (size_t i = 0; i < PENDING_BUCKETS; i++) {
		while (p->hashed[i]) {
			struct pending *node = p->hashed[i];

			p->hashed[i] = node->next_hashed;
			free(node);
		}
	}
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	close(p->root_fd);
	free(p);
}

void processor_wait_idle(struct processor *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->head || p->running)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

uint64_t processor_runs(struct processor *p)
{
	return atomic_load(&p->runs);
}

/* ---- scans ---- */

struct scan {
	struct processor *p;
	struct store_txn *txn;
	char path[PATH_MAX];
};

/*
 * Queue the files under scan->path (a folder, len bytes long) whose path
 * below the package folder (which starts at package_at) matches a handler.
 */
/* The folder scan->path, not through a link; NULL when it cannot be. */
static DIR *open_scanned(const struct scan *s)
{
	int fd = openat(s->p->root_fd, s->path,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !dir)
		close(fd);
	return dir;
}

static void scan_folder(struct scan *s, size_t len, size_t package_at,
			const struct handler *h)
{
	DIR *dir = open_scanned(s);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		size_t name_len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len + 1 + name_len >= PATH_MAX)
			continue;
		s->path[len] = '/';
		memcpy(s->path + len + 1, e->d_name, name_len + 1);
		if (e->d_type == DT_DIR)
			scan_folder(s, len + 1 + name_len, package_at, h);
		else if (e->d_type == DT_REG &&
			 handler_matches(h, s->path + package_at))
			processor_change(s->p, s->path);
	}
	s->path[len] = '\0';
	closedir(dir);
}

/* The package folders of one bucket that some handler wants. */
static void scan_bucket(struct scan *s, size_t len)
{
	size_t handler_count;
	const struct handler *handlers = handler_table(&handler_count);
	DIR *dir = open_scanned(s);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		size_t name_len = strlen(e->d_name);

		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    len + 1 + name_len >= PATH_MAX)
			continue;
		for (size_t i = 0; i < handler_count; i++) {
			size_t type_len = strlen(handlers[i].folder_type);

			if (name_len <= type_len ||
			    strcmp(e->d_name + name_len - type_len,
				   handlers[i].folder_type) != 0)
				continue;
			s->path[len] = '/';
			memcpy(s->path + len + 1, e->d_name, name_len + 1);
			scan_folder(s, len + 1 + name_len, len + name_len + 2,
				    &handlers[i]);
		}
	}
	s->path[len] = '\0';
	closedir(dir);
}

static int queue_recorded(void *ctx, const char *key, size_t key_len,
			  const struct store_source *unused)
{
	struct scan *s = ctx;
	size_t len = strlen(s->path);

	(void)unused;
	if (len + 1 + key_len >= PATH_MAX)
		return 0;
	s->path[len] = '/';
	memcpy(s->path + len + 1, key, key_len);
	s->path[len + 1 + key_len] = '\0';
	processor_change(s->p, s->path);
	s->path[len] = '\0';
	return 0;
}

static int scan_buckets_on_disk(struct scan *s)
{
	int fd = dup(s->p->root_fd);
	struct dirent *e;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(dir);
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);

		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    len > DM_NAME_MAX ||
		    !config_bucket_wanted(s->p->cfg, e->d_name))
			continue;
		memcpy(s->path, e->d_name, len + 1);
		scan_bucket(s, len);
	}
	closedir(dir);
	return 0;
}

/* The sources the store knows in a bucket: some may be gone from disk. */
static int scan_bucket_record(void *ctx, const char *name,
			      const struct store_bucket *bucket)
{
	struct scan *s = ctx;

	if (!config_bucket_wanted(s->p->cfg, name))
		return 0;
	snprintf(s->path, sizeof(s->path), "%s", name);
	return store_source_foreach(s->txn, bucket->id, queue_recorded, s);
}

int processor_scan(struct processor *p)
{
	struct scan *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->p = p;
	rc = scan_buckets_on_disk(s);
	if (rc == 0)
		rc = store_txn_begin(p->store, false, &s->txn);
	if (rc == 0) {
		rc = store_bucket_foreach(s->txn, scan_bucket_record, s);
		store_txn_abort(s->txn);
	}
	free(s);
	return rc;
}
