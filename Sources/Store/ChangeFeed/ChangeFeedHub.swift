import Synchronization

/// Hands committed change records to live followers, in commit order.
///
/// The writer publishes each group commit's records here after the commit and before its
/// callers resume. A follower registers and learns the head at that instant under the
/// same lock, so "history up to the head" plus "live after it" has no gap and no overlap.
final class ChangeFeedHub: Sendable {
    typealias Stream = AsyncThrowingStream<[ChangeRecord], any Error>

    private struct State {
        var head: UInt64
        var nextId: UInt64 = 0
        var followers: [UInt64: Stream.Continuation] = [:]
        var closed = false
    }

    private let state: Mutex<State>
    private let bufferLimit: Int

    init(head: UInt64, bufferLimit: Int) {
        state = Mutex(State(head: head))
        self.bufferLimit = bufferLimit
    }

    /// The sequence of the last published (committed) change.
    var head: UInt64 { state.withLock { $0.head } }

    var followerCount: Int { state.withLock { $0.followers.count } }

    /// Registers a follower; it receives every batch published after `head`.
    ///
    /// A follower that falls `bufferLimit` batches behind is finished with
    /// ``FollowerLagged``: it then reads what it missed from history.
    func follow() -> (stream: Stream, head: UInt64) {
        let (stream, continuation) = Stream.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        let head = state.withLock { s -> UInt64 in
            if s.closed {
                continuation.finish()
            } else {
                s.followers[s.nextId] = continuation
                s.nextId += 1
            }
            return s.head
        }
        return (stream, head)
    }

    /// Publishes one commit's records. Called by the writer thread only, in commit order.
    func publish(_ records: [ChangeRecord], head: UInt64) {
        state.withLock { s in
            s.head = head
            guard !records.isEmpty else { return }
            // Finished streams are dropped here rather than from `onTermination`, which
            // could run inside this lock.
            for (id, continuation) in s.followers {
                switch continuation.yield(records) {
                case .enqueued: break
                case .dropped:
                    continuation.finish(throwing: FollowerLagged())
                    s.followers[id] = nil
                case .terminated:
                    s.followers[id] = nil
                @unknown default:
                    break
                }
            }
        }
    }

    /// Ends every follower's stream (the environment is closing).
    func close() {
        let all = state.withLock { s -> [Stream.Continuation] in
            s.closed = true
            defer { s.followers = [:] }
            return Array(s.followers.values)
        }
        for c in all { c.finish() }
    }
}

/// A live follower fell too far behind; ``ChangeStream`` recovers by reading history.
struct FollowerLagged: Error {}
