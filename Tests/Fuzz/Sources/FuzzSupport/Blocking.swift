import Dispatch

/// Runs `body` to completion and returns its value, from libFuzzer's synchronous callback.
///
/// The body runs on Swift's global executor while the calling thread (libFuzzer's, never one
/// of the executor's) waits, so each input is finished before the next one starts and a crash
/// is reported against the input that caused it. It is a programmer error to call this from
/// async code: it would block an executor thread.
public func waitFor<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        outcome.value = await body()
        done.signal()
    }
    done.wait()
    return outcome.value!
}

/// The body's value, written once by its task before the semaphore is signalled and read by
/// the waiting thread after it; the semaphore orders the two, so no lock is needed.
private final class Outcome<T>: @unchecked Sendable {
    var value: T?
}
