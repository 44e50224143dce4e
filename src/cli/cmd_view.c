// jepa view: an episode of a dataset as an animated GIF or a PNG contact sheet.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa view DIR --out FILE.gif|FILE.png [--episode i] [--scale K]\n"
               "\n"
               "A GIF plays the episode's frames; a PNG lays them out as a contact sheet.\n"
               "--scale enlarges each pixel K times (default: 4 for frames of 64 px or less).\n");
    return f == stdout ? 0 : 2;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

// frame (h x w x 3) enlarged k times into out ((h k) x (w k) x 3, row stride out_w pixels)
static void blit(uint8_t *out, int out_w, const uint8_t *frame, int w, int h, int k) {
    for (int y = 0; y < h * k; y++)
        for (int x = 0; x < w * k; x++)
            memcpy(out + ((size_t)y * out_w + x) * 3, frame + ((size_t)(y / k) * w + x / k) * 3, 3);
}

int jepa_cli_view_parse(int argc, char **argv, jepa_cli_view_opts *o) {
    const char *cmd = "view";
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--out") || !strcmp(a, "--episode") || !strcmp(a, "--scale")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            if (!strcmp(a, "--out"))
                o->out = v;
            else if (!strcmp(a, "--episode") && // its range checked against the dataset's
                     !jepa_cli_int(cmd, a, v, -(1LL << 40), 1LL << 40, &o->episode))
                return 1;
            else if (!strcmp(a, "--scale") && !jepa_cli_int(cmd, a, v, 1, 16, &o->scale))
                return 1;
        } else if (a[0] == '-' || o->dir) {
            fprintf(stderr, "jepa view: unexpected argument '%s' (see jepa view --help)\n", a);
            return 2;
        } else {
            o->dir = a;
        }
    }
    if (!o->dir || !o->out) {
        fprintf(stderr, "jepa view: missing %s (see jepa view --help)\n", !o->dir ? "DIR" : "--out");
        return 2;
    }
    o->gif = ends_with(o->out, ".gif");
    if (!o->gif && !ends_with(o->out, ".png")) {
        fprintf(stderr, "jepa view: --out: '%s' must end in .gif or .png\n", o->out);
        return 1;
    }
    return -1;
}

int jepa_cli_view_run(const jepa_cli_view_opts *o) {
    const char *dir = o->dir, *out = o->out;
    long long episode = o->episode, scale = o->scale;
    int gif = o->gif;
    // the frames, mapped: uint8 [N, T+1, H, W, 3]
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/frames.npy", dir);
    jepa_npy frames;
    if (jepa_npy_map(&frames, path, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa view: %s\n", err);
        return 1;
    }
    if (frames.dtype != JEPA_NPY_U8 || frames.ndim != 5 || frames.shape[4] != 3 ||
        frames.shape[1] < 1 || frames.shape[1] > 1000000 || frames.shape[2] < 1 ||
        frames.shape[3] < 1 || frames.shape[2] > 4096 || frames.shape[3] > 4096) {
        fprintf(stderr, "jepa view: %s: not uint8 frames of shape [N, T, H, W, 3] (T >= 1)\n",
                path);
        jepa_npy_close(&frames);
        return 1;
    }
    if (episode < 0 || episode >= frames.shape[0]) {
        fprintf(stderr, "jepa view: --episode: %lld is outside 0..%lld\n", episode,
                (long long)frames.shape[0] - 1);
        jepa_npy_close(&frames);
        return 1;
    }
    int n = (int)frames.shape[1], h = (int)frames.shape[2], w = (int)frames.shape[3];
    int k = scale ? (int)scale : (h <= 64 && w <= 64 ? 4 : 1);
    if ((long long)w * k > 65535 || (long long)h * k > 65535) {
        fprintf(stderr, "jepa view: --scale: %dx%d frames scaled %d times exceed 65535 pixels\n", w,
                h, k);
        jepa_npy_close(&frames);
        return 1;
    }
    size_t frame_bytes = (size_t)h * (size_t)w * 3;
    const uint8_t *ep = (const uint8_t *)frames.data + (size_t)episode * (size_t)n * frame_bytes;
    jepa_status st;
    if (gif) {
        // every frame enlarged, played at 10 frames a second
        uint8_t *big = malloc((size_t)n * frame_bytes * (size_t)(k * k));
        if (!big)
            st = jepa_fail(err, sizeof err, JEPA_ERR_NOMEM, "out of memory");
        else {
            for (int f = 0; f < n; f++)
                blit(big + (size_t)f * frame_bytes * (size_t)(k * k), w * k,
                     ep + (size_t)f * frame_bytes, w, h, k);
            st = jepa_gif_write(out, big, n, w * k, h * k, 10, err, sizeof err);
        }
        free(big);
    } else {
        // a grid of up to 6 columns with a 2 px grey gutter
        int cols = n < 6 ? n : 6, rows = (n + cols - 1) / cols, gap = 2;
        int sheet_w = cols * (w * k + gap) + gap, sheet_h = rows * (h * k + gap) + gap;
        uint8_t *sheet = malloc((size_t)sheet_w * (size_t)sheet_h * 3);
        if (!sheet)
            st = jepa_fail(err, sizeof err, JEPA_ERR_NOMEM, "out of memory");
        else {
            memset(sheet, 96, (size_t)sheet_w * (size_t)sheet_h * 3);
            for (int f = 0; f < n; f++) {
                int x = gap + (f % cols) * (w * k + gap), y = gap + (f / cols) * (h * k + gap);
                blit(sheet + ((size_t)y * sheet_w + x) * 3, sheet_w, ep + (size_t)f * frame_bytes,
                     w, h, k);
            }
            st = jepa_png_write(out, sheet, sheet_w, sheet_h, err, sizeof err);
        }
        free(sheet);
    }
    jepa_npy_close(&frames);
    if (st != JEPA_OK) {
        fprintf(stderr, "jepa view: %s\n", err);
        return 1;
    }
    printf("wrote %s (episode %lld, %d frames)\n", out, episode, n);
    return 0;
}

int jepa_cmd_view(int argc, char **argv) {
    jepa_cli_view_opts o;
    int code = jepa_cli_view_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_view_run(&o);
}
