import Foundation
import VarselCore

/// The demo's realistic mix: one message per situation an operator should see handled. Every date is
/// relative to the day the demo runs (due dates weeks ago, deadlines weeks ahead), so it never goes stale.
enum DemoMessages {
    struct Case {
        let title: String
        let json: String
    }

    /// The cases for a demo run on `now`'s day (UTC).
    static func cases(now: Date = Date()) -> [Case] {
        /// `YYYY-MM-DD`, `offset` days from today.
        func day(_ offset: Int) -> String { String(RFC3339.format(now.addingTimeInterval(Double(offset) * 86_400)).prefix(10)) }
        return [
            Case(title: "Norwegian reminder by SMS", json: """
                {"idempotency_key":"demo-inv-10023-r1","kind":"reminder","case_ref":"inv-10023",\
                "recipient":{"id":"debtor-42","name":"Kari Nordmann","locale":"nb-NO","country":"NO","timezone":"Europe/Oslo",\
                "channels":["sms","email","letter"],"phone":"+4791234567","email":"kari@example.no"},\
                "data":{"creditor":"Fjordkraft AS","invoice_number":"10023","amount":"1250.00","currency":"NOK",\
                "due_date":"\(day(-30))","deadline":"\(day(14))","payment_link":"https://pay.example/abc","creditor_phone":"+4722000000"}}
                """),
            Case(title: "Swedish reminder by email", json: """
                {"idempotency_key":"demo-inv-20417-r1","kind":"reminder","case_ref":"inv-20417",\
                "recipient":{"id":"debtor-77","name":"Sven Svensson","locale":"sv-SE","country":"SE",\
                "channels":["email","sms"],"email":"sven.svensson@example.se","phone":"+46701234567"},\
                "data":{"creditor":"Vattenfall AB","invoice_number":"20417","amount":"899.50","currency":"SEK",\
                "due_date":"\(day(-26))","deadline":"\(day(10))","payment_link":"https://pay.example/se/20417",\
                "account_number":"Bankgiro 5050-1055","payment_reference":"2041705","creditor_email":"kundservice@vattenfall.example"}}
                """),
            Case(title: "German collection notice by letter", json: """
                {"idempotency_key":"demo-inv-30991-c1","kind":"collection_notice","case_ref":"inv-30991",\
                "recipient":{"id":"debtor-913","name":"Jürgen Müller","locale":"de-DE","country":"DE","channels":["letter"],\
                "address":{"lines":["Hauptstraße 12"],"postal_code":"10115","city":"Berlin","country":"DE"}},\
                "data":{"creditor":"Stadtwerke Nord GmbH","invoice_number":"30991","amount":"2480.75","currency":"EUR",\
                "due_date":"\(day(-47))","deadline":"\(day(21))","payment_link":"https://pay.example/de/30991","fee":"40.00",\
                "creditor_phone":"+49 30 1234567","creditor_email":"forderungen@stadtwerke-nord.example",\
                "sender_country":"DE"}}
                """),
            Case(title: "Indian debtor, indirect English by SMS", json: """
                {"idempotency_key":"demo-inv-40112-r1","kind":"reminder","case_ref":"inv-40112",\
                "recipient":{"id":"debtor-5120","name":"Priya Sharma","locale":"en-IN","country":"IN",\
                "phone":"+919812345678","email":"priya.sharma@example.in"},\
                "data":{"creditor":"Fjordkraft AS","invoice_number":"40112","amount":"450.00","currency":"NOK",\
                "due_date":"\(day(-28))","deadline":"\(day(14))","payment_link":"https://pay.example/in/40112"}}
                """),
            Case(title: "Opted out of SMS: falls back to email", json: """
                {"idempotency_key":"demo-inv-10077-r1","kind":"reminder","case_ref":"inv-10077",\
                "recipient":{"id":"debtor-108","name":"Ola Hansen","locale":"nb-NO","country":"NO","opt_out":["sms"],\
                "phone":"+4798765432","email":"ola.hansen@example.no"},\
                "data":{"creditor":"Fjordkraft AS","invoice_number":"10077","amount":"312.40","currency":"NOK",\
                "due_date":"\(day(-29))","deadline":"\(day(14))","payment_link":"https://pay.example/no/10077"}}
                """),
            Case(title: "Invalid phone number: falls back to email", json: """
                {"idempotency_key":"demo-inv-50008-r1","kind":"reminder","case_ref":"inv-50008",\
                "recipient":{"id":"debtor-220","name":"Mette Jensen","locale":"da-DK","country":"DK",\
                "phone":"+451234567","email":"mette.jensen@example.dk"},\
                "data":{"creditor":"Ørsted Kundeservice A/S","invoice_number":"50008","amount":"1875.00","currency":"DKK",\
                "due_date":"\(day(-27))","deadline":"\(day(14))","payment_link":"https://pay.example/dk/50008"}}
                """),
            Case(title: "No usable channel: a collection notice to a phone number only", json: """
                {"idempotency_key":"demo-inv-60321-c1","kind":"collection_notice","case_ref":"inv-60321",\
                "recipient":{"id":"debtor-330","name":"Matti Virtanen","locale":"fi-FI","country":"FI","phone":"+358401234567"},\
                "data":{"creditor":"Helen Oy","invoice_number":"60321","amount":"96.20","currency":"EUR",\
                "due_date":"\(day(-42))","deadline":"\(day(21))","payment_link":"https://pay.example/fi/60321"}}
                """),
            Case(title: "Rejected on enqueue: malformed phone and date", json: """
                {"kind":"reminder","recipient":{"phone":"91 23 45 67"},\
                "data":{"creditor":"Fjordkraft AS","invoice_number":"1","amount":"10","currency":"NOK","due_date":"1 Nov",\
                "deadline":"\(day(14))","payment_link":"https://pay.example/x"}}
                """),
        ]
    }
}
