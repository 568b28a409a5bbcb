/* faultshim: an LD_PRELOAD library for the fault tests. Fails chosen file-system calls
 * (the ones RocksDB's PosixWritableFile uses on Linux: write, pwrite, pwritev, fsync,
 * fdatasync; and opening a file to write it) with EIO or ENOSPC, only for files under one
 * directory, optionally only those whose path contains a given text (".sst", "MANIFEST-",
 * ".log": one path of RocksDB's at a time). Built by test_faults.py.
 *
 * Configuration (environment, read once):
 *   FAULT_DIR      only fds whose /proc/self/fd path starts with this directory are touched
 *   FAULT_CONTROL  a file; the shim is armed only while it exists. Its content, if any, is
 *                  "OPS ERRNO AFTER [MATCH]" (e.g. "fsync,fdatasync EIO 0", or
 *                  "write,open EIO 0 .sst") and overrides the variables below, so a test can
 *                  arm the shim at runtime. MATCH limits the faults to paths containing it.
 *   FAULT_OPS      comma-separated calls to fail (default "fsync,fdatasync"); "open" fails
 *                  open/openat calls that create a file or open one for writing
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
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_PWRITE = 2, OP_PWRITEV = 4, OP_FSYNC = 8, OP_FDATASYNC = 16, OP_OPEN = 32 };

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
        else if (strcmp(name, "open") == 0) ops |= OP_OPEN;
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

/* Opens `path` read-only or write-only without passing through this shim's own open. */
static int open_directly(const char *path, int flags) {
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0644);
}

/* Reads the control file into ops/errno/after/match; returns 0 when the shim is not armed.
 * `match` gets the path text faults are limited to ("" for every path). */
static int armed(int *ops, int *error, long *after, char match[128]) {
    *ops = default_ops;
    *error = default_errno;
    *after = default_after;
    match[0] = '\0';
    if (control_path[0] == '\0') return 1;
    int fd = open_directly(control_path, O_RDONLY);
    if (fd < 0) return 0;
    char text[256];
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length > 0) {
        text[length] = '\0';
        char op_text[128] = "", errno_text[32] = "";
        long after_value = 0;
        int fields = sscanf(text, "%127s %31s %ld %127s", op_text, errno_text, &after_value, match);
        if (fields >= 1) *ops = parse_ops(op_text);
        if (fields >= 2) *error = parse_errno(errno_text);
        if (fields >= 3) *after = after_value;
        if (fields < 4) match[0] = '\0';
    }
    return 1;
}

static void count_hit(void) {
    if (control_path[0] == '\0') return;
    static long hits;
    long now = __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s.hits", control_path);
    int fd = open_directly(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return;
    char text[32];
    int length = snprintf(text, sizeof text, "%ld\n", now);
    ssize_t (*real_write)(int, const void *, size_t) = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (real_write && real_write(fd, text, (size_t)length) < 0) { /* nothing to do */ }
    close(fd);
}

/* Whether call `op` on the file at `target` must fail; sets errno when it must. */
static int should_fail_path(const char *target, int op) {
    configure();
    if (fault_dir_length == 0) return 0;
    int ops, error;
    long after;
    char match[128];
    if (!armed(&ops, &error, &after, match) || !(ops & op)) return 0;
    if (strncmp(target, fault_dir, fault_dir_length) != 0) return 0;
    if (target[fault_dir_length] != '/' && target[fault_dir_length] != '\0') return 0;
    if (match[0] != '\0' && strstr(target + fault_dir_length, match) == NULL) return 0;
    long call = __atomic_add_fetch(&matching_calls, 1, __ATOMIC_RELAXED);
    if (call <= after) return 0;
    count_hit();
    errno = error;
    return 1;
}

/* Whether call `op` on `fd` must fail; sets errno when it must. */
static int should_fail(int fd, int op) {
    configure();
    if (fault_dir_length == 0) return 0;
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length <= 0) return 0;
    target[length] = '\0';
    return should_fail_path(target, op);
}

/* Whether opening `path` (relative to `directory`, AT_FDCWD for the working directory) with
 * `flags` must fail: only opens that create or write a file count. */
static int should_fail_open(int directory, const char *path, int flags) {
    if (!(flags & (O_WRONLY | O_RDWR | O_CREAT)) || path == NULL) return 0;
    configure();
    if (fault_dir_length == 0) return 0;
    char target[2 * PATH_MAX + 2];
    if (path[0] == '/') {
        snprintf(target, sizeof target, "%s", path);
    } else {
        char base[PATH_MAX];
        if (directory == AT_FDCWD) {
            if (getcwd(base, sizeof base) == NULL) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", directory);
            ssize_t length = readlink(link, base, sizeof base - 1);
            if (length <= 0) return 0;
            base[length] = '\0';
        }
        snprintf(target, sizeof target, "%s/%s", base, path);
    }
    return should_fail_path(target, OP_OPEN);
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

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

/* The mode argument exists only when the flags create a file. */
static mode_t mode_of(int flags, va_list arguments) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

int open(const char *path, int flags, ...) {
    REAL(open, open_fn);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    if (should_fail_open(AT_FDCWD, path, flags)) return -1;
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    REAL(open64, open_fn);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    if (should_fail_open(AT_FDCWD, path, flags)) return -1;
    return real_open64(path, flags, mode);
}

int openat(int directory, const char *path, int flags, ...) {
    REAL(openat, openat_fn);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    if (should_fail_open(directory, path, flags)) return -1;
    return real_openat(directory, path, flags, mode);
}

int openat64(int directory, const char *path, int flags, ...) {
    REAL(openat64, openat_fn);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    if (should_fail_open(directory, path, flags)) return -1;
    return real_openat64(directory, path, flags, mode);
}
