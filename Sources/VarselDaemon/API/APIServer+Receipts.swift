import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VarselCore
import VarselGateways
import VarselStore

/// Delivery callbacks from gateways.
extension APIServer {
    /// A delivery callback: authenticated by the gateway's signature (not by a token), verified before
    /// anything in it is believed.
    func receipt(_ request: Request, gateway name: String) async throws -> Response {
        guard let settings = gateways[name]?.receipts else {
            throw Problem.notFound("no gateway named \(name) accepts receipts (configure gateways.\(name).receipts)")
        }
        let body = try await read(request, limit: limits.maxBodyBytes)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        if let failure = settings.signature.verify(headers: headers, body: body, now: Date()) {
            logger.warning("receipt refused: bad signature", metadata: ["gateway": "\(name)", "reason": "\(failure)"])
            if case .missing = failure {
                throw Problem(status: .unauthorized, code: "signature-missing", title: "Signature missing", detail: failure.description)
            }
            throw Problem(status: .forbidden, code: "signature-invalid", title: "Signature not valid", detail: failure.description)
        }
        let parsed: ParsedReceipt
        do {
            parsed = try settings.format.parse(body: body)
        } catch {
            throw Problem.badRequest("invalid-receipt", error.description, field: error.field.isEmpty ? nil : error.field)
        }
        let raw = String(decoding: body.prefix(16_384), as: UTF8.self)
        let outcome = try await store.recordReceipt(
            gateway: name, providerID: parsed.providerID, status: parsed.status, error: parsed.error.map(Masking.scrub), raw: raw, fallback: fallbackOnFailedReceipt, now: Date())
        switch outcome {
        case .unknownProvider:
            logger.warning("receipt for an unknown provider id", metadata: ["gateway": "\(name)", "provider_id": "\(parsed.providerID)"])
            throw Problem.notFound("no message sent through \(name) has provider id \(parsed.providerID)")
        case .duplicate(let id, let state):
            return Self.json(.ok, ["message_id": id, "state": state.rawValue, "duplicate": true])
        case .recorded(let id, let state):
            metrics?.receiptRecorded(gateway: name, status: parsed.status)
            if state == .queued, let channel = channelOfGateway[name] { metrics?.fellBack(from: channel, cause: "receipt") }
            logger.info("receipt", metadata: ["gateway": "\(name)", "message_id": "\(id)", "status": "\(parsed.status.rawValue)"])
            return Self.json(.ok, ["message_id": id, "state": state.rawValue])
        }
    }
}
