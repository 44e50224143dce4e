// NPY: headers byte-identical to numpy's, round trips, and strict rejection of bad files (never
// a crash, whatever the bytes).
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

// np.save of np.arange(6, dtype='<f4').reshape(2, 3), written by numpy 2.4.6 (the oracle)
static const char NUMPY_2X3_HEX[] =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046"
    "616c73652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020"
    "2020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803f00"
    "00004000004040000080400000a040";

static size_t from_hex(const char *hex, unsigned char *out) {
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static void write_bytes(const char *path, const void *bytes, size_t n) {
    // a new file each time: ext4 flushes a file truncated and rewritten in place on close
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(bytes, 1, n, f);
    fclose(f);
}

static char g_dir[64];

static const char *tmp_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    return path;
}

// numpy's bytes for a 2x3 float32 array: ours must be the same, and we must read theirs
static void test_numpy_bytes(void) {
    unsigned char expect[256];
    size_t n = from_hex(NUMPY_2X3_HEX, expect);
    CHECK(n == 152);
    float data[6] = {0, 1, 2, 3, 4, 5};
    int64_t shape[2] = {2, 3};
    char err[256];
    CHECK(jepa_npy_write(tmp_path("a.npy"), JEPA_NPY_F32, 2, shape, data, err, sizeof err) ==
          JEPA_OK);
    unsigned char got[256];
    FILE *f = fopen(tmp_path("a.npy"), "rb");
    size_t m = f ? fread(got, 1, sizeof got, f) : 0;
    if (f) fclose(f);
    CHECK(m == n && memcmp(got, expect, n) == 0);
    // numpy's file, read back
    write_bytes(tmp_path("np.npy"), expect, n);
    jepa_npy arr;
    CHECK(jepa_npy_map(&arr, tmp_path("np.npy"), err, sizeof err) == JEPA_OK);
    CHECK(arr.dtype == JEPA_NPY_F32 && arr.ndim == 2 && arr.shape[0] == 2 && arr.shape[1] == 3);
    CHECK(arr.nbytes == 24 && arr.data && memcmp(arr.data, data, 24) == 0);
    CHECK(((uintptr_t)arr.data & 63) == 0); // the data starts 64-byte aligned in the map
    jepa_npy_close(&arr);
}

// header text of numpy for rank 0, 1 and 5 (taken from np.save) and 64-byte padding
static void test_headers(void) {
    static const struct {
        jepa_npy_dtype dtype;
        int ndim;
        int64_t shape[5];
        const char *dict;
    } cases[] = {
        {JEPA_NPY_U8, 1, {5}, "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }"},
        {JEPA_NPY_F32, 0, {0}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
        {JEPA_NPY_U8,
         5,
         {2, 0, 3, 4, 3},
         "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 0, 3, 4, 3), }"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char h[512];
        size_t n = jepa_npy_header(h, sizeof h, cases[i].dtype, cases[i].ndim, cases[i].shape);
        size_t len = strlen(cases[i].dict);
        CHECK(n == 128 && h[n - 1] == '\n' && memcmp(h + 10, cases[i].dict, len) == 0);
        CHECK(h[8] == 118 && h[9] == 0); // header length 118, as numpy writes
        int spaces = 1;
        for (size_t k = 10 + len; k < n - 1; k++) spaces &= h[k] == ' ';
        CHECK(spaces);
    }
    char small[64];
    int64_t shape[1] = {5};
    CHECK(jepa_npy_header(small, sizeof small, JEPA_NPY_U8, 1, shape) == 0);
    CHECK(jepa_npy_header(small, sizeof small, JEPA_NPY_U8, 6, shape) == 0);
}

// write and map back: rank 5 uint8, rank 1 float32, an empty array
static void test_round_trip(void) {
    char err[256];
    int64_t shape5[5] = {2, 3, 4, 5, 3};
    uint8_t bytes[360];
    for (int i = 0; i < 360; i++) bytes[i] = (uint8_t)(i * 7);
    CHECK(jepa_npy_write(tmp_path("u8.npy"), JEPA_NPY_U8, 5, shape5, bytes, err, sizeof err) ==
          JEPA_OK);
    jepa_npy arr;
    CHECK(jepa_npy_map(&arr, tmp_path("u8.npy"), err, sizeof err) == JEPA_OK);
    CHECK(arr.dtype == JEPA_NPY_U8 && arr.ndim == 5 && arr.nbytes == 360);
    for (int k = 0; k < 5; k++) CHECK(arr.shape[k] == shape5[k]);
    CHECK(arr.data && memcmp(arr.data, bytes, 360) == 0);
    jepa_npy_close(&arr);
    int64_t shape0[3] = {4, 0, 2};
    CHECK(jepa_npy_write(tmp_path("e.npy"), JEPA_NPY_F32, 3, shape0, NULL, err, sizeof err) ==
          JEPA_OK);
    CHECK(jepa_npy_map(&arr, tmp_path("e.npy"), err, sizeof err) == JEPA_OK);
    CHECK(arr.nbytes == 0 && arr.data == NULL && arr.shape[0] == 4 && arr.shape[1] == 0);
    jepa_npy_close(&arr);
    jepa_npy_close(&arr); // closing a closed array is a no-op
}

// a header with dict text d (padded as numpy pads it) followed by data_bytes zero bytes
static void write_with_dict(const char *path, const char *dict, size_t data_bytes, int version) {
    unsigned char buf[1024] = {0};
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)version;
    size_t len = strlen(dict), total = (10 + len + 1 + 63) / 64 * 64;
    buf[8] = (unsigned char)((total - 10) & 0xff);
    buf[9] = (unsigned char)((total - 10) >> 8);
    memcpy(buf + 10, dict, len);
    memset(buf + 10 + len, ' ', total - 11 - len);
    buf[total - 1] = '\n';
    write_bytes(path, buf, total + data_bytes);
}

static int rejects(const char *path, const char *why_part) {
    jepa_npy arr;
    char err[256] = "";
    jepa_status st = jepa_npy_map(&arr, path, err, sizeof err);
    int ok = st != JEPA_OK && arr.data == NULL && arr.map == NULL && strstr(err, path) != NULL &&
             strstr(err, why_part) != NULL && strchr(err, '\n') == NULL;
    if (!ok)
        fprintf(stderr, "  expected a rejection with '%s', got status %d: %s\n", why_part, st, err);
    return ok;
}

static void test_rejections(void) {
    const char *p = tmp_path("bad.npy");
    const char *good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    // the valid header is accepted, in any key order and with double quotes too
    jepa_npy arr;
    char err[256];
    write_with_dict(p, good, 24, 1);
    CHECK(jepa_npy_map(&arr, p, err, sizeof err) == JEPA_OK);
    jepa_npy_close(&arr);
    write_with_dict(p, "{\"shape\": (2, 3), \"descr\": \"<f4\", \"fortran_order\": False}", 24, 1);
    CHECK(jepa_npy_map(&arr, p, err, sizeof err) == JEPA_OK);
    jepa_npy_close(&arr);
    // each corruption, rejected with a reason
    write_with_dict(p, good, 23, 1);
    CHECK(rejects(p, "file size"));
    write_with_dict(p, good, 25, 1);
    CHECK(rejects(p, "file size"));
    write_with_dict(p, good, 24, 3);
    CHECK(rejects(p, "version"));
    write_with_dict(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48, 1);
    CHECK(rejects(p, "dtype"));
    write_with_dict(p, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, 1);
    CHECK(rejects(p, "dtype"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, 1);
    CHECK(rejects(p, "fortran_order"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24, 1);
    CHECK(rejects(p, "shape"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1), }", 4,
                    1);
    CHECK(rejects(p, "5 dimensions"));
    write_with_dict(p,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999, "
                    "999999999999999, 99999), }",
                    0, 1);
    CHECK(rejects(p, "shape"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': False}", 4, 1);
    CHECK(rejects(p, "lacks"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4, 1);
    CHECK(rejects(p, "unknown or repeated"));
    write_with_dict(p, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4,
                    1);
    CHECK(rejects(p, "unknown or repeated"));
    write_with_dict(p, "['descr', '<f4']", 4, 1);
    CHECK(rejects(p, "dict"));
    write_with_dict(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", 4, 1);
    CHECK(rejects(p, "newline"));
    // bad magic, a header longer than the file, a short file, an empty file, no file, a folder
    unsigned char buf[152];
    from_hex(NUMPY_2X3_HEX, buf);
    buf[1] = 'X';
    write_bytes(p, buf, sizeof buf);
    CHECK(rejects(p, "magic"));
    from_hex(NUMPY_2X3_HEX, buf);
    buf[9] = 0x7f;
    write_bytes(p, buf, sizeof buf);
    CHECK(rejects(p, "longer than the file"));
    write_bytes(p, buf, 8);
    CHECK(rejects(p, "too short"));
    write_bytes(p, buf, 0);
    CHECK(rejects(p, "too short"));
    CHECK(rejects(tmp_path("missing.npy"), "No such file"));
    CHECK(rejects(g_dir, "not a regular file"));
}

// random corruptions of a valid file: every outcome is a clean status, and an accepted file's
// data lies inside the file
static void test_fuzz(void) {
    unsigned char good[152], buf[152];
    from_hex(NUMPY_2X3_HEX, good);
    jepa_rng rng;
    jepa_rng_init(&rng, 7, 0);
    const char *p = tmp_path("fuzz.npy");
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, good, sizeof buf);
        int flips = 1 + (int)jepa_rng_below(&rng, 4);
        for (int k = 0; k < flips; k++)
            buf[jepa_rng_below(&rng, 128)] = (unsigned char)jepa_rng_u32(&rng);
        size_t len = it % 5 == 0 ? jepa_rng_below(&rng, 153) : sizeof buf;
        write_bytes(p, buf, len);
        jepa_npy arr;
        char err[256];
        if (jepa_npy_map(&arr, p, err, sizeof err) == JEPA_OK) {
            accepted++;
            CHECK(arr.nbytes <= len &&
                  (arr.nbytes == 0 || (const unsigned char *)arr.data + arr.nbytes ==
                                          (const unsigned char *)arr.map + len));
            jepa_npy_close(&arr);
        }
    }
    CHECK(accepted < 3000);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/jepa_test_npy_XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    test_numpy_bytes();
    test_headers();
    test_round_trip();
    test_rejections();
    test_fuzz();
    const char *names[] = {"a.npy", "np.npy", "u8.npy", "e.npy", "bad.npy", "fuzz.npy"};
    for (int i = 0; i < 6; i++) unlink(tmp_path(names[i]));
    rmdir(g_dir);
    return test_finish("test_npy");
}
