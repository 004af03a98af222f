// NATSClient against real nats-server processes (no mocks): publishing with message ids and an
// expected last id, reads by sequence and by subject, ordered subscriptions across a server
// restart and in a three-server cluster losing one, and the error when libnats is missing
// (NATSClient opens libnats with dlopen: the release binary is one self-contained file).
// Serialized: one test sets TENDA_LIBNATS, which every connect reads.
import Foundation
import Testing
import NATSClient

@Suite(.serialized, .timeLimit(.minutes(5))) struct JetStreamClientTests {
    /// A client of `urls`, tried until one answers (a server just started may not yet).
    static func connected(_ urls: [String]) async throws -> JetStreamClient {
        try await eventually("connect to \(urls)") { try JetStreamClient.connect(servers: urls, name: "tenda-tests") }
    }

    @Test func aRepeatedMessageIdIsADuplicateAndAWrongExpectedLastIdIsRefused() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let client = try await Self.connected([server.url])
        defer { client.close() }
        try await eventually("ensureStream") { try client.ensureStream(StreamSettings(name: "ORDERS", subjects: ["orders.>"])) }

        let first = try await off {
            try client.publish(
                subject: "orders.1", payload: "one".bytes, headers: ["Tenda-Kind": "order", "Tenda-Node": "n1"],
                messageId: "m1", expectLastMessageId: nil, expectStream: "ORDERS", timeout: .seconds(10))
        }
        #expect(first == PublishAck(stream: "ORDERS", sequence: 1, duplicate: false))
        let repeated = try await off {
            try client.publish(
                subject: "orders.1", payload: "one again".bytes, headers: [:], messageId: "m1", expectLastMessageId: nil,
                expectStream: nil, timeout: .seconds(10))
        }
        #expect(repeated == PublishAck(stream: "ORDERS", sequence: 1, duplicate: true))
        #expect(try await off { try client.streamState("ORDERS") }.messages == 1)

        let second = try await off {
            try client.publish(
                subject: "orders.2", payload: "two".bytes, headers: [:], messageId: "m2", expectLastMessageId: "m1",
                expectStream: nil, timeout: .seconds(10))
        }
        #expect(second.sequence == 2 && !second.duplicate)
        do {
            _ = try await off {
                try client.publish(
                    subject: "orders.3", payload: "three".bytes, headers: [:], messageId: "m3", expectLastMessageId: "m1",
                    expectStream: nil, timeout: .seconds(10))
            }
            Issue.record("a publish expecting last id m1 after m2 was accepted")
        } catch let error as NATSError {
            #expect(error.isWrongLastMessageId, "\(error)")
            #expect(!error.isWrongLastSequence)
        }
        do {
            _ = try await off {
                try client.publish(
                    subject: "orders.3", payload: "three".bytes, headers: [:], messageId: "m3", expectLastMessageId: nil,
                    expectStream: "OTHER", timeout: .seconds(10))
            }
            Issue.record("a publish expecting stream OTHER was accepted by ORDERS")
        } catch let error as NATSError {
            #expect(error.jetStreamCode != nil, "\(error)")
        }
        let state = try await off { try client.streamState("ORDERS") }
        #expect(state == StreamState(firstSequence: 1, lastSequence: 2, messages: 2, bytes: state.bytes))
        #expect(client.state == "connected")
    }

    @Test func ensureStreamUpdatesAnExistingStreamAndPurgeEmptiesIt() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let client = try await Self.connected([server.url])
        defer { client.close() }
        try await eventually("ensureStream") { try client.ensureStream(StreamSettings(name: "CART", subjects: ["cart.>"])) }
        for i in 1...3 {
            _ = try await off {
                try client.publish(
                    subject: "cart.\(i)", payload: "c\(i)".bytes, headers: [:], messageId: nil, expectLastMessageId: nil,
                    expectStream: nil, timeout: .seconds(10))
            }
        }
        // Other settings, the same name: an update, the messages stay.
        try await off {
            try client.ensureStream(
                StreamSettings(name: "CART", subjects: ["cart.>", "basket.>"], maxAge: 3600, maxBytes: 1 << 20, duplicateWindow: 60))
        }
        try await off { try client.ensureStream(StreamSettings(name: "CART", subjects: ["cart.>", "basket.>"], maxAge: 3600, maxBytes: 1 << 20, duplicateWindow: 60)) }
        let ack = try await off {
            try client.publish(
                subject: "basket.1", payload: "b".bytes, headers: [:], messageId: nil, expectLastMessageId: nil,
                expectStream: "CART", timeout: .seconds(10))
        }
        #expect(ack.sequence == 4)
        #expect(try await off { try client.streamState("CART") } .messages == 4)

        try await off { try client.purgeStream("CART") }
        let purged = try await off { try client.streamState("CART") }
        #expect(purged.messages == 0 && purged.lastSequence == 4 && purged.firstSequence == 5)

        do {
            _ = try await off { try client.streamState("NOSUCH") }
            Issue.record("a missing stream had a state")
        } catch let error as NATSError {
            #expect(error.isStreamNotFound, "\(error)")
        }
    }

    @Test func lastMessageAndMessageBySequenceReturnPayloadAndHeaders() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let client = try await Self.connected([server.url])
        defer { client.close() }
        try await eventually("ensureStream") { try client.ensureStream(StreamSettings(name: "ITEMS", subjects: ["items.>"])) }

        #expect(try await off { try client.lastMessage(stream: "ITEMS", subject: "items.a") } == nil)
        #expect(try await off { try client.message(stream: "ITEMS", sequence: 1) } == nil)

        for (subject, text) in [("items.a", "a1"), ("items.b", "b1"), ("items.a", "a2")] {
            _ = try await off {
                try client.publish(
                    subject: subject, payload: text.bytes, headers: ["Tenda-Text": text], messageId: "id-\(text)",
                    expectLastMessageId: nil, expectStream: nil, timeout: .seconds(10))
            }
        }
        let last = try #require(try await off { try client.lastMessage(stream: "ITEMS", subject: "items.a") })
        #expect(last.sequence == 3)
        #expect(last.payload == "a2".bytes)
        #expect(last.headers["Tenda-Text"] == "a2")
        #expect(last.headers["Nats-Msg-Id"] == "id-a2")

        let second = try #require(try await off { try client.message(stream: "ITEMS", sequence: 2) })
        #expect(second.sequence == 2 && second.payload == "b1".bytes && second.headers["Tenda-Text"] == "b1")
        #expect(try await off { try client.message(stream: "ITEMS", sequence: 99) } == nil)
        #expect(try await off { try client.lastMessage(stream: "ITEMS", subject: "items.none") } == nil)

        // An empty payload and no headers of the caller's.
        _ = try await off {
            try client.publish(
                subject: "items.c", payload: [], headers: [:], messageId: nil, expectLastMessageId: nil, expectStream: nil,
                timeout: .seconds(10))
        }
        let empty = try #require(try await off { try client.message(stream: "ITEMS", sequence: 4) })
        #expect(empty.payload.isEmpty && empty.headers.isEmpty)

        do {
            _ = try await off { try client.lastMessage(stream: "NOSUCH", subject: "items.a") }
            Issue.record("a missing stream had a last message")
        } catch let error as NATSError {
            #expect(error.isStreamNotFound, "\(error)")
        }
    }

    @Test func anOrderedSubscriptionDeliversInOrderAndANewClientGoesOnAfterAServerRestart() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let client = try await Self.connected([server.url])
        defer { client.close() }
        try await eventually("ensureStream") { try client.ensureStream(StreamSettings(name: "FEED", subjects: ["feed.>"])) }
        for i in 1...10 {
            _ = try await off {
                try client.publish(
                    subject: "feed.x", payload: "e\(i)".bytes, headers: ["Tenda-Index": "\(i)"], messageId: "e\(i)",
                    expectLastMessageId: nil, expectStream: nil, timeout: .seconds(10))
            }
        }
        let subscription = try await off { try client.subscribeOrdered(stream: "FEED", subject: "feed.>", startSequence: 4) }
        defer { subscription.close() }
        let before = try await receive(7, from: subscription)
        #expect(before.map(\.streamSequence) == Array(4...10))
        #expect(before.map(\.pending) == (0...6).reversed().map(UInt64.init))
        #expect(before.map(\.payload) == (4...10).map { "e\($0)".bytes })
        #expect(before.map { $0.headers["Tenda-Index"] } == (4...10).map { "\($0)" })

        // A lost connection is closed, not mended inside nats.c (see JetStreamClient.connect):
        // calls throw, and a new client goes on from where the stream is.
        server.stop()
        try await eventually("the client to see the server gone") {
            guard client.state == "closed" else { throw NATSTestFailure(description: "state \(client.state)") }
        }
        await #expect(throws: NATSError.self) { try await off { try client.streamState("FEED") } }
        try server.start()
        let again = try await eventually("a new client after the restart") { try JetStreamClient.connect(servers: [server.url], name: "tenda-tests") }
        defer { again.close() }
        for i in 11...15 {
            // The same message id on every try: a publish stored before its ack was lost is not stored twice.
            _ = try await eventually("publish e\(i) after the restart") {
                try again.publish(
                    subject: "feed.x", payload: "e\(i)".bytes, headers: ["Tenda-Index": "\(i)"], messageId: "e\(i)",
                    expectLastMessageId: nil, expectStream: nil, timeout: .seconds(5))
            }
        }
        let resumed = try await off { try again.subscribeOrdered(stream: "FEED", subject: "feed.>", startSequence: 11) }
        defer { resumed.close() }
        let after = try await receive(5, from: resumed, seconds: 60)
        #expect(after.map(\.streamSequence) == Array(11...15))
        #expect(after.map(\.payload) == (11...15).map { "e\($0)".bytes })
        #expect(try await off { try again.streamState("FEED") }.lastSequence == 15)
    }

    @Test func aClusterOfThreeGoesOnWhenOneServerIsKilled() async throws {
        let cluster = try NATSCluster()
        defer { cluster.stopAll() }
        // Connected to the second server, so that killing the first leaves this connection up.
        let client = try await Self.connected([cluster.urls[1], cluster.urls[2]])
        defer { client.close() }
        try await eventually("ensureStream with 3 replicas", seconds: 60) {
            try client.ensureStream(StreamSettings(name: "REPL", subjects: ["repl.>"], replicas: 3))
        }
        for i in 1...5 {
            _ = try await eventually("publish r\(i)") {
                try client.publish(
                    subject: "repl.x", payload: "r\(i)".bytes, headers: [:], messageId: "r\(i)", expectLastMessageId: nil,
                    expectStream: nil, timeout: .seconds(5))
            }
        }
        let subscription = try await eventually("subscribe") {
            try client.subscribeOrdered(stream: "REPL", subject: "repl.x", startSequence: 1)
        }
        defer { subscription.close() }
        #expect(try await receive(5, from: subscription).map(\.streamSequence) == Array(1...5))

        cluster.servers[0].kill9()

        for i in 6...10 {
            _ = try await eventually("publish r\(i) with a server killed") {
                try client.publish(
                    subject: "repl.x", payload: "r\(i)".bytes, headers: [:], messageId: "r\(i)", expectLastMessageId: nil,
                    expectStream: nil, timeout: .seconds(5))
            }
        }
        let after = try await receive(5, from: subscription, seconds: 60)
        #expect(after.map(\.streamSequence) == Array(6...10))
        #expect(after.map(\.payload) == (6...10).map { "r\($0)".bytes })
        let state = try await eventually("stream state") { try client.streamState("REPL") }
        #expect(state.lastSequence == 10 && state.messages == 10)
    }

    @Test func aClientForAServerThatIsNotThereIsAClearErrorAndACloseEndsAClient() async throws {
        let port = freeLoopbackPort()
        await #expect(throws: NATSError.self) {
            try await off { try JetStreamClient.connect(servers: ["nats://127.0.0.1:\(port)"], name: "tenda-tests") }
        }
        let server = try NATSServerProcess(port: port)
        defer { server.stop() }
        let client = try await Self.connected([server.url])
        try await eventually("ensureStream once the server is up") {
            try client.ensureStream(StreamSettings(name: "LATE", subjects: ["late.>"]))
        }
        #expect(client.state == "connected")
        let subscription = try await off { try client.subscribeOrdered(stream: "LATE", subject: "late.>", startSequence: 0) }
        _ = try await off {
            try client.publish(
                subject: "late.1", payload: "x".bytes, headers: [:], messageId: nil, expectLastMessageId: nil, expectStream: nil,
                timeout: .seconds(10))
        }
        #expect(try await receive(1, from: subscription).map(\.streamSequence) == [1])

        client.close()
        client.close()
        #expect(client.state == "closed")
        do {
            _ = try await off { try client.streamState("LATE") }
            Issue.record("a closed client answered")
        } catch let error as NATSError {
            #expect(error.status != nil, "\(error)")
        }
        do {
            _ = try await off { try subscription.next(timeout: .seconds(1)) }
            Issue.record("a subscription of a closed client delivered")
        } catch is NATSError {}
        subscription.close()
    }

    @Test func aMissingLibnatsIsAClearErrorNamingThePackage() async throws {
        let missing = "/nonexistent/tenda-test/libnats.so.3.4"
        setenv("TENDA_LIBNATS", missing, 1)
        defer { unsetenv("TENDA_LIBNATS") }
        do {
            _ = try JetStreamClient.connect(servers: ["nats://127.0.0.1:4222"], name: "tenda-tests")
            Issue.record("connect succeeded without a library")
        } catch let error as NATSError {
            #expect(error.isLibraryMissing)
            #expect(error.description.contains("not found: NATS nodes need `apt-get install libnats3.4`"), "\(error)")
            #expect(error.description.contains(missing), "\(error)")
        }
    }
}
