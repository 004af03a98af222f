import ServiceLifecycle
import Store

/// The store's lifetime as a service: the writer thread runs from the moment the store is
/// opened (building the shop writes), and this service is what ends it.
///
/// It is the first of the application's services, so the service group, which stops its
/// services in reverse order, stops it last: the server, the bot and the hub have finished
/// (and written what they write on their way out) before the writer drains its queue, the
/// file is closed and the folder's writer lock is let go.
struct StoreService: Service {
    let environment: Store.Environment

    func run() async {
        // Returns when the group shuts down gracefully, throws when it is cancelled (a service
        // failed): the store is closed either way.
        try? await gracefulShutdown()
        await environment.close()
    }
}
