import VarselCore

/// Every name a template of one kind and channel can read: the kind's declared data fields plus what
/// the renderer sets for every message (`recipient`, `case_ref`, `message_id`, `raw.*`, and `total`
/// with a fee).
enum TemplateVariables {
    static func visible(schema: KindSchema, channel: Channel) -> [String: FieldSpec] {
        var fields = schema.fields
        let letter = channel == .letter
        fields["message_id"] = FieldSpec(type: .text, required: true, about: "Varsel's id of the message")
        fields["case_ref"] = FieldSpec(type: .text, required: true, about: "the creditor's case reference; may be empty")
        if schema.fields["amount"]?.type == .money, schema.fields["fee"]?.type == .money {
            // Set with `fee`: what to pay in all.
            fields["total"] = FieldSpec(type: .money, required: false, about: "amount + fee, set when the message carries a fee")
        }
        if schema.fields["payment"] == nil {
            // Set when the message carries a valid `data.payment`: its lines, labelled for the scheme,
            // and the payment codes that apply (email and letters; the barcode's image in letters).
            let line = FieldType.object(fields: ["label": FieldSpec(type: .text, required: true), "value": FieldSpec(type: .text, required: true)])
            let qr = FieldType.object(fields: [
                "src": FieldSpec(type: .url, required: true, about: "the QR code as a data: URI (a PNG)"),
                "pixels": FieldSpec(type: .text, required: true, about: "its width and height in pixels"),
            ])
            let barcodeImage = FieldType.object(fields: [
                "src": FieldSpec(type: .url, required: true, about: "the Code 128 barcode as a data: URI (a PNG)"),
                "width_mm": FieldSpec(type: .text, required: true, about: "its printed width in millimetres"),
                "height_mm": FieldSpec(type: .text, required: true, about: "its printed height in millimetres"),
            ])
            let barcode = FieldType.object(fields: [
                "digits": FieldSpec(type: .text, required: true, about: "the 54 digits of the virtual barcode"),
                "image": FieldSpec(type: barcodeImage, required: false, about: "set in letters"),
            ])
            fields["payment"] = FieldSpec(
                type: .object(fields: [
                    "lines": FieldSpec(type: .list(item: line), required: true),
                    "qr": FieldSpec(type: qr, required: false, about: "the EPC QR code, for a euro payment to an IBAN (docs/payments.md)"),
                    "barcode": FieldSpec(type: barcode, required: false, about: "the Finnish bank barcode, for a Finnish IBAN and reference"),
                ]), required: false,
                about: "data.payment as labelled lines in each scheme's grouping, and its payment codes (docs/payments.md)")
        }
        var rawFields = schema.fields.mapValues(unformatted)
        if fields["total"] != nil { rawFields["total"] = FieldSpec(type: .text, required: false) }
        fields["raw"] = FieldSpec(type: .object(fields: rawFields), required: true, about: "the data as given, unformatted")
        let address: [String: FieldSpec] = [
            "lines": FieldSpec(type: .list(item: .text), required: true),
            "postal_code": FieldSpec(type: .text, required: letter),
            "city": FieldSpec(type: .text, required: letter),
            "country": FieldSpec(type: .text, required: letter),
            "domestic": FieldSpec(type: .flag, required: letter, about: "posted within its own country (data.sender_country): no country line"),
        ]
        fields["recipient"] = FieldSpec(
            type: .object(fields: [
                "name": FieldSpec(type: .text, required: letter),
                "address": FieldSpec(type: .object(fields: address), required: letter),
            ]),
            required: true)
        return fields
    }

    /// `raw.x`: the same shape with every scalar as text.
    private static func unformatted(_ spec: FieldSpec) -> FieldSpec {
        FieldSpec(type: unformatted(spec.type), required: spec.required, about: spec.about, line: spec.line, column: spec.column)
    }

    private static func unformatted(_ type: FieldType) -> FieldType {
        switch type {
        case .list(let item): .list(item: unformatted(item))
        case .object(let fields): .object(fields: fields.mapValues(unformatted))
        case .flag: .flag
        default: .text
        }
    }
}
