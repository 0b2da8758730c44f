/*
 * fsview.c - building a view from the store, finding nodes, diffing views.
 *
 * Nodes are kept in two open-addressing tables, one keyed by inode and
 * one by path, so that a lookup costs the same in a folder of ten entries
 * or ten thousand.  A folder's inode is the 64-bit FNV-1a hash of its
 * path (the root is 1); a file's hashes its path and its content's MD5.
 * So a file whose content changes is a new inode, as if an editor had
 * renamed a new version over it: a reader holding the old one open keeps
 * its own size and page cache, and never sees half of an update, while
 * the kernel keeps caching both.  Two inodes hashing alike would be a
 * one-in-2^64 event per pair; the second moves to the next free number.
 */
#include "fsview.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status_report.h"
#include "store.h"

/* Names in the view are this long at most; longer artifacts are left out. */
#define NAME_MAX_BYTES 255
#define PATH_MAX_BYTES 4096

struct owned {
	struct owned *next;
	char bytes[];
};

struct fsview {
	struct store_txn *txn;	    /* NULL for the view without a store */
	struct fsview_node **slots; /* by inode */
	struct fsview_node **paths; /* by path */
	size_t slot_count, node_count;
	struct owned *owned; /* generated contents and paths */
	unsigned refs;
	int64_t built_ms;
};

/*
 * How an artifact kind appears in a bot's folder: in folder, its name
 * with strip removed from the end and suffix added; expand, when set,
 * adds more files made from the content.
 */
struct kind_row {
	const char *kind;
	const char *folder; /* "" for the bot's folder itself */
	const char *strip;
	const char *suffix;
	int (*expand)(struct fsview *v, const struct fsview_node *bot,
		      const struct store_artifact *a);
	const char *fixed_name; /* the file's name, whatever the artifact's */
};

static int expand_config(struct fsview *v, const struct fsview_node *bot,
			 const struct store_artifact *a);

static const struct kind_row kind_rows[] = {
	{"config", "", NULL, NULL, expand_config, "config.json"},
	{"dialog", "dialogs", ".bas", ".ast.json", NULL, NULL},
	{"tool_mcp", "tools", NULL, ".mcp.json", NULL, NULL},
	{"tool_openai", "tools", NULL, ".openai.json", NULL, NULL},
};

/* ---- nodes ---- */

static uint64_t path_hash(const char *path)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h;
}

static void *own(struct fsview *v, size_t size)
{
	struct owned *o = malloc(sizeof(*o) + size);

	if (!o)
		return NULL;
	o->next = v->owned;
	v->owned = o;
	return o->bytes;
}

static char *own_string(struct fsview *v, const char *s, size_t len)
{
	char *copy = own(v, len + 1);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

/* Where a path's number search starts: its hash, clear of 0 and the root. */
static uint64_t first_ino(const char *path)
{
	uint64_t h = path_hash(path);

	return h <= FSVIEW_ROOT_INO ? FSVIEW_ROOT_INO + 1 : h;
}

static size_t slot_of(const struct fsview *v, uint64_t key)
{
	return (size_t)(key * 0x9E3779B97F4A7C15ULL) & (v->slot_count - 1);
}

static void place(struct fsview_node **table, size_t count, size_t s,
		  struct fsview_node *n)
{
	while (table[s])
		s = (s + 1) & (count - 1);
	table[s] = n;
}

static int grow_slots(struct fsview *v)
{
	size_t count = v->slot_count ? v->slot_count * 2 : 1024;
	struct fsview_node **slots = calloc(count, sizeof(*slots));
	struct fsview_node **paths = calloc(count, sizeof(*paths));
	struct fsview_node **old = v->slots;
	size_t old_count = v->slot_count;

	if (!slots || !paths) {
		free(slots);
		free(paths);
		return -ENOMEM;
	}
	free(v->paths);
	v->slots = slots;
	v->paths = paths;
	v->slot_count = count;
	for (size_t i = 0; i < old_count; i++)
		if (old[i]) {
			place(slots, count, slot_of(v, old[i]->ino), old[i]);
			place(paths, count, slot_of(v, path_hash(old[i]->path)),
			      old[i]);
		}
	free(old);
	return 0;
}

const struct fsview_node *fsview_node(const struct fsview *v, uint64_t ino)
{
	if (!v->slot_count)
		return NULL;
	for (size_t s = slot_of(v, ino); v->slots[s];
	     s = (s + 1) & (v->slot_count - 1))
		if (v->slots[s]->ino == ino)
			return v->slots[s];
	return NULL;
}

static const struct fsview_node *node_at(const struct fsview *v,
					 const char *path)
{
	if (!v->slot_count)
		return NULL;
	for (size_t s = slot_of(v, path_hash(path)); v->paths[s];
	     s = (s + 1) & (v->slot_count - 1))
		if (strcmp(v->paths[s]->path, path) == 0)
			return v->paths[s];
	return NULL;
}

static int insert_node(struct fsview *v, struct fsview_node *n)
{
	if ((v->node_count + 1) * 2 > v->slot_count && grow_slots(v) < 0)
		return -ENOMEM;
	/* A taken number moves on, past 0 (none to FUSE) and the root. */
	while (n->ino != FSVIEW_ROOT_INO && fsview_node(v, n->ino))
		if (++n->ino <= FSVIEW_ROOT_INO)
			n->ino = FSVIEW_ROOT_INO + 1;
	place(v->slots, v->slot_count, slot_of(v, n->ino), n);
	place(v->paths, v->slot_count, slot_of(v, path_hash(n->path)), n);
	v->node_count++;
	return 0;
}

static int add_child(struct fsview_node *dir, struct fsview_node *child)
{
	struct fsview_node **grown;

	if ((dir->child_count & (dir->child_count - 1)) == 0) {
		size_t cap = dir->child_count ? dir->child_count * 2 : 4;

		grown = realloc(dir->children, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		dir->children = grown;
	}
	dir->children[dir->child_count++] = child;
	return 0;
}

static int join(char *out, size_t len, const char *dir, const char *name,
		size_t name_len)
{
	int n = snprintf(out, len, "%s%s%.*s", dir, dir[0] ? "/" : "",
			 (int)name_len, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const struct fsview_node *fsview_lookup(const struct fsview *v,
					const struct fsview_node *dir,
					const char *name)
{
	char path[PATH_MAX_BYTES];

	if (join(path, sizeof(path), dir->path, name, strlen(name)) < 0)
		return NULL;
	return node_at(v, path);
}

/*
 * A new node name under dir (name_len bytes): a folder when md5 is NULL,
 * else a file of that content.  NULL when out of memory.
 */
static struct fsview_node *new_node(struct fsview *v, struct fsview_node *dir,
				    const char *name, size_t name_len,
				    const unsigned char *md5)
{
	char path[PATH_MAX_BYTES];
	struct fsview_node *n;

	if (join(path, sizeof(path), dir->path, name, name_len) < 0)
		return NULL;
	n = own(v, sizeof(*n));
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->path = own_string(v, path, strlen(path));
	if (!n->path)
		return NULL;
	n->name = n->path + strlen(dir->path) + (dir->path[0] ? 1 : 0);
	n->dir = md5 == NULL;
	n->parent = dir->ino;
	n->ino = first_ino(n->path);
	if (md5) {
		memcpy(n->md5, md5, sizeof(n->md5));
		for (size_t i = 0; i < sizeof(n->md5); i++)
			n->ino = (n->ino ^ md5[i]) * 1099511628211ULL;
		if (n->ino <= FSVIEW_ROOT_INO)
			n->ino = FSVIEW_ROOT_INO + 1;
	}
	if (insert_node(v, n) < 0 || add_child(dir, n) < 0)
		return NULL;
	return n;
}

static bool name_ok(const char *name, size_t len)
{
	return len > 0 && len <= NAME_MAX_BYTES &&
	       memchr(name, '/', len) == NULL &&
	       memchr(name, '\0', len) == NULL &&
	       !(len == 1 && name[0] == '.') &&
	       !(len == 2 && name[0] == '.' && name[1] == '.');
}

/* The folder rel (components separated by '/') below dir, made as needed. */
static struct fsview_node *folder(struct fsview *v, struct fsview_node *dir,
				  const char *rel, size_t len)
{
	while (len > 0) {
		const char *slash = memchr(rel, '/', len);
		size_t part = slash ? (size_t)(slash - rel) : len;
		const struct fsview_node *found;
		char name[NAME_MAX_BYTES + 1];

		if (!name_ok(rel, part))
			return NULL;
		memcpy(name, rel, part);
		name[part] = '\0';
		found = fsview_lookup(v, dir, name);
		if (found && !found->dir)
			return NULL;
		dir = found ? (struct fsview_node *)found
			    : new_node(v, dir, rel, part, NULL);
		if (!dir)
			return NULL;
		rel += part + (slash ? 1 : 0);
		len -= part + (slash ? 1 : 0);
	}
	return dir;
}

/*
 * A file at rel below dir with content (borrowed for the view's life).
 * A path that is taken or cannot be a path is left out: 0.
 */
static int add_file(struct fsview *v, struct fsview_node *dir, const char *rel,
		    const void *content, size_t size, const unsigned char *md5,
		    int64_t mtime_ms)
{
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	struct fsview_node *n;

	if (slash && !(dir = folder(v, dir, rel, (size_t)(slash - rel))))
		return 0;
	unsigned char computed[16];
	unsigned int md5_len = 0;

	if (!name_ok(name, strlen(name)) || fsview_lookup(v, dir, name))
		return 0;
	if (!md5) {
		EVP_Digest(content, size, computed, &md5_len, EVP_md5(), NULL);
		md5 = computed;
	}
	n = new_node(v, dir, name, strlen(name), md5);
	if (!n)
		return -ENOMEM;
	n->content = content;
	n->size = size;
	n->mtime_ms = mtime_ms;
	return 0;
}

/* A file whose content is text made here; the view keeps a copy. */
static int add_generated(struct fsview *v, struct fsview_node *dir,
			 const char *rel, const char *text, size_t len,
			 int64_t mtime_ms)
{
	char *copy = own_string(v, text, len);

	if (!copy)
		return -ENOMEM;
	return add_file(v, dir, rel, copy, len, NULL, mtime_ms);
}

/* ---- a bot's folder ---- */

struct bot_build {
	struct fsview *v;
	struct fsview_node *dir;
	json_object *artifact_counts;
	int64_t newest_ms;
};

/* config/<name>: the value of each setting; '/' and '%' percent-encoded. */
static int expand_config(struct fsview *v, const struct fsview_node *bot,
			 const struct store_artifact *a)
{
	json_object *settings =
		json_tokener_parse(own_string(v, a->content, a->content_len));
	struct fsview_node *dir = (struct fsview_node *)bot;
	int rc = 0;

	if (!settings || !json_object_is_type(settings, json_type_object)) {
		json_object_put(settings);
		return 0;
	}
	dir = folder(v, dir, "config", 6);
	json_object_object_foreach(settings, key, value)
	{
		char name[3 * NAME_MAX_BYTES + 1], *out = name;
		const char *text = json_object_get_string(value);

		for (const char *k = key; *k && out < name + NAME_MAX_BYTES - 3;
		     k++) {
			if (*k == '/' || *k == '%' || (k == key && *k == '.'))
				out += sprintf(out, "%%%02X",
					       (unsigned char)*k);
			else
				*out++ = *k;
		}
		*out = '\0';
		if (dir && rc == 0)
			rc = add_generated(v, dir, name, text ? text : "",
					   text ? strlen(text) : 0,
					   a->produced_at);
	}
	json_object_put(settings);
	return rc;
}

static const struct kind_row *row_of(const char *kind)
{
	for (size_t i = 0; i < sizeof(kind_rows) / sizeof(kind_rows[0]); i++)
		if (strcmp(kind_rows[i].kind, kind) == 0)
			return &kind_rows[i];
	return NULL;
}

/* The file name of an artifact under its row's folder, into out. */
static int artifact_path(const struct kind_row *row, const char *name,
			 size_t name_len, char *out, size_t len)
{
	size_t strip = row->strip ? strlen(row->strip) : 0;
	int n;

	if (row->fixed_name)
		n = snprintf(out, len, "%s%s%s", row->folder,
			     row->folder[0] ? "/" : "", row->fixed_name);
	else {
		if (strip && name_len > strip &&
		    strcmp(name + name_len - strip, row->strip) == 0)
			name_len -= strip;
		n = snprintf(out, len, "%s%s%.*s%s", row->folder,
			     row->folder[0] ? "/" : "", (int)name_len, name,
			     row->suffix ? row->suffix : "");
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int add_artifact(void *ctx, const char *kind, const char *name,
			size_t name_len, const struct store_artifact *a)
{
	struct bot_build *b = ctx;
	const struct kind_row *row = row_of(kind);
	json_object *count;
	char rel[PATH_MAX_BYTES];
	int rc;

	if (!json_object_object_get_ex(b->artifact_counts, kind, &count)) {
		count = json_object_new_int(0);
		json_object_object_add(b->artifact_counts, kind, count);
	}
	json_object_int_inc(count, 1);
	if (a->produced_at > b->newest_ms)
		b->newest_ms = a->produced_at;
	if (!row || artifact_path(row, name, name_len, rel, sizeof(rel)) < 0)
		return 0;

	rc = add_file(b->v, b->dir, rel, a->content, a->content_len,
		      a->content_md5, a->produced_at);
	if (rc == 0 && row->expand)
		rc = row->expand(b->v, b->dir, a);
	return rc;
}

/* errors/<source key>.txt for each source whose handler failed. */
static int add_error(void *ctx, const char *key, size_t key_len,
		     const struct store_source *source)
{
	struct bot_build *b = ctx;
	char rel[PATH_MAX_BYTES];
	const char *text = source->diagnostics ? source->diagnostics
					       : "the handler failed";
	int n;

	if (source->status == 0)
		return 0;
	n = snprintf(rel, sizeof(rel), "errors/%.*s.txt", (int)key_len, key);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return 0;
	return add_generated(b->v, b->dir, rel, text, strlen(text),
			     source->handled_at);
}

static int add_json_file(struct fsview *v, struct fsview_node *dir,
			 const char *name, json_object *doc, int64_t mtime_ms)
{
	const char *text = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			     JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	char *copy = own(v, len + 2);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\n';
	copy[len + 1] = '\0';
	return add_file(v, dir, name, copy, len + 1, NULL, mtime_ms);
}

struct root_build {
	struct fsview *v;
	struct fsview_node *root;
	json_object *buckets;
};

static int add_bot(void *ctx, const char *bucket, const struct store_bucket *b)
{
	struct root_build *r = ctx;
	size_t len = strlen(bucket);
	struct bot_build bot = {.v = r->v};
	json_object *report;
	int rc;

	if (len > 5 && strcmp(bucket + len - 5, ".gbai") == 0)
		len -= 5;
	if (!name_ok(bucket, len))
		return 0;
	bot.dir = new_node(r->v, r->root, bucket, len, NULL);
	report = status_report_bucket(r->v->txn, bucket, b);
	if (!bot.dir || !report) {
		json_object_put(report);
		return bot.dir ? -EIO : -ENOMEM;
	}
	bot.artifact_counts = json_object_new_object();
	bot.newest_ms = b->last_cycle_end * 1000;

	rc = store_artifact_foreach(r->v->txn, b->id, NULL, add_artifact, &bot);
	if (rc == 0)
		rc = store_source_foreach(r->v->txn, b->id, add_error, &bot);
	json_object_object_add(report, "artifacts", bot.artifact_counts);
	if (rc == 0)
		rc = add_json_file(r->v, bot.dir, "status.json", report,
				   bot.newest_ms);
	json_object_array_add(r->buckets, report);
	return rc;
}

/* ---- whole views ---- */

/* A folder's time is its newest entry's; its entries sorted by name. */
static int64_t settle_folder(struct fsview_node *dir)
{
	for (size_t i = 0; i < dir->child_count; i++) {
		struct fsview_node *c = dir->children[i];
		int64_t t = c->dir ? settle_folder(c) : c->mtime_ms;

		if (t > dir->mtime_ms)
			dir->mtime_ms = t;
	}
	return dir->mtime_ms;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct fsview_node *make_root(struct fsview *v)
{
	struct fsview_node *root = own(v, sizeof(*root));

	if (!root)
		return NULL;
	memset(root, 0, sizeof(*root));
	root->path = root->name = "";
	root->dir = true;
	root->ino = root->parent = FSVIEW_ROOT_INO;
	if (insert_node(v, root) < 0)
		return NULL;
	return root;
}

/* The agent-wide figures: sums over the buckets and the newest cycle. */
static void add_totals(json_object *doc, json_object *buckets)
{
	static const char *const counts[] = {"mirrored", "pending", "failed"};
	json_object *totals = json_object_new_object(), *last = NULL;
	size_t n = json_object_array_length(buckets);
	int64_t failing = 0;

	for (size_t c = 0; c < 3; c++) {
		int64_t sum = 0;

		for (size_t i = 0; i < n; i++) {
			json_object *field;

			if (json_object_object_get_ex(
				    json_object_array_get_idx(buckets, i),
				    counts[c], &field))
				sum += json_object_get_int64(field);
		}
		json_object_object_add(totals, counts[c],
				       json_object_new_int64(sum));
	}
	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(buckets, i), *f;

		if (json_object_object_get_ex(b, "sources", &f))
			failing += (int64_t)json_object_array_length(f);
		/* ISO 8601 times in UTC compare as strings. */
		if (json_object_object_get_ex(b, "last_cycle", &f) && f &&
		    (!last || strcmp(json_object_get_string(f),
				     json_object_get_string(last)) > 0))
			last = f;
	}
	json_object_object_add(totals, "failing_sources",
			       json_object_new_int64(failing));
	json_object_object_add(doc, "bots", json_object_new_int64((int64_t)n));
	json_object_object_add(doc, "last_cycle", json_object_get(last));
	json_object_object_add(doc, "totals", totals);
}

static int fill(struct fsview *v, struct store *store, struct fsview_node *root)
{
	struct root_build r = {.v = v, .root = root};
	json_object *doc = json_object_new_object();
	int rc = 0;

	r.buckets = json_object_new_array();
	if (store) {
		rc = store_txn_begin(store, false, &v->txn);
		if (rc == 0)
			rc = store_bucket_foreach(v->txn, add_bot, &r);
	} else {
		json_object_object_add(
			doc, "error",
			json_object_new_string("the agent has not created its "
					       "store yet"));
	}
	if (rc == 0)
		add_totals(doc, r.buckets);
	json_object_object_add(doc, "buckets", r.buckets);
	if (rc == 0)
		rc = add_json_file(v, root, "status.json", doc, v->built_ms);
	json_object_put(doc);
	return rc;
}

int fsview_build(struct store *store, struct fsview **out)
{
	struct fsview *v = calloc(1, sizeof(*v));
	struct fsview_node *root;
	int rc;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->refs = 1;
	v->built_ms = now_ms();
	root = make_root(v);
	rc = root ? fill(v, store, root) : -ENOMEM;
	if (rc < 0) {
		fsview_unref(v);
		return rc;
	}
	settle_folder(root);
	*out = v;
	return 0;
}

void fsview_ref(struct fsview *v)
{
	v->refs++;
}

void fsview_unref(struct fsview *v)
{
	if (!v || --v->refs > 0)
		return;
	for (size_t i = 0; i < v->slot_count; i++)
		if (v->slots[i])
			free(v->slots[i]->children);
	free(v->slots);
	free(v->paths);
	while (v->owned) {
		struct owned *next = v->owned->next;

		free(v->owned);
		v->owned = next;
	}
	if (v->txn)
		store_txn_abort(v->txn);
	free(v);
}

size_t fsview_count(const struct fsview *v)
{
	return v->node_count;
}

void fsview_diff(const struct fsview *old, const struct fsview *new,
		 fsview_inode_fn inode_changed, fsview_entry_fn entry_changed,
		 void *ctx)
{
	for (size_t i = 0; i < new->slot_count; i++) {
		const struct fsview_node *n = new->slots[i], *o;

		if (!n || n->ino == FSVIEW_ROOT_INO)
			continue;
		o = fsview_node(old, n->ino);
		if (!o || strcmp(o->path, n->path) != 0) {
			entry_changed(ctx, n->parent, n->name);
			inode_changed(ctx, n->parent);
		} else if (!n->dir && o->mtime_ms != n->mtime_ms) {
			inode_changed(ctx, n->ino);
		}
	}
	for (size_t i = 0; i < old->slot_count; i++) {
		const struct fsview_node *o = old->slots[i], *n;

		if (!o || o->ino == FSVIEW_ROOT_INO)
			continue;
		n = fsview_node(new, o->ino);
		if (!n || strcmp(o->path, n->path) != 0) {
			entry_changed(ctx, o->parent, o->name);
			inode_changed(ctx, o->parent);
		}
	}
}
