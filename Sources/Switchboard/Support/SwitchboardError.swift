import Foundation

/// An error from Switchboard: what went wrong, where, and the underlying cause.
///
/// In the manner of swift-nio's `FileSystemError`: a stable ``Code`` a program can switch on,
/// a message a person can act on, the location (a file and a line or record) when there is one,
/// and the error that caused it.
public struct SwitchboardError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable {
        /// An input file or directory could not be opened or read.
        case io
        /// A record of an input is malformed (bad JSON, missing field, wrong column count...).
        case malformedRecord
        /// The input holds too little to work with (no examples, a single label...).
        case insufficientData
        /// A model file is truncated, corrupted, foreign or of a newer format.
        case invalidModel
        /// A routing policy is invalid.
        case invalidPolicy
        /// An argument or option is out of range or inconsistent.
        case invalidArgument
        /// Two models cannot be combined.
        case incompatibleModels

        /// The code as the JSON the tool writes spells codes (`malformed_record`), as the HTTP API's are.
        public var snakeCased: String { rawValue.snakeCased }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence a person can act on.
    public var message: String
    /// Where the failure was found, if it concerns an input.
    public var location: SourceLocation?
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, location: SourceLocation? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }

    /// `location: message (cause)`.
    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        text += message
        if let cause { text += " (\(Self.describe(cause)))" }
        return text
    }

    /// What JSONSerialization's debug description says went wrong and where, in words that never quote the input
    /// (its own text can: "Number 1234567890… is not representable"), or nil when it says nothing recognised.
    public static func jsonParseReason(_ description: String) -> String? {
        var what: String?
        if description.contains("not representable") { what = "a number out of range" }
        else if description.contains("surrogate") { what = "an unpaired UTF-16 surrogate escape" }
        else if description.range(of: "end of (file|data)", options: [.regularExpression, .caseInsensitive]) != nil { what = "unexpected end of the text" }
        else if description.range(of: "invalid value|unexpected character|badly formed|invalid escape|unescaped control", options: [.regularExpression, .caseInsensitive]) != nil { what = "an invalid value" }
        let place = description.range(of: #"character \d+"#, options: .regularExpression).map { "around " + description[$0] }
        switch (what, place) {
        case (nil, nil): return nil
        case (let what?, nil): return what
        case (nil, let place?): return place
        case (let what?, let place?): return what + " " + place
        }
    }

    /// A cause in a few words: the system's reason ("No such file or directory", "Is a directory") for a
    /// Foundation file error, rather than the NSError dump with its domains and user-info dictionary.
    static func describe(_ cause: any Error) -> String {
        if cause is SwitchboardError { return "\(cause)" }
        let error = cause as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(truncatingIfNeeded: error.code))) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? any Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(truncatingIfNeeded: posix.code))) }
        }
        // JSONSerialization's reason and place rather than its generic description ("The data is not in the
        // correct format."), which left the user to guess; only in words of its own (see `jsonParseReason`).
        if let debug = error.userInfo[NSDebugDescriptionErrorKey] as? String, let reason = jsonParseReason(debug) { return reason }
        if error.domain == NSCocoaErrorDomain, !error.localizedDescription.isEmpty, error.localizedDescription != "(null)" {
            return error.localizedDescription
        }
        return "\(cause)"
    }
}
