import Foundation
import VarselCore
import VarselGateways

/// An email whose HTML carries an image as a `data:` URI, as a rendered payment reminder with an EPC
/// QR code does, for the email presets' inline-image tests.
enum InlineImageFixture {
    /// With `png` the HTML shows it as `<img src="data:image/png;base64,…">`; without, no image.
    static func message(png: [UInt8]?) -> OutboundMessage {
        let image = png.map { #"<p><img src="data:image/png;base64,\#(Data($0).base64EncodedString())" width="135" height="135" alt="EPC QR"></p>"# } ?? ""
        return OutboundMessage(
            messageID: "01JINLINE", idempotencyKey: "01JINLINE.email", recipient: Recipient(email: "matti@example.fi"),
            content: RenderedContent(
                templateID: "reminder/fi/direct/email", templateVersion: "sha256:0", channel: .email, subject: "Maksumuistutus",
                text: "Maksa viimeistään 8.12.2026.\n", html: "<p>Maksa QR-koodilla</p>\(image)", sms: nil, contentHash: "sha256:0"))
    }
}
