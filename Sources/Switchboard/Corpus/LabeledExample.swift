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
