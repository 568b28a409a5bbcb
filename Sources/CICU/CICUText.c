// CICUText: character properties and foldings for MongoDB-compatible text tokenization (see
// include/CICUText.h), over ICU's uchar and unorm2 APIs.
#include "CICUText.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>

int tessera_text_is_delimiter(uint32_t codepoint) {
    UChar32 c = (UChar32)codepoint;
    return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) || u_hasBinaryProperty(c, UCHAR_DASH)
        || u_hasBinaryProperty(c, UCHAR_HYPHEN) || u_hasBinaryProperty(c, UCHAR_QUOTATION_MARK)
        || u_hasBinaryProperty(c, UCHAR_TERMINAL_PUNCTUATION) || u_hasBinaryProperty(c, UCHAR_PATTERN_SYNTAX)
        || u_hasBinaryProperty(c, UCHAR_S_TERM);
}

uint32_t tessera_text_fold_case(uint32_t codepoint, int turkish) {
    if (turkish) {
        if (codepoint == 0x49) return 0x131;
        if (codepoint == 0x130) return 0x69;
    }
    return (uint32_t)u_foldCase((UChar32)codepoint, U_FOLD_CASE_DEFAULT);
}

uint32_t tessera_text_strip_diacritics(uint32_t codepoint) {
    UChar32 c = (UChar32)codepoint;
    if (u_hasBinaryProperty(c, UCHAR_DIACRITIC)) return 0;
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&status);
    if (U_FAILURE(status)) return codepoint;
    UChar decomposition[32];
    int32_t length = unorm2_getDecomposition(nfd, c, decomposition, 32, &status);
    if (U_FAILURE(status) || length <= 0) return codepoint;
    UChar32 base = -1;
    int32_t offset = 0;
    while (offset < length) {
        UChar32 part;
        U16_NEXT(decomposition, offset, length, part);
        if (u_hasBinaryProperty(part, UCHAR_DIACRITIC)) continue;
        if (base >= 0) return codepoint;  // more than one base: keep the original
        base = part;
    }
    return base < 0 ? 0 : (uint32_t)base;
}
