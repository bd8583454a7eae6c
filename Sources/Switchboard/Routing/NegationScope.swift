/// Tells a policy keyword that a message affirms from one that it denies.
///
/// "Pas de blessé, juste de la tôle froissée" and "no one was injured" hold the keywords of a rule that makes
/// injuries urgent, and made every such claim urgent. A keyword occurrence is denied when a negation
/// ("pas", "ne", "aucun", "sans", "jamais", "ni", "rien", "non", "not", "no", "never", "without", "nobody",
/// "none", "nor", "isn't", "didn't", ...) stands among the three tokens before it in the same clause. Clauses
/// end at `. , ; : ! ?`, a line break, a bracket or a dash, and at "mais", "et", "but", "and" and their like,
/// so that "pas de blessé mais hospitalisé par précaution" and "no power and the kitchen flooded" still count.
/// A keyword that holds a negation itself ("not received", "pas reçu") is taken as written: its author meant it.
///
/// Runs only once a rule's keyword was found in the message's tokens (one more pass of the tokenizer), so the
/// routing of other messages costs nothing more. Three tokens is a window, not a parse: a negation of something else just before a keyword
/// ("we cannot stay, flooded" is fine; "not only flooded") can still hide it.
enum NegationScope {
    /// How many tokens before a keyword a negation reaches.
    static let window = 3

    /// Negations, folded as tokens are (accents removed, `'` for every apostrophe). "Ne" is also the expansion
    /// of n' ("n'est" reads "ne est"). Modal negations (can't, cannot, couldn't, won't) are left out: they deny
    /// the verb, not what follows ("I can't believe the fire").
    static let cues: Set<UInt64> = Set([
        "ne", "pas", "aucun", "aucune", "aucuns", "aucunes", "sans", "jamais", "ni", "rien", "non", "nul", "nulle",
        "not", "no", "never", "without", "nobody", "none", "nor", "neither", "nothing", "noone",
        "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "don't", "dont", "doesn't", "doesnt",
        "didn't", "didnt", "hasn't", "hasnt", "haven't", "havent", "hadn't", "hadnt", "ain't", "aint",
    ].map(FeatureHash.raw(token:)))

    /// Words that start a new clause, folded as tokens are.
    static let clauseWords: Set<UInt64> = Set([
        "mais", "et", "cependant", "pourtant", "toutefois", "sauf", "neanmoins", "puis",
        "but", "and", "however", "though", "although", "yet", "except", "then",
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
    /// outside the reach of a negation. When every occurrence found is denied, no; when none is found at all
    /// (a phrase across a comma or a line break), the match on the whole message stands.
    static func affirms(_ text: String, anyOf phrases: [[UInt64]]) -> Bool {
        // Each clause end becomes "!", which the tokenizer makes a token of its own: one pass of the tokenizer,
        // and the breaks are among the tokens. (Only once a keyword matched; the marks can push the end of an
        // outsized message past the tokenizer's limit, and then the whole message's match stands.)
        var marked = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(Tokenizer.maximumScalars) {
            if endsClause(scalar) { marked.append(contentsOf: " ! ".unicodeScalars) } else { marked.append(scalar) }
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
    /// a longer one a run of tokens in sequence, as the policy's keywords do; a negation's reach stops at a clause
    /// break or a clause word ("mais", "and").
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
                var k = start - 1, seen = 0
                while !deniesItself, k >= 0, seen < window {
                    let token = within[k]
                    if token.isBreak || clauseWords.contains(token.hash) { break }
                    if token.inSequence {
                        if cues.contains(token.hash) { denied = true; break }
                        seen += 1
                    }
                    k -= 1
                }
                if denied { outcome.denied += 1 } else { outcome.affirmed += 1 }
            }
        }
        return outcome
    }
}
