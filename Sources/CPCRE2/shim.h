// CPCRE2: the 8-bit PCRE2 API from Debian's libpcre2-dev, as MongoDB uses it for $regex.
// Swift calls the _8-suffixed functions directly: pcre2.h's generic names are macros.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
