/// How text becomes features: which n-grams, and how the text is normalised first.
///
/// Settings are stored in every model file; two models can be merged only when theirs are equal.
public struct FeatureSettings: Sendable, Hashable, Codable {
    /// The smallest word n-gram (1 for unigrams).
    public var wordMinN: Int
    /// The largest word n-gram (2 adds bigrams).
    public var wordMaxN: Int
    /// The smallest character n-gram, taken inside each word padded with a space on both sides; 0 turns them off.
    public var charMinN: Int
    /// The largest character n-gram.
    public var charMaxN: Int
    /// Whether accents are removed ("résilier" and "resilier" become one feature).
    public var foldDiacritics: Bool
    /// Whether each message also gets one word feature for its length in words, in buckets (0, 1, 2, 3, 4-5,
    /// 6-8, 9-12, 13-20, 21-40, more): a greeting or an "ok thanks" is told apart by being short as much as by
    /// its words. Models written before this setting existed do not have it (it reads as false).
    public var lengthFeature: Bool
    /// Whether placeholders, emojis and `?` `!` also give character n-grams, of their text padded as a word's
    /// ("<phone>" gives "[ <]", "[<p]", ...): the character group holds most of a message's weight, and without
    /// them a link, a price or a phone number counted there for nothing. Models written before this setting
    /// existed do not have it (it reads as false).
    public var symbolCharNgrams: Bool

    /// Creates settings; the defaults suit short French and English messages.
    public init(wordMinN: Int = 1, wordMaxN: Int = 2, charMinN: Int = 2, charMaxN: Int = 5, foldDiacritics: Bool = true,
                lengthFeature: Bool = true, symbolCharNgrams: Bool = true) {
        self.wordMinN = wordMinN
        self.wordMaxN = wordMaxN
        self.charMinN = charMinN
        self.charMaxN = charMaxN
        self.foldDiacritics = foldDiacritics
        self.lengthFeature = lengthFeature
        self.symbolCharNgrams = symbolCharNgrams
    }

    private enum CodingKeys: String, CodingKey {
        case wordMinN, wordMaxN, charMinN, charMaxN, foldDiacritics, lengthFeature, symbolCharNgrams
    }

    /// Decodes settings; a model file written before ``lengthFeature`` or ``symbolCharNgrams`` existed has neither.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        wordMinN = try c.decode(Int.self, forKey: .wordMinN)
        wordMaxN = try c.decode(Int.self, forKey: .wordMaxN)
        charMinN = try c.decode(Int.self, forKey: .charMinN)
        charMaxN = try c.decode(Int.self, forKey: .charMaxN)
        foldDiacritics = try c.decode(Bool.self, forKey: .foldDiacritics)
        lengthFeature = try c.decodeIfPresent(Bool.self, forKey: .lengthFeature) ?? false
        symbolCharNgrams = try c.decodeIfPresent(Bool.self, forKey: .symbolCharNgrams) ?? false
    }

    /// Encodes the settings; ``symbolCharNgrams`` only when on, so that a model written before it existed is
    /// written back byte for byte (`learn` then `learn --forget` gives the same file).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(wordMinN, forKey: .wordMinN)
        try c.encode(wordMaxN, forKey: .wordMaxN)
        try c.encode(charMinN, forKey: .charMinN)
        try c.encode(charMaxN, forKey: .charMaxN)
        try c.encode(foldDiacritics, forKey: .foldDiacritics)
        try c.encode(lengthFeature, forKey: .lengthFeature)
        if symbolCharNgrams { try c.encode(true, forKey: .symbolCharNgrams) }
    }

    /// The same settings with ``symbolCharNgrams`` off when there are no character n-grams at all, where it
    /// changes nothing: what a model stores, and what `merge` compares.
    public var normalized: FeatureSettings {
        var settings = self
        if !usesCharNgrams { settings.symbolCharNgrams = false }
        return settings
    }

    /// The defaults: word 1-2 grams, character 2-5 grams (of placeholders, emojis and `?` `!` too), accents
    /// folded, the length feature.
    public static let `default` = FeatureSettings()

    /// Whether character n-grams are produced.
    public var usesCharNgrams: Bool { charMinN > 0 && charMaxN >= charMinN }

    /// Checks that the ranges make sense.
    public func validate() throws {
        guard wordMinN >= 1, wordMaxN >= wordMinN, wordMaxN <= 4 else {
            throw SwitchboardError(.invalidArgument, "word n-grams must satisfy 1 <= min <= max <= 4 (got \(wordMinN)-\(wordMaxN))")
        }
        guard charMinN == 0 || (charMinN >= 1 && charMaxN >= charMinN && charMaxN <= 8) else {
            throw SwitchboardError(.invalidArgument, "character n-grams must satisfy 1 <= min <= max <= 8, or min 0 to turn them off (got \(charMinN)-\(charMaxN))")
        }
    }
}
