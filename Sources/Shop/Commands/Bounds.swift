/// The range of every number, and the length of every text, that the shop takes from outside.
///
/// One table, read by the commands' `validate()` (through ``Check``) and by the server's
/// OpenAPI document, so what the API promises and what it enforces cannot drift apart.
///
/// The bounds are chosen so that every sum a single command builds from its inputs fits in
/// 64 bits with room to spare: a line is at most 10,000 × 10¹¹ = 10¹⁵ minor units, a sale of
/// 50 lines 5 × 10¹⁶, against Int64's 9.2 × 10¹⁸. What grows across commands without end (a
/// debt, a stock level, a day's revenue, a report's total) is added with checked arithmetic
/// instead (``Checked``), and a result that would not fit is refused with `out_of_range` (422).
public enum Bounds {
    /// A product's price, in minor units: up to one billion in major units.
    public static let price: ClosedRange<Int64> = 0...100_000_000_000
    /// A payment, in minor units.
    public static let amount: ClosedRange<Int64> = 1...100_000_000_000
    /// A contract's amount, in minor units (0 for a contract without money).
    public static let contractAmount: ClosedRange<Int64> = 0...100_000_000_000
    /// A debt correction, either way, in minor units (never zero).
    public static let debtAdjustment: ClosedRange<Int64> = -100_000_000_000...100_000_000_000
    /// Units of one product in one purchase, order or refund line.
    public static let quantity: ClosedRange<Int64> = 1...10_000
    /// Lines in one purchase, order or refund.
    public static let lines: ClosedRange<Int> = 1...50
    /// A product's stock level: a change that would leave it outside is refused (422).
    public static let stockLevel: ClosedRange<Int64> = 0...1_000_000_000
    /// Units received in one restock.
    public static let restock: ClosedRange<Int64> = 1...1_000_000
    /// A new product's opening stock.
    public static let openingStock: ClosedRange<Int64> = 0...1_000_000
    /// A stock correction, either way (never zero).
    public static let stockAdjustment: ClosedRange<Int64> = -1_000_000...1_000_000
    /// The level at or below which a product counts as low on stock.
    public static let threshold: ClosedRange<Int64> = 0...1_000_000
    /// Images of one product.
    public static let mediaPerProduct = 10
    /// Parties of one contract, and the confirmations it may require.
    public static let contractParties: ClosedRange<Int> = 2...20
    /// A Telegram user id as the owner types one: Telegram's ids are positive and below 2^52.
    public static let telegramId: ClosedRange<Int64> = 1...4_503_599_627_370_495

    /// The longest text, in Unicode scalars (JSON Schema's `maxLength` counts the same), per field.
    public enum Length {
        public static let name = 100
        public static let emoji = 16
        public static let description = 2_000
        public static let category = 60
        public static let note = 500
        public static let reason = 500
        public static let method = 30
        public static let title = 120
        public static let terms = 10_000
        public static let contractPart = 500
        public static let notificationBody = 2_000
        public static let link = 200
        public static let mediaId = 200
        public static let device = 200
        public static let code = 100
        public static let personName = 200
    }
}

/// Sums of numbers that grow across commands (debts, stock levels, report totals), checked:
/// Swift stops the process on an overflowing `+`, so every such sum goes through here and a
/// result that would not fit becomes a refusal instead.
public enum Checked {
    /// `a + b`, or `out_of_range` naming `field` when the sum does not fit in 64 bits.
    public static func sum(_ a: Int64, _ b: Int64, _ field: String) throws(ShopError) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw ShopError.outOfRange(field) }
        return sum
    }

    /// The sum of `values`, checked at every step.
    public static func total<S: Sequence>(_ values: S, _ field: String) throws(ShopError) -> Int64 where S.Element == Int64 {
        var total: Int64 = 0
        for value in values { total = try sum(total, value, field) }
        return total
    }
}
