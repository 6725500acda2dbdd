/// The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.yaml`. A test checks that
/// every route the server has is described here and every path described here is served.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Varsel
          version: "1"
          description: >-
            Payment reminders and collection notices by SMS, email and letter. Producers enqueue
            messages, read their status and cancel them; gateways report delivery. Errors are RFC 9457
            problem documents naming the field at fault.
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
                - { name: Idempotency-Key, in: header, required: false, schema: { type: string, minLength: 1, maxLength: 255 } }
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
              summary: Enqueue NDJSON, one message per line, in one durable transaction
              description: Valid lines are stored; invalid lines are not, and the reply names them by line number.
              requestBody:
                required: true
                content:
                  application/x-ndjson: { schema: { type: string } }
                  text/plain: { schema: { type: string } }
              responses:
                "200": { description: Per-line results, content: { application/json: { schema: { $ref: "#/components/schemas/BatchReply" } } } }
                "401": { $ref: "#/components/responses/Problem" }
                "403": { $ref: "#/components/responses/Problem" }
                "413": { $ref: "#/components/responses/Problem" }
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
          /v1/recipients/{id}:
            parameters:
              - { name: id, in: path, required: true, schema: { type: string, minLength: 1, maxLength: 255 } }
            put:
              summary: Store a debtor's preferences and contact points
              requestBody:
                required: true
                content: { application/json: { schema: { $ref: "#/components/schemas/RecipientRecord" } } }
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
            post:
              summary: A delivery-status callback from a gateway, authenticated by its signature
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
            Health:
              type: object
              required: [status]
              properties: { status: { type: string }, checks: { type: object, additionalProperties: { type: string } } }
            State: { type: string, enum: [queued, sending, sent, delivered, failed, expired, cancelled] }
            Channel: { type: string, enum: [sms, email, letter] }
            Address:
              type: object
              additionalProperties: false
              properties:
                lines: { type: array, items: { type: string, maxLength: 200 } }
                postal_code: { type: string, minLength: 1, maxLength: 20 }
                city: { type: string, minLength: 1, maxLength: 100 }
                country: { type: string, pattern: "^[A-Z]{2}$" }
            RecipientRecord:
              type: object
              additionalProperties: false
              properties:
                id: { type: string }
                name: { type: string, minLength: 1, maxLength: 200 }
                locale: { type: string, pattern: "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$" }
                country: { type: string, pattern: "^[A-Z]{2}$" }
                timezone: { type: string, examples: [Europe/Oslo] }
                tone: { type: string, enum: [direct, indirect] }
                channels: { type: array, minItems: 1, uniqueItems: true, items: { $ref: "#/components/schemas/Channel" } }
                opt_out: { type: array, uniqueItems: true, items: { $ref: "#/components/schemas/Channel" } }
                phone: { type: string, pattern: "^\\+[1-9][0-9]{1,14}$" }
                email: { type: string, format: email, maxLength: 254 }
                address: { $ref: "#/components/schemas/Address" }
            Message:
              type: object
              additionalProperties: false
              required: [kind, recipient, data]
              properties:
                idempotency_key: { type: string, minLength: 1, maxLength: 255 }
                kind: { type: string, enum: [reminder, collection_notice, payment_plan, payment_received] }
                case_ref: { type: string, minLength: 1, maxLength: 255 }
                recipient: { $ref: "#/components/schemas/RecipientRecord" }
                data:
                  type: object
                  description: Template data; amounts as decimal strings, dates as YYYY-MM-DD.
                  properties:
                    creditor: { type: string }
                    invoice_number: { type: string }
                    amount: { type: string, pattern: "^-?[0-9]+(\\.[0-9]+)?$" }
                    currency: { type: string, pattern: "^[A-Z]{3}$" }
                    due_date: { type: string, format: date }
                    deadline: { type: string, format: date }
                    payment_link: { type: string, format: uri }
                send_after: { type: string, format: date-time }
                expires_at: { type: string, format: date-time }
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
                results:
                  type: array
                  items:
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
              type: object
              required: [message_id, state]
              properties: { message_id: { type: string }, state: { $ref: "#/components/schemas/State" }, duplicate: { type: boolean } }
        """#
}
