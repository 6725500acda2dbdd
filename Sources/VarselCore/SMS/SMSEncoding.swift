/// How an SMS text travels and what it costs: encoding and number of segments (parts).
public struct SMSEncoding: Sendable, Hashable {
    public enum Scheme: String, Sendable, Hashable, Codable {
        case gsm7
        case ucs2
    }

    /// A character that forced UCS-2, and where it stands.
    public struct Offender: Sendable, Hashable {
        public let scalar: Unicode.Scalar
        /// Offset in Unicode scalars from the start of the text, counting from 0.
        public let offset: Int
    }

    public let scheme: Scheme
    /// Number of parts the text is split into (1 for a single message; 0 for an empty text).
    public let segments: Int
    /// GSM-7 septets or UCS-2 code units.
    public let units: Int
    /// The first character that has no GSM-7 form, when the scheme is UCS-2.
    public let firstNonGSM7: Offender?

    /// Limits per 3GPP TS 23.038 / 23.040: a single message holds 160 septets or 70 UCS-2 units; a
    /// concatenated part loses 7 septets / 3 units to the user data header.
    public static let gsm7Single = 160, gsm7Part = 153, ucs2Single = 70, ucs2Part = 67

    /// Computes the encoding of exactly this text. An escape pair (GSM-7) or a surrogate pair (UCS-2)
    /// never splits across parts.
    public init(text: String) {
        var costs: [Int] = []
        // A scalar is at least one UTF-8 byte: one allocation instead of one for each doubling.
        costs.reserveCapacity(text.utf8.count)
        var offender: Offender?
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let cost = GSM7Alphabet.septets(scalar) else {
                offender = Offender(scalar: scalar, offset: offset)
                break
            }
            costs.append(cost)
        }
        if let offender {
            let units = text.unicodeScalars.map { $0.utf16.count }
            self.init(scheme: .ucs2, costs: units, single: Self.ucs2Single, part: Self.ucs2Part, offender: offender)
        } else {
            self.init(scheme: .gsm7, costs: costs, single: Self.gsm7Single, part: Self.gsm7Part, offender: nil)
        }
    }

    private init(scheme: Scheme, costs: [Int], single: Int, part: Int, offender: Offender?) {
        let total = costs.reduce(0, +)
        self.scheme = scheme
        self.units = total
        self.firstNonGSM7 = offender
        if total == 0 {
            segments = 0
        } else if total <= single {
            segments = 1
        } else {
            var parts = 1
            var used = 0
            for cost in costs {
                if used + cost > part {
                    parts += 1
                    used = 0
                }
                used += cost
            }
            segments = parts
        }
    }
}
