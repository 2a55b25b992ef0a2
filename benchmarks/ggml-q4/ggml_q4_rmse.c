// RMSE of ggml's Q4_0 on given float32 matrices, the reference quant4j's 4-bit searches are measured
// against (docs/CALIBRATION.md). Calls ggml's own ggml_quantize_chunk and Q4_0's to_float through
// dlopen of the prebuilt libggml-base.so from npm @node-llama-cpp/linux-x64 (see run.sh).
//
// Build: gcc -O2 -o ggml_q4_rmse ggml_q4_rmse.c -ldl -lm
// Run:   ./ggml_q4_rmse LIB_DIR FILE ROWS COLS [IMATRIX_FILE|-] ...
//   FILE: ROWS x COLS little-endian float32, row-major, blocks of 32 along a row (ggml's ne[0] = COLS).
//   IMATRIX_FILE: COLS float32 importances (mean square of each input); "-" for none (the plain
//   reference quantizer, quantize_row_q4_0_ref).
// Prints one line per matrix, "RMSE name value", and "RMSE ALL value" over all elements.
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ggml-common/ggml_traits.h"

enum { T_Q4_0 = 2 };

static void *xdlsym(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) { fprintf(stderr, "missing symbol %s: %s\n", name, dlerror()); exit(1); }
    return p;
}

static float *read_floats(const char *path, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    float *x = malloc(n * sizeof(float));
    if (fread(x, sizeof(float), n, f) != n) { fprintf(stderr, "%s: expected %zu floats\n", path, n); exit(1); }
    fclose(f);
    return x;
}

int main(int argc, char **argv) {
    if (argc < 6 || (argc - 2) % 4 != 0) {
        fprintf(stderr, "usage: %s LIB_DIR FILE ROWS COLS IMATRIX|- [FILE ROWS COLS IMATRIX|-]...\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/libggml-base.so", argv[1]);
    void *base = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!base) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    size_t (*quantize_chunk)(int, const float *, void *, int64_t, int64_t, int64_t, const float *) =
        xdlsym(base, "ggml_quantize_chunk");
    size_t (*row_size)(int, int64_t) = xdlsym(base, "ggml_row_size");
    const struct type_traits_head *(*traits)(int) = xdlsym(base, "ggml_get_type_traits");
    const struct type_traits_head *q4 = traits(T_Q4_0);
    if (q4->blck_size != 32 || q4->type_size != 18 || strcmp(q4->type_name, "q4_0") != 0) {
        fprintf(stderr, "unexpected ggml_type_traits layout\n");
        return 1;
    }
    double total = 0;
    size_t count = 0;
    for (int a = 2; a + 3 < argc; a += 4) {
        int64_t rows = atoll(argv[a + 1]), cols = atoll(argv[a + 2]);
        if (rows <= 0 || cols <= 0 || cols % 32 != 0) { fprintf(stderr, "%s: bad shape\n", argv[a]); return 2; }
        size_t n = (size_t)rows * cols;
        float *x = read_floats(argv[a], n);
        float *imat = strcmp(argv[a + 3], "-") == 0 ? NULL : read_floats(argv[a + 3], cols);
        size_t bytes = row_size(T_Q4_0, cols) * rows;
        void *q = malloc(bytes);
        size_t wrote = quantize_chunk(T_Q4_0, x, q, 0, rows, cols, imat);
        if (wrote != bytes) { fprintf(stderr, "ggml_quantize_chunk wrote %zu of %zu bytes\n", wrote, bytes); return 1; }
        float *y = malloc(n * sizeof(float));
        q4->to_float(q, y, (int64_t)n);
        double e = 0;
        for (size_t i = 0; i < n; i++) { double d = (double)x[i] - y[i]; e += d * d; }
        printf("RMSE %s %.9g\n", argv[a], sqrt(e / n));
        total += e;
        count += n;
        free(x); free(y); free(q); free(imat);
    }
    printf("RMSE ALL %.9g\n", sqrt(total / count));
    return 0;
}
