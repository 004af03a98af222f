import Foundation

/// HTTP's date (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), both ways: the
/// MiniApp's `Last-Modified` writes it; the Bot API client and `tenda doctor` read servers'
/// `Date` headers (initData ages depend on the clock).
public enum HTTPDate {
    public static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    /// The date in `text`, or nil when it is not an IMF-fixdate.
    public static func parse(_ text: String) -> Date? {
        formatter().date(from: text.trimmingCharacters(in: .whitespaces))
    }

    /// A new formatter each time: DateFormatter is not safe to share between threads.
    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }
}
