// Test helpers: checks that count failures (never removed by NDEBUG), random tensors, and the
// central finite-difference gradient check.
#ifndef JEPA_TESTUTIL_H
#define JEPA_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "jepa.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

extern int test_failures, test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

// |a - b| <= tol (absolute)
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        test_checks++;                                                                             \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            test_failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: %s = %.9g, %s = %.9g, tolerance %g\n", __FILE__,          \
                    __LINE__, #a, a_, #b, b_, (double)(tol));                                      \
        }                                                                                          \
    } while (0)

// FNV-1a, 64-bit, continuing from hash (start with TEST_FNV1A_INIT): golden-frame checksums.
#define TEST_FNV1A_INIT 0xcbf29ce484222325ull
uint64_t test_fnv1a(const void *data, size_t n, uint64_t hash);

// An environment is deterministic and set_state restores it exactly (the oracle: the env
// itself, run twice): the same seed gives the same states and 64x64 frames over `steps` random
// steps; a mid-episode state restored into an instance with another history replays the same
// future, frames included; and over `episodes` x 200 bang-bang steps (-1 with probability
// p_negative, else +1, per coordinate) a state restored before every step gives the same next
// state bit for bit. `seed` picks the episodes.
void test_env_restores_exactly(const jepa_env_model *m, int steps, int episodes, float p_negative,
                               uint64_t seed);

// FNV-1a of the first `frames` 64x64 frames of an episode: reset with seed, then random-policy
// actions drawn from stream 1 of seed (the frame before each action, and the first one).
uint64_t test_env_frames_hash(const jepa_env_model *m, uint64_t seed, int frames);

// The build folder the test was built in: $JEPA_BUILD_DIR (CMake sets it for ctest, so the
// sanitizer suite in build-asan/ runs its own jepa), else "build".
const char *test_build_dir(void);
// The jepa command-line tool of that build folder: "<build>/jepa".
const char *test_jepa_bin(void);
// Whether that tool exists; when not, a message that names it.
int test_have_jepa_bin(void);
// A fresh folder <build>/tests/<name>_XXXXXX for a test's files (the test runs from the
// repository root); its path, valid for the whole program. NULL, with a message, when it cannot
// be made.
const char *test_tmpdir(const char *name);
// The folder test_tmpdir made.
const char *test_root(void);
// Removes that folder when no check has failed so far (kept to look at when one has).
void test_tmpdir_remove(void);
// "<test_tmpdir>/<dir>" or "<test_tmpdir>/<dir>/<name>" (name may be NULL), in one of four
// buffers used in turn: valid for the next three calls.
const char *test_path(const char *dir, const char *name);
// Whether a file or folder exists.
int test_exists(const char *path);
// A whole file in a malloc'd buffer (with a NUL after its *size bytes); NULL when unreadable.
char *test_read_file(const char *path, size_t *size);
// Whether two files hold the same bytes (both readable); a message names them when not.
int test_same_file(const char *a, const char *b);

// A tiny pldm world model on 16x16 frames (2 CNN stages, latent 8), random weights: enough to
// drive planners and protocols in tests; use_proprio adds the proprio to the latent. Returns 1
// when it was made.
int test_tiny_model(jepa_model *m, int action_dim, int proprio_dim, int use_proprio);
// The tiny model's config, for a test to change before jepa_model_create.
void test_tiny_config(jepa_wm_config *cfg);
// Make m's state read-out (cfg.w_state > 0) read the constant `state`: its last layer's weights
// zero, its bias the state's features normalized by the buffers shift and scale (set here).
void test_constant_readout(jepa_model *m, const float *state, float shift, float scale);

// Print a summary line and return the exit code (0 only when every check passed).
int test_finish(const char *name);

// max |a-b| / (atol + rtol*|b|) over n elements: <= 1 means they agree
double test_compare(const float *a, const float *b, int64_t n, double atol, double rtol);

// A leaf with its own malloc'd data (uniform in [lo, hi)) and a zeroed grad; free with
// test_tensor_free. Such tensors outlive context resets, as gradcheck needs.
jepa_tensor *test_tensor(int ndim, const int64_t *shape, uint64_t seed, float lo, float hi);
void test_tensor_free(jepa_tensor *t);

// Push values in [-margin, margin] away from 0 (a kink of ReLU, abs, max...).
void test_avoid_zero(jepa_tensor *t, float margin);

// Builds the op under test from the inputs; must be a pure function of their data.
typedef jepa_tensor *(*test_build_fn)(jepa_ctx *ctx, jepa_tensor **inputs, void *user);

// Central finite differences, in double, of L = sum(out * R) for a fixed random R, against the
// analytic gradient of every input with requires_grad, on up to max_coords sampled coordinates
// per input. Passes when |num - ana| <= atol + rtol * max(|num|, |ana|) everywhere.
// Returns 1 on pass (and counts a check either way).
int test_gradcheck(const char *name, test_build_fn build, void *user, jepa_tensor **inputs,
                   int n_inputs, double eps, double atol, double rtol, int max_coords);

#endif
