// CStemmer: the Snowball stemmers of Debian's libstemmer-dev (libstemmer.h), as MongoDB's text
// indexes stem terms. Debian ships no pkg-config file for it; the module map links -lstemmer.
#include <libstemmer.h>
