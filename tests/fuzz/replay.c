/*
 * Replays a fuzz target's corpus (tests/fuzz/NAME.in/) under make check,
 * so every input that once found a bug keeps being run without libFuzzer.
 */
#include "ac_config.h"

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	const char	*top = getenv("top_srcdir");
	char		 dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s.in", top ? top : ".",
	    FUZZ_CORPUS);
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char	*data;
		size_t	 len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (util_read_file(path, 1 << 20, &data, &len) == -1) {
			perror(path);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		n++;
	}
	closedir(d);
	printf("%s: %d inputs replayed\n", FUZZ_CORPUS, n);
	return n > 0 ? 0 : 1;
}
