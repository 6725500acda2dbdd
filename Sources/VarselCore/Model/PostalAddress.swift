/// A postal address as the message contract carries it.
public struct PostalAddress: Sendable, Hashable, Codable {
    public var lines: [String]
    public var postalCode: String?
    public var city: String?
    public var country: String?

    public init(lines: [String], postalCode: String?, city: String?, country: String?) {
        self.lines = lines
        self.postalCode = postalCode
        self.city = city
        self.country = country
    }

    enum CodingKeys: String, CodingKey {
        case lines
        case postalCode = "postal_code"
        case city
        case country
    }
}
