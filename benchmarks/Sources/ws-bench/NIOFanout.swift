import BenchSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `ws-bench --nio-fanout`: the fan-out floor of any server written on SwiftNIO, beside plain C's.
///
/// `raw-fanout.c` writes each round with one `write()` per socket from two threads. This is the
/// same rounds (the same 900-byte messages, stamped with CLOCK_MONOTONIC and the round number,
/// to the same number of loopback sockets, read by the same C reader: `raw-fanout --connect`),
/// written the cheapest way SwiftNIO offers: the accepted channels of NIO's two event loops, one
/// task per loop and round that hands one shared `ByteBuffer` to `writeAndFlush` on every channel
/// of that loop, as tenda's `LiveWrites` does with a commit's frames. No HTTP, no WebSocket framing,
/// no hub: what is left between this and raw-fanout is NIO's own cost per write, and what is left
/// between tenda and this is tenda's.
struct NIOFanoutBenchmark {
    let options: WSBenchOptions
    static let size = 900
    static let magic: UInt32 = 0x4641_4E4F   // raw-fanout.c's MAGIC

    struct Result {
        let connections: Int
        let rounds: Int
        let rate: Double
        /// The reader's lines (`received …`, `latency …`, `fan-out span …`, `CPU per … reader …`).
        let readerLines: [String]
        /// This process's CPU over the rounds ÷ messages written, µs.
        let writerMicrosPerMessage: Double
        let readerCommand: String
    }

    /// The channels one event loop accepted, touched only on that loop.
    final class LoopChannels: @unchecked Sendable {
        let eventLoop: any EventLoop
        var contexts: [ChannelHandlerContext] = []
        init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }
    }

    /// Every accepted channel, by event loop.
    final class Accepted: Sendable {
        let loops = Mutex<[ObjectIdentifier: LoopChannels]>([:])
        let count = Counter()
    }

    /// Records each accepted channel's context with its loop; drops whatever the reader sends.
    final class Sink: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted: Accepted
        init(accepted: Accepted) { self.accepted = accepted }
        func handlerAdded(context: ChannelHandlerContext) {
            let eventLoop = context.eventLoop
            let channels = accepted.loops.withLock { loops in
                let key = ObjectIdentifier(eventLoop)
                if let existing = loops[key] { return existing }
                let made = LoopChannels(eventLoop: eventLoop)
                loops[key] = made
                return made
            }
            channels.contexts.append(context)
            accepted.count.add()
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    func run() async throws -> Result {
        let connections = options.subscribers[0], rate = options.rates[0]
        let rounds = max(1, Int(rate * options.seconds))
        let accepted = Accepted()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Sink(accepted: accepted))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        guard let port = server.localAddress?.port else { throw BenchError("the NIO writer has no port") }

        let readerBinary = try compiledScript("raw-fanout")
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: readerBinary)
        reader.arguments = ["--connect", String(port), "--connections", String(connections), "--rounds", String(rounds),
                            "--rate", String(rate), "--size", String(Self.size), "--reader-threads", "2"]
        let readerCommand = "raw-fanout " + (reader.arguments ?? []).joined(separator: " ")
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        let lines = Locked<[String]>([])
        let readerReady = DispatchSemaphore(value: 0), readerDone = DispatchSemaphore(value: 0)
        readLines(of: output.fileHandleForReading, ended: readerDone) { line in
            if line == "ready" { readerReady.signal() } else { lines.withLock { $0.append(line) } }
        }
        progress("NIO fan-out floor: \(connections.grouped) connections from raw-fanout --connect …")
        guard readerReady.wait(timeout: .now() + 180) == .success else {
            reader.terminate()
            throw BenchError("raw-fanout --connect was not ready within 180 s")
        }
        while accepted.count.current < connections { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        let perLoop = accepted.loops.withLock { Array($0.values) }

        progress("\(rounds) rounds at \(rate.grouped)/s …")
        let cpuBefore = processCPUNanos()
        let period = UInt64(1e9 / rate)
        let start = monotonicNanos() + 10_000_000
        let filler = [UInt8](repeating: UInt8(ascii: "x"), count: Self.size - 16)
        for round in 0..<rounds {
            let due = start + UInt64(round) * period
            while case let now = monotonicNanos(), now < due { usleep(UInt32(min(due - now, 1_000_000_000) / 1000)) }
            var message = ByteBufferAllocator().buffer(capacity: Self.size)
            message.writeInteger(monotonicNanos(), endianness: .little)
            message.writeInteger(UInt32(round), endianness: .little)
            message.writeInteger(Self.magic, endianness: .little)
            message.writeBytes(filler)
            for channels in perLoop {
                channels.eventLoop.execute {
                    for context in channels.contexts { context.writeAndFlush(NIOAny(message), promise: nil) }
                }
            }
        }
        guard readerDone.wait(timeout: .now() + 120) == .success else {
            reader.terminate()
            throw BenchError("raw-fanout --connect did not finish within 120 s of the last round")
        }
        let cpu = processCPUNanos() - cpuBefore
        reader.waitUntilExit()
        return Result(connections: connections, rounds: rounds, rate: rate, readerLines: lines.withLock { $0 },
                      writerMicrosPerMessage: Double(cpu) / 1e3 / Double(connections * rounds), readerCommand: readerCommand)
    }

    /// This process's user and system CPU, ns.
    private func processCPUNanos() -> UInt64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func nanos(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return nanos(usage.ru_utime) + nanos(usage.ru_stime)
    }
}

struct NIOFanoutReport {
    let options: WSBenchOptions
    let result: NIOFanoutBenchmark.Result
    let fileLimit: UInt64
    let loadBefore: String, loadAfter: String
    let elapsed: Duration

    func render() -> String {
        let r = result
        let facts = runFacts(elapsed: elapsed, fileLimit: fileLimit, loadBefore: loadBefore, loadAfter: loadAfter)
        return """
            # SwiftNIO fan-out floor (ws-bench --nio-fanout)

            \(r.connections.grouped) loopback connections, \(r.rounds) rounds at \(r.rate.grouped)/s, \(NIOFanoutBenchmark.size)-byte messages \
            written by SwiftNIO (one task per event loop and round, one shared buffer, `writeAndFlush` per channel), \
            read by `\(r.readerCommand)`.

            \(r.readerLines.joined(separator: "\n"))
            CPU per delivered message, us: writer (SwiftNIO, whole process over the rounds) \(r.writerMicrosPerMessage.fixed(2))

            - command: `swift run -c release --package-path benchmarks ws-bench \(options.arguments.joined(separator: " "))`
            \(facts.joined(separator: "\n"))
            """
    }
}
