import Shop

/// One live query a subscriber watches: the query, the members of its result as the client
/// holds them, and how far the feed has been folded into them.
///
/// Members are kept in the result's order with only what deciding a change needs (key, the
/// order field's value, version), so a change is folded in from its own after-image: it enters,
/// moves, or leaves; no other record is read. Only a full window that loses a member (or one whose
/// last member moves back) cannot know its next member, and says so: the hub reads it again.
struct QueryWatch {
    struct Member {
        let key: UInt64
        let id: String
        let sortValue: QueryValue
        let version: UInt64

        init(_ row: QueryRow, _ query: LiveQuery) {
            key = row.key
            id = row.id
            sortValue = query.order.value(of: row)
            version = row.version
        }
    }

    /// What one change does to the watch.
    enum Step {
        case unchanged
        case diff(QueryDiff)
        /// The result cannot be known from the change alone: read it again.
        case reread
    }

    /// The client's name for the watch (it names the watch's frames).
    let id: String
    let query: LiveQuery
    private(set) var members: [Member]
    /// Changes up to here are already in the members (the last read was at this sequence).
    var foldedThrough: UInt64

    init(id: String, query: LiveQuery, rows: [QueryRow], at sequence: UInt64) {
        self.id = id
        self.query = query
        members = rows.map { Member($0, query) }
        foldedThrough = sequence
    }

    /// Folds in the change of record `key` to `after` (nil: deleted) at `sequence`, for a caller
    /// acting as `userId` with `role`.
    mutating func apply(key: UInt64, after: QueryRow?, sequence: UInt64, userId: UInt64?, role: Role) -> Step {
        guard sequence > foldedThrough else { return .unchanged }
        foldedThrough = sequence
        let full = members.count >= query.limit
        let index = members.firstIndex { $0.key == key }
        let belongs = after.map { $0.access.admits(userId: userId, role: role) && query.matches($0) } ?? false
        switch (index, after) {
        case (nil, let row?) where belongs:
            let member = Member(row, query)
            var leaving: [String] = []
            if full {
                // Everything outside a full window sorts after its last member.
                guard let last = members.last, precedes(member, last) else { return .unchanged }
                leaving.append(members.removeLast().id)
            }
            members.insert(member, at: insertionIndex(of: member))
            return .diff(QueryDiff(enter: [row], leave: leaving))
        case (let i?, let row?) where belongs:
            let old = members.remove(at: i)
            let member = Member(row, query)
            let position = insertionIndex(of: member)
            // Moved to the end of a full window: an outsider may now sort before it, unless it was
            // already last and did not move back.
            if full && position == members.count && !(i == members.count && !precedes(old, member)) {
                members.insert(old, at: i)  // the fresh read is diffed against what the client holds
                return .reread
            }
            members.insert(member, at: position)
            return .diff(QueryDiff(update: [row]))
        case (let i?, _):
            // It no longer matches, was deleted, or the caller may no longer see it.
            if full { return .reread }
            return .diff(QueryDiff(leave: [members.remove(at: i).id]))
        default:
            return .unchanged
        }
    }

    /// Takes a fresh read of the result at `sequence`; returns how it differs from the members.
    mutating func replace(with rows: [QueryRow], at sequence: UInt64) -> QueryDiff {
        let diff = QueryDiff(from: members.map { ($0.id, $0.version) }, to: rows)
        members = rows.map { Member($0, query) }
        foldedThrough = max(foldedThrough, sequence)
        return diff
    }

    private func precedes(_ a: Member, _ b: Member) -> Bool {
        query.order.precedes((a.sortValue, a.key), (b.sortValue, b.key))
    }

    private func insertionIndex(of member: Member) -> Int {
        var low = 0, high = members.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(members[middle], member) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// How a query's result changed: records that entered it, records inside it that changed, and
/// the ids of records that left it (a field changed, deleted, or no longer visible to the caller).
struct QueryDiff {
    var enter: [QueryRow] = []
    var update: [QueryRow] = []
    var leave: [String] = []

    var isEmpty: Bool { enter.isEmpty && update.isEmpty && leave.isEmpty }

    /// From a result the client holds (`id` → version) to `rows`.
    init(from held: [(id: String, version: UInt64)], to rows: [QueryRow]) {
        var versions: [String: UInt64] = [:]
        for (id, version) in held { versions[id] = version }
        for row in rows {
            switch versions.removeValue(forKey: row.id) {
            case nil: enter.append(row)
            case let version? where version != row.version: update.append(row)
            default: break
            }
        }
        // In the order the client held them, so the frame reads the same every time.
        leave = held.map(\.id).filter { versions[$0] != nil }
    }

    init(enter: [QueryRow] = [], update: [QueryRow] = [], leave: [String] = []) {
        self.enter = enter; self.update = update; self.leave = leave
    }
}
