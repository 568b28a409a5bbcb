// TextStemmer: one Snowball stemmer (Debian's libstemmer) for one language, as MongoDB stems
// text index terms. A libstemmer stemmer is not thread-safe: each tokenizer owns its own.

internal import CStemmer

/// A Snowball stemmer for one language (UTF-8 in, UTF-8 out).
final class TextStemmer {
    private let stemmer: OpaquePointer

    /// The stemmer of `language`, `nil` for `none` (or an algorithm libstemmer lacks).
    init?(_ language: TextLanguage) {
        guard let algorithm = language.stemmerAlgorithm, let stemmer = sb_stemmer_new(algorithm, "UTF_8") else {
            return nil
        }
        self.stemmer = stemmer
    }

    deinit {
        sb_stemmer_delete(stemmer)
    }

    /// The stem of `word` (a lowercased word; the word itself if stemming fails).
    func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        guard let result = bytes.withUnsafeMutableBufferPointer({ buffer -> UnsafePointer<sb_symbol>? in
            sb_stemmer_stem(stemmer, buffer.baseAddress, Int32(clamping: buffer.count))
        }) else { return word }
        let length = Int(sb_stemmer_length(stemmer))
        bytes = Array(UnsafeBufferPointer(start: result, count: length))
        return String(decoding: bytes, as: UTF8.self)
    }
}
