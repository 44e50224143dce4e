// Files that appear whole or not at all: write to a temporary file in the same folder, fsync,
// then rename over the destination (and fsync the folder).
#ifndef JEPA_ATOMIC_FILE_H
#define JEPA_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_atomic_file {
    FILE *f;         // write here
    char path[4096]; // the destination
    char tmp[4096];  // the temporary file beside it
} jepa_atomic_file;

// Open a temporary file beside path for writing.
jepa_status jepa_atomic_open(jepa_atomic_file *af, const char *path, char *err, size_t err_size);
// Flush, fsync and rename onto the destination. On any failure the temporary file is removed
// and the destination is left as it was.
jepa_status jepa_atomic_commit(jepa_atomic_file *af, char *err, size_t err_size);
// Give up: close and remove the temporary file.
void jepa_atomic_abort(jepa_atomic_file *af);

#ifdef __cplusplus
}
#endif
#endif
