import Foundation
import Synchronization
import VarselCore
import VarselTemplates
import Yams

/// The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.yaml`. The paths and the
/// response schemas are the fixed text below; the request schemas of messages and recipients are
/// made from the configuration (kinds, their `required_data`) and the kinds' data schemas of the
/// template set, so that they say exactly what `MessageValidator` accepts. Tests check that every
/// route is described and every described path is served.
final class OpenAPIDocument: Sendable {
    private let kinds: [String: KindRule]
    private let schemas: @Sendable () -> [String: KindSchema]
    private let cache = Mutex<(schemas: [String: KindSchema], yaml: String)?>(nil)

    init(config: VarselConfig, schemas: @escaping @Sendable () -> [String: KindSchema]) {
        self.kinds = config.planning.kinds
        self.schemas = schemas
    }

    /// The document for the kinds' schemas in force (made again only when they change).
    func yaml() -> String {
        let current = schemas()
        if let cached = cache.withLock({ $0 }), cached.schemas == current { return cached.yaml }
        // The validator's own table of currencies and their decimals.
        let text = Self.render(kinds: kinds, schemas: current, currencies: ISO4217.minorUnits)
        cache.withLock { $0 = (current, text) }
        return text
    }

    static func render(kinds: [String: KindRule], schemas: [String: KindSchema], currencies: [String: Int]) -> String {
        do {
            guard var root = try Yams.compose(yaml: template) else { return template }
            guard var components = root["components"], var table = components["schemas"] else { return template }
            for (name, schema) in RequestSchemas(kinds: kinds, schemas: schemas, currencies: currencies).all() { table[name] = schema.node }
            components["schemas"] = table
            root["components"] = components
            return try Yams.serialize(node: root, width: 120, allowUnicode: true)
        } catch {
            return template
        }
    }

    static let template = #"""
        openapi: 3.1.0
        info:
          title: Varsel
          version: "1"
          description: >-
            Payment reminders and collection notices by SMS, email and letter. Producers enqueue
            messages, read their status and cancel them; gateways report delivery. Errors are RFC 9457
            problem documents naming the field at fault. A path that is not listed here answers 404, a
            listed path with a method not listed for it 405 with `Allow`. The request schemas say what the
            validator accepts, made from the configured kinds and the template set's kind schemas; what no
            JSON Schema can say is in the descriptions (a `data.deadline` not in the past in the
            recipient's calendar, `expires_at` later than `send_after` and not in the past, a recipient
            stored under `recipient.id` standing in for contact points).
        servers:
          - url: http://127.0.0.1:8480
        security:
          - bearer: []
        paths:
          /healthz:
            get:
              summary: The process is alive
              security: []
              responses:
                "200": { description: Alive, content: { application/json: { schema: { $ref: "#/components/schemas/Health" } } } }
          /readyz:
            get:
              summary: Store open, templates loaded, recovery done
              security: []
              responses:
                "200": { description: Ready, content: { application/json: { schema: { $ref: "#/components/schemas/Health" } } } }
                "503": { description: Not ready, content: { application/json: { schema: { $ref: "#/components/schemas/Health" } } } }
          /metrics:
            get:
              summary: Metrics in the Prometheus text format (no personal data)
              security: []
              responses:
                "200": { description: The metrics, content: { text/plain: { schema: { type: string } } } }
          /openapi.yaml:
            get:
              summary: This document
              security: []
              responses:
                "200": { description: The OpenAPI document, content: { application/yaml: { schema: { type: string } } } }
          /v1/messages:
            post:
              operationId: enqueueMessage
              summary: Enqueue one message
              parameters:
                - { name: Idempotency-Key, in: header, required: false, description: "Equal to the body's idempotency_key when both are given (else 422)", schema: { type: string, minLength: 1, maxLength: 255 } }
              requestBody:
                required: true
                content: { application/json: { schema: { $ref: "#/components/schemas/Message" } } }
              responses:
                "202":
                  description: Stored
                  content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } }
                  links:
                    GetMessage: { operationId: getMessage, parameters: { id: "$response.body#/id" } }
                    CancelMessage: { operationId: cancelMessage, parameters: { id: "$response.body#/id" } }
                "200": { description: "A repeat of an earlier request with the same key: the original message", content: { application/json: { schema: { $ref: "#/components/schemas/Accepted" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
            get:
              summary: List messages, oldest first, with a cursor
              parameters:
                - { name: case_ref, in: query, required: false, schema: { type: string } }
                - { name: state, in: query, required: false, schema: { $ref: "#/components/schemas/State" } }
                - { name: limit, in: query, required: false, schema: { type: integer, minimum: 1, maximum: 1000, default: 50 } }
                - { name: after, in: query, required: false, description: The `next` cursor of the previous page, schema: { type: string } }
              responses:
                "200": { description: A page, content: { application/json: { schema: { $ref: "#/components/schemas/MessageList" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
          /v1/messages:batch:
            post:
              summary: Enqueue NDJSON, one message per line (LF or CRLF)
              description: >-
                Every line is a Message document. Lines are read as they arrive and handled in chunks
                of at most 1,000 lines or 4 MiB, each validated and its valid lines stored in one
                durable transaction, in input order, while the next is read (a batch within one chunk
                is one transaction). Invalid lines are not stored, and the reply names them by line number.
                A body with no line → 400; with no valid line → 422 (per-line errors under `errors`
                and `results`); more than server.max_batch_lines lines or server.max_batch_bytes bytes
                → 413 (chunks stored before the limit was reached are listed under `results`); more
                than server.max_concurrent_batches batches at once → 503 with Retry-After. JSON
                Schema cannot describe a text body made of JSON lines, so the body is a string here.
              requestBody:
                required: true
                content:
                  application/x-ndjson: { schema: { type: string } }
                  text/plain: { schema: { type: string } }
              responses:
                "200": { description: Per-line results, content: { application/json: { schema: { $ref: "#/components/schemas/BatchReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
                "503":
                  description: Too many batches at once
                  headers: { Retry-After: { required: true, schema: { type: string } } }
                  content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } }
          /v1/messages/{id}:
            get:
              operationId: getMessage
              summary: The status of a message
              parameters:
                - { name: id, in: path, required: true, schema: { type: string } }
              responses:
                "200": { description: The status contract, content: { application/json: { schema: { $ref: "#/components/schemas/Status" } } } }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
          /v1/messages/{id}/cancel:
            post:
              operationId: cancelMessage
              summary: Cancel a message that was not handed to a gateway
              parameters:
                - { name: id, in: path, required: true, schema: { type: string } }
              requestBody:
                required: false
                content: { application/json: { schema: { $ref: "#/components/schemas/CancelRequest" } } }
              responses:
                "200": { description: What was cancelled, content: { application/json: { schema: { $ref: "#/components/schemas/CancelReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
          /v1/cases/{case_ref}/cancel:
            post:
              summary: Cancel every message of a case that was not handed to a gateway (a payment or a dispute arrived)
              parameters:
                - { name: case_ref, in: path, required: true, schema: { type: string } }
              requestBody:
                required: false
                content: { application/json: { schema: { $ref: "#/components/schemas/CancelRequest" } } }
              responses:
                "200": { description: What was cancelled and what had already gone, content: { application/json: { schema: { $ref: "#/components/schemas/CancelReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
          /v1/cases:
            post:
              operationId: createCase
              summary: Create a case from a plan; its steps are scheduled as messages (idempotent by case_ref)
              description: >-
                The plan's steps that apply to the case (their conditions on the amount) become messages in one
                transaction, each checked as an enqueued message of its kind is (the kind's data, the recipient's
                contact points, the country's collection rules). What no schema can say: `data` must be what every
                step's kind requires, with `due_date` and `amount`; the same `case_ref` with the same body → 200 and
                the case; with another → 409.
              requestBody:
                required: true
                content: { application/json: { schema: { $ref: "#/components/schemas/CaseInput" } } }
              responses:
                "201": { description: Created, content: { application/json: { schema: { $ref: "#/components/schemas/CaseCreated" } } } }
                "200": { description: "A repeat: the case created before", content: { application/json: { schema: { $ref: "#/components/schemas/CaseCreated" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
          /v1/reports/outcomes:
            get:
              summary: Which message, channel and hour get paid - cases paid within N days, per group, with 95 % intervals
              description: >-
                Each `paid` event is credited to the last message of its case sent before it (`attribution=last`) or to
                every one (`all`), when it came within `paid_within_days` after that send. Without `from`, the 90 days
                before `to`; without `to`, now (or 90 days after a later `from`); a date means its whole day in UTC.
              parameters:
                - { name: by, in: query, required: false, schema: { type: string, default: channel, pattern: "^(channel|kind|step|locale|tone|template_version|variant|country|hour|weekday)(,(channel|kind|step|locale|tone|template_version|variant|country|hour|weekday))*$" } }
                - { name: paid_within_days, in: query, required: false, schema: { type: integer, minimum: 1, maximum: 365, default: 14 } }
                - { name: from, in: query, required: false, schema: { $ref: "#/components/schemas/ReportTime" } }
                - { name: to, in: query, required: false, schema: { $ref: "#/components/schemas/ReportTime" } }
                - { name: attribution, in: query, required: false, schema: { enum: [last, all], default: last } }
              responses:
                "200": { description: The report, content: { application/json: { schema: { $ref: "#/components/schemas/OutcomeReport" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
          /v1/cases/{case_ref}:
            get:
              summary: A case's plan, steps with their messages' states, every message, its events and what happens next
              parameters:
                - { name: case_ref, in: path, required: true, schema: { type: string, minLength: 1, maxLength: 255, pattern: "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$" } }
              responses:
                "200": { description: The case, content: { application/json: { schema: { $ref: "#/components/schemas/CaseView" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
          /v1/cases/{case_ref}/events:
            parameters:
              - { name: case_ref, in: path, required: true, schema: { type: string, minLength: 1, maxLength: 255, pattern: "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$" } }
            post:
              operationId: recordCaseEvent
              summary: Record what happened to a case (paid, disputed, …); a stopping event cancels its unsent messages
              description: >-
                `paid`, `disputed` and `plan_agreed` cancel, atomically, every message of the case whose kind demands
                payment and that was not handed to a gateway, and later enqueues of such messages for the case are
                refused (409 `case-stopped`) until `dispute_resolved` (after `disputed`) or `reopened`.
                `partially_paid` lowers the amount that messages accepted before it show. Needs the `cancel` scope.
                What no schema can say: `at` may not lie in the future (more than 5 minutes).
              parameters:
                - { name: Idempotency-Key, in: header, required: false, description: "Equal to the body's idempotency_key when both are given (else 422)", schema: { type: string, minLength: 1, maxLength: 255 } }
              requestBody:
                required: true
                content: { application/json: { schema: { $ref: "#/components/schemas/CaseEventInput" } } }
              responses:
                "201": { description: Recorded, with what it cancelled, content: { application/json: { schema: { $ref: "#/components/schemas/CaseEventReply" } } } }
                "200": { description: "A repeat with the same idempotency key: the event recorded first", content: { application/json: { schema: { $ref: "#/components/schemas/CaseEventReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "409": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
            get:
              summary: A case's events, oldest first, and where the case stands
              responses:
                "200": { description: The events, content: { application/json: { schema: { $ref: "#/components/schemas/CaseEvents" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
          /v1/intake/errors:
            get:
              summary: Transactional-intake rows that were rejected (PostgreSQL store), newest first
              parameters:
                - { name: limit, in: query, required: false, schema: { type: integer, minimum: 1, maximum: 1000, default: 50 } }
                - { name: before, in: query, required: false, description: The `next_before` cursor of the previous page, schema: { type: integer, minimum: 1 } }
              responses:
                "200": { description: A page, content: { application/json: { schema: { $ref: "#/components/schemas/IntakeErrors" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
          /v1/recipients/{id}:
            parameters:
              - { name: id, in: path, required: true, schema: { type: string, minLength: 1, maxLength: 255 } }
            put:
              summary: Store a debtor's preferences and contact points
              requestBody:
                required: true
                content: { application/json: { schema: { $ref: "#/components/schemas/RecipientInput" } } }
              responses:
                "201": { description: Created, content: { application/json: { schema: { $ref: "#/components/schemas/RecipientStored" } } } }
                "200": { description: Replaced, content: { application/json: { schema: { $ref: "#/components/schemas/RecipientStored" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
                "422": { $ref: "#/components/responses/Problem" }
            get:
              summary: A debtor's stored record
              responses:
                "200": { description: The record, content: { application/json: { schema: { $ref: "#/components/schemas/RecipientRecord" } } } }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
            delete:
              summary: Erase a debtor's personal data (GDPR)
              responses:
                "200": { description: What was erased, content: { application/json: { schema: { $ref: "#/components/schemas/Erasure" } } } }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
          /v1/receipts/{gateway}:
            get:
              summary: A delivery-status callback sent as query parameters (Sveve, Vonage), authenticated by the gateway's scheme
              description: The fields are the provider's own (docs/providers.md).
              security: []
              parameters:
                - { name: gateway, in: path, required: true, schema: { type: string } }
              responses:
                "200": { description: Recorded, content: { application/json: { schema: { $ref: "#/components/schemas/ReceiptReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
            post:
              summary: A delivery-status callback from a gateway, authenticated by its signature
              description: The body shown is http-json's generic format and Twilio's; each preset reads its provider's own (docs/providers.md).
              security: []
              parameters:
                - { name: gateway, in: path, required: true, schema: { type: string } }
              requestBody:
                required: true
                content:
                  application/json: { schema: { $ref: "#/components/schemas/Receipt" } }
                  application/x-www-form-urlencoded: { schema: { type: object, properties: { MessageSid: { type: string }, MessageStatus: { type: string }, ErrorCode: { type: string } } } }
              responses:
                "200": { description: Recorded, content: { application/json: { schema: { $ref: "#/components/schemas/ReceiptReply" } } } }
                "400": { $ref: "#/components/responses/Problem" }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "404": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
        components:
          securitySchemes:
            bearer: { type: http, scheme: bearer }
          responses:
            Problem:
              description: An RFC 9457 problem document
              content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } }
          schemas:
            Problem:
              type: object
              required: [type, title, status, detail]
              properties:
                type: { type: string }
                title: { type: string }
                status: { type: integer }
                detail: { type: string }
                instance: { type: string }
                errors: { type: array, items: { type: object, required: [field, detail], properties: { field: { type: string }, detail: { type: string } } } }
                accepted: { type: integer }
                rejected: { type: integer }
                results: { type: array, items: { $ref: "#/components/schemas/LineResult" } }
            Health:
              type: object
              required: [status]
              properties: { status: { type: string }, checks: { type: object, additionalProperties: { type: string } } }
            State: { type: string, enum: [queued, sending, sent, delivered, failed, expired, cancelled] }
            Channel: { type: string, enum: [sms, email, letter] }
            Accepted:
              type: object
              required: [id, state]
              properties: { id: { type: string }, state: { $ref: "#/components/schemas/State" } }
            BatchReply:
              type: object
              required: [accepted, rejected, results, note]
              properties:
                accepted: { type: integer }
                rejected: { type: integer }
                note: { type: string }
                results: { type: array, items: { $ref: "#/components/schemas/LineResult" } }
            LineResult:
              type: object
              required: [line]
              properties:
                line: { type: integer }
                id: { type: string }
                state: { $ref: "#/components/schemas/State" }
                duplicate: { type: boolean }
                error: { type: string }
            MessageSummary:
              type: object
              required: [id, state, kind, case_ref, channel, created_at, updated_at]
              properties:
                id: { type: string }
                state: { $ref: "#/components/schemas/State" }
                kind: { type: string }
                case_ref: { type: [string, "null"] }
                channel: { oneOf: [{ $ref: "#/components/schemas/Channel" }, { type: "null" }] }
                created_at: { type: string, format: date-time }
                updated_at: { type: string, format: date-time }
            IntakeErrors:
              type: object
              required: [errors, next_before]
              properties:
                errors:
                  type: array
                  items:
                    type: object
                    required: [intake_id, received_at, rejected_at, error, message]
                    properties:
                      intake_id: { type: integer }
                      received_at: { type: string, format: date-time }
                      rejected_at: { type: string, format: date-time }
                      error: { type: string }
                      message: { description: What the producer passed to varsel.enqueue }
                next_before: { type: [integer, "null"] }
            MessageList:
              type: object
              required: [messages, next]
              properties:
                messages: { type: array, items: { $ref: "#/components/schemas/MessageSummary" } }
                next: { type: [string, "null"] }
            Status:
              type: object
              required: [id, state, kind, case_ref, channel, locale, tone, template, sms, next_attempt_at, decisions, attempts, receipts]
              properties:
                id: { type: string }
                state: { $ref: "#/components/schemas/State" }
                reason: { type: [string, "null"] }
                kind: { type: string }
                case_ref: { type: [string, "null"] }
                channel: { oneOf: [{ $ref: "#/components/schemas/Channel" }, { type: "null" }] }
                locale: { type: [string, "null"] }
                tone: { type: [string, "null"], enum: [direct, indirect, null] }
                template: { oneOf: [{ type: object, required: [id, version], properties: { id: { type: string }, version: { type: string } } }, { type: "null" }] }
                variant: { type: string, description: "The template experiment's variant the message was rendered with (experiments); present only where one was" }
                sms: { oneOf: [{ type: object, required: [encoding, segments], properties: { encoding: { type: string, enum: [gsm7, ucs2] }, segments: { type: integer } } }, { type: "null" }] }
                next_attempt_at: { type: [string, "null"], format: date-time }
                created_at: { type: string, format: date-time }
                decisions: { type: array, items: { type: object, required: [at, text], properties: { at: { type: string }, text: { type: string } } } }
                attempts:
                  type: array
                  items:
                    type: object
                    required: [at, channel, gateway, http_status, provider_id, outcome, latency_ms]
                    properties:
                      at: { type: string }
                      channel: { $ref: "#/components/schemas/Channel" }
                      gateway: { type: string }
                      http_status: { type: [integer, "null"] }
                      provider_id: { type: [string, "null"] }
                      outcome: { type: string, enum: [pending, accepted, transient, permanent, ambiguous] }
                      latency_ms: { type: [integer, "null"] }
                      error: { type: string }
                      idempotency_key: { type: string }
                receipts:
                  type: array
                  items:
                    type: object
                    required: [at, status, source, provider_id]
                    properties: { at: { type: string }, status: { type: string }, source: { type: string }, provider_id: { type: [string, "null"] } }
                content: { type: [object, "null"] }
            CancelRequest:
              type: object
              properties: { reason: { type: string, minLength: 1, maxLength: 500 } }
            CancelReply:
              type: object
              required: [cancelled, already_sent, cancelled_ids, already_sent_ids, already_finished_ids]
              properties:
                cancelled: { type: integer }
                already_sent: { type: integer }
                cancelled_ids: { type: array, items: { type: string } }
                already_sent_ids: { type: array, items: { type: string } }
                already_finished_ids: { type: array, items: { type: string } }
            OutcomeReport:
              type: object
              required: [by, paid_within_days, attribution, from, to, rows]
              properties:
                by: { type: array, items: { type: string } }
                paid_within_days: { type: integer }
                attribution: { enum: [last, all] }
                from: { type: string, format: date-time }
                to: { type: string, format: date-time }
                rows:
                  type: array
                  items:
                    type: object
                    required: [messages, cases, paid, rate, rate_low, rate_high, median_days_to_pay]
                    properties:
                      messages: { type: integer }
                      cases: { type: integer }
                      paid: { type: integer }
                      rate: { type: number }
                      rate_low: { type: number }
                      rate_high: { type: number }
                      median_days_to_pay: { type: [number, "null"] }
                comparisons:
                  description: Present when `by` includes `variant`; each variant against variant a (or the first) within each group of the other dimensions, by a two-sided two-proportion z-test
                  type: array
                  items:
                    type: object
                    required: [variant, against, rate, against_rate, difference, z, p_value, significant, verdict]
                    properties:
                      variant: { type: string }
                      against: { type: string }
                      rate: { type: number }
                      against_rate: { type: number }
                      difference: { type: [number, "null"] }
                      z: { type: [number, "null"] }
                      p_value: { type: [number, "null"] }
                      significant: { type: boolean }
                      verdict: { type: string }
            CaseCreated:
              type: object
              required: [case_ref, plan, steps]
              properties:
                case_ref: { type: string }
                plan: { type: string }
                steps:
                  type: array
                  items:
                    type: object
                    required: [step, kind, send_after, message_id]
                    properties: { step: { type: string }, kind: { type: string }, send_after: { type: string, format: date-time }, message_id: { type: string } }
            CaseView:
              type: object
              required: [case_ref, plan, created_at, standing, stopped_by, steps, messages, events, next]
              properties:
                case_ref: { type: string }
                plan: { type: [string, "null"] }
                created_at: { type: [string, "null"] }
                standing: { enum: [open, paid, disputed, plan_agreed] }
                stopped_by: { type: [string, "null"] }
                steps: { type: array, items: { type: object } }
                messages: { type: array, items: { type: object } }
                events: { type: array, items: { $ref: "#/components/schemas/CaseEvent" } }
                next: { type: [object, "null"] }
            CaseEvent:
              type: object
              required: [id, case_ref, type, amount, currency, at, recorded_at, note, idempotency_key]
              properties:
                id: { type: string }
                case_ref: { type: string }
                type: { enum: [paid, partially_paid, disputed, dispute_resolved, plan_agreed, reopened] }
                amount: { type: [string, "null"] }
                currency: { type: [string, "null"] }
                at: { type: string, format: date-time }
                recorded_at: { type: string, format: date-time }
                note: { type: [string, "null"] }
                idempotency_key: { type: [string, "null"] }
            CaseStandingReply:
              type: object
              required: [case_ref, standing, stopped_by]
              properties:
                case_ref: { type: string }
                standing: { enum: [open, paid, disputed, plan_agreed] }
                stopped_by: { type: [string, "null"], description: The id of the event that stopped the case }
            CaseEventReply:
              type: object
              required: [event, duplicate, case, cancelled, already_sent, cancelled_ids, already_sent_ids, already_finished_ids]
              properties:
                event: { $ref: "#/components/schemas/CaseEvent" }
                duplicate: { type: boolean }
                case: { $ref: "#/components/schemas/CaseStandingReply" }
                cancelled: { type: integer }
                already_sent: { type: integer }
                cancelled_ids: { type: array, items: { type: string } }
                already_sent_ids: { type: array, items: { type: string } }
                already_finished_ids: { type: array, items: { type: string } }
            CaseEvents:
              type: object
              required: [case_ref, standing, stopped_by, events]
              properties:
                case_ref: { type: string }
                standing: { enum: [open, paid, disputed, plan_agreed] }
                stopped_by: { type: [string, "null"] }
                events: { type: array, items: { $ref: "#/components/schemas/CaseEvent" } }
            RecipientStored:
              type: object
              required: [id, created]
              properties: { id: { type: string }, created: { type: boolean } }
            Erasure:
              type: object
              required: [id, erased, record_deleted, messages_scrubbed, messages_cancelled, detail]
              properties:
                id: { type: string }
                erased: { type: boolean }
                record_deleted: { type: boolean }
                messages_scrubbed: { type: integer }
                messages_cancelled: { type: integer }
                detail: { type: string }
            Receipt:
              type: object
              required: [provider_id, status]
              properties:
                provider_id: { type: string }
                status: { type: string, enum: [accepted, sent, delivered, undelivered, expired, rejected, failed] }
                error: { type: [string, "null"] }
            ReceiptReply:
              description: One report's result, or for a callback with several reports (or none Varsel reads) what became of each
              oneOf:
                - type: object
                  required: [message_id, state]
                  properties: { message_id: { type: string }, state: { $ref: "#/components/schemas/State" }, duplicate: { type: boolean } }
                - type: object
                  required: [receipts]
                  properties:
                    receipts:
                      type: array
                      items:
                        type: object
                        properties: { message_id: { type: string }, state: { $ref: "#/components/schemas/State" }, duplicate: { type: boolean }, provider_id: { type: string }, unknown: { type: boolean } }
        """#
}

/// A JSON Schema value, built in order so the document reads in the order it is written.
indirect enum JSONSchemaValue {
    case string(String)
    case int(Int)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONSchemaValue])
    case object([(String, JSONSchemaValue)])

    var node: Node {
        switch self {
        case .string(let text): return (try? text.represented()) ?? Node(text, Tag(.str))
        case .int(let value): return Node(String(value), Tag(.int))
        case .number(let text): return Node(text, Tag(.float))
        case .bool(let value): return Node(value ? "true" : "false", Tag(.bool))
        case .null: return Node("null", Tag(.null))
        case .array(let items): return .sequence(Node.Sequence(items.map(\.node)))
        case .object(let pairs): return .mapping(Node.Mapping(pairs.map { (JSONSchemaValue.string($0.0).node, $0.1.node) }))
        }
    }
}

extension JSONSchemaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONSchemaValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONSchemaValue)...) { self = .object(elements) }
}

/// The request schemas, each as strict as the validator and no stricter where JSON Schema can say it.
struct RequestSchemas {
    typealias J = JSONSchemaValue
    let kinds: [String: KindRule]
    let schemas: [String: KindSchema]
    /// Currency code → decimals, as the validator takes them (empty: any three capitals, any decimals).
    let currencies: [String: Int]

    // MARK: Text rules shared with MessageValidator

    /// One line: no control character (U+0000–U+001F, U+007F–U+009F), no line or paragraph separator.
    static let singleLine = #"^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]*$"#
    /// Data text: no control character but tab, line feed and carriage return.
    static let multiLine = #"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"#
    static let e164 = #"^\+[1-9][0-9]{1,14}$"#
    static let locale = #"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"#
    /// An ASCII address the validator's syntax check accepts (it also accepts international ones).
    static let email = #"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,32}(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,30})?@([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,20}$"#
    static let year = "(19[0-9]{2}|2[01][0-9]{2})"
    /// Month and day; 29 February is left out (it is valid only in leap years).
    static let monthDay = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
    static let date = "^\(year)-\(monthDay)$"
    /// Years of a timestamp (`send_after`, `expires_at`).
    static let timestampYear = "(20[0-9]{2}|21[0-9]{2})"
    static let timestamp =
        "^\(timestampYear)-\(monthDay)[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    static let money = #"^-?[0-9]{1,15}(\.[0-9]+)?$"#

    /// An amount with at most `decimals` decimals.
    static func decimalPattern(_ decimals: Int) -> String {
        decimals == 0 ? #"^-?[0-9]{1,15}$"# : #"^-?[0-9]{1,15}(\.[0-9]{1,"# + "\(decimals)})?$"
    }

    static func step(_ decimals: Int) -> J { decimals == 0 ? .int(1) : .number("1e-\(decimals)") }
    static let numberText = #"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"#
    static let url = #"^https?://[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?){0,3}(/[A-Za-z0-9._~-]{0,40}){0,4}$"#
    static let templateName = #"^[A-Za-z_][A-Za-z0-9_]{0,63}$"#
    /// A template name that is none of the names with a built-in type.
    static var untypedName: String {
        "^(?!(\(DataFieldType.known.keys.sorted().joined(separator: "|")))$)[A-Za-z_][A-Za-z0-9_]{0,63}$"
    }

    static func text(min: Int = 1, max: Int, nullable: Bool = true, pattern: String = singleLine) -> J {
        var pairs: [(String, J)] = [("type", nullable ? ["string", "null"] : "string")]
        pairs += [("minLength", .int(min)), ("maxLength", .int(max)), ("pattern", .string(pattern))]
        return .object(pairs)
    }

    static func ref(_ name: String) -> J { ["$ref": .string("#/components/schemas/\(name)")] }

    static func nullable(_ schema: J) -> J { ["anyOf": [schema, ["type": "null"]]] }

    /// The two-letter regions the validator knows (those with a calling code).
    static var regions: [String] {
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
        return letters.flatMap { first in letters.map { first + $0 } }.filter { PhoneNumber.callingCode(forRegion: $0) != nil }
    }

    static var timeZones: [String] {
        TimeZone.knownTimeZoneIdentifiers.filter { $0.count <= 64 && TimeZone(identifier: $0) != nil }.sorted()
    }

    func all() -> [(String, J)] {
        var result: [(String, J)] = [
            ("CountryCode", [
                "type": "string", "description": "An ISO 3166-1 alpha-2 code (the validator also takes it in lower case)",
                "enum": .array(Self.regions.map { .string($0) }),
            ]),
            ("TimeZoneName", ["type": "string", "description": "An IANA time zone", "enum": .array(Self.timeZones.map { .string($0) })]),
            ("Address", [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "lines": ["type": ["array", "null"], "items": Self.text(max: 200, nullable: false)],
                    "postal_code": Self.text(max: 20), "city": Self.text(max: 100),
                    "country": Self.nullable(Self.ref("CountryCode")),
                ],
            ]),
            ("RecipientInput", recipient(withID: false, needsContact: false)),
            ("MessageRecipient", recipient(withID: true, needsContact: true)),
            ("RecipientRecord", [
                "type": "object", "description": "A stored recipient, as PUT stored it",
                "properties": ["id": ["type": "string"]],
            ]),
            ("Consent", [
                "type": "object", "additionalProperties": false, "required": ["type", "channel", "given_at"],
                "description": "A dated consent a country rule asks for (docs/collection-rules.md); expires_at later than given_at",
                "properties": [
                    "type": ["enum": ["used_address", "electronic_notice"]],
                    "channel": Self.ref("Channel"),
                    "address": ["type": ["string", "null"], "maxLength": 254, "pattern": .string(Self.email)],
                    "given_at": ["type": "string", "maxLength": 40, "pattern": .string(Self.timestamp)],
                    "expires_at": ["type": ["string", "null"], "maxLength": 40, "pattern": .string(Self.timestamp)],
                ],
            ]),
            ("MoneyNumber", [
                "type": "number", "exclusiveMinimum": .number("-1e15"), "exclusiveMaximum": .number("1e15"),
                "not": ["type": "number", "exclusiveMinimum": .number("-1e-111"), "exclusiveMaximum": .number("1e-111"), "not": ["const": 0]],
            ]),
            ("DataNumber", [
                "type": "number", "exclusiveMinimum": .number("-1e128"), "exclusiveMaximum": .number("1e128"),
                "description": "A decimal holds 38 digits and exponents from -128 to 127: magnitudes under 1e-111 (but 0), where a 17-digit number would need a smaller exponent, and from 1e128 on are refused",
                "not": ["type": "number", "exclusiveMinimum": .number("-1e-111"), "exclusiveMaximum": .number("1e-111"), "not": ["const": 0]],
            ]),
        ]
        result.append(("CaseEventInput", caseEventInput()))
        result.append(("ReportTime", [
            "type": "string", "maxLength": 40, "description": "A date (its day in UTC) or an RFC 3339 timestamp",
            "anyOf": [["pattern": .string(Self.date)], ["pattern": .string(Self.timestamp)]],
        ]))
        result.append(("CaseInput", [
            "type": "object", "additionalProperties": false, "required": ["case_ref", "plan", "recipient", "data"],
            "properties": [
                "case_ref": Self.text(max: MessageValidator.maxKeyLength, nullable: false),
                "plan": ["type": "string", "description": "The name of a plan in plans.dir"],
                "recipient": Self.ref("MessageRecipient"),
                "data": ["type": "object", "description": "What every step's kind requires, with due_date and amount"],
            ],
        ]))
        for depth in 1...4 { result.append(("DataObject\(depth)", dataObject(depth: depth))) }
        for type in [DataFieldType.money, .currency, .date, .url, .text] {
            for depth in 0...4 { result.append(("DataValue_\(type)_\(depth)", dataValue(type, depth: depth))) }
            for depth in 1...4 { result.append(("DataItem_\(type)_\(depth)", dataItem(type, depth: depth))) }
        }
        let names = kinds.keys.sorted()
        for kind in names { result.append(("Message_\(kind)", message(kind: kind))) }
        result.append(("Message", [
            "description": "One message; `data` as the kind's schema and configuration require",
            "oneOf": .array(names.map { Self.ref("Message_\($0)") }),
        ]))
        return result
    }

    /// What `CaseEventRequest.parse` accepts.
    func caseEventInput() -> J {
        [
            "type": "object", "additionalProperties": false, "required": ["type"],
            "properties": [
                "type": ["enum": .array(CaseEventType.allCases.map { .string($0.rawValue) })],
                "amount": [
                    "type": "string", "description": "The amount paid, more than zero",
                    "pattern": .string(#"^(0*[1-9][0-9]{0,14}(\.[0-9]+)?|0+\.[0-9]*[1-9][0-9]*)$"#),
                ],
                "currency": ["type": "string", "enum": .array(currencies.keys.sorted().map { .string($0) })],
                "at": ["type": "string", "maxLength": 40, "pattern": .string(Self.timestamp)],
                "note": Self.text(max: 500, nullable: false),
                "idempotency_key": Self.text(max: MessageValidator.maxKeyLength, nullable: false),
            ],
            "allOf": [
                // partially_paid needs the amount paid; a currency needs an amount.
                ["anyOf": [["properties": ["type": ["not": ["const": "partially_paid"]]]], ["required": ["amount"]]]],
                ["anyOf": [["not": ["required": ["currency"]]], ["required": ["amount"]]]],
            ],
        ]
    }

    func recipient(withID: Bool, needsContact: Bool) -> J {
        var properties: [(String, J)] = []
        if withID { properties.append(("id", Self.text(max: MessageValidator.maxKeyLength))) }
        properties += [
            ("name", Self.text(max: 200)),
            ("locale", ["type": ["string", "null"], "minLength": 2, "maxLength": 35, "pattern": .string(Self.locale)]),
            ("country", Self.nullable(Self.ref("CountryCode"))),
            ("timezone", Self.nullable(Self.ref("TimeZoneName"))),
            ("tone", ["enum": ["direct", "indirect", .null]]),
            ("channels", ["type": ["array", "null"], "minItems": 1, "uniqueItems": true, "items": Self.ref("Channel")]),
            ("opt_out", ["type": ["array", "null"], "uniqueItems": true, "items": Self.ref("Channel")]),
            ("phone", ["type": ["string", "null"], "pattern": .string(Self.e164), "description": "E.164"]),
            ("email", ["type": ["string", "null"], "maxLength": 254, "pattern": .string(Self.email)]),
            ("address", Self.nullable(Self.ref("Address"))),
            ("consents", ["type": ["array", "null"], "items": Self.ref("Consent")]),
        ]
        var schema: [(String, J)] = [("type", "object"), ("additionalProperties", false), ("properties", .object(properties))]
        if needsContact {
            schema.append(("description", """
                At least one contact point: phone, email or address, unless recipient.id names a stored recipient \
                that has one (a condition on stored data, which no schema can state).
                """))
            schema.append(("anyOf", .array(["phone": "string", "email": "string", "address": "object"].sorted { $0.key < $1.key }.map { name, type in
                ["required": [.string(name)], "properties": .object([(name, ["type": .string(type)])])]
            })))
        }
        return .object(schema)
    }

    func message(kind: String) -> J {
        [
            "type": "object", "additionalProperties": false, "required": ["kind", "recipient", "data"],
            "properties": [
                "idempotency_key": Self.text(max: MessageValidator.maxKeyLength),
                "kind": ["const": .string(kind)],
                "case_ref": Self.text(max: MessageValidator.maxKeyLength),
                "recipient": Self.ref("MessageRecipient"),
                "data": data(kind: kind),
                "send_after": ["type": ["string", "null"], "maxLength": 40, "pattern": .string(Self.timestamp)],
                "expires_at": [
                    "type": ["string", "null"], "maxLength": 40, "pattern": .string(Self.timestamp),
                    "description": "Later than send_after and than now (rules across two fields and on the clock, which no schema states)",
                ],
            ],
        ]
    }

    // MARK: Data

    /// A scalar the validator accepts for a field of this built-in type.
    func scalar(_ type: DataFieldType) -> J {
        switch type {
        case .money: ["anyOf": [["type": "string", "pattern": .string(Self.money)], Self.ref("MoneyNumber")]]
        case .currency:
            currencies.isEmpty
                ? ["type": "string", "pattern": "^[A-Z]{3}$"]
                : ["type": "string", "enum": .array(currencies.keys.sorted().map { .string($0) })]
        case .date: ["type": "string", "pattern": .string(Self.date)]
        case .url: ["type": "string", "maxLength": 2000, "pattern": .string(Self.url)]
        case .text:
            ["anyOf": [
                ["type": ["string", "boolean", "null"], "maxLength": .int(MessageValidator.maxTextLength), "pattern": .string(Self.multiLine)],
                Self.ref("DataNumber"),
            ]]
        }
    }

    /// A value named with a field of `type` at `depth`: a scalar, or (above depth 4) a list or an object.
    func dataValue(_ type: DataFieldType, depth: Int) -> J {
        guard depth < 4 else { return scalar(type) }
        return ["anyOf": [
            scalar(type),
            ["type": "array", "maxItems": 500, "items": Self.ref("DataItem_\(type)_\(depth + 1)")],
            Self.ref("DataObject\(depth + 1)"),
        ]]
    }

    /// An item of a list named with a field of `type`, whose items are at `depth`.
    func dataItem(_ type: DataFieldType, depth: Int) -> J {
        var options: [J] = [Self.ref("DataObject\(depth)"), scalar(type)]
        if depth < 4 { options.append(["type": "array", "maxItems": 500, "items": Self.ref("DataItem_\(type)_\(depth + 1)")]) }
        return ["anyOf": .array(options)]
    }

    /// An object whose fields are at `depth`. The validator types a nested field by its name too; the
    /// document leaves the typed names out below the top level (a nested `amount` must be a decimal
    /// amount, which this does not repeat at every depth, to keep the document small).
    func dataObject(depth: Int) -> J {
        [
            "type": "object", "propertyNames": ["pattern": .string(Self.untypedName)],
            "additionalProperties": Self.ref("DataValue_text_\(depth)"),
        ]
    }

    /// `data` of a kind: the built-in types by field name, the kind's schema and `required_data`.
    func data(kind: String) -> J {
        let schema = schemas[kind]
        var required = Set(kinds[kind]?.requiredData ?? [])
        for (name, spec) in schema?.fields ?? [:] where spec.required { required.insert(name) }
        var properties: [(String, J)] = []
        var names = Set(DataFieldType.known.keys)
        names.formUnion(schema?.fields.keys ?? [:].keys)
        names.formUnion(required)
        for name in names.sorted() {
            let builtIn = DataFieldType.of(name)
            if let spec = schema?.fields[name] {
                properties.append((name, declared(spec.type, name: name, spec: spec, nullable: !required.contains(name) && builtIn == .text, depth: 0)))
            } else if required.contains(name) {
                properties.append((name, notNull(Self.ref("DataValue_\(builtIn)_0"))))
            } else {
                properties.append((name, Self.ref("DataValue_\(builtIn)_0")))
            }
        }
        var result: [(String, J)] = [
            ("type", "object"), ("propertyNames", ["pattern": .string(Self.templateName)]),
            ("properties", .object(properties)), ("additionalProperties", Self.ref("DataValue_text_0")),
        ]
        if !required.isEmpty { result.append(("required", .array(required.sorted().map { .string($0) }))) }
        result.append(("dependentRequired", ["amount": ["currency"], "fee": ["currency"]]))
        if !currencies.isEmpty {
            // Every amount has at most as many decimals as the message's currency.
            var groups: [J] = []
            for decimals in Set(currencies.values).sorted() {
                let codes = currencies.filter { $0.value == decimals }.keys.sorted().map { J.string($0) }
                groups.append([
                    "if": ["required": ["currency"], "properties": ["currency": ["enum": .array(codes)]]],
                    "then": .object([("properties", .object(moneyFields(kind: kind).map { ($0.0, $0.1(decimals)) }))]),
                ])
            }
            result.append(("allOf", .array(groups)))
        }
        if let schema { result.append(("description", .string("As \(schema.file) declares, with the kind's required_data"))) }
        return .object(result)
    }

    /// The decimals rule on a money value and, inside lists, on its items (type-free: it binds only
    /// strings and numbers).
    func decimals(_ count: Int, depth: Int) -> J {
        var pairs: [(String, J)] = [("pattern", .string(Self.decimalPattern(count))), ("multipleOf", Self.step(count))]
        if depth < 4 { pairs.append(("items", decimals(count, depth: depth + 1))) }
        return .object(pairs)
    }

    /// The top-level data fields holding amounts, each with the schema of its decimals rule.
    func moneyFields(kind: String) -> [(String, (Int) -> J)] {
        let declared = schemas[kind]?.fields ?? [:]
        var names = Set(DataFieldType.known.filter { $0.value == .money }.keys)
        for (name, spec) in declared where spec.type == .money { names.insert(name) }
        var fields: [(String, (Int) -> J)] = names.sorted().map { name in (name, { self.decimals($0, depth: 0) }) }
        // Amounts inside declared lists and objects (installments[].amount).
        for (name, spec) in declared.sorted(by: { $0.key < $1.key }) {
            if let nested = nestedMoney(spec.type, depth: 0) { fields.append((name, nested)) }
        }
        return fields
    }

    func nestedMoney(_ type: FieldType, depth: Int) -> ((Int) -> J)? {
        guard depth < 4 else { return nil }
        switch type {
        case .list(let item):
            guard let inner = nestedMoney(item, depth: depth + 1) ?? (item == .money ? { self.decimals($0, depth: 4) } : nil) else { return nil }
            return { ["items": inner($0)] }
        case .object(let fields):
            var parts: [(String, (Int) -> J)] = []
            for (name, spec) in fields.sorted(by: { $0.key < $1.key }) {
                if spec.type == .money || (DataFieldType.of(name) == .money && spec.type.isScalarType) {
                    parts.append((name, { self.decimals($0, depth: 4) }))
                } else if let inner = nestedMoney(spec.type, depth: depth + 1) {
                    parts.append((name, inner))
                }
            }
            guard !parts.isEmpty else { return nil }
            return { decimals in .object([("properties", .object(parts.map { ($0.0, $0.1(decimals)) }))]) }
        default:
            return nil
        }
    }

    func notNull(_ schema: J) -> J { ["allOf": [schema, ["not": ["type": "null"]]]] }

    /// A field the kind's schema declares, as both the schema check and the built-in check by name
    /// accept it. `spec` is the declaration (a list's items are held to the list's).
    func declared(_ type: FieldType, name: String, spec: FieldSpec, nullable: Bool, depth: Int) -> J {
        let builtIn = DataFieldType.of(name)
        var schema: J
        switch type {
        case .text:
            let pattern = spec.multiline ? Self.multiLine : Self.singleLine
            schema = builtIn == .text
                ? ["anyOf": [
                    ["type": "string", "maxLength": .int(MessageValidator.maxTextLength), "pattern": .string(pattern)],
                    Self.ref("DataNumber"),
                ]]
                : scalar(builtIn)
        case .number:
            schema = builtIn == .text ? bounded(text: Self.numberText, number: "DataNumber", spec: spec) : scalar(builtIn)
        case .money:
            schema = builtIn == .text || builtIn == .money ? bounded(text: Self.money, number: "MoneyNumber", spec: spec) : scalar(builtIn)
        case .currency: schema = scalar(builtIn == .text ? .currency : builtIn)
        case .date: schema = scalar(builtIn == .text ? .date : builtIn)
        case .url: schema = scalar(builtIn == .text ? .url : builtIn)
        case .flag: schema = ["type": "boolean"]
        case .list(let item):
            guard depth < 4 else { return ["not": [:]] }
            let items: J
            switch item {
            case .object(let fields): items = declaredObject(fields, depth: depth + 1)
            default: items = declared(item, name: name, spec: spec, nullable: false, depth: depth + 1)
            }
            schema = ["type": "array", "maxItems": 500, "items": items]
        case .object(let fields):
            guard depth < 4 else { return ["not": [:]] }
            schema = declaredObject(fields, depth: depth + 1)
        }
        return nullable ? ["anyOf": [schema, ["type": "null"]]] : schema
    }

    /// An amount or number as a decimal string or a JSON number, above the declared `minimum` or
    /// `exclusive_minimum`. A bound of 0 is said in the string's pattern too; for another bound
    /// only a JSON number is described (a pattern cannot compare).
    func bounded(text pattern: String, number: String, spec: FieldSpec) -> J {
        guard spec.minimum != nil || spec.exclusiveMinimum != nil else {
            return ["anyOf": [["type": "string", "pattern": .string(pattern)], Self.ref(number)]]
        }
        var numberSchema: [(String, J)] = [("allOf", [Self.ref(number)])]
        if let minimum = spec.minimum { numberSchema.append(("minimum", .number("\(minimum)"))) }
        if let bound = spec.exclusiveMinimum { numberSchema.append(("exclusiveMinimum", .number("\(bound)"))) }
        var options: [J] = [.object(numberSchema)]
        let digits = pattern == Self.money ? #"[0-9]{1,15}(\.[0-9]+)?"# : #"[0-9]{1,15}(\.[0-9]{1,6})?"#
        if spec.exclusiveMinimum == 0, (spec.minimum ?? 0) <= 0 {
            options.insert(["type": "string", "pattern": .string(#"^(?!0+(\.0+)?$)"# + digits + "$")], at: 0)
        } else if spec.minimum == 0, spec.exclusiveMinimum == nil || spec.exclusiveMinimum! < 0 {
            options.insert(["type": "string", "pattern": .string("^" + digits + "$")], at: 0)
        }
        return ["anyOf": .array(options)]
    }

    func declaredObject(_ fields: [String: FieldSpec], depth: Int) -> J {
        var properties: [(String, J)] = []
        for name in fields.keys.sorted() {
            let spec = fields[name]!
            properties.append((name, declared(spec.type, name: name, spec: spec, nullable: !spec.required && DataFieldType.of(name) == .text, depth: depth)))
        }
        let typed = Set(DataFieldType.known.keys).subtracting(fields.keys).sorted()
        var result: [(String, J)] = [
            ("type", "object"),
            ("propertyNames", ["pattern": .string("^(?!(\(typed.joined(separator: "|")))$)[A-Za-z_][A-Za-z0-9_]{0,63}$")]),
            ("properties", .object(properties)), ("additionalProperties", Self.ref("DataValue_text_\(depth)")),
        ]
        let required = fields.filter(\.value.required).keys.sorted()
        if !required.isEmpty { result.append(("required", .array(required.map { .string($0) }))) }
        return .object(result)
    }
}

extension FieldType {
    var isScalarType: Bool {
        switch self {
        case .list, .object: false
        default: true
        }
    }
}
