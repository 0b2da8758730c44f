/*
 * fuzz_replay.c - run a libFuzzer target over its seed corpus without
 * libFuzzer, so that plain ctest (and the sanitizer build) exercises every
 * seed on every run.
 *
 * Usage: fuzz_replay DIR...   Each regular file is one input.  A broken
 * contract aborts inside the target, which fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc(size > 0 ? (size_t)size : 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned replayed = 0, unreadable = 0;

	for (int i = 1; i < argc; i++) {
		DIR *dir = opendir(argv[i]);
		struct dirent *entry;

		if (!dir) {
			fprintf(stderr, "fuzz_replay: cannot open '%s'\n",
				argv[i]);
			return 1;
		}
		while ((entry = readdir(dir))) {
			char path[4096];

			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 entry->d_name);
			if (replay_file(path) == 0)
				replayed++;
			else
				unreadable++;
		}
		closedir(dir);
	}
	printf("%u passed, %u failed\n", replayed, unreadable);
	return unreadable || replayed == 0;
}
