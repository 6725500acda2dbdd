/// What a render produced, exactly as it will be sent, with what identifies it.
public struct RenderedContent: Sendable, Codable, Hashable {
    public struct SMSInfo: Sendable, Codable, Hashable {
        public let encoding: SMSEncoding.Scheme
        public let segments: Int

        public init(encoding: SMSEncoding.Scheme, segments: Int) {
            self.encoding = encoding
            self.segments = segments
        }
    }

    public let templateID: String
    /// `sha256:` of the template source the content was rendered from.
    public let templateVersion: String
    public let channel: Channel
    public let subject: String?
    public let text: String
    public let html: String?
    public let sms: SMSInfo?
    /// `sha256:` of the rendered subject, text and HTML: proves what was sent after bodies are deleted.
    public let contentHash: String
    /// The experiment variant rendered (`b`); nil for a template outside an experiment. An experiment's
    /// base variant `a` is recorded as `a`.
    public var variant: String?

    public init(
        templateID: String, templateVersion: String, channel: Channel, subject: String?, text: String, html: String?,
        sms: SMSInfo?, contentHash: String, variant: String? = nil
    ) {
        self.templateID = templateID
        self.templateVersion = templateVersion
        self.channel = channel
        self.subject = subject
        self.text = text
        self.html = html
        self.sms = sms
        self.contentHash = contentHash
        self.variant = variant
    }

    enum CodingKeys: String, CodingKey {
        case templateID = "template_id"
        case templateVersion = "template_version"
        case channel, subject, text, html, sms
        case contentHash = "content_hash"
        case variant
    }
}
