/// Why a message could not be rendered. The message fails with this reason; nothing is sent.
public struct RenderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
