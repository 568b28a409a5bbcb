/* faultshim: an LD_PRELOAD library for the fault tests. Fails chosen file-system calls
 * (the ones RocksDB's PosixWritableFile uses on Linux: write, pwrite, pwritev, fsync,
 * fdatasync) with EIO or ENOSPC, only for files under one directory. Built by test_faults.py.
 *
 * Configuration (environment, read once):
 *   FAULT_DIR      only fds whose /proc/self/fd path starts with this directory are touched
 *   FAULT_CONTROL  a file; the shim is armed only while it exists. Its content, if any, is
 *                  "OPS ERRNO AFTER" (e.g. "fsync,fdatasync EIO 0") and overrides the
 *                  variables below, so a test can arm the shim at runtime.
 *   FAULT_OPS      comma-separated calls to fail (default "fsync,fdatasync")
 *   FAULT_ERRNO    EIO or ENOSPC or a number (default EIO)
 *   FAULT_AFTER    how many matching calls succeed after arming before every later one fails
 *                  (default 0)
 * Once failing, the shim keeps failing (a disk that lost pages does not heal). Each injected
 * failure increments a counter written to FAULT_CONTROL ".hits" for the test to read.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_PWRITE = 2, OP_PWRITEV = 4, OP_FSYNC = 8, OP_FDATASYNC = 16 };

static char fault_dir[PATH_MAX];
static size_t fault_dir_length;
static char control_path[PATH_MAX];
static int default_ops = OP_FSYNC | OP_FDATASYNC;
static int default_errno = EIO;
static long default_after;
static long matching_calls;
static int configured;

static int parse_ops(const char *text) {
    int ops = 0;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *name = strtok_r(copy, ", \n", &save); name; name = strtok_r(NULL, ", \n", &save)) {
        if (strcmp(name, "write") == 0) ops |= OP_WRITE;
        else if (strcmp(name, "pwrite") == 0) ops |= OP_PWRITE;
        else if (strcmp(name, "pwritev") == 0) ops |= OP_PWRITEV;
        else if (strcmp(name, "fsync") == 0) ops |= OP_FSYNC;
        else if (strcmp(name, "fdatasync") == 0) ops |= OP_FDATASYNC;
    }
    return ops;
}

static int parse_errno(const char *text) {
    if (strncmp(text, "ENOSPC", 6) == 0) return ENOSPC;
    if (strncmp(text, "EIO", 3) == 0) return EIO;
    int value = atoi(text);
    return value > 0 ? value : EIO;
}

static void configure(void) {
    if (__atomic_load_n(&configured, __ATOMIC_ACQUIRE)) return;
    const char *dir = getenv("FAULT_DIR");
    if (dir && realpath(dir, fault_dir) == NULL) snprintf(fault_dir, sizeof fault_dir, "%s", dir);
    fault_dir_length = strlen(fault_dir);
    const char *control = getenv("FAULT_CONTROL");
    if (control) snprintf(control_path, sizeof control_path, "%s", control);
    const char *ops = getenv("FAULT_OPS");
    if (ops) default_ops = parse_ops(ops);
    const char *number = getenv("FAULT_ERRNO");
    if (number) default_errno = parse_errno(number);
    const char *after = getenv("FAULT_AFTER");
    if (after) default_after = atol(after);
    __atomic_store_n(&configured, 1, __ATOMIC_RELEASE);
}

/* Reads the control file into ops/errno/after; returns 0 when the shim is not armed. */
static int armed(int *ops, int *error, long *after) {
    *ops = default_ops;
    *error = default_errno;
    *after = default_after;
    if (control_path[0] == '\0') return 1;
    int fd = open(control_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[256];
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length > 0) {
        text[length] = '\0';
        char op_text[128] = "", errno_text[32] = "";
        long after_value = 0;
        int fields = sscanf(text, "%127s %31s %ld", op_text, errno_text, &after_value);
        if (fields >= 1) *ops = parse_ops(op_text);
        if (fields >= 2) *error = parse_errno(errno_text);
        if (fields >= 3) *after = after_value;
    }
    return 1;
}

static void count_hit(void) {
    if (control_path[0] == '\0') return;
    static long hits;
    long now = __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s.hits", control_path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char text[32];
    int length = snprintf(text, sizeof text, "%ld\n", now);
    ssize_t (*real_write)(int, const void *, size_t) = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (real_write && real_write(fd, text, (size_t)length) < 0) { /* nothing to do */ }
    close(fd);
}

/* Whether call `op` on `fd` must fail; sets errno when it must. */
static int should_fail(int fd, int op) {
    configure();
    if (fault_dir_length == 0) return 0;
    int ops, error;
    long after;
    if (!armed(&ops, &error, &after) || !(ops & op)) return 0;
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length <= 0) return 0;
    target[length] = '\0';
    if (strncmp(target, fault_dir, fault_dir_length) != 0) return 0;
    if (target[fault_dir_length] != '/' && target[fault_dir_length] != '\0') return 0;
    long call = __atomic_add_fetch(&matching_calls, 1, __ATOMIC_RELAXED);
    if (call <= after) return 0;
    count_hit();
    errno = error;
    return 1;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*sync_fn)(int);

#define REAL(name, type) \
    static type real_##name; \
    if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buffer, size_t count) {
    REAL(write, write_fn);
    if (should_fail(fd, OP_WRITE)) return -1;
    return real_write(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite, pwrite_fn);
    if (should_fail(fd, OP_PWRITE)) return -1;
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite64, pwrite_fn);
    if (should_fail(fd, OP_PWRITE)) return -1;
    return real_pwrite64(fd, buffer, count, offset);
}

ssize_t pwritev(int fd, const struct iovec *vectors, int count, off_t offset) {
    REAL(pwritev, pwritev_fn);
    if (should_fail(fd, OP_PWRITEV)) return -1;
    return real_pwritev(fd, vectors, count, offset);
}

int fsync(int fd) {
    REAL(fsync, sync_fn);
    if (should_fail(fd, OP_FSYNC)) return -1;
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync, sync_fn);
    if (should_fail(fd, OP_FDATASYNC)) return -1;
    return real_fdatasync(fd);
}
