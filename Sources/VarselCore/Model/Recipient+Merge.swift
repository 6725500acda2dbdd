extension Recipient {
    /// This message's recipient over a stored preference record: what the message gives wins, what it
    /// leaves out comes from the record, and opt-outs add up — an opt-out stored for the recipient
    /// always wins.
    public func merged(over stored: Recipient) -> Recipient {
        var merged = self
        merged.name = name ?? stored.name
        merged.locale = locale ?? stored.locale
        merged.country = country ?? stored.country
        merged.timezone = timezone ?? stored.timezone
        merged.tone = tone ?? stored.tone
        merged.channels = channels ?? stored.channels
        merged.optOut = stored.optOut + optOut.filter { !stored.optOut.contains($0) }
        merged.phone = phone ?? stored.phone
        merged.email = email ?? stored.email
        merged.address = address ?? stored.address
        // Consents add up: one given on the stored record still holds for a message that names none.
        let consents = (stored.consents ?? []) + (self.consents ?? []).filter { !(stored.consents ?? []).contains($0) }
        merged.consents = consents.isEmpty ? nil : consents
        return merged
    }
}
