extension CollectionPlan {
    /// The day of each step, counted from the due date: a `due_date` offset as written, a `previous`
    /// offset added to the previous step's day. A step a case's amount skips still marks its day, so
    /// the steps after it keep theirs (docs/plans.md).
    public var stepDays: [Int] {
        var days: [Int] = []
        for step in steps {
            switch step.anchor {
            case .dueDate: days.append(step.days)
            case .previous: days.append((days.last ?? 0) + step.days)
            }
        }
        return days
    }
}
