/// Tells a policy keyword that a message plainly denies from every other occurrence.
///
/// "Pas de blessé, juste de la tôle froissée" and "no one was injured" hold the keywords of a rule that makes
/// injuries urgent, and made every such claim urgent. An occurrence is denied only in the plain shapes of a
/// denial: a negation ("pas", "aucun", "sans", "ni", "rien", "non", "ne", "zéro", "not", "no", "without",
/// "nobody", "none", "nothing", "isn't", "wasn't", ...) right before the keyword, or separated from it
/// only by up to two small words of the same clause ("pas *de* blessé", "personne n'*a été* blessé", "no *one
/// was* injured", "pas *du tout* urgent"). Any other word in between keeps the keyword: "claim no 784512
/// urgent", "still no reply urgent", "no heating so urgent", "sans doute blessée", "jamais vu un incendie
/// pareil", "n'est que blessée" all still fire. Clauses end at `. , ; : ! ?`, line breaks, brackets and dashes, so
/// "Blessés : aucun. Urgent" keeps its "urgent". A keyword that holds a negation itself ("not received") is
/// matched as written.
///
/// The narrow shapes are on purpose: a missed urgent message costs more than an urgent flag on a message that
/// did not need it, so anything less plain than these shapes is left to fire ("none of us were injured",
/// "injured: none", "pas besoin d'être hospitalisé" still do).
///
/// Runs only once a rule's keyword was found in the message's tokens (one more pass of the tokenizer), so the
/// routing of other messages costs nothing more.
enum NegationScope {
    /// The most small words between a negation and the keyword it denies.
    static let maximumGap = 2

    /// Negations, folded as tokens are (accents removed, `'` for every apostrophe). "Ne" is also the expansion
    /// of n' ("n'a" reads "ne a"). Not "dont" (French "of which": "dont 2 blessées"), not modal negations
    /// (can't, won't: "can't wait, urgent"), not "jamais" and "never" ("plus que jamais urgent", "never been so
    /// urgent").
    static let cues: Set<UInt64> = Set([
        "ne", "pas", "aucun", "aucune", "aucuns", "aucunes", "sans", "ni", "rien", "non", "zero",
        "not", "no", "without", "nobody", "none", "nor", "neither", "nothing", "noone",
        "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "don't", "doesn't", "doesnt",
        "didn't", "didnt", "hasn't", "hasnt", "haven't", "havent", "hadn't", "hadnt", "ain't", "aint",
    ].map(FeatureHash.raw(token:)))

    /// The small words that may stand between a negation and the keyword it denies: articles, "de", the
    /// auxiliaries of "n'a été", "was", "got", and "du tout", "at all", "really", "very", "so". Not "plus" ("rien
    /// de plus urgent").
    static let gapWords: Set<UInt64> = Set([
        "de", "du", "des", "la", "le", "les", "un", "une", "a", "ete", "est", "etait", "sont", "ont", "etre", "eu",
        "tout", "tres", "si", "trop", "vraiment",
        "one", "any", "was", "were", "is", "are", "be", "been", "got", "get", "gotten", "at", "all", "really", "very",
        "so", "too", "that", "the", "an",
    ].map(FeatureHash.raw(token:)))

    /// Scalars that end a clause: . , ; : line breaks, brackets, dashes and ellipses (`?` and `!` are tokens
    /// already).
    private static func endsClause(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x2E, 0x2C, 0x3B, 0x3A, 0x0A, 0x0D, 0x28, 0x29, 0x5B, 0x5D, 0x2013, 0x2014, 0x2026, 0x2022, 0x2028, 0x2029:
            true
        default:
            false
        }
    }

    /// Whether `text`, whose tokens hold one of `phrases` (token hashes, as the policy's keywords are), holds one
    /// that it does not plainly deny. When every occurrence found is denied, no; when none is found at all (a
    /// phrase across a comma or a line break), the match on the whole message stands.
    static func affirms(_ text: String, anyOf phrases: [[UInt64]]) -> Bool {
        // Each clause end becomes "!", which the tokenizer makes a token of its own even inside a word: one pass
        // of the tokenizer over a text of the same length, and the breaks are among the tokens.
        var marked = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(Tokenizer.maximumScalars) {
            marked.append(endsClause(scalar) ? "!" : scalar)
        }
        var scratch = TokenScratch()
        Tokenizer(foldDiacritics: true).tokenize(String(marked), into: &scratch)
        let tokens = scratch.tokens.map { span in
            Token(hash: FeatureHash.raw(scratch.tokenScalars[Int(span.start)..<Int(span.end)]),
                  inSequence: span.inSequence, isBreak: span.kind == .punctuation)
        }
        let outcome = occurrences(in: tokens, of: phrases)
        return outcome.affirmed > 0 || outcome.denied == 0
    }

    /// A token as this check sees it.
    struct Token {
        /// The raw hash of its folded text.
        var hash: UInt64
        /// Whether it takes part in phrases (the joined form of a compound does not).
        var inSequence: Bool
        /// Whether it ends a clause (`?`, `!`, and the marks put for other clause ends).
        var isBreak: Bool
    }

    /// Occurrences of keywords, affirmed and denied.
    struct Outcome: Equatable {
        var affirmed = 0
        var denied = 0
    }

    /// The occurrences of `phrases` among `tokens`, each affirmed or denied. A one-token phrase matches any token,
    /// a longer one a run of tokens in sequence, as the policy's keywords do. An occurrence is denied when a
    /// negation stands before it with at most ``maximumGap`` small words (``gapWords``) in between.
    static func occurrences(in tokens: [Token], of phrases: [[UInt64]]) -> Outcome {
        let sequence = tokens.filter(\.inSequence)
        var outcome = Outcome()
        for phrase in phrases where !phrase.isEmpty {
            let within = phrase.count == 1 ? tokens : sequence
            guard phrase.count <= within.count else { continue }
            // A keyword that denies by itself is taken as written.
            let deniesItself = phrase.contains { cues.contains($0) }
            for start in 0...(within.count - phrase.count) where within[start].hash == phrase[0] {
                guard within[start..<(start + phrase.count)].map(\.hash).elementsEqual(phrase) else { continue }
                var denied = false
                var k = start - 1, gap = 0
                while !deniesItself, k >= 0 {
                    let token = within[k]
                    k -= 1
                    if !token.inSequence { continue }  // the joined form of a compound: its parts are in sequence
                    if token.isBreak { break }
                    if cues.contains(token.hash) { denied = true; break }
                    guard gap < maximumGap, gapWords.contains(token.hash) else { break }
                    gap += 1
                }
                if denied { outcome.denied += 1 } else { outcome.affirmed += 1 }
            }
        }
        return outcome
    }
}
