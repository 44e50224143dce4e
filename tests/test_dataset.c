// Datasets: windows read back against the NPY arrays themselves (frames /255 in CHW order, the
// actions of the skipped steps concatenated, states and proprio at the window's times), the
// seeded split, batches as a pure function of (seed, index), the prefetching loader against
// jepa_dataset_sample, and bad folders failing with messages that name the file.
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static const char *FILES[] = {"manifest.json", "frames.npy", "actions.npy", "states.npy",
                              "proprio.npy"};

static void remove_dataset(const char *dir) {
    for (int i = 0; i < 5; i++) unlink(test_path(dir, FILES[i]));
    rmdir(test_path(dir, NULL));
}

static int collect(const char *dir, int episodes, int steps, uint64_t seed) {
    jepa_collect_config c = {.env = "tworoom",
                             .options_json = "{\"door\": \"random\"}",
                             .episodes = episodes,
                             .steps = steps,
                             .seed = seed,
                             .policy = JEPA_POLICY_MIXED,
                             .size = 16};
    char err[256];
    jepa_status st = jepa_collect(&c, test_path(dir, NULL), NULL, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "collect: %s\n", err);
    return st == JEPA_OK;
}

// every field of two batches, bit for bit
static int same_batch(const jepa_batch *a, const jepa_batch *b) {
    size_t B = (size_t)a->B, T = (size_t)a->T;
    return a->B == b->B && a->T == b->T && a->A == b->A &&
           !memcmp(a->frames, b->frames, sizeof(float) * B * T * 3 * (size_t)(a->H * a->W)) &&
           !memcmp(a->actions, b->actions, sizeof(float) * B * (T - 1) * (size_t)a->A) &&
           !memcmp(a->states, b->states, sizeof(float) * B * T * (size_t)a->S) &&
           !memcmp(a->proprio, b->proprio, sizeof(float) * B * T * (size_t)a->P) &&
           !memcmp(a->episode, b->episode, sizeof(int64_t) * B) &&
           !memcmp(a->start, b->start, sizeof(int64_t) * B);
}

// rows [first, first + part->B) of whole equal the rows of part
static int same_rows(const jepa_batch *whole, int64_t first, const jepa_batch *part) {
    size_t T = (size_t)part->T, n = (size_t)part->B, f = (size_t)first;
    size_t frame = T * 3 * (size_t)(part->H * part->W), act = (T - 1) * (size_t)part->A;
    return whole->T == part->T && whole->A == part->A && first + part->B <= whole->B &&
           !memcmp(whole->frames + f * frame, part->frames, sizeof(float) * n * frame) &&
           !memcmp(whole->actions + f * act, part->actions, sizeof(float) * n * act) &&
           !memcmp(whole->states + f * T * (size_t)part->S, part->states,
                   sizeof(float) * n * T * (size_t)part->S) &&
           !memcmp(whole->episode + f, part->episode, sizeof(int64_t) * n) &&
           !memcmp(whole->start + f, part->start, sizeof(int64_t) * n);
}

// window i of b against the arrays mapped straight from the files
static int window_matches(const jepa_batch *b, int64_t i, const jepa_npy *F, const jepa_npy *A,
                          const jepa_npy *S, const jepa_npy *P, int frameskip) {
    int64_t N1 = F->shape[1], H = F->shape[2], W = F->shape[3], Ad = A->shape[2], Sd = S->shape[2],
            Pd = P->shape[2], ep = b->episode[i], start = b->start[i];
    const uint8_t *f = F->data;
    const float *a = A->data, *s = S->data, *p = P->data;
    int ok = 1;
    for (int64_t k = 0; k < b->T; k++) {
        int64_t t = start + k * frameskip;
        // frames: byte (y, x, c) of frame t -> float (c, y, x), divided by 255
        for (int c = 0; c < 3; c++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++) {
                    uint8_t byte = f[(((ep * N1 + t) * H + y) * W + x) * 3 + c];
                    float got = b->frames[(((i * b->T + k) * 3 + c) * H + y) * W + x];
                    ok &= fabsf(got - (float)byte / 255.0f) <= 1.2e-7f; // one ulp of [0.5, 1)
                }
        for (int64_t j = 0; j < Sd; j++)
            ok &= b->states[(i * b->T + k) * Sd + j] == s[(ep * N1 + t) * Sd + j];
        for (int64_t j = 0; j < Pd; j++)
            ok &= b->proprio[(i * b->T + k) * Pd + j] == p[(ep * N1 + t) * Pd + j];
        // actions between frames k and k+1: the env steps t, t+1, ..., t+frameskip-1, in order
        if (k + 1 < b->T)
            for (int q = 0; q < frameskip; q++)
                for (int64_t j = 0; j < Ad; j++)
                    ok &= b->actions[(i * (b->T - 1) + k) * b->A + q * Ad + j] ==
                          a[(ep * (N1 - 1) + t + q) * Ad + j];
    }
    return ok;
}

static void test_open_and_windows(void) {
    char err[512];
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, test_path("data", NULL), err, sizeof err) == JEPA_OK);
    CHECK(ds.episodes == 12 && ds.steps == 10 && ds.height == 16 && ds.width == 16);
    CHECK(ds.action_dim == 2 && ds.state_dim == 4 && ds.proprio_dim == 2);
    CHECK(strcmp(ds.env, "tworoom") == 0 && ds.options_json && strstr(ds.options_json, "random"));
    // the environment's names of the state variables, none of them an angle
    CHECK(ds.n_named == 4 && !strcmp(ds.state_names[0], "x") &&
          !strcmp(ds.state_names[3], "wall_x"));
    CHECK(ds.angle_states == 0);
    // the oracle: the arrays as the NPY reader maps them
    jepa_npy F, A, S, P;
    CHECK(jepa_npy_map(&F, test_path("data", "frames.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&A, test_path("data", "actions.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&S, test_path("data", "states.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&P, test_path("data", "proprio.npy"), err, sizeof err) == JEPA_OK);
    // every start of every episode, for windows of several shapes
    static const jepa_window shapes[] = {{1, 1, 0}, {4, 1, 0}, {4, 2, 0}, {3, 5, 0}, {2, 10, 0}, {11, 1, 0}};
    for (size_t w = 0; w < sizeof shapes / sizeof shapes[0]; w++) {
        jepa_batch b;
        CHECK(jepa_batch_alloc(&b, &ds, &shapes[w], 1) == JEPA_OK);
        CHECK(jepa_window_span(&shapes[w]) == (shapes[w].frames - 1) * shapes[w].frameskip);
        CHECK(b.T == shapes[w].frames && b.A == 2 * shapes[w].frameskip && b.S == 4 && b.P == 2);
        int ok = 1;
        for (int64_t ep = 0; ep < ds.episodes; ep++)
            for (int64_t start = 0; start + jepa_window_span(&shapes[w]) <= ds.steps; start++) {
                jepa_dataset_window(&ds, &shapes[w], ep, start, &b, 0);
                ok &= b.episode[0] == ep && b.start[0] == start;
                ok &= window_matches(&b, 0, &F, &A, &S, &P, shapes[w].frameskip);
            }
        if (!ok)
            fprintf(stderr, "  window %d x %d differs from the arrays\n", shapes[w].frames,
                    shapes[w].frameskip);
        CHECK(ok);
        jepa_batch_free(&b);
    }
    // a batch of random windows: each one is the window its (episode, start) names
    jepa_window w = {.frames = 4, .frameskip = 2};
    jepa_batch b;
    int64_t eps[3] = {2, 7, 11};
    CHECK(jepa_batch_alloc(&b, &ds, &w, 16) == JEPA_OK);
    jepa_dataset_sample(&ds, &w, eps, 3, 99, 4, &b);
    int ok = 1;
    for (int64_t i = 0; i < b.B; i++) {
        ok &= (b.episode[i] == 2 || b.episode[i] == 7 || b.episode[i] == 11);
        ok &= b.start[i] >= 0 && b.start[i] + jepa_window_span(&w) <= ds.steps;
        ok &= window_matches(&b, i, &F, &A, &S, &P, w.frameskip);
    }
    CHECK(ok);
    jepa_batch_free(&b);
    jepa_npy_close(&F);
    jepa_npy_close(&A);
    jepa_npy_close(&S);
    jepa_npy_close(&P);
    jepa_dataset_close(&ds);
}

static void test_split(void) {
    char err[512];
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, test_path("data", NULL), err, sizeof err) == JEPA_OK);
    int64_t *tr, *va, ntr, nva, *tr2, *va2, ntr2, nva2;
    // a partition: every episode exactly once; round(0.25 * 12) = 3 held out
    CHECK(jepa_dataset_split(&ds, 0.25, 5, &tr, &ntr, &va, &nva) == JEPA_OK);
    CHECK(ntr == 9 && nva == 3);
    int seen[12] = {0}, ok = 1;
    for (int64_t i = 0; i < ntr; i++) ok &= tr[i] >= 0 && tr[i] < 12 && ++seen[tr[i]] == 1;
    for (int64_t i = 0; i < nva; i++) ok &= va[i] >= 0 && va[i] < 12 && ++seen[va[i]] == 1;
    for (int i = 0; i < 12; i++) ok &= seen[i] == 1;
    CHECK(ok);
    // fixed by the seed
    CHECK(jepa_dataset_split(&ds, 0.25, 5, &tr2, &ntr2, &va2, &nva2) == JEPA_OK);
    CHECK(ntr2 == ntr && nva2 == nva && !memcmp(tr, tr2, sizeof(int64_t) * (size_t)ntr) &&
          !memcmp(va, va2, sizeof(int64_t) * (size_t)nva));
    free(tr2);
    free(va2);
    // and another seed holds out other episodes (for at least one of a few seeds)
    int differs = 0;
    for (uint64_t seed = 6; seed < 10; seed++) {
        CHECK(jepa_dataset_split(&ds, 0.25, seed, &tr2, &ntr2, &va2, &nva2) == JEPA_OK);
        differs |= memcmp(va, va2, sizeof(int64_t) * (size_t)nva) != 0;
        free(tr2);
        free(va2);
    }
    CHECK(differs);
    free(tr);
    free(va);
    // at least one held out for any positive fraction; none for 0
    CHECK(jepa_dataset_split(&ds, 0.01, 5, &tr, &ntr, &va, &nva) == JEPA_OK);
    CHECK(nva == 1 && ntr == 11);
    free(tr);
    free(va);
    CHECK(jepa_dataset_split(&ds, 0.0, 5, &tr, &ntr, &va, &nva) == JEPA_OK);
    CHECK(nva == 0 && ntr == 12);
    free(tr);
    free(va);
    jepa_dataset_close(&ds);
}

static void test_sample_and_loader(void) {
    char err[512];
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, test_path("data", NULL), err, sizeof err) == JEPA_OK);
    jepa_window w = {.frames = 3, .frameskip = 2};
    int64_t eps[5] = {0, 3, 4, 8, 10};
    jepa_batch a, b;
    CHECK(jepa_batch_alloc(&a, &ds, &w, 6) == JEPA_OK &&
          jepa_batch_alloc(&b, &ds, &w, 6) == JEPA_OK);
    // batch (seed, index) is the same whenever it is drawn, and differs between indices
    jepa_dataset_sample(&ds, &w, eps, 5, 17, 3, &a);
    jepa_dataset_sample(&ds, &w, eps, 5, 17, 4, &b);
    CHECK(!same_batch(&a, &b));
    jepa_dataset_sample(&ds, &w, eps, 5, 18, 3, &b);
    CHECK(!same_batch(&a, &b));
    jepa_dataset_sample(&ds, &w, eps, 5, 17, 3, &b);
    CHECK(same_batch(&a, &b));
    // the loader hands out batches first, first+1, ... exactly as jepa_dataset_sample draws them
    for (int first = 0; first <= 5; first += 5) {
        jepa_loader *l =
            jepa_loader_create(&ds, &w, 6, 0, eps, 5, 17, (uint64_t)first, err, sizeof err);
        CHECK(l != NULL);
        if (!l) continue;
        int ok = 1;
        for (int k = 0; k < 9; k++) {
            const jepa_batch *got = jepa_loader_next(l);
            jepa_dataset_sample(&ds, &w, eps, 5, 17, (uint64_t)(first + k), &a);
            ok &= same_batch(got, &a);
        }
        if (!ok) fprintf(stderr, "  loader from %d differs from jepa_dataset_sample\n", first);
        CHECK(ok);
        jepa_loader_free(l);
    }
    // rows [2, 5) of batch (17, 3) drawn alone; a loader of 3 rows from row 3 (the second of two
    // processes of batch 3) hands out the second half of each batch of 6
    jepa_batch part;
    CHECK(jepa_batch_alloc(&part, &ds, &w, 3) == JEPA_OK);
    jepa_dataset_sample(&ds, &w, eps, 5, 17, 3, &a);
    jepa_dataset_sample_rows(&ds, &w, eps, 5, 17, 3, 2, &part);
    CHECK(same_rows(&a, 2, &part) && !same_rows(&a, 1, &part));
    jepa_loader *half = jepa_loader_create(&ds, &w, 3, 3, eps, 5, 17, 4, err, sizeof err);
    CHECK(half != NULL);
    for (int k = 0; half && k < 4; k++) {
        jepa_dataset_sample(&ds, &w, eps, 5, 17, (uint64_t)(4 + k), &a);
        CHECK(same_rows(&a, 3, jepa_loader_next(half)));
    }
    jepa_loader_free(half);
    jepa_batch_free(&part);
    // a window longer than the episodes is refused with a message
    jepa_window too_long = {.frames = 4, .frameskip = 4};
    CHECK(jepa_loader_create(&ds, &too_long, 6, 0, eps, 5, 17, 0, err, sizeof err) == NULL);
    CHECK(strstr(err, "does not fit") != NULL);
    CHECK(jepa_loader_create(&ds, &w, 6, 0, eps, 0, 17, 0, err, sizeof err) == NULL);
    CHECK(strstr(err, "no episodes") != NULL);
    jepa_batch_free(&a);
    jepa_batch_free(&b);
    jepa_dataset_close(&ds);
}

// replace one key of dir's manifest by value (a JSON text; NULL removes the key)
static void edit_manifest(const char *dir, const char *key, const char *value) {
    FILE *f = fopen(test_path(dir, "manifest.json"), "rb");
    char text[8192] = "";
    size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[len] = '\0';
    cJSON *m = cJSON_Parse(text);
    CHECK(m != NULL && cJSON_GetObjectItem(m, key) != NULL);
    cJSON_DeleteItemFromObject(m, key);
    if (value) cJSON_AddItemToObject(m, key, cJSON_Parse(value));
    char *out = cJSON_Print(m);
    f = fopen(test_path(dir, "manifest.json"), "wb");
    if (f && out) fputs(out, f);
    if (f) fclose(f);
    cJSON_free(out);
    cJSON_Delete(m);
}

// open dir, expect a failure whose message holds both words
static void expect_open_fails(const char *dir, const char *word1, const char *word2) {
    char err[512] = "";
    jepa_dataset ds;
    jepa_status st = jepa_dataset_open(&ds, test_path(dir, NULL), err, sizeof err);
    int ok = st != JEPA_OK && strstr(err, word1) && (!word2 || strstr(err, word2));
    if (!ok || getenv("JEPA_TEST_VERBOSE"))
        fprintf(stderr, "  %s: status %d, message '%s'\n", dir, (int)st, err);
    CHECK(ok);
    CHECK(ds.frames.data == NULL && ds.options_json == NULL); // nothing left open
    if (st == JEPA_OK) jepa_dataset_close(&ds);
}

static void test_bad_datasets(void) {
    char err[512];
    // no manifest
    CHECK(collect("nomanifest", 3, 4, 1));
    unlink(test_path("nomanifest", "manifest.json"));
    expect_open_fails("nomanifest", "nomanifest/manifest.json", NULL);
    // actions of the wrong shape: 5 steps where the manifest says 4
    CHECK(collect("badactions", 3, 4, 1));
    float zeros[3 * 5 * 2] = {0};
    CHECK(jepa_npy_write(test_path("badactions", "actions.npy"), JEPA_NPY_F32, 3,
                         (int64_t[]){3, 5, 2}, zeros, err, sizeof err) == JEPA_OK);
    expect_open_fails("badactions", "badactions/actions.npy", "float32 [3, 5, 2]");
    // actions of the wrong type
    uint8_t bytes[3 * 4 * 2] = {0};
    CHECK(jepa_npy_write(test_path("badactions", "actions.npy"), JEPA_NPY_U8, 3, (int64_t[]){3, 4, 2},
                         bytes, err, sizeof err) == JEPA_OK);
    expect_open_fails("badactions", "badactions/actions.npy", "uint8 [3, 4, 2]");
    // frames cut short
    CHECK(collect("truncated", 3, 4, 1));
    struct stat sb;
    CHECK(stat(test_path("truncated", "frames.npy"), &sb) == 0);
    CHECK(truncate(test_path("truncated", "frames.npy"), sb.st_size - 100) == 0);
    expect_open_fails("truncated", "truncated/frames.npy", NULL);
    // a manifest that says 4 episodes over arrays of 3
    CHECK(collect("miscount", 3, 4, 1));
    edit_manifest("miscount", "episodes", "4");
    expect_open_fails("miscount", "miscount/frames.npy", "[4, 5, 16, 16, 3]");
    // state names and angles that do not fit the states (4 values), or are not names and indices
    CHECK(collect("names", 3, 4, 1));
    edit_manifest("names", "state_names", "[\"x\", \"y\", \"door\"]");
    expect_open_fails("names", "names/manifest.json", "state_names");
    edit_manifest("names", "state_names", "[\"x\", \"y\", 3, \"wall_x\"]");
    expect_open_fails("names", "names/manifest.json", "state_names");
    edit_manifest("names", "state_names", NULL);
    edit_manifest("names", "angle_states", "[4]");
    expect_open_fails("names", "names/manifest.json", "angle_states");
    edit_manifest("names", "angle_states", "[-1]");
    expect_open_fails("names", "names/manifest.json", "angle_states");
    // without the two (an older dataset): no names, no angles
    edit_manifest("names", "angle_states", NULL);
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, test_path("names", NULL), err, sizeof err) == JEPA_OK);
    CHECK(ds.n_named == 0 && ds.angle_states == 0);
    jepa_dataset_close(&ds);
    // a manifest that is not JSON
    FILE *f = fopen(test_path("miscount", "manifest.json"), "wb");
    if (f) fputs("{\"episodes\": 3,", f);
    if (f) fclose(f);
    expect_open_fails("miscount", "miscount/manifest.json", NULL);
    remove_dataset("nomanifest");
    remove_dataset("badactions");
    remove_dataset("truncated");
    remove_dataset("miscount");
    remove_dataset("names");
}

int main(void) {
    if (!test_tmpdir("dataset")) return 1;
    if (collect("data", 12, 10, 7)) {
        test_open_and_windows();
        test_split();
        test_sample_and_loader();
    } else {
        CHECK(0);
    }
    test_bad_datasets();
    remove_dataset("data");
    rmdir(test_root());
    test_tmpdir_remove();
    return test_finish("test_dataset");
}
