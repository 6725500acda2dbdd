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
        guard let adapter = adapters[name], adapter.configuration.receipts != nil else {
            throw Problem.notFound("no gateway named \(name) accepts receipts (configure gateways.\(name).receipts)")
        }
        let body = try await read(request, limit: limits.maxBodyBytes)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let callback = ReceiptCallback(method: request.method.rawValue, headers: headers, body: body, query: request.uri.query ?? "")
        if let failure = adapter.verify(callback, now: Date()) {
            logger.warning("receipt refused: bad signature", metadata: ["gateway": "\(name)", "reason": "\(failure)"])
            if case .missing = failure {
                throw Problem(status: .unauthorized, code: "signature-missing", title: "Signature missing", detail: failure.description)
            }
            throw Problem(status: .forbidden, code: "signature-invalid", title: "Signature not valid", detail: failure.description)
        }
        let parsed: [ParsedReceipt]
        do {
            parsed = try adapter.receipts(from: callback)
        } catch {
            throw Problem.badRequest("invalid-receipt", error.description, field: error.field.isEmpty ? nil : error.field)
        }
        let raw = String(decoding: (body.isEmpty ? Array(callback.query.utf8) : body).prefix(16_384), as: UTF8.self)
        var answers: [[String: Any]] = []
        for receipt in parsed {
            answers.append(try await record(receipt, gateway: name, raw: raw, single: parsed.count == 1))
        }
        if parsed.count == 1, let answer = answers.first { return Self.json(.ok, answer) }
        // A batch (SendGrid) or a callback with nothing Varsel reads (opens, clicks): 200, so the
        // provider does not send it again; what became of each report is listed.
        return Self.json(.ok, ["receipts": answers])
    }

    /// Records one report. A single report for an unknown provider id is a 404; in a batch it is listed.
    private func record(_ parsed: ParsedReceipt, gateway name: String, raw: String, single: Bool) async throws -> [String: Any] {
        let outcome = try await store.recordReceipt(
            gateway: name, providerID: parsed.providerID, status: parsed.status, error: parsed.error.map(Masking.scrub), raw: raw,
            fallback: fallbackOnFailedReceipt, now: Date())
        switch outcome {
        case .unknownProvider:
            logger.warning("receipt for an unknown provider id", metadata: ["gateway": "\(name)", "provider_id": "\(parsed.providerID)"])
            if single { throw Problem.notFound("no message sent through \(name) has provider id \(parsed.providerID)") }
            return ["provider_id": parsed.providerID, "unknown": true]
        case .duplicate(let id, let state):
            return ["message_id": id, "state": state.rawValue, "duplicate": true]
        case .recorded(let id, let state):
            metrics?.receiptRecorded(gateway: name, status: parsed.status)
            if state == .queued, let channel = channelOfGateway[name] { metrics?.fellBack(from: channel, cause: "receipt") }
            logger.info("receipt", metadata: ["gateway": "\(name)", "message_id": "\(id)", "status": "\(parsed.status.rawValue)"])
            return ["message_id": id, "state": state.rawValue]
        }
    }
}
