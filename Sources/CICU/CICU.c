// CICU.c: thin calls into ICU's C collation API (Debian's libicu-dev), translating Tessera's
// option values to ICU's. ICU renames its entry points per version through macros, which the
// C compiler resolves here.
#include "CICU.h"

#include <unicode/ucol.h>
#include <unicode/uloc.h>
#include <unicode/utypes.h>
#include <unicode/uvernum.h>

const char *tessera_icu_version(void) { return U_ICU_VERSION; }

const char *tessera_icu_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

int32_t tessera_locale_canonical(const char *locale, char *name, int32_t capacity, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    int32_t length = uloc_getName(locale, name, capacity, &code);
    if (code == U_STRING_NOT_TERMINATED_WARNING) code = U_BUFFER_OVERFLOW_ERROR;
    *status = code;
    return length;
}

TesseraCollator *tessera_collator_open(const char *locale, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    UCollator *collator = ucol_open(locale, &code);
    *status = code;
    if (U_FAILURE(code)) {
        if (collator) ucol_close(collator);
        return 0;
    }
    return (TesseraCollator *)collator;
}

void tessera_collator_close(TesseraCollator *collator) { ucol_close((UCollator *)collator); }

const char *tessera_collator_valid_locale(const TesseraCollator *collator, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    const char *name = ucol_getLocaleByType((const UCollator *)collator, ULOC_VALID_LOCALE, &code);
    *status = code;
    return name;
}

static UColAttribute attribute_of(TesseraCollatorOption option) {
    switch (option) {
    case TESSERA_COLLATOR_CASE_LEVEL: return UCOL_CASE_LEVEL;
    case TESSERA_COLLATOR_CASE_FIRST: return UCOL_CASE_FIRST;
    case TESSERA_COLLATOR_STRENGTH: return UCOL_STRENGTH;
    case TESSERA_COLLATOR_NUMERIC_ORDERING: return UCOL_NUMERIC_COLLATION;
    case TESSERA_COLLATOR_ALTERNATE: return UCOL_ALTERNATE_HANDLING;
    case TESSERA_COLLATOR_NORMALIZATION: return UCOL_NORMALIZATION_MODE;
    case TESSERA_COLLATOR_BACKWARDS: return UCOL_FRENCH_COLLATION;
    default: return UCOL_ATTRIBUTE_COUNT;
    }
}

static const UColAttributeValue strengths[] = {UCOL_PRIMARY, UCOL_SECONDARY, UCOL_TERTIARY, UCOL_QUATERNARY, UCOL_IDENTICAL};

void tessera_collator_set(TesseraCollator *collator, TesseraCollatorOption option, int32_t value, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    UCollator *icu = (UCollator *)collator;
    if (option == TESSERA_COLLATOR_MAX_VARIABLE) {
        ucol_setMaxVariable(icu, value == 1 ? UCOL_REORDER_CODE_SPACE : UCOL_REORDER_CODE_PUNCTUATION, &code);
        *status = code;
        return;
    }
    UColAttributeValue icuValue;
    switch (option) {
    case TESSERA_COLLATOR_CASE_FIRST:
        icuValue = value == 2 ? UCOL_UPPER_FIRST : (value == 1 ? UCOL_LOWER_FIRST : UCOL_OFF);
        break;
    case TESSERA_COLLATOR_STRENGTH:
        if (value < 1 || value > 5) {
            *status = U_ILLEGAL_ARGUMENT_ERROR;
            return;
        }
        icuValue = strengths[value - 1];
        break;
    case TESSERA_COLLATOR_ALTERNATE:
        icuValue = value == 1 ? UCOL_SHIFTED : UCOL_NON_IGNORABLE;
        break;
    default:
        icuValue = value ? UCOL_ON : UCOL_OFF;
        break;
    }
    ucol_setAttribute(icu, attribute_of(option), icuValue, &code);
    *status = code;
}

int32_t tessera_collator_get(const TesseraCollator *collator, TesseraCollatorOption option, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    const UCollator *icu = (const UCollator *)collator;
    if (option == TESSERA_COLLATOR_MAX_VARIABLE) {
        *status = U_ZERO_ERROR;
        return ucol_getMaxVariable(icu) == UCOL_REORDER_CODE_SPACE ? 1 : 0;
    }
    UColAttributeValue value = ucol_getAttribute(icu, attribute_of(option), &code);
    *status = code;
    switch (option) {
    case TESSERA_COLLATOR_CASE_FIRST:
        return value == UCOL_UPPER_FIRST ? 2 : (value == UCOL_LOWER_FIRST ? 1 : 0);
    case TESSERA_COLLATOR_STRENGTH:
        for (int32_t index = 0; index < 5; index++) {
            if (strengths[index] == value) return index + 1;
        }
        return 3;
    case TESSERA_COLLATOR_ALTERNATE:
        return value == UCOL_SHIFTED ? 1 : 0;
    default:
        return value == UCOL_ON ? 1 : 0;
    }
}

int32_t tessera_collator_sort_key(const TesseraCollator *collator, const uint16_t *text, int32_t length,
                                  uint8_t *key, int32_t capacity) {
    return ucol_getSortKey((const UCollator *)collator, (const UChar *)text, length, key, capacity);
}

int32_t tessera_collator_compare_utf8(const TesseraCollator *collator, const char *lhs, int32_t lhsLength,
                                      const char *rhs, int32_t rhsLength, int32_t *status) {
    UErrorCode code = U_ZERO_ERROR;
    UCollationResult result = ucol_strcollUTF8((const UCollator *)collator, lhs, lhsLength, rhs, rhsLength, &code);
    *status = code;
    return result == UCOL_LESS ? -1 : (result == UCOL_GREATER ? 1 : 0);
}
