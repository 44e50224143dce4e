// Atomic file replacement.
#define _POSIX_C_SOURCE 200809L
#include "jepa/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// temporary files made by this process so far (their names' last part)
static _Atomic unsigned tmp_count;

jepa_status jepa_atomic_open(jepa_atomic_file *af, const char *path, char *err, size_t err_size) {
    memset(af, 0, sizeof *af);
    if (strlen(path) + 32 >= sizeof af->tmp)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    // a name of its own beside path, made with mode 0666 so that the umask gives the file the
    // mode fopen would (mkstemp's is 0600), without touching the process's umask
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld.%u", path, (long)getpid(), tmp_count++);
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int saved = errno;
        af->tmp[0] = '\0';
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: cannot create a file beside it: %s", path,
                         strerror(saved));
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        unlink(af->tmp);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return JEPA_OK;
}

void jepa_atomic_abort(jepa_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    af->tmp[0] = '\0';
}

jepa_status jepa_atomic_commit(jepa_atomic_file *af, char *err, size_t err_size) {
    int bad = ferror(af->f) || fflush(af->f) != 0 || fsync(fileno(af->f)) != 0;
    int saved = errno;
    bad |= fclose(af->f) != 0;
    af->f = NULL;
    if (bad || rename(af->tmp, af->path) != 0) {
        if (!bad) saved = errno;
        unlink(af->tmp);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: write failed: %s", af->path,
                         strerror(saved));
    }
    // make the rename itself durable
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", af->path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    else snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return JEPA_OK;
}
