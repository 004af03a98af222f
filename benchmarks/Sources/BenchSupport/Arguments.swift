/// A benchmark's command line, read option by option: each executable's `init(parsing:)`
/// switches on ``next()`` and asks for the value an option takes.
///
/// ```swift
/// var line = Arguments(arguments)
/// while let option = line.next() {
///     switch option {
///     case "--buys": buys = try line.number()
///     default: throw line.unknown(option)
///     }
/// }
/// ```
public struct Arguments {
    private let arguments: [String]
    private var index = -1

    public init(_ arguments: [String]) { self.arguments = arguments }

    /// The next option, nil after the last.
    public mutating func next() -> String? {
        index += 1
        return index < arguments.count ? arguments[index] : nil
    }

    /// The positive whole number after the current option (`_` allowed as a separator: 40_000).
    public mutating func number() throws -> Int {
        let option = arguments[index]
        index += 1
        guard index < arguments.count, let n = Int(arguments[index].replacingOccurrences(of: "_", with: "")), n > 0 else {
            throw BenchError("\(option) needs a positive number")
        }
        return n
    }

    /// The text after the current option (a path, a list).
    public mutating func text(_ what: String) throws -> String {
        let option = arguments[index]
        index += 1
        guard index < arguments.count else { throw BenchError("\(option) needs \(what)") }
        return arguments[index]
    }

    public func unknown(_ option: String) -> BenchError { BenchError("unknown option \(option)") }
}
