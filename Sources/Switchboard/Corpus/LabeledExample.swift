/// A labelled training or evaluation example.
public struct LabeledExample: Sendable, Hashable {
    /// The message text.
    public var text: String
    /// Its label.
    public var label: String
    /// Its language, when the corpus says (`fr`, `en`).
    public var language: String?
    /// Where it was read.
    public var location: SourceLocation?

    /// Creates an example.
    public init(text: String, label: String, language: String? = nil, location: SourceLocation? = nil) {
        self.text = text
        self.label = label
        self.language = language
        self.location = location
    }
}
