// libFuzzer's driver, for a program that has its own main (llvm.org/docs/LibFuzzer.html,
// "Using libFuzzer as a library"): the swiftc -sanitize=fuzzer link provides it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
