/// Where a subscription's live frames go when nobody waits on them: a connection that takes
/// them on its own thread when told they are there.
///
/// ```swift
/// subscription.deliver(to: socket)    // after the history replay
/// // the hub queues frames and calls socket.framesReady() once;
/// // the socket, on its event loop: let (frames, ended) = subscription.takeQueued()
/// ```
///
/// Push rather than pull, so an idle connection needs no task parked on its queue, and the
/// frames of one commit reach each socket in one write. The hub calls ``framesReady()`` once
/// per batch (not per frame): again only after ``Subscription/takeQueued(limit:)`` has
/// emptied the queue, and also when the subscription ends.
public protocol FrameSink: AnyObject, Sendable {
    /// Frames are queued (or the subscription ended). Called outside the hub's locks, from
    /// any thread; it must only schedule the taking, never block.
    func framesReady()
}
