import BenchSupport
import Foundation
import Store

/// Everything measured, and how it is printed: the tables, the targets, and how the figures were made.
struct Report {
    let options: Options
    let folder: String
    /// One entry per data set: the main set first, then the cache-resident one.
    var reads: [ReadBenchmark.Result] = []
    var scans: [ScanBenchmark.Result] = []
    var puts: [PutBenchmark.Result] = []
    /// Product decodes per second with no LMDB involved.
    var decodeOnly = 0.0
    var durable = DurableCommitBenchmark.Result()
    var loadAverages = ("", "")
    let started = Date()

    init(options: Options, folder: String) {
        self.options = options
        self.folder = folder
    }

    func render() -> String {
        let sets = [options.records, options.smallRecords].map { "\($0.grouped) records" }
        let productSize = Double((1...UInt64(1_000)).reduce(0) { $0 + Product.sample($1).binaryEncoded().count }) / 1_000
        var out: [String] = []
        out.append("""
            # Store benchmark

            Two data sets: \(sets[0]) (the main set) and \(sets[1]) (the small, cache-resident set), keys 1…N \
            as 8-byte big-endian. Each is stored three times: by raw C in its own LMDB environment, and in \
            one Store environment as a bytes collection (`TypedCollection<UInt64Key, BytesCodec>`, \
            \(payloadSize)-byte values) and a typed one (`BinaryCodec<Product>`, \(productSize.fixed(1)) bytes \
            encoded on average). The Store puts an 8-byte version before each value, so raw C stores the same \
            8 + \(payloadSize) bytes. Reads, scans and puts run with `.noSync` and a 2 GiB map; reads and scans \
            on one core, best of \(options.repeats).
            """)

        out.append("## Random point reads: \(options.reads.grouped) reads of shuffled keys, one read transaction")
        out.append(threeWay(
            sets: sets, unit: "reads/s",
            labels: [
                "raw C: `mdb_get`", "Store bytes: `withEncodedValue` (borrowed)", "Store typed: `get` (decodes a Product)",
                "Store typed view: `withView`, reads stock from the borrowed bytes",
            ],
            values: reads.map { [$0.raw, $0.bytes, $0.typed, $0.view] }))
        out.append("""
            Raw C and Store bytes add up the first payload byte of each value; Store typed decodes the whole \
            `Product` (two heap-allocated strings) and adds up its stock; Store typed view reads the same \
            stock from the borrowed bytes (skips id, name and price, decodes nothing else). Decoding alone, with no LMDB \
            (1,024 encoded products, cache-hot): \(decodeOnly.grouped) decodes/s, \((1e9 / decodeOnly).fixed(0)) ns each.
            """)

        out.append("## Full range scan, in key order")
        out.append(threeWay(
            sets: sets, unit: "rows/s",
            labels: ["raw C: cursor `MDB_NEXT`", "Store bytes: `forEachEncoded` (borrowed)", "Store typed: `forEach` (decodes)"],
            values: scans.map { [$0.raw, $0.bytes, $0.typed] }))
        out.append("""
            `forEachEncoded` lends each row's bytes from the map (the scan twin of `withEncodedValue`); \
            typed `forEach` decodes every row into a `Product` with its version.
            """)

        out.append("## Puts: \(options.batch.grouped) per write transaction, new keys in ascending order, one run")
        out.append(threeWay(
            sets: sets, unit: "puts/s",
            labels: ["raw C: `mdb_put`", "Store bytes: `put`", "Store typed: `put` (encodes a Product)"],
            values: puts.map { [$0.raw, $0.bytes, $0.typed] }))
        out.append("""
            A Store put does more than `mdb_put`: it looks up the old value (for the version), builds the \
            stored bytes, and appends a change-feed record (collection, key, version, value, time, metadata) \
            with a second `mdb_put`, inside the nested transaction of its `write` call; the commit then writes \
            about twice the pages. Each `write` call here holds \(options.batch.grouped) puts.
            """)

        let perWriter = options.durableWrites / options.writers
        out.append("""
            ## Durable writes: \(options.writers) concurrent writers × \(perWriter.grouped) one-record writes, \
            `.full` (fsync), best of \(options.repeats)
            """)
        var table = Table("variant", "writes/s", "writes per commit", "× one txn per write")
        let single = durable.oneTransactionPerWrite.rate
        for (label, mode) in [
            ("Store group commit (maxBatchSize \(StoreConfiguration().maxBatchSize))", durable.groupCommit),
            ("Store one transaction per write (maxBatchSize 1)", durable.oneTransactionPerWrite),
            ("raw C: one transaction per write, \(options.writers) threads (reference)", durable.rawSingleKey),
        ] {
            table.add(label, mode.rate.grouped, mode.writesPerCommit.fixed(1), ratio(mode.rate, single))
        }
        out.append(table.render())
        out.append("""
            Each Store writer is a task looping over `try await env.write { put one record }`. Writes per \
            commit come from LMDB's transaction ids (each commit is one `fdatasync` plus a synchronous meta-page \
            write). "One transaction per write" runs the same Store code with `maxBatchSize = 1`; the raw C \
            reference has \(options.writers) threads each running begin/put/commit, which LMDB serialises.
            """)

        out.append("## Targets")
        out.append(targets(sets: sets))

        out.append("## How these figures were made")
        let command = (["swift run -c release --package-path benchmarks store-bench"] + options.arguments).joined(separator: " ")
        let machine = Machine.current()
        out.append("""
            - command: `\(command)` (from the repository root)
            - binary: `\(CommandLine.arguments.first ?? "?")`
            - date: \(ISO8601DateFormatter().string(from: started)) (UTC); took \(Date().timeIntervalSince(started).fixed(1)) s
            - machine: nproc \(machine.processors); CPU \(machine.cpuModel); RAM \(machine.memory); kernel \(machine.kernel)
            - \(machine.swiftVersion)
            - data: \(folder) (\(Machine.fileSystem(of: folder))), deleted afterwards
            - load average before / after: \(loadAverages.0) / \(loadAverages.1)
            """)
        return out.joined(separator: "\n\n")
    }

    /// Raw C and the Store's variants side by side, one pair of columns (rate, ratio to raw C) per data set.
    private func threeWay(sets: [String], unit: String, labels: [String], values: [[Double]]) -> String {
        var table = Table("variant", "\(sets[0]): \(unit)", "× raw C", "\(sets[1]): \(unit)", "× raw C")
        for (row, label) in labels.enumerated() {
            var cells = [label]
            for set in values {
                cells += [set[row].grouped, ratio(set[row], set[0])]
            }
            table.rows.append(cells)
        }
        return table.render()
    }

    private func targets(sets: [String]) -> String {
        guard reads.count == 2 else { return "(no read figures)" }
        var table = Table("target", "measured", "result")
        func check(_ name: String, _ measured: String, _ met: Bool) {
            table.add(name, measured, met ? "PASS" : "MISS")
        }
        let (main, small) = (reads[0], reads[1])
        let group = durable.groupCommit.rate, single = durable.oneTransactionPerWrite.rate
        check("Store bytes reads ≥ 0.8× raw C (\(sets[0]))", ratio(main.bytes, main.raw), main.bytes >= 0.8 * main.raw)
        check("Store typed read-and-decode ≥ 2,000,000/s on one core (\(sets[1]))", small.typed.grouped + "/s", small.typed >= 2_000_000)
        check("Store typed reads ≥ 0.6× raw C (\(sets[0]))", ratio(main.typed, main.raw), main.typed >= 0.6 * main.raw)
        check("Store typed view reads ≥ 2,500,000/s on one core (\(sets[1]))", small.view.grouped + "/s", small.view >= 2_500_000)
        check("group commit ≥ 20× one transaction per write (\(options.writers) writers, fsync)", ratio(group, single), group >= 20 * single)
        // The same ratios on the small set: not targets, but they show what is left once memory latency is not.
        check("(also) Store bytes reads ≥ 0.8× raw C (\(sets[1]))", ratio(small.bytes, small.raw), small.bytes >= 0.8 * small.raw)
        check("(also) Store typed reads ≥ 0.6× raw C (\(sets[1]))", ratio(small.typed, small.raw), small.typed >= 0.6 * small.raw)
        return table.render()
    }

    private func ratio(_ value: Double, _ base: Double) -> String {
        base > 0 ? (value / base).fixed(2) + "×" : "–"
    }
}
