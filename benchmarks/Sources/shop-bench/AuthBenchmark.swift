import BenchSupport
import Foundation
import Shop
import Store

/// What the revocation check costs: `Shop.checkToken` (the remembered token's claims and
/// expiry: what every request paid before an ended session's token was refused) beside
/// `Shop.authenticate` (the same, plus the session and the user read from the store), on the
/// same tokens in one store; then the release `tenda serve` over that store, `GET /api/products`
/// through wrk as one of its signed-in users, with the server's CPU per request.
///
/// The server has no way to skip the check (nor should it), so the end-to-end "before" is not
/// measured by switching it off: the check's share of a request is the in-process difference
/// per call over the server's measured CPU per request, and, with `--perf`, the share of the
/// server's own samples spent under `sessionAccess` during a second wrk run.
struct AuthBenchmark {
    let folder: String
    let users: Int
    let sessions: Int
    /// Tokens timed, spread over all sessions; at most what `VerifiedTokens` keeps (4,096), so
    /// every call takes the remembered-token path, as a server's steady traffic does.
    let hotTokens: Int
    /// Calls timed per variant and round (best of `rounds`).
    let calls: Int
    let rounds: Int
    /// The release `tenda` binary; nil skips the end-to-end part.
    let tenda: String?
    let wrkSeconds: Int
    /// Profile a second wrk run with `perf record` when perf is on the PATH.
    let profile: Bool
    let connections = 64

    struct Timing {
        var name: String
        var tasks: Int
        var callsPerSecond: Double
        /// Wall time per call on each task: tasks ÷ rate.
        var nanosecondsPerCall: Double { Double(tasks) * 1e9 / callsPerSecond }
    }

    struct EndToEnd {
        var wrk: WrkResult
        /// Server CPU seconds (user + system, /proc) during the wrk run, over the requests it answered.
        var serverMicrosecondsPerRequest: Double
        var serverCPUShare: Double
        var command: String
        /// `perf` during a second wrk run: inclusive sample shares of the server's functions.
        var perf: PerfShares?
    }

    struct PerfShares {
        var wrk: WrkResult
        /// As perf prints it ("39K").
        var samples: String
        /// Percent of the server's samples under each function (children included), by name.
        var inclusive: [(name: String, percent: Double)]
        var command: String
    }

    struct Result {
        var fillSeconds: Double
        var before: [Timing]   // checkToken: 1 task, then `cores` tasks
        var after: [Timing]    // authenticate: the same
        var cores: Int
        var endToEnd: EndToEnd?
    }

    func run() async throws -> Result {
        let storeFolder = folder + "/store"
        let bench = try await BenchShop.make(folder: storeFolder, durability: .noSync, buyers: 0, products: 60, accessTokenLifetime: 3_600)
        progress("signing in \(users.grouped) users on \(sessions.grouped) sessions through SignIn")
        let (tokens, fillSeconds) = try await timed { try await signIn(bench.shop) }
        let shop = bench.shop

        // The first call verifies each token's signature and remembers it; the timed ones do not.
        for (token, userId) in tokens {
            let checked = try await shop.checkToken(token)
            let user = try await shop.authenticate(token)
            guard checked.userId == userId, user.userId == userId, user.role == .user else {
                throw BenchError("a token named user \(checked.userId), \(user.userId) (\(user.role)); expected \(userId)")
            }
        }
        let texts = tokens.map(\.token)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var before: [Timing] = [], after: [Timing] = []
        for tasks in [1, cores] {
            var best = (before: 0.0, after: 0.0)
            for round in 1...rounds {
                progress("timing checkToken and authenticate, \(calls.grouped) calls each on \(tasks) task(s), round \(round)/\(rounds)")
                // Alternating within a round, so a neighbour's burst of load falls on both.
                best.before = max(best.before, try await callsPerSecond(tasks: tasks, texts) { try await shop.checkToken($0).userId })
                best.after = max(best.after, try await callsPerSecond(tasks: tasks, texts) { try await shop.authenticate($0).userId })
            }
            before.append(Timing(name: "`checkToken` (before)", tasks: tasks, callsPerSecond: best.before))
            after.append(Timing(name: "`authenticate` (after)", tasks: tasks, callsPerSecond: best.after))
        }
        await shop.close()

        var endToEnd: EndToEnd?
        if let tenda {
            // The server verifies the tokens signed here: the same secret, where it looks for one.
            FileManager.default.createFile(atPath: storeFolder + "/token-secret", contents: Data(BenchShop.tokenSecret),
                                           attributes: [.posixPermissions: 0o600])
            endToEnd = try serve(tenda: tenda, dataDir: storeFolder, token: texts[0])
        }
        return Result(fillSeconds: fillSeconds, before: before, after: after, cores: cores, endToEnd: endToEnd)
    }

    /// Signs `users` people in `sessions` times in all (each user on sessions ÷ users devices),
    /// from 64 concurrent callers, through `Shop.signIn` (the `SignIn` command, then a signed
    /// access token); returns `hotTokens` of the access tokens, spread evenly over the sessions.
    private func signIn(_ shop: Shop) async throws -> [(token: String, userId: UInt64)] {
        let every = max(1, sessions / hotTokens)
        return try await withThrowingTaskGroup(of: [(String, UInt64)].self) { group in
            let workers = 64
            for w in 0..<workers {
                group.addTask {
                    var kept: [(String, UInt64)] = []
                    for n in stride(from: w, to: sessions, by: workers) {
                        let person = n % users
                        let identity = TelegramIdentity(telegramId: Int64(100_000 + person), firstName: "Cliente \(person)")
                        let tokens = try await shop.signIn(identity, device: "device \(n / users)", via: .anonymous(via: .rest))
                        if n % every == 0, n / every < hotTokens { kept.append((tokens.accessToken, tokens.user.id)) }
                    }
                    return kept
                }
            }
            var all: [(token: String, userId: UInt64)] = []
            for try await part in group { all += part.map { (token: $0.0, userId: $0.1) } }
            return all
        }
    }

    /// Calls `body` `calls` times in all over `texts` (each task starting at its own place) from
    /// `tasks` concurrent tasks; returns calls per second of wall time.
    private func callsPerSecond(tasks: Int, _ texts: [String], _ body: @escaping @Sendable (String) async throws -> UInt64) async throws -> Double {
        let perTask = calls / tasks
        let (sum, seconds) = try await timed {
            try await withThrowingTaskGroup(of: UInt64.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var sum: UInt64 = 0, i = t * texts.count / tasks
                        for _ in 0..<perTask {
                            sum &+= try await body(texts[i])
                            i += 1
                            if i == texts.count { i = 0 }
                        }
                        return sum
                    }
                }
                return try await group.reduce(UInt64(0)) { $0 &+ $1 }
            }
        }
        // The sum of user ids keeps the calls from being optimised away.
        guard sum != 0 else { throw BenchError("every call named user 0") }
        return Double(perTask * tasks) / seconds
    }

    /// Starts `tenda serve` over the filled store, checks `token` gets a product list, then runs
    /// wrk on `GET /api/products` with it, and again under `perf record` when perf is installed.
    private func serve(tenda: String, dataDir: String, token: String) throws -> EndToEnd {
        // The benchmark is one user at full speed: the rate limits would answer 429 instead.
        let server = try TendaServe(tenda: tenda, dataDir: dataDir,
                                    extra: ["--user-rate-limit", "1000000", "--address-rate-limit", "1000000"], log: folder + "/tenda.log")
        defer { server.stop() }
        progress("starting \(server.command)")
        _ = try server.waitForHealth()
        let answer = try HTTPConnection(port: server.port).request("GET", "/api/products", token: token)
        guard answer.status == 200, answer.text.contains("Produto") else {
            throw BenchError("GET /api/products with a signed-in user's token answered \(answer.status): \(answer.text.prefix(200))")
        }
        let url = "http://127.0.0.1:\(server.port)/api/products"
        let pid = server.process.processIdentifier
        progress("wrk GET /api/products, \(wrkSeconds) s")
        let cpuBefore = cpuSeconds(of: pid) ?? .nan
        let wrk = try runWrk(url: url, token: token, script: nil, seconds: wrkSeconds, connections: connections)
        let cpu = (cpuSeconds(of: pid) ?? .nan) - cpuBefore
        let requests = wrk.requestsPerSecond * Double(wrkSeconds)
        var perf: PerfShares?
        if profile, Self.hasPerf {
            progress("wrk GET /api/products again, under perf record")
            perf = try profile(pid: pid, url: url, token: token)
        }
        return EndToEnd(wrk: wrk, serverMicrosecondsPerRequest: cpu / requests * 1e6, serverCPUShare: cpu / Double(wrkSeconds),
                        command: server.command, perf: perf)
    }

    static var hasPerf: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/perf")
        }
    }

    /// The functions whose inclusive share of the server's CPU is reported.
    static let profiled = ["sessionAccess", "checkToken", "authenticate"]

    /// `perf record -g` on the server (software clock, frame-pointer call chains) during a wrk run,
    /// then `perf report --children`: the share of its samples under each of ``profiled``.
    private func profile(pid: Int32, url: String, token: String) throws -> PerfShares {
        let data = folder + "/perf.data"
        let arguments = ["record", "-e", "cpu-clock", "-F", "2000", "-g", "-p", String(pid), "-o", data, "--", "sleep", String(wrkSeconds)]
        let record = Process()
        record.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        record.arguments = ["perf"] + arguments
        record.standardOutput = FileHandle.nullDevice
        record.standardError = FileHandle.nullDevice
        try record.run()
        let wrk = try runWrk(url: url, token: token, script: nil, seconds: wrkSeconds, connections: connections)
        record.waitUntilExit()

        let report = Process()
        report.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        report.arguments = ["perf", "report", "-i", data, "--stdio", "--children", "--sort", "symbol", "-g", "none", "--percent-limit", "0.01"]
        let pipe = Pipe()
        report.standardOutput = pipe
        report.standardError = FileHandle.nullDevice
        try report.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        report.waitUntilExit()

        // Lines: "    12.34%     0.50%  [.] symbol"; a function's own line has the largest
        // children share among the symbols that name it (its closures are under it).
        var samples = "?"
        var shares: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            // "# Samples: 39K of event 'cpu-clock'"
            if line.hasPrefix("# Samples:") { samples = String(line.split(separator: " ").dropFirst(2).first ?? "?") }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, fields[0].hasSuffix("%"), let children = Double(fields[0].dropLast()) else { continue }
            let symbol = fields[3...].joined(separator: " ")
            for name in Self.profiled where symbol.contains(name) {
                shares[name] = max(shares[name] ?? 0, children)
            }
        }
        return PerfShares(wrk: wrk, samples: samples, inclusive: Self.profiled.map { ($0, shares[$0] ?? 0) },
                          command: "perf " + arguments.map { $0 == data ? "perf.data" : $0 }.joined(separator: " ")
                              + "; perf report --stdio --children --sort symbol -g none")
    }
}

extension AuthBenchmark {
    /// The Markdown report of an `--auth` run, ready for RESULTS.md: what is measured and what
    /// is derived from measured figures is said on every line.
    func report(_ r: Result, options: ShopBenchOptions, loadBefore: String, loadAfter: String, elapsed: Duration) -> String {
        var out = ["# Authentication: what the revocation check costs a request", ""]
        out.append("## In process: \(hotTokens.grouped) access tokens of a store with \(users.grouped) users and \(sessions.grouped) sessions")
        out.append("")
        var table = Table("call", "tasks", "calls/s", "ns per call")
        for (before, after) in zip(r.before, r.after) {
            table.add(before.name, String(before.tasks), before.callsPerSecond.grouped, before.nanosecondsPerCall.grouped)
            table.add(after.name, String(after.tasks), after.callsPerSecond.grouped, after.nanosecondsPerCall.grouped)
        }
        out.append(table.render())
        out.append("")
        var difference = Table("tasks", "after − before, ns per call", "after ÷ before, calls/s")
        for (before, after) in zip(r.before, r.after) {
            difference.add(String(before.tasks), (after.nanosecondsPerCall - before.nanosecondsPerCall).grouped,
                           (after.callsPerSecond / before.callsPerSecond).fixed(2) + "×")
        }
        out.append(difference.render())
        out.append("")
        out.append("""
            Both on the same tokens, each already seen once (its signature checked and remembered in `VerifiedTokens`, \
            as for a MiniApp's steady requests). `checkToken` is the remembered claims and the expiry: all a request \
            paid before an ended session's token was refused. `authenticate` is that plus `sessionAccess`: one LMDB \
            read transaction looking up the user and the session. Best of \(rounds) rounds of \(calls.grouped) calls \
            per row, the two calls alternating within a round; with \(r.cores) tasks, ns per call is wall time per \
            call on each task (tasks ÷ calls/s). The \(sessions.grouped) sessions were opened through `Shop.signIn` \
            (the `SignIn` command, no-sync, 64 callers) in \(r.fillSeconds.fixed(1)) s.
            """)
        out.append("")
        if let e = r.endToEnd {
            let single = r.after[0].nanosecondsPerCall - r.before[0].nanosecondsPerCall
            let budget = Double(r.cores) / e.wrk.requestsPerSecond * 1e6
            out.append("## End to end: `GET /api/products` through wrk, signed in as one of those users")
            out.append("")
            var http = Table("figure", "value", "how")
            http.add("requests/s (wrk, \(connections) connections, \(wrkSeconds) s)", e.wrk.requestsPerSecond.grouped, "measured")
            http.add("latency p50 / p99 (ms)", "\(e.wrk.p50.fixed(2)) / \(e.wrk.p99.fixed(2))", "measured")
            http.add("answers not 2xx", e.wrk.non2xx.grouped, "measured")
            http.add("server CPU during the run", (e.serverCPUShare * 100).fixed(0) + " %", "measured (/proc/<pid>/stat)")
            http.add("server CPU per request (µs)", e.serverMicrosecondsPerRequest.fixed(1), "measured: CPU seconds ÷ requests")
            http.add("CPU budget per request, \(r.cores) cores ÷ rate (µs)", budget.fixed(1), "derived")
            http.add("revocation check per call, 1 task (µs)", (single / 1_000).fixed(2), "measured in process (above)")
            http.add("its share of the server's CPU per request", (single / 1_000 / e.serverMicrosecondsPerRequest * 100).fixed(1) + " %",
                     "derived: check ÷ server CPU per request")
            http.add("its share of the CPU budget per request", (single / 1_000 / budget * 100).fixed(1) + " %", "derived: check ÷ budget")
            if let p = e.perf {
                for (name, percent) in p.inclusive {
                    http.add("server samples under `\(name)` (perf, second wrk run: \(p.wrk.requestsPerSecond.grouped) req/s)",
                             percent.fixed(2) + " %", "measured (\(p.samples) samples)")
                }
                if let check = p.inclusive.first(where: { $0.name == "sessionAccess" })?.percent {
                    http.add("`sessionAccess` per request by perf (µs)", (check / 100 * e.serverMicrosecondsPerRequest).fixed(2),
                             "derived: its share × server CPU per request")
                }
            }
            out.append(http.render())
            out.append("")
            out.append("""
                The server cannot skip the check, so there is no "before" request rate in this run: the figures above put the \
                check's measured cost per call beside the measured cost of a whole request. wrk runs on the same \
                \(r.cores) cores as the server, so the budget per request (cores ÷ rate) includes wrk's own share; the \
                server's CPU per request does not. \
                \(e.perf == nil ? "No profile was taken (`--perf` not given, or perf not on the PATH)." : "The perf shares are inclusive (`perf report --children`, frame-pointer call chains): the samples in the function and in everything it called. The profiled run is separate so perf's own cost does not touch the measured rate.")
                """)
            out.append("")
        }
        out.append("## How these figures were made")
        out.append("")
        var details = ["data: \(folder) (\(Machine.fileSystem(of: folder))), deleted afterwards"]
        if let e = r.endToEnd {
            details.append("server: `\(e.command)`")
            details.append("load: `\(e.wrk.command)`")
            if let p = e.perf { details.append("profile: `\(p.command)` during a second, identical wrk run") }
        }
        out += ShopBenchReport.howMade(options, elapsed: elapsed, loadBefore: loadBefore, loadAfter: loadAfter, details: details)
        return out.joined(separator: "\n")
    }
}
