import Foundation

/// Which queued calls may be sent now, and when the next one may: the outbox's per-chat
/// order and Telegram's pace, kept in memory by the deliverer.
///
/// A plain value with the time passed in, so its rules are checked without waiting. Each
/// chat's calls go one at a time in key order: a chat's next call starts only after the
/// previous one is settled (delivered, given up, or postponed).
///
/// Telegram counts a message when it arrives, somewhere between our sending it and its
/// answer. So a paced call counts against the limits from the moment it starts until a
/// second (or a minute) after its answer: however the network delays arrivals, Telegram
/// never sees more than the limits allow.
struct DeliverySchedule {
    /// A queued call as the schedule holds it.
    struct Call: Sendable {
        let key: UInt64
        var entry: OutboxEntry
    }

    let limits: SendingLimits
    /// Each chat's waiting calls, oldest first; the first is the one in flight, if any.
    private var queues: [Int64: ChatQueue] = [:]
    private var inFlight: Set<Int64> = []
    /// Paced calls started and not yet answered.
    private var pacedInFlight = 0
    /// When paced calls to each chat were answered, newest last, as far back as its limits look.
    private var answeredInChat: [Int64: [Date]] = [:]
    /// When paced calls to any chat were answered in the last second, oldest first.
    private var answeredOverall: [Date] = []
    /// The highest key added so far: the store is read from the next one on.
    private(set) var lastKey: UInt64 = 0

    init(limits: SendingLimits) {
        self.limits = limits
    }

    /// Adds a call read from the store; keys at or below ``lastKey`` are already known and ignored.
    mutating func add(key: UInt64, entry: OutboxEntry) {
        guard key > lastKey else { return }
        lastKey = key
        queues[entry.chatId, default: ChatQueue()].append(Call(key: key, entry: entry))
    }

    /// The calls to start now, oldest first; they count against the limits until settled.
    mutating func takeReady(now: Date) -> [Call] {
        guard inFlight.count < limits.maxConcurrentCalls else { return [] }
        let heads = queues.compactMap { chat, calls in inFlight.contains(chat) ? nil : calls.first }
            .filter { $0.entry.notBefore <= now }
            .sorted { $0.key < $1.key }
        var ready: [Call] = []
        for call in heads {
            guard inFlight.count < limits.maxConcurrentCalls else { break }
            if call.entry.paced {
                guard chatFreeAt(call.entry.chatId) <= now else { continue }
                guard let free = overallFreeAt(now), free <= now else { break }
                pacedInFlight += 1
            }
            inFlight.insert(call.entry.chatId)
            ready.append(call)
        }
        return ready
    }

    /// The earliest time a waiting call could start, or nil when nothing could start before
    /// a call in flight settles (or nothing waits).
    func nextStart(after now: Date) -> Date? {
        guard inFlight.count < limits.maxConcurrentCalls else { return nil }
        let overall = overallFreeAt(now)
        var earliest: Date?
        for (chat, calls) in queues where !inFlight.contains(chat) {
            guard let head = calls.first else { continue }
            var start = head.entry.notBefore
            if head.entry.paced {
                guard let overall else { continue }
                start = max(start, chatFreeAt(chat), overall)
            }
            earliest = min(earliest ?? start, start)
        }
        return earliest
    }

    /// Drops a chat's head after Telegram confirmed it or refused it for good, answered at `now`.
    mutating func settle(_ call: Call, at now: Date) {
        finish(call, at: now)
        guard queues[call.entry.chatId]?.first?.key == call.key else { return }
        queues[call.entry.chatId]?.removeFirst()
        if queues[call.entry.chatId]?.first == nil { queues[call.entry.chatId] = nil }
    }

    /// Keeps a chat's head, as rescheduled, to try again; the failed attempt counted as answered at `now`.
    mutating func postpone(_ call: Call, at now: Date) {
        finish(call, at: now)
        guard queues[call.entry.chatId]?.first?.key == call.key else { return }
        queues[call.entry.chatId]?.first = call
    }

    private mutating func finish(_ call: Call, at now: Date) {
        inFlight.remove(call.entry.chatId)
        guard call.entry.paced else { return }
        pacedInFlight -= 1
        record(call.entry.chatId, at: now)
    }

    // MARK: Limits

    /// When the chat may get its next paced call: `perChatInterval` after the last answer,
    /// and for a group a minute after the oldest of its last `perGroupPerMinute`.
    private func chatFreeAt(_ chat: Int64) -> Date {
        guard let answered = answeredInChat[chat], let last = answered.last else { return .distantPast }
        var free = last.addingTimeInterval(limits.perChatInterval)
        if chat < 0, let perMinute = limits.perGroupPerMinute, answered.count >= perMinute {
            free = max(free, answered[answered.count - perMinute].addingTimeInterval(60))
        }
        return free
    }

    /// When one more paced call fits in the overall limit, counting those in flight and those
    /// answered in the last second; nil when the calls in flight fill it alone.
    private func overallFreeAt(_ now: Date) -> Date? {
        guard let perSecond = limits.overallPerSecond else { return .distantPast }
        let room = perSecond - pacedInFlight
        guard room > 0 else { return nil }
        let recent = answeredOverall.filter { $0 > now.addingTimeInterval(-1) }
        guard recent.count >= room else { return .distantPast }
        return recent[recent.count - room].addingTimeInterval(1)
    }

    private mutating func record(_ chat: Int64, at now: Date) {
        let keep = chat < 0 ? max(1, limits.perGroupPerMinute ?? 1) : 1
        var answered = answeredInChat[chat, default: []]
        answered.append(now)
        if answered.count > keep { answered.removeFirst(answered.count - keep) }
        answeredInChat[chat] = answered
        if answeredInChat.count > 4_096 {
            // Chats not written to for a minute are under no limit any more: forget them.
            answeredInChat = answeredInChat.filter { $0.value.last.map { $0 > now.addingTimeInterval(-60) } ?? false }
        }
        if limits.overallPerSecond != nil {
            answeredOverall.append(now)
            answeredOverall.removeAll { $0 <= now.addingTimeInterval(-1) }
        }
    }
}

/// One chat's calls in order: an array read from a moving start, so that taking the first
/// of thousands queued for one chat does not shift (or copy) the rest.
struct ChatQueue {
    private var calls: [DeliverySchedule.Call] = []
    private var start = 0

    /// The oldest call, to be sent next (or in flight).
    var first: DeliverySchedule.Call? {
        get { start < calls.count ? calls[start] : nil }
        set {
            guard let newValue, start < calls.count else { return }
            calls[start] = newValue
        }
    }

    mutating func append(_ call: DeliverySchedule.Call) {
        calls.append(call)
    }

    mutating func removeFirst() {
        guard start < calls.count else { return }
        start += 1
        if start >= 1_024, start * 2 >= calls.count {
            calls.removeFirst(start)
            start = 0
        }
    }
}
