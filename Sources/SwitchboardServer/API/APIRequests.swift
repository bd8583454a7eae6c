import Foundation
import Switchboard

/// The body of `POST /v1/route`, and each element of a batch's `messages`.
struct RouteRequest: Decodable, Sendable {
    /// The text to classify (required).
    var text: String
    /// The caller's identifier, echoed in the decision.
    var id: String?
    /// The channel it came through (`email`, `whatsapp`...), echoed.
    var channel: String?
    /// Anything the caller wants back with the decision; not used for routing, not stored, not logged.
    var metadata: [String: JSONValue]?
    /// Whether to compute the explanation (default true, as `switchboard route --json`).
    var explain: Bool?

    var message: Message { Message(text: text, id: id, channel: channel) }
}

/// The body of `POST /v1/route/batch`.
struct BatchRouteRequest: Decodable, Sendable {
    /// The messages, in order.
    var messages: [RouteRequest]
    /// Whether to compute explanations (default true).
    var explain: Bool?
}

/// The body of `POST /v1/feedback`.
struct FeedbackRequest: Decodable, Sendable {
    /// The message's identifier: a correction is stored once per id.
    var id: String
    /// The message's text.
    var text: String
    /// The label it should have had.
    var label: String
}
