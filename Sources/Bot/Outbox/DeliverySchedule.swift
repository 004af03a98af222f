import Foundation

/// Which queued calls may be sent now, and when the next one may: the outbox's per-chat
/// order and Telegram's pace, kept in memory by the deliverer.
///
/// A plain value with the time passed in, so its rules are checked without waiting. Each
/// chat's calls go one at a time in key order: a chat's next call starts only after the
/// previous one is settled (delivered, given up, or rescheduled).
struct DeliverySchedule {
    /// A queued call as the schedule holds it.
    struct Call {
        let key: UInt64
        var entry: OutboxEntry
    }

    let limits: SendingLimits
    /// Each chat's waiting calls, oldest first; the first is the one in flight, if any.
    private var queues: [Int64: [Call]] = [:]
    private var inFlight: Set<Int64> = []
    /// When paced messages went to each chat, newest last, as far back as its limits look.
    private var sentToChat: [Int64: [Date]] = [:]
    /// When paced messages went to any chat in the last second, oldest first.
    private var sentOverall: [Date] = []
    /// The highest key added so far: the store is read from the next one on.
    private(set) var lastKey: UInt64 = 0

    init(limits: SendingLimits) {
        self.limits = limits
    }

    /// How many calls wait or are in flight.
    var count: Int { queues.values.reduce(0) { $0 + $1.count } }

    /// Adds a call read from the store; keys at or below ``lastKey`` are already known and ignored.
    mutating func add(key: UInt64, entry: OutboxEntry) {
        guard key > lastKey else { return }
        lastKey = key
        queues[entry.chatId, default: []].append(Call(key: key, entry: entry))
    }

    /// The calls to start now, oldest first, counted against the limits as sent at `now`.
    mutating func takeReady(now: Date) -> [Call] {
        var ready: [Call] = []
        let heads = queues.compactMap { chat, calls in inFlight.contains(chat) ? nil : calls.first }
            .filter { $0.entry.notBefore <= now }
            .sorted { $0.key < $1.key }
        for call in heads {
            guard inFlight.count < limits.maxConcurrentCalls else { break }
            if call.entry.paced {
                guard chatAllows(call.entry.chatId, at: now) else { continue }
                guard overallAllows(at: now) else { break }
                record(call.entry.chatId, at: now)
            }
            inFlight.insert(call.entry.chatId)
            ready.append(call)
        }
        return ready
    }

    /// The earliest time a waiting call could be started, or nil when none waits
    /// (outside those in flight, which wake the deliverer when they settle).
    func nextStart(after now: Date) -> Date? {
        var earliest: Date?
        for (chat, calls) in queues where !inFlight.contains(chat) {
            guard let head = calls.first else { continue }
            var start = head.entry.notBefore
            if head.entry.paced {
                start = max(start, chatFreeAt(chat), overallFreeAt(now))
            }
            earliest = min(earliest ?? start, start)
        }
        return earliest
    }

    /// Drops a chat's head after Telegram confirmed it or refused it for good.
    mutating func settle(_ call: Call) {
        inFlight.remove(call.entry.chatId)
        guard var calls = queues[call.entry.chatId], calls.first?.key == call.key else { return }
        calls.removeFirst()
        queues[call.entry.chatId] = calls.isEmpty ? nil : calls
    }

    /// Keeps a chat's head to try again, as rescheduled.
    mutating func postpone(_ call: Call) {
        inFlight.remove(call.entry.chatId)
        guard let first = queues[call.entry.chatId]?.first, first.key == call.key else { return }
        queues[call.entry.chatId]?[0] = call
    }

    // MARK: Limits

    private func chatAllows(_ chat: Int64, at now: Date) -> Bool {
        chatFreeAt(chat) <= now
    }

    /// When the chat may get its next paced message: a second after the last, and for a
    /// group a minute after the oldest of its last `perGroupPerMinute`.
    private func chatFreeAt(_ chat: Int64) -> Date {
        guard let sent = sentToChat[chat], let last = sent.last else { return .distantPast }
        var free = last.addingTimeInterval(limits.perChatInterval)
        if chat < 0, let perMinute = limits.perGroupPerMinute, sent.count >= perMinute {
            free = max(free, sent[sent.count - perMinute].addingTimeInterval(60))
        }
        return free
    }

    private func overallAllows(at now: Date) -> Bool {
        overallFreeAt(now) <= now
    }

    /// When one more paced message fits in the overall limit: a second after the oldest of the last `overallPerSecond`.
    private func overallFreeAt(_ now: Date) -> Date {
        guard let perSecond = limits.overallPerSecond else { return .distantPast }
        let recent = sentOverall.filter { $0 > now.addingTimeInterval(-1) }
        guard recent.count >= perSecond else { return .distantPast }
        return recent[recent.count - perSecond].addingTimeInterval(1)
    }

    private mutating func record(_ chat: Int64, at now: Date) {
        let keep = chat < 0 ? max(1, limits.perGroupPerMinute ?? 1) : 1
        var sent = sentToChat[chat, default: []]
        sent.append(now)
        if sent.count > keep { sent.removeFirst(sent.count - keep) }
        sentToChat[chat] = sent
        if sentToChat.count > 4_096 {
            // Chats not written to for a minute are under no limit any more: forget them.
            sentToChat = sentToChat.filter { $0.value.last.map { $0 > now.addingTimeInterval(-60) } ?? false }
        }
        if limits.overallPerSecond != nil {
            sentOverall.append(now)
            sentOverall.removeAll { $0 <= now.addingTimeInterval(-1) }
        }
    }
}
