/* fuzz_target.h -- what a fuzz target offers its drivers (libFuzzer, or fuzz_replay.c). */
#ifndef FUZZ_TARGET_H
#define FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point: runs one input, aborts on any finding, returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the inputs exercised so far, for the replay driver's summary. */
typedef struct fuzz_stats {
    unsigned long inputs;
    unsigned long help_accepted, help_rejected;
    unsigned long labels_accepted, labels_rejected;
    unsigned long exemplars_accepted, exemplars_rejected;
    unsigned long escapes_rendered; /* inputs whose help or values held \ " or a line feed */
    unsigned long bytes_parsed;
} fuzz_stats;

extern fuzz_stats fuzz_stats_total;
/* A name for the input being run (a file name, "generated #n"), printed on failure. */
extern const char *fuzz_input_name;

#endif /* FUZZ_TARGET_H */
