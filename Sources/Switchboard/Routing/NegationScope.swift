/// Tells a policy keyword that a message plainly denies from every other occurrence.
///
/// "Pas de blessé, juste de la tôle froissée" and "no one was injured" hold the keywords of a rule that makes
/// injuries urgent, and made every such claim urgent. An occurrence is denied only when one of a short list of
/// denials stands right before it, in the same clause: "pas", "pas de", "pas du tout", "aucun(e)(s)", "sans",
/// "ni", "rien de", "personne de", "personne n'a été", "personne n'est", "non", "not", "not at all", "no", "no one
/// (was)", "nobody (was)", "none", "nothing", "without", "isn't", "wasn't", "weren't", "aren't". And not even then
/// when the clause is a question ("n'est-ce pas urgent ?", "how is this not urgent?"), when "if" or "si" comes
/// just before the denial ("if not asap"), or when another negation comes earlier in the clause ("ne s'est pas
/// fait sans blessés"). Clauses end at `. , ; : ( ) [ ] / |`, dashes, ellipses, line breaks, `?` and `!`.
///
/// Two reviews of broader rules (a negation among the few words before the keyword) found urgent messages
/// missed: "claim no 784512 urgent", "les pompiers ne maîtrisent pas l'incendie", "notre nouveau-né a été
/// hospitalisé", "il n'a été blessé qu'au bras", "non tout est inondé". A missed urgent message costs more than
/// a needless urgent flag, so only these plain shapes deny; "none of us were injured", "personne n'a été
/// gravement blessé" or "injured: none" still fire.
///
/// Runs on the tokens the model already read (the tokenizer records where clauses end), and only once a rule's
/// keyword was found among them; it allocates nothing.
enum NegationScope {
    /// The denials, as token sequences folded as tokens are (accents removed, n' read "ne", `'` for every
    /// apostrophe), longest first so that "pas de" is tried before "pas".
    static let denials: [[UInt64]] = [
        "personne n'a été", "personne n'est", "pas du tout", "not at all", "no one was", "no one got", "nobody was",
        "nobody got", "pas de", "rien de", "personne de", "no one", "pas", "aucun", "aucune", "aucuns", "aucunes",
        "sans", "ni", "non", "not", "no", "nobody", "noone", "none", "nothing", "without", "isn't", "isnt", "wasn't",
        "wasnt", "weren't", "werent", "aren't", "arent",
    ].map { denial in Tokenizer().tokens(denial).filter(\.inSequence).map { FeatureHash.raw(token: $0.text) } }
        .sorted { $0.count > $1.count }

    /// Negations that, earlier in the clause, make a denial a double negation ("ne" is not one: it goes with
    /// "pas").
    static let otherNegations: Set<UInt64> = Set([
        "pas", "aucun", "aucune", "sans", "jamais", "rien", "ni", "not", "no", "never", "without", "nobody", "none",
        "nothing", "isn't", "wasn't", "weren't", "aren't", "don't", "didn't", "doesn't", "can't", "cannot",
    ].map(FeatureHash.raw(token:)))

    /// Words that, just before a denial, make it a condition ("if not asap", "si pas de réponse").
    static let conditions: Set<UInt64> = Set(["if", "si", "unless", "sinon"].map(FeatureHash.raw(token:)))

    static let question = FeatureHash.raw(token: "?")
    static let exclamation = FeatureHash.raw(token: "!")

    /// How far, in tokens, the clause around a denial is looked at (for a question mark after it, another
    /// negation before it): far enough for any sentence, and no further, so that a message of a thousand
    /// denials without a full stop is not read a thousand times over.
    static let clauseReach = 64

    /// Whether the message whose tokens are `tokens` holds one of `phrases` (token hashes, as the policy's
    /// keywords are) that it does not plainly deny: false when every occurrence is denied, true otherwise
    /// (including when there is none, which the rule's own match has ruled out).
    static func affirms(_ tokens: TokenDigest, anyOf phrases: [[UInt64]]) -> Bool {
        let outcome = occurrences(in: tokens, of: phrases)
        return outcome.affirmed > 0 || outcome.denied == 0
    }

    /// Occurrences of keywords, affirmed and denied.
    struct Outcome: Equatable {
        var affirmed = 0
        var denied = 0
    }

    /// The occurrences of `phrases` among the message's tokens, each affirmed or denied. A one-token phrase
    /// matches any token, a longer one a run of tokens in sequence, as ``TokenDigest/contains(phrase:)`` does
    /// (across clause ends too).
    static func occurrences(in tokens: TokenDigest, of phrases: [[UInt64]]) -> Outcome {
        let hashes = tokens.hashes, inSequence = tokens.inSequence
        let n = hashes.count
        var outcome = Outcome()
        for phrase in phrases where !phrase.isEmpty {
            // A keyword that denies by itself ("sans logement", "not received") is taken as written.
            let deniesItself = phrase.contains { otherNegations.contains($0) }
            for start in 0..<n where hashes[start] == phrase[0] {
                var end = start
                if phrase.count > 1 {
                    guard inSequence[start] else { continue }
                    var matched = true
                    for part in phrase.dropFirst() {
                        end += 1
                        while end < n, !inSequence[end] { end += 1 }
                        if end >= n || hashes[end] != part { matched = false; break }
                    }
                    if !matched { continue }
                }
                if !deniesItself, isDenied(start: start, end: end, in: tokens) { outcome.denied += 1 } else { outcome.affirmed += 1 }
            }
        }
        return outcome
    }

    /// Whether the keyword at tokens `start...end` is plainly denied.
    static func isDenied(start: Int, end: Int, in tokens: TokenDigest) -> Bool {
        let hashes = tokens.hashes, inSequence = tokens.inSequence, breaks = tokens.clauseBreaks
        for denial in denials {
            // The denial's tokens in sequence, right before the keyword, in its clause.
            var position = start, matched = true
            for part in denial.reversed() {
                guard let previous = previousInSequence(before: position, inSequence), !hasBreak(breaks, between: previous, and: position),
                      hashes[previous] == part else { matched = false; break }
                position = previous
            }
            guard matched else { continue }
            // Before the denial, in the same clause: no condition right before, no other negation anywhere.
            var first = true, reach = 0
            var before = previousInSequence(before: position, inSequence)
            while let index = before, reach < clauseReach, !hasBreak(breaks, between: index, and: position) {
                let hash = hashes[index]
                if hash == question || hash == exclamation { break }
                if first, conditions.contains(hash) { return false }
                if otherNegations.contains(hash) { return false }
                first = false
                reach += 1
                position = index
                before = previousInSequence(before: index, inSequence)
            }
            // A question is not a denial ("n'est-ce pas urgent ?", "how is this not urgent?").
            var k = end + 1
            while k < hashes.count, k - end <= clauseReach, !hasBreak(breaks, between: k - 1, and: k) {
                if hashes[k] == question { return false }
                if hashes[k] == exclamation { break }
                k += 1
            }
            return true
        }
        return false
    }

    /// The last token before `index` that takes part in sequences (not the joined form of a compound).
    @inline(__always)
    static func previousInSequence(before index: Int, _ inSequence: [Bool]) -> Int? {
        var k = index - 1
        while k >= 0, !inSequence[k] { k -= 1 }
        return k >= 0 ? k : nil
    }

    /// Whether a clause ends between tokens `a` and `b` (a < b): a break recorded before a token in `a+1...b`
    /// (`breaks` is in increasing order).
    @inline(__always)
    static func hasBreak(_ breaks: [Int32], between a: Int, and b: Int) -> Bool {
        var low = 0, high = breaks.count
        let after = Int32(truncatingIfNeeded: a)
        while low < high {
            let middle = (low + high) / 2
            if breaks[middle] <= after { low = middle + 1 } else { high = middle }
        }
        return low < breaks.count && Int(breaks[low]) <= b
    }
}
