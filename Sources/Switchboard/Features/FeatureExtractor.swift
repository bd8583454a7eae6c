/// Hashes of features, and how they are made.
///
/// A feature is a 64-bit hash of a word n-gram or a character n-gram. Its lowest bit says which group it
/// belongs to (0: word n-gram, 1: character n-gram), so that each group can be weighted and normalised
/// on its own. Models store hashes, never the strings, so no text of the training corpus is kept
/// (except the few top features per label kept for `inspect`).
enum FeatureHash {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3
    static let wordSeed: UInt64 = 0x9e37_79b9_7f4a_7c15
    static let charSeed: UInt64 = 0xc2b2_ae3d_27d4_eb4f

    @inline(__always) static func step(_ hash: UInt64, _ value: UInt32) -> UInt64 {
        (hash ^ UInt64(value)) &* prime
    }

    /// A strong 64-bit finaliser (splitmix64) so that nearby inputs land far apart.
    @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    @inline(__always) static func word(_ raw: UInt64) -> UInt64 {
        let h = mix(raw ^ wordSeed) & ~1
        return h == 0 ? 2 : h
    }

    @inline(__always) static func char(_ raw: UInt64) -> UInt64 {
        mix(raw ^ charSeed) | 1
    }

    @inline(__always) static func isChar(_ hash: UInt64) -> Bool { hash & 1 == 1 }

    /// The raw (unmixed) hash of a token's folded scalars, as tokens are hashed before becoming features.
    static func raw<Scalars: Sequence>(_ scalars: Scalars) -> UInt64 where Scalars.Element == UInt32 {
        var raw = offset
        for scalar in scalars { raw = step(raw, scalar) }
        return raw
    }

    /// The buckets of the length feature, by number of words: 0, 1, 2, 3, 4-5, 6-8, 9-12, 13-20, 21-40, more.
    static let lengthBucketNames = ["0", "1", "2", "3", "4-5", "6-8", "9-12", "13-20", "21-40", "41+"]

    /// The length bucket of a message of `words` words (an index into ``lengthBucketNames``).
    static func lengthBucket(words: Int) -> Int {
        switch words {
        case ...3: max(words, 0)
        case 4...5: 4
        case 6...8: 5
        case 9...12: 6
        case 13...20: 7
        case 21...40: 8
        default: 9
        }
    }

    /// The word feature of a message length bucket (a hash no token can take: tokens go through `raw`).
    static func length(bucket: Int) -> UInt64 {
        word(mix(0x6c65_6e67_7468_0000 | UInt64(bucket)))
    }

    /// Every length feature: they are counted apart from the message's words.
    static let lengthFeatures = Set(lengthBucketNames.indices.map(length(bucket:)))

    /// The raw hash of a string's first token (for word lists compared with ``FeatureExtractor/lastTokens``).
    static func raw(token text: String) -> UInt64 {
        raw(text.unicodeScalars.map(\.value))
    }
}

/// What the last message's tokens were, as hashes: enough for language detection and keyword rules
/// without building a string per token.
public struct TokenDigest: Sendable {
    /// The raw hash of every token, in order, always with accents removed (whatever the model's settings): the
    /// language detector's word lists and the policy's keywords are folded so ("hospitalisé" matched nothing
    /// for a model that keeps accents, and accented French was taken for a foreign language).
    var hashes: [UInt64] = []
    /// Whether each token is a word (not a placeholder, emoji or punctuation).
    var isWord: [Bool] = []
    /// Whether each token takes part in n-grams (the joined form of a compound does not).
    var inSequence: [Bool] = []
    /// How many word tokens are written in a non-Latin script.
    var foreignScriptWords = 0

    /// The number of tokens.
    public var count: Int { hashes.count }
}

/// Receives the features of a message as they are made.
protocol FeatureSink {
    /// A word n-gram made of `tokens` (indices into the scratch's tokens).
    mutating func word(_ hash: UInt64, tokens: Range<Int>, scratch: TokenScratch)
    /// A character n-gram: `count` scalars of `padded` from `start`.
    mutating func char(_ hash: UInt64, padded: [UInt32], start: Int, count: Int)
    /// The message's length feature, in bucket `bucket` of ``FeatureHash/lengthBucketNames``.
    mutating func length(_ hash: UInt64, bucket: Int)
    /// Every character n-gram of one token padded with a space on both sides, by start then length (a
    /// requirement, so that a sink can write them in bulk; the extension's loop calls ``char(_:padded:start:count:)``).
    mutating func charNgrams(of padded: [UInt32], minN: Int, maxN: Int)
}

/// Turns text into feature hashes according to ``FeatureSettings``.
///
/// One extractor per thread: it owns scratch buffers. The same code path serves the hot path (hashes only)
/// and explanations (hashes with their readable names), through a generic sink specialised by the compiler.
public struct FeatureExtractor: Sendable {
    /// The settings in force.
    public let settings: FeatureSettings
    private let tokenizer: Tokenizer
    private var scratch = TokenScratch()
    private var padded: [UInt32] = []
    /// The tokens of the last message extracted, as hashes.
    public private(set) var lastTokens = TokenDigest()
    /// The length feature of the last message extracted (nil when the settings have none).
    public private(set) var lastLengthFeature: UInt64?

    /// Creates an extractor.
    public init(settings: FeatureSettings) {
        self.settings = settings
        self.tokenizer = Tokenizer(foldDiacritics: settings.foldDiacritics)
    }

    /// Appends the feature hashes of `text` to `hashes` (one entry per occurrence); `characters: false` skips
    /// character n-grams (for a model that gives them no weight).
    public mutating func extract(_ text: String, into hashes: inout [UInt64], characters: Bool = true) {
        var sink = HashSink(hashes: hashes)
        hashes = []
        run(text, sink: &sink, characters: characters)
        hashes = sink.hashes
    }

    /// The features of `text` with readable names (`w:word`, `w:two words`, `c:[ab]`), one entry per occurrence.
    public mutating func namedFeatures(_ text: String, wordsOnly: Bool = false, only wanted: Set<UInt64>? = nil) -> [(hash: UInt64, name: String)] {
        var sink = NamedSink(wordsOnly: wordsOnly, wanted: wanted)
        run(text, sink: &sink)
        return sink.features
    }

    /// The named features of the message this extractor last read (with ``extract(_:into:characters:)`` or
    /// ``namedFeatures(_:wordsOnly:only:)``), among `wanted`, without tokenising it again; `characters: false`
    /// skips character n-grams (when none is wanted).
    ///
    /// Each wanted feature is named once (at its first occurrence), and the extractor's record of the last
    /// message is left as it is: an explanation works on a copy of the scorer's extractor, and rewriting
    /// that record would copy its buffers.
    mutating func namedFeaturesOfLastMessage(only wanted: [UInt64], characters: Bool = true) -> [(hash: UInt64, name: String)] {
        var sink = NamedSink(wordsOnly: !characters, few: wanted)
        emit(sink: &sink, characters: characters, record: false)
        return sink.features
    }

    private mutating func run<Sink: FeatureSink>(_ text: String, sink: inout Sink, characters: Bool = true) {
        tokenizer.tokenize(text, into: &scratch)
        emit(sink: &sink, characters: characters)
    }

    /// The features of the tokens in `scratch` (the last message tokenised), into `sink`; with `record`,
    /// also the message's ``lastTokens`` and ``lastLengthFeature``.
    private mutating func emit<Sink: FeatureSink>(sink: inout Sink, characters: Bool, record: Bool = true) {
        // One copy of the tokenizer's buffers for the whole message: passing the stored property to each
        // `sink.word` retained and released every one of its arrays per feature.
        let tokenScratch = scratch
        let tokens = tokenScratch.tokens
        if record {
            lastTokens.hashes.removeAll(keepingCapacityUpTo: reusableBufferLimit)
            lastTokens.isWord.removeAll(keepingCapacityUpTo: reusableBufferLimit)
            lastTokens.inSequence.removeAll(keepingCapacityUpTo: reusableBufferLimit)
            lastTokens.foreignScriptWords = 0
        }
        // Word unigrams (every token) and n-grams (tokens in sequence).
        var sequence: [(index: Int, raw: UInt64)] = []
        sequence.reserveCapacity(tokens.count)
        for (index, span) in tokens.enumerated() {
            var raw = FeatureHash.offset, accentFolded = FeatureHash.offset
            var foreign = false
            let keepsAccents = record && !settings.foldDiacritics
            for p in Int(span.start)..<Int(span.end) {
                let scalar = tokenScratch.tokenScalars[p]
                raw = FeatureHash.step(raw, scalar)
                if keepsAccents { accentFolded = ScalarFolding.stepAccentFolded(accentFolded, scalar) }
                if scalar >= 0x370 { foreign = true }
            }
            if record {
                lastTokens.hashes.append(keepsAccents ? accentFolded : raw)
                lastTokens.isWord.append(span.kind == .word)
                lastTokens.inSequence.append(span.inSequence)
                if foreign && span.kind == .word { lastTokens.foreignScriptWords += 1 }
            }
            if settings.wordMinN <= 1 { sink.word(FeatureHash.word(raw), tokens: index..<(index + 1), scratch: tokenScratch) }
            if span.inSequence { sequence.append((index, raw)) }
        }
        if settings.lengthFeature {
            var words = 0
            for span in tokens where span.kind == .word && span.inSequence { words += 1 }
            let bucket = FeatureHash.lengthBucket(words: words)
            let hash = FeatureHash.length(bucket: bucket)
            if record { lastLengthFeature = hash }
            sink.length(hash, bucket: bucket)
        } else if record {
            lastLengthFeature = nil
        }
        if settings.wordMaxN >= 2, sequence.count >= 2 {
            for n in max(2, settings.wordMinN)...settings.wordMaxN where sequence.count >= n {
                for i in 0...(sequence.count - n) {
                    var raw = UInt64(n) &* 0x1000_0000_01b3
                    for j in i..<(i + n) { raw = FeatureHash.mix(raw ^ sequence[j].raw) }
                    sink.word(FeatureHash.word(raw), tokens: sequence[i].index..<(sequence[i + n - 1].index + 1), scratch: tokenScratch)
                }
            }
        }
        // Character n-grams inside each word (and each other token, with `symbolCharNgrams`), padded with a
        // space on both sides.
        guard settings.usesCharNgrams, characters else { return }
        let minN = settings.charMinN, maxN = settings.charMaxN
        let everyToken = settings.symbolCharNgrams
        // Through a pointer: a slice of the array per token cost a retain and a release each.
        tokenScratch.tokenScalars.withUnsafeBufferPointer { scalars in
            for span in tokens where everyToken || span.kind == .word {
                padded.removeAll(keepingCapacityUpTo: reusableBufferLimit)
                padded.append(0x20)
                padded.append(contentsOf: UnsafeBufferPointer(rebasing: scalars[Int(span.start)..<Int(span.end)]))
                padded.append(0x20)
                sink.charNgrams(of: padded, minN: minN, maxN: maxN)
            }
        }
    }
}

extension FeatureSink {
    /// The character n-grams of one padded token, from `minN` to `maxN` scalars, by start then length.
    @inline(__always)
    mutating func charNgrams(of padded: [UInt32], minN: Int, maxN: Int) {
        let length = padded.count
        for i in 0..<length {
            var raw = FeatureHash.offset
            let last = min(length, i + maxN)
            for j in i..<last {
                raw = FeatureHash.step(raw, padded[j])
                let n = j - i + 1
                if n >= minN { char(FeatureHash.char(raw), padded: padded, start: i, count: n) }
            }
        }
    }

    /// How many n-grams ``charNgrams(of:minN:maxN:)`` makes of a padded token of `length` scalars.
    static func charNgramCount(length: Int, minN: Int, maxN: Int) -> Int {
        let shortest = max(1, minN)
        guard shortest <= maxN else { return 0 }
        var total = 0
        for n in shortest...maxN where n <= length { total += length - n + 1 }
        return total
    }
}

private struct HashSink: FeatureSink {
    var hashes: [UInt64]
    @inline(__always) mutating func word(_ hash: UInt64, tokens: Range<Int>, scratch: TokenScratch) { hashes.append(hash) }
    @inline(__always) mutating func char(_ hash: UInt64, padded: [UInt32], start: Int, count: Int) { hashes.append(hash) }
    @inline(__always) mutating func length(_ hash: UInt64, bucket: Int) { hashes.append(hash) }

    /// The same hashes as the protocol's loop, in the same order, written in place: character n-grams are most
    /// of a message's features, and one `append` each cost a uniqueness and a capacity check apiece (about a
    /// tenth of routing a 300-character message, in `perf`). The loop is the protocol's, written again on
    /// purpose: one loop shared through a closure measured 0.3-0.6 µs slower a route (p50 25.1-25.5 against
    /// 24.8-24.9 µs, three alternating runs), and a test checks that both give the same hashes.
    @inline(__always)
    mutating func charNgrams(of padded: [UInt32], minN: Int, maxN: Int) {
        let length = padded.count
        let total = Self.charNgramCount(length: length, minN: minN, maxN: maxN)
        guard total > 0 else { return }
        let base = hashes.count
        hashes.append(contentsOf: repeatElement(0, count: total))
        hashes.withUnsafeMutableBufferPointer { out in
            padded.withUnsafeBufferPointer { scalars in
                var k = base
                for i in 0..<length {
                    var raw = FeatureHash.offset
                    let last = min(length, i + maxN)
                    for j in i..<last {
                        raw = FeatureHash.step(raw, scalars[j])
                        if j - i + 1 >= minN, k < out.count {
                            out[k] = FeatureHash.char(raw)
                            k += 1
                        }
                    }
                }
                // The count above is exact (tested against the one-at-a-time loop): a wrong one would leave
                // hashes of 0, which match an empty slot of the model's table.
                assert(k == out.count, "character n-gram count off: \(out.count - k) slots left")
            }
        }
    }
}

private struct NamedSink: FeatureSink {
    var wordsOnly: Bool
    /// When set, only these hashes are named (names cost an allocation each).
    var wanted: Set<UInt64>?
    /// The wanted hashes as an array when they are few (an explanation asks for five): a linear scan of a
    /// few words is several times cheaper than hashing every n-gram of the message for a set lookup. Given
    /// this way, each is named once, at its first occurrence.
    var few: [UInt64]?
    var onlyFirst = false
    var features: [(hash: UInt64, name: String)] = []
    /// The bytes of the name being built, reused from one name to the next.
    private var name: [UInt8] = []

    init(wordsOnly: Bool, wanted: Set<UInt64>?) {
        self.wordsOnly = wordsOnly
        self.wanted = wanted
        if let wanted, wanted.count <= 16 { few = Array(wanted) }
    }

    /// A sink naming each of `few` once.
    init(wordsOnly: Bool, few: [UInt64]) {
        self.wordsOnly = wordsOnly
        self.few = few
        self.onlyFirst = true
        features.reserveCapacity(few.count)
    }

    @inline(__always)
    func isWanted(_ hash: UInt64) -> Bool {
        if let few {
            guard few.contains(hash) else { return false }
            return !onlyFirst || !features.contains { $0.hash == hash }
        }
        return wanted?.contains(hash) ?? true
    }

    mutating func word(_ hash: UInt64, tokens: Range<Int>, scratch: TokenScratch) {
        if !isWanted(hash) { return }
        start("w:")
        for index in tokens {
            let span = scratch.tokens[index]
            if tokens.count > 1 && !span.inSequence { continue }
            if name.count > 2 { name.append(0x20) }
            Self.append(scratch.tokenScalars[Int(span.start)..<Int(span.end)], to: &name)
        }
        features.append((hash, String(decoding: name, as: UTF8.self)))
    }

    /// Starts a name: its bytes are built in one reused buffer and made a String once (appending scalars
    /// to a String one n-gram at a time cost about fifteen allocations a name).
    private mutating func start(_ prefix: StaticString) {
        name.removeAll(keepingCapacity: true)
        if name.capacity < 64 { name.reserveCapacity(64) }
        prefix.withUTF8Buffer { name.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 of `scalars` (invalid values skipped).
    private static func append(_ scalars: ArraySlice<UInt32>, to bytes: inout [UInt8]) {
        for value in scalars {
            guard let scalar = Unicode.Scalar(value) else { continue }
            UTF8.encode(scalar) { bytes.append($0) }
        }
    }

    mutating func length(_ hash: UInt64, bucket: Int) {
        if !isWanted(hash) { return }
        let words = FeatureHash.lengthBucketNames[bucket]
        features.append((hash, "w:[length \(words) word\(words == "1" ? "" : "s")]"))
    }

    mutating func char(_ hash: UInt64, padded: [UInt32], start: Int, count: Int) {
        if wordsOnly { return }
        if !isWanted(hash) { return }
        self.start("c:[")
        Self.append(padded[start..<(start + count)], to: &name)
        name.append(UInt8(ascii: "]"))
        // A piece of a placeholder ("[e>]") means little alone: say whose ("[e>] of <phone>"). Words cannot hold
        // "<" or ">", so a padded token between them is a placeholder.
        if padded.count >= 4, padded[1] == 0x3C, padded[padded.count - 2] == 0x3E {
            " of ".utf8.forEach { name.append($0) }
            Self.append(padded[1..<(padded.count - 1)], to: &name)
        }
        features.append((hash, String(decoding: name, as: UTF8.self)))
    }
}
