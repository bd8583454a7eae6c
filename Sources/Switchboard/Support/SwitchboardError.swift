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
        // JSONSerialization's reason and place ("Invalid value around character 21.") rather than its generic
        // description ("The data is not in the correct format."), which left the user to guess.
        if let reason = error.userInfo[NSDebugDescriptionErrorKey] as? String, !reason.isEmpty { return reason }
        if error.domain == NSCocoaErrorDomain, !error.localizedDescription.isEmpty, error.localizedDescription != "(null)" {
            return error.localizedDescription
        }
        return "\(cause)"
    }
}
