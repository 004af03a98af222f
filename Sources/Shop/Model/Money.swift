/// Money as people read it, from integer minor units.
public enum Money {
    /// "R$ 12,50" for 1250 BRL; other currencies as "12.50 USD".
    public static func format(_ minorUnits: Int64, _ currency: String) -> String {
        let sign = minorUnits < 0 ? "-" : ""
        let units = minorUnits.magnitude / 100
        let cents = minorUnits.magnitude % 100
        let centsText = cents < 10 ? "0\(cents)" : "\(cents)"
        if currency == "BRL" {
            var digits = String(units)
            var grouped = ""
            while digits.count > 3 {
                grouped = "." + digits.suffix(3) + grouped
                digits.removeLast(3)
            }
            return "\(sign)R$ \(digits)\(grouped),\(centsText)"
        }
        return "\(sign)\(units).\(centsText) \(currency)"
    }
}
