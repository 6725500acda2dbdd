import VarselCore

/// Everything a gateway adapter needs to build one request: who, what, and the keys that identify it.
public struct OutboundMessage: Sendable {
    public let messageID: String
    public let idempotencyKey: String
    public let recipient: Recipient
    public let content: RenderedContent

    public init(messageID: String, idempotencyKey: String, recipient: Recipient, content: RenderedContent) {
        self.messageID = messageID
        self.idempotencyKey = idempotencyKey
        self.recipient = recipient
        self.content = content
    }

    public var channel: Channel { content.channel }
}

/// A message the adapter cannot express (e.g. a letter to an SMS-only gateway).
public struct GatewayRequestError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
