// CICU: the part of ICU's collation API Tessera uses, behind plain C types. Swift's Foundation
// ships its own copy of ICU's headers (_FoundationICU) whose enums clash with the system's, so
// no ICU header is ever visible to Swift: CICU.c includes them, this header does not.
#ifndef TESSERA_CICU_H
#define TESSERA_CICU_H

#include <stdint.h>

/// An opened ICU collator (a `UCollator`).
typedef struct TesseraCollator TesseraCollator;

/// The collator options, with Tessera's own small value sets (mapped to ICU's in CICU.c):
/// flags 0/1; caseFirst 0 off, 1 lower, 2 upper; strength 1...5; alternate 0 non-ignorable,
/// 1 shifted; maxVariable 0 punct, 1 space.
typedef enum {
    TESSERA_COLLATOR_CASE_LEVEL,
    TESSERA_COLLATOR_CASE_FIRST,
    TESSERA_COLLATOR_STRENGTH,
    TESSERA_COLLATOR_NUMERIC_ORDERING,
    TESSERA_COLLATOR_ALTERNATE,
    TESSERA_COLLATOR_MAX_VARIABLE,
    TESSERA_COLLATOR_NORMALIZATION,
    TESSERA_COLLATOR_BACKWARDS,
} TesseraCollatorOption;

/// The ICU version MongoDB reports as a collation's `version` (e.g. "72.1").
const char *tessera_icu_version(void);

/// ICU's name of a status code ("U_ILLEGAL_ARGUMENT_ERROR").
const char *tessera_icu_error_name(int32_t status);

/// The canonical form of a locale ID (`uloc_getName`); its length, with `*status` > 0 on failure.
int32_t tessera_locale_canonical(const char *locale, char *name, int32_t capacity, int32_t *status);

/// Opens the collator of `locale`; NULL with `*status` > 0 on failure.
TesseraCollator *tessera_collator_open(const char *locale, int32_t *status);

/// Closes a collator.
void tessera_collator_close(TesseraCollator *collator);

/// The locale whose rules the collator uses (`ULOC_VALID_LOCALE`).
const char *tessera_collator_valid_locale(const TesseraCollator *collator, int32_t *status);

/// Sets an option (values as for TesseraCollatorOption).
void tessera_collator_set(TesseraCollator *collator, TesseraCollatorOption option, int32_t value, int32_t *status);

/// Reads an option (values as for TesseraCollatorOption).
int32_t tessera_collator_get(const TesseraCollator *collator, TesseraCollatorOption option, int32_t *status);

/// The sort key of UTF-16 text: its length including the terminating zero byte (call again
/// with a buffer that long when it exceeds `capacity`); 0 on failure.
int32_t tessera_collator_sort_key(const TesseraCollator *collator, const uint16_t *text, int32_t length,
                                  uint8_t *key, int32_t capacity);

/// The order of two UTF-8 strings: -1, 0 or 1.
int32_t tessera_collator_compare_utf8(const TesseraCollator *collator, const char *lhs, int32_t lhsLength,
                                      const char *rhs, int32_t rhsLength, int32_t *status);

// Text index tokenization (delimiters, case folding, diacritics): see CICUText.h.
#include "CICUText.h"

#endif
