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

    /// The time an RFC 3339 `date-time` names ("2026-11-21T10:00:00Z", "…T10:00:00.250-03:00",
    /// lowercase `t` and `z` allowed), or nil when the text is not one: a date that does not
    /// exist (February 30), fields out of range, or anything around it.
    ///
    /// Parsed by hand for the same reasons as ``string(from:)``, and so that every `date-time`
    /// JSON Schema accepts is accepted here (Foundation's formatter wants its options told apart).
    public static func date(from text: String) -> Date? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int64? {
            guard at + count <= b.count else { return nil }
            var n: Int64 = 0
            for c in b[at..<(at + count)] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                n = n * 10 + Int64(c - 0x30)
            }
            return n
        }
        func byte(_ at: Int) -> UInt8? { at < b.count ? b[at] : nil }
        guard let year = digits(0, 4), byte(4) == 0x2D, let month = digits(5, 2), byte(7) == 0x2D, let day = digits(8, 2),
              byte(10) == 0x54 || byte(10) == 0x74, let hour = digits(11, 2), byte(13) == 0x3A, let minute = digits(14, 2),
              byte(16) == 0x3A, let second = digits(17, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var at = 19
        var fraction = 0.0
        if byte(at) == 0x2E {
            let start = at + 1
            at = start
            while let c = byte(at), c >= 0x30, c <= 0x39 { at += 1 }
            guard at > start, let value = Double("0." + String(decoding: b[start..<at], as: UTF8.self)) else { return nil }
            fraction = value
        }
        var offset: Int64 = 0
        switch byte(at) {
        case 0x5A, 0x7A: at += 1  // Z, z
        case 0x2B, 0x2D:  // +hh:mm, -hh:mm
            guard let hours = digits(at + 1, 2), byte(at + 3) == 0x3A, let minutes = digits(at + 4, 2), hours <= 23, minutes <= 59 else { return nil }
            offset = (hours * 60 + minutes) * 60 * (b[at] == 0x2D ? -1 : 1)
            at += 6
        default: return nil
        }
        guard at == b.count else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
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
