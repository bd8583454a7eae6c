/// The kind of a token produced by the ``Tokenizer``.
public enum TokenKind: UInt8, Sendable, Hashable {
    /// A word, folded (lower case, accents removed unless configured otherwise).
    case word
    /// A placeholder standing for personal or variable data: `<email>`, `<url>`, `<phone>`, `<iban>`,
    /// `<money>`, `<date>`, `<time>`, `<year>`, `<num>`, `<ref>`.
    case placeholder
    /// One emoji (skin tones, variation selectors and joiners removed).
    case emoji
    /// `?` or `!`, which carry tone in chat messages.
    case punctuation
}

/// A token: its folded text and kind.
public struct Token: Sendable, Hashable, CustomStringConvertible {
    /// The folded text.
    public var text: String
    /// What kind of token it is.
    public var kind: TokenKind
    /// Whether the token takes part in word n-grams (the whole of a hyphenated compound does not: its parts do).
    public var inSequence: Bool

    /// The text.
    public var description: String { text }
}

/// Placeholders that replace personal and variable data before any feature is made.
enum Placeholder: String, CaseIterable {
    case email = "<email>", url = "<url>", phone = "<phone>", iban = "<iban>", money = "<money>"
    case date = "<date>", time = "<time>", year = "<year>", number = "<num>", reference = "<ref>"

    var scalars: [UInt32] { rawValue.unicodeScalars.map(\.value) }
}

/// A token's place in ``TokenScratch/tokenScalars``.
struct TokenSpan {
    var start: Int32
    var end: Int32
    var kind: TokenKind
    var inSequence: Bool
}

/// Reusable buffers for tokenising one message after another without allocating.
///
/// Not thread-safe: each thread or task keeps its own.
public struct TokenScratch: Sendable {
    var folded: [UInt32] = []
    var classes: [ScalarFolding.Class] = []
    var chunks: [(start: Int, end: Int)] = []
    var tokenScalars: [UInt32] = []
    var tokens: [TokenSpan] = []
    /// The folded form of one scalar, reused from one scalar to the next.
    var spare: [UInt32] = []

    /// Creates empty buffers.
    public init() {
        folded.reserveCapacity(1024)
        classes.reserveCapacity(1024)
        tokenScalars.reserveCapacity(1024)
        tokens.reserveCapacity(256)
        spare.reserveCapacity(8)
    }
}

/// Turns a message into tokens: normalisation, folding, French elisions, compounds, emojis and placeholders.
///
/// Hand-written rather than regular expressions: it runs on every message, and one pass over the
/// scalars with small look-aheads is an order of magnitude faster than Foundation's regular expressions
/// on Linux. What it does:
/// - case folding, compatibility forms (full-width letters), accents removed when `foldDiacritics`;
/// - French elisions split and expanded (l' d' j' n' s' c' m' t' qu' jusqu' lorsqu' puisqu', with ' or ’);
///   English possessive 's dropped, other contractions kept whole (don't, i'm);
/// - hyphenated words give their parts (in sequence) and the joined compound;
/// - e-mail addresses, URLs, phone numbers, IBANs, money amounts, dates, times, years, numbers and
///   reference numbers become placeholder tokens, so no personal data reaches the model;
/// - each emoji is a token; `?` and `!` are tokens; other punctuation separates tokens.
public struct Tokenizer: Sendable {
    /// Whether accents are removed.
    public var foldDiacritics: Bool

    /// Creates a tokenizer.
    public init(foldDiacritics: Bool = true) {
        self.foldDiacritics = foldDiacritics
    }

    /// The most Unicode scalars of a message that are read (262,144): the rest is ignored, in training and
    /// classification alike. Features take about a hundred bytes of working memory per scalar, so a
    /// 45 MB one-line message took 2.5 GB to route; this bounds it near 30 MB. It is above the longest
    /// text of every data set here (a 160,479-character post of 20newsgroups), whose features are unchanged.
    public static let maximumScalars = 1 << 18

    /// The tokens of `text`, as values (for tests, explanations and inspection; the hot path uses ``TokenScratch``).
    public func tokens(_ text: String) -> [Token] {
        var scratch = TokenScratch()
        tokenize(text, into: &scratch)
        return scratch.tokens.map { span in
            let scalars = scratch.tokenScalars[Int(span.start)..<Int(span.end)]
            var string = ""
            string.unicodeScalars.append(contentsOf: scalars.compactMap(Unicode.Scalar.init))
            return Token(text: string, kind: span.kind, inSequence: span.inSequence)
        }
    }

    /// Tokenises `text` into `scratch`, replacing what it held.
    ///
    /// Text is read in Unicode normalisation form KC (compatibility forms such as "ﬁ", "𝐛𝐨𝐧𝐣𝐨𝐮𝐫" or "①" read as
    /// "fi", "bonjour" and "1"; with accents kept, "e" and a combining accent read as "é"). Normalising every
    /// message would cost more than the rest of the tokenizer, and almost no message has such a character: the
    /// first pass stops at the first one it meets, and only then is the text normalised and read again.
    func tokenize(_ text: String, into scratch: inout TokenScratch) {
        if !fold(text, into: &scratch, stopAtCompatibilityForm: true) {
            _ = fold(normalised(text), into: &scratch, stopAtCompatibilityForm: false)
        }
        walk(&scratch)
    }

    /// `text` (its first ``maximumScalars`` scalars) with each compatibility form replaced by its NFKC mapping, and
    /// with accents kept, composed (NFC). Scalar by scalar rather than NFKC of the whole text: that also took
    /// apart characters folded here already ("l´adresse" became "l", "adresse" once a "m²" was in the message).
    private func normalised(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(Self.maximumScalars) {
            if scalar.value >= 0xB2, isCompatibilityForm(scalar.value), !(0x300...0x36F).contains(scalar.value) {
                out.append(contentsOf: String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        let result = String(out)
        return foldDiacritics ? result : result.precomposedStringWithCanonicalMapping
    }

    /// Whether NFKC changes `value` or a text holding it, among the scalars messages use: combining marks (which
    /// only matter with accents kept: folding drops them), letterlike symbols, number forms, super- and subscripts,
    /// enclosed alphanumerics, ligatures and mathematical alphanumerics ("fancy text"). Emojis, Latin letters,
    /// curly quotes and the euro sign are not among them.
    @inline(__always)
    private func isCompatibilityForm(_ value: UInt32) -> Bool {
        switch value {
        case 0x300...0x36F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F: return !foldDiacritics
        case 0xB2, 0xB3, 0xB9, 0xBC...0xBE: return true
        // Not the letterlike symbols (U+2100-214F): "iPhone™" would read "iphonetm".
        case 0x2070...0x209F, 0x2150...0x218F, 0x2460...0x24FF: return true
        case 0xFB00...0xFB4F, 0xFF61...0xFFEE: return true
        case 0x1D400...0x1D7FF, 0x1F130...0x1F189: return true
        default: return false
        }
    }

    /// Pass 1: folds every scalar of `text` into `scratch` and cuts at white space. With
    /// `stopAtCompatibilityForm`, returns false at the first scalar ``isCompatibilityForm(_:)`` (the text must be
    /// normalised first).
    private func fold(_ text: String, into scratch: inout TokenScratch, stopAtCompatibilityForm: Bool) -> Bool {
        // The folding buffers are sized below for this text; the others grow as they must. A huge message's
        // buffers are given back at the next message, so that pooled scratches do not each keep megabytes.
        let limit = ScalarFolding.maximumExpansion * min(text.utf8.count, Self.maximumScalars)
        scratch.folded.removeAll(keepingCapacityUpTo: max(reusableBufferLimit, limit))
        scratch.classes.removeAll(keepingCapacityUpTo: max(reusableBufferLimit, limit))
        scratch.chunks.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        scratch.tokenScalars.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        scratch.tokens.removeAll(keepingCapacityUpTo: reusableBufferLimit)

        // Pass 1: fold every scalar and cut at white space. The buffers are sized for the most a text can fold
        // into, then written through pointers and cut to what was written: an append per scalar, with its
        // uniqueness and capacity checks, took most of this pass.
        scratch.folded.append(contentsOf: repeatElement(0, count: limit))
        scratch.classes.append(contentsOf: repeatElement(.other, count: limit))
        var written = 0, dropped = 0
        var complete = true
        scratch.folded.withUnsafeMutableBufferPointer { folded in
        scratch.classes.withUnsafeMutableBufferPointer { classes in
            var chunkStart = 0
            var remaining = Self.maximumScalars
            for scalar in text.unicodeScalars {
                if remaining == 0 { break }
                remaining &-= 1
                let value = scalar.value
                var cls: ScalarFolding.Class
                if value < 0x80 {
                    let folding = ScalarFolding.foldASCII(value)
                    cls = folding.1
                    if cls != .space {
                        guard written < folded.count else { dropped += 1; continue }
                        folded[written] = folding.0
                        classes[written] = cls
                        written += 1
                        continue
                    }
                } else {
                    if stopAtCompatibilityForm, value >= 0xB2, isCompatibilityForm(value) {
                        complete = false
                        return
                    }
                    scratch.spare.removeAll(keepingCapacity: true)
                    cls = ScalarFolding.fold(value, foldDiacritics: foldDiacritics, into: &scratch.spare)
                    if cls != .space && cls != .ignorable {
                        for v in scratch.spare {
                            guard written < folded.count else { dropped += 1; continue }
                            folded[written] = v
                            classes[written] = cls
                            written += 1
                        }
                    }
                }
                if cls == .space {
                    if chunkStart < written { scratch.chunks.append((chunkStart, written)) }
                    chunkStart = written
                }
            }
            if chunkStart < written { scratch.chunks.append((chunkStart, written)) }
        }
        }
        // No scalar folds into more than `maximumExpansion` (at most two, over every scalar), so nothing is ever
        // dropped; a change to the folding that broke this is caught by the tests (debug builds), and a release
        // build would lose the end of the text rather than write past the buffer.
        assert(dropped == 0, "folding outgrew its buffer: \(dropped) scalars dropped")
        scratch.folded.removeLast(scratch.folded.count - written)
        scratch.classes.removeLast(scratch.classes.count - written)
        return complete
    }

    /// Pass 2: each chunk is a placeholder (possibly with the chunks after it) or words.
    private func walk(_ scratch: inout TokenScratch) {
        var state = ChunkWalker(scratch: scratch)
        var index = 0
        while index < state.scratch.chunks.count {
            let (a, b) = state.trimmed(index)
            if a < b, let (placeholder, used) = state.special(at: index, start: a, end: b) {
                state.emit(placeholder)
                let last = state.scratch.chunks[index + used - 1]
                let (_, lastEnd) = state.trimmed(index + used - 1)
                state.emitTrailingPunctuation(from: lastEnd, to: last.end)
                index += used
            } else {
                let chunk = state.scratch.chunks[index]
                state.scanWords(from: chunk.start, to: chunk.end)
                index += 1
            }
        }
        scratch = state.scratch
    }
}

/// Pass 2 of the tokenizer: walks the chunks, recognises placeholders and scans words.
private struct ChunkWalker {
    var scratch: TokenScratch

    // Scalars used below.
    static let at: UInt32 = 0x40, dot: UInt32 = 0x2E, slash: UInt32 = 0x2F, colon: UInt32 = 0x3A
    static let plus: UInt32 = 0x2B, comma: UInt32 = 0x2C, hyphen: UInt32 = 0x2D, apostrophe: UInt32 = 0x27

    init(scratch: TokenScratch) { self.scratch = scratch }

    /// The chunk without leading and trailing punctuation.
    func trimmed(_ index: Int) -> (Int, Int) {
        var (a, b) = scratch.chunks[index]
        while a < b, isTrimmable(scratch.folded[a], scratch.classes[a], leading: true) { a += 1 }
        while b > a, isTrimmable(scratch.folded[b - 1], scratch.classes[b - 1], leading: false) { b -= 1 }
        return (a, b)
    }

    private func isTrimmable(_ value: UInt32, _ cls: ScalarFolding.Class, leading: Bool) -> Bool {
        switch cls {
        case .question, .exclamation, .apostrophe: return true
        case .hyphen: return true
        case .other:
            // Keep currency signs and '+' (phone prefix) at the front; they mean something.
            if leading && (value == Self.plus || isCurrencySign(value)) { return false }
            if !leading && isCurrencySign(value) { return false }
            return true
        default: return false
        }
    }

    @inline(__always) func isCurrencySign(_ value: UInt32) -> Bool {
        value == 0x20AC || value == 0xA3 || value == 0x24 || value == 0xA5
    }

    mutating func emit(_ placeholder: Placeholder) {
        let start = Int32(scratch.tokenScalars.count)
        scratch.tokenScalars.append(contentsOf: placeholder.scalars)
        scratch.tokens.append(TokenSpan(start: start, end: Int32(scratch.tokenScalars.count), kind: .placeholder, inSequence: true))
    }

    mutating func emitSingle(_ value: UInt32, kind: TokenKind) {
        if kind == .punctuation, let last = scratch.tokens.last, last.kind == .punctuation,
           scratch.tokenScalars[Int(last.start)] == value {
            return  // "???" is one token
        }
        let start = Int32(scratch.tokenScalars.count)
        scratch.tokenScalars.append(value)
        scratch.tokens.append(TokenSpan(start: start, end: start + 1, kind: kind, inSequence: true))
    }

    mutating func emitTrailingPunctuation(from start: Int, to end: Int) {
        guard start < end else { return }
        for k in start..<end {
            switch scratch.classes[k] {
            case .question, .exclamation: emitSingle(scratch.folded[k], kind: .punctuation)
            default: break
            }
        }
    }

    // MARK: Words

    /// Scans a chunk that is not a placeholder into words, emojis and punctuation tokens.
    mutating func scanWords(from start: Int, to end: Int) {
        var wordStart = scratch.tokenScalars.count
        var compoundParts: [Int] = []  // token indices of the parts of a hyphenated compound
        var k = start

        func isWordClass(_ cls: ScalarFolding.Class) -> Bool { cls == .letter || cls == .digit }

        func flushWord(_ walker: inout ChunkWalker, endsCompound: Bool) {
            if walker.scratch.tokenScalars.count > wordStart {
                walker.scratch.tokens.append(TokenSpan(start: Int32(wordStart), end: Int32(walker.scratch.tokenScalars.count), kind: .word, inSequence: true))
                if !compoundParts.isEmpty || !endsCompound { compoundParts.append(walker.scratch.tokens.count - 1) }
            }
            if endsCompound {
                if compoundParts.count >= 2 { walker.appendCompound(compoundParts) }
                compoundParts.removeAll(keepingCapacity: true)
            }
            wordStart = walker.scratch.tokenScalars.count
        }

        while k < end {
            let cls = scratch.classes[k]
            let value = scratch.folded[k]
            switch cls {
            case .letter, .digit:
                scratch.tokenScalars.append(value)
            case .apostrophe:
                let inWord = scratch.tokenScalars.count > wordStart
                let nextIsLetter = k + 1 < end && scratch.classes[k + 1] == .letter
                if inWord && nextIsLetter {
                    if let expansion = Self.cliticExpansion(scratch.tokenScalars[wordStart...]) {
                        scratch.tokenScalars.removeSubrange(wordStart...)
                        scratch.tokenScalars.append(contentsOf: expansion)
                        flushWord(&self, endsCompound: true)
                    } else if scratch.folded[k + 1] == 0x73, k + 2 >= end || !isWordClass(scratch.classes[k + 2]) {
                        k += 1  // English possessive 's: dropped
                    } else {
                        scratch.tokenScalars.append(Self.apostrophe)  // don't, i'm
                    }
                } else {
                    flushWord(&self, endsCompound: true)
                }
            case .hyphen:
                let inWord = scratch.tokenScalars.count > wordStart
                if inWord && k + 1 < end && isWordClass(scratch.classes[k + 1]) {
                    if compoundParts.isEmpty {
                        scratch.tokens.append(TokenSpan(start: Int32(wordStart), end: Int32(scratch.tokenScalars.count), kind: .word, inSequence: true))
                        compoundParts.append(scratch.tokens.count - 1)
                        wordStart = scratch.tokenScalars.count
                    } else {
                        flushWord(&self, endsCompound: false)
                    }
                } else {
                    flushWord(&self, endsCompound: true)
                }
            case .emoji:
                flushWord(&self, endsCompound: true)
                if Self.isRegionalIndicator(value), k + 1 < end, Self.isRegionalIndicator(scratch.folded[k + 1]) {
                    // A flag is two regional indicator letters: one token, or every flag would share its letters.
                    let start = Int32(scratch.tokenScalars.count)
                    scratch.tokenScalars.append(value)
                    scratch.tokenScalars.append(scratch.folded[k + 1])
                    scratch.tokens.append(TokenSpan(start: start, end: start + 2, kind: .emoji, inSequence: true))
                    k += 1
                } else {
                    emitSingle(value, kind: .emoji)
                }
                wordStart = scratch.tokenScalars.count
            case .question, .exclamation:
                flushWord(&self, endsCompound: true)
                emitSingle(value, kind: .punctuation)
                wordStart = scratch.tokenScalars.count
            case .other, .space, .ignorable:
                flushWord(&self, endsCompound: true)
            }
            k += 1
        }
        flushWord(&self, endsCompound: true)
    }

    @inline(__always) static func isRegionalIndicator(_ value: UInt32) -> Bool { (0x1F1E6...0x1F1FF).contains(value) }

    /// Adds the joined form of a hyphenated compound as an extra token outside the n-gram sequence.
    mutating func appendCompound(_ parts: [Int]) {
        let start = Int32(scratch.tokenScalars.count)
        for index in parts {
            let span = scratch.tokens[index]
            for p in Int(span.start)..<Int(span.end) { scratch.tokenScalars.append(scratch.tokenScalars[p]) }
        }
        scratch.tokens.append(TokenSpan(start: start, end: Int32(scratch.tokenScalars.count), kind: .word, inSequence: false))
    }

    /// The full form of a French elided clitic (l' → le), or nil when the word is not one.
    static func cliticExpansion(_ word: ArraySlice<UInt32>) -> [UInt32]? {
        switch word.count {
        case 1:
            switch word[word.startIndex] {
            case 0x6C: return [0x6C, 0x65]  // l → le
            case 0x64: return [0x64, 0x65]  // d → de
            case 0x6A: return [0x6A, 0x65]  // j → je
            case 0x6E: return [0x6E, 0x65]  // n → ne
            case 0x73: return [0x73, 0x65]  // s → se
            case 0x63: return [0x63, 0x65]  // c → ce
            case 0x6D: return [0x6D, 0x65]  // m → me
            case 0x74: return [0x74, 0x65]  // t → te
            default: return nil
            }
        case 2:
            return word.elementsEqual([0x71, 0x75]) ? [0x71, 0x75, 0x65] : nil  // qu → que
        case 5, 6:
            // Only these lengths: this runs at every apostrophe inside a word, and building a string of a
            // longer word each time made "x'x'x'..." quadratic (130,000 apostrophes took 30 s). ASCII only: the
            // bytes below are the scalars cut to 8 bits, which made Armenian "ժյճձյ" read as "jusqu".
            guard word.allSatisfy({ $0 < 0x80 }) else { return nil }
            let text = String(decoding: word.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
            switch text {
            case "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu":
                return (text + "e").unicodeScalars.map(\.value)
            default: return nil
            }
        default:
            return nil
        }
    }

    // MARK: Placeholders

    /// How many thousands groups an amount written with spaces may have ("1 250 000 000 €" has three).
    private static let maximumThousandsGroups = 6
    private static let currencyWords: Set<String> = ["€", "£", "$", "eur", "euro", "euros", "usd", "gbp", "chf", "dollar", "dollars", "pound", "pounds", "livres", "balles", "k€", "keur", "ttc", "ht"]
    private static let moneySuffixes: Set<String> = ["e", "eur", "euro", "euros", "k", "k€", "keur", "€", "£", "$", "ttc", "ht"]
    private static let topLevelDomains: [[UInt32]] = ["com", "fr", "org", "net", "io", "be", "ch", "eu", "co", "uk", "de", "info", "biz", "app", "ly", "me", "gouv", "ca", "es", "it", "nl", "lu"]
        .map { $0.unicodeScalars.map(\.value) }

    /// The folded text of `start..<end`, encoded as UTF-8 on the stack and made a `String` in one step
    /// (no heap allocation for the short strings placeholders are: up to 15 bytes are stored inline).
    private func string(_ start: Int, _ end: Int) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4 * (end - start)) { buffer in
            var count = 0
            for value in scratch.folded[start..<end] {
                guard let scalar = Unicode.Scalar(value) else { continue }
                for byte in UTF8.encode(scalar) ?? UTF8.EncodedScalar() {
                    buffer[count] = byte
                    count += 1
                }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    /// Whether `start..<end` holds `scalar`. On the folded values rather than `String.contains`, which with
    /// Foundation imported resolves to `range(of:)` and bridges through `NSString` on Linux: those calls
    /// made most of a route's allocations (`Benchmarks/Latency`, "route (300 chars)").
    private func contains(_ scalar: UInt32, _ start: Int, _ end: Int) -> Bool {
        scratch.folded[start..<end].contains(scalar)
    }

    /// Whether `start..<end` holds "://".
    private func containsSchemeSeparator(_ start: Int, _ end: Int) -> Bool {
        guard end - start >= 3 else { return false }
        return (start...(end - 3)).contains { k in
            scratch.folded[k] == Self.colon && scratch.folded[k + 1] == Self.slash && scratch.folded[k + 2] == Self.slash
        }
    }

    private func isDigit(_ k: Int) -> Bool { scratch.classes[k] == .digit }

    /// The at signs written out that e-mail addresses are disguised with.
    private static let spelledAtSigns: [[UInt32]] = ["(at)", "[at]", "{at}", "(@)", "[@]"].map { $0.unicodeScalars.map(\.value) }

    /// Whether a whole (untrimmed) chunk is an at sign, bare or spelled out.
    private func isAtSign(_ chunk: (start: Int, end: Int)) -> Bool {
        let count = chunk.end - chunk.start
        if count == 1 { return scratch.folded[chunk.start] == Self.at }
        guard count == 3 || count == 4 else { return false }
        return Self.spelledAtSigns.contains { $0.elementsEqual(scratch.folded[chunk.start..<chunk.end]) }
    }

    /// The range of a spelled-out at sign inside `start..<end` ("jean(at)gmail.com"), if there is one.
    private func spelledAtSign(_ start: Int, _ end: Int) -> (Int, Int)? {
        var k = start
        while k < end {
            let v = scratch.folded[k]
            if v == 0x28 || v == 0x5B || v == 0x7B {
                for sign in Self.spelledAtSigns where k + sign.count <= end && sign.elementsEqual(scratch.folded[k..<(k + sign.count)]) {
                    return (k, k + sign.count)
                }
            }
            k += 1
        }
        return nil
    }

    /// The words that stand for the dot and the at sign of an address spelled out in words.
    private static let spelledDots: [[UInt32]] = ["dot", "point"].map { $0.unicodeScalars.map(\.value) }
    private static let spelledAts: [[UInt32]] = ["at", "arobase", "arobas", "arrobase"].map { $0.unicodeScalars.map(\.value) }
    /// Top-level domains that end an address spelled out in words: common ones of French and English mail that
    /// are not words too, so that "at" and "point" in ordinary sentences are left alone ("at this point it",
    /// "point de", "ça" folded to "ca", "be", "lu" and "es" are why "it", "de", "ca", "be", "lu" and "es" are
    /// not here).
    private static let spelledTLDs: [[UInt32]] = ["com", "fr", "net", "org", "eu", "ch", "uk", "io", "info"]
        .map { $0.unicodeScalars.map(\.value) }

    /// Whether chunk `index`, trimmed, is one of `words`.
    private func chunk(_ index: Int, isOneOf words: [[UInt32]]) -> Bool {
        let (a, b) = trimmed(index)
        return isOneOf(a, b, words)
    }

    /// Whether the folded scalars `a..<b` are one of `words`.
    private func isOneOf(_ a: Int, _ b: Int, _ words: [[UInt32]]) -> Bool {
        words.contains { $0.count == b - a && $0.elementsEqual(scratch.folded[a..<b]) }
    }

    /// Whether chunk `index`, trimmed, can be a part of an address: letters and digits (with `.`, `_` or `-`
    /// inside), at most 64 of them.
    private func isAddressPart(_ index: Int) -> Bool {
        let (a, b) = trimmed(index)
        guard b > a, b - a <= 64 else { return false }
        return (a..<b).allSatisfy { k in
            let cls = scratch.classes[k]
            if cls == .letter || cls == .digit { return true }
            let v = scratch.folded[k]
            return v == Self.dot || v == 0x5F || v == Self.hyphen
        }
    }

    /// Whether chunk `index` stands for the dot of an address: a lone "." or "dot" / "point".
    private func isDotChunk(_ index: Int) -> Bool {
        let raw = scratch.chunks[index]
        if raw.end - raw.start == 1 { return scratch.folded[raw.start] == Self.dot }
        return chunk(index, isOneOf: Self.spelledDots)
    }

    /// Whether chunk `index` stands for the at sign of an address: "@", "(at)" and the like, or "at" / "arobase";
    /// `word` tells the English word "at" apart, which needs more evidence than the others.
    private func atChunk(_ index: Int) -> (isAt: Bool, word: Bool) {
        if isAtSign(scratch.chunks[index]) { return (true, false) }
        let (a, b) = trimmed(index)
        guard isOneOf(a, b, Self.spelledAts) else { return (false, false) }
        return (true, b - a == 2)
    }

    /// Whether the trimmed chunk `index` looks like an address's local part rather than a word: a letter, and `.`,
    /// `_` or a digit ("jean.dupont", "jdupont75"). Not a hyphen ("pre-order at amazon.fr"), nor digits alone
    /// ("49.99 at amazon.com"). A mail provider's name after "at" was tried as evidence too, and took "me" of
    /// "contact me at gmail.com" and "work" of "I work at orange.fr".
    private func looksLikeLocalPart(_ index: Int) -> Bool {
        let (a, b) = trimmed(index)
        var letter = false, mark = false
        for k in a..<b {
            let v = scratch.folded[k]
            if scratch.classes[k] == .letter { letter = true } else if scratch.classes[k] == .digit || v == Self.dot || v == 0x5F { mark = true }
        }
        return letter && mark
    }

    /// Whether the trimmed chunk `index` is a host name ending with a known top-level domain ("gmail.com").
    private func isDomainChunk(_ index: Int) -> Bool {
        let (a, b) = trimmed(index)
        return b > a && isAddressPart(index) && looksLikeDomain(a, b, pathAllowed: false)
    }

    /// The chunks an address written apart spans from chunk `index`, or nil. Without it the name and the
    /// provider reached the model as words. The forms:
    /// - spelled out in words: "jean dot dupont at gmail dot com", "marie point durand arobase orange point fr";
    /// - with spaces around the signs: "jean . dupont @ gmail . com";
    /// - a local part, an at word and a host name: "jean.dupont at gmail.com", "jean.dupont arobase gmail.com".
    ///
    /// A local part is one to three words joined by dots; the domain is a host name with a known top-level domain,
    /// or words joined by dots ending with a common one. "at", an English word, needs more: a local part that
    /// looks like one (``looksLikeLocalPart(_:)``) or is joined by dots, and before words joined by dots, dots
    /// spelled out ("contact at axa dot fr"): a lone "." is a sentence's end as often ("stuck at customs . UK").
    private func spelledOutAddress(at index: Int) -> Int? {
        let count = scratch.chunks.count
        // The shortest form is three chunks: local at domain. Every chunk of every message comes here, so the
        // next chunk's first character and length rule out almost all of them before any comparison.
        guard index + 2 < count else { return nil }
        let next = scratch.chunks[index + 1]
        let nextLength = next.end - next.start
        let firstOfNext = scratch.folded[next.start]
        if nextLength == 1 {
            guard firstOfNext == Self.dot || firstOfNext == Self.at else { return nil }
        } else if !isAtSign(next) {
            let (a, b) = trimmed(index + 1)
            guard b - a >= 2, b - a <= 8 else { return nil }
            let first = scratch.folded[a]
            guard first == 0x61 || first == 0x64 || first == 0x70 else { return nil }  // a (at, arobase), d (dot), p (point)
        }
        guard isAddressPart(index), isDotChunk(index + 1) || atChunk(index + 1).isAt else { return nil }
        var i = index + 1, joined = 0
        while joined < 2, i + 1 < count, isDotChunk(i), isAddressPart(i + 1) { i += 2; joined += 1 }
        guard i + 1 < count, isAddressPart(i + 1) else { return nil }
        let at = atChunk(i)
        guard at.isAt else { return nil }
        let localIsAddressLike = joined > 0 || looksLikeLocalPart(index)
        i += 1
        // A host name in one chunk: "gmail.com".
        if isDomainChunk(i) {
            if at.word && !localIsAddressLike { return nil }
            return i + 1 - index
        }
        // Words joined by dots, ending with a common top-level domain.
        var used: Int?
        joined = 0
        while joined < 3, i + 2 < count, isDotChunk(i + 1), isAddressPart(i + 2) {
            if at.word && !localIsAddressLike && !chunk(i + 1, isOneOf: Self.spelledDots) { break }
            i += 2; joined += 1
            if chunk(i, isOneOf: Self.spelledTLDs) { used = i + 1 - index }
        }
        return used
    }

    /// Recognises a placeholder starting at chunk `index` (trimmed to `start..<end`); returns it and the chunks it spans.
    func special(at index: Int, start: Int, end: Int) -> (Placeholder, Int)? {
        if let used = spelledOutAddress(at: index) { return (.email, used) }
        var digits = 0, letters = 0, others = 0
        var atPosition = -1, hasCurrency = false
        for k in start..<end {
            switch scratch.classes[k] {
            case .digit: digits += 1
            case .letter: letters += 1
            default:
                let v = scratch.folded[k]
                if v == Self.at, atPosition < 0 { atPosition = k }
                if isCurrencySign(v) { hasCurrency = true }
                others += 1
            }
        }
        let length = end - start
        // An address written around a separate at sign: "jean.dupont @ gmail.com", "jean (at) gmail.com". The
        // part after it must be a domain with a dot: in chat, "r u @ home" is "at".
        if letters > 0, atPosition < 0, index + 2 < scratch.chunks.count, isAtSign(scratch.chunks[index + 1]) {
            let (a, b) = trimmed(index + 2)
            if let dot = (a..<b).first(where: { scratch.folded[$0] == Self.dot }), dot > a, b - dot > 2,
               (a..<dot).contains(where: { scratch.classes[$0] == .letter }) {
                return (.email, 3)
            }
        }
        // An address cut after or before its at sign: "jean.dupont@ gmail.com", "jean.dupont @gmail.com".
        // (The two at-sign reads first: this runs for every chunk.)
        if letters > 0, atPosition < 0, index + 1 < scratch.chunks.count {
            let chunk = scratch.chunks[index], next = scratch.chunks[index + 1]
            let atEnd = scratch.folded[chunk.end - 1] == Self.at
            let atStart = next.end - next.start > 1 && scratch.folded[next.start] == Self.at
            // A word before a handle or a bare domain ("Bonjour @free.fr", "Mention @jean.dupont") is not a local
            // part: before "@domain" it must look like one, and the domain must be a host name.
            if atEnd ? isAddressPart(index) : (atStart && looksLikeLocalPart(index) && isDomainChunk(index + 1)) {
                let (a, b) = trimmed(index + 1)
                if let dot = (a..<b).first(where: { scratch.folded[$0] == Self.dot }), dot > a, b - dot > 2,
                   (a..<dot).contains(where: { scratch.classes[$0] == .letter }) {
                    return (.email, 2)
                }
            }
        }
        let spelledAt = others >= 2 && atPosition < 0 ? spelledAtSign(start, end) : nil
        if digits == 0 && atPosition < 0 && spelledAt == nil {
            // The common case, a plain word: decide without building a string.
            guard others > 0, (start..<end).contains(where: { scratch.folded[$0] == Self.dot || scratch.folded[$0] == Self.colon }) else { return nil }
        }
        // An e-mail address: something, an at sign, then a domain with a dot, or a name of at least two
        // characters starting with a letter: no dot is needed ("jeandupont75@gmail" and "jean@gmail,com" are
        // addresses too, whose local part must not reach the model as words), but "msg@150p" is a price. The at
        // sign may be spelled "(at)" or "[at]".
        let atSign = atPosition >= 0 ? (atPosition, atPosition + 1) : spelledAt
        if let (at, after) = atSign, at > start, end - after >= 2,
           scratch.classes[after] == .letter || scratch.folded[(at + 2)..<end].contains(Self.dot) {
            return (.email, 1)
        }
        let text = string(start, end)

        if text.hasPrefix("http://") || text.hasPrefix("https://") || text.hasPrefix("www.") || containsSchemeSeparator(start, end) {
            return (.url, 1)
        }
        // A host name, with or without a path: digits too ("facebook.com/jean.dupont.75" kept "jean", "dupont"
        // and "75" as words when the check was for names without digits only).
        // (A dot first: the domain check splits the text, two allocations, and most chunks with digits, such as
        // "MRH-448120", have none.)
        if others > 0, letters > 0, contains(Self.dot, start, end), looksLikeDomain(start, end) { return (.url, 1) }
        if digits == 0 { return nil }
        // IBAN: two letters, two check digits, then letters and digits, whole or in groups of four.
        if length >= 4, scratch.classes[start] == .letter, scratch.classes[start + 1] == .letter,
           isDigit(start + 2), isDigit(start + 3), others == 0 {
            if length >= 14 && length <= 34 { return (.iban, 1) }
            if length == 4 {
                // Groups of four, the last one possibly shorter; the longest run of 14 to 34 characters is the
                // IBAN. A short group ends it, so the words after it ("... 189 svp merci") are neither eaten
                // nor able to push the total over 34 and leave the IBAN's groups as words.
                var total = 4, used = 1, best: Int?
                while index + used < scratch.chunks.count {
                    let (a, b) = trimmed(index + used)
                    guard b - a >= 1, b - a <= 4, (a..<b).allSatisfy({ scratch.classes[$0] == .digit || scratch.classes[$0] == .letter }) else { break }
                    total += b - a; used += 1
                    if total > 34 { break }
                    if total >= 14 { best = used }
                    if b - a < 4 { break }
                }
                if let best { return (.iban, best) }
            }
        }
        if hasCurrency { return (.money, 1) }
        if letters == 0, let date = dateOrTime(text) { return (date, 1) }
        if letters > 0, others == 0 || contains(Self.dot, start, end) || contains(Self.comma, start, end), let money = moneyWithSuffix(text) { return (money, 1) }
        if letters > 0, let time = timeWithLetters(text) { return (time, 1) }
        // Phone numbers: +33..., 0..., whole or in groups.
        let first = scratch.folded[start]
        if letters == 0, first == Self.plus || first == 0x30 {
            let separatorsOnly = (start..<end).allSatisfy { k in
                let v = scratch.folded[k]
                return isDigit(k) || v == Self.plus || v == Self.dot || v == Self.hyphen || v == 0x28 || v == 0x29
            }
            if separatorsOnly {
                if digits >= 9 && digits <= 13 { return (.phone, 1) }
                if digits < 9 {
                    var total = digits, used = 1
                    while index + used < scratch.chunks.count, total < 13 {
                        let (a, b) = trimmed(index + used)
                        guard b > a, b - a <= 6, (a..<b).allSatisfy({ isDigit($0) }) else { break }
                        total += b - a; used += 1
                    }
                    if total >= 9 && total <= 13 { return (.phone, used) }
                }
            }
        }
        // Money written "1 250 €" or "450 euros".
        if letters == 0, (start..<end).allSatisfy({ isDigit($0) || scratch.folded[$0] == Self.dot || scratch.folded[$0] == Self.comma }) {
            var used = 1
            var groupDigits = digits
            // At most six groups ahead (amounts up to 10^21): the look-ahead runs again from each chunk, and
            // unbounded it made "000 000 000 ..." quadratic (a 100 KB message took 30 s to route).
            while index + used < scratch.chunks.count, used <= Self.maximumThousandsGroups {
                let (a, b) = trimmed(index + used)
                let next = string(a, b)
                if Self.currencyWords.contains(next) { return (.money, used + 1) }
                // A thousands group: three digits after a group of at most three.
                if groupDigits <= 3, b - a >= 3, (a..<(a + 3)).allSatisfy({ isDigit($0) }),
                   (a + 3..<b).allSatisfy({ scratch.folded[$0] == Self.dot || scratch.folded[$0] == Self.comma || isDigit($0) }) {
                    groupDigits = 3; used += 1; continue
                }
                break
            }
            if digits == 4, let year = Int(text), (1900...2099).contains(year) { return (.year, 1) }
            if digits <= 4 { return (.number, 1) }
            return (.reference, 1)
        }
        // Words with a digit or two ("1er", "4x4", "b2b") stay words.
        if letters > 0, digits <= 2 { return nil }
        if digits >= 3 || letters == 0 { return (.reference, 1) }
        return nil
    }

    /// Whether `start..<end` begins with a host name: a first label of two characters or more, then a known
    /// top-level domain after the last dot before any `/`. On the folded scalars, without building strings: it
    /// runs for every chunk with letters, a dot and a digit or a sign ("v2.0", "3.5km", "axa.fr/contact").
    private func looksLikeDomain(_ start: Int, _ end: Int, pathAllowed: Bool = true) -> Bool {
        let folded = scratch.folded
        var hostStart = start
        while hostStart < end, folded[hostStart] == Self.slash { hostStart += 1 }
        var hostEnd = hostStart
        while hostEnd < end, folded[hostEnd] != Self.slash { hostEnd += 1 }
        // Empty labels do not count ("axa..fr" is axa and fr, "axa.fr." axa and fr).
        var labelStart = hostStart
        while labelStart < hostEnd, folded[labelStart] == Self.dot { labelStart += 1 }
        while hostEnd > labelStart, folded[hostEnd - 1] == Self.dot { hostEnd -= 1 }
        guard let firstDot = (labelStart..<hostEnd).first(where: { folded[$0] == Self.dot }), firstDot - labelStart >= 2,
              let lastDot = (firstDot..<hostEnd).last(where: { folded[$0] == Self.dot }) else { return false }
        if isOneOf(lastDot + 1, hostEnd, Self.topLevelDomains) { return true }
        guard pathAllowed else { return false }
        // Any top-level domain of two to four letters when a path with a URL's marks follows
        // ("monespace.bzh/profil?nom=dupont"): the list above is for host names alone, which can be words run
        // together ("bonjour.je"), and so can a host and a path ("ok.merci/cordialement", "lundi.mardi/mercredi").
        let tldLength = hostEnd - lastDot - 1
        var pathStart = hostEnd
        while pathStart < end, folded[pathStart] == Self.dot { pathStart += 1 }
        guard pathStart + 1 < end, folded[pathStart] == Self.slash, (2...4).contains(tldLength),
              (lastDot + 1..<hostEnd).allSatisfy({ scratch.classes[$0] == .letter }) else { return false }
        return (pathStart + 1..<end).contains { k in
            let v = folded[k]
            return scratch.classes[k] == .digit || v == Self.slash || v == 0x3F || v == 0x3D || v == 0x26 || v == 0x25 || v == 0x5F || v == 0x23 || v == Self.dot
        }
    }

    private func dateOrTime(_ text: String) -> Placeholder? {
        let groups = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" })
        if groups.count == 2 || groups.count == 3, groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) {
            let lengths = groups.map(\.count)
            if groups.count == 3, lengths[0] == 4, lengths[1] <= 2, lengths[2] <= 2 { return .date }
            if lengths[0] <= 2, lengths[1] <= 2, groups.count == 2 || (lengths[2] == 2 || lengths[2] == 4) {
                if groups.count == 2 && text.unicodeScalars.contains(".") { return nil }  // 12.50 is a number
                return .date
            }
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 || parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isNumber) }) {
            return .time
        }
        return nil
    }

    private func timeWithLetters(_ text: String) -> Placeholder? {
        // 22h, 9h30, 10am, 9:30pm, 14h00
        var rest = Substring(text)
        let hour = rest.prefix(while: \.isNumber)
        guard (1...2).contains(hour.count) else { return nil }
        rest = rest.dropFirst(hour.count)
        if rest == "am" || rest == "pm" { return .time }
        guard rest.first == "h" || rest.first == ":" else { return nil }
        rest = rest.dropFirst()
        let minutes = rest.prefix(while: \.isNumber)
        rest = rest.dropFirst(minutes.count)
        guard minutes.count == 0 || minutes.count == 2 else { return nil }
        return rest.isEmpty || rest == "am" || rest == "pm" || rest == "min" ? .time : nil
    }

    private func moneyWithSuffix(_ text: String) -> Placeholder? {
        let number = text.prefix(while: { $0.isNumber || $0 == "." || $0 == "," })
        guard number.first?.isNumber == true else { return nil }
        return Self.moneySuffixes.contains(String(text.dropFirst(number.count))) ? .money : nil
    }
}
