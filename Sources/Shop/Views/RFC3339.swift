import Foundation

/// Times as the wire contract writes them: RFC 3339 in UTC, whole seconds ("2026-11-21T10:00:00Z").
///
/// Formatted by hand from the Unix time: it is exact, allocation-light and needs no shared
/// formatter object (Foundation's formatters are classes that are awkward to share across tasks).
public enum RFC3339 {
    /// The time, truncated to the whole second below it, as "YYYY-MM-DDTHH:MM:SSZ".
    public static func string(from date: Date) -> String {
        // RFC 3339 has four-digit years: a time outside 0001–9999 (only a damaged or hostile
        // input can hold one) is written as the nearest end, never converted past Int64.
        let unix = date.timeIntervalSince1970.rounded(.down)
        let seconds = unix.isNaN ? 0 : Int64(min(max(unix, Double(firstSecond)), Double(lastSecond)))
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let hour = secondOfDay / 3_600, minute = (secondOfDay % 3_600) / 60, second = secondOfDay % 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))Z"
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
    public static let firstSecond: Int64 = -62_135_596_800
    public static let lastSecond: Int64 = 253_402_300_799

    /// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's algorithm,
    /// valid for the proleptic Gregorian calendar in both directions).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
