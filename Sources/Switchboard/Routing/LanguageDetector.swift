/// Tells French from English from other languages in short, messy messages.
///
/// Counts the message's folded words in short lists of each language's most frequent function words and
/// chat abbreviations (`bjr`, `stp`, `pls`); non-Latin letters or Spanish, German, Italian, Portuguese or
/// Dutch function words winning give `other`; a message with no evidence gives `und` (undetermined).
public enum LanguageDetector {
    /// French.
    public static let french = "fr"
    /// English.
    public static let english = "en"
    /// Another language.
    public static let other = "other"
    /// Not enough text to tell.
    public static let undetermined = "und"

    private static let lists: [(String, Set<String>)] = [
        ("fr", ["le", "la", "les", "de", "des", "du", "un", "une", "et", "est", "je", "ne", "pas", "que", "qui", "pour", "dans", "sur", "avec", "mon", "ma", "mes", "votre", "vos", "nous", "vous", "il", "elle", "ce", "cette", "au", "aux", "ou", "mais", "bonjour", "merci", "svp", "stp", "bjr", "slt", "cordialement", "madame", "monsieur", "ai", "suis", "avez", "etre", "avoir", "fait", "tres", "plus", "aussi", "quand", "comment", "pourquoi", "depuis", "toujours", "encore", "rien", "jai", "cest", "sa", "son", "ses", "leur", "se", "me", "te", "par", "en", "y", "ca", "oui", "non", "bonsoir", "assurance", "contrat", "sinistre", "devis", "resiliation", "pcq", "jsp", "mrc", "voiture"]),
        ("en", ["the", "a", "an", "and", "is", "are", "was", "were", "i", "you", "my", "your", "to", "of", "in", "on", "for", "with", "it", "this", "that", "have", "has", "had", "be", "been", "not", "no", "yes", "do", "does", "did", "can", "could", "would", "will", "please", "thanks", "thank", "hello", "hi", "dear", "regards", "we", "our", "they", "from", "at", "by", "what", "when", "why", "how", "still", "just", "about", "me", "am", "i'm", "don't", "pls", "thx", "u", "ur", "insurance", "policy", "claim", "quote", "car", "there", "here", "if", "but", "or", "so", "get", "got"]),
        ("es", ["el", "los", "las", "del", "una", "y", "es", "por", "para", "con", "mi", "su", "hola", "gracias", "tengo", "seguro", "muy", "pero", "como", "cuando", "esta", "estoy", "necesito", "quiero"]),
        ("de", ["der", "die", "das", "und", "ist", "ich", "nicht", "mit", "mein", "meine", "sie", "ein", "eine", "zu", "auf", "fur", "hallo", "danke", "bitte", "versicherung", "habe", "wir", "auch", "wie"]),
        ("it", ["il", "lo", "gli", "della", "di", "che", "sono", "per", "con", "mio", "mia", "ciao", "grazie", "buongiorno", "assicurazione", "non", "ho", "una", "questo", "come"]),
        ("pt", ["o", "os", "da", "do", "das", "dos", "que", "uma", "com", "para", "obrigado", "obrigada", "ola", "meu", "minha", "seguro", "nao", "tenho", "voce", "bom"]),
        ("nl", ["het", "een", "en", "van", "ik", "niet", "met", "mijn", "voor", "dat", "hallo", "bedankt", "verzekering", "heb", "wij", "ook"]),
    ]

    /// Each listed word's token hash, with the lists it is in as bits (bit i: `lists[i]`): one lookup a
    /// word instead of one per list, and no string per token.
    private static let listsOfWord: [UInt64: UInt16] = {
        precondition(lists.count <= 16, "the language lists are kept as 16 bits")
        var table: [UInt64: UInt16] = [:]
        for (i, list) in lists.enumerated() {
            for word in list.1 { table[FeatureHash.raw(token: word), default: 0] |= 1 << i }
        }
        return table
    }()

    /// The language of `text`: `fr`, `en`, `other` or `und`.
    public static func detect(_ text: String) -> String {
        var extractor = FeatureExtractor(settings: FeatureSettings(wordMinN: 1, wordMaxN: 1, charMinN: 0, charMaxN: 0, lengthFeature: false))
        var hashes: [UInt64] = []
        extractor.extract(text, into: &hashes)
        return detect(extractor.lastTokens)
    }

    /// The language of the tokens of the last message an extractor read (accents must be folded).
    public static func detect(_ tokens: TokenDigest) -> String {
        detectWithEvidence(tokens).language
    }

    /// The language, and whether any word of the lists was seen: "other" without evidence is three words or
    /// more none of which is a listed function word, which the routing engine weighs against the model's words.
    static func detectWithEvidence(_ tokens: TokenDigest) -> (language: String, evidence: Bool) {
        var words = 0
        var scores = [Double](repeating: 0, count: lists.count)
        for (hash, isWord) in zip(tokens.hashes, tokens.isWord) where isWord {
            words += 1
            guard var bits = listsOfWord[hash] else { continue }
            // Words in several lists count for each.
            while bits != 0 {
                scores[bits.trailingZeroBitCount] += 1
                bits &= bits - 1
            }
        }
        guard words > 0 else { return (undetermined, false) }
        if tokens.foreignScriptWords * 2 > words { return (other, true) }
        guard let best = scores.indices.max(by: { scores[$0] < scores[$1] }), scores[best] > 0 else {
            return (words >= 3 ? other : undetermined, false)
        }
        let fr = scores[0], en = scores[1]
        if best >= 2 && scores[best] > max(fr, en) { return (other, true) }
        if fr == en { return (undetermined, true) }
        return (fr > en ? french : english, true)
    }
}
