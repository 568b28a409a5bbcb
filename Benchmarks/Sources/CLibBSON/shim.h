// Umbrella for Debian's libbson headers (libbson-dev, pkg-config libbson-1.0).
// Owns nothing else: the include path comes from pkg-config.
#include <bson/bson.h>
