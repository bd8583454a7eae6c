/// The hyperparameters of a naive-Bayes model.
public struct NaiveBayesParameters: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which naive Bayes.
    public enum Variant: String, Sendable, Hashable, Codable, CaseIterable {
        /// Multinomial naive Bayes with Lidstone smoothing.
        case multinomial
        /// Complement naive Bayes (Rennie et al. 2003): each class is scored against the counts of all the others.
        case complement
    }

    /// Which naive Bayes.
    public var variant: Variant
    /// Lidstone smoothing added to every feature count.
    public var alpha: Double
    /// Term frequencies are damped to 1 + log(tf).
    public var sublinearTF: Bool
    /// Feature values are multiplied by their smoothed inverse document frequency.
    public var idf: Bool
    /// Each message's word and character features are each scaled to unit length (L2), before IDF.
    public var normalizeLength: Bool
    /// Class priors are ignored (uniform) rather than learnt from the class frequencies.
    public var uniformPriors: Bool
    /// The weight of character n-grams against word n-grams when scoring (0 leaves them out).
    public var charWeight: Double

    /// Creates parameters.
    public init(variant: Variant = .multinomial, alpha: Double = 0.1, sublinearTF: Bool = true, idf: Bool = true,
                normalizeLength: Bool = true, uniformPriors: Bool = false, charWeight: Double = 1) {
        self.variant = variant
        self.alpha = alpha
        self.sublinearTF = sublinearTF
        self.idf = idf
        self.normalizeLength = normalizeLength
        self.uniformPriors = uniformPriors
        self.charWeight = charWeight
    }

    /// `multinomial alpha=0.1 tf=sublinear idf norm=l2 priors=learnt char-weight=1`.
    public var description: String {
        "\(variant.rawValue) alpha=\(alpha) tf=\(sublinearTF ? "sublinear" : "raw") idf=\(idf ? "on" : "off") norm=\(normalizeLength ? "l2" : "none") priors=\(uniformPriors ? "uniform" : "learnt") char-weight=\(charWeight)"
    }

    /// Checks the values.
    ///
    /// `minimumAlpha` is ``minimumAlpha`` for new settings; a model file is read with ``minimumLoadedAlpha``, so
    /// that one written before the minimum existed keeps loading.
    public func validate(minimumAlpha: Double = Self.minimumAlpha) throws {
        try Self.check(alpha: alpha, minimum: minimumAlpha)
        try Self.check(charWeight: charWeight)
    }

    /// The largest smoothing accepted: far beyond any useful value (cross-validation tries up to a few
    /// units), and small enough that alpha times a vocabulary of billions stays a finite number.
    public static let maximumAlpha = 1e6
    /// The largest character n-gram weight accepted (the cross-validation grid goes up to 1).
    public static let maximumCharWeight = 1e3

    /// The smallest smoothing accepted: far below any useful value (cross-validation tries down to 0.01), and
    /// large enough that a count divided by it stays a finite number.
    public static let minimumAlpha = 1e-9

    /// Throws unless `alpha` is a number in [``minimumAlpha``, ``maximumAlpha``]: an infinite or huge one made
    /// every score NaN, and so did one under about 1e-307 (a count divided by it overflowed), which then hung
    /// calibration.
    public static func check(alpha: Double, minimum: Double = minimumAlpha) throws {
        guard alpha >= minimum, alpha <= maximumAlpha else {
            throw SwitchboardError(.invalidArgument, "alpha must be from \(minimum) to \(Int(maximumAlpha)) (got \(alpha))")
        }
    }

    /// The smallest alpha a model file may hold: entry values are under 1e9, so a value divided by it stays finite.
    /// Models written before ``minimumAlpha`` existed may hold one below it, and keep loading.
    public static let minimumLoadedAlpha = 1e-290

    /// Throws unless `charWeight` is a number in [0, ``maximumCharWeight``].
    public static func check(charWeight: Double) throws {
        guard charWeight >= 0, charWeight <= maximumCharWeight else {
            throw SwitchboardError(.invalidArgument, "the character n-gram weight must be from 0 to \(Int(maximumCharWeight)) (got \(charWeight))")
        }
    }
}
