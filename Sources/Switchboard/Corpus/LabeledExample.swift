import Foundation

/// A message and its label, for training, evaluation and learning.
public struct LabeledExample: Sendable, Hashable {
    /// The message text.
    public var text: String
    /// Its label.
    public var label: String
    /// Its language, when the corpus says (`fr`, `en`).
    public var language: String?
    /// Where it was read.
    public var location: SourceLocation?
    /// Its identifier, when the corpus gives one (JSONL and CSV `id` fields, the feedback database).
    public var id: String?

    /// Creates an example.
    public init(text: String, label: String, language: String? = nil, location: SourceLocation? = nil, id: String? = nil) {
        self.text = text
        self.label = label
        self.language = language
        self.location = location
        self.id = id
    }
}

extension LabeledExample {
    /// What is wrong with a (trimmed) label, or nil when it can be one: a label names a queue, a column of
    /// reports and a line of `route`'s output, so it must not be empty or hold a tab or a line break, and a
    /// label repaired from invalid UTF-8 (U+FFFD) would be a new label nobody meant.
    static func labelProblem(_ label: String) -> String? {
        if let problem = labelStructureProblem(label) { return problem }
        return labelContentProblem(label)
    }

    /// What makes a label unusable anywhere, in a model file too: empty, a control character, invalid UTF-8.
    static func labelStructureProblem(_ label: String) -> String? {
        if label.isEmpty { return "the label is empty" }
        if label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the label contains a control character (a tab, a line break...)"
        }
        if label.unicodeScalars.contains("\u{FFFD}") { return "the label is not valid UTF-8" }
        return nil
    }

    /// What makes a label look like a message (for corpora and corrections, not for model files: a model an
    /// earlier build wrote keeps loading, whatever its labels).
    static func labelContentProblem(_ label: String) -> String? {
        // Labels are stored in the model as written, and named in warnings: a message's text taken for its label
        // (columns the wrong way round) put its e-mail address or IBAN in the model file verbatim. The label
        // itself is never quoted here.
        let swapped = " (are the label and text columns the right way round?)"
        if label.utf8.count > maximumLabelBytes { return "the label is longer than \(maximumLabelBytes) bytes" + swapped }
        // An at sign (or a full-width one) between two non-spaces ("jean@gmail", "jean_@gmail.com"), or followed
        // by a domain ("jean.dupont @gmail.com", "jean.dupont@ gmail.com") is an address; before a word it is a
        // handle or "at" ("@billing", "Niveau 2 @Lyon", "Niveau 2 @ Lyon").
        let scalars = Array(label.unicodeScalars)
        for i in scalars.indices where scalars[i] == "@" || scalars[i] == "\u{FF20}" {
            let before = i > 0 && !scalars[i - 1].properties.isWhitespace
            let after = i + 1 < scalars.count && !scalars[i + 1].properties.isWhitespace
            let rest = String(String.UnicodeScalarView(scalars[(i + 1)...])).trimmingCharacters(in: .whitespaces)
            let domainAfter = rest.split(whereSeparator: \.isWhitespace).first.map { $0.contains(".") && $0.first?.isLetter == true } ?? false
            if before && after || domainAfter { return "the label looks like an e-mail address" + swapped }
        }
        // Counted without building anything: this runs for every record of a corpus. Every decimal digit counts,
        // full-width and Arabic-Indic ones too ("０６ １２ ３４ ５６ ７８").
        var digits = 0
        for scalar in scalars where scalar.value >= 0x30 && scalar.value <= 0x39 || scalar.value >= 0x80 && scalar.properties.numericType == .decimal {
            digits += 1
        }
        if digits >= 8 { return "the label holds a long number (a phone number, an IBAN?)" + swapped }
        return nil
    }

    /// `label` when it is short enough to quote in a message (40 bytes, three words), else nil: a longer one may
    /// be a message's text.
    static func quotable(_ label: String) -> String? {
        label.utf8.count <= 40 && label.split(whereSeparator: \.isWhitespace).count <= 3 ? label : nil
    }

    /// A label without the white space and invisible characters at its ends: a byte-order mark or a zero-width
    /// space left by a concatenated file made "\u{FEFF}other" a label apart from "other".
    static func trimmedLabel(_ label: String) -> String {
        label.trimmingCharacters(in: invisibleOrSpace)
    }

    private static let invisibleOrSpace = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\u{FEFF}\u{200B}\u{200C}\u{200D}\u{200E}\u{200F}\u{2060}"))

    /// The longest label accepted, in UTF-8 bytes: a label names a queue's kind of message, not a message.
    static let maximumLabelBytes = 100
}
