// ggml's own reference quantizers (libggml-base from node-llama-cpp's prebuilt linux-x64 build) on
// seeded inputs, for benchmarks/ggml-kquants.sh: writes DIR/input.f32 (N float32 values, little-endian)
// and DIR/<type>.bin (ggml's blocks of them) for q4_k, q6_k, q5_0 and q8_0, and DIR/<type>.f32 (those
// blocks dequantized by ggml's own to_float, from ggml_get_type_traits).
// Build: gcc -O2 -o ggml_quantize ggml_quantize.c -ldl -lm
// Run:   ./ggml_quantize LIB_DIR OUT_DIR [SUPER_BLOCKS]
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ggml-common/ggml_traits.h"

typedef void (*quantize_fn)(const float *x, void *y, int64_t k);

static uint64_t state = 0x9E3779B97F4A7C15ull;
static double next_unit(void) {  // xorshift64*, uniform in [0, 1)
    state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
    return (double)((state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}
static double gaussian(void) {
    double u = next_unit(), v = next_unit();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s LIB_DIR OUT_DIR [SUPER_BLOCKS]\n", argv[0]); return 2; }
    int blocks = argc > 3 ? atoi(argv[3]) : 4096;
    char path[4096];
    snprintf(path, sizeof path, "%s/libggml-base.so", argv[1]);
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "cannot load %s: %s\n", path, dlerror()); return 1; }
    int64_t n = (int64_t)blocks * 256;
    float *x = malloc(n * sizeof(float));
    // Each super-block gets its own distribution: weights of a linear layer (gaussian, scale varying
    // over 6 decades), uniform, gaussian with a few large outliers, all-positive, all zeros, and tiny values.
    for (int b = 0; b < blocks; b++) {
        int kind = b % 6;
        double scale = pow(10.0, -4.0 + 6.0 * next_unit());
        for (int i = 0; i < 256; i++) {
            double v;
            switch (kind) {
                case 0: v = gaussian() * scale; break;
                case 1: v = (2 * next_unit() - 1) * scale; break;
                case 2: v = gaussian() * scale * (next_unit() < 0.02 ? 20 : 1); break;
                case 3: v = fabs(gaussian()) * scale + scale; break;
                case 4: v = (b / 6) % 2 == 0 ? 0.0 : (i % 32 < 16 ? 0.0 : gaussian() * scale); break;
                default: v = gaussian() * 1e-7; break;
            }
            x[(int64_t)b * 256 + i] = (float)v;
        }
    }
    snprintf(path, sizeof path, "%s/input.f32", argv[2]);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof(float), n, f) != (size_t)n) { perror(path); return 1; }
    fclose(f);
    const char *names[] = {"q4_k", "q6_k", "q5_0", "q8_0"};
    const char *symbols[] = {"quantize_row_q4_K_ref", "quantize_row_q6_K_ref", "quantize_row_q5_0_ref", "quantize_row_q8_0_ref"};
    const int ids[] = {12, 14, 6, 8};  // GGML_TYPE_Q4_K, Q6_K, Q5_0, Q8_0
    const struct type_traits_head *(*traits)(int) = (const struct type_traits_head *(*)(int))dlsym(lib, "ggml_get_type_traits");
    if (!traits) { fprintf(stderr, "%s has no ggml_get_type_traits\n", argv[1]); return 1; }
    float *back = malloc(n * sizeof(float));
    const size_t bytes[] = {144 * (size_t)blocks, 210 * (size_t)blocks, 22 * 8 * (size_t)blocks, 34 * 8 * (size_t)blocks};
    for (int t = 0; t < 4; t++) {
        quantize_fn q = (quantize_fn)dlsym(lib, symbols[t]);
        if (!q) { fprintf(stderr, "%s has no %s\n", argv[1], symbols[t]); return 1; }
        void *y = calloc(1, bytes[t]);
        q(x, y, n);
        snprintf(path, sizeof path, "%s/%s.bin", argv[2], names[t]);
        f = fopen(path, "wb");
        if (!f || fwrite(y, 1, bytes[t], f) != bytes[t]) { perror(path); return 1; }
        fclose(f);
        traits(ids[t])->to_float(y, back, n);
        snprintf(path, sizeof path, "%s/%s.f32", argv[2], names[t]);
        f = fopen(path, "wb");
        if (!f || fwrite(back, sizeof(float), n, f) != (size_t)n) { perror(path); return 1; }
        fclose(f);
        free(y);
    }
    printf("wrote %lld values and their q4_k, q6_k, q5_0, q8_0 blocks to %s\n", (long long)n, argv[2]);
    return 0;
}
