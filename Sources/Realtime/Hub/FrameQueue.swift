/// A subscriber's queued frames, in arrival order, where a frame with a ``Frame/supersedes`` key
/// replaces a still-queued older one with the same key.
///
/// The replaced frame leaves a hole and the newer one goes to the back, so frames still come
/// out in sequence order. Holes are squeezed out when they outnumber the frames.
///
/// A live subscriber's queue holds a commit's few frames between the hub's offer and the
/// socket's write, and the hub offers to every subscriber in turn: there the older frame with
/// the same key is found by looking through the queue, which costs less than hashing the key
/// into a dictionary and out again (about a fifth of a delivery's instructions did). Only a
/// queue that grows past ``indexedFrom`` (a reader falling behind) keeps that dictionary.
struct FrameQueue {
    private var items: [Frame?] = []
    private var head = 0
    /// The position in `items` of the queued frame holding each supersedes key, kept while the
    /// queue is long; nil while it is short enough to look through.
    private var latest: [SupersedesKey: Int]?
    /// How many frames are queued (holes not counted).
    private(set) var count = 0

    /// The length of `items` from which the keys are indexed rather than looked for.
    static let indexedFrom = 16

    var isEmpty: Bool { count == 0 }

    mutating func append(_ frame: Frame) {
        if let key = frame.supersedes {
            if let older = position(of: key) {
                items[older] = nil
                count -= 1
            }
            latest?[key] = items.count
        }
        items.append(frame)
        count += 1
        if latest == nil, items.count - head > Self.indexedFrom { index() }
        if items.count > 64 && items.count > 2 * count { compact() }
    }

    /// Where the queued frame with `key` is (at most one is queued per key).
    private func position(of key: SupersedesKey) -> Int? {
        if let latest { return latest[key] }
        var at = items.count
        while at > head {
            at -= 1
            if let queued = items[at], queued.supersedes == key { return at }
        }
        return nil
    }

    private mutating func index() {
        var latest: [SupersedesKey: Int] = [:]
        for at in head..<items.count {
            if let key = items[at]?.supersedes { latest[key] = at }
        }
        self.latest = latest
    }

    mutating func popFirst() -> Frame? {
        while head < items.count {
            let frame = items[head]
            items[head] = nil
            head += 1
            guard let frame else { continue }
            count -= 1
            if latest != nil, let key = frame.supersedes, latest?[key] == head - 1 { latest?[key] = nil }
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
                latest = nil
            }
            return frame
        }
        return nil
    }

    /// Up to `limit` frames from the front, in order.
    mutating func popFirst(_ limit: Int) -> [Frame] {
        var frames: [Frame] = []
        frames.reserveCapacity(Swift.min(limit, count))
        popFirst(limit, into: &frames)
        return frames
    }

    /// Appends up to `limit` frames from the front to `frames`, in order.
    mutating func popFirst(_ limit: Int, into frames: inout [Frame]) {
        var taken = 0
        while taken < limit, let frame = popFirst() {
            frames.append(frame)
            taken += 1
        }
    }

    mutating func removeAll() {
        items = []
        head = 0
        latest = nil
        count = 0
    }

    /// Takes out the queued frames `shouldRemove` picks, keeping the others in order (a caller
    /// whose role dropped loses what it may no longer see).
    mutating func removeAll(where shouldRemove: (Frame) -> Bool) {
        let kept = items[head...].compactMap { $0 }.filter { !shouldRemove($0) }
        removeAll()
        for frame in kept { append(frame) }
    }

    private mutating func compact() {
        items = items[head...].compactMap { $0 }
        head = 0
        if latest != nil { index() }
    }
}
