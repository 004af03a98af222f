/// A subscriber's queued frames, in arrival order, where a frame with a ``Frame/supersedes`` key
/// replaces a still-queued older one with the same key.
///
/// The replaced frame leaves a hole and the newer one goes to the back, so frames still come
/// out in sequence order. Holes are squeezed out when they outnumber the frames.
struct FrameQueue {
    private var items: [Frame?] = []
    private var head = 0
    /// The position in `items` of the queued frame holding each supersedes key.
    private var latest: [SupersedesKey: Int] = [:]
    /// How many frames are queued (holes not counted).
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ frame: Frame) {
        if let key = frame.supersedes {
            if let older = latest[key] {
                items[older] = nil
                count -= 1
            }
            latest[key] = items.count
        }
        items.append(frame)
        count += 1
        if items.count > 64 && items.count > 2 * count { compact() }
    }

    mutating func popFirst() -> Frame? {
        while head < items.count {
            let frame = items[head]
            items[head] = nil
            head += 1
            guard let frame else { continue }
            count -= 1
            if let key = frame.supersedes, latest[key] == head - 1 { latest[key] = nil }
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            return frame
        }
        return nil
    }

    /// Up to `limit` frames from the front, in order.
    mutating func popFirst(_ limit: Int) -> [Frame] {
        var frames: [Frame] = []
        while frames.count < limit, let frame = popFirst() { frames.append(frame) }
        return frames
    }

    mutating func removeAll() {
        items = []
        head = 0
        latest = [:]
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
        let frames = items[head...].compactMap { $0 }
        items = frames
        head = 0
        latest = [:]
        for (index, frame) in frames.enumerated() {
            if let key = frame.supersedes { latest[key] = index }
        }
    }
}
