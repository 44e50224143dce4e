// Safetensors: round trip, dtype conversion against hand-encoded values, and every malformed
// header rejected with a message that names the problem.
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/safetensors.h"
#include "testutil.h"


// a safetensors image from a header text and a data area
static size_t image(unsigned char *buf, const char *header, const unsigned char *data, size_t ndata) {
    size_t h = strlen(header);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(buf + 8, header, h);
    memcpy(buf + 8 + h, data, ndata);
    return 8 + h + ndata;
}

static void expect_bad(const char *header, size_t ndata, const char *needle) {
    unsigned char buf[1024], data[64] = {0};
    size_t n = image(buf, header, data, ndata);
    jepa_safetensors st;
    char err[256] = "";
    jepa_status s = jepa_st_parse(&st, buf, n, "x.safetensors", err, sizeof err);
    CHECK(s == JEPA_ERR_FORMAT);
    if (!strstr(err, needle)) {
        test_failures++;
        fprintf(stderr, "FAIL: header %s: error '%s' lacks '%s'\n", header, err, needle);
    }
}

static void test_malformed(void) {
    expect_bad("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "JSON");
    expect_bad("[1,2]", 0, "JSON object");
    expect_bad("{\"__metadata__\":{\"step\":3}}", 0, "not a string");
    // header length beyond the file, zero-length and short files
    unsigned char buf[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    jepa_safetensors st;
    char err[256];
    CHECK(jepa_st_parse(&st, buf, 10, "x", err, sizeof err) == JEPA_ERR_FORMAT && strstr(err, "exceeds"));
    CHECK(jepa_st_parse(&st, buf, 0, "x", err, sizeof err) == JEPA_ERR_FORMAT && strstr(err, "too short"));
    buf[0] = 2;
    buf[1] = 0;
    CHECK(jepa_st_parse(&st, buf, 10, "x", err, sizeof err) == JEPA_OK && st.count == 0);
    jepa_st_close(&st);
}

static void test_dtypes(void) {
    // F16: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, 2^-24 = 0x0001, 0.333251953125 = 0x3555
    // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00
    unsigned char data[14] = {0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x55, 0x35,
                              0x80, 0x3f, 0x00, 0xbf};
    unsigned char buf[512];
    size_t n = image(buf, "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                          "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[10,14]},"
                          "\"i\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[14,14]}}",
                     data, sizeof data);
    jepa_safetensors st;
    char err[256];
    CHECK(jepa_st_parse(&st, buf, n, "x", err, sizeof err) == JEPA_OK);
    float h[5], b[2];
    CHECK(jepa_st_to_f32(jepa_st_find(&st, "h"), h, err, sizeof err) == JEPA_OK);
    CHECK(h[0] == 1.0f && h[1] == -2.0f && h[2] == 65504.0f && h[3] == 0x1p-24f &&
          h[4] == 0.333251953125f);
    CHECK(jepa_st_to_f32(jepa_st_find(&st, "b"), b, err, sizeof err) == JEPA_OK);
    CHECK(b[0] == 1.0f && b[1] == -0.5f);
    CHECK(jepa_st_to_f32(jepa_st_find(&st, "i"), b, err, sizeof err) == JEPA_ERR_FORMAT);
    jepa_st_close(&st);
}

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_round_trip_and_params(void) {
    jepa_params p;
    jepa_params_init(&p);
    jepa_params_add(&p, "enc.weight", 2, (int64_t[]){3, 5}, 0);
    jepa_params_add(&p, "enc.bias", 1, (int64_t[]){3}, 1);
    jepa_params_add_buffer(&p, "bn.running_var", 1, (int64_t[]){4});
    CHECK(jepa_params_finalize(&p) == JEPA_OK);
    for (int64_t i = 0; i < p.total; i++) p.data[i] = (float)i * 0.25f - 1.0f;
    jepa_st_entry e[4];
    for (int i = 0; i < 3; i++)
        e[i] = (jepa_st_entry){p.items[i].name, p.items[i].tensor.ndim, p.items[i].tensor.shape,
                               p.items[i].tensor.data};
    float m[3] = {1, 2, 3};
    e[3] = (jepa_st_entry){"optim.enc.bias.m", 1, (int64_t[]){3}, m};
    char err[256];
    char path[600];
    snprintf(path, sizeof path, "%s", test_path("a.safetensors", NULL));
    CHECK(jepa_st_save(path, e, 4, "{\"step\":\"7\",\"config\":\"{\\\"x\\\":1}\"}", err, sizeof err) == JEPA_OK);
    CHECK(count_files(test_root()) == 1); // no temporary file left
    jepa_safetensors st;
    CHECK(jepa_st_open(&st, path, err, sizeof err) == JEPA_OK);
    CHECK(st.count == 4);
    CHECK(jepa_st_metadata(&st, "step") && strcmp(jepa_st_metadata(&st, "step"), "7") == 0);
    CHECK(jepa_st_metadata(&st, "config") && strcmp(jepa_st_metadata(&st, "config"), "{\"x\":1}") == 0);
    CHECK(((8 + (size_t)(st.tensors[0].data - (const unsigned char *)st.map - 8)) % 8) == 0);

    jepa_params q;
    jepa_params_init(&q);
    jepa_params_add(&q, "enc.weight", 2, (int64_t[]){3, 5}, 0);
    jepa_params_add(&q, "enc.bias", 1, (int64_t[]){3}, 1);
    jepa_params_add_buffer(&q, "bn.running_var", 1, (int64_t[]){4});
    CHECK(jepa_params_finalize(&q) == JEPA_OK);
    // the optimizer tensors are extra unless skipped
    CHECK(jepa_st_load_params(&st, &q, NULL, err, sizeof err) == JEPA_ERR_FORMAT &&
          strstr(err, "optim.enc.bias.m"));
    CHECK(jepa_st_load_params(&st, &q, "optim.", err, sizeof err) == JEPA_OK);
    CHECK(memcmp(q.data, p.data, sizeof(float) * (size_t)p.total) == 0);
    jepa_params_free(&q);
    // a missing and a mis-shaped tensor are named
    jepa_params r;
    jepa_params_init(&r);
    jepa_params_add(&r, "enc.weight", 2, (int64_t[]){3, 5}, 0);
    jepa_params_add(&r, "enc.bias", 1, (int64_t[]){3}, 1);
    jepa_params_add(&r, "bn.running_var", 1, (int64_t[]){4}, 1);
    jepa_params_add(&r, "head.weight", 1, (int64_t[]){2}, 1);
    CHECK(jepa_params_finalize(&r) == JEPA_OK);
    CHECK(jepa_st_load_params(&st, &r, "optim.", err, sizeof err) == JEPA_ERR_FORMAT &&
          strstr(err, "head.weight") && strstr(err, "missing"));
    jepa_params_free(&r);
    jepa_params_init(&r);
    jepa_params_add(&r, "enc.weight", 2, (int64_t[]){5, 3}, 0);
    jepa_params_add(&r, "enc.bias", 1, (int64_t[]){3}, 1);
    jepa_params_add(&r, "bn.running_var", 1, (int64_t[]){4}, 1);
    CHECK(jepa_params_finalize(&r) == JEPA_OK);
    CHECK(jepa_st_load_params(&st, &r, "optim.", err, sizeof err) == JEPA_ERR_SHAPE &&
          strstr(err, "enc.weight") && strstr(err, "[3, 5]") == NULL && strstr(err, "[5, 3]"));
    jepa_params_free(&r);
    jepa_st_close(&st);

    // a truncated copy of the file fails cleanly
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK(jepa_st_parse(&st, buf, n - 5, "t", err, sizeof err) == JEPA_ERR_FORMAT);
    CHECK(jepa_st_parse(&st, buf, 20, "t", err, sizeof err) == JEPA_ERR_FORMAT);
    CHECK(jepa_st_open(&st, test_path("missing.safetensors", NULL), err, sizeof err) == JEPA_ERR_IO &&
          strstr(err, "missing.safetensors"));
    // a failed write leaves the old file and no temporary one
    CHECK(jepa_st_save(path, e, 1, "{\"step\":3}", err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(jepa_st_save(test_path("no/such/dir/x.safetensors", NULL), e, 1, NULL, err, sizeof err) == JEPA_ERR_IO);
    CHECK(count_files(test_root()) == 1);
    jepa_params_free(&p);
}

int main(void) {
    if (!test_tmpdir("safetensors")) return 1;
    test_malformed();
    test_dtypes();
    test_round_trip_and_params();
    test_tmpdir_remove();
    return test_finish("test_safetensors");
}
