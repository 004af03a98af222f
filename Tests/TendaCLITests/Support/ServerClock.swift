import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Telegram

/// Rewrites the `Date` header of every answer on one connection to a clock `offset` seconds
/// away from this machine's: a Bot API stand-in whose clock is off, as Telegram's would look
/// from a machine whose own clock is off, for `tenda doctor`'s clock check.
///
/// A channel handler because Hummingbird sets `Date` itself after every route handler ran.
final class ServerClock: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let offset: TimeInterval

    init(offset: TimeInterval) { self.offset = offset }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        if case .head(var head) = part {
            head.headerFields[.date] = HTTPDate.format(Date().addingTimeInterval(offset))
            part = .head(head)
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }

    /// IMF-fixdate, the form every HTTP server sends: `Sun, 06 Nov 1994 08:49:37 GMT`.
}
