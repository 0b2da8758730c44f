/*
 * store.c - drivemon's durable state in one LMDB environment.
 *
 * Eight named databases live in the environment: buckets, objects,
 * failures, doomed, etags, sources, artifacts and meta (the schema version
 * and the next bucket id).  Objects, failures, doomed entries, sources and
 * artifacts are keyed by a 4-byte big-endian bucket id followed by the key
 * bytes (for an artifact: kind '\0' name), so that one bucket's entries
 * are contiguous and in S3's byte order.  Values are versioned records
 * (first byte = record version) of little-endian base-128 varints and
 * length-prefixed strings, ending for sources and artifacts in a long raw
 * field (diagnostics, content); the decoder checks every length and
 * answers -EIO for a damaged record instead of reading past it.
 *
 * This file converts LMDB's return codes once, in errno_of(), and never
 * logs: callers decide what an error means.  It does not decide what is
 * mirrored or when; it only keeps what the mirror tells it.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The map is reserved address space, not memory or disk: LMDB maps the
 * file this large and the file grows only as pages are used.  64 GiB is
 * far beyond what millions of objects need (about 150 bytes each), so the
 * map never fills in practice and never has to be resized while readers
 * have it open, which LMDB cannot do safely across processes.
 */
#define MAP_SIZE ((size_t)64 << 30)

/* Reader slots shared by the agent's threads, the tools and the FUSE view. */
#define MAX_READERS 256

/*
 * The layout of the databases; bump when records or keys change shape.
 * Version 2 added sources and artifacts to version 1.
 */
#define SCHEMA_VERSION 2

/* First byte of each record. */
#define RECORD_V1 1

/* Bucket ids are 4 bytes in every key; 0 means "not assigned yet". */
#define ID_LEN 4

/* Longest bucket name: S3 allows 63, the folder drive a folder name. */
#define NAME_MAX_LEN DM_NAME_MAX

/*
 * Large enough for any encoded record: the biggest is an ETag cache entry
 * holding bucket '\0' key (at most 756 bytes) plus an ETag and a stamp.
 * A source's diagnostics and an artifact's content follow their record
 * unencoded (see db_put_joined()), so they need not fit.
 */
#define RECORD_MAX 2048

/* A varint of 64 bits takes at most 10 bytes of 7 bits. */
#define VARINT_MAX 10

/* Random lookups between two trims of the map (see note_lookup()). */
#define TRIM_EVERY_LOOKUPS 64

enum db {
	DB_BUCKETS,
	DB_OBJECTS,
	DB_FAILURES,
	DB_DOOMED,
	DB_ETAGS,
	DB_SOURCES,
	DB_ARTIFACTS,
	DB_META,
	DB_COUNT,
};

static const char *const db_names[DB_COUNT] = {
	[DB_BUCKETS] = "buckets",     [DB_OBJECTS] = "objects",
	[DB_FAILURES] = "failures",   [DB_DOOMED] = "doomed",
	[DB_ETAGS] = "etags",	      [DB_SOURCES] = "sources",
	[DB_ARTIFACTS] = "artifacts", [DB_META] = "meta",
};

/* Ends diagnostics cut to STORE_DIAGNOSTICS_MAX. */
static const char diagnostics_cut_mark[] = "\n[truncated]";

static const char meta_schema[] = "schema";
static const char meta_next_id[] = "next_bucket_id";

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	bool read_only;
	void *map; /* where LMDB mapped the file, NULL if unknown */
	size_t map_len;
	atomic_uint lookups; /* random lookups since the last trim, over all
			      * threads */
};

struct store_txn {
	struct store *store;
	MDB_txn *txn;
	bool write;
	struct store_cursor *cursors; /* closed when the transaction ends */
};

struct store_cursor {
	struct store_txn *txn; /* NULL once the transaction has ended */
	MDB_cursor *mc;
	struct store_cursor *next;
	uint32_t bucket_id;
	bool at_end;
	char key[DM_KEY_MAX + 1]; /* what store_cursor_get() lends */
};

/* ---- LMDB return codes ---- */

static const struct {
	int mdb;
	int err;
} mdb_errors[] = {
	{MDB_NOTFOUND, -ENOENT},
	{MDB_KEYEXIST, -EEXIST},
	{MDB_MAP_FULL, -ENOSPC},
	{MDB_TXN_FULL, -ENOSPC}, /* one transaction changed too much */
	{MDB_READERS_FULL, -EAGAIN},
	{MDB_BAD_VALSIZE, -EINVAL},
};

/*
 * LMDB answers 0, a positive errno, or one of its own negative codes.
 * Those not in the table (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID,
 * MDB_VERSION_MISMATCH and the rest) mean the file cannot be trusted.
 */
static int errno_of(int rc)
{
	if (rc == 0)
		return 0;
	if (rc > 0)
		return -rc;

	for (size_t i = 0; i < sizeof(mdb_errors) / sizeof(mdb_errors[0]);
	     i++) {
		if (mdb_errors[i].mdb == rc)
			return mdb_errors[i].err;
	}
	return -EIO;
}

/* ---- record encoding ---- */

struct enc {
	unsigned char buf[RECORD_MAX];
	size_t len;
	bool bad; /* out of room or an unterminated string */
};

struct dec {
	const unsigned char *p;
	size_t left;
	bool bad; /* ran past the end or met an impossible value */
};

/* Only the used part of the buffer is ever read, so it is not cleared. */
static void enc_init(struct enc *e)
{
	e->len = 0;
	e->bad = false;
}

static void put_bytes(struct enc *e, const void *p, size_t n)
{
	if (n > sizeof(e->buf) - e->len) {
		e->bad = true;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void put_u8(struct enc *e, uint8_t v)
{
	put_bytes(e, &v, 1);
}

static void put_uvar(struct enc *e, uint64_t v)
{
	unsigned char b[VARINT_MAX];
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	put_bytes(e, b, n);
}

/* Zigzag keeps small negative numbers (and 0 = "never") short. */
static void put_svar(struct enc *e, int64_t v)
{
	put_uvar(e, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void put_raw_str(struct enc *e, const void *s, size_t n)
{
	put_uvar(e, n);
	put_bytes(e, s, n);
}

/* A NUL-terminated string from a field of cap bytes. */
static void put_str(struct enc *e, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		e->bad = true;
	else
		put_raw_str(e, s, n);
}

static const unsigned char *get_bytes(struct dec *d, size_t n)
{
	const unsigned char *p = d->p;

	if (d->bad || n > d->left) {
		d->bad = true;
		return NULL;
	}
	d->p += n;
	d->left -= n;
	return p;
}

static uint8_t get_u8(struct dec *d)
{
	const unsigned char *p = get_bytes(d, 1);

	return p ? *p : 0;
}

static uint64_t get_uvar(struct dec *d)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
		uint8_t b = get_u8(d);

		if (d->bad)
			return 0;
		if (shift == 63 && b > 1)
			break;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	d->bad = true;
	return 0;
}

static uint32_t get_u32var(struct dec *d)
{
	uint64_t v = get_uvar(d);

	if (v > UINT32_MAX) {
		d->bad = true;
		return 0;
	}
	return (uint32_t)v;
}

static int64_t get_svar(struct dec *d)
{
	uint64_t v = get_uvar(d);

	return (int64_t)((v >> 1) ^ (0 - (v & 1)));
}

/* A string into a field of cap bytes, NUL-terminated; it must fit. */
static void get_str(struct dec *d, char *out, size_t cap)
{
	uint64_t n = get_uvar(d);
	const unsigned char *p;

	out[0] = '\0';
	if (n >= cap) {
		d->bad = true;
		return;
	}
	p = get_bytes(d, n);
	if (!p)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Length-prefixed bytes, borrowed from the record. */
static const unsigned char *get_raw(struct dec *d, size_t *len)
{
	uint64_t n = get_uvar(d);

	*len = 0;
	if (n > d->left) {
		d->bad = true;
		return NULL;
	}
	*len = (size_t)n;
	return get_bytes(d, *len);
}

static void dec_init(struct dec *d, const MDB_val *v)
{
	d->p = v->mv_data;
	d->left = v->mv_size;
	d->bad = false;
}

/* A record must be whole and nothing more. */
static int dec_finish(const struct dec *d)
{
	return d->bad || d->left ? -EIO : 0;
}

static void put_stamp(struct enc *e, const struct store_file_stamp *s)
{
	put_uvar(e, s->size);
	put_svar(e, s->mtime_ns);
	put_uvar(e, s->ino);
}

static void get_stamp(struct dec *d, struct store_file_stamp *s)
{
	s->size = get_uvar(d);
	s->mtime_ns = get_svar(d);
	s->ino = get_uvar(d);
}

static int encode_bucket(const struct store_bucket *b, uint32_t id,
			 struct enc *e)
{
	put_u8(e, RECORD_V1);
	put_uvar(e, id);
	put_svar(e, b->last_complete_listing);
	put_svar(e, b->last_cycle_start);
	put_svar(e, b->last_cycle_end);
	put_uvar(e, b->cycles);
	put_uvar(e, b->complete_cycles);
	put_uvar(e, b->objects_mirrored);
	put_uvar(e, b->objects_failed);
	put_uvar(e, b->objects_pending);
	put_uvar(e, b->bytes_mirrored);
	put_uvar(e, b->last_downloaded);
	put_uvar(e, b->last_deleted);
	put_uvar(e, b->last_restored);
	put_str(e, b->last_error, sizeof(b->last_error));
	return e->bad ? -EINVAL : 0;
}

static int decode_bucket(const MDB_val *v, struct store_bucket *b)
{
	struct dec d;

	dec_init(&d, v);
	if (get_u8(&d) != RECORD_V1)
		return -EIO;

	b->id = get_u32var(&d);
	b->last_complete_listing = get_svar(&d);
	b->last_cycle_start = get_svar(&d);
	b->last_cycle_end = get_svar(&d);
	b->cycles = get_uvar(&d);
	b->complete_cycles = get_uvar(&d);
	b->objects_mirrored = get_uvar(&d);
	b->objects_failed = get_uvar(&d);
	b->objects_pending = get_uvar(&d);
	b->bytes_mirrored = get_uvar(&d);
	b->last_downloaded = get_uvar(&d);
	b->last_deleted = get_uvar(&d);
	b->last_restored = get_uvar(&d);
	get_str(&d, b->last_error, sizeof(b->last_error));
	if (b->id == 0)
		return -EIO;
	return dec_finish(&d);
}

static bool state_valid(unsigned state)
{
	return state >= STORE_OBJECT_MIRRORED && state <= STORE_OBJECT_REFUSED;
}

static int encode_object(const struct store_object *o, struct enc *e)
{
	if (!state_valid(o->state))
		return -EINVAL;

	put_u8(e, RECORD_V1);
	put_u8(e, (uint8_t)o->state);
	put_str(e, o->etag, sizeof(o->etag));
	put_uvar(e, o->size);
	put_svar(e, o->last_modified);
	put_bytes(e, o->local_md5, sizeof(o->local_md5));
	put_stamp(e, &o->local);
	put_uvar(e, o->fail_count);
	put_svar(e, o->next_retry);
	put_str(e, o->last_error, sizeof(o->last_error));
	return e->bad ? -EINVAL : 0;
}

static int decode_object(const MDB_val *v, struct store_object *o)
{
	const unsigned char *md5;
	unsigned state;
	struct dec d;

	dec_init(&d, v);
	if (get_u8(&d) != RECORD_V1)
		return -EIO;

	state = get_u8(&d);
	if (!state_valid(state))
		return -EIO;
	o->state = (enum store_object_state)state;
	get_str(&d, o->etag, sizeof(o->etag));
	o->size = get_uvar(&d);
	o->last_modified = get_svar(&d);
	md5 = get_bytes(&d, sizeof(o->local_md5));
	if (md5)
		memcpy(o->local_md5, md5, sizeof(o->local_md5));
	get_stamp(&d, &o->local);
	o->fail_count = get_u32var(&d);
	o->next_retry = get_svar(&d);
	get_str(&d, o->last_error, sizeof(o->last_error));
	return dec_finish(&d);
}

/* ---- keys ---- */

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static bool in_bucket(const MDB_val *k, uint32_t bucket_id)
{
	unsigned char prefix[ID_LEN];

	put_be32(prefix, bucket_id);
	return k->mv_size > ID_LEN && memcmp(k->mv_data, prefix, ID_LEN) == 0;
}

/* buf must hold ID_LEN + DM_KEY_MAX bytes. */
static int object_key(uint32_t bucket_id, const char *key, size_t key_len,
		      unsigned char *buf, MDB_val *out)
{
	if (!key || key_len == 0 || key_len > DM_KEY_MAX)
		return -EINVAL;

	put_be32(buf, bucket_id);
	memcpy(buf + ID_LEN, key, key_len);
	out->mv_data = buf;
	out->mv_size = ID_LEN + key_len;
	return 0;
}

static int bucket_key(const char *name, MDB_val *out)
{
	size_t len = name ? strnlen(name, NAME_MAX_LEN + 1) : 0;

	if (len == 0 || len > NAME_MAX_LEN)
		return -EINVAL;

	out->mv_data = (void *)name;
	out->mv_size = len;
	return 0;
}

/* ---- database access ---- */

/*
 * A lookup maps the pages it reads and, through the kernel's fault-around,
 * up to fifteen cached neighbours of each (MADV_RANDOM does not stop that).
 * A page of a thousand lookups thus kept twenty to thirty megabytes of a
 * file resident; trimming after every few dozen lookups bounds the resident
 * map whoever the caller is.  Puts and deletes search the tree too.
 * Trimming costs a walk of the populated page tables, which the trim
 * itself keeps short, and is safe with transactions open in any thread: a
 * dropped page is mapped again, unchanged, on its next access.
 */
static void note_lookup(struct store *store)
{
	if (atomic_fetch_add(&store->lookups, 1) + 1 >= TRIM_EVERY_LOOKUPS) {
		atomic_store(&store->lookups, 0);
		store_trim(store);
	}
}

static int db_get(struct store_txn *txn, enum db db, MDB_val *k, MDB_val *v)
{
	note_lookup(txn->store);
	return errno_of(mdb_get(txn->txn, txn->store->dbi[db], k, v));
}

static int db_put(struct store_txn *txn, enum db db, MDB_val *k, MDB_val *v)
{
	if (!txn->write)
		return -EROFS;
	note_lookup(txn->store);
	return errno_of(mdb_put(txn->txn, txn->store->dbi[db], k, v, 0));
}

static int db_del(struct store_txn *txn, enum db db, MDB_val *k)
{
	if (!txn->write)
		return -EROFS;
	note_lookup(txn->store);
	return errno_of(mdb_del(txn->txn, txn->store->dbi[db], k, NULL));
}

/* Delete the record of (bucket, key) in one of the tables keyed so. */
static int db_del_object_key(struct store_txn *txn, enum db db,
			     uint32_t bucket_id, const char *key,
			     size_t key_len)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k;
	int rc = object_key(bucket_id, key, key_len, buf, &k);

	return rc ? rc : db_del(txn, db, &k);
}

static int meta_get_u32(struct store_txn *txn, const char *name,
			uint32_t *value)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	const unsigned char *p;
	int rc;

	rc = db_get(txn, DB_META, &k, &v);
	if (rc)
		return rc;

	if (v.mv_size != 4)
		return -EIO;
	p = v.mv_data;
	*value = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		 (uint32_t)p[3] << 24;
	return 0;
}

static int meta_put_u32(struct store_txn *txn, const char *name, uint32_t value)
{
	unsigned char b[4] = {(unsigned char)value, (unsigned char)(value >> 8),
			      (unsigned char)(value >> 16),
			      (unsigned char)(value >> 24)};
	MDB_val k = {strlen(name), (void *)name}, v = {sizeof(b), b};

	return db_put(txn, DB_META, &k, &v);
}

/*
 * Walk the keys of one bucket in db, in order, handing each (copied, so
 * that fn may write to the store, even delete that key) to fn.  Stops after
 * max keys.  Returns how many were handed, or the first error.
 */
typedef int (*key_fn)(struct store_txn *txn, void *ctx, const char *key,
		      size_t key_len);

static int walk_bucket(struct store_txn *txn, enum db db, uint32_t bucket_id,
		       size_t max, key_fn fn, void *ctx)
{
	unsigned char prefix[ID_LEN];
	char key[DM_KEY_MAX + 1];
	MDB_val k = {sizeof(prefix), prefix}, v;
	MDB_cursor *mc;
	size_t count = 0;
	int rc;

	if (max > INT32_MAX)
		max = INT32_MAX; /* the count is returned as an int */
	put_be32(prefix, bucket_id);
	rc = errno_of(mdb_cursor_open(txn->txn, txn->store->dbi[db], &mc));
	if (rc)
		return rc;

	rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE));
	while (rc == 0 && count < max && in_bucket(&k, bucket_id)) {
		size_t key_len = k.mv_size - ID_LEN;

		if (key_len > DM_KEY_MAX) {
			rc = -EIO;
			goto out_close;
		}
		memcpy(key, (const char *)k.mv_data + ID_LEN, key_len);
		key[key_len] = '\0';
		rc = fn(txn, ctx, key, key_len);
		if (rc)
			goto out_close;

		count++;
		rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_NEXT));
	}
	if (rc == -ENOENT)
		rc = 0;

out_close:
	mdb_cursor_close(mc);
	return rc ? rc : (int)count;
}

/* One piece of a record written by db_put_joined(). */
struct part {
	const void *p;
	size_t len;
};

/*
 * Put a record made of an encoded head and raw fields too long for
 * struct enc.  The parts are joined in a buffer of our own before LMDB
 * changes anything, so they may point into records of this transaction,
 * whose pages the put could move or free.
 */
static int db_put_joined(struct store_txn *txn, enum db db, MDB_val *k,
			 const struct part *parts, size_t count)
{
	unsigned char *buf, *end;
	MDB_val v = {0, NULL};
	int rc;

	if (!txn->write)
		return -EROFS;
	for (size_t i = 0; i < count; i++)
		v.mv_size += parts[i].len;
	buf = malloc(v.mv_size);
	if (!buf)
		return -ENOMEM;

	end = buf;
	for (size_t i = 0; i < count; i++) {
		if (parts[i].len)
			memcpy(end, parts[i].p, parts[i].len);
		end += parts[i].len;
	}
	v.mv_data = buf;
	rc = db_put(txn, db, k, &v);
	free(buf);
	return rc;
}

static bool has_prefix(const MDB_val *k, const void *prefix, size_t prefix_len)
{
	return k->mv_size > prefix_len &&
	       memcmp(k->mv_data, prefix, prefix_len) == 0;
}

/*
 * Walk the records of db whose keys start with prefix and are longer, in
 * order.  fn gets a NUL-terminated copy of each whole key and the record
 * as stored; fn may put or delete anything, the record it was given
 * included, because the walk then seeks past the copied key rather than
 * trust the cursor to have followed.  Those seeks land on the pages just
 * read, so only the first counts as a random lookup.
 */
typedef int (*record_fn)(void *ctx, char *key, size_t key_len,
			 const MDB_val *record);

static int walk_prefix(struct store_txn *txn, enum db db, const void *prefix,
		       size_t prefix_len, record_fn fn, void *ctx)
{
	char key[ID_LEN + DM_KEY_MAX + 1];
	MDB_val k = {prefix_len, (void *)prefix}, v;
	MDB_cursor *mc;
	size_t key_len;
	int rc;

	rc = errno_of(mdb_cursor_open(txn->txn, txn->store->dbi[db], &mc));
	if (rc)
		return rc;

	note_lookup(txn->store);
	rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE));
	while (rc == 0 && has_prefix(&k, prefix, prefix_len)) {
		key_len = k.mv_size;
		if (key_len > ID_LEN + DM_KEY_MAX) {
			rc = -EIO;
			goto out_close;
		}
		memcpy(key, k.mv_data, key_len);
		key[key_len] = '\0';
		rc = fn(ctx, key, key_len, &v);
		if (rc)
			goto out_close;

		k.mv_data = key;
		k.mv_size = key_len;
		rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE));
		if (rc == 0 && k.mv_size == key_len &&
		    memcmp(k.mv_data, key, key_len) == 0)
			rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_NEXT));
	}
	if (rc == -ENOENT)
		rc = 0;

out_close:
	mdb_cursor_close(mc);
	return rc;
}

/* ---- environment ---- */

static int prepare_dir(const char *dir, enum store_mode mode,
		       struct dm_error *err)
{
	struct stat st;
	int e;

	if (mode == STORE_READ_WRITE) {
		if (mkdir(dir, 0700) == 0 || errno == EEXIST)
			return 0;
		e = errno;
		return dm_error_set(err, -e,
				    "cannot create store folder '%s': %s", dir,
				    strerror(e));
	}

	if (stat(dir, &st) == 0)
		return 0;
	e = errno;
	return dm_error_set(err, -e, "cannot open store folder '%s': %s%s", dir,
			    strerror(e),
			    e == ENOENT ? " (has the agent run?)" : "");
}

static int open_env(struct store *store, const char *dir, struct dm_error *err)
{
	unsigned flags = MDB_NOTLS | (store->read_only ? MDB_RDONLY : 0);
	int rc;

	rc = mdb_env_create(&store->env);
	if (rc)
		return dm_error_set(err, errno_of(rc),
				    "cannot create store environment: %s",
				    mdb_strerror(rc));

	rc = mdb_env_set_maxdbs(store->env, DB_COUNT);
	if (!rc)
		rc = mdb_env_set_mapsize(store->env, MAP_SIZE);
	if (!rc)
		rc = mdb_env_set_maxreaders(store->env, MAX_READERS);
	if (!rc)
		rc = mdb_env_open(store->env, dir, flags, 0600);
	if (!rc)
		return 0;

	mdb_env_close(store->env);
	store->env = NULL;
	return dm_error_set(
		err, errno_of(rc), "cannot open store in '%s': %s%s", dir,
		mdb_strerror(rc), rc == ENOENT ? " (has the agent run?)" : "");
}

/*
 * Write the schema version into a new store, or check an existing one.
 * Every change of schema so far only added databases, which open_dbs()
 * creates empty in read-write mode, so an older store is upgraded by
 * recording the new version.  A read-only store cannot create them and
 * refuses an older one rather than show it without its newer tables.
 */
static int check_schema(struct store_txn *txn, const char *dir,
			struct dm_error *err)
{
	uint32_t version;
	int rc;

	rc = meta_get_u32(txn, meta_schema, &version);
	if (rc == 0 && (version == 0 || version > SCHEMA_VERSION))
		return dm_error_set(err, -EIO,
				    "store in '%s' has schema version %u, this "
				    "drivemon reads version %u only",
				    dir, version, SCHEMA_VERSION);
	if (rc == 0 && version < SCHEMA_VERSION && !txn->write)
		return dm_error_set(
			err, -EIO,
			"store in '%s' has schema version %u, which "
			"the agent upgrades to %u when it starts",
			dir, version, SCHEMA_VERSION);
	if ((rc == -ENOENT && txn->write) ||
	    (rc == 0 && version < SCHEMA_VERSION))
		rc = meta_put_u32(txn, meta_schema, SCHEMA_VERSION);
	if (rc)
		return dm_error_set(err, rc,
				    "cannot check schema version of store in "
				    "'%s': %s",
				    dir, strerror(-rc));
	return 0;
}

static int open_db(struct store_txn *txn, enum db db, const char *dir,
		   struct dm_error *err)
{
	unsigned flags = txn->write ? MDB_CREATE : 0;
	int rc;

	rc = mdb_dbi_open(txn->txn, db_names[db], flags, &txn->store->dbi[db]);
	if (rc == MDB_NOTFOUND)
		return dm_error_set(err, -ENOENT,
				    "store in '%s' is not initialised (has the "
				    "agent run?)",
				    dir);
	if (rc)
		return dm_error_set(err, errno_of(rc),
				    "cannot open database '%s' of store in "
				    "'%s': %s",
				    db_names[db], dir, mdb_strerror(rc));
	return 0;
}

/*
 * Open the named databases, meta first so that the schema is known
 * before a database it lacks is missed.  A read-only store opens them in
 * a read transaction, which works while the agent writes; committing it
 * keeps the handles for the life of the environment.
 */
static int open_dbs(struct store *store, const char *dir, struct dm_error *err)
{
	struct store_txn txn = {.store = store, .write = !store->read_only};
	int rc;

	rc = mdb_txn_begin(store->env, NULL, txn.write ? 0 : MDB_RDONLY,
			   &txn.txn);
	if (rc)
		return dm_error_set(err, errno_of(rc),
				    "cannot read store in '%s': %s", dir,
				    mdb_strerror(rc));

	rc = open_db(&txn, DB_META, dir, err);
	if (rc)
		goto out_abort_txn;

	rc = check_schema(&txn, dir, err);
	if (rc)
		goto out_abort_txn;

	for (int db = 0; db < DB_COUNT; db++) {
		rc = db == DB_META ? 0 : open_db(&txn, db, dir, err);
		if (rc)
			goto out_abort_txn;
	}

	rc = mdb_txn_commit(txn.txn);
	if (rc)
		return dm_error_set(err, errno_of(rc),
				    "cannot initialise store in '%s': %s", dir,
				    mdb_strerror(rc));
	return 0;

out_abort_txn:
	mdb_txn_abort(txn.txn);
	return rc;
}

/*
 * LMDB does not tell where it mapped the file (mdb_env_info() gives an
 * address only with MDB_FIXEDMAP), so find the mapping that holds a value
 * read through it.  Without /proc the store works the same; only
 * store_trim() has nothing to trim.
 */
static void locate_map(struct store *store)
{
	MDB_val k = {sizeof(meta_schema) - 1, (void *)meta_schema}, v;
	uintptr_t inside, start, end;
	char *line = NULL;
	size_t cap = 0;
	MDB_txn *txn;
	FILE *maps;
	int rc;

	if (mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn))
		return;
	rc = mdb_get(txn, store->dbi[DB_META], &k, &v);
	inside = (uintptr_t)v.mv_data;
	mdb_txn_abort(txn);
	if (rc)
		return;

	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return;
	while (getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 &&
		    start <= inside && inside < end) {
			store->map = (void *)start;
			store->map_len = end - start;
			break;
		}
	}
	free(line);
	fclose(maps);
}

int store_open(const char *dir, enum store_mode mode, struct store **out,
	       struct dm_error *err)
{
	struct store *store;
	int rc;

	rc = prepare_dir(dir, mode, err);
	if (rc)
		return rc;

	store = calloc(1, sizeof(*store));
	if (!store)
		return dm_error_set(err, -ENOMEM,
				    "cannot open store in '%s': %s", dir,
				    strerror(ENOMEM));
	store->read_only = mode == STORE_READ_ONLY;

	rc = open_env(store, dir, err);
	if (rc)
		goto out_free;

	rc = open_dbs(store, dir, err);
	if (rc)
		goto out_close_env;

	locate_map(store);
	*out = store;
	return 0;

out_close_env:
	mdb_env_close(store->env);
out_free:
	free(store);
	return rc;
}

void store_close(struct store *store)
{
	if (!store)
		return;

	mdb_env_close(store->env);
	free(store);
}

/*
 * Every page a cursor walks is mapped into the process and stays counted
 * in its resident set until the kernel needs the memory, so a walk over
 * millions of objects would look like a leak of hundreds of MiB.  The map
 * is a read-only shared file mapping (no MDB_WRITEMAP), so dropping its
 * pages loses nothing: the data stays in the page cache and the next read
 * faults it back in.  Only the part of the map up to the last page in use
 * can have been touched.
 */
void store_trim(struct store *store)
{
	long os_page = sysconf(_SC_PAGESIZE);
	MDB_envinfo info;
	MDB_stat st;
	size_t used;

	if (!store->map || os_page <= 0)
		return;
	if (mdb_env_info(store->env, &info) || mdb_env_stat(store->env, &st))
		return;

	used = ((size_t)info.me_last_pgno + 1) * st.ms_psize;
	used = (used + (size_t)os_page - 1) / (size_t)os_page * (size_t)os_page;
	if (used > store->map_len)
		used = store->map_len;
	madvise(store->map, used, MADV_DONTNEED);
}

/* ---- transactions ---- */

int store_txn_begin(struct store *store, bool write, struct store_txn **out)
{
	struct store_txn *txn;
	int rc;

	if (write && store->read_only)
		return -EROFS;

	txn = calloc(1, sizeof(*txn));
	if (!txn)
		return -ENOMEM;
	txn->store = store;
	txn->write = write;

	rc = errno_of(mdb_txn_begin(store->env, NULL, write ? 0 : MDB_RDONLY,
				    &txn->txn));
	if (rc) {
		free(txn);
		return rc;
	}
	*out = txn;
	return 0;
}

/* LMDB cursors must not outlive their transaction: close them first. */
static void end_cursors(struct store_txn *txn)
{
	for (struct store_cursor *cur = txn->cursors; cur; cur = cur->next) {
		mdb_cursor_close(cur->mc);
		cur->mc = NULL;
		cur->txn = NULL;
	}
	txn->cursors = NULL;
}

int store_txn_commit(struct store_txn *txn)
{
	int rc;

	end_cursors(txn);
	rc = errno_of(mdb_txn_commit(txn->txn));
	free(txn);
	return rc;
}

void store_txn_abort(struct store_txn *txn)
{
	if (!txn)
		return;

	end_cursors(txn);
	mdb_txn_abort(txn->txn);
	free(txn);
}

/* ---- buckets ---- */

int store_bucket_get(struct store_txn *txn, const char *name,
		     struct store_bucket *out)
{
	MDB_val k, v;
	int rc;

	rc = bucket_key(name, &k);
	if (rc)
		return rc;

	rc = db_get(txn, DB_BUCKETS, &k, &v);
	if (rc)
		return rc;

	return decode_bucket(&v, out);
}

/* The bucket's id if it is known, else the next free one. */
static int assign_id(struct store_txn *txn, const char *name, uint32_t *id)
{
	struct store_bucket known;
	uint32_t next;
	int rc;

	rc = store_bucket_get(txn, name, &known);
	if (rc == 0) {
		*id = known.id;
		return 0;
	}
	if (rc != -ENOENT)
		return rc;

	rc = meta_get_u32(txn, meta_next_id, &next);
	if (rc == -ENOENT)
		next = 1;
	else if (rc)
		return rc;
	if (next == 0)
		return -EOVERFLOW;

	rc = meta_put_u32(txn, meta_next_id, next + 1);
	if (rc)
		return rc;
	*id = next;
	return 0;
}

int store_bucket_put(struct store_txn *txn, const char *name,
		     struct store_bucket *bucket)
{
	uint32_t id = bucket->id;
	struct enc e;
	MDB_val k, v;
	int rc;

	rc = bucket_key(name, &k);
	if (rc)
		return rc;

	if (id == 0) {
		rc = assign_id(txn, name, &id);
		if (rc)
			return rc;
	}

	enc_init(&e);
	rc = encode_bucket(bucket, id, &e);
	if (rc)
		return rc;

	v.mv_data = e.buf;
	v.mv_size = e.len;
	rc = db_put(txn, DB_BUCKETS, &k, &v);
	if (rc)
		return rc;
	bucket->id = id;
	return 0;
}

int store_bucket_foreach(struct store_txn *txn, store_bucket_fn fn, void *ctx)
{
	char name[NAME_MAX_LEN + 1];
	struct store_bucket bucket;
	MDB_cursor *mc;
	MDB_val k, v;
	int rc;

	rc = errno_of(
		mdb_cursor_open(txn->txn, txn->store->dbi[DB_BUCKETS], &mc));
	if (rc)
		return rc;

	rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_FIRST));
	while (rc == 0) {
		if (k.mv_size == 0 || k.mv_size > NAME_MAX_LEN) {
			rc = -EIO;
			goto out_close;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		rc = decode_bucket(&v, &bucket);
		if (!rc)
			rc = fn(ctx, name, &bucket);
		if (rc)
			goto out_close;

		rc = errno_of(mdb_cursor_get(mc, &k, &v, MDB_NEXT));
	}
	if (rc == -ENOENT)
		rc = 0;

out_close:
	mdb_cursor_close(mc);
	return rc;
}

/* ---- objects ---- */

int store_object_get(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, struct store_object *out)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k, v;
	int rc;

	rc = object_key(bucket_id, key, key_len, buf, &k);
	if (rc)
		return rc;

	rc = db_get(txn, DB_OBJECTS, &k, &v);
	if (rc)
		return rc;

	return decode_object(&v, out);
}

int store_object_put(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, const struct store_object *object)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	struct enc e;
	MDB_val k, v, none = {0, NULL};
	int rc;

	rc = object_key(bucket_id, key, key_len, buf, &k);
	if (rc)
		return rc;
	enc_init(&e);
	rc = encode_object(object, &e);
	if (rc)
		return rc;

	v.mv_data = e.buf;
	v.mv_size = e.len;
	rc = db_put(txn, DB_OBJECTS, &k, &v);
	if (rc)
		return rc;

	if (object->state != STORE_OBJECT_MIRRORED)
		return db_put(txn, DB_FAILURES, &k, &none);
	rc = db_del(txn, DB_FAILURES, &k);
	return rc == -ENOENT ? 0 : rc;
}

int store_object_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len)
{
	int rc = db_del_object_key(txn, DB_OBJECTS, bucket_id, key, key_len);

	if (rc)
		return rc;

	rc = db_del_object_key(txn, DB_FAILURES, bucket_id, key, key_len);
	return rc == -ENOENT ? 0 : rc;
}

/* ---- cursors ---- */

/* Settle the cursor after a move that answered rc. */
static int cursor_moved(struct store_cursor *cur, int rc, const MDB_val *k)
{
	if (rc == 0 && !in_bucket(k, cur->bucket_id))
		rc = -ENOENT;
	cur->at_end = rc != 0;
	return rc;
}

int store_cursor_open(struct store_txn *txn, uint32_t bucket_id,
		      struct store_cursor **out)
{
	struct store_cursor *cur;
	int rc;

	cur = calloc(1, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	cur->bucket_id = bucket_id;

	rc = errno_of(mdb_cursor_open(txn->txn, txn->store->dbi[DB_OBJECTS],
				      &cur->mc));
	if (rc)
		goto out_free;
	cur->txn = txn;
	cur->next = txn->cursors;
	txn->cursors = cur;

	rc = store_cursor_seek_after(cur, NULL, 0);
	if (rc && rc != -ENOENT)
		goto out_close;

	*out = cur;
	return 0;

out_close:
	store_cursor_close(cur);
	return rc;
out_free:
	free(cur);
	return rc;
}

void store_cursor_close(struct store_cursor *cur)
{
	if (!cur)
		return;

	if (cur->txn) {
		struct store_cursor **link = &cur->txn->cursors;

		while (*link != cur)
			link = &(*link)->next;
		*link = cur->next;
		mdb_cursor_close(cur->mc);
	}
	free(cur);
}

/*
 * Every stored key is at most DM_KEY_MAX bytes, so the first key after a
 * longer one is the first key after its first DM_KEY_MAX bytes: such a
 * prefix that is itself stored sorts before the long key and is skipped.
 */
int store_cursor_seek_after(struct store_cursor *cur, const char *after,
			    size_t after_len)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k, v;
	int rc;

	if (!cur->txn)
		return -EINVAL;
	if (!after)
		after_len = 0;
	if (after_len > DM_KEY_MAX)
		after_len = DM_KEY_MAX;

	put_be32(buf, cur->bucket_id);
	if (after_len)
		memcpy(buf + ID_LEN, after, after_len);
	k.mv_data = buf;
	k.mv_size = ID_LEN + after_len;
	note_lookup(cur->txn->store);
	rc = errno_of(mdb_cursor_get(cur->mc, &k, &v, MDB_SET_RANGE));

	if (rc == 0 && after_len && k.mv_size == ID_LEN + after_len &&
	    memcmp(k.mv_data, buf, k.mv_size) == 0)
		rc = errno_of(mdb_cursor_get(cur->mc, &k, &v, MDB_NEXT));
	return cursor_moved(cur, rc, &k);
}

int store_cursor_get(struct store_cursor *cur, const char **key,
		     size_t *key_len, struct store_object *object)
{
	MDB_val k, v;
	size_t len;
	int rc;

	if (!cur->txn)
		return -EINVAL;
	if (cur->at_end)
		return -ENOENT;

	rc = errno_of(mdb_cursor_get(cur->mc, &k, &v, MDB_GET_CURRENT));
	if (rc == 0 && !in_bucket(&k, cur->bucket_id))
		rc = -ENOENT;
	if (rc)
		return rc;

	len = k.mv_size - ID_LEN;
	if (len > DM_KEY_MAX)
		return -EIO;
	memcpy(cur->key, (const char *)k.mv_data + ID_LEN, len);
	cur->key[len] = '\0';
	*key = cur->key;
	*key_len = len;
	return object ? decode_object(&v, object) : 0;
}

int store_cursor_next(struct store_cursor *cur)
{
	MDB_val k, v;

	if (!cur->txn)
		return -EINVAL;
	if (cur->at_end)
		return -ENOENT;

	return cursor_moved(
		cur, errno_of(mdb_cursor_get(cur->mc, &k, &v, MDB_NEXT)), &k);
}

/* ---- failures ---- */

struct failure_walk {
	uint32_t bucket_id;
	store_object_fn fn;
	void *ctx;
};

static int visit_failure(struct store_txn *txn, void *ctx, const char *key,
			 size_t key_len)
{
	struct failure_walk *walk = ctx;
	struct store_object object;
	int rc;

	rc = store_object_get(txn, walk->bucket_id, key, key_len, &object);
	if (rc == -ENOENT)
		return -EIO; /* the index lists an object that is not there */
	if (rc)
		return rc;
	return walk->fn(walk->ctx, key, key_len, &object);
}

int store_failure_foreach(struct store_txn *txn, uint32_t bucket_id,
			  store_object_fn fn, void *ctx)
{
	struct failure_walk walk = {bucket_id, fn, ctx};
	int rc;

	rc = walk_bucket(txn, DB_FAILURES, bucket_id, SIZE_MAX, visit_failure,
			 &walk);
	return rc < 0 ? rc : 0;
}

/* ---- doomed keys ---- */

int store_doomed_add(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k, none = {0, NULL};
	int rc;

	rc = object_key(bucket_id, key, key_len, buf, &k);
	if (rc)
		return rc;
	return db_put(txn, DB_DOOMED, &k, &none);
}

struct doomed_walk {
	store_object_fn fn;
	void *ctx;
};

static int visit_doomed(struct store_txn *txn, void *ctx, const char *key,
			size_t key_len)
{
	struct doomed_walk *walk = ctx;

	(void)txn;
	return walk->fn(walk->ctx, key, key_len, NULL);
}

int store_doomed_list(struct store_txn *txn, uint32_t bucket_id, size_t max,
		      store_object_fn fn, void *ctx)
{
	struct doomed_walk walk = {fn, ctx};

	return walk_bucket(txn, DB_DOOMED, bucket_id, max, visit_doomed, &walk);
}

int store_doomed_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len)
{
	return db_del_object_key(txn, DB_DOOMED, bucket_id, key, key_len);
}

static int forget_doomed(struct store_txn *txn, void *ctx, const char *key,
			 size_t key_len)
{
	const uint32_t *bucket_id = ctx;

	return store_doomed_del(txn, *bucket_id, key, key_len);
}

int store_doomed_clear(struct store_txn *txn, uint32_t bucket_id)
{
	int rc;

	if (!txn->write)
		return -EROFS;

	rc = walk_bucket(txn, DB_DOOMED, bucket_id, SIZE_MAX, forget_doomed,
			 &bucket_id);
	return rc < 0 ? rc : 0;
}

/* ---- ETag cache ---- */

/* bucket '\0' key, which names the entry and is kept in it. */
struct etag_name {
	unsigned char path[NAME_MAX_LEN + 1 + DM_KEY_MAX];
	size_t len;
	unsigned char md5[16];
};

/*
 * Keyed by the MD5 of the name so that any bucket and key fit in LMDB's
 * 511-byte keys; the record keeps the whole name to rule out a collision.
 */
static int etag_name(const char *bucket, const char *key, size_t key_len,
		     struct etag_name *out)
{
	size_t bucket_len = bucket ? strnlen(bucket, NAME_MAX_LEN + 1) : 0;

	if (bucket_len == 0 || bucket_len > NAME_MAX_LEN || !key ||
	    key_len == 0 || key_len > DM_KEY_MAX)
		return -EINVAL;

	memcpy(out->path, bucket, bucket_len);
	out->path[bucket_len] = '\0';
	memcpy(out->path + bucket_len + 1, key, key_len);
	out->len = bucket_len + 1 + key_len;
	if (!EVP_Digest(out->path, out->len, out->md5, NULL, EVP_md5(), NULL))
		return -EIO;
	return 0;
}

int store_etag_get(struct store_txn *txn, const char *bucket, const char *key,
		   size_t key_len, const struct store_file_stamp *stamp,
		   char *etag)
{
	struct store_file_stamp stored;
	char found[DM_ETAG_MAX];
	struct etag_name name;
	const unsigned char *path;
	uint64_t path_len;
	MDB_val k, v;
	struct dec d;
	int rc;

	rc = etag_name(bucket, key, key_len, &name);
	if (rc)
		return rc;
	k.mv_data = name.md5;
	k.mv_size = sizeof(name.md5);
	rc = db_get(txn, DB_ETAGS, &k, &v);
	if (rc)
		return rc;

	dec_init(&d, &v);
	if (get_u8(&d) != RECORD_V1)
		return -EIO;
	get_stamp(&d, &stored);
	get_str(&d, found, sizeof(found));
	path_len = get_uvar(&d);
	path = get_bytes(&d, path_len);
	rc = dec_finish(&d);
	if (rc)
		return rc;

	if (path_len != name.len || memcmp(path, name.path, name.len) != 0)
		return -ENOENT; /* another name with the same MD5 */
	if (stored.size != stamp->size || stored.mtime_ns != stamp->mtime_ns ||
	    stored.ino != stamp->ino)
		return -ENOENT;
	memcpy(etag, found, sizeof(found));
	return 0;
}

int store_etag_put(struct store_txn *txn, const char *bucket, const char *key,
		   size_t key_len, const struct store_file_stamp *stamp,
		   const char *etag)
{
	struct etag_name name;
	struct enc e;
	MDB_val k, v;
	int rc;

	rc = etag_name(bucket, key, key_len, &name);
	if (rc)
		return rc;

	enc_init(&e);
	put_u8(&e, RECORD_V1);
	put_stamp(&e, stamp);
	put_str(&e, etag, DM_ETAG_MAX);
	put_raw_str(&e, name.path, name.len);
	if (e.bad)
		return -EINVAL;

	k.mv_data = name.md5;
	k.mv_size = sizeof(name.md5);
	v.mv_data = e.buf;
	v.mv_size = e.len;
	return db_put(txn, DB_ETAGS, &k, &v);
}

/* ---- sources ---- */

/*
 * How many bytes of text a source keeps; when they are fewer than the
 * text has, *cut is set and the mark follows them.  The cut falls before
 * a UTF-8 sequence rather than inside it (a sequence's first byte is
 * followed by at most three continuation bytes 10xxxxxx).
 */
static size_t diagnostics_kept(const char *text, bool *cut)
{
	size_t len = strnlen(text, STORE_DIAGNOSTICS_MAX + 1);

	*cut = len > STORE_DIAGNOSTICS_MAX;
	if (!*cut)
		return len;

	len = STORE_DIAGNOSTICS_MAX - (sizeof(diagnostics_cut_mark) - 1);
	for (int i = 0; i < 3 && ((unsigned char)text[len] & 0xc0) == 0x80; i++)
		len--;
	return len;
}

/* The record before the diagnostics, which are diagnostics_len bytes. */
static int encode_source(const struct store_source *s, size_t diagnostics_len,
			 struct enc *e)
{
	put_u8(e, RECORD_V1);
	put_str(e, s->etag, sizeof(s->etag));
	put_stamp(e, &s->local);
	put_svar(e, s->handled_at);
	put_svar(e, s->status);
	put_str(e, s->kind, sizeof(s->kind));
	put_u8(e, s->diagnostics != NULL);
	if (s->diagnostics)
		put_uvar(e, diagnostics_len);
	return e->bad ? -EINVAL : 0;
}

/*
 * Decode all but the diagnostics, which are lent as *diagnostics and
 * *len, not NUL-terminated, or NULL when the source has none.
 */
static int decode_source(const MDB_val *v, struct store_source *s,
			 const char **diagnostics, size_t *len)
{
	int64_t status;
	uint8_t has_diagnostics;
	struct dec d;

	*diagnostics = NULL;
	*len = 0;
	s->diagnostics = NULL;
	dec_init(&d, v);
	if (get_u8(&d) != RECORD_V1)
		return -EIO;

	get_str(&d, s->etag, sizeof(s->etag));
	get_stamp(&d, &s->local);
	s->handled_at = get_svar(&d);
	status = get_svar(&d);
	if (status < INT32_MIN || status > INT32_MAX)
		return -EIO;
	s->status = (int32_t)status;
	get_str(&d, s->kind, sizeof(s->kind));
	has_diagnostics = get_u8(&d);
	if (has_diagnostics > 1)
		return -EIO;
	if (has_diagnostics)
		*diagnostics = (const char *)get_raw(&d, len);
	if (*len > STORE_DIAGNOSTICS_MAX)
		return -EIO;
	return dec_finish(&d);
}

int store_source_get(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, struct store_source *out)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	const char *diagnostics;
	size_t len;
	MDB_val k, v;
	int rc;

	out->diagnostics = NULL;
	rc = object_key(bucket_id, key, key_len, buf, &k);
	if (rc)
		return rc;

	rc = db_get(txn, DB_SOURCES, &k, &v);
	if (rc)
		return rc;

	rc = decode_source(&v, out, &diagnostics, &len);
	if (rc || !diagnostics)
		return rc;

	out->diagnostics = malloc(len + 1);
	if (!out->diagnostics)
		return -ENOMEM;
	memcpy(out->diagnostics, diagnostics, len);
	out->diagnostics[len] = '\0';
	return 0;
}

int store_source_put(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len, const struct store_source *source)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	size_t kept = 0, mark_len = 0;
	bool cut = false;
	struct enc e;
	MDB_val k;
	int rc;

	rc = object_key(bucket_id, key, key_len, buf, &k);
	if (rc)
		return rc;

	if (source->diagnostics)
		kept = diagnostics_kept(source->diagnostics, &cut);
	if (cut)
		mark_len = sizeof(diagnostics_cut_mark) - 1;
	enc_init(&e);
	rc = encode_source(source, kept + mark_len, &e);
	if (rc)
		return rc;

	return db_put_joined(txn, DB_SOURCES, &k,
			     (const struct part[]){
				     {e.buf, e.len},
				     {source->diagnostics, kept},
				     {diagnostics_cut_mark, mark_len},
			     },
			     3);
}

int store_source_del(struct store_txn *txn, uint32_t bucket_id, const char *key,
		     size_t key_len)
{
	return db_del_object_key(txn, DB_SOURCES, bucket_id, key, key_len);
}

struct source_walk {
	store_source_fn fn;
	void *ctx;
	char *diagnostics; /* STORE_DIAGNOSTICS_MAX + 1 bytes, lent to fn */
};

static int visit_source(void *ctx, char *key, size_t key_len,
			const MDB_val *record)
{
	struct source_walk *walk = ctx;
	struct store_source source;
	const char *diagnostics;
	size_t len;
	int rc;

	rc = decode_source(record, &source, &diagnostics, &len);
	if (rc)
		return rc;

	if (diagnostics) {
		memcpy(walk->diagnostics, diagnostics, len);
		walk->diagnostics[len] = '\0';
		source.diagnostics = walk->diagnostics;
	}
	return walk->fn(walk->ctx, key + ID_LEN, key_len - ID_LEN, &source);
}

int store_source_foreach(struct store_txn *txn, uint32_t bucket_id,
			 store_source_fn fn, void *ctx)
{
	struct source_walk walk = {fn, ctx, NULL};
	unsigned char prefix[ID_LEN];
	int rc;

	walk.diagnostics = malloc(STORE_DIAGNOSTICS_MAX + 1);
	if (!walk.diagnostics)
		return -ENOMEM;

	put_be32(prefix, bucket_id);
	rc = walk_prefix(txn, DB_SOURCES, prefix, sizeof(prefix), visit_source,
			 &walk);
	free(walk.diagnostics);
	return rc;
}

/* ---- artifacts ---- */

/*
 * bucket id, kind, '\0': how every key of one kind of artifact starts.
 * The kind holds no NUL, so the first NUL after the id ends it and the
 * keys sort by kind, then by name.  buf must hold ID_LEN + STORE_KIND_MAX
 * bytes.
 */
static int kind_prefix(uint32_t bucket_id, const char *kind, unsigned char *buf,
		       size_t *len)
{
	size_t kind_len = kind ? strnlen(kind, STORE_KIND_MAX) : 0;

	if (kind_len == 0 || kind_len == STORE_KIND_MAX)
		return -EINVAL;

	put_be32(buf, bucket_id);
	memcpy(buf + ID_LEN, kind, kind_len + 1);
	*len = ID_LEN + kind_len + 1;
	return 0;
}

/* buf must hold ID_LEN + DM_KEY_MAX bytes. */
static int artifact_key(uint32_t bucket_id, const char *kind, const char *name,
			size_t name_len, unsigned char *buf, MDB_val *out)
{
	size_t len;
	int rc;

	rc = kind_prefix(bucket_id, kind, buf, &len);
	if (rc)
		return rc;
	if (!name || name_len == 0 || name_len > ID_LEN + DM_KEY_MAX - len)
		return -EINVAL;

	memcpy(buf + len, name, name_len);
	out->mv_data = buf;
	out->mv_size = len + name_len;
	return 0;
}

/* The record before the content, which is a->content_len bytes. */
static int encode_artifact(const struct store_artifact *a, struct enc *e)
{
	if (!a->source_key || a->source_key_len == 0 ||
	    a->source_key_len > DM_KEY_MAX || (!a->content && a->content_len))
		return -EINVAL;

	put_u8(e, RECORD_V1);
	put_raw_str(e, a->source_key, a->source_key_len);
	put_str(e, a->source_etag, sizeof(a->source_etag));
	put_bytes(e, a->content_md5, sizeof(a->content_md5));
	put_svar(e, a->produced_at);
	put_uvar(e, a->content_len);
	return e->bad ? -EINVAL : 0;
}

/* The source key and the content are lent from the record. */
static int decode_artifact(const MDB_val *v, struct store_artifact *a)
{
	const unsigned char *md5;
	struct dec d;

	dec_init(&d, v);
	if (get_u8(&d) != RECORD_V1)
		return -EIO;

	a->source_key = (const char *)get_raw(&d, &a->source_key_len);
	if (a->source_key_len == 0 || a->source_key_len > DM_KEY_MAX)
		return -EIO;
	get_str(&d, a->source_etag, sizeof(a->source_etag));
	md5 = get_bytes(&d, sizeof(a->content_md5));
	if (md5)
		memcpy(a->content_md5, md5, sizeof(a->content_md5));
	a->produced_at = get_svar(&d);
	a->content = get_raw(&d, &a->content_len);
	return dec_finish(&d);
}

int store_artifact_put(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len,
		       const struct store_artifact *artifact)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	struct enc e;
	MDB_val k;
	int rc;

	rc = artifact_key(bucket_id, kind, name, name_len, buf, &k);
	if (rc)
		return rc;

	enc_init(&e);
	rc = encode_artifact(artifact, &e);
	if (rc)
		return rc;

	return db_put_joined(txn, DB_ARTIFACTS, &k,
			     (const struct part[]){
				     {e.buf, e.len},
				     {artifact->content, artifact->content_len},
			     },
			     2);
}

int store_artifact_get(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len,
		       struct store_artifact *out)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k, v;
	int rc;

	rc = artifact_key(bucket_id, kind, name, name_len, buf, &k);
	if (rc)
		return rc;

	rc = db_get(txn, DB_ARTIFACTS, &k, &v);
	if (rc)
		return rc;

	return decode_artifact(&v, out);
}

int store_artifact_del(struct store_txn *txn, uint32_t bucket_id,
		       const char *kind, const char *name, size_t name_len)
{
	unsigned char buf[ID_LEN + DM_KEY_MAX];
	MDB_val k;
	int rc;

	rc = artifact_key(bucket_id, kind, name, name_len, buf, &k);
	if (rc)
		return rc;
	return db_del(txn, DB_ARTIFACTS, &k);
}

struct artifact_walk {
	store_artifact_fn fn;
	void *ctx;
};

/* key is the bucket id, kind '\0' name, and a NUL that ends the name. */
static int visit_artifact(void *ctx, char *key, size_t key_len,
			  const MDB_val *record)
{
	struct artifact_walk *walk = ctx;
	struct store_artifact artifact;
	char *kind = key + ID_LEN;
	size_t rest = key_len - ID_LEN, kind_len = strnlen(kind, rest);
	int rc;

	if (kind_len == 0 || kind_len >= STORE_KIND_MAX || kind_len + 1 >= rest)
		return -EIO;

	rc = decode_artifact(record, &artifact);
	if (rc)
		return rc;
	return walk->fn(walk->ctx, kind, kind + kind_len + 1,
			rest - kind_len - 1, &artifact);
}

int store_artifact_foreach(struct store_txn *txn, uint32_t bucket_id,
			   const char *kind, store_artifact_fn fn, void *ctx)
{
	struct artifact_walk walk = {fn, ctx};
	unsigned char prefix[ID_LEN + STORE_KIND_MAX];
	size_t prefix_len = ID_LEN;
	int rc;

	put_be32(prefix, bucket_id);
	if (kind) {
		rc = kind_prefix(bucket_id, kind, prefix, &prefix_len);
		if (rc)
			return rc;
	}
	return walk_prefix(txn, DB_ARTIFACTS, prefix, prefix_len,
			   visit_artifact, &walk);
}
