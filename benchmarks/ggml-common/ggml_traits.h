// What benchmarks/ggml-kquants/ggml_quantize.c and benchmarks/ggml-q4/ggml_q4_rmse.c need of ggml's
// headers to call the prebuilt libggml-base.so through dlopen, without ggml's headers on the machine.
#ifndef QUANT4J_GGML_TRAITS_H
#define QUANT4J_GGML_TRAITS_H

#include <stdint.h>
#include <stddef.h>

typedef void (*to_float_t)(const void *x, float *y, int64_t k);
// Only the first fields of struct ggml_type_traits (ggml.h) are used; they are stable across versions.
struct type_traits_head {
    const char *type_name;
    int64_t blck_size;
    int64_t blck_size_interleave;
    size_t type_size;
    _Bool is_quantized;
    to_float_t to_float;
};

#endif
