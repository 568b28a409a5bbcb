// CICUText: the Unicode character properties and foldings MongoDB's text indexes use (version 3
// tokenizer): which code points delimit words, case folding (Turkish or not) and removal of
// diacritics. Plain C types only, as CICU.h (no ICU header is visible to Swift).
#ifndef TESSERA_CICU_TEXT_H
#define TESSERA_CICU_TEXT_H

#include <stdint.h>

/// Whether `codepoint` has one of the Unicode properties MongoDB's text tokenizer treats as a
/// word delimiter: White_Space, Dash, Hyphen, Quotation_Mark, Terminal_Punctuation,
/// Pattern_Syntax, Sentence_Terminal.
int tessera_text_is_delimiter(uint32_t codepoint);

/// The simple case folding of `codepoint`; with `turkish`, I folds to dotless ı and İ to i.
uint32_t tessera_text_fold_case(uint32_t codepoint, int turkish);

/// `codepoint` without its diacritics: 0 when it is itself a diacritic mark (dropped), the base
/// code point when its canonical decomposition is one non-diacritic code point plus marks, and
/// `codepoint` unchanged otherwise.
uint32_t tessera_text_strip_diacritics(uint32_t codepoint);

#endif
