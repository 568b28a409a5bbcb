// RocksDB's C API, from the system package librocksdb-dev (7.8).
#include <rocksdb/c.h>
