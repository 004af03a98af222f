import BenchSupport
/// The benchmark's settings, from the command line.
struct Options: Sendable {
    /// Records in the main data set (larger than the CPU caches).
    var records = 1_000_000
    /// Records in the cache-resident data set.
    var smallRecords = 100_000
    /// Random point reads per run, on each data set.
    var reads = 1_000_000
    /// Puts per write transaction while filling.
    var batch = 100_000
    /// Durable single-record writes per mode in the group-commit workload.
    var durableWrites = 20_000
    /// Concurrent writers in the group-commit workload.
    var writers = 64
    /// Runs of each read, scan and durable-write workload; the best run is reported (noise only ever slows a run down).
    var repeats = 3
    /// The arguments as given, to print the command that produced the figures.
    var arguments: [String] = []

    static let usage = """
        usage: swift run -c release --package-path benchmarks store-bench [options]

          --records N          records in the main data set (default 1,000,000)
          --small-records N    records in the cache-resident data set (default 100,000)
          --reads N            random point reads per run (default 1,000,000)
          --batch N            puts per write transaction when filling (default 100,000)
          --durable-writes N   durable writes per group-commit mode (default 20,000)
          --writers N          concurrent writers for durable commits (default 64)
          --repeat N           runs of each read, scan and durable-write mode, best reported (default 3)
          --quick              small sizes for a smoke test (a few seconds)
          --help               this text
        """

    /// Parses `arguments` (without the program name); throws a message for the user.
    init(parsing arguments: [String]) throws(UsageError) {
        self.arguments = arguments
        var rest = arguments[...]
        func number(_ flag: String) throws(UsageError) -> Int {
            guard let text = rest.popFirst() else { throw UsageError("\(flag) needs a number") }
            guard let value = Int(text.filter { $0 != "_" && $0 != "," }), value > 0 else {
                throw UsageError("\(flag) needs a positive number, not \(text)")
            }
            return value
        }
        // --quick first sets small sizes; explicit sizes given with it still win, whatever their order.
        if arguments.contains("--quick") {
            records = 50_000
            smallRecords = 10_000
            reads = 200_000
            batch = 10_000
            durableWrites = 2_000
            repeats = 1
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--records": records = try number(flag)
            case "--small-records": smallRecords = try number(flag)
            case "--reads": reads = try number(flag)
            case "--batch": batch = try number(flag)
            case "--durable-writes": durableWrites = try number(flag)
            case "--writers": writers = try number(flag)
            case "--repeat": repeats = try number(flag)
            case "--quick": break
            case "--help", "-h": throw UsageError(nil)
            default: throw UsageError("unknown option \(flag)")
            }
        }
        if durableWrites < writers { throw UsageError("--durable-writes must be at least --writers (\(writers))") }
    }
}

/// A command-line mistake; a nil message asks for the usage text alone.
struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}
