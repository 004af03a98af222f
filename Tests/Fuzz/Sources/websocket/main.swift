import Bot
import CompressNIO
import Dispatch
import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Realtime
@testable import Server
import Shop

// A client's bytes after the `/ws` upgrade, into the pipeline the upgrade builds (NIO's frame
// encoder and decoder with the 64 KiB frame limit, its protocol error handler, then Tenda's
// `WebSocketConnection`), with a signed-in `WebSocketSession` behind it over a real shop.
//
// Most inputs are a script of frames that the harness puts on the wire as a client would
// (masked, lengths right), so the fuzzer spends its time in Tenda's code (fragment assembly,
// the message cap, control frames, the close handshake, permessage-deflate, the session's
// messages) rather than in NIO's header parsing; one input in eight is sent as raw bytes.
//
// Script, repeated until the input ends:
//   byte 0: FIN 0x80, RSV1 0x40, "deflate the payload here" 0x20, "repeat the payload" 0x10, opcode 0x0F
//   byte 1: payload length (0–255)
//   [byte 2: with "repeat", how many times, × 64]
//   then the payload bytes.

/// What every input shares. (Statics, not globals: libFuzzer's `main` replaces this file's
/// top-level code, which therefore never runs; statics are set up on first use.)
enum Fixture {
    static let shop: FuzzShop = {
        let shop = waitFor { try! await FuzzShop.make() }
        shop.removeAtExit()
        return shop
    }()
    /// Bot command lines (`{"type":"command","command":"estoque","args":…}`) run as the chat runs them.
    static let conversation: Conversation = waitFor { try! await Conversation.open(shop: shop.shop, environment: shop.store) }
    static let heartbeat = Heartbeat(interval: .seconds(25))
    static let metrics = ServerMetrics()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let first = input.first else { return 0 }
    let wire = first & 0x07 == 0x07 ? ByteBuffer(bytes: input.dropFirst()) : frames(from: input)
    waitFor { await run(wire, deflate: first & 0x08 == 0) }
    return 0
}

/// Puts `wire` through a new connection, then closes it, waiting for the session each time.
func run(_ wire: ByteBuffer, deflate: Bool) async {
    let fuzzShop = Fixture.shop
    await fuzzShop.restoreOwner()
    let loop = NIOAsyncTestingEventLoop()
    let channel = NIOAsyncTestingChannel(loop: loop)
    let session = WebSocketSession(shop: fuzzShop.shop, hub: fuzzShop.hub, commandLine: Fixture.conversation, queryToken: fuzzShop.ownerToken)
    let connection = WebSocketConnection(eventLoop: loop, session: session, deflate: deflate,
                                         settings: .init(signInDeadline: .seconds(10), heartbeat: Fixture.heartbeat, metrics: Fixture.metrics))
    // The pipeline of an upgraded socket (WebSocketServerChannel): the reader that holds NIO's frame decoder while a
    // frame is read, then the connection (which writes its frames as bytes).
    try! await loop.executeInContext {
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameReader(maxFrameSize: WebSocketConnection.maxMessageSize))
        try channel.pipeline.syncOperations.addHandler(connection)
    }
    try! await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
    await waitForSession(connection, loop)
    _ = try? await channel.writeInbound(wire)
    await waitForSession(connection, loop)
    _ = try? await channel.close().get()
    await waitForSession(connection, loop)
    // Past the sign-in deadline and the close timeout, so their tasks run now, not after the loop is gone.
    await loop.advanceTime(by: .seconds(60))
    await loop.shutdownGracefully()
}

/// Returns once the session has handled every message the connection queued for it.
///
/// The connection's `inboxRunning` is private (nothing else needs it), so it is read by
/// reflection, on the event loop, where the connection keeps all its state.
func waitForSession(_ connection: WebSocketConnection, _ loop: NIOAsyncTestingEventLoop) async {
    let deadline = ContinuousClock.now + .seconds(20)
    while try! await loop.executeInContext({ inboxRunning(connection) }) {
        precondition(ContinuousClock.now < deadline, "the WebSocket session did not finish its messages within 20 s")
        try? await Task.sleep(for: .microseconds(100))
    }
}

func inboxRunning(_ connection: WebSocketConnection) -> Bool {
    guard let running = Mirror(reflecting: connection).children.first(where: { $0.label == "inboxRunning" })?.value as? Bool else {
        fatalError("WebSocketConnection has no inboxRunning any more: update the fuzz harness")
    }
    return running
}

/// The wire bytes of the input's frame script (see the top of this file).
func frames(from input: [UInt8]) -> ByteBuffer {
    var wire = ByteBuffer()
    var index = 1
    while index < input.count {
        let header = input[index]
        index += 1
        let length = index < input.count ? Int(input[index]) : 0
        index += 1
        var repeats = 1
        if header & 0x10 != 0 {
            repeats = 64 * (index < input.count ? Int(input[index]) : 1)
            index += 1
        }
        let end = min(index + length, input.count)
        var payload = index < end ? Array(input[index..<end]) : []
        index = end
        if repeats > 1 { payload = repeated(payload, repeats) }
        if header & 0x20 != 0, let compressed = deflateMessage(payload) { payload = compressed }
        writeMaskedFrame(&wire, firstByte: header & 0xCF, payload: payload)
    }
    return wire
}

/// One client frame (RFC 6455 §5.2): masked, as clients must send them.
func writeMaskedFrame(_ wire: inout ByteBuffer, firstByte: UInt8, payload: [UInt8]) {
    wire.writeInteger(firstByte)
    switch payload.count {
    case ..<126:
        wire.writeInteger(UInt8(0x80 | payload.count))
    case ...0xFFFF:
        wire.writeInteger(UInt8(0x80 | 126))
        wire.writeInteger(UInt16(payload.count))
    default:
        wire.writeInteger(UInt8(0x80 | 127))
        wire.writeInteger(UInt64(payload.count))
    }
    let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    wire.writeBytes(mask)
    var masked = payload
    masked.withUnsafeMutableBufferPointer { bytes in
        for index in bytes.indices { bytes[index] ^= mask[index & 3] }
    }
    wire.writeBytes(masked)
}

/// `payload` `count` times over. (A plain loop: `joined()` costs a generic call per byte in a debug build.)
func repeated(_ payload: [UInt8], _ count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(payload.count * count)
    for _ in 0..<count { bytes.append(contentsOf: payload) }
    return bytes
}

/// A message compressed as a permessage-deflate client sends it: raw deflate, flushed, without
/// the final empty block's `00 00 FF FF` (RFC 7692 §7.2.1).
func deflateMessage(_ payload: [UInt8]) -> [UInt8]? {
    let compressor = CompressionAlgorithm.deflate().compressor
    guard (try? compressor.startStream()) != nil else { return nil }
    defer { try? compressor.finishStream() }
    var input = ByteBuffer(bytes: payload)
    var output = ByteBuffer()
    output.reserveCapacity(compressor.maxSize(from: input) + 64)
    guard (try? input.compressStream(to: &output, with: compressor, flush: .sync)) != nil else { return nil }
    var bytes = output.readBytes(length: output.readableBytes) ?? []
    if bytes.suffix(4) == [0x00, 0x00, 0xFF, 0xFF] { bytes.removeLast(4) }
    return bytes
}
