/*
 * A minimal HotSpot disassembler plugin (hsdis) for x86-64, written for quant4j against the Capstone
 * library, so that -XX:+PrintAssembly and -XX:CompileCommand=print show C2's instructions on a machine
 * without the JDK's own hsdis build.
 *
 * The plugin ABI (HotSpot's hsdis.h): HotSpot dlopen()s "hsdis-amd64.so" (from the JDK's lib folders or
 * LD_LIBRARY_PATH) and calls decode_instructions_virtual() with a range of code (its virtual address and
 * a buffer holding its bytes). For every instruction the plugin reports the event "insn" with the
 * instruction's address, prints the instruction text through the printf callback, then reports "/insn"
 * with the address after it; HotSpot prints addresses, comments and line ends around those events. The
 * return value is the address where decoding stopped.
 *
 * Options (-XX:PrintAssemblyOptions=...): "intel" for Intel syntax (default AT&T, as the JDK's binutils
 * build prints).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

typedef void *(*hsdis_event_fn)(void *stream, const char *tag, void *arg);
typedef int (*hsdis_printf_fn)(void *stream, const char *format, ...);

#if defined(__GNUC__)
#define HSDIS_EXPORT __attribute__((visibility("default")))
#else
#define HSDIS_EXPORT
#endif

static int wants_intel(const char *options) {
    if (options == NULL) {
        return 0;
    }
    for (const char *p = options; (p = strstr(p, "intel")) != NULL; p += 5) {
        int starts = p == options || p[-1] == ',';
        int ends = p[5] == '\0' || p[5] == ',';
        if (starts && ends) {
            return 1;
        }
    }
    return 0;
}

HSDIS_EXPORT void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer,
                                               uintptr_t length, hsdis_event_fn event, void *event_stream,
                                               hsdis_printf_fn print, void *print_stream, const char *options,
                                               int newline) {
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        if (print != NULL) {
            print(print_stream, "hsdis-capstone: cs_open failed\n");
        }
        return (void *)start_va;
    }
    cs_option(cs, CS_OPT_SYNTAX, wants_intel(options) ? CS_OPT_SYNTAX_INTEL : CS_OPT_SYNTAX_ATT);
    if (event != NULL) {
        event(event_stream, "mach", (void *)"x86-64");
    }
    if (end_va < start_va || end_va - start_va > length) {
        end_va = start_va + length;
    }
    const uint8_t *code = buffer;
    size_t left = (size_t)(end_va - start_va);
    uint64_t pc = start_va;
    cs_insn *insn = cs_malloc(cs);
    while (left > 0) {
        uint64_t here = pc;
        if (event != NULL) {
            event(event_stream, "insn", (void *)(uintptr_t)here);
        }
        if (cs_disasm_iter(cs, &code, &left, &pc, insn)) {
            if (print != NULL) {
                if (insn->op_str[0] != '\0') {
                    print(print_stream, "%-10s %s", insn->mnemonic, insn->op_str);
                } else {
                    print(print_stream, "%s", insn->mnemonic);
                }
            }
        } else {
            /* Not an instruction Capstone knows (or data; Capstone 4 lacks some EVEX forms such as VNNI's
               vpdpwssd): show the next bytes for decoding by hand, then go on one byte further. */
            if (print != NULL) {
                print(print_stream, ".byte      0x%02x        ; undecoded; bytes from here:", *code);
                for (size_t k = 0; k < 8 && k < left; k++) {
                    print(print_stream, " %02x", code[k]);
                }
            }
            code++;
            left--;
            pc++;
        }
        if (event != NULL) {
            event(event_stream, "/insn", (void *)(uintptr_t)pc);
        }
        if (newline && print != NULL) {
            print(print_stream, "\n");
        }
    }
    cs_free(insn, 1);
    cs_close(&cs);
    return (void *)(uintptr_t)pc;
}
