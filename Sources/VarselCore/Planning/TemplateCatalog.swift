/// What the planner needs to know of the template set: which variants exist.
public protocol TemplateCatalog: Sendable {
    func hasTemplate(kind: String, locale: String, tone: Tone, channel: Channel) -> Bool
}
