// Ctrl-C during training, in C so that the signal handler does only what a handler may: set a
// sig_atomic_t flag and write(2) a message prepared before it was installed, or _exit on the
// second signal. Swift code reads the flag between steps (Runner/Training/Interrupt.swift).
#define _POSIX_C_SOURCE 200809L
#include "CKernels.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupt_requested;
static char interrupt_message[256];
static size_t interrupt_message_length;

static void interrupt_handler(int signal_number) {
    (void)signal_number;
    if (interrupt_requested) _exit(130);
    interrupt_requested = 1;
    // write may set errno, which the interrupted code may be about to read
    const int saved_errno = errno;
    ssize_t written = write(2, interrupt_message, interrupt_message_length);
    (void)written;  // nothing to do about a failed write inside a handler
    errno = saved_errno;
}

void bk_interrupt_install(const char *message) {
    size_t length = strlen(message);
    if (length >= sizeof interrupt_message) length = sizeof interrupt_message - 1;
    memcpy(interrupt_message, message, length);
    interrupt_message[length] = 0;
    interrupt_message_length = length;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = interrupt_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int bk_interrupt_requested(void) { return interrupt_requested != 0; }
